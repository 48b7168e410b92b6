"""Output of the read commands: one decorator for ``--json`` / ``--csv`` / ``--nl``, and tables.

As in sqlite-utils, every command that prints records takes the same output options through
:func:`output_options` and hands its records to :func:`emit`:

* ``--json``: one JSON array of objects (documented fields per command);
* ``--nl``: newline-delimited JSON, one object per line;
* ``--csv``: CSV with a header, formula-safe (cells that a spreadsheet would run as a formula
  are defused by :func:`meso_formulary.files.write_csv`); list values are joined with ``|``;
* default: a table for people, drawn by rich. Colour only on a terminal, never when
  ``NO_COLOR`` is set; catalogue text goes through :func:`cell`, which strips escape
  sequences and control characters so that supplier text cannot spoof the terminal.

rich is imported only when a table is drawn, so that ``--json`` output stays fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import click

from meso_formulary.cli.common import safe_text

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

R = TypeVar("R")

Record = Mapping[str, Any]
"""One output record: JSON-compatible values (str, int, float, bool, None, lists, dicts)."""


class Format(StrEnum):
    """How a read command prints its records."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    NL = "nl"


def output_options(func: Callable[..., R]) -> Callable[..., R]:
    """Add ``--json``, ``--csv`` and ``--nl``; the command receives ``fmt: Format``."""

    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, as_csv: bool, as_nl: bool, **kwargs: Any) -> R:
        chosen = [
            fmt
            for fmt, flag in ((Format.JSON, as_json), (Format.CSV, as_csv), (Format.NL, as_nl))
            if flag
        ]
        if len(chosen) > 1:
            raise click.UsageError("choose one of --json, --csv and --nl")
        return func(*args, fmt=chosen[0] if chosen else Format.TABLE, **kwargs)

    options = (
        click.option("--json", "as_json", is_flag=True, help="Output a JSON array of objects."),
        click.option("--csv", "as_csv", is_flag=True, help="Output CSV (formula-safe)."),
        click.option("--nl", "as_nl", is_flag=True, help="Output newline-delimited JSON."),
    )
    decorated: Callable[..., R] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def emit(
    records: Sequence[Record],
    fmt: Format,
    table: Callable[[], RenderableType],
    *,
    flat: Sequence[Record] | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``records`` in ``fmt``; for a table, print what ``table()`` draws.

    CSV cannot hold nested records: a command whose records nest passes ``flat`` rows for
    it. ``columns`` orders the CSV header (default: the keys of the first row).
    """
    if fmt is Format.JSON:
        click.echo(json.dumps(list(records), indent=2, ensure_ascii=False))
    elif fmt is Format.NL:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))
    elif fmt is Format.CSV:
        rows = records if flat is None else flat
        write_csv_rows(rows, columns or (list(rows[0]) if rows else []))
    else:
        console().print(table())
        notice()


def notice() -> None:
    """The notice under every answer drawn for a person (tables; machine formats leave it out,
    so that their output stays the data alone)."""
    from meso_formulary.notice import NOT_MEDICAL_ADVICE

    console().print(NOT_MEDICAL_ADVICE)  # wrapped to the terminal's width, as the table is


def write_csv_rows(rows: Iterable[Record], columns: Sequence[str]) -> None:
    """CSV on stdout through the library's formula-safe writer (lists become ``a|b|c``)."""
    from meso_formulary.files import write_csv

    picked = ({column: row.get(column) for column in columns} for row in rows)
    write_csv(picked, sys.stdout, columns)


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr): colour only on a terminal and without NO_COLOR.

    rich itself turns colour off when the stream is not a terminal and when ``NO_COLOR`` is
    set; markup, emoji codes and highlighting are off so catalogue text prints as it is.
    """
    from rich.console import Console

    return Console(
        file=sys.stderr if stderr else sys.stdout,
        markup=False,
        emoji=False,
        highlight=False,
    )


def cell(value: object, style: str = "") -> Text:
    """A table cell holding ``value`` as plain text (never markup), made safe to print."""
    from rich.text import Text

    if value is None:
        return Text("")
    if isinstance(value, float):
        return Text(f"{value:g}", style=style)
    return Text(safe_text(str(value)), style=style)


def new_table(*headers: str, title: str | None = None) -> Table:
    """A table in the house style with ``headers`` as its columns."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table
