"""Hostile model files: only ``ValueError`` comes out of ``load_model``/``load_weights``, nothing loads that was
not saved, nothing large is allocated or inflated before it is checked, and ``python -m layergraph evaluate``
answers each with one line and exit status 2.

The fuzz tests flip every byte of a small saved model and edit every value of its JSON; the files are
rewritten in place (creating a file costs milliseconds on some file systems, rewriting one does not).
"""
import copy
import hashlib
import io
import json
import math
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import layergraph as lg
from layergraph import layers
from layergraph.cli import main
from layergraph.framework import archive, saving


def _tiny():
    """Dense(2) on 3 inputs, SGD with momentum after one step: 6 members (JSON, checksum, 2 weights, 2 slots)."""
    model = lg.Sequential([layers.Dense(2, activation="tanh", input_shape=(3,), seed=0)], name="tiny")
    model.compile(lg.optimizers.SGD(0.1, momentum=0.9), "mse", seed=3)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """``(path, bytes, model)`` of the tiny model as saved."""
    path = tmp_path_factory.mktemp("hostile") / "tiny.lg"
    model = _tiny()
    model.save(path)
    return path, path.read_bytes(), model


def _overwrite(path, data):
    with open(path, "r+b") as f:
        f.write(data)
        f.truncate()


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "hostile.lg"
    path.write_bytes(b"")
    return path


def _state(model):
    """Everything a load restores, in comparable form."""
    trainer = model.trainer
    optimizer = trainer.get_state()["optimizer"]
    return (model.to_json(), json.dumps(model.get_compile_config(), sort_keys=True),
            [(w.dtype.str, w.shape, w.tobytes()) for w in model.get_weights()],
            optimizer["iterations"], [(i, name, a.tobytes()) for i, name, a in optimizer["slots"]],
            json.dumps(trainer.get_state()["shuffle_rng"], sort_keys=True))


def _refused(path, match=None, load=lg.load_model):
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert str(info.value).startswith(f"Cannot load model file {str(path)!r}: ")
    return str(info.value)


# -- byte flips ------------------------------------------------------------------------------------------------
def test_every_byte_flip_is_refused_or_loads_exactly_what_was_saved(original, target):
    _, data, model = original
    _overwrite(target, data)
    expected = _state(model)
    refused = same = 0
    with open(target, "r+b", buffering=0) as f:
        for i in range(len(data)):
            f.seek(i)
            f.write(bytes([data[i] ^ 0xFF]))
            try:
                loaded = lg.load_model(target)
            except ValueError as err:
                assert str(err).startswith(f"Cannot load model file {str(target)!r}: "), (i, err)
                refused += 1
            else:  # a flip in a field no reader uses (a time stamp, the zip version...)
                assert _state(loaded) == expected, f"byte {i} flipped loads a different model"
                same += 1
            f.seek(i)
            f.write(data[i:i + 1])
    assert refused + same == len(data) > 3000
    # Every byte of the JSON, the checksum and the arrays' data is covered by a digest or zip's CRC-32.
    assert refused > 0.8 * len(data)


def test_version_1_files_load_and_their_json_is_covered_by_the_zip_crc(original, target):
    _, data, model = original
    members = _members(data)
    meta = json.loads(members.pop("__architecture__").tobytes())
    members.pop("__checksum__")
    meta["format_version"] = 1
    text = json.dumps(meta).encode()
    _overwrite(target, _npz({"__architecture__": np.frombuffer(text, np.uint8), **members}))
    assert _state(lg.load_model(target)) == _state(model)
    v1 = target.read_bytes()
    start = v1.index(text)
    with open(target, "r+b", buffering=0) as f:
        for i in range(start, start + len(text)):
            f.seek(i)
            f.write(bytes([v1[i] ^ 0xFF]))
            _refused(target, "Bad CRC-32|corrupted|not valid UTF-8")
            f.seek(i)
            f.write(v1[i:i + 1])


# -- JSON edits ------------------------------------------------------------------------------------------------
def _paths(value, prefix=()):
    """Every position in a JSON value: ``(path, value)``, containers included."""
    yield prefix, value
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, prefix + (key,))


def _edited_text(meta, path, value):
    """The JSON text of ``meta`` with the entry at ``path`` replaced by ``value`` (or deleted: ``_DELETE``);
    ``meta`` itself is left as it was (only the edited container is copied)."""
    if not path:
        return json.dumps(value)
    *head, key = path
    container = _at(meta, head)
    if isinstance(container, dict):
        changed = {k: v for k, v in container.items() if k != key} if value is _DELETE else {**container, key: value}
    else:
        changed = container[:key] + [value] + container[key + 1:]
    if not head:
        return json.dumps(changed)
    parent = _at(meta, head[:-1])
    parent[head[-1]] = changed
    try:
        return json.dumps(meta)  # NaN and Infinity included, as Python's json writes and reads them
    finally:
        parent[head[-1]] = container


def _at(value, path):
    for key in path:
        value = value[key]
    return value


_DELETE = object()

#: What every position of the JSON is replaced by: each JSON type, extreme numbers, other dtypes and
#: activations, structures of the wrong kind, and (for dict entries) deletion.
_REPLACEMENTS = [None, True, False, 0, -1, 2**31, 10**12, 10**40, -1e308, 1e308, math.nan, math.inf, 0.5, "",
                 "x" * 300, "float16", "int8", "complex128", "<U3", "O", "softmax", "linear", [], {}, [None],
                 {"class_name": "Dense", "config": {}}, [[[[[[[[1]]]]]]]]]


def _edits(meta):
    for path, value in _paths(meta):
        for new in _REPLACEMENTS:
            if not (type(new) is type(value) and new == value):
                yield path, new
        if path and isinstance(path[-1], str):
            yield path, _DELETE


def _npz(members):
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return buffer.getvalue()


def _members(data):
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def _raw_members(data):
    """``{name: the member's .npy bytes}`` of a saved file."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {info.filename[:-4]: z.read(info) for info in z.infolist()}


def _with_text(raw, text, checksum="recompute"):
    """The archive ``raw`` (from :func:`_raw_members`) with the JSON ``text`` and its checksum recomputed,
    or the old checksum kept (``"stale"``)."""
    text = text.encode() if isinstance(text, str) else text
    members = dict(raw, __architecture__=_npy(np.frombuffer(text, np.uint8)))
    if checksum == "recompute":
        members["__checksum__"] = _npy(np.frombuffer(hashlib.sha256(text).hexdigest().encode(), np.uint8))
    return _zip([_stored(f"{name}.npy", value) for name, value in members.items()])


def _with_json(members, meta, checksum="recompute"):
    text = json.dumps(meta).encode()
    digest = hashlib.sha256(text).hexdigest().encode() if checksum == "recompute" else members["__checksum__"]
    return _npz({**members, "__architecture__": np.frombuffer(text, np.uint8),
                 "__checksum__": np.frombuffer(digest, np.uint8)})


def test_every_json_edit_without_the_checksum_is_refused(original, target):
    _, data, _ = original
    raw = _raw_members(data)
    meta = json.loads(_members(data)["__architecture__"].tobytes())
    count = 0
    for path, new in _edits(meta):
        _overwrite(target, _with_text(raw, _edited_text(meta, path, new), checksum="stale"))
        _refused(target, "the architecture does not match its recorded sha256")
        count += 1
    assert count > 2500


def test_every_json_edit_with_a_recomputed_checksum_raises_only_value_error(original, target):
    """A deliberate editor can recompute the checksum: then every check behind it must hold on its own."""
    _, data, model = original
    raw = _raw_members(data)
    meta = json.loads(_members(data)["__architecture__"].tobytes())
    weights = [w.tobytes() for w in model.get_weights()]
    outcomes = {"refused": 0, "loaded": 0}
    for path, new in _edits(meta):
        _overwrite(target, _with_text(raw, _edited_text(meta, path, new)))
        try:
            loaded = lg.load_model(target)
        except ValueError as err:
            assert str(err).startswith(f"Cannot load model file {str(target)!r}: "), (path, new, err)
            outcomes["refused"] += 1
        else:  # what loads is what the file holds: its weights, in its dtype
            assert [w.tobytes() for w in loaded.get_weights()] == weights, (path, new)
            outcomes["loaded"] += 1
    assert sum(outcomes.values()) > 2500 and outcomes["refused"] > outcomes["loaded"]


def _edited(members, meta, edit, checksum="recompute"):
    meta = copy.deepcopy(meta)
    edit(meta)
    return _with_json(members, meta, checksum)


def _dense_config(meta):
    return meta["model"]["config"]["layers"][0]["config"]


@pytest.mark.parametrize("checksum", ["stale", "recompute"])
@pytest.mark.parametrize("edit,match", [
    (lambda c: c.update(units=10**12), r"weight 'kernel' has shape \(3, 1000000000000\) in the architecture, but the "
                                       r"file .* stores no other array of that shape"),
    (lambda c: c.update(units=2**62), r"weight 'kernel' has shape \(3, 4611686018427387904\)"),
    (lambda c: c.update(dtype="float16"), r"weight 0 \(dense\S*/kernel\) is float16 in the architecture but float64 "
                                          r"in the file"),
    (lambda c: c.update(dtype="int8"), r"dtype must be a floating type such as 'float32' or 'float64', got int8"),
    (lambda c: c.update(activation="softmax"), None),  # a valid model, but not the one saved
])
def test_the_issues_json_edits(original, target, edit, match, checksum):
    _, data, _ = original
    members = _members(data)
    meta = json.loads(members["__architecture__"].tobytes())
    _overwrite(target, _edited(members, meta, lambda m: edit(_dense_config(m)), checksum))
    tracemalloc.start()
    try:
        if checksum == "stale":
            _refused(target, "the architecture does not match its recorded sha256")
        elif match is None:
            assert lg.load_model(target).layers[0].get_config()["activation"] == "softmax"
        else:
            _refused(target, match)
        assert tracemalloc.get_traced_memory()[1] < 20 * 2**20
    finally:
        tracemalloc.stop()


def test_nesting_bombs_and_oversized_json(original, target, monkeypatch):
    _, data, _ = original
    members = _members(data)
    meta = json.loads(members["__architecture__"].tobytes())
    for depth in (101, 100_000):  # parsed but too deep; too deep even for the parser
        bomb = "[" * depth + "]" * depth
        text = json.dumps(meta).replace('"tanh"', bomb).encode()
        digest = hashlib.sha256(text).hexdigest().encode()
        _overwrite(target, _npz({**members, "__architecture__": np.frombuffer(text, np.uint8),
                                 "__checksum__": np.frombuffer(digest, np.uint8)}))
        _refused(target, "the architecture JSON is nested more than 100 deep")
    _overwrite(target, data)
    monkeypatch.setattr(saving, "MAX_JSON_BYTES", 1000)
    _refused(target, r"member '__architecture__' holds \d,\d{3} bytes, more than the 1,000 allowed")
    with pytest.raises(ValueError, match="nested more than 100 deep"):
        saving.model_from_json("[" * 100_000 + "]" * 100_000)


# -- hand-made archives -----------------------------------------------------------------------------------------
def _zip(entries):
    """A zip archive from ``[(name, stored bytes, method, flags, crc, size)]`` (fields as given, no checks)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, payload, method, flags, crc, size in entries:
        name = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(payload), size,
                              len(name), 0) + name + payload)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                                  len(payload), size, len(name), 0, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central.getvalue()), start,
                          0))
    return out.getvalue()


def _stored(name, raw, flags=0, method=zipfile.ZIP_STORED):
    return name, raw, method, flags, zlib.crc32(raw), len(raw)


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _model_entries(data, replace=None):
    """The members of a saved model as stored entries, some replaced by ``{name: raw .npy bytes}``."""
    entries = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            raw = (replace or {}).get(info.filename[:-4], z.read(info))
            entries.append(_stored(info.filename, raw))
    return entries


def _deflated_zeros(header, megabytes):
    """A raw deflate stream of ``header`` and then ``megabytes`` MiB of zeros, built from one compressed MiB."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(2**20)
    first = c.compress(header) + c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    repeat = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # the same bytes every time after a full flush
    stream = first + repeat * (megabytes - 1) + c.flush()
    crc = zlib.crc32(header)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return stream, crc


def test_a_small_file_that_would_inflate_to_300_mb_is_refused_without_inflating_it(original, target):
    _, data, _ = original
    n = 300 * 2**20 // 8
    header = _npy_header((n,), "<f8")
    stream, crc = _deflated_zeros(header, 300)
    entries = [e for e in _model_entries(data) if e[0] != "weight_0.npy"]
    entries.append(("weight_0.npy", stream, zipfile.ZIP_DEFLATED, 0, crc, len(header) + 300 * 2**20))
    _overwrite(target, _zip(entries))
    assert target.stat().st_size < 400_000
    tracemalloc.start()
    try:
        _refused(target, r"its members would inflate to 314,\d{3},\d{3} bytes, more than 32 times the file's "
                         r"\d{3},\d{3} bytes \(refused without inflating them\)")
        _refused(target, "would inflate", load=_tiny().load_weights)
        assert tracemalloc.get_traced_memory()[1] < 5 * 2**20
    finally:
        tracemalloc.stop()


def _npy_header(shape, descr):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def test_a_directory_that_understates_a_members_size_is_caught_by_the_crc(original, target):
    _, data, _ = original
    raw = _npy(np.arange(6.0).reshape(3, 2))
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = stream.compress(raw + bytes(10**6)) + stream.flush()
    entries = [e for e in _model_entries(data) if e[0] != "weight_0.npy"]
    entries.append(("weight_0.npy", compressed, zipfile.ZIP_DEFLATED, 0, zlib.crc32(raw), len(raw)))
    _overwrite(target, _zip(entries))
    _refused(target, "weight_0")


@pytest.mark.parametrize("change,match", [
    (lambda e: e[:3] + (1,) + e[4:], "member '__architecture__.npy' is encrypted"),
    (lambda e: e[:2] + (zipfile.ZIP_BZIP2,) + e[3:], "uses compression method 12; only stored and deflated"),
    (lambda e: e[:2] + (zipfile.ZIP_LZMA,) + e[3:], "uses compression method 14"),
    (lambda e: e[:2] + (99,) + e[3:], "uses compression method 99"),
    (lambda e: ("__architecture__.txt",) + e[1:], r"member '__architecture__.txt' is not a .npy array"),
])
def test_refuses_encrypted_oddly_compressed_and_misnamed_members(original, target, change, match):
    _, data, _ = original
    entries = _model_entries(data)
    entries[0] = change(entries[0])
    _overwrite(target, _zip(entries))
    _refused(target, match)


def test_refuses_duplicate_member_names(original, target):
    _, data, _ = original
    entries = _model_entries(data)
    impostor = _stored("weight_0.npy", _npy(np.full((3, 2), 7.0)))
    for order in ([impostor] + entries, entries + [impostor]):  # zipfile itself would read the last one
        _overwrite(target, _zip(order))
        _refused(target, "member 'weight_0.npy' appears more than once")


@pytest.mark.parametrize("raw,match", [
    (_npy(np.array([{"evil": 1}, 2], dtype=object)), r"holds dtype\('O'\), not a plain numeric array"),
    (_npy(np.zeros(2, dtype=[("a", "<f8"), ("b", "<f8")])), "not a plain numeric array"),
    (_npy(np.zeros(3, dtype="<U2")), r"holds dtype\('<U2'\), not a plain numeric array"),
    (_npy(np.zeros(2, dtype="complex128")), "not a plain numeric array"),
    (_npy_header((1, 3), "(2,)<f8") + bytes(48), "not a plain numeric array"),
    (_npy_header((-3, 2), "<f8"), r"invalid .npy header|no valid .npy header"),
    (_npy_header((3, 2), "<f8") + bytes(40), "declares 48 bytes of data but holds 40"),
    (_npy_header((3, 2), "<f8") + bytes(56), "declares 48 bytes of data but holds 56"),
    (_npy_header((3, 2), "<f4") + bytes(24), r"holds an array of shape \(3, 2\) and dtype <f4, expected \(3, 2\) "
                                             r"and <f8"),
    (_npy_header((2, 3), "<f8") + bytes(48), r"holds an array of shape \(2, 3\)"),
    (b"\x93NUMPY\x03\x00" + b"\x00" * 60, r"\.npy format version \(3, 0\)"),
    (b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b"{" * 60000, "no valid .npy header"),
    (b"\x93NUMPY\x01\x00\x30\x00" + b"{'descr': " + b"(" * 30 + b"}" + b" " * 7, "no valid .npy header"),
    (b"not a numpy file at all", "no valid .npy header"),
    (b"", "no valid .npy header"),
])
def test_refuses_npy_headers_that_are_not_plain_numeric_arrays(original, target, raw, match, monkeypatch):
    _, data, _ = original
    monkeypatch.setattr("pickle.loads", _never)
    _overwrite(target, _zip(_model_entries(data, {"weight_0": raw})))
    _refused(target, match)


def _never(*args, **kwargs):
    raise AssertionError("pickle must never be used")


def test_refuses_manifest_entries_before_reading_any_array(original, target):
    _, data, _ = original
    members = _members(data)
    meta = json.loads(members["__architecture__"].tobytes())
    for bad in ({"shape": [3, -2], "dtype": "<f8"}, {"shape": [3, True], "dtype": "<f8"}, {"shape": [3.0, 2]},
                {"shape": [1] * 33}, {"shape": "3,2", "dtype": "<f8"}, {"shape": [3, 2], "dtype": "|O"},
                {"shape": [3, 2], "dtype": 8}, {"shape": [3, 2], "dtype": "<f8", "sha256": "zz"}, [3, 2]):
        entry = dict(meta["arrays"]["weight_0"], **bad) if isinstance(bad, dict) else bad
        _overwrite(target, _edited(members, meta, lambda m, entry=entry: m["arrays"].update(weight_0=entry)))
        _refused(target, "the manifest entry of 'weight_0' must be")
    # A well-formed but huge shape is compared with the member's header before anything is allocated.
    entry = dict(meta["arrays"]["weight_0"], shape=[2**62, 2**62])
    _overwrite(target, _edited(members, meta, lambda m: m["arrays"].update(weight_0=entry)))
    _refused(target, r"member 'weight_0' holds an array of shape \(3, 2\) and dtype <f8, expected "
                     r"\(4611686018427387904, 4611686018427387904\) and <f8")


def test_load_weights_refuses_a_hostile_file_and_keeps_the_model(original, target):
    _, data, model = original
    members = _members(data)
    meta = json.loads(members["__architecture__"].tobytes())
    receiver = _tiny()
    before = [w.copy() for w in receiver.get_weights()]
    for edit in (lambda m: m["arrays"]["weight_1"].update(shape=[3]),
                 lambda m: m["weights"].pop()):
        _overwrite(target, _edited(members, meta, edit))
        _refused(target, load=receiver.load_weights)
    members["weight_0"] = members["weight_0"].astype(np.int64)
    meta["arrays"]["weight_0"].update(dtype="<i8", sha256=hashlib.sha256(members["weight_0"].tobytes()).hexdigest())
    _overwrite(target, _with_json(members, meta))
    _refused(target, r"weight 0 \(dense\S*/kernel\) is float64 in model 'tiny' but int64 in the file",
             load=receiver.load_weights)
    for a, b in zip(before, receiver.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# -- the command line -------------------------------------------------------------------------------------------
def _hostile_files(original, tmp_path):
    """One file per kind of damage, for the command line."""
    _, data, _ = original
    members = _members(data)
    meta = json.loads(members["__architecture__"].tobytes())
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    header = _npy_header((300 * 2**20 // 8,), "<f8")
    stream, crc = _deflated_zeros(header, 300)
    bomb = [e for e in _model_entries(data) if e[0] != "weight_0.npy"]
    bomb.append(("weight_0.npy", stream, zipfile.ZIP_DEFLATED, 0, crc, len(header) + 300 * 2**20))
    encrypted = _model_entries(data)
    encrypted[0] = encrypted[0][:3] + (1,) + encrypted[0][4:]
    files = {
        "truncated": data[:len(data) // 2],
        "flipped": bytes(flipped),
        "zip bomb": _zip(bomb),
        "encrypted": _zip(encrypted),
        "bzip2": _zip([e[:2] + (zipfile.ZIP_BZIP2,) + e[3:] for e in _model_entries(data)]),
        "object array": _zip(_model_entries(data, {"weight_0": _npy(np.array([None], dtype=object))})),
        "edited activation": _edited(members, meta, lambda m: _dense_config(m).update(activation="relu"), "stale"),
        "huge units": _edited(members, meta, lambda m: _dense_config(m).update(units=10**12)),
        "int8 dtype": _edited(members, meta, lambda m: _dense_config(m).update(dtype="int8")),
        "nesting bomb": _with_json(members, {"format": "layergraph.model", "x": json.loads("[" * 200 + "]" * 200)}),
        "not json": _npz({"__architecture__": np.frombuffer(b"\xff{", np.uint8)}),
        "empty": b"",
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name.replace(' ', '_')}.lg"
        paths[name].write_bytes(content)
    return paths


def test_evaluate_answers_every_hostile_file_with_one_line_and_status_2(original, tmp_path, capsys):
    for name, path in _hostile_files(original, tmp_path).items():
        assert main(["evaluate", str(path), "--no-download", "--data-dir", str(tmp_path / "none")]) == 2, name
        out = capsys.readouterr()
        assert out.out == "", name
        assert out.err.startswith(f"layergraph evaluate: error: Cannot load model file {str(path)!r}: "), name
        assert out.err.count("\n") == 1 and out.err.endswith("\n"), name


def test_evaluate_in_a_new_process_prints_no_traceback(original, tmp_path):
    paths = _hostile_files(original, tmp_path)
    for name in ("zip bomb", "nesting bomb"):
        result = subprocess.run([sys.executable, "-m", "layergraph", "evaluate", str(paths[name]), "--no-download"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_archive_reads_what_numpy_wrote(tmp_path):
    path = tmp_path / "a.npz"
    arrays = {"f": np.arange(6.0).reshape(2, 3), "i": np.arange(4, dtype=">i4"), "b": np.array([True, False]),
              "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "empty": np.zeros((0, 3))}
    np.savez_compressed(path, **arrays)  # deflated members are read too
    with archive.Archive(path) as a:
        assert a.names == list(arrays)
        for name, value in arrays.items():
            got = a.read(name)
            assert got.dtype == value.dtype and got.flags.writeable
            np.testing.assert_array_equal(got, value)
