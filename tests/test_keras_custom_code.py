"""The Keras guides' custom-layer, custom-model, custom-loss and custom-metric code, with only the import changed.

Each class below is copied in spirit from a keras-io guide (Keras 3 API),
with ``import layergraph as keras`` and ``layergraph.ops`` standing in for
``keras.ops``; where a guide uses something layergraph does not have, the
comment says what replaced it:

- ``guides/making_new_layers_and_models_via_subclassing.py``: ``Linear``
  (weights in ``__init__``, then in ``build``), ``ComputeSum`` (a
  non-trainable state returned by ``call``), ``MLPBlock`` (nested layers),
  ``ActivityRegularizationLayer`` and ``OuterLayer`` (``add_loss``),
  ``CustomDropout`` (``training`` argument; ``keras.random.dropout`` with a
  ``SeedGenerator`` becomes a numpy generator), a subclassed model saved with
  ``get_config``/``from_config``, and the end-to-end VAE (``Sampling``
  with ``keras.random.normal`` becomes a numpy generator);
- ``guides/training_with_built_in_methods.py``: ``custom_mean_squared_error``
  (a loss function), ``CustomMSE`` (a ``Loss`` subclass with ``call``),
  ``CategoricalTruePositives`` (a stateful ``Metric``; its state is a plain
  attribute instead of ``add_variable``), and a metric function.

Every model trains with the analytic strategy, so each custom ``call()`` is
differentiated by the autodiff tape; the gradients are checked against the
numeric strategy.
"""
import numpy as np
import pytest

import layergraph as keras
from layergraph import ops
from layergraph.framework.naming import custom_object_scope


# -- guides/making_new_layers_and_models_via_subclassing.py -------------------------------------------------
class LinearInInit(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = np.random.default_rng(1337)  # keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:  # keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            keep = self.seed_generator.random(inputs.shape) >= self.rate
            return inputs * keep / (1 - self.rate)
        return inputs


class Sampling(keras.layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = np.random.default_rng(1337)  # keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch, dim = z_mean.shape
        epsilon = self.seed_generator.standard_normal((batch, dim))  # keras.random.normal(...)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(keras.layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = keras.layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = keras.layers.Dense(latent_dim)
        self.dense_log_var = keras.layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(keras.layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = keras.layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = keras.layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


class CustomModel(keras.Model):
    """A subclassed model with get_config/from_config (the guide's serialization section, as a Model)."""

    def __init__(self, hidden_units, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.dense_layers = [Linear(u) for u in hidden_units]
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        x = inputs
        for layer in self.dense_layers:
            x = ops.tanh(layer(x))
        return self.out(x)

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# -- guides/training_with_built_in_methods.py -------------------------------------------------------------
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    # The guide creates its state with self.add_variable(shape=(), name="ctp", initializer="zeros"); layergraph's
    # Metric keeps state in plain attributes that reset_state() sets up (the base constructor calls it).
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(np.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = values * sample_weight  # ops.multiply(values, sample_weight)
        self.true_positives += float(ops.sum(values))  # self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives = 0.0


def mean_prediction(y_true, y_pred):  # a metric function: averaged over the epoch's samples
    return ops.mean(y_pred, axis=-1)


# -- the tests ------------------------------------------------------------------------------------------
def _data(n=32, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features))
    return x, np.tanh(x @ rng.standard_normal((features, 1)))


def test_linear_with_weights_in_init_tracks_and_computes():
    x = np.ones((2, 2))
    linear_layer = LinearInInit(4, 2)
    y = linear_layer(x)
    assert y.shape == (2, 4)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    np.testing.assert_allclose(y, x @ linear_layer.w.value + linear_layer.b.value, rtol=1e-15)


def test_compute_sum_keeps_a_non_trainable_state_and_returns_it():
    x = np.ones((2, 2))
    my_sum = ComputeSum(2)
    assert my_sum(x).tolist() == [2.0, 2.0]
    y = my_sum(x)
    assert y.tolist() == [4.0, 4.0]
    assert len(my_sum.weights) == 1 and len(my_sum.non_trainable_weights) == 1 and my_sum.trainable_weights == []
    my_sum(x)
    assert y.tolist() == [4.0, 4.0]  # the returned value is a copy, not the state itself


def test_compute_sum_inside_a_recording_is_a_constant_and_its_state_still_updates():
    layer = ComputeSum(2)
    x = np.ones((3, 2))
    with keras.layers.backward_follows():
        y, cache = layer.forward(x, training=True)
    assert y.tolist() == [3.0, 3.0] and layer.total.value.tolist() == [3.0, 3.0]
    dx, dw = layer.backward(np.ones(2), cache)
    assert dx.tolist() == [[0.0, 0.0]] * 3 and dw == []  # state updates are not differentiated


def test_mlp_block_tracks_nested_layers_and_trains_with_their_automatic_gradients():
    mlp = MLPBlock()
    y = mlp(np.ones((3, 64)))  # the first call creates the weights
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    # The guide's layers draw unseeded weights; for about 1 draw in 20 a ReLU input lies within the central
    # difference's epsilon of its kink, where the two gradients differ by definition: fix the draw.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(5,)), MLPBlock()])
    x, target = _data(8, 5)
    result = keras.gradients.check(model, "mse", x, target)
    assert result.passed, str(result)


def test_add_loss_is_reset_at_each_outer_call_and_collected_from_inner_layers():
    layer = OuterLayer()
    assert len(layer.losses) == 0
    _ = layer(np.zeros((1, 1)))
    assert len(layer.losses) == 1
    _ = layer(np.zeros((1, 1)))
    assert len(layer.losses) == 1
    _ = layer(np.full((2, 2), 3.0))
    assert layer.losses == [pytest.approx(0.03)]


def test_activity_regularization_joins_the_objective_value_and_both_gradients():
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(2, seed=0)(
        ActivityRegularizationLayer(rate=0.5)(keras.layers.Dense(3, seed=1)(inputs)))
    model = keras.Model(inputs, outputs)
    x, _ = _data(6, 3)
    y = np.zeros((6, 2))
    model.compile(optimizer="adam", loss="mse")
    plain = keras.losses.get("mse")(y, model.predict(x, verbose=0))
    hidden = keras.Model(inputs, model.layers[1].output).predict(x, verbose=0)
    # evaluate reports the loss plus the added loss (0.5 * mean of the hidden activations)
    assert model.evaluate(x, y) == pytest.approx(plain + 0.5 * hidden.mean(), rel=1e-12)
    result = keras.gradients.check(model, "mse", x, y)
    assert result.passed, str(result)
    model.fit(x, y, epochs=2, verbose=0)


def test_custom_dropout_sees_training_from_fit_and_not_from_predict():
    layer = CustomDropout(0.5)
    x = np.ones((4, 10))
    assert layer(x).tolist() == x.tolist()  # inference by default
    dropped = layer(x, training=True)
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.0 in dropped
    model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(4, seed=0), CustomDropout(0.5)])
    model.compile(optimizer="sgd", loss="mse")
    xs, ys = np.ones((8, 10)), np.zeros((8, 4))
    assert np.all(model.predict(xs, verbose=0) == model.predict(xs, verbose=0))
    history = model.fit(xs, ys, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_nested_layers_inherit_training_from_the_outer_call():
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dropout = CustomDropout(0.5)

        def call(self, inputs, training=None):
            return self.dropout(inputs)  # no training passed: inherited, as in Keras

    block = Block()
    x = np.ones((2, 50))
    assert block(x).tolist() == x.tolist()
    assert 0.0 in block(x, training=True)


def test_subclassed_model_compiles_fits_evaluates_predicts_summarises_and_saves(tmp_path, capsys):
    x, y = _data()
    model = CustomModel([8, 4], name="custom_model")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 6 and len(model.get_weights()) == 6
    loss, mae = model.evaluate(x, y)
    assert loss == pytest.approx(float(np.mean((model.predict(x, verbose=0) - y) ** 2)), rel=1e-12)
    model.summary()
    assert "Total params: 73" in capsys.readouterr().out  # 3*8+8 + 8*4+4 + 4*1+1
    result = keras.gradients.check(model, "mse", x[:5], y[:5])
    assert result.passed, str(result)
    path = tmp_path / "custom.keras"
    model.save(path)
    restored = keras.load_model(path, custom_objects={"CustomModel": CustomModel, "Linear": Linear})
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.evaluate(x, y) == pytest.approx([loss, mae], rel=1e-12)
    with custom_object_scope({"CustomModel": CustomModel, "Linear": Linear}):  # keras.utils.custom_object_scope
        again = keras.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    copy = CustomModel.from_config(model.get_config())
    copy.build(model.input_shape)
    copy.set_weights(model.get_weights())
    np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_subclassed_model_without_get_config_suggests_saving_the_weights(tmp_path):
    class NoConfig(keras.Model):
        def __init__(self, units):
            super().__init__()
            self.dense = keras.layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

    model = NoConfig(2)
    model.predict(np.ones((1, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"NoConfig\) is a subclassed model without get_config\(\): implement "
                                         r"get_config\(\) and from_config\(\) to save the whole model, or save its "
                                         r"weights only with model\.save_weights\(path\)"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    model.save_weights(tmp_path / "m.weights")
    other = NoConfig(2)
    other.predict(np.ones((1, 3)), verbose=0)
    other.load_weights(tmp_path / "m.weights")
    assert [w.tolist() for w in other.get_weights()] == [w.tolist() for w in model.get_weights()]


def test_variational_autoencoder_trains_with_its_kl_loss():
    rng = np.random.default_rng(0)
    x_train = rng.random((64, 16))
    vae = VariationalAutoEncoder(16, 8, 4)
    vae.compile(keras.optimizers.Adam(learning_rate=1e-3), loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=3, batch_size=16, verbose=0)
    assert len(vae.losses) == 1 and history.history["loss"][-1] < history.history["loss"][0]
    assert len(vae.trainable_weights) == 10


def test_custom_loss_function_and_class_train_and_differentiate_like_built_in_losses():
    x, y = _data(16)
    for loss in (custom_mean_squared_error, CustomMSE()):
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh", seed=0),
                                  keras.layers.Dense(1, seed=1)])
        model.compile(optimizer="adam", loss=loss)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        result = keras.gradients.check(model, loss, x, y)
        assert result.passed, str(result)
    pred = np.array([[0.1], [0.9]])
    true = np.array([[0.0], [1.0]])
    assert keras.losses.get(custom_mean_squared_error)(true, pred) == pytest.approx(0.01)
    # CustomMSE: mean over the batch of (y - p)^2 + 0.1 * (0.5 - p)^2 = 0.01 + 0.1 * 0.16
    assert CustomMSE()(true, pred) == pytest.approx(0.026)


def test_custom_loss_function_survives_saving_through_custom_objects(tmp_path):
    x, y = _data(8)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, seed=0)])
    model.compile(optimizer="sgd", loss=custom_mean_squared_error)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="custom_mean_squared_error"):
        keras.load_model(tmp_path / "m.keras")
    restored = keras.load_model(tmp_path / "m.keras",
                                custom_objects={"custom_mean_squared_error": custom_mean_squared_error})
    assert restored.evaluate(x, y) == pytest.approx(model.evaluate(x, y), rel=1e-12)


def test_stateful_metric_and_metric_function_report_the_epoch_value_not_a_mean_of_batch_means():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    labels = np.array([[0], [1], [1], [1], [0]])
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="softmax")])
    model.set_weights([np.eye(2), np.zeros(2)])
    model.compile(optimizer=keras.optimizers.SGD(1e-9), loss="sparse_categorical_crossentropy",
                  metrics=[CategoricalTruePositives(), mean_prediction])
    history = model.fit(x, labels, batch_size=2, epochs=1, shuffle=False, verbose=0)
    # predictions are argmax 0,1,0,1,0: true positives over the epoch = 4 (a count, summed over batches)
    assert history.history["categorical_true_positives"] == [4.0]
    # the mean prediction over the epoch's 5 samples is 0.5 exactly (softmax rows sum to 1); batches of 2, 2, 1
    assert history.history["mean_prediction"] == [pytest.approx(0.5, rel=1e-12)]
    logs = model.evaluate(x, labels, batch_size=2, return_dict=True)
    assert logs["categorical_true_positives"] == 4.0
