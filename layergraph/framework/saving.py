"""Saving and loading whole models: one file, written atomically, never unpickled.

``model.save(path)`` writes, and :func:`load_model` reads back, a model's
architecture, weights and (when it was compiled) its training configuration
and optimizer state. ``model.get_config()`` and ``Model.from_config`` /
``Sequential.from_config`` give the architecture alone, as in Keras.

Notes
-----
**File format** ``"layergraph.model"``, version 2: a zip archive written by
:func:`numpy.savez` (an ``.npz``; any file name, e.g. ``model.lg``) holding
only ``.npy`` members of plain numeric dtype:

- ``__architecture__``: a ``uint8`` array, the UTF-8 JSON ::

      {"format": "layergraph.model", "format_version": 2, "layergraph_version": "0.1.0",
       "model": {"class_name": "Sequential", "config": <model.get_config()>},
       "weights": [{"name": "dense/kernel", "array": "weight_0"}, ...],
       "arrays": {"weight_0": {"shape": [2, 4], "dtype": "<f8", "sha256": "..."}, ...},
       "compile": {"loss": {...}, "metrics": ["accuracy"], "gradient": {...},
                   "optimizer": {"class_name": "Adam", "config": {...}}} or null,
       "optimizer_state": {"iterations": 3, "shuffle_rng": {...}, "slots": [
                           {"weight": 0, "slot": "m", "array": "optimizer_0"}, ...]} or null}

- ``__checksum__``: a ``uint8`` array, the hexadecimal SHA-256 of the
  JSON's bytes. The JSON records the SHA-256 of every array, so this one
  digest covers everything that is loaded;
- ``weight_<i>``: the i-th array of ``model.weights`` (the order of
  ``model.get_weights()``);
- ``optimizer_<k>``: optimizer state (momenta, accumulators), each tied by
  ``"slots"`` to the index of its weight in ``model.weights``, never to a name.

**Reading** treats the file as untrusted bytes, and only ``ValueError``
(naming the file) comes out for any content. The zip directory is checked
first (see :mod:`~layergraph.framework.archive`: no encrypted or oddly
compressed members, no repeated names, no member that would inflate beyond
a bound set by the file's size); then the JSON (at most
:data:`MAX_JSON_BYTES`, nested at most :data:`MAX_JSON_DEPTH` deep) and its
checksum; then every array's header, shape and dtype against the manifest,
before the array is allocated, and its SHA-256. The architecture is then
built creating only weights of the shapes the file stores (each as often as
it is stored), so an edited layer size is refused before anything is
allocated; finally every weight's shape and dtype must equal its stored
array's, in order. A truncated,
corrupted or edited file is refused, and so is one naming an unknown layer
class, one of a newer format version, and one whose compile configuration
or optimizer state does not fit. Arrays are never unpickled.

Files of format version 1 (written before the checksum existed) are still
read, with every check above except the JSON's checksum: their JSON is
protected only by zip's CRC-32, which catches corruption but not edits.

**Configs.** Each class serialises its own state: a layer (or model) is
saved as ``{"class_name", "config"}`` with its ``get_config()`` and found
again by class name in the registry every layer class joins when it is
defined (layergraph's own first), or in ``custom_objects`` / a
``custom_object_scope``. A functional model's config lists its layers in
creation order, each with its ``"inbound_nodes"``: one entry per call of the
layer in this model, the list of ``[layer_index, node_index, tensor_index]``
references to the tensors it was called on (indices into ``"layers"``, so
repeated layer names are harmless). Replaying the calls rebuilds the same
graph with the same layer and weight order. The compile configuration comes
from ``model.get_compile_config()`` and the optimizer and shuffling state
from the trainer's ``get_state()``; this module only packs them.

**Weights files** (``model.save_weights``): the same container, format
``"layergraph.weights"``, holding the weights (and their names and shapes,
checked on loading), the checksum and, when the model is compiled, its
training state (``"optimizer_state"`` as above, plus the optimizer's class
and learning rate), as Keras 3's weights files carry the optimizer's
variables: ``model.load_weights`` into a model compiled with the same
optimizer class restores it, so that ``fit`` resumes exactly (what
:class:`~layergraph.callbacks.BackupAndRestore` relies on).

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
import json
import math
import os
import warnings
import zipfile

import numpy as np

from .._atomic import atomic_write
from .._version import __version__
from . import archive as archive_module
from . import gradients as gradients_module
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .full_batch import ScipyOptimizer  # noqa: F401  (registers the class for deserialisation)
from .layers import serialization
from .naming import custom_object_scope
from .variables import stored_weight_shapes

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "serialize_model", "model_from_json",
           "compile_from_config", "FORMAT_NAME", "WEIGHTS_FORMAT_NAME", "FORMAT_VERSION", "MAX_JSON_BYTES",
           "MAX_JSON_DEPTH"]

FORMAT_NAME = "layergraph.model"
WEIGHTS_FORMAT_NAME = "layergraph.weights"
FORMAT_VERSION = 2
ARCHITECTURE_KEY = "__architecture__"
CHECKSUM_KEY = "__checksum__"

#: The largest architecture JSON read (a model of thousands of layers takes a few megabytes).
MAX_JSON_BYTES = 16 * 2**20

#: The deepest nesting of lists and dicts accepted in the JSON (a model nested ten deep needs about 50).
MAX_JSON_DEPTH = 100

_SHA256_HEX = frozenset("0123456789abcdef")


def serialize_model(model):
    """``{"class_name": ..., "config": model.get_config()}``: the architecture alone."""
    try:
        return serialization.serialize(model)
    except NotImplementedError as err:
        raise ValueError(str(err)) from None


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from :meth:`Model.to_json <layergraph.Model.to_json>`'s string.

    Parameters
    ----------
    json_string : str
        What ``model.to_json()`` returned.
    custom_objects : dict, optional
        ``{name: class}`` for classes that are not layergraph's own.

    Example
    -------
    >>> import layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(2, input_shape=(3,))])
    >>> lg.models.model_from_json(model.to_json()).count_params()
    8
    """
    try:
        spec = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"model_from_json: not a JSON model description ({err})") from None
    except RecursionError:  # the parser's own limit, far deeper than MAX_JSON_DEPTH
        spec = None
    if spec is None or _json_depth(spec) > MAX_JSON_DEPTH:
        raise ValueError(f"model_from_json: the JSON is nested more than {MAX_JSON_DEPTH} deep")
    return serialization.deserialize(spec, custom_objects)


def compile_from_config(model, config, custom_objects=None):
    """Compile ``model`` as ``model.get_compile_config()`` described it (user classes via ``custom_objects``)."""
    with custom_object_scope(custom_objects or {}):
        specs = config["loss"] if isinstance(config["loss"], list) else [config["loss"]]
        loss = [losses_module.deserialize(spec) for spec in specs]
        optimizer = optimizers_module.deserialize(config["optimizer"])
        gradient = gradients_module.deserialize(config["gradient"])
        metrics = _metrics_from_config(config.get("metrics"), custom_objects or {})
        model.compile(optimizer=optimizer, loss=loss[0] if len(loss) == 1 else loss,
                      loss_weights=config.get("loss_weights"), metrics=metrics, gradient=gradient,
                      seed=config.get("seed"))


def _metrics_from_config(config, custom_objects):
    def one(entry):
        if isinstance(entry, str):
            if entry in custom_objects:
                return custom_objects[entry]
            metrics_module.get(entry)  # raises for an unknown name
            return entry
        return metrics_module.deserialize(entry, custom_objects)

    if config is None:
        return None
    if isinstance(config, dict):
        return {k: [one(e) for e in v] for k, v in config.items()}
    return [[one(e) for e in m] if isinstance(m, list) else None if m is None else one(m) for m in config]


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
    """Refuse models whose layers or variables are reachable twice (a loaded copy would unshare them)."""
    seen, count = set(), 0
    stack = [model]
    while stack:
        layer = stack.pop()
        count += len(layer._weights)
        for child in layer.layers:
            if id(child) in seen:
                raise ValueError(f"Cannot save model {model.name!r}: layer {child.name!r} is used both directly and "
                                 "inside a nested model (or in two nested models); a loaded copy could not share it")
            seen.add(id(child))
            stack.append(child)
    if count != len(model.weights):
        raise ValueError(f"Cannot save model {model.name!r}: some of its layers share Variable objects")


def _pack(meta, arrays):
    """The archive's members: the JSON (with a manifest of every array) and the arrays."""
    meta["arrays"] = {name: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": _digest(a)}
                      for name, a in arrays.items()}
    try:
        text = json.dumps(meta, default=_json_default).encode("utf-8")
    except (TypeError, ValueError) as err:
        raise ValueError(f"Cannot save: the configuration is not JSON-serialisable: {err}") from None
    checksum = hashlib.sha256(text).hexdigest().encode("ascii")
    return {ARCHITECTURE_KEY: np.frombuffer(text, dtype=np.uint8),
            CHECKSUM_KEY: np.frombuffer(checksum, dtype=np.uint8), **arrays}


def _weight_arrays(model):
    weights = model.weights
    arrays = {f"weight_{i}": np.ascontiguousarray(w.value) for i, w in enumerate(weights)}
    entries = [{"name": w.name, "array": f"weight_{i}"} for i, w in enumerate(weights)]
    return arrays, entries


def _archive_contents(model, include_optimizer):
    """The arrays to write, ``__architecture__`` included; raises before any file is touched."""
    if not model.built:
        raise ValueError(f"Cannot save model {model.name!r}: it is not built yet (give an input shape or call it)")
    _check_shareable(model)
    arrays, entries = _weight_arrays(model)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "layergraph_version": __version__,
        "model": serialize_model(model),
        "weights": entries,
        "compile": model.get_compile_config(),
        "optimizer_state": None,
        "build_config": model.get_build_config(),  # a subclassed model is built from it before its weights load
    }
    if meta["compile"] is not None and include_optimizer:
        meta["optimizer_state"] = _training_state(model, arrays)
    return _pack(meta, arrays)


def _training_state(model, arrays):
    """The trainer's state as JSON, its arrays moved into ``arrays`` (``optimizer_<k>``)."""
    state = model.trainer.get_state()
    slots = []
    for index, slot, value in state["optimizer"]["slots"]:
        name = f"optimizer_{len(slots)}"
        arrays[name] = np.ascontiguousarray(value)
        slots.append({"weight": index, "slot": slot, "array": name})
    optimizer = model.trainer.optimizer
    lr = optimizer.learning_rate if isinstance(optimizer, optimizers_module.Optimizer) else None  # not scipy's
    return {"iterations": state["optimizer"]["iterations"], "slots": slots, "shuffle_rng": state["shuffle_rng"],
            "optimizer_class": type(optimizer).__name__,
            "learning_rate": float(lr) if isinstance(lr, (int, float, np.floating)) else None}


def _write_archive(fileobj, members):
    """Write ``members`` as an ``.npz`` zip into the open binary ``fileobj``."""
    archive_module.write(fileobj, members)


def _write(path, members, overwrite):
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise ValueError(f"{path!r} exists and overwrite=False")
    with atomic_write(path, durable=True) as f:
        _write_archive(f, members)


def save_model(model, path, overwrite=True, include_optimizer=True):
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
    overwrite : bool
        When false, an existing file is an error.
    include_optimizer : bool
        Also save the optimizer's iteration count and per-weight state and the
        trainer's shuffling state, so that ``fit`` resumes exactly. The
        compile configuration (loss, metrics, gradient strategy, optimizer
        hyper-parameters) is saved whenever the model was compiled.
    """
    _write(path, _archive_contents(model, include_optimizer), overwrite)


def save_weights(model, path, overwrite=True):
    """Write ``model.weights`` (values, names, shapes) to ``path`` atomically; see :func:`load_weights`.

    When the model is compiled, its training state (optimizer state, step
    count, learning rate, shuffling state) is written too, as Keras 3 does.
    """
    if not model.built:
        raise ValueError(f"Cannot save the weights of model {model.name!r}: it is not built yet")
    arrays, entries = _weight_arrays(model)
    meta = {"format": WEIGHTS_FORMAT_NAME, "format_version": FORMAT_VERSION, "layergraph_version": __version__,
            "weights": entries, "optimizer_state": None}
    if model.trainer is not None:
        meta["optimizer_state"] = _training_state(model, arrays)
    _write(path, _pack(meta, arrays), overwrite)


# -- reading ----------------------------------------------------------------------------------
class _Reader:
    """Reads and verifies the archive; every problem becomes a ``ValueError`` naming the file."""

    def __init__(self, path):
        self.path = path

    def fail(self, what):
        return ValueError(f"Cannot load model file {self.path!r}: {what}")

    def read(self):
        """``(meta, arrays)``: the verified JSON and every array of the manifest."""
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"No model file at {self.path!r}")
        if not zipfile.is_zipfile(self.path):
            raise self.fail("not a layergraph model (not a zip/.npz archive; the file may be truncated)")
        try:
            with archive_module.Archive(self.path) as archive:
                return self._read(archive)
        except ValueError as err:
            if str(err).startswith("Cannot load model file"):
                raise
            raise self.fail(str(err)) from None

    def _read(self, archive):
        if ARCHITECTURE_KEY not in archive.names:
            raise self.fail(f"no {ARCHITECTURE_KEY!r} entry (not a layergraph model file)")
        raw = archive.read(ARCHITECTURE_KEY, dtype=np.uint8, max_bytes=MAX_JSON_BYTES)
        if raw.ndim != 1:
            raise self.fail(f"{ARCHITECTURE_KEY!r} must be a 1-D uint8 array, got shape {raw.shape}")
        text = raw.tobytes()
        checked = CHECKSUM_KEY in archive.names
        if checked:  # before the JSON is parsed: edited or corrupted text is never interpreted
            self._check_checksum(archive, text)
        meta = self._json(text)
        if not isinstance(meta, dict) or meta.get("format") not in (FORMAT_NAME, WEIGHTS_FORMAT_NAME):
            found = meta.get("format") if isinstance(meta, dict) else None
            raise self.fail(f"not a layergraph model (format {found!r:.80})")
        version = meta.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail(f"invalid format version {version!r:.80}")
        if version > FORMAT_VERSION:
            raise self.fail(f"format version {version} was written by a newer layergraph "
                            f"({meta.get('layergraph_version')!s:.40}); this one reads up to version {FORMAT_VERSION}")
        if version >= 2 and not checked:  # version 1 had no checksum of the JSON (see the module docstring)
            raise self.fail(f"no {CHECKSUM_KEY!r} entry (a file of format version {version} always has one)")
        expected = {ARCHITECTURE_KEY, CHECKSUM_KEY} if checked else {ARCHITECTURE_KEY}
        required = (("weights", list), ("arrays", dict)) + ((("model", dict),) if meta["format"] == FORMAT_NAME else ())
        for key, kind in required:
            if not isinstance(meta.get(key), kind):
                raise self.fail(f"the architecture has no valid {key!r} entry")
        manifest = {name: self._manifest_entry(name, info) for name, info in meta["arrays"].items()}
        members = set(archive.names) - expected
        if set(manifest) != members or not expected <= set(archive.names):
            missing = sorted((set(manifest) | expected) - set(archive.names))
            extra = sorted(members - set(manifest))
            raise self.fail(f"the archive's entries do not match its manifest (missing {missing}, unexpected {extra})")
        arrays = {}
        for name, (shape, dtype, digest) in manifest.items():
            a = archive.read(name, shape=shape, dtype=dtype)
            if _digest(a) != digest:
                raise self.fail(f"entry {name!r} does not match its recorded sha256 "
                                "(the file was modified or corrupted)")
            arrays[name] = a
        return meta, arrays

    def _json(self, text):
        try:
            meta = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise self.fail(f"the architecture is not valid UTF-8 JSON ({err})") from None
        except RecursionError:  # the parser's own limit, far deeper than MAX_JSON_DEPTH
            meta = None
        if meta is None or _json_depth(meta) > MAX_JSON_DEPTH:
            raise self.fail(f"the architecture JSON is nested more than {MAX_JSON_DEPTH} deep")
        return meta

    def _check_checksum(self, archive, text):
        stored = archive.read(CHECKSUM_KEY, shape=(64,), dtype=np.uint8).tobytes()
        if stored != hashlib.sha256(text).hexdigest().encode("ascii"):
            raise self.fail("the architecture does not match its recorded sha256 (the file was modified or corrupted)")

    def _manifest_entry(self, name, info):
        """``(shape, dtype, sha256)`` of one manifest entry, checked before any array is read."""
        shape = info.get("shape") if isinstance(info, dict) else None
        dtype = archive_module.plain_numeric_dtype(info.get("dtype")) if isinstance(info, dict) \
            and isinstance(info.get("dtype"), str) else None
        digest = info.get("sha256") if isinstance(info, dict) else None
        if not (isinstance(shape, list) and len(shape) <= 32
                and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)) \
                or dtype is None or not (isinstance(digest, str) and len(digest) == 64 and set(digest) <= _SHA256_HEX):
            raise self.fail(f"the manifest entry of {name!r:.80} must be {{shape: [non-negative ints], dtype: a plain "
                            f"numeric type, sha256: 64 hex digits}}, got {info!r:.200}")
        return tuple(shape), dtype, digest


def _json_depth(value):
    """How deeply lists and dicts nest in ``value`` (a scalar: 0), without recursion."""
    depth, stack = 0, [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack and depth <= MAX_JSON_DEPTH:
        item, level = stack.pop()
        depth = max(depth, level)
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
    return depth


def _weight_entries(reader, meta, arrays):
    """The stored array of each entry of ``meta["weights"]``, in order (names checked, nothing built yet)."""
    values = []
    for i, entry in enumerate(meta["weights"]):
        name = entry.get("array") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name not in arrays:
            raise reader.fail(f"weight {i} refers to a missing array {entry!r:.80}")
        values.append(arrays[name])
    return values


def _read_weights(reader, values, weights, where="its architecture", exact_dtype=True):
    """Check the stored ``values`` against ``weights``: count, shapes and dtypes (nothing assigned yet)."""
    if len(values) != len(weights):
        raise reader.fail(f"it holds {len(values)} weight arrays but {where} has {len(weights)} weights")
    place = "the architecture" if where == "its architecture" else where
    for i, (w, value) in enumerate(zip(weights, values, strict=True)):
        if value.shape != w.shape:
            raise reader.fail(f"weight {i} ({w.name}) has shape {w.shape} in {place} but {value.shape} in the file")
        # The file's own architecture names the dtype its arrays were saved in: anything else is an edit.
        # Weights loaded into another model may change precision, never kind (no integers into floats).
        if value.dtype != w.dtype if exact_dtype else value.dtype.kind != w.dtype.kind:
            raise reader.fail(f"weight {i} ({w.name}) is {w.dtype} in {place} but {value.dtype} in the file")
    return values


def _optimizer_slots(reader, state, arrays):
    """``[(weight index, slot name, array)]`` from the JSON's ``"optimizer_state"``.

    The values themselves are checked by the optimizer's ``set_state``.
    """
    entries = state.get("slots") if isinstance(state, dict) else None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("slot"), str) and isinstance(e.get("array"), str)
            and e["array"] in arrays for e in entries):
        raise reader.fail(f"cannot restore the optimizer state: it must be {{'iterations', 'slots': [{{'weight', "
                          f"'slot', 'array'}}, ...]}} naming stored arrays, got {state!r:.200}")
    return [(e.get("weight"), e["slot"], arrays[e["array"]]) for e in entries]


def load_model(path, custom_objects=None, compile=True):
    """Rebuild a model saved with ``model.save(path)``.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by ``model.save(path)``.
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
        If ``path`` is not a file (other ``OSError`` if it cannot be read).
    ValueError
        For any content that does not load as a whole: not a layergraph
        model, truncated, corrupted or edited, written by a newer format
        version, naming an unknown class, or holding weights that do not fit
        its architecture (see the module docstring for every check). The
        message names the file. No other exception comes out of the file's
        bytes.
    """
    path = os.fspath(path)
    reader = _Reader(path)
    meta, arrays = reader.read()
    if meta.get("format") != FORMAT_NAME or not isinstance(meta.get("model"), dict):
        raise reader.fail(f"not a saved model (format {meta.get('format')!r}); weights files load with "
                          f"model.load_weights")
    stored = _weight_entries(reader, meta, arrays)
    # The configuration comes from the file: whatever a layer's constructor raises on a value it
    # cannot take (TypeError, OverflowError, MemoryError...) means the file cannot be loaded.
    try:
        with stored_weight_shapes([a.shape for a in stored], f"the file {path!r}"):
            model = serialization.deserialize(meta["model"], custom_objects)
            if not model.built and meta.get("build_config"):  # a subclassed model makes its weights when built
                model.build_from_config(meta["build_config"])
    except Exception as err:
        raise reader.fail(f"cannot rebuild the architecture: {type(err).__name__}: {err}") from err
    values = _read_weights(reader, stored, model.weights)
    if compile and meta.get("compile"):
        try:
            compile_from_config(model, meta["compile"], custom_objects)
        except Exception as err:  # (as above)
            raise reader.fail(f"cannot restore the training configuration: {type(err).__name__}: {err}") from err
        state = meta.get("optimizer_state")
        if state:
            slots = _optimizer_slots(reader, state, arrays)
            try:
                model.trainer.set_state({"optimizer": {"iterations": state.get("iterations", 0), "slots": slots},
                                         "shuffle_rng": state.get("shuffle_rng")})
            except Exception as err:  # (as above)
                raise reader.fail(f"cannot restore the optimizer state: {type(err).__name__}: {err}") from err
    for w, value in zip(model.weights, values, strict=True):
        w.value[...] = value
    return model


def load_weights(model, path):
    """Read weights saved by ``save_weights`` (or a whole-model file) into ``model``, by position.

    Every shape is checked before any weight changes. ``ValueError`` names
    the file. When ``model`` is compiled with the optimizer class the file's
    training state was saved with, that state (optimizer state, step count,
    learning rate, shuffling state) is restored too, as in Keras 3; with
    another optimizer class it is skipped with a warning.
    """
    path = os.fspath(path)
    reader = _Reader(path)
    meta, arrays = reader.read()
    if meta.get("format") not in (FORMAT_NAME, WEIGHTS_FORMAT_NAME):
        raise reader.fail(f"not a weights file (format {meta.get('format')!r})")
    if not model.built:
        raise ValueError(f"load_weights: model {model.name!r} is not built yet; build it (or call it on data) first")
    values = _read_weights(reader, _weight_entries(reader, meta, arrays), model.weights,
                           where=f"model {model.name!r}", exact_dtype=False)
    if model.trainer is not None and meta.get("optimizer_state"):
        _restore_training_state(reader, model, meta, arrays)
    for w, value in zip(model.weights, values, strict=True):
        w.value[...] = value


def _saved_optimizer_class(meta):
    state = meta.get("optimizer_state")
    if isinstance(state, dict) and isinstance(state.get("optimizer_class"), str):
        return state["optimizer_class"]
    compiled = meta.get("compile")
    optimizer = compiled.get("optimizer") if isinstance(compiled, dict) else None
    return optimizer.get("class_name") if isinstance(optimizer, dict) else None


def _restore_training_state(reader, model, meta, arrays):
    """Put the file's training state into ``model``'s trainer (validated before anything changes)."""
    state, trainer = meta["optimizer_state"], model.trainer
    saved_class, own_class = _saved_optimizer_class(meta), type(trainer.optimizer).__name__
    if saved_class != own_class:
        warnings.warn(f"load_weights: {reader.path!r} holds the state of a {saved_class} optimizer; model "
                      f"{model.name!r} is compiled with {own_class}, so only the weights are loaded", stacklevel=3)
        return
    slots = _optimizer_slots(reader, state, arrays)
    lr = state.get("learning_rate")
    optimizer = trainer.optimizer
    set_rate = isinstance(lr, float) and isinstance(optimizer, optimizers_module.Optimizer) \
        and isinstance(optimizer.learning_rate, float)  # a schedule computes its own rate from the step
    if set_rate and not (math.isfinite(lr) and lr > 0):  # checked before anything changes
        raise reader.fail(f"cannot restore the optimizer state: invalid learning rate {lr!r}")
    try:
        trainer.set_state({"optimizer": {"iterations": state.get("iterations", 0), "slots": slots},
                           "shuffle_rng": state.get("shuffle_rng")})
    except Exception as err:  # (values from the file: see load_model)
        raise reader.fail(f"cannot restore the optimizer state: {type(err).__name__}: {err}") from err
    if set_rate:
        optimizer.learning_rate = lr
