"""The public namespaces export what they list, and only that."""
import importlib

import pytest

MODULES = ["layergraph", "layergraph.activations", "layergraph.callbacks", "layergraph.gradients",
           "layergraph.layers", "layergraph.losses", "layergraph.metrics", "layergraph.ops", "layergraph.optimizers",
           "layergraph.regularizers", "layergraph.utils", "layergraph.models", "layergraph.datasets",
           "layergraph.optimizers.schedules"]


@pytest.mark.parametrize("name", MODULES)
def test_public_module_lists_its_names_and_leaks_no_imports(name):
    module = importlib.import_module(name)
    assert isinstance(module.__all__, (list, tuple)) and module.__all__
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.__all__ lists {public!r}, which it does not define"
    for leaked in ("np", "math", "numpy", "annotations"):
        assert leaked not in module.__all__ and not hasattr(module, leaked), f"{name}.{leaked} leaks an import"
