"""Cache directory, checksum verification and atomic download of data files.

Only the standard library (``urllib``) is used for the network, and only
when a file is missing. The HTTP opener is a parameter so tests (or users
behind unusual proxies) can replace it::

    opener(url: str, timeout: float) -> binary file-like

The object returned must support ``read(n)``; it may be a context manager
and may carry ``headers`` (``Content-Length`` sizes the progress bar).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = [
    "Opener",
    "cache_dir",
    "file_digest",
    "verify_file",
    "ensure_writable_dir",
    "download_file",
]

logger = logging.getLogger(__name__)

Opener = Callable[[str, float], BinaryIO]

_CHUNK = 1 << 20


def cache_dir(*parts: str) -> Path:
    """Return the per-user layergraph cache directory (not created).

    ``$XDG_CACHE_HOME/layergraph/<parts>``, or ``~/.cache/layergraph/<parts>``
    when ``XDG_CACHE_HOME`` is unset or empty.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "layergraph", *parts)


def file_digest(path: str | os.PathLike) -> tuple[int, str]:
    """Return ``(size_in_bytes, sha256_hexdigest)`` of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _check(name: str, size: int, sha256: str, expected_size: int, expected_sha256: str) -> None:
    if size != expected_size or sha256 != expected_sha256:
        raise ValueError(
            f"checksum mismatch for {name!r}: expected {expected_size} bytes with sha256 "
            f"{expected_sha256}, got {size} bytes with sha256 {sha256}. The file is corrupt, "
            "truncated or not the official one; delete it to have it downloaded again."
        )


def verify_file(path: str | os.PathLike, expected_size: int, expected_sha256: str) -> None:
    """Check a file's size, then its sha256; raise ``ValueError`` naming it on mismatch.

    The size comes from the file system first: a wrong file is refused at
    once, without reading (and hashing) gigabytes of it.
    """
    size = os.path.getsize(path)
    if size != expected_size:
        raise ValueError(
            f"size mismatch for {os.fspath(path)!r}: expected {expected_size} bytes, got {size} bytes. The file is "
            "corrupt, truncated or not the official one; delete it to have it downloaded again."
        )
    size, sha = file_digest(path)
    _check(os.fspath(path), size, sha, expected_size, expected_sha256)


def ensure_writable_dir(directory: str | os.PathLike) -> Path:
    """Create ``directory`` if needed and check that files can be created in it.

    Raises
    ------
    OSError
        Of the same subclass as the underlying error (e.g. ``PermissionError``),
        with a message naming the directory.
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _dir_error(directory, exc) from exc
    return directory


def _dir_error(directory: Path, exc: OSError) -> OSError:
    reason = exc.strerror or str(exc)
    return type(exc)(
        f"cannot write to data directory '{directory}': {reason}. Pass data_dir= "
        "or set LAYERGRAPH_MNIST_DIR / XDG_CACHE_HOME to a writable directory, "
        "or put the files there by hand."
    )


class _NoBar:
    """Stand-in for a tqdm bar when tqdm is missing or progress is off."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _progress_bar(total: int | None, desc: str, enabled: bool):
    """A tqdm byte progress bar, or a no-op one if disabled or tqdm is absent."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                desc=desc, leave=False)


def _urlopen(url: str, timeout: float) -> BinaryIO:
    return urllib.request.urlopen(url, timeout=timeout)  # https/file only


def download_file(
    url: str,
    dest: str | os.PathLike,
    *,
    expected_size: int | None = None,
    expected_sha256: str | None = None,
    opener: Opener | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying size and sha256.

    The bytes are streamed into a temporary file in ``dest``'s directory,
    hashed on the way, checked, and only then renamed onto ``dest`` with
    :func:`os.replace`. On any failure (network error, checksum mismatch,
    ``KeyboardInterrupt``) the temporary file is removed and ``dest`` is left
    untouched, so no partial file is ever visible under the final name.

    Parameters
    ----------
    url : str
        Source URL (``https://`` or ``file://``).
    dest : str or os.PathLike
        Final path. Its directory is created if needed.
    expected_size, expected_sha256 : int, str, optional
        When given, a mismatch raises ``ValueError`` naming the file.
    opener : callable, optional
        ``opener(url, timeout)`` returning a binary file-like; defaults to
        :func:`urllib.request.urlopen`.
    progress : bool
        Show a tqdm progress bar on stderr (silently skipped if tqdm is not
        installed).
    timeout : float
        Socket timeout in seconds passed to the opener.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    OSError
        If the directory is not writable (naming it) or the download fails
        (naming the URL).
    ValueError
        On size / checksum mismatch.
    """
    dest = Path(dest)
    opener = opener or _urlopen
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise _dir_error(dest.parent, exc) from exc
    logger.info("downloading %s -> %s", url, dest)
    try:
        with os.fdopen(fd, "wb") as out:
            h = hashlib.sha256()
            size = 0
            try:
                response = opener(url, timeout)
                with contextlib.ExitStack() as stack:
                    if hasattr(response, "__exit__"):
                        stack.enter_context(response)
                    headers = getattr(response, "headers", None)
                    total = expected_size
                    if headers is not None and headers.get("Content-Length"):
                        total = int(headers.get("Content-Length"))
                    bar = stack.enter_context(_progress_bar(total, dest.name, progress))
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        size += len(chunk)
                        bar.update(len(chunk))
            except OSError as exc:  # includes urllib.error.URLError
                raise OSError(
                    f"could not download {url}: {getattr(exc, 'reason', exc)}. To work "
                    f"offline, copy the file to '{dest}' (or set LAYERGRAPH_MNIST_DIR)."
                ) from exc
            out.flush()
            os.fsync(out.fileno())
        if expected_size is not None and expected_sha256 is not None:
            _check(f"{dest} (downloaded from {url})", size, h.hexdigest(),
                   expected_size, expected_sha256)
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return dest
