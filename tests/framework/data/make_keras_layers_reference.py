"""Regenerate ``keras_layers_reference.npz``: outputs of Keras' own layers for the layers of issue 12.

Run with Keras 3 installed (any backend), outside layergraph's environment::

    KERAS_BACKEND=jax python tests/framework/data/make_keras_layers_reference.py

For every case in :data:`CASES` it builds the Keras layer with the given
arguments, draws random weights and inputs (float32; integer indices for
``Embedding``), calls the layer, and stores the arguments (JSON), the
inputs, the weights (in Keras' ``get_weights()`` order) and the output.
``tests/framework/test_keras_reference.py`` builds the layergraph layer with
the same arguments and weights and compares outputs and output shapes.
"""
import json
import os
from pathlib import Path

import numpy as np

#: (key, Keras class name, constructor arguments, input shapes; an int list means integer indices < that bound)
CASES = [
    ("conv1d_valid", "Conv1D", {"filters": 3, "kernel_size": 3}, [(2, 9, 4)]),
    ("conv1d_same_strided", "Conv1D", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"},
     [(2, 9, 4)]),
    ("conv1d_causal_dilated", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
     [(2, 8, 3)]),
    ("conv1d_same_dilated", "Conv1D", {"filters": 2, "kernel_size": 2, "padding": "same", "dilation_rate": 3,
                                       "activation": "tanh"}, [(2, 8, 3)]),
    ("conv1d_valid_dilated", "Conv1D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, [(2, 9, 3)]),
    ("conv2dt_same_k3_s2", "Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     [(2, 4, 3, 2)]),
    ("conv2dt_same_k4_s2", "Conv2DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"},
     [(2, 3, 4, 2)]),
    ("conv2dt_same_k2_s1", "Conv2DTranspose", {"filters": 2, "kernel_size": 2, "padding": "same"}, [(2, 3, 5, 2)]),
    ("conv2dt_valid_k3_s2", "Conv2DTranspose", {"filters": 9, "kernel_size": 3, "strides": 2}, [(2, 3, 4, 2)]),
    ("conv2dt_valid_k2_s3", "Conv2DTranspose", {"filters": 2, "kernel_size": 2, "strides": 3}, [(2, 3, 2, 2)]),
    ("conv2dt_valid_rect", "Conv2DTranspose", {"filters": 2, "kernel_size": [2, 3], "strides": [2, 1]},
     [(2, 3, 3, 2)]),
    ("conv2dt_same_k5_s3", "Conv2DTranspose", {"filters": 2, "kernel_size": 5, "strides": 3, "padding": "same"},
     [(2, 2, 3, 2)]),
    ("conv2dt_same_outpad", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                                                "output_padding": 1}, [(2, 3, 3, 2)]),
    ("conv2dt_same_k2_s3_outpad2", "Conv2DTranspose", {"filters": 2, "kernel_size": 2, "strides": 3,
                                                       "padding": "same", "output_padding": 2}, [(2, 2, 3, 2)]),
    ("conv2dt_valid_outpad", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 3,
                                                 "output_padding": [2, 0], "activation": "relu"}, [(2, 2, 3, 2)]),
    ("conv2dt_valid_dilated", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
     [(2, 3, 3, 2)]),
    ("conv2dt_same_dilated", "Conv2DTranspose", {"filters": 2, "kernel_size": 2, "padding": "same",
                                                 "dilation_rate": [2, 3]}, [(2, 4, 4, 2)]),
    ("maxpool1d_valid", "MaxPooling1D", {"pool_size": 2}, [(2, 7, 3)]),
    ("maxpool1d_same", "MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, [(2, 6, 3)]),
    ("avgpool1d_valid", "AveragePooling1D", {"pool_size": 3, "strides": 2}, [(2, 9, 3)]),
    ("avgpool1d_same", "AveragePooling1D", {"pool_size": 4, "strides": 3, "padding": "same"}, [(2, 7, 3)]),
    ("gap1d", "GlobalAveragePooling1D", {}, [(2, 5, 3)]),
    ("gap2d_keepdims", "GlobalAveragePooling2D", {"keepdims": True}, [(2, 3, 4, 3)]),
    ("gmp1d_keepdims", "GlobalMaxPooling1D", {"keepdims": True}, [(2, 5, 3)]),
    ("gmp2d", "GlobalMaxPooling2D", {}, [(2, 3, 4, 3)]),
    ("upsampling_nearest", "UpSampling2D", {"size": [2, 3]}, [(2, 3, 2, 2)]),
    ("upsampling_bilinear", "UpSampling2D", {"size": [2, 3], "interpolation": "bilinear"}, [(2, 3, 2, 2)]),
    ("upsampling_bilinear_3", "UpSampling2D", {"size": 3, "interpolation": "bilinear"}, [(1, 4, 3, 2)]),
    ("zeropadding", "ZeroPadding2D", {"padding": [[1, 0], [2, 3]]}, [(2, 3, 2, 2)]),
    ("cropping", "Cropping2D", {"cropping": [[1, 2], [0, 1]]}, [(2, 5, 4, 2)]),
    ("rescaling", "Rescaling", {"scale": 0.5, "offset": -1.0}, [(2, 3, 4)]),
    ("embedding", "Embedding", {"input_dim": 7, "output_dim": 3}, [[2, 5, 7]]),
    ("relu", "ReLU", {}, [(3, 8)]),
    ("relu6", "ReLU", {"max_value": 6.0}, [(3, 8)]),
    ("relu_leaky_threshold", "ReLU", {"negative_slope": 0.5, "threshold": 1.0}, [(3, 8)]),
    ("relu_all", "ReLU", {"max_value": 2.5, "negative_slope": 0.2, "threshold": 0.5}, [(3, 8)]),
    ("leaky_relu", "LeakyReLU", {}, [(3, 8)]),
    ("leaky_relu_half", "LeakyReLU", {"negative_slope": 0.5}, [(3, 8)]),
    ("softmax", "Softmax", {}, [(3, 5)]),
    ("softmax_axis1", "Softmax", {"axis": 1}, [(2, 3, 4)]),
    ("softmax_axes12", "Softmax", {"axis": [1, 2]}, [(2, 3, 4)]),
    ("add_broadcast", "Add", {}, [(2, 3, 4), (2, 4), (2, 1, 4)]),
    ("subtract", "Subtract", {}, [(2, 3, 4), (2, 3, 1)]),
    ("multiply", "Multiply", {}, [(2, 4), (2, 3, 4), (2, 1, 1)]),
    ("average", "Average", {}, [(2, 3), (2, 3), (2, 3)]),
    ("maximum", "Maximum", {}, [(2, 5), (2, 5), (2, 1)]),
    ("minimum", "Minimum", {}, [(2, 2, 5), (2, 5)]),
    ("dot_axes_1_2", "Dot", {"axes": [1, 2]}, [(2, 5, 2), (2, 3, 5)]),
    ("dot_last_normalized", "Dot", {"axes": -1, "normalize": True}, [(2, 3, 4), (2, 4)]),
    ("dot_vectors", "Dot", {"axes": 1}, [(3, 4), (3, 4)]),
    ("dot_3d_3d", "Dot", {"axes": [2, 1]}, [(2, 3, 4), (2, 4, 5)]),
]


def main():
    import keras  # lazily: pytest imports this file (doctests) where Keras is not installed

    rng = np.random.default_rng(12)
    out = {"keras_version": np.array(keras.__version__), "backend": np.array(keras.backend.backend()),
           "keys": np.array([key for key, *_ in CASES])}
    for key, class_name, kwargs, shapes in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        inputs = [rng.integers(0, shape[2], size=shape[:2]).astype("int32") if isinstance(shape, list)
                  else rng.normal(size=shape).astype("float32") for shape in shapes]
        if class_name == "ReLU" or class_name == "LeakyReLU":
            inputs = [np.round(a * 3, 1).astype("float32") for a in inputs]  # spread around the kinks
        if class_name in ("Maximum", "Minimum") and inputs[0].shape == inputs[1].shape:
            inputs[1][0, :2] = inputs[0][0, :2]  # ties
        call_input = inputs if len(inputs) > 1 else inputs[0]
        input_shapes = [a.shape for a in inputs]
        layer.build(input_shapes if len(inputs) > 1 else input_shapes[0])
        weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        result = keras.ops.convert_to_numpy(layer(call_input))
        spec = {"class_name": class_name, "kwargs": kwargs, "n_inputs": len(inputs), "n_weights": len(weights),
                "output_shape": list(layer.compute_output_shape(
                    [(None, *s[1:]) for s in input_shapes] if len(inputs) > 1 else (None, *input_shapes[0][1:])))}
        out[f"{key}/spec"] = np.array(json.dumps(spec))
        for i, a in enumerate(inputs):
            out[f"{key}/input{i}"] = a
        for i, w in enumerate(weights):
            out[f"{key}/weight{i}"] = w
        out[f"{key}/output"] = result
    path = Path(__file__).with_name("keras_layers_reference.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({os.path.getsize(path)} bytes) with Keras {keras.__version__} ({keras.backend.backend()})")


if __name__ == "__main__":
    main()
