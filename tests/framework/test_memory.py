"""framework.memory: freed array memory is reused, so steady steps do not fault in new pages."""
import subprocess
import sys

import pytest

from layergraph.framework import memory

# Allocate and free three 16 MiB arrays (above glibc's default mmap threshold)
# 20 times, touching every page; print the minor page faults per round. By
# default glibc soon serves them from the heap, but trims the 48 MiB freed at
# its top each round, so every round faults the pages in anew.
PROBE = """
import resource, numpy as np
from layergraph.framework import memory
active = memory.retain_freed_memory()
def step():
    a, b, c = np.ones(2 * 2**20), np.ones(2 * 2**20), np.ones(2 * 2**20)  # 16 MiB of float64 each
    del a, b, c
step()  # first use: the heap grows once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(active, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _probe(setting):
    env = {"PATH": "", "LAYERGRAPH_RETAIN_MEMORY": setting, "PYTHONPATH": ":".join(sys.path)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout
    active, faults = out.split()
    return active == "True", float(faults)


@pytest.mark.skipif(memory._glibc_mallopt() is None, reason="needs glibc's mallopt")
def test_retained_memory_is_reused_without_page_faults():
    active, faults = _probe("1")
    assert active
    assert faults < 50  # the arrays span 12,288 pages: none of them is new
    off_active, off_faults = _probe("0")
    assert not off_active
    assert off_faults > 500  # glibc's default: many pages faulted in anew every round


def test_runs_once_and_reports_its_state(monkeypatch):
    monkeypatch.setattr(memory, "_state", {"done": False, "active": False})
    monkeypatch.setenv(memory.ENV_VAR, "off")
    assert memory.retain_freed_memory() is False
    monkeypatch.setenv(memory.ENV_VAR, "1")
    assert memory.retain_freed_memory() is False  # decided once per process


def test_no_effect_without_glibc(monkeypatch):
    monkeypatch.setattr(memory, "_state", {"done": False, "active": False})
    monkeypatch.setattr(memory, "_glibc_mallopt", lambda: None)
    monkeypatch.delenv(memory.ENV_VAR, raising=False)
    assert memory.retain_freed_memory() is False


def _recording_mallopt(monkeypatch):
    """Forget any earlier opt-in and record every mallopt call instead of making it."""
    calls = []
    monkeypatch.setattr(memory, "_state", {"done": False, "active": False})
    monkeypatch.setattr(memory, "_glibc_mallopt", lambda: lambda param, value: calls.append((param, value)) or 1)
    monkeypatch.delenv(memory.ENV_VAR, raising=False)
    return calls


def test_the_library_never_changes_the_allocator(monkeypatch, rng):
    import layergraph as lg

    calls = _recording_mallopt(monkeypatch)
    model = lg.Sequential([lg.Input(shape=(6, 6, 1)), lg.layers.Conv2D(2, 3, activation="relu"),
                           lg.layers.MaxPooling2D(2), lg.layers.Flatten(), lg.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = rng.normal(size=(8, 6, 6, 1)), rng.integers(0, 2, 8)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.train_on_batch(x, y)
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    assert calls == [] and memory._state == {"done": False, "active": False}


def test_the_command_line_opts_in(monkeypatch, capsys):
    from layergraph.cli import main

    calls = _recording_mallopt(monkeypatch)
    assert main(["gates", "--gate", "AND", "--epochs", "10"]) == 0
    assert calls == [(memory.M_MMAP_THRESHOLD, memory.MMAP_THRESHOLD), (memory.M_TRIM_THRESHOLD, memory.TRIM_THRESHOLD)]
    assert memory._state == {"done": True, "active": True}
    capsys.readouterr()
