"""Reader for the IDX file format used by MNIST (gzip-compressed or raw).

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``,
followed by ``ndim`` big-endian ``uint32`` dimension sizes, followed by the
big-endian payload of ``prod(dims)`` elements in C order.

See http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["IDX_DTYPES", "read_idx", "parse_idx"]

#: IDX dtype code -> big-endian numpy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: str | os.PathLike) -> bytes:
    """Return the (decompressed, if gzip) contents of ``path``."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"IDX file {os.fspath(path)!r} is a corrupt or truncated gzip stream: {exc}"
        ) from exc


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file.

    Parameters
    ----------
    data : bytes
        The whole file contents, header included.
    name : str
        Used in error messages (normally the file path).

    Returns
    -------
    numpy.ndarray
        Array of shape ``dims`` read from the header, in native byte order
        (``uint8`` for MNIST images ``(n, 28, 28)`` and labels ``(n,)``).
        The array is a fresh, writable copy.

    Raises
    ------
    ValueError
        If the magic number, dtype code or dimensions are invalid, or if the
        payload length does not match ``prod(dims) * itemsize`` exactly.

    Examples
    --------
    >>> parse_idx(bytes([0, 0, 0x08, 1,  0, 0, 0, 3,  7, 8, 9]))  # uint8, 1-D, 3 items
    array([7, 8, 9], dtype=uint8)
    """
    if len(data) < 4:
        raise ValueError(
            f"IDX file {name!r} is too short ({len(data)} bytes) to hold a magic number"
        )
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"IDX file {name!r} has a wrong magic number 0x{data[:4].hex()}: "
            "the first two bytes must be zero"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(
            f"IDX file {name!r} has unknown dtype code 0x{code:02X} (expected one of {known})"
        )
    if ndim == 0:
        raise ValueError(f"IDX file {name!r} declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"IDX file {name!r} is truncated inside its header: needs {header_len} bytes "
            f"for {ndim} dimensions, has {len(data)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    actual = len(data) - header_len
    if actual != expected:
        kind = "truncated" if actual < expected else "too long"
        raise ValueError(
            f"IDX file {name!r} is {kind}: dims {dims} of {dtype.name} need "
            f"{expected} payload bytes, found {actual}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # copy: writable, native order


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read any IDX file, gzip-compressed (detected by content) or raw.

    Parameters
    ----------
    path : str or os.PathLike
        Path of the file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        Array with the shape stored in the header, native byte order.

    Raises
    ------
    ValueError
        Naming the file, if it is a corrupt gzip stream, has a wrong magic
        number or dtype code, or is truncated / has trailing bytes.
    FileNotFoundError
        If ``path`` does not exist.
    """
    return parse_idx(_read_bytes(path), name=os.fspath(path))
