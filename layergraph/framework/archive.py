"""A zip of ``.npy`` arrays (numpy's ``.npz``), written by numpy and read as untrusted bytes.

:func:`write` is :func:`numpy.savez` (uncompressed members, never pickles).
:class:`Archive` reads such a file without :func:`numpy.load`, so that no
byte of it is trusted before it is checked, and nothing is allocated or
inflated before its size is known to be acceptable:

- the zip directory is read first: every member must be a ``<name>.npy``
  stored uncompressed or deflated, not encrypted, with a name that appears
  once; the sizes the members inflate to, together, may be at most
  :data:`MAX_INFLATION` times the file's size (plus :data:`INFLATION_SLACK`
  bytes), so a small file that would inflate to hundreds of megabytes is
  refused without inflating it;
- each ``.npy`` header (version 1 or 2, at most :data:`MAX_HEADER_BYTES`)
  must describe a plain numeric array (booleans, integers or floats; no
  objects, records or sub-arrays), whose data fills the rest of the member
  exactly; the caller can demand a shape, a dtype and a size cap, checked
  before the array is allocated;
- a member is read to its end, so zip's CRC-32 is checked.

Every problem is a ``ValueError`` saying what is wrong (the caller adds the
file's name).

Example
-------
>>> import os, tempfile
>>> import numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "arrays.npz")
>>> write(path, {"a": np.arange(3.0)})
>>> with Archive(path) as archive:
...     archive.names, archive.read("a", shape=(3,), dtype="<f8")
(['a'], array([0., 1., 2.]))
"""
from __future__ import annotations

import math
import os
import zipfile

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["Archive", "write", "plain_numeric_dtype", "MAX_INFLATION", "INFLATION_SLACK", "MAX_HEADER_BYTES"]

#: How many times its own size the members of an archive may inflate to, together.
MAX_INFLATION = 32

#: Bytes the members may inflate to beyond ``MAX_INFLATION`` times the file's size (small files).
INFLATION_SLACK = 2**20

#: The longest ``.npy`` header read (numpy's own default limit).
MAX_HEADER_BYTES = 10_000

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


def write(fileobj, arrays):
    """Write ``{name: array}`` as an ``.npz`` (uncompressed ``.npy`` members) to a path or binary file."""
    np.savez(fileobj, allow_pickle=False, **arrays)


def plain_numeric_dtype(dtype):
    """The :class:`numpy.dtype` for ``dtype`` if it is a plain boolean, integer or float type, else ``None``.

    >>> plain_numeric_dtype("<f8"), plain_numeric_dtype("O"), plain_numeric_dtype([("a", "<f8")])
    (dtype('float64'), None, None)
    """
    try:
        dt = np.dtype(dtype)
    except Exception:  # (any text from a file may reach here; numpy raises several types)
        return None
    if dt.kind not in "biuf" or dt.fields is not None or dt.subdtype is not None or dt.hasobject \
            or dt.itemsize == 0:
        return None
    return dt


class Archive:
    """An ``.npz`` file opened for checked reading (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    ValueError
        The file is not a zip archive, or its directory breaks a rule above.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        size = os.path.getsize(self.path)
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        # zipfile raises many types on malformed bytes (BadZipFile, struct.error,
        # UnicodeDecodeError, EOFError, NotImplementedError...): each means "not a valid archive".
        except Exception as err:
            raise ValueError(f"not a zip/.npz archive, or a truncated one ({type(err).__name__}: {err})") from None
        try:
            self._members = self._check_directory(infos, size)
        except BaseException:
            self._zip.close()
            raise

    @staticmethod
    def _check_directory(infos, size):
        members, inflated = {}, 0
        for info in infos:
            name = info.filename
            if not name.endswith(".npy") or len(name) == 4:
                raise ValueError(f"member {name!r:.80} is not a .npy array")
            if name[:-4] in members:
                raise ValueError(f"member {name!r:.80} appears more than once")
            if info.flag_bits & 0x1:
                raise ValueError(f"member {name!r:.80} is encrypted")
            if info.compress_type not in _METHODS:
                raise ValueError(f"member {name!r:.80} uses compression method {info.compress_type}; only stored "
                                 f"and deflated members are read")
            inflated += info.file_size
            members[name[:-4]] = info
        allowed = MAX_INFLATION * size + INFLATION_SLACK
        if inflated > allowed:
            raise ValueError(f"its members would inflate to {inflated:,} bytes, more than {MAX_INFLATION} times the "
                             f"file's {size:,} bytes (refused without inflating them)")
        return members

    @property
    def names(self):
        """The members' names, without ``.npy``, in the archive's order."""
        return list(self._members)

    def close(self):
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def read(self, name, shape=None, dtype=None, max_bytes=None):
        """Member ``name`` as an array, after checking its header against what the caller expects.

        Parameters
        ----------
        name : str
            Without ``.npy``.
        shape : tuple of int, optional
            The exact shape required.
        dtype : str or numpy.dtype, optional
            The exact dtype required (byte order included).
        max_bytes : int, optional
            The largest array accepted.

        Returns
        -------
        numpy.ndarray
            A new, writable array of a plain numeric dtype.
        """
        info = self._members.get(name)
        if info is None:
            raise ValueError(f"no member {name!r}")
        try:
            with self._zip.open(info) as f:
                got_shape, fortran, got_dtype = self._header(f, name)
                nbytes = math.prod(got_shape) * got_dtype.itemsize
                if shape is not None and got_shape != tuple(shape) or \
                        dtype is not None and got_dtype != np.dtype(dtype):
                    raise ValueError(f"member {name!r} holds an array of shape {got_shape} and dtype "
                                     f"{got_dtype.str}, expected {tuple(shape) if shape is not None else got_shape} "
                                     f"and {np.dtype(dtype).str if dtype is not None else got_dtype.str}")
                if max_bytes is not None and nbytes > max_bytes:
                    raise ValueError(f"member {name!r} holds {nbytes:,} bytes, more than the {max_bytes:,} allowed")
                if f.tell() + nbytes != info.file_size:
                    raise ValueError(f"member {name!r} declares {nbytes:,} bytes of data but holds "
                                     f"{info.file_size - f.tell():,}")
                array = np.empty(got_shape[::-1] if fortran else got_shape, dtype=got_dtype)
                view = memoryview(array.reshape(-1).view(np.uint8))
                done = 0
                while done < nbytes:
                    got = f.readinto(view[done:])
                    if not got:
                        raise ValueError(f"member {name!r} ends early")
                    done += got
                if f.read(1):  # also makes zipfile check the CRC-32 of the whole member
                    raise ValueError(f"member {name!r} holds more data than its header declares")
        except ValueError:
            raise
        except Exception as err:  # (malformed bytes: see __init__)
            raise ValueError(f"member {name!r} is corrupted ({type(err).__name__}: {err})") from None
        return array.T if fortran else array

    @staticmethod
    def _header(f, name):
        """``(shape, fortran_order, dtype)`` of a plain numeric ``.npy`` header, or ``ValueError``."""
        try:
            version = npy_format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f".npy format version {version}")
            read = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            shape, fortran, dtype = read(f, max_header_size=MAX_HEADER_BYTES)
        except Exception as err:  # (numpy parses the header with ast.literal_eval: anything goes)
            raise ValueError(f"member {name!r} has no valid .npy header ({type(err).__name__}: {err})") from None
        plain = plain_numeric_dtype(dtype)
        if plain is None:
            raise ValueError(f"member {name!r} holds {dtype!r:.80}, not a plain numeric array (booleans, integers "
                             f"or floats); model files never contain Python objects or records")
        if not isinstance(fortran, bool) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"member {name!r} has an invalid .npy header (shape {shape!r:.80})")
        return tuple(shape), fortran, plain
