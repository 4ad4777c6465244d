"""The installed package is the built wheel, and the wheel holds the whole package.

``make test-wheel`` builds the wheel, installs it into a clean environment and
runs the suite from an empty directory with ``LAYERGRAPH_TEST_WHEEL`` set to the
wheel's path. These tests check that run: that the package under test is the
installed copy, not the source tree, and that nothing of ``layergraph/`` was
left out of the wheel. In the editable environment (``make test``) they skip.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import sysconfig
import zipfile
from pathlib import Path

import pytest

import layergraph

ROOT = Path(__file__).resolve().parents[1]
WHEEL = os.environ.get("LAYERGRAPH_TEST_WHEEL")

pytestmark = pytest.mark.skipif(not WHEEL, reason="runs under `make test-wheel` (LAYERGRAPH_TEST_WHEEL unset)")


def _source_modules() -> dict[str, str]:
    """``{dotted module name: path inside a wheel}`` for every .py file of the source tree's package."""
    modules = {}
    for path in sorted((ROOT / "layergraph").rglob("*.py")):
        relative = path.relative_to(ROOT)
        parts = relative.with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = relative.as_posix()
    return modules


def _site_packages() -> Path:
    return Path(sysconfig.get_path("purelib")).resolve()


def test_layergraph_is_the_installed_copy_not_the_source_tree():
    here = Path(layergraph.__file__).resolve()
    assert here.is_relative_to(_site_packages()), here
    assert not here.is_relative_to(ROOT / "layergraph"), here


def test_wheel_holds_every_module_and_subpackage_and_nothing_else():
    names = set(zipfile.ZipFile(WHEEL).namelist())
    expected = _source_modules()
    assert "layergraph.framework.layers" in expected  # a nested subpackage, so the walk is not empty
    missing = sorted(set(expected.values()) - names)
    assert not missing, f"{Path(WHEEL).name} lacks {missing}: check [options.packages.find] in setup.cfg"
    top_level = {name.split("/", 1)[0] for name in names}
    dist_info = f"layergraph-{layergraph.__version__}.dist-info"
    assert top_level == {"layergraph", dist_info}, top_level  # no tests/, docs/ or benchmarks/ shipped


def test_every_module_imports_from_the_installed_package():
    site = _site_packages()
    for name in _source_modules():
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve().is_relative_to(site), (name, module.__file__)


def test_console_script_points_at_the_cli():
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="layergraph")
    assert script.value == "layergraph.__main__:main"
    assert callable(script.load())
