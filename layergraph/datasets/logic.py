"""Truth tables of the logic gates, in the tutorial's row order.

Example
-------
>>> from layergraph.datasets import logic
>>> x, y = logic.truth_table("AND")
>>> x.tolist(), y.tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [[0.0], [0.0], [0.0], [1.0]])
"""
from __future__ import annotations

import numpy as np

#: Inputs ``(4, 2)``: rows 00, 01, 10, 11 as in the tutorial.
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

#: Target column of each gate for :data:`INPUTS`.
GATES = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
    "XNOR": [1, 0, 0, 1],
}


def truth_table(gate: str, dtype="float64"):
    """Inputs ``(4, 2)`` and targets ``(4, 1)`` of ``gate`` (case-insensitive).

    Parameters
    ----------
    gate : str
        ``"AND"``, ``"OR"``, ``"NAND"``, ``"NOR"``, ``"XOR"`` or ``"XNOR"``.
    dtype : str, default "float64"
        Of both arrays.

    Raises
    ------
    ValueError
        For an unknown gate; the message lists the valid ones.

    Example
    -------
    >>> from layergraph.datasets.logic import truth_table
    >>> x, y = truth_table("xor")
    >>> x.tolist(), y.ravel().tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
    """
    if not isinstance(gate, str) or gate.upper() not in GATES:
        raise ValueError(f"Unknown gate {gate!r}. Valid gates: {', '.join(GATES)}")
    return INPUTS.astype(dtype), np.array(GATES[gate.upper()], dtype=dtype)[:, None]
