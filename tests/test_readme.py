"""The README's example runs as written, and its set-up commands exist."""
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    for block in blocks:
        assert len(block.strip().splitlines()) <= 12
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "1.0" in out  # the example prints its final accuracy


def test_readme_names_exactly_the_two_setup_commands():
    text = README.read_text()
    setup = text.split("## Set up", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", setup, flags=re.M)
    assert commands == ["demo", "test"]
    makefile = (README.parent / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
