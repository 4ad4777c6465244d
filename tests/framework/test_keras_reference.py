"""The issue-12 layers against Keras 3's own outputs and output shapes.

``data/keras_layers_reference.npz`` holds, per case, the Keras arguments,
random inputs and weights, and what Keras 3.15.1 (JAX backend, float32)
computed; ``data/make_keras_layers_reference.py`` regenerates it. Each test
builds the layergraph layer with the same arguments and weights.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from layergraph import layers

REFERENCE = Path(__file__).with_name("data") / "keras_layers_reference.npz"
DATA = np.load(REFERENCE)
KEYS = [str(k) for k in DATA["keys"]]


def test_reference_file_is_from_keras_3():
    assert str(DATA["keras_version"]).startswith("3.") and len(KEYS) >= 50


@pytest.mark.parametrize("key", KEYS)
def test_output_and_output_shape_match_keras(key):
    spec = json.loads(str(DATA[f"{key}/spec"]))
    layer = getattr(layers, spec["class_name"])(**spec["kwargs"], dtype="float32")
    inputs = [DATA[f"{key}/input{i}"] for i in range(spec["n_inputs"])]
    call_input = inputs if len(inputs) > 1 else inputs[0]
    shapes = [(None, *a.shape[1:]) for a in inputs]
    expected_shape = tuple(spec["output_shape"])
    assert layer.compute_output_shape(shapes if len(inputs) > 1 else shapes[0]) == expected_shape
    out = layer(call_input)  # builds the layer
    assert len(layer.weights) == spec["n_weights"]
    if spec["n_weights"]:
        layer.set_weights([DATA[f"{key}/weight{i}"] for i in range(spec["n_weights"])])
        out = layer(call_input)
    expected = DATA[f"{key}/output"]
    assert out.shape == expected.shape and out.shape[1:] == expected_shape[1:]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
