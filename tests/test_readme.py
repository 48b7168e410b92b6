"""The README's examples run as documented (its Python blocks and its `$ meso ...` lines)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from meso_formulary.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
CONSOLE_LINES = [
    line[2:]
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S)
    for line in block.splitlines()
    if line.startswith("$ meso ")
]


@pytest.fixture(autouse=True)
def _private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESO_DATA_DIR", str(tmp_path_factory.getbasetemp() / "readme-data"))


def test_the_readme_has_examples() -> None:
    assert PYTHON_BLOCKS and CONSOLE_LINES


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.splitlines()[0][:40])
def test_python_examples_run(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})


@pytest.mark.parametrize("line", CONSOLE_LINES)
def test_console_examples_succeed(line: str) -> None:
    args = shlex.split(line)[1:]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()


def test_the_two_setup_commands_are_documented() -> None:
    assert 'pip install . && meso search "hair loss"' in README
    assert 'pip install -e ".[test,web]" && python -m pytest -n 2' in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -n 2" in ci
