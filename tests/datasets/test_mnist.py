"""Tests for layergraph.datasets.mnist: IDX reader, checksums, download cache, load().

Tests marked by ``needs_real_data`` read the four official files from
``$LAYERGRAPH_MNIST_DIR`` and are skipped when it is unset. Everything else
builds tiny files on the fly; no test touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import re
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from layergraph.datasets import _download, mnist
from layergraph.datasets.mnist import read_idx, read_pair

REAL_DIR = os.environ.get("LAYERGRAPH_MNIST_DIR")
needs_real_data = pytest.mark.skipif(
    not (REAL_DIR and all((Path(REAL_DIR) / f.name).is_file() for f in mnist.FILES.values())),
    reason="real MNIST files not available: set LAYERGRAPH_MNIST_DIR to a directory "
           "holding the four official *-ubyte.gz files",
)

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
         np.float32: 0x0D, np.float64: 0x0E}


# --------------------------------------------------------------------------- helpers

def idx_bytes(arr: np.ndarray, code: int | None = None) -> bytes:
    """Serialise ``arr`` as an IDX file (big-endian, as the format requires)."""
    arr = np.asarray(arr)
    code = CODES[arr.dtype.type] if code is None else code
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


def forbid_network(*args, **kwargs):
    raise AssertionError("the network must not be touched")


class FakeResponse(io.BytesIO):
    """What urlopen returns: a readable context manager with headers."""

    def __init__(self, data: bytes, fail_after: int | None = None, exc: BaseException | None = None):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}
        self.fail_after, self.exc = fail_after, exc

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise self.exc
        if self.fail_after is not None and n is not None and n > 0:
            n = min(n, self.fail_after - self.tell())  # reach the failure point exactly
        return super().read(n)


class FakeOpener:
    """Serves ``{url: bytes}``; records requested URLs."""

    def __init__(self, files: dict[str, bytes], **response_kwargs):
        self.files, self.kwargs, self.calls = files, response_kwargs, []

    def __call__(self, url, timeout):
        self.calls.append(url)
        if url not in self.files:
            raise urllib.error.URLError("404 not found")
        return FakeResponse(self.files[url], **self.kwargs)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Never write into the real user cache; start without LAYERGRAPH_MNIST_DIR."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)


@pytest.fixture
def tiny_mnist(monkeypatch):
    """Four tiny MNIST-format gz files (3 train, 2 test images); FILES patched to match."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "train_labels": np.array([5, 0, 9], dtype=np.uint8),
        "test_images": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "test_labels": np.array([7, 2], dtype=np.uint8),
    }
    blobs, files = {}, {}
    for key, arr in arrays.items():
        name = mnist.FILES[key].name
        blobs[name] = gzip.compress(idx_bytes(arr), mtime=0)
        files[key] = mnist.MnistFile(name, *digest(blobs[name]))
    monkeypatch.setattr(mnist, "FILES", files)
    return arrays, blobs


# --------------------------------------------------------------------------- read_idx

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("dtype", list(CODES), ids=lambda t: t.__name__)
@pytest.mark.parametrize("shape", [(4,), (2, 3, 5), (0, 28, 28)])
def test_read_idx_roundtrip(tmp_path, gz, dtype, shape):
    arr = (np.arange(int(np.prod(shape))) - 3).reshape(shape).astype(dtype)
    path = write(tmp_path / "data.idx", idx_bytes(arr), gz=gz)
    out = read_idx(path)
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, arr)
    out[...] = 0  # a writable copy, not a view of a bytes object


def test_read_idx_detects_gzip_by_content_not_extension(tmp_path):
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "a.gz", idx_bytes(arr))), arr)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "b.raw", idx_bytes(arr), gz=True)), arr)


def test_read_idx_big_endian_values(tmp_path):
    # 0x0102 as a big-endian int16 is 258; a byte-order bug would give 513.
    data = bytes([0, 0, 0x0B, 1, 0, 0, 0, 1, 0x01, 0x02])
    assert read_idx(write(tmp_path / "x", data)).tolist() == [258]


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize("data, message", [
    (b"", "too short"),
    (b"\x00\x00", "too short"),
    (b"\x08\x03" + GOOD[2:], "wrong magic number"),
    (b"\x00\x01" + GOOD[2:], "wrong magic number"),
    (GOOD[:2] + b"\x07" + GOOD[3:], "unknown dtype code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (GOOD[:9], "truncated inside its header"),
    (GOOD[:-1], "truncated: dims (3, 4) of uint8 need 12 payload bytes, found 11"),
    (GOOD[:12], "truncated"),
    (GOOD + b"\x00", "too long"),
    (b"\x1f\x8b\x08\x00garbage-after-a-gzip-magic", "corrupt or truncated gzip"),
    (gzip.compress(GOOD)[:-10], "corrupt or truncated gzip"),
], ids=["empty", "2-bytes", "wrong-magic", "nonzero-byte1", "bad-dtype", "ndim-0",
        "truncated-header", "truncated-payload", "header-only", "trailing-bytes",
        "bad-gzip", "truncated-gzip"])
def test_read_idx_rejects_bad_files_naming_them(tmp_path, data, message):
    path = write(tmp_path / "bad-file.idx", data)
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_read_idx_truncated_gzipped_payload(tmp_path):
    path = write(tmp_path / "short.gz", GOOD[:-3], gz=True)  # valid gzip, short IDX inside
    with pytest.raises(ValueError, match="truncated") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_read_idx_huge_declared_dims_do_not_allocate(tmp_path):
    data = bytes([0, 0, 0x0E, 3]) + np.array([2**31, 2**31, 2**31], ">u4").tobytes()
    with pytest.raises(ValueError, match="truncated"):
        read_idx(write(tmp_path / "huge", data))


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


# --------------------------------------------------------------------------- read_pair

def write_pair(tmp_path, images, labels, gz=True):
    ip = write(tmp_path / "imgs-idx3-ubyte.gz", idx_bytes(images), gz=gz)
    lp = write(tmp_path / "lbls-idx1-ubyte.gz", idx_bytes(labels), gz=gz)
    return ip, lp


def test_read_pair_ok(tmp_path):
    x = np.arange(2 * 28 * 28, dtype=np.uint64).reshape(2, 28, 28).astype(np.uint8)
    y = np.array([3, 9], dtype=np.uint8)
    xo, yo = read_pair(*write_pair(tmp_path, x, y))
    np.testing.assert_array_equal(xo, x)
    np.testing.assert_array_equal(yo, y)
    assert xo.dtype == yo.dtype == np.uint8


def test_read_pair_count_mismatch_names_both_files(tmp_path):
    ip, lp = write_pair(tmp_path, np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="count mismatch.*3 images.*2 labels") as err:
        read_pair(ip, lp)
    assert str(ip) in str(err.value) and str(lp) in str(err.value)


def test_read_pair_label_out_of_range_names_file(tmp_path):
    ip, lp = write_pair(tmp_path, np.zeros((3, 28, 28), np.uint8), np.array([1, 10, 2], np.uint8))
    with pytest.raises(ValueError, match=r"label 10 at index 1; labels must be in 0\.\.9") as err:
        read_pair(ip, lp)
    assert str(lp) in str(err.value)


@pytest.mark.parametrize("images, labels, bad", [
    (np.zeros((2, 27, 28), np.uint8), np.zeros(2, np.uint8), "images"),
    (np.zeros((2, 784), np.uint8), np.zeros(2, np.uint8), "images"),
    (np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8), "images"),
    (np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.int32), "labels"),
    (np.zeros((2, 28, 28), np.uint8), np.zeros((2, 1), np.uint8), "labels"),
])
def test_read_pair_wrong_shape_or_dtype_names_file(tmp_path, images, labels, bad):
    ip, lp = write_pair(tmp_path, images, labels)
    with pytest.raises(ValueError) as err:
        read_pair(ip, lp)
    assert str(ip if bad == "images" else lp) in str(err.value)


# --------------------------------------------------------------------------- directories

def test_resolve_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist.resolve_data_dir() == tmp_path / "xdg" / "layergraph" / "mnist"
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path / "env"))
    assert mnist.resolve_data_dir() == tmp_path / "env"
    assert mnist.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert mnist.resolve_data_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    monkeypatch.delenv(mnist.ENV_VAR)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.resolve_data_dir() == tmp_path / "home" / ".cache" / "layergraph" / "mnist"


def test_empty_env_var_falls_back_to_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(mnist.ENV_VAR, "")
    assert mnist.resolve_data_dir() == tmp_path / "xdg-cache" / "layergraph" / "mnist"


# --------------------------------------------------------------------------- checksums

def test_official_checksum_table():
    assert [f.name for f in mnist.FILES.values()] == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert sum(f.size for f in mnist.FILES.values()) == 11594722  # what TFDS reports
    assert all(re.fullmatch("[0-9a-f]{64}", f.sha256) for f in mnist.FILES.values())


def test_size_mismatch_names_file_expected_and_actual(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "_urlopen", forbid_network)
    for f in mnist.FILES.values():
        (tmp_path / f.name).write_bytes(b"not mnist")
    first = mnist.FILES["train_images"]
    with pytest.raises(ValueError, match=rf"^size mismatch for '{re.escape(str(tmp_path / first.name))}': expected "
                                         rf"{first.size} bytes, got 9 bytes\."):
        mnist.load_idx(tmp_path)
    assert (tmp_path / first.name).read_bytes() == b"not mnist"  # not deleted / re-downloaded


def test_checksum_mismatch_names_file_expected_and_actual(tmp_path, tiny_mnist, monkeypatch):
    _, blobs = tiny_mnist
    monkeypatch.setattr(_download, "_urlopen", forbid_network)
    for name, blob in blobs.items():
        (tmp_path / name).write_bytes(blob)
    first = mnist.FILES["train_images"]
    forged = bytes(len(blobs[first.name]))  # the right size, the wrong bytes
    (tmp_path / first.name).write_bytes(forged)
    size, sha = digest(forged)
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        mnist.load_idx(tmp_path)
    msg = str(err.value)
    for part in (str(tmp_path / first.name), first.sha256, str(first.size), sha, f"got {size} bytes"):
        assert part in msg


def test_a_huge_wrong_file_is_refused_by_its_size_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / mnist.FILES["train_images"].name
    with open(path, "wb") as f:
        f.truncate(3 * 2**30)  # 3 GiB, sparse: takes no disk space, would take seconds to hash

    def no_hashing(path):
        raise AssertionError("a file of the wrong size must not be hashed")

    monkeypatch.setattr(_download, "file_digest", no_hashing)
    with pytest.raises(ValueError, match=r"size mismatch .* expected 9912422 bytes, got 3221225472 bytes"):
        mnist.ensure_files(tmp_path, download=False)


def test_verify_file(tmp_path):
    path = write(tmp_path / "f", b"abc")
    _download.verify_file(path, *digest(b"abc"))
    with pytest.raises(ValueError, match="expected 4 bytes"):
        _download.verify_file(path, 4, digest(b"abc")[1])


# --------------------------------------------------------------------------- download_file

def test_download_file_success_is_atomic_and_clean(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)  # several chunks
    opener = FakeOpener({"https://mirror/x.gz": data})
    dest = tmp_path / "sub" / "x.gz"
    out = _download.download_file("https://mirror/x.gz", dest, expected_size=len(data),
                                  expected_sha256=digest(data)[1], opener=opener, progress=False)
    assert out == dest and dest.read_bytes() == data
    assert leftovers(dest.parent) == ["x.gz"]
    assert opener.calls == ["https://mirror/x.gz"]


def test_download_file_checksum_mismatch_leaves_nothing(tmp_path):
    opener = FakeOpener({"u": b"tampered"})
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        _download.download_file("u", tmp_path / "x.gz", expected_size=8,
                                expected_sha256="0" * 64, opener=opener, progress=False)
    assert str(tmp_path / "x.gz") in str(err.value) and "0" * 64 in str(err.value)
    assert digest(b"tampered")[1] in str(err.value)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("exc, expected", [
    (ConnectionResetError("peer reset"), OSError),
    (KeyboardInterrupt(), KeyboardInterrupt),
])
def test_download_interrupted_mid_stream_leaves_no_partial_file(tmp_path, exc, expected):
    data = os.urandom(3 << 20)
    opener = FakeOpener({"u": data}, fail_after=(1 << 20) + 5, exc=exc)
    with pytest.raises(expected) as err:
        _download.download_file("u", tmp_path / "x.gz", expected_size=len(data),
                                expected_sha256=digest(data)[1], opener=opener, progress=True)
    if expected is OSError:
        assert "could not download u" in str(err.value)
    assert leftovers(tmp_path) == []


def test_failed_download_keeps_existing_destination(tmp_path):
    (tmp_path / "x.gz").write_bytes(b"old")
    with pytest.raises(ValueError):
        _download.download_file("u", tmp_path / "x.gz", expected_size=1, expected_sha256="0" * 64,
                                opener=FakeOpener({"u": b"new"}), progress=False)
    assert leftovers(tmp_path) == ["x.gz"] and (tmp_path / "x.gz").read_bytes() == b"old"


def test_download_unreachable_host_names_url(tmp_path):
    with pytest.raises(OSError, match="could not download https://nowhere/x.gz.*404"):
        _download.download_file("https://nowhere/x.gz", tmp_path / "x.gz",
                                opener=FakeOpener({}), progress=False)
    assert leftovers(tmp_path) == []


def test_download_via_file_url_with_default_opener(tmp_path):
    src = write(tmp_path / "src.bin", b"hello idx")
    dest = _download.download_file(src.as_uri(), tmp_path / "out" / "dst.bin",
                                   expected_size=9, expected_sha256=digest(b"hello idx")[1],
                                   progress=False)
    assert dest.read_bytes() == b"hello idx"


def test_unwritable_directory_names_it(tmp_path):
    blocker = write(tmp_path / "a-file", b"")
    target = blocker / "mnist"  # a directory below a regular file cannot exist
    with pytest.raises(OSError, match=re.escape(f"cannot write to data directory '{target}'")):
        _download.download_file("u", target / "x.gz", opener=FakeOpener({"u": b"1"}),
                                progress=False)
    with pytest.raises(OSError, match=re.escape(str(target))):
        _download.ensure_writable_dir(target)


def test_permission_error_keeps_its_type_and_names_directory(tmp_path, monkeypatch):
    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(_download.tempfile, "mkstemp", deny)
    with pytest.raises(PermissionError, match=re.escape(f"'{tmp_path}': Permission denied")):
        _download.download_file("u", tmp_path / "x.gz", opener=FakeOpener({"u": b"1"}),
                                progress=False)
    with pytest.raises(PermissionError, match=re.escape(str(tmp_path))):
        _download.ensure_writable_dir(tmp_path)


# --------------------------------------------------------------------------- ensure_files / load_idx

def test_load_idx_downloads_missing_files_then_works_offline(tmp_path, tiny_mnist, monkeypatch):
    arrays, blobs = tiny_mnist
    opener = FakeOpener({"https://mirror.example/mnist/" + k: v for k, v in blobs.items()})
    (xtr, ytr), (xte, yte) = mnist.load_idx(tmp_path / "cache", opener=opener, progress=False,
                                            base_url="https://mirror.example/mnist")
    assert len(opener.calls) == 4
    np.testing.assert_array_equal(xtr, arrays["train_images"])
    np.testing.assert_array_equal(ytr, arrays["train_labels"])
    np.testing.assert_array_equal(xte, arrays["test_images"])
    np.testing.assert_array_equal(yte, arrays["test_labels"])
    assert leftovers(tmp_path / "cache") == sorted(blobs)
    # Second load: files present -> the network is never touched.
    monkeypatch.setattr(_download, "_urlopen", forbid_network)
    mnist.load_idx(tmp_path / "cache", opener=forbid_network)
    mnist.load("idx", tmp_path / "cache")


def test_only_missing_files_are_downloaded(tmp_path, tiny_mnist):
    _, blobs = tiny_mnist
    name = mnist.FILES["test_labels"].name
    for n, b in blobs.items():
        if n != name:
            (tmp_path / n).write_bytes(b)
    opener = FakeOpener({mnist.MIRROR_URL + k: v for k, v in blobs.items()})
    mnist.ensure_files(tmp_path, opener=opener, progress=False)
    assert opener.calls == [mnist.MIRROR_URL + name]


def test_default_location_is_user_cache(tmp_path, tiny_mnist, monkeypatch):
    _, blobs = tiny_mnist
    monkeypatch.setattr(_download, "_urlopen",
                        FakeOpener({mnist.MIRROR_URL + k: v for k, v in blobs.items()}))
    assert mnist.ensure_files(progress=False) == tmp_path / "xdg-cache" / "layergraph" / "mnist"
    assert leftovers(tmp_path / "xdg-cache" / "layergraph" / "mnist") == sorted(blobs)


def test_downloaded_file_with_bad_checksum_is_refused_and_not_kept(tmp_path, tiny_mnist):
    _, blobs = tiny_mnist
    bad = dict(blobs)
    bad[mnist.FILES["train_labels"].name] = b"evil"
    opener = FakeOpener({mnist.MIRROR_URL + k: v for k, v in bad.items()})
    with pytest.raises(ValueError, match="checksum mismatch.*train-labels-idx1-ubyte.gz"):
        mnist.ensure_files(tmp_path, opener=opener, progress=False)
    assert "train-labels-idx1-ubyte.gz" not in leftovers(tmp_path)
    assert not [n for n in leftovers(tmp_path) if n.endswith(".part")]


@pytest.mark.parametrize("failing", ["train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
@pytest.mark.parametrize("error", [urllib.error.URLError("no route to host"), KeyboardInterrupt()])
def test_a_failed_download_leaves_no_folder_it_created(tmp_path, tiny_mnist, failing, error):
    """The first file failing, or the last after three were downloaded: either way no trace is left."""
    _, blobs = tiny_mnist
    served = {mnist.MIRROR_URL + k: v for k, v in blobs.items() if k != failing}

    def opener(url, timeout):
        if url.endswith(failing):
            raise error
        return FakeResponse(served[url])

    target = tmp_path / "new" / "deeper" / "mnist"
    with pytest.raises(type(error) if isinstance(error, KeyboardInterrupt) else OSError):
        mnist.ensure_files(target, opener=opener, progress=False)
    assert leftovers(tmp_path) == []  # "new" itself is gone


def test_a_failed_download_into_an_existing_folder_keeps_it_and_the_verified_files(tmp_path, tiny_mnist):
    _, blobs = tiny_mnist
    failing = mnist.FILES["test_labels"].name
    opener = FakeOpener({mnist.MIRROR_URL + k: v for k, v in blobs.items() if k != failing})
    with pytest.raises(OSError, match=f"could not download {re.escape(mnist.MIRROR_URL + failing)}"):
        mnist.ensure_files(tmp_path, opener=opener, progress=False)
    assert leftovers(tmp_path) == sorted(set(blobs) - {failing})  # a cache being filled: the next call resumes


def test_a_folder_that_gained_another_file_during_a_failed_download_is_kept(tmp_path, tiny_mnist):
    _, blobs = tiny_mnist
    target = tmp_path / "new"
    first, failing = mnist.FILES["train_images"].name, mnist.FILES["train_labels"].name

    def opener(url, timeout):
        if url.endswith(failing):
            (target / "notes.txt").write_text("someone else's")
            raise urllib.error.URLError("timed out")
        return FakeResponse(blobs[first])

    with pytest.raises(OSError):
        mnist.ensure_files(target, opener=opener, progress=False)
    assert leftovers(target) == ["notes.txt"]  # this call's download removed, the folder and the stranger kept


def test_download_false_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "train-images-idx3-ubyte.gz"))):
        mnist.ensure_files(tmp_path, download=False)


def test_env_var_directory_is_used(tmp_path, tiny_mnist, monkeypatch):
    _, blobs = tiny_mnist
    for n, b in blobs.items():
        (tmp_path / n).write_bytes(b)
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(_download, "_urlopen", forbid_network)
    (xtr, ytr), _ = mnist.load("idx")
    assert ytr.tolist() == [5, 0, 9]


# --------------------------------------------------------------------------- load() dispatch

def test_load_unknown_source():
    with pytest.raises(ValueError, match="unknown MNIST source 'keras'"):
        mnist.load("keras")


def test_auto_falls_back_to_idx_and_logs_it(tmp_path, tiny_mnist, monkeypatch, caplog):
    _, blobs = tiny_mnist
    for n, b in blobs.items():
        (tmp_path / n).write_bytes(b)
    monkeypatch.setattr(mnist, "_tfds_usable", lambda: False)
    with caplog.at_level(logging.INFO, logger="layergraph.datasets.mnist"):
        (_, ytr), _ = mnist.load(data_dir=tmp_path)
    assert ytr.tolist() == [5, 0, 9]
    assert "uses the 'idx' source" in caplog.text


def test_tfds_usable_false_when_not_importable(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # makes `import` fail
    assert mnist._tfds_usable() is False


def test_tfds_source_without_tfds_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(ImportError, match=re.escape("pip install layergraph[tfds]")):
        mnist.load("tfds", tmp_path)


def test_core_never_imports_tensorflow():
    code = ("import sys; import layergraph.datasets.mnist, layergraph.datasets.batching, "
            "layergraph.datasets.tfds_source; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tensorflow_datasets')]; "
            "assert not bad, bad")
    root = str(Path(mnist.__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# --------------------------------------------------------------------------- real data

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def real_mnist():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_download, "_urlopen", forbid_network)
        return mnist.load("idx", REAL_DIR)


@needs_real_data
def test_real_shapes_dtypes_and_known_values(real_mnist):
    (xtr, ytr), (xte, yte) = real_mnist
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert ytr.shape == (60000,) and yte.shape == (10000,)
    assert xtr.dtype == ytr.dtype == xte.dtype == yte.dtype == np.uint8
    assert ytr[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # as in Keras
    assert yte[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(ytr, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(yte, minlength=10).tolist() == TEST_COUNTS
    assert sum(TRAIN_COUNTS) == 60000 and sum(TEST_COUNTS) == 10000
    assert xtr.min() == 0 and xtr.max() == 255
    assert int(xtr[0].sum(dtype=np.int64)) == 27525  # the famous first "5"
    assert xtr[0, :4].sum() == 0  # top rows are blank padding


@needs_real_data
def test_real_files_match_official_checksums():
    for f in mnist.FILES.values():
        assert _download.file_digest(Path(REAL_DIR) / f.name) == (f.size, f.sha256)


@needs_real_data
def test_real_load_via_env_var_touches_no_network(monkeypatch):
    monkeypatch.setenv(mnist.ENV_VAR, REAL_DIR)
    monkeypatch.setattr(_download, "_urlopen", forbid_network)
    monkeypatch.setattr(mnist, "_tfds_usable", lambda: False)
    assert mnist.ensure_files() == Path(REAL_DIR)
    (_, ytr), _ = mnist.load()  # source="auto" -> idx here
    assert ytr[0] == 5


@needs_real_data
def test_real_download_through_file_url(tmp_path):
    base = Path(REAL_DIR).resolve().as_uri() + "/"
    directory = mnist.ensure_files(tmp_path / "cache", base_url=base, progress=False)
    assert leftovers(directory) == sorted(f.name for f in mnist.FILES.values())
