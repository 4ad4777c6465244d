"""Resolving string identifiers (``"relu"``, ``"sgd"``, ``"mse"``) to objects."""
from __future__ import annotations


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
