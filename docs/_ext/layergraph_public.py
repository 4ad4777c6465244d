"""What is public in layergraph, and what its reference shows: no Sphinx needed.

Used by the ``lg-namespace`` directive (:mod:`layergraph_api`) to write the
reference and by ``tests/test_api_reference.py`` to check it, so both read
the same rules:

- :data:`NAMESPACES`, in order: the public namespaces. The first namespace
  that exports an object documents it in full; the others point there.
- :func:`public_entries`: a namespace's names (``__all__``, else the
  classes and functions it defines), sub-namespaces left out.
- :func:`own_members` / :func:`inherited_members`: what a class entry shows.
  :data:`HIDDEN_MEMBERS` (the framework's fast paths and the trainer's
  helpers) never appears; an override of a member that a documented base
  class defines is documented once, on the base (the ``Layer`` contract).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import sys
import types
from functools import lru_cache

#: The public namespaces, in the order that decides where an object exported
#: by several of them is documented in full (the first one).
NAMESPACES = [
    "layergraph", "layergraph.layers", "layergraph.losses", "layergraph.metrics",
    "layergraph.optimizers.schedules", "layergraph.optimizers", "layergraph.callbacks", "layergraph.gradients",
    "layergraph.initializers", "layergraph.regularizers", "layergraph.activations", "layergraph.ops",
    "layergraph.models", "layergraph.models.gates", "layergraph.models.xor", "layergraph.models.mnist",
    "layergraph.models.mnist_as_written", "layergraph.models.optimizer_comparison",
    "layergraph.datasets", "layergraph.datasets.logic", "layergraph.datasets.mnist", "layergraph.datasets.batching",
    "layergraph.datasets.tfds_source", "layergraph.utils", "layergraph.plot",
]

#: Sections of a namespace by the module that defines each name (its last
#: component; ``""`` for constants). Modules not named get a section titled
#: by the first words of their docstring.
GROUPS = {
    "layergraph.layers": [
        ("The layer contract", ["base"]), ("Core layers", ["core"]),
        ("Convolution layers", ["convolutional", "convolutional1d", "convolutional_transpose"]),
        ("Pooling layers", ["pooling", "pooling1d", "global_pooling"]), ("Recurrent layers", ["recurrent"]),
        ("Merging layers", ["merge"]), ("Normalization layers", ["normalization"]),
        ("Regularization layers", ["regularization"]), ("Reshaping layers", ["reshaping"]),
        ("Preprocessing layers", ["preprocessing"]), ("Activation layers", ["activation"]),
        ("Embedding", ["embedding"]), ("Serialization", ["serialization", ""]),
    ],
}

#: Packages whose modules are not namespaces of the user reference: the
#: implementation (documented for contributors on the internals page) and
#: the command line (documented from its argument parser).
NOT_NAMESPACES = ("layergraph.framework", "layergraph.cli", "layergraph.__main__")

#: Members never shown in the user reference: fast paths and helpers the
#: framework calls, not part of what a user or a layer author writes.
HIDDEN_MEMBERS = frozenset({
    # the fused-activation fast path of built-in layers
    "forward_preactivation", "backward_preactivation", "owns_preactivation", "can_skip_input_grad",
    "forward_inplace",
    # what the trainer and the strategies call on a model
    "arrays_for_forward", "build_from_inputs", "forward_inference", "layer_output_sizes", "input_dtypes",
    # the optimizer's undo buffers (the trainer's snapshot)
    "state_arrays", "state_layout",
})

#: Special members documented where a class defines them with a docstring.
SPECIAL_MEMBERS = ("__call__",)


def resolve_module(name):
    """The module object of a dotted namespace, also when it is only an attribute.

    ``layergraph.optimizers.schedules`` may be a submodule or a module
    object re-exported as an attribute of ``layergraph.optimizers``.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        parent, _, attr = name.rpartition(".")
        module = getattr(resolve_module(parent), attr, None) if parent else None
        if not isinstance(module, types.ModuleType):
            raise
        return module


def public_names(module):
    """The names a namespace exports: ``__all__``, else its own public classes and functions."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, obj in vars(module).items()
                 if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
                 and getattr(obj, "__module__", None) == module.__name__]
    return [name for name in names if not (name.startswith("__") and name.endswith("__"))]


def kind_of(obj):
    """``"module"``, ``"class"``, ``"function"`` or ``"data"``."""
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj):
        return "function"
    return "data"


def public_entries(namespace):
    """``[(name, object, kind)]`` of a namespace, sub-namespaces (modules) left out."""
    module = resolve_module(namespace)
    out = []
    for name in public_names(module):
        obj = getattr(module, name)
        kind = kind_of(obj)
        if kind != "module":
            out.append((name, obj, kind))
    return out


def primary_names(namespaces=None):
    """``{id(object): "namespace.name"}``: where each class and function is documented in full."""
    return dict(_primary_names(tuple(NAMESPACES if namespaces is None else namespaces)))


@lru_cache(maxsize=4)
def _primary_names(namespaces):
    primary = {}
    for namespace in namespaces:
        for name, obj, kind in public_entries(namespace):
            if kind in ("class", "function"):
                primary.setdefault(id(obj), f"{namespace}.{name}")
    return tuple(primary.items())


def discovered_modules():
    """Every importable public module of the package (no underscore in its path), outside :data:`NOT_NAMESPACES`."""
    import pkgutil

    import layergraph

    names = ["layergraph"]
    for info in pkgutil.walk_packages(layergraph.__path__, "layergraph."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name.startswith(NOT_NAMESPACES):
            continue
        names.append(info.name)
    return names


# -- comments on constants and class attributes ---------------------------------------

@lru_cache(maxsize=None)
def _attribute_comments(module_name):
    """``{(class qualname or "", name): [lines]}`` from the ``#:`` comments of a module's source."""
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    out = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}." if prefix else f"{node.name}.")
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AnnAssign) else []
            comment, i = [], node.lineno - 2
            while i >= 0 and lines[i].strip().startswith("#:"):
                comment.insert(0, lines[i].strip()[2:].strip())
                i -= 1
            if not comment:
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    out[(prefix.rstrip("."), target.id)] = comment

    visit(ast.parse(source).body, "")
    return out


def data_doc(namespace, name):
    """The ``#:`` comment of a constant, read in the module that defines it (followed through re-exports)."""
    module = resolve_module(namespace)
    obj = getattr(module, name)
    candidates = [module.__name__] + [m.__name__ for m in list(sys.modules.values())
                                      if getattr(m, "__name__", "").startswith("layergraph")
                                      and m is not module and getattr(m, name, _MISSING) is obj]
    for candidate in candidates:
        doc = _attribute_comments(candidate).get(("", name))
        if doc:
            return list(doc)
    return []


_MISSING = object()


def attribute_doc(cls, name):
    """The ``#:`` comment above a class attribute, if any."""
    return list(_attribute_comments(cls.__module__).get((cls.__qualname__, name), []))


# -- what a class entry shows ---------------------------------------------------------------

def public_bases(cls, primary):
    """Classes in ``cls``'s MRO (itself excluded) that the reference documents."""
    return [base for base in cls.__mro__[1:] if id(base) in primary]


def _is_plain_data(value):
    return not (inspect.isroutine(value) or isinstance(value, (property, classmethod, staticmethod)))


def own_members(cls, primary):
    """Member names documented on ``cls``'s entry, in definition order.

    Public attributes ``cls`` defines itself, less :data:`HIDDEN_MEMBERS`,
    less the ones a documented base class defines too (an override of a
    documented hook is documented once, on the base), and less plain class
    attributes without a ``#:`` comment (dataclass fields and settings: the
    class docstring's Attributes section describes them).
    """
    bases = public_bases(cls, primary)
    names = []
    for name, value in vars(cls).items():
        if (name.startswith("_") and name not in SPECIAL_MEMBERS) or name in HIDDEN_MEMBERS:
            continue
        if any(name in vars(base) for base in bases):
            continue
        if _is_plain_data(value) and not attribute_doc(cls, name):
            continue
        if name in SPECIAL_MEMBERS and not (getattr(value, "__doc__", None) or "").strip():
            continue
        names.append(name)
    return names


def inherited_members(cls, primary):
    """``[(base, [names])]``: the public members ``cls`` takes from documented bases, by base."""
    shown = set(vars(cls))
    out = []
    for base in public_bases(cls, primary):
        names = [name for name in own_members(base, primary) if name not in shown and not name.startswith("_")]
        shown.update(names)
        if names:
            out.append((base, names))
    return out


def member_doc(cls, name):
    """The docstring of a member as ``cls`` defines it (a property's getter's)."""
    value = vars(cls)[name]
    if isinstance(value, property):
        value = value.fget
    elif isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    if _is_plain_data(value):
        return "\n".join(attribute_doc(cls, name))
    return inspect.cleandoc(value.__doc__ or "")
