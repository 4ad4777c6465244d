"""Saving and loading whole models: one file, written atomically, never unpickled.

``model.save(path)`` writes, and :func:`load_model` reads back, a model's
architecture, weights and (when it was compiled) its training configuration
and optimizer state. ``model.get_config()`` and ``Model.from_config`` /
``Sequential.from_config`` give the architecture alone, as in Keras.

Notes
-----
**File format** ``"layergraph.model"``, version 1: a zip archive written by
:func:`numpy.savez` (an ``.npz``; any file name, e.g. ``model.lg``) holding
only ``.npy`` members of numeric dtype:

- ``__architecture__``: a ``uint8`` array, the UTF-8 JSON ::

      {"format": "layergraph.model", "format_version": 1, "layergraph_version": "0.1.0",
       "model": {"class_name": "Sequential", "config": <model.get_config()>},
       "weights": [{"name": "dense/kernel", "array": "weight_0"}, ...],
       "arrays": {"weight_0": {"shape": [2, 4], "dtype": "<f8", "sha256": "..."}, ...},
       "compile": {"loss": {...}, "metrics": ["accuracy"], "gradient": {...},
                   "optimizer": {"class_name": "Adam", "config": {...}}} or null,
       "optimizer_state": {"iterations": 3, "shuffle_rng": {...}, "slots": [
                           {"weight": 0, "slot": "m", "array": "optimizer_0"}, ...]} or null}

- ``weight_<i>``: the i-th array of ``model.weights`` (the order of
  ``model.get_weights()``);
- ``optimizer_<k>``: optimizer state (momenta, accumulators), each tied by
  ``"slots"`` to the index of its weight in ``model.weights``, never to a name.

Every array's shape, dtype and SHA-256 are recorded in ``"arrays"`` and
checked on loading, and the archive must hold exactly those members: a
truncated, corrupted or edited file is refused with a ``ValueError`` naming
the file, and so is one whose weights do not fit its architecture, one naming
an unknown layer class and one of a newer format version. Arrays are read
with ``allow_pickle=False``.

**Configs.** A layer is saved as ``{"class_name", "config"}`` with its
``get_config()``, and found again by class name among all subclasses of
:class:`~layergraph.framework.layers.Layer` (layergraph's own first) or in
``custom_objects``. A functional model's config lists its layers in creation
order, each with its ``"inbound_nodes"``: one entry per call of the layer in
this model, the list of ``[layer_index, node_index, tensor_index]``
references to the tensors it was called on (indices into ``"layers"``, so
repeated layer names are harmless). Replaying the calls rebuilds the same
graph with the same layer and weight order.

Example
-------
>>> import os, tempfile
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(3, activation="relu", input_shape=(2,)), lg.layers.Dense(1)])
>>> model.compile(optimizer="adam", loss="mse")
>>> path = os.path.join(tempfile.mkdtemp(), "model.lg")
>>> model.save(path)
>>> restored = lg.load_model(path)
>>> bool(np.all(restored.predict(np.ones((4, 2))) == model.predict(np.ones((4, 2)))))
True
>>> restored.evaluate(np.ones((4, 2)), np.ones((4, 1))) == model.evaluate(np.ones((4, 2)), np.ones((4, 1)))
True
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import pkgutil
import zipfile
import zlib

import numpy as np

from .._atomic import atomic_write

FORMAT_NAME = "layergraph.model"
FORMAT_VERSION = 1
ARCHITECTURE_KEY = "__architecture__"


# -- layer classes by name ------------------------------------------------------------
def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _import_layer_modules():
    """Import every module of ``layergraph.framework.layers`` (new layer files included)."""
    from . import layers

    for info in pkgutil.iter_modules(layers.__path__):
        try:
            importlib.import_module(f"{layers.__name__}.{info.name}")
        except Exception:  # a broken module fails loudly where it is used, not here
            pass


def get_layer_class(class_name, custom_objects=None):
    """The :class:`Layer` subclass called ``class_name``.

    Looks in ``custom_objects`` first, then among all imported subclasses of
    ``Layer``, preferring layergraph's own over same-named user classes.

    Raises
    ------
    ValueError
        For an unknown or ambiguous name; the message lists the known classes.
    """
    from . import graph  # noqa: F401  (registers Model and Sequential)
    from .layers.base import Layer

    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    if class_name == "Functional":  # Keras' name for functional models
        class_name = "Model"
    candidates = {c for c in _subclasses(Layer) if c.__name__ == class_name}
    if not candidates:
        _import_layer_modules()
        candidates = {c for c in _subclasses(Layer) if c.__name__ == class_name}
    own = {c for c in candidates if c.__module__.startswith("layergraph.")}
    found = own or candidates
    if len(found) == 1:
        return found.pop()
    if not found:
        known = sorted({c.__name__ for c in _subclasses(Layer) if not c.__name__.startswith("_")})
        raise ValueError(f"Unknown layer class {class_name!r}. Known layer classes: {', '.join(known)}. "
                         f"Pass custom_objects={{{class_name!r}: cls}} for your own classes.")
    modules = sorted(f"{c.__module__}.{c.__qualname__}" for c in found)
    raise ValueError(f"Layer class name {class_name!r} is ambiguous ({', '.join(modules)}); "
                     f"pass custom_objects={{{class_name!r}: cls}}")


def serialize_layer(layer):
    """``{"class_name": ..., "config": layer.get_config()}``."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _revive_initializers(config):
    """Turn serialised initialisers in a layer config into objects.

    ``Initializer.get_config`` lists every attribute, including ones a
    subclass fixes (``GlorotUniform`` has no ``scale`` argument), so only the
    constructor's own parameters are passed on.
    """
    from . import initializers

    out = {}
    for key, value in config.items():
        if isinstance(value, dict) and value.get("class_name") in initializers._BY_CLASS and "config" in value:
            cls = initializers._BY_CLASS[value["class_name"]]
            accepted = inspect.signature(cls.__init__).parameters
            value = cls(**{k: v for k, v in value["config"].items() if k in accepted})
        out[key] = value
    return out


def deserialize_layer(spec, custom_objects=None):
    """Inverse of :func:`serialize_layer` (nested models included)."""
    from .graph import _GraphModel

    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) or not isinstance(spec.get("config"), dict):
        raise ValueError(f"A layer entry must be {{'class_name': str, 'config': dict}}, got {spec!r:.200}")
    cls = get_layer_class(spec["class_name"], custom_objects)
    if isinstance(cls, type) and issubclass(cls, _GraphModel):
        return cls.from_config(spec["config"], custom_objects=custom_objects)
    return cls.from_config(_revive_initializers(spec["config"]))


# -- model configs ----------------------------------------------------------------------
def sequential_config(model):
    """``Sequential.get_config()``: name, layers and (when known) the input shape."""
    return {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": model.dtype,
        "layers": [serialize_layer(layer) for layer in model.layers],
        "build_input_shape": None if model.input_shape is None else list(model.input_shape[1:]),
    }


def sequential_from_config(cls, config, custom_objects=None):
    """``Sequential.from_config``: rebuild the stack (and build it when the input shape is known)."""
    layers = [deserialize_layer(spec, custom_objects) for spec in config["layers"]]
    model = cls(layers, name=config.get("name"))
    shape = config.get("build_input_shape")
    if shape is not None and not model.built:
        if layers:
            model.build((None, *shape))
        else:
            model.input_shape = (None, *shape)
    _restore_model_flags(model, config)
    return model


def _restore_model_flags(model, config):
    model.trainable = config.get("trainable", True)
    if config.get("dtype"):
        model.dtype = np.dtype(config["dtype"]).name


def functional_config(model):
    """``Model.get_config()``: layers in creation order with the calls that connect them."""
    from .layers.core import InputLayer

    layers = sorted(model.layers, key=lambda layer: layer._creation_order)
    layer_index = {id(layer): i for i, layer in enumerate(layers)}
    calls, node_index = {}, {}
    for node in sorted(model._nodes, key=lambda n: n.order):
        own = calls.setdefault(id(node.layer), [])
        node_index[id(node)] = len(own)
        own.append(node)

    def ref(tensor):
        return [layer_index[id(tensor.node.layer)], node_index[id(tensor.node)], tensor.index]

    specs = []
    for layer in layers:
        spec = serialize_layer(layer)
        nodes = [] if isinstance(layer, InputLayer) else calls[id(layer)]
        spec["inbound_nodes"] = [[ref(t) for t in node.inputs] for node in nodes]
        specs.append(spec)
    inputs, outputs = [ref(t) for t in model.inputs], [ref(t) for t in model.outputs]
    return {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": model.dtype,
        "layers": specs,
        "input_layers": inputs if model._multi_input else inputs[0],
        "output_layers": outputs if model._multi_output else outputs[0],
    }


def functional_from_config(cls, config, custom_objects=None):
    """``Model.from_config``: create the layers in order, then replay their calls."""
    from .graph import Input

    specs = config["layers"]
    layers, tensors, calls = [], {}, []
    for i, spec in enumerate(specs):
        if isinstance(spec, dict) and spec.get("class_name") == "InputLayer":
            tensor = Input(**spec["config"])
            tensors[(i, 0, 0)] = tensor
            layers.append(tensor.node.layer)
            calls.append([])
        else:
            layers.append(deserialize_layer(spec, custom_objects))
            calls.append([[tuple(r) for r in node] for node in spec.get("inbound_nodes", [])])
    # A layer's calls run in their saved order; each runs once all its inputs exist.
    done = [0] * len(layers)
    while any(done[i] < len(calls[i]) for i in range(len(layers))):
        progressed = False
        for i, layer in enumerate(layers):
            while done[i] < len(calls[i]) and all(r in tensors for r in calls[i][done[i]]):
                inputs = [tensors[r] for r in calls[i][done[i]]]
                out = layer(inputs if len(inputs) > 1 else inputs[0])
                tensors[(i, done[i], 0)] = out
                done[i] += 1
                progressed = True
        if not progressed:
            stuck = [specs[i]["config"].get("name", i) for i in range(len(layers)) if done[i] < len(calls[i])]
            raise ValueError(f"Model config {config.get('name')!r}: the calls of layers {stuck} refer to tensors "
                             "that no layer produces")

    def lookup(refs):
        if refs and isinstance(refs[0], list):
            return [tensors[tuple(r)] for r in refs]
        return tensors[tuple(refs)]

    try:
        inputs, outputs = lookup(config["input_layers"]), lookup(config["output_layers"])
    except KeyError as err:
        raise ValueError(f"Model config {config.get('name')!r}: input or output {list(err.args[0])} "
                         "is not produced by any layer") from None
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    _restore_model_flags(model, config)
    return model


# -- compile configuration ------------------------------------------------------------------
def _serialize_strategy(strategy):
    from .gradients import NumericGradient

    if hasattr(strategy, "get_config"):
        config = strategy.get_config()
    elif isinstance(strategy, NumericGradient):
        config = {"epsilon": strategy.epsilon, "seed": strategy.seed}
    else:
        config = {}
    return {"class_name": type(strategy).__name__, "config": config}


def _compile_config(trainer):
    from . import losses
    from . import optimizers

    return {
        "loss": losses.serialize(trainer.loss),
        "metrics": [name for name, _ in trainer.metrics],
        "gradient": _serialize_strategy(trainer.gradient),
        "optimizer": optimizers.serialize(trainer.optimizer),
    }


_HINT = ("Pass custom_objects={{{name!r}: ...}} to layergraph.framework.saving.load_model, "
         "or load with compile=False")


def _find_class(kind, spec, builtin, custom_objects):
    name = spec.get("class_name")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in builtin:
        return builtin[name]
    raise ValueError(f"Unknown {kind} class {name!r}. Known: {', '.join(sorted(builtin))}. {_HINT.format(name=name)}")


def _compile_from_config(model, config, custom_objects):
    from . import gradients, losses, metrics, optimizers

    loss_cls = _find_class("loss", config["loss"], {c.__name__: c for c in set(losses._LOSSES.values())},
                           custom_objects)
    loss = loss_cls(**config["loss"]["config"])
    opt_spec = config["optimizer"]
    opt_cls = _find_class("optimizer", opt_spec, {c.__name__: c for c in optimizers._OPTIMIZERS.values()},
                          custom_objects)
    optimizer = opt_cls.from_config(opt_spec["config"])
    strategy_cls = _find_class("gradient strategy", config["gradient"],
                               {c.__name__: c for c in gradients._STRATEGIES.values()}, custom_objects)
    strategy = strategy_cls(**config["gradient"]["config"])
    names = []
    for name in config["metrics"]:
        if custom_objects and name in custom_objects:
            names.append(custom_objects[name])
            continue
        try:
            metrics.get(name)
        except ValueError:
            raise ValueError(f"Unknown metric {name!r}. {_HINT.format(name=name)}") from None
        names.append(name)
    model.compile(optimizer=optimizer, loss=loss, metrics=names, gradient=strategy)


# -- writing ----------------------------------------------------------------------------------
def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} object {obj!r:.80} is not JSON-serialisable")


def _digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _check_shareable(model):
    """Refuse models whose layers or variables are reachable twice (the copy would unshare them)."""
    from .graph import _GraphModel

    seen, count = set(), 0
    stack = [model]
    while stack:
        layer = stack.pop()
        for child in layer.layers:
            if id(child) in seen:
                raise ValueError(f"Cannot save model {model.name!r}: layer {child.name!r} is used both directly and "
                                 "inside a nested model (or in two nested models); a loaded copy could not share it")
            seen.add(id(child))
            if isinstance(child, _GraphModel):
                stack.append(child)
            else:
                count += len(child.weights)
    if count != len(model.weights):
        raise ValueError(f"Cannot save model {model.name!r}: some of its layers share Variable objects")


def _archive_contents(model, include_optimizer):
    """The arrays to write, ``__architecture__`` included; raises before any file is touched."""
    from .. import __version__

    if not model.built:
        raise ValueError(f"Cannot save model {model.name!r}: it is not built yet (give an input shape or call it)")
    _check_shareable(model)
    weights = model.weights
    arrays = {f"weight_{i}": np.ascontiguousarray(w.value) for i, w in enumerate(weights)}
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "layergraph_version": __version__,
        "model": serialize_layer(model),
        "weights": [{"name": w.name, "array": f"weight_{i}"} for i, w in enumerate(weights)],
        "compile": None,
        "optimizer_state": None,
    }
    trainer = getattr(model, "trainer", None)
    if trainer is not None:
        meta["compile"] = _compile_config(trainer)
        if include_optimizer:
            meta["optimizer_state"] = _optimizer_state(model, trainer, arrays)
    meta["arrays"] = {name: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": _digest(a)}
                      for name, a in arrays.items()}
    try:
        text = json.dumps(meta, default=_json_default)
    except (TypeError, ValueError) as err:
        raise ValueError(f"Cannot save model {model.name!r}: its configuration is not JSON-serialisable: {err}") from None
    return {ARCHITECTURE_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}


def _optimizer_state(model, trainer, arrays):
    optimizer = trainer.optimizer
    index = {id(w): i for i, w in enumerate(model.weights)}
    slots = []
    for var, state in getattr(optimizer, "_state", {}).items():
        if id(var) not in index:
            continue
        for slot, value in state.items():
            name = f"optimizer_{len(slots)}"
            arrays[name] = np.ascontiguousarray(value)
            slots.append({"weight": index[id(var)], "slot": slot, "array": name})
    return {"iterations": int(getattr(optimizer, "iterations", 0)), "slots": slots,
            "shuffle_rng": trainer.rng.bit_generator.state}


def _write_archive(fileobj, arrays):
    """Write ``arrays`` as an ``.npz`` zip into the open binary ``fileobj``."""
    np.savez(fileobj, allow_pickle=False, **arrays)


def save_model(model, path, include_optimizer=True):
    """Write ``model`` to ``path`` atomically (see the module docstring for the format).

    The file is written to a temporary file in the same directory, flushed to
    disk, then renamed over ``path``: an interrupted save leaves any previous
    file at ``path`` intact and no temporary file behind.

    Parameters
    ----------
    model : Model or Sequential
        Must be built.
    path : str or os.PathLike
        Used exactly as given (no extension is added).
    include_optimizer : bool
        Also save the optimizer's iteration count and per-weight state and the
        trainer's shuffling state, so that ``fit`` resumes exactly. The
        compile configuration (loss, metrics, gradient strategy, optimizer
        hyper-parameters) is saved whenever the model was compiled.
    """
    path = os.fspath(path)
    arrays = _archive_contents(model, include_optimizer)
    with atomic_write(path, durable=True) as f:
        _write_archive(f, arrays)


# -- reading ----------------------------------------------------------------------------------
class _Reader:
    """Reads and verifies the archive; every problem becomes a ``ValueError`` naming the file."""

    def __init__(self, path):
        self.path = path

    def fail(self, what):
        return ValueError(f"Cannot load model file {self.path!r}: {what}")

    def read(self):
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"No model file at {self.path!r}")
        if not zipfile.is_zipfile(self.path):
            raise self.fail("not a layergraph model (not a zip/.npz archive; the file may be truncated)")
        try:
            with np.load(self.path, allow_pickle=False) as npz:
                return self._read(npz)
        except ValueError as err:
            if str(err).startswith("Cannot load model file"):
                raise
            raise self.fail(f"unreadable archive ({err})") from None
        except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as err:
            raise self.fail(f"corrupted or truncated archive ({type(err).__name__}: {err})") from None

    def _array(self, npz, name):
        try:
            return npz[name]
        except ValueError as err:
            if "pickle" in str(err).lower():
                raise self.fail(f"entry {name!r} holds Python objects; model files never contain pickled data") from None
            raise

    def _read(self, npz):
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise self.fail("a single .npy array, not a model archive")
        if ARCHITECTURE_KEY not in npz.files:
            raise self.fail(f"no {ARCHITECTURE_KEY!r} entry (not a layergraph model file)")
        raw = self._array(npz, ARCHITECTURE_KEY)
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise self.fail(f"{ARCHITECTURE_KEY!r} must be a 1-D uint8 array, got {raw.dtype} of shape {raw.shape}")
        try:
            meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise self.fail(f"the architecture is not valid UTF-8 JSON ({err})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise self.fail(f"not a layergraph model (format {meta.get('format') if isinstance(meta, dict) else None!r})")
        version = meta.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail(f"invalid format version {version!r}")
        if version > FORMAT_VERSION:
            raise self.fail(f"format version {version} was written by a newer layergraph "
                            f"({meta.get('layergraph_version')}); this one reads up to version {FORMAT_VERSION}")
        for key, kind in (("model", dict), ("weights", list), ("arrays", dict)):
            if not isinstance(meta.get(key), kind):
                raise self.fail(f"the architecture has no valid {key!r} entry")
        if not all(isinstance(info, dict) for info in meta["arrays"].values()):
            raise self.fail("the 'arrays' manifest must map names to {shape, dtype, sha256}")
        manifest = meta["arrays"]
        members = set(npz.files) - {ARCHITECTURE_KEY}
        if set(manifest) != members:
            missing, extra = sorted(set(manifest) - members), sorted(members - set(manifest))
            raise self.fail(f"the archive's entries do not match its manifest (missing {missing}, unexpected {extra})")
        arrays = {}
        for name, info in manifest.items():
            a = self._array(npz, name)
            if a.dtype.kind not in "biufc":
                raise self.fail(f"entry {name!r} has non-numeric dtype {a.dtype}")
            if list(a.shape) != info.get("shape") or a.dtype.str != info.get("dtype"):
                raise self.fail(f"entry {name!r} has shape {list(a.shape)} and dtype {a.dtype.str}, the manifest says "
                                f"{info.get('shape')} and {info.get('dtype')}")
            if _digest(a) != info.get("sha256"):
                raise self.fail(f"entry {name!r} does not match its recorded sha256 (the file was modified or corrupted)")
            arrays[name] = a
        return meta, arrays


def load_model(path, custom_objects=None, compile=True):
    """Rebuild a model saved with ``model.save(path)``.

    Parameters
    ----------
    path : str or os.PathLike
    custom_objects : dict, optional
        ``{class_name: class}`` for layers (and losses, optimizers, gradient
        strategies, metric functions) that are not layergraph's own.
    compile : bool
        Compile the model as it was saved (loss, metrics, gradient strategy,
        optimizer with its state), so it can ``evaluate`` and resume ``fit``.

    Returns
    -------
    Model or Sequential
        A new model with the saved weights. On any error nothing is returned.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a layergraph model, is truncated or modified, was
        written by a newer format version, names an unknown class, or holds
        weights that do not fit its architecture. The message names the file.
    """
    path = os.fspath(path)
    reader = _Reader(path)
    meta, arrays = reader.read()
    try:
        model = deserialize_layer(meta["model"], custom_objects)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
        raise reader.fail(f"cannot rebuild the architecture: {type(err).__name__}: {err}") from err
    weights = model.weights
    entries = meta["weights"]
    if len(entries) != len(weights):
        raise reader.fail(f"it holds {len(entries)} weight arrays but its architecture has {len(weights)} weights")
    values = []
    for i, (w, entry) in enumerate(zip(weights, entries)):
        value = arrays.get(entry.get("array") if isinstance(entry, dict) else None)
        if value is None:
            raise reader.fail(f"weight {i} refers to a missing array {entry!r}")
        if value.shape != w.shape:
            raise reader.fail(f"weight {i} ({w.name}) has shape {w.shape} in the architecture but {value.shape} in the file")
        values.append(value)
    for w, value in zip(weights, values):
        w.value[...] = value
    if compile and meta.get("compile"):
        try:
            _compile_from_config(model, meta["compile"], custom_objects)
        except (ValueError, TypeError, KeyError) as err:
            raise reader.fail(f"cannot restore the training configuration: {err}") from err
        if meta.get("optimizer_state"):
            _restore_optimizer_state(reader, model, meta["optimizer_state"], arrays)
    return model


def _restore_optimizer_state(reader, model, state, arrays):
    trainer = model.trainer
    optimizer, weights = trainer.optimizer, model.weights
    try:
        slots = {}
        for entry in state["slots"]:
            i, slot, value = entry["weight"], entry["slot"], arrays[entry["array"]]
            if not (isinstance(i, int) and 0 <= i < len(weights)):
                raise ValueError(f"optimizer state refers to weight {i!r}; the model has {len(weights)}")
            if value.shape != weights[i].shape:
                raise ValueError(f"optimizer state {slot!r} of weight {i} has shape {value.shape}, "
                                 f"the weight {weights[i].shape}")
            slots.setdefault(weights[i], {})[slot] = value.astype(weights[i].dtype)
        if slots and not hasattr(optimizer, "_state"):
            raise ValueError(f"{type(optimizer).__name__} keeps no per-weight state")
        rng_state = state.get("shuffle_rng")
        if rng_state is not None:
            trainer.rng.bit_generator.state = rng_state
        optimizer.iterations = int(state.get("iterations", 0))
    except (ValueError, TypeError, KeyError) as err:
        raise reader.fail(f"cannot restore the optimizer state: {err}") from err
    if slots:
        optimizer._state.update(slots)
