"""Checks of the documentation: its sources, and the built site when there is one.

The full Sphinx build (which executes every tutorial) is ``make docs``; CI runs
it separately. The checks of the built HTML run on ``docs/_build/html`` when
it exists (after ``make docs``); set ``LAYERGRAPH_TEST_DOCS=1`` to build the
site from pytest (without running the tutorials) and check that copy.
The API reference's coverage is checked by ``tests/test_api_reference.py``.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("plot_*.py"))
BUILT = DOCS / "_build" / "html"


def test_tutorials_exist_and_parse():
    assert len(TUTORIALS) >= 4, TUTORIALS
    for path in TUTORIALS:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        docstring = ast.get_docstring(tree)
        assert docstring, f"{path.name}: sphinx-gallery needs a module docstring with a title"
        title, underline = docstring.splitlines()[:2]
        assert set(underline) == {"="} and len(underline) >= len(title), f"{path.name}: title underline"


def _first_python_block(text):
    lines = []
    for line in text.split(".. code-block:: python", 1)[1].splitlines()[1:]:
        if line.strip() and not line.startswith("   "):
            break
        lines.append(line[3:])
    return "\n".join(lines).strip()


def _run(code, name):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, name, "exec"), {})
    return out.getvalue().strip()


def test_getting_started_example_runs():
    text = (DOCS / "getting_started.rst").read_text(encoding="utf-8")
    code = _first_python_block(text.split("A Keras-style example in ten lines", 1)[1])
    assert len(code.splitlines()) <= 12
    assert _run(code, "getting_started.rst")


def test_coming_from_keras_example_runs_with_only_the_import_changed():
    code = _first_python_block((DOCS / "coming_from_keras.rst").read_text(encoding="utf-8"))
    assert "import layergraph as keras  # the only change" in code
    printed = _run(code, "coming_from_keras.rst")
    accuracy = float(re.match(r"accuracy (\d\.\d+);", printed).group(1))
    assert accuracy >= 0.9, printed  # the task is learnable: a model that trains gets it


def test_readme_command_line_names_only_real_commands_and_options():
    """The README's synopsis is hand-written (the docs' CLI page is generated): it must not drift."""
    import argparse

    from layergraph.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    block = (ROOT / "README.md").read_text(encoding="utf-8").split("## Command line", 1)[1].split("```")[1]
    seen, command = 0, None
    for line in block.splitlines()[1:]:  # after the fence's language
        words = line.split()
        if words[:3] == ["python", "-m", "layergraph"]:
            command = words[3]
            assert command in commands, f"README names an unknown command: {command}"
        options = re.findall(r"\[(--[\w-]+)", line)
        known = {o for a in commands[command]._actions for o in a.option_strings}
        unknown = [o for o in options if o not in known]
        assert not unknown, f"README: `{command}` has no option {unknown}"
        seen += len(options)
    assert seen >= 10, "the README's command-line block was not found"


# -- the built site ------------------------------------------------------------------

class _Resources(HTMLParser):
    """The scripts, stylesheets, images and fonts a page loads, and its element ids."""

    def __init__(self):
        super().__init__()
        self.loaded, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "script" and attrs.get("src"):
            self.loaded.append(attrs["src"])
        elif tag == "link" and {"stylesheet", "preload", "modulepreload", "icon"} & set(
                (attrs.get("rel") or "").split()):
            self.loaded.append(attrs.get("href") or "")
        elif tag in ("img", "iframe", "source", "embed") and attrs.get("src"):
            self.loaded.append(attrs["src"])


def _is_remote(url):
    return bool(re.match(r"^(https?:)?//", url.strip(), re.I))


def _parse(page):
    parser = _Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def check_site_is_offline(html_dir):
    """No page loads a script, stylesheet, image or font from another host; MathJax is served locally."""
    remote = []
    for page in html_dir.rglob("*.html"):
        remote += [f"{page.relative_to(html_dir)}: {url}" for url in _parse(page).loaded if _is_remote(url)]
    for sheet in html_dir.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        remote += [f"{sheet.relative_to(html_dir)}: {url}" for url in re.findall(
            r"""(?:@import\s+(?:url\()?|url\()\s*['"]?([^'")\s]+)""", text) if _is_remote(url)]
    assert not remote, f"remote resources: {remote[:20]}"
    with_maths = [p for p in html_dir.rglob("*.html") if 'class="math' in p.read_text(encoding="utf-8")]
    assert with_maths, "no page with maths: the check would prove nothing"
    for page in with_maths:
        scripts = _parse(page).loaded
        mathjax = [s for s in scripts if "mathjax" in s.lower()]
        assert mathjax, f"{page.name} has maths but loads no MathJax"
        for src in mathjax:
            assert (page.parent / src.split("?")[0]).is_file(), f"{page.name}: {src} is not in the site"


def check_reference_names(html_dir):
    """Every public name has an entry (an element id) on the API pages; internals stay out of them."""
    spec_path = DOCS / "_ext" / "layergraph_public.py"
    namespace = {}
    exec(compile(spec_path.read_text(encoding="utf-8"), str(spec_path), "exec"), namespace)
    api_pages = [p for p in (html_dir / "api").glob("*.html") if p.stem != "internals"]
    ids = set().union(*(_parse(p).ids for p in api_pages))
    missing = [f"{ns}.{name}" for ns in namespace["NAMESPACES"] for name, _, _ in namespace["public_entries"](ns)
               if f"{ns}.{name}" not in ids]
    assert not missing, f"public names without an entry in the built reference: {missing}"
    hidden = ("forward_preactivation", "backward_preactivation", "owns_preactivation", "can_skip_input_grad",
              "im2col", "window_view", "retain_freed_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD")
    entries = sorted(i for i in ids if i.startswith("layergraph.") and i.rsplit(".", 1)[-1] in hidden)
    assert not entries, f"internals with an entry in the user reference: {entries}"
    for page in api_pages:
        text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))  # what a reader sees, not link targets
        assert "layergraph.framework." not in text, f"{page.name} shows an internal path (layergraph.framework.*)"


def check_no_build_paths(html_dir):
    """No page shows where it was built (an absolute path of the builder's checkout or home)."""
    leaks = []
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for path in {str(ROOT), str(ROOT.parent), str(Path.home())} - {"/"}:
            if path + "/" in text:
                leaks.append(f"{page.relative_to(html_dir)}: {path}")
    assert not leaks, f"build paths in the pages: {leaks[:10]}"


def _site_is_stale():
    """Whether a source changed after the site was built (it then shows an older configuration and reference)."""
    built = (BUILT / "index.html").stat().st_mtime
    sources = [*(ROOT / "layergraph").rglob("*.py"), *DOCS.glob("*.rst"), *(DOCS / "api").glob("*.rst"),
               *(DOCS / "_ext").glob("*.py"), DOCS / "conf.py", *(DOCS / "tutorials").glob("*.py")]
    return any(p.stat().st_mtime > built for p in sources)


@pytest.mark.skipif(not (BUILT / "index.html").exists(), reason="no built site (run make docs)")
@pytest.mark.parametrize("check", [check_site_is_offline, check_reference_names, check_no_build_paths])
def test_built_site(check):
    if _site_is_stale():
        pytest.skip("the built site is older than the sources: run make docs")
    check(BUILT)


@pytest.mark.skipif(os.environ.get("LAYERGRAPH_TEST_DOCS") != "1",
                    reason="set LAYERGRAPH_TEST_DOCS=1 (or run make docs)")
def test_sphinx_build(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-D", "plot_gallery=0",
           str(DOCS), str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for check in (check_site_is_offline, check_reference_names, check_no_build_paths):
        check(out)
