"""Names: string identifiers, unique layer names, class registries and custom objects.

A leaf of the framework (it imports nothing else of layergraph):

- :func:`lookup` resolves a string identifier (``"relu"``, ``"sgd"``) in a
  mapping, with an error that lists the valid names;
- :func:`unique_name` gives layers their default names (``dense``,
  ``dense_1``...), as Keras does; :func:`clear_session` starts the
  numbering again;
- a :class:`Registry` maps class names to classes for deserialisation
  (layers register themselves when their class is defined);
- :func:`custom_object_scope` makes user classes and functions known to
  deserialisation inside a ``with`` block, like Keras'
  ``keras.utils.custom_object_scope``.

Example
-------
>>> clear_session()
>>> unique_name("dense"), unique_name("dense"), to_snake_case("MaxPooling2D")
('dense', 'dense_1', 'max_pooling2d')
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import re
import sys
import threading
import weakref

__all__ = ["lookup", "to_snake_case", "unique_name", "clear_session", "Registry", "custom_object_scope",
           "get_custom_objects", "active_custom_objects"]


def lookup(registry: dict, identifier, kind: str):
    """Return ``registry[identifier]`` or raise a helpful error.

    Parameters
    ----------
    registry : dict
        Maps lower-case names to objects.
    identifier : str
        The name the user gave.
    kind : str
        What is being looked up ("activation", "loss", ...), for the message.

    Raises
    ------
    TypeError
        If ``identifier`` is not a string.
    ValueError
        If the name is unknown; the message lists the valid names.
    """
    if not isinstance(identifier, str):
        raise TypeError(
            f"Expected a {kind} name (str) or {kind} object, got {type(identifier).__name__}: {identifier!r}"
        )
    try:
        return registry[identifier.lower()]
    except KeyError:
        valid = ", ".join(sorted(registry))
        raise ValueError(f"Unknown {kind} {identifier!r}. Valid {kind} names: {valid}.") from None


def function_name(fn, default):
    """``fn.__name__``, or ``default`` for a callable without one (a ``functools.partial``, a callable object).

    >>> function_name(len, "?"), function_name(object(), "?")
    ('len', '?')
    """
    # Reflection on purpose: any callable may be given, and only functions and classes carry a name.
    return getattr(fn, "__name__", default)


def to_snake_case(name):
    """Keras' class-name to layer-name rule: ``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` -> ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_name_counters: dict[str, itertools.count] = {}
_creation_counter = itertools.count()


def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``... (per process, until :func:`clear_session`)."""
    n = next(_name_counters.setdefault(prefix, itertools.count()))
    return prefix if n == 0 else f"{prefix}_{n}"


def creation_index():
    """A number that grows with every call: the order in which layers and nodes were made."""
    return next(_creation_counter)


def clear_session():
    """Forget the default names given so far: the next ``Dense()`` is called ``dense`` again.

    As Keras' ``keras.utils.clear_session``: useful between independent
    experiments (and between the documentation's examples). Existing layers
    keep their names; only new default names restart.
    """
    _name_counters.clear()


class Registry:
    """Classes by name, for turning configs back into objects.

    Parameters
    ----------
    kind : str
        What it holds ("layer", "loss", ...), for messages.

    Example
    -------
    >>> registry = Registry("thing")
    >>> @registry.register
    ... class Widget:
    ...     pass
    >>> registry.get("Widget") is Widget
    True
    """

    def __init__(self, kind):
        self.kind = kind
        # Weak references: a class defined inside a function (a test, a
        # notebook cell run twice) leaves the registry when it is collected.
        self._classes: dict[str, weakref.WeakSet] = {}

    def register(self, cls, name=None):
        """Add ``cls`` under ``name`` (default: its class name); returns ``cls`` (usable as a decorator)."""
        self._classes.setdefault(name or cls.__name__, weakref.WeakSet()).add(cls)
        return cls

    def names(self):
        """Registered names, sorted, without private ones."""
        return sorted(n for n, classes in self._classes.items() if classes and not n.startswith("_"))

    def _candidates(self, name):
        candidates = sorted(self._classes.get(name, ()), key=lambda c: (c.__module__, c.__qualname__))
        own = [c for c in candidates if c.__module__.startswith("layergraph.")]
        found = own or candidates
        if len(found) > 1:
            # A module imported twice (as some test runners do for doctests) defines its
            # classes twice: keep the one its module, as imported now, actually holds.
            current = [c for c in found if _module_attribute(c) is c]
            found = current or found
        return found

    def get(self, name, custom_objects=None):
        """The class called ``name``: from ``custom_objects``, the active
        :func:`custom_object_scope`, then the registry (layergraph's own class
        first when a user class has the same name).

        Raises
        ------
        ValueError
            Unknown or ambiguous name; the message lists the known ones and
            says how to pass custom objects.
        """
        for source in (custom_objects or {}, active_custom_objects()):
            if name in source:
                return source[name]
        found = self._candidates(name)
        if len(found) > 1:
            gc.collect()  # classes that are gone, but whose reference cycles are not yet collected
            found = self._candidates(name)
        if len(found) == 1:
            return found[0]
        hint = f"pass custom_objects={{{name!r}: ...}} or use layergraph.utils.custom_object_scope"
        if not found:
            raise ValueError(f"Unknown {self.kind} class {name!r}. Known {self.kind} classes: "
                             f"{', '.join(self.names())}. For your own classes, {hint}.")
        where = ", ".join(sorted(f"{c.__module__}.{c.__qualname__}" for c in found))
        raise ValueError(f"{self.kind.capitalize()} class name {name!r} is ambiguous ({where}); {hint}")

    def deserialize(self, config, custom_objects=None):
        """The object ``{"class_name": ..., "config": ...}`` describes: its class by :meth:`get`, built by
        the class's ``from_config``.

        Raises
        ------
        ValueError
            ``config`` is not such a dict, or as :meth:`get`.
        """
        if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
            article = "An" if self.kind[0] in "aeiou" else "A"
            raise ValueError(f"{article} {self.kind} config must be {{'class_name': str, 'config': dict}}, "
                             f"got {config!r:.200}")
        cls = self.get(config["class_name"], custom_objects)
        return cls.from_config(dict(config.get("config") or {}))


def _module_attribute(cls):
    """The object at ``cls``'s module and qualified name now (reflection on purpose)."""
    obj = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        obj = getattr(obj, part, None)
    return obj


class _Scopes(threading.local):
    """The custom-object scopes entered in this thread, innermost last."""

    def __init__(self):
        self.stack = []


_scopes = _Scopes()


#: Custom objects known everywhere (Keras' ``GLOBAL_CUSTOM_OBJECTS``): see :func:`get_custom_objects`.
_GLOBAL_CUSTOM_OBJECTS: dict = {}


def get_custom_objects():
    """The live global dict of custom objects, as Keras' ``keras.utils.get_custom_objects``.

    Entries added to it (``get_custom_objects()["MyLayer"] = MyLayer``) are
    known to deserialisation everywhere; the objects of
    :func:`custom_object_scope` blocks are not in it.

    Example
    -------
    >>> class MyLayer:
    ...     pass
    >>> get_custom_objects()["MyLayer"] = MyLayer
    >>> Registry("layer").get("MyLayer") is MyLayer
    True
    >>> del get_custom_objects()["MyLayer"]
    """
    return _GLOBAL_CUSTOM_OBJECTS


def active_custom_objects():
    """What deserialisation looks names up in: the global custom objects, then the active
    :func:`custom_object_scope` blocks (innermost wins)."""
    merged = dict(_GLOBAL_CUSTOM_OBJECTS)
    for mapping in _scopes.stack:
        merged.update(mapping)
    return merged


def saved_function(name, what, custom_objects=None):
    """The function a config saved by ``name``: from ``custom_objects``, then :func:`active_custom_objects`.

    Parameters
    ----------
    name : str
        The name the config holds (the function's ``__name__`` when it was saved).
    what : str
        What the function is, for the message (``"loss function"``).
    custom_objects : dict, optional
        ``{name: function}`` given to the loading call.

    Raises
    ------
    ValueError
        No such function; the message says how to pass it.

    Example
    -------
    >>> def my_loss(y_true, y_pred):
    ...     return y_pred
    >>> saved_function("my_loss", "loss function", {"my_loss": my_loss}) is my_loss
    True
    """
    fn = {**active_custom_objects(), **(custom_objects or {})}.get(name)
    if fn is None:
        raise ValueError(f"Unknown {what} {name!r}: pass custom_objects={{{name!r}: {name}}} when loading, or use "
                         f"layergraph.utils.custom_object_scope")
    return fn


@contextlib.contextmanager
def custom_object_scope(*mappings):
    """Within the block, the classes and functions in ``mappings`` are known by name to deserialisation.

    Parameters
    ----------
    *mappings : dict
        ``{name: class or function}``; later ones win.

    Example
    -------
    >>> class MyLayer:
    ...     pass
    >>> with custom_object_scope({"MyLayer": MyLayer}):
    ...     Registry("layer").get("MyLayer") is MyLayer
    True
    """
    merged = {}
    for mapping in mappings:
        if not isinstance(mapping, dict):
            raise TypeError(f"custom_object_scope expects dicts of name -> object, got {type(mapping).__name__}")
        merged.update(mapping)
    stack = _scopes.stack
    stack.append(merged)
    try:
        yield merged
    finally:
        stack.pop()
