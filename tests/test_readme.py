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


def test_readme_setup_leads_with_the_two_commands_and_names_real_targets():
    text = README.read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", setup, flags=re.S)
    assert re.findall(r"^make ([\w-]+)", blocks[0], flags=re.M) == ["demo", "test"]  # all a new user needs
    named = set(re.findall(r"\bmake ([\w-]+)", setup))
    assert {"lock", "test-latest", "test-wheel", "lint"} <= named
    makefile = (README.parent / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    assert named <= targets, named - targets
