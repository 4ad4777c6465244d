"""Atomic file writes: a temporary file beside the target, renamed over it.

An interrupted write (an exception, a crash, a full disk) leaves any
previous file intact and no temporary file behind. Used by
:func:`layergraph.framework.saving.save_model` and :func:`layergraph.plot.save_figure`.
"""
from __future__ import annotations

import contextlib
import os
import tempfile


def _target_mode(path):
    """The mode ``path`` has, or that a new file gets (``0o666`` less the umask);
    ``mkstemp`` makes its files private, which a saved model or a figure should not be."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _about(err, path):
    """``err`` (an ``OSError``) again, of the same type, naming ``path``."""
    return type(err)(err.errno, err.strerror or str(err), path)


@contextlib.contextmanager
def atomic_write(path, durable=False):
    """Open a binary file whose content replaces ``path`` when the block ends without error.

    Parameters
    ----------
    path : str or os.PathLike
    durable : bool
        Also ``fsync`` the file and its directory, so that the new content
        survives a power cut once the block has returned.

    Example
    -------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.bin")
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"data")
    >>> open(target, "rb").read()
    b'data'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    mode = _target_mode(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    except OSError as err:  # name the file the caller asked for, not the temporary one
        raise _about(err, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        try:
            os.replace(tmp, path)
        except OSError as err:  # e.g. path is a folder
            raise _about(err, path) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:  # make the rename itself durable
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
