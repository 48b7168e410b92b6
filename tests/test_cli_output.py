"""Shared CLI plumbing: safe text, colour rules, error display and atomic file writing."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from cli_support import Meso

from meso_formulary.cli.common import BadInput, CliError, safe_text, write_file

COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-9]")
"""An SGR sequence that sets a foreground colour."""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]0;new title\x07name", "name"),
        ("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("a\x9b2Jb", "ab"),
        ("tab\there\nnew line", "tab here new line"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("abc\u202edcba", "abc dcba"),
        ("zero\u200bwidth", "zero width"),
        ("Vitamin B₁₂", "Vitamin B12"),
    ],
)
def test_safe_text(text: str, shown: str) -> None:
    assert safe_text(text) == shown


def test_tables_are_plain_when_not_a_terminal(meso: Meso, db: Path) -> None:
    result = meso("show", "testco/eye-bright", "--db", db)
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout


def test_colour_on_a_terminal_but_never_with_no_color(meso: Meso, db: Path) -> None:
    coloured = meso("show", "testco/eye-bright", "--db", db, env={"FORCE_COLOR": "1"})
    assert COLOUR.search(coloured.stdout)
    plain = meso("show", "testco/eye-bright", "--db", db, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not COLOUR.search(plain.stdout)


def test_error_display() -> None:
    error = CliError("first line\n  second \x1b[2J line", hint="try \x1b[31mthis\x1b[0m")
    assert error.exit_code == 1
    assert BadInput("x").exit_code == 2
    with click.Context(click.Command("meso")):
        lines: list[str] = []
        error.show(file=_Lines(lines))
    assert "".join(lines) == "Error: first line\n  second line\nHint: try this\n"


class _Lines:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_write_file_is_atomic_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def fail(stream: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(CliError, match=r"cannot write .*No space left on device"):
        write_file(target, fail, force=True)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    write_file(target, lambda stream: stream.write("new\r\n"), force=True)
    assert target.read_bytes() == b"new\r\n"
    with pytest.raises(CliError, match="already exists"):
        write_file(target, lambda stream: stream.write("x"), force=False)


def test_write_file_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a directory"):
        write_file(tmp_path, lambda stream: stream.write("x"), force=True)
