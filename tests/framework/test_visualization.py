"""model_to_dot (no dependency) and plot_model (pydot + Graphviz, with a clear error without them)."""
import sys

import pytest

import layergraph as lg
from layergraph import layers, utils


def _shared_model():
    x = lg.Input(shape=(3,), name="x")
    shared = layers.Dense(2, activation="relu", name="shared")
    y = layers.Add(name="add")([shared(x), shared(layers.Dense(3, name="pre")(x))])
    return lg.Model(x, layers.Dense(1, activation="sigmoid", name="out", trainable=False)(y), name="m")


def _ids(dot):
    return {label.split("\n")[0]: node_id for node_id, label in dot.nodes}


def test_functional_graph_nodes_and_edges():
    dot = utils.model_to_dot(_shared_model())
    ids = _ids(dot)
    assert sorted(ids) == ["add (Add)", "out (Dense)", "pre (Dense)", "shared (Dense)", "x (InputLayer)"]
    named = {(a, b) for a, b in dot.edges}
    expected = {("x (InputLayer)", "shared (Dense)"), ("x (InputLayer)", "pre (Dense)"),
                ("pre (Dense)", "shared (Dense)"), ("shared (Dense)", "add (Add)"), ("add (Add)", "out (Dense)")}
    assert named == {(ids[a], ids[b]) for a, b in expected}  # the shared layer: one node, an edge per call
    text = dot.to_string()
    assert text.startswith('digraph "m" {\nrankdir="TB";') and text.rstrip().endswith("}")
    assert text.count(" -> ") == 5


def test_labels():
    dot = utils.model_to_dot(_shared_model(), show_shapes=True, show_dtype=True, show_layer_activations=True,
                             show_trainable=True, show_layer_names=False, rankdir="LR")
    labels = dict((label.split("\n")[0] + str(i), label) for i, (_, label) in enumerate(dot.nodes))
    out = [label for label in labels.values() if "sigmoid" in label][0]
    assert out == ("Dense\nInput shape: (None, 2)\nOutput shape: (None, 1)\ndtype: float64\nActivation: sigmoid\n"
                   "Trainable: no")
    add = [label for label in labels.values() if label.startswith("Add")][0]
    assert add.splitlines()[1] == "Input shape: [(None, 2), (None, 2)]"
    assert 'rankdir="LR"' in dot.to_string()


def test_sequential_and_nested_expansion():
    inner = lg.Sequential([lg.Input(shape=(4,), name="inner_in"), layers.Dense(2, name="inner_dense")], name="inner")
    model = lg.Sequential([lg.Input(shape=(4,), name="in"), inner, layers.Dense(1, name="last")], name="outer")
    flat = utils.model_to_dot(model)
    assert [label for _, label in flat.nodes] == ["in (InputLayer)", "inner (Sequential)", "last (Dense)"]
    assert len(flat.edges) == 2
    expanded = utils.model_to_dot(model, expand_nested=True)
    ids = _ids(expanded)
    assert sorted(ids) == ["in (InputLayer)", "inner_dense (Dense)", "inner_in (InputLayer)", "last (Dense)"]
    assert set(expanded.edges) == {(ids["in (InputLayer)"], ids["inner_in (InputLayer)"]),
                                   (ids["inner_in (InputLayer)"], ids["inner_dense (Dense)"]),
                                   (ids["inner_dense (Dense)"], ids["last (Dense)"])}
    assert 'subgraph "cluster_' in expanded.to_string()


def test_plot_model_writes_dot_without_dependencies_and_names_the_extra_otherwise(tmp_path, monkeypatch):
    model = _shared_model()
    utils.plot_model(model, to_file=tmp_path / "model.dot", show_shapes=True)
    assert (tmp_path / "model.dot").read_text() == utils.model_to_dot(model, show_shapes=True,
                                                                      show_layer_names=False).to_string()
    monkeypatch.setitem(sys.modules, "pydot", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r'plot_model needs pydot and Graphviz: pip install '
                                          r'"layergraph\[plot_model\]"'):
        utils.plot_model(model, to_file=tmp_path / "model.png")


def test_errors():
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR', got 'BT'"):
        utils.model_to_dot(_shared_model(), rankdir="BT")
    with pytest.raises(ValueError, match="is not built yet"):
        utils.model_to_dot(lg.Sequential([layers.Dense(1)]))
    with pytest.raises(ValueError, match=r"unrecognized keyword arguments \['layer_range'\]"):
        utils.model_to_dot(_shared_model(), layer_range=["a", "b"])
