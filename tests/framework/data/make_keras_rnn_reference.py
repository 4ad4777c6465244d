"""Regenerate ``keras_rnn_reference.npz``: outputs of Keras' own recurrent layers.

Run with Keras 3 installed (any backend), outside layergraph's environment::

    KERAS_BACKEND=torch python tests/framework/data/make_keras_rnn_reference.py

For SimpleRNN, LSTM, GRU and GRU(reset_after=False), forwards and backwards,
it draws random weights, runs the Keras layer with ``return_sequences`` and
``return_state`` on one random float32 input, and stores the input, the
weights (in Keras' ``get_weights()`` order) and every output. The file also
keeps the initial bias of ``LSTM(3)`` (``unit_forget_bias``).
``tests/framework/test_recurrent.py`` loads the weights into layergraph's
layers and compares the outputs.
"""
import os
from pathlib import Path

import numpy as np

#: file key -> (Keras class name, extra arguments)
LAYERS = {
    "simple_rnn": ("SimpleRNN", {}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
    "gru_reset_before": ("GRU", {"reset_after": False}),
}


def main():
    import keras  # lazily: pytest imports this file (doctests) where Keras is not installed

    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    out = {"x": x, "keras_version": np.array(keras.__version__), "backend": np.array(keras.backend.backend())}
    for name, (class_name, extra) in LAYERS.items():
        for backwards in (False, True):
            layer = getattr(keras.layers, class_name)(5, return_sequences=True, return_state=True,
                                                      go_backwards=backwards, **extra)
            layer.build(x.shape)
            weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
            layer.set_weights(weights)
            key = f"{name}_{'backwards' if backwards else 'forwards'}"
            for i, w in enumerate(weights):
                out[f"{key}/weight{i}"] = w
            for i, r in enumerate(layer(x)):
                out[f"{key}/output{i}"] = keras.ops.convert_to_numpy(r)
    lstm = keras.layers.LSTM(3)
    lstm.build((None, 2, 4))
    out["lstm_initial_bias"] = lstm.get_weights()[2]
    path = Path(__file__).with_name("keras_rnn_reference.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({os.path.getsize(path)} bytes) with Keras {keras.__version__} ({keras.backend.backend()})")


if __name__ == "__main__":
    main()
