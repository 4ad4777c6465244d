"""Embedding (and the initializers Keras names that it needs): lookups, scatter-add gradients, errors, saving."""

import numpy as np
import pytest

import layergraph as lg
from layergraph import initializers, layers


class TestForward:
    def test_rows_of_the_table_for_indices_of_any_shape(self, rng):
        layer = layers.Embedding(10, 3)
        table = layer.embeddings.value
        for shape in [(4,), (2, 5), (2, 3, 4)]:
            idx = rng.integers(0, 10, size=shape)
            out = layer(idx)
            assert out.shape == (*shape, 3)  # Keras: (*input_shape, output_dim)
            assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:], 3)
            for pos in np.ndindex(shape):
                np.testing.assert_array_equal(out[pos], table[idx[pos]])

    def test_keras_docstring_example(self, rng):
        model = lg.Sequential([layers.Embedding(1000, 64)])
        model.compile(optimizer="rmsprop", loss="mse")
        out = model.predict(rng.integers(1000, size=(32, 10)), verbose=0)
        assert out.shape == (32, 10, 64)
        assert model.compute_output_shape((None, 10)) == (None, 10, 64)

    def test_whole_floats_are_indices(self):
        layer = layers.Embedding(4, 2, weights=np.arange(8.0).reshape(4, 2))
        np.testing.assert_array_equal(layer(np.array([[3.0, 0.0]])), [[[6.0, 7.0], [0.0, 1.0]]])
        out, _ = layer.forward(np.array([[1, 2]], dtype=np.int32))
        np.testing.assert_array_equal(out, [[[2.0, 3.0], [4.0, 5.0]]])

    def test_table_is_created_at_once_with_keras_default_initializer(self):
        layer = layers.Embedding(50, 4, seed=3)
        assert layer.built and layer.embeddings.shape == (50, 4) and layer.count_params() == 200
        values = layer.embeddings.value
        assert values.min() >= -0.05 and values.max() < 0.05 and values.std() > 0.02  # RandomUniform(-0.05, 0.05)
        assert layer.get_config()["embeddings_initializer"] == {"class_name": "RandomUniform",
                                                                "config": {"minval": -0.05, "maxval": 0.05,
                                                                           "seed": None}}

    def test_symbolic_call(self):
        x = lg.Input(shape=(7,))
        assert layers.Embedding(20, 5)(x).shape == (None, 7, 5)


class TestGradient:
    def test_table_gradient_is_a_scatter_add_with_repeats(self):
        layer = layers.Embedding(5, 2)
        idx = np.array([[1, 3, 1], [4, 1, 0]])
        out, cache = layer.forward(idx)
        grad = np.arange(12.0).reshape(2, 3, 2)
        dx, (d_table,) = layer.backward(grad, cache)
        expected = np.zeros((5, 2))
        expected[1] = grad[0, 0] + grad[0, 2] + grad[1, 1]  # index 1 three times
        expected[3], expected[4], expected[0] = grad[0, 1], grad[1, 0], grad[1, 2]
        np.testing.assert_array_equal(d_table, expected)
        assert dx.shape == idx.shape and not dx.any()  # no gradient flows to the indices

    def test_input_gradient_is_skipped_or_zero(self):
        layer = layers.Embedding(5, 2)
        out, cache = layer.forward(np.array([[1.0, 2.0]]))
        dx, grads = layer.backward(np.ones_like(out), cache, input_grad=False)
        assert dx is None and len(grads) == 1

    @pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "mse"])
    def test_gradient_check_in_a_model(self, checks, rng, loss):
        model = lg.Sequential([layers.Embedding(6, 3, embeddings_regularizer=lg.regularizers.l2(1e-2),
                                                input_shape=(4,), seed=0),
                               layers.Conv1D(2, 2, activation="tanh", seed=1), layers.GlobalAveragePooling1D(),
                               layers.Dense(3, activation="softmax" if "entropy" in loss else None, seed=2)])
        x = np.array([[0, 5, 5, 2], [1, 1, 3, 0], [4, 2, 2, 5]])
        y = np.array([2, 0, 1]) if "entropy" in loss else rng.normal(size=(3, 3))
        checks.weights_gradient(model, loss, x, y)

    def test_functional_model_with_an_embedding_after_the_input(self, checks, rng):
        tokens = lg.Input(shape=(5,))
        vectors = layers.Embedding(8, 3, seed=0)(tokens)
        out = layers.Dense(1, activation="sigmoid", seed=1)(layers.GlobalAveragePooling1D()(vectors))
        model = lg.Model(tokens, out)
        x = rng.integers(0, 8, size=(4, 5)).astype(float)
        checks.weights_gradient(model, "binary_crossentropy", x, np.array([0.0, 1.0, 1.0, 0.0]))
        model.compile(optimizer=lg.optimizers.Adam(0.05), loss="binary_crossentropy")
        before = model.get_weights()[0].copy()
        model.fit(x, np.array([0.0, 1.0, 1.0, 0.0]), epochs=2, batch_size=2, verbose=0)
        changed = np.any(model.get_weights()[0] != before, axis=1)  # only the rows that were looked up
        assert changed[np.unique(x.astype(int))].all() and not changed[np.setdiff1d(np.arange(8), x)].any()

    def test_float32(self):
        layer = layers.Embedding(5, 2, dtype="float32")
        out, cache = layer.forward(np.array([[1.0, 4.0]], dtype=np.float32))
        _, (d_table,) = layer.backward(np.ones_like(out), cache)
        assert out.dtype == d_table.dtype == np.float32


class TestConfigAndSaving:
    def test_config_round_trip_and_save_load(self, checks, rng, tmp_path):
        layer = layers.Embedding(9, 4, embeddings_initializer="random_normal",
                                 embeddings_regularizer=lg.regularizers.l2(1e-3), name="emb")
        x = rng.integers(0, 9, size=(3, 5))
        clone = checks.config_round_trip(layer, x)
        assert (clone.input_dim, clone.output_dim, clone.mask_zero) == (9, 4, False)
        model = lg.Sequential([layers.Embedding(9, 4, input_shape=(5,), seed=0), layers.Flatten(),
                               layers.Dense(2, seed=1)])
        model.compile(optimizer="adam", loss="mse")
        checks.save_load(model, x, tmp_path / "emb.lg")

    def test_keras_2_arguments(self):
        with pytest.warns(UserWarning, match="input_length is deprecated"):
            layer = layers.Embedding(5, 2, input_length=10)
        assert "input_length" not in layer.get_config()
        with pytest.warns(UserWarning, match="mask_zero=True: layergraph does not pass masks on"):
            masked = layers.Embedding(5, 2, mask_zero=True)
        np.testing.assert_array_equal(masked.compute_mask(np.array([[0, 3, 0]])), [[False, True, False]])
        assert layers.Embedding(5, 2).compute_mask(np.array([[0]])) is None

    def test_default_name(self):
        assert layers.Embedding(2, 2).name.startswith("embedding")


class TestErrors:
    @pytest.mark.parametrize("x, match", [
        (np.array([[1.0, 2.5]]), r"Embedding 'e' expects integer indices, got the non-integer value 2.5"),
        (np.array([[1.0, np.nan]]), r"Embedding 'e' expects integer indices, got the non-integer value nan"),
        (np.array([[0, 1], [2, 5]]), r"Embedding 'e': index 5 is out of range \[0, 5\) \(input_dim=5; input shape "
                                     r"\(2, 2\)\)"),
        (np.array([[0, 1], [2, -1]]), r"Embedding 'e': index -1 is out of range \[0, 5\)"),
    ])
    def test_bad_indices_at_the_end_of_the_batch(self, x, match):
        layer = layers.Embedding(5, 2, name="e")
        before = layer.get_weights()
        with pytest.raises(ValueError, match=match):
            layer.forward(x)
        with pytest.raises(ValueError, match=match):
            layer(x)
        np.testing.assert_array_equal(layer.get_weights()[0], before[0])

    def test_bad_indices_through_fit(self):
        model = lg.Sequential([layers.Embedding(4, 2, input_shape=(3,), name="e"), layers.Flatten(),
                               layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        x = np.array([[0, 1, 2]] * 5 + [[0, 1, 4]])
        with pytest.raises(ValueError, match=r"Embedding 'e': index 4 is out of range \[0, 4\)"):
            model.fit(x, np.zeros((6, 1)), batch_size=6, verbose=0)

    def test_strings_are_refused(self):
        with pytest.raises(TypeError, match="Embedding 'e' expects integer indices, got an array of dtype"):
            layers.Embedding(5, 2, name="e").forward(np.array([["a"]]))

    @pytest.mark.parametrize("kwargs, match", [
        (dict(input_dim=0, output_dim=2), "input_dim must be a positive integer, got 0"),
        (dict(input_dim=5.0, output_dim=2), "input_dim must be a positive integer, got 5.0"),
        (dict(input_dim=5, output_dim=-3), "output_dim must be a positive integer, got -3"),
        (dict(input_dim=5, output_dim=2, weights=np.zeros((5, 3))),
         r"weights must have shape \(5, 2\) \(input_dim, output_dim\), got \(5, 3\)"),
        (dict(input_dim=5, output_dim=2, embeddings_initializer="nope"), "Unknown initializer 'nope'"),
    ])
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            layers.Embedding(name="e", **kwargs)


class TestKerasInitializerNames:
    @pytest.mark.parametrize("name, cls", [("uniform", initializers.RandomUniform),
                                           ("normal", initializers.RandomNormal), ("one", initializers.Ones),
                                           ("zero", initializers.Zeros),
                                           ("truncated_normal", initializers.TruncatedNormal),
                                           ("lecun_normal", initializers.LecunNormal),
                                           ("lecun_uniform", initializers.LecunUniform)])
    def test_names_resolve(self, name, cls):
        assert type(initializers.get(name)) is cls

    def test_truncated_normal_stays_within_two_stddev(self):
        w = initializers.TruncatedNormal(mean=1.0, stddev=0.1, seed=0)((200, 50))
        assert np.abs(w - 1.0).max() <= 0.2 and abs(w.mean() - 1.0) < 0.005
        assert 0.08 < w.std() < 0.09  # a normal truncated at 2 sigma keeps 88% of its stddev

    def test_lecun_scales(self):
        w = initializers.LecunUniform(seed=0)((400, 300))
        assert np.abs(w).max() <= np.sqrt(3 / 400) and abs(w.std() - np.sqrt(1 / 400)) < 2e-3
        w = initializers.LecunNormal(seed=0)((400, 300))
        assert abs(w.std() - np.sqrt(1 / 400)) < 2e-3

    def test_config_round_trip(self):
        init = initializers.TruncatedNormal(0.5, 0.2, seed=3)
        again = initializers.get(init.get_config())
        np.testing.assert_array_equal(again((3, 3)), init((3, 3)))

    def test_variance_scaling_draws_unchanged(self):
        # The shared truncated draw gives the numbers the inline loop gave.
        rng = np.random.default_rng(7)
        std = np.sqrt(2.0 / 6) / 0.87962566103423978
        expected = rng.normal(0.0, std, (6, 4))
        bad = np.abs(expected) > 2 * std
        while bad.any():
            expected[bad] = rng.normal(0.0, std, int(bad.sum()))
            bad = np.abs(expected) > 2 * std
        np.testing.assert_array_equal(initializers.HeNormal()((6, 4), "float64", np.random.default_rng(7)), expected)
