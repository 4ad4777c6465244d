"""Keras-style client code that uses the new layers end to end: build, compile, fit, evaluate, save, load."""
import numpy as np

import layergraph as keras  # the point: Keras idioms with only the import changed
from layergraph import layers


def test_text_cnn_learns_a_keyword(tmp_path):
    # Label 1 when token 7 occurs anywhere in the sequence: a job for Embedding + Conv1D + global max pooling.
    rng = np.random.default_rng(0)
    x = rng.integers(1, 7, size=(256, 12))
    y = rng.integers(0, 2, size=256)
    x[y == 1, rng.integers(0, 12, size=int(y.sum()))] = 7
    inputs = keras.Input(shape=(12,))
    h = layers.Embedding(input_dim=10, output_dim=8, seed=0)(inputs)
    h = layers.Conv1D(16, 3, padding="causal", activation="relu", seed=1)(h)
    h = layers.GlobalMaxPooling1D()(h)
    outputs = layers.Dense(1, activation="sigmoid", seed=2)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.95
    model.save(tmp_path / "text_cnn.lg")
    restored = keras.load_model(tmp_path / "text_cnn.lg")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_conv_autoencoder_with_transpose_upsampling_and_merges():
    # Encoder/decoder with a skip connection joined by layers.add: reconstruction error must fall.
    rng = np.random.default_rng(1)
    x = rng.random((64, 8, 8, 1)).round(1)
    inputs = keras.Input(shape=(8, 8, 1))
    scaled = layers.Rescaling(2.0, offset=-1.0)(inputs)
    e = layers.Conv2D(8, 3, padding="same", activation="relu", seed=0)(scaled)
    d = layers.MaxPooling2D(2)(e)
    d = layers.Conv2DTranspose(8, 3, strides=2, padding="same", seed=1)(d)
    u = layers.UpSampling2D(1)(e)
    h = layers.LeakyReLU()(layers.add([d, u]))
    h = layers.Cropping2D(1)(layers.ZeroPadding2D(1)(h))
    outputs = layers.Conv2D(1, 1, activation="sigmoid", seed=2)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    first = model.evaluate(x, x, verbose=0)
    model.fit(x, x, epochs=40, batch_size=16, verbose=0)
    assert model.evaluate(x, x, verbose=0) < 0.2 * first


def test_unknown_axes_stay_unknown_in_output_shapes():
    # Keras propagates None (variable-length) axes through compute_output_shape.
    cases = [
        (layers.Conv1D(4, 3, strides=2), (None, None, 2), (None, None, 4)),
        (layers.Conv2DTranspose(3, 3, strides=2, padding="same"), (None, None, 5, 2), (None, None, 10, 3)),
        (layers.MaxPooling1D(2), (None, None, 3), (None, None, 3)),
        (layers.GlobalAveragePooling2D(), (None, None, None, 3), (None, 3)),
        (layers.UpSampling2D(2), (None, None, 4, 1), (None, None, 8, 1)),
        (layers.ZeroPadding2D(1), (None, 3, None, 1), (None, 5, None, 1)),
        (layers.Cropping2D(1), (None, None, 4, 1), (None, None, 2, 1)),
        (layers.Embedding(5, 2), (None, None), (None, None, 2)),
        (layers.Add(), [(None, None, 3), (None, 3)], (None, None, 3)),
        (layers.Dot(axes=-1), [(None, None, 3), (None, 3)], (None, None)),
    ]
    for layer, in_shape, out_shape in cases:
        assert layer.compute_output_shape(in_shape) == out_shape, type(layer).__name__
