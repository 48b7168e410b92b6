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
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import click

from meso_formulary.cli.common import safe_text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
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
        console().print(fitted(table()))
        notice()


def notice() -> None:
    """The notice under every answer drawn for a person (tables; machine formats leave it out,
    so that their output stays the data alone)."""
    from meso_formulary.notice import NOT_MEDICAL_ADVICE

    console().print(NOT_MEDICAL_ADVICE)  # wrapped to the terminal's width, as the table is


WHOLE = re.compile(r"\S+/\S+")
"""A word a table keeps whole: a cocktail's id (``supplier/slug``) or a URL, which a reader
copies into ``meso show`` or a browser (other words keep their own width while they can)."""


COCKTAIL_ID = re.compile(
    r"(?<![\w./:@-])[a-z0-9][a-z0-9_-]{0,63}/[a-z0-9][a-z0-9_-]{0,63}(?![\w/-]|\.\w)"
)
"""A cocktail's id (``supplier/slug``) in running text, not a path, DOI or URL."""

NARROWEST = 8
"""The width under which a column of words is not narrowed while another still can be."""


def fitted(renderable: RenderableType) -> RenderableType:
    """``renderable`` with each of its tables (also inside a group) sized by :class:`Fit`."""
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Table):
        return Fit(renderable)
    if isinstance(renderable, Group):
        return Group(*(fitted(part) for part in renderable.renderables))
    return renderable


class Fit:
    """A table whose columns are sized so that ids and URLs are never broken mid-word.

    rich shrinks the widest columns (or shares the width by ratio) without regard to what a
    column holds, so at 80 columns it folds ``reference/dutasteride-hair`` in two. Here every
    column first keeps its longest word; when that is too wide, the columns give up their
    ordinary words (folded, down to :data:`NARROWEST` and then below) but keep their ids and
    URLs whole; only when even the ids cannot fit does anything of them fold.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.measure import Measurement

        table = self.table
        columns = table.columns
        _, right, _, left = table.padding
        borders = (len(columns) + (1 if table.show_edge else -1)) if table.box else 0
        room = options.max_width - borders - (left + right) * len(columns)
        widths: list[int] = []
        words: list[int] = []
        whole: list[int] = []
        ids: list[int] = []
        for column in columns:
            shown = [column.header, *column.cells] if table.show_header else list(column.cells)
            measured = [Measurement.get(console, options.update_width(room), c) for c in shown]
            widths.append(max((m.maximum for m in measured), default=1))
            words.append(max((m.minimum for m in measured), default=1))
            whole.append(max((_longest_whole(c) for c in shown), default=1))
            ids.append(max((_longest_whole(c, urls=False) for c in shown), default=1))
        if max(ids, default=1) <= 1:  # no cocktail id to keep whole: rich lays it out
            yield table
            return
        for floor in (
            [max(word, kept) for word, kept in zip(words, whole, strict=True)],
            [max(min(word, NARROWEST), kept) for word, kept in zip(words, whole, strict=True)],
            # a URL folds before a column of words goes below NARROWEST; a cocktail id not
            [max(min(word, NARROWEST), kept) for word, kept in zip(words, ids, strict=True)],
            ids,
            [1] * len(columns),
        ):
            widths = _shrink(widths, floor, room)
        for column, width in zip(columns, widths, strict=True):
            column.width = max(width, 1)
            column.ratio = None
        yield table


def _longest_whole(renderable: object, *, urls: bool = True) -> int:
    from rich.text import Text

    text = renderable.plain if isinstance(renderable, Text) else renderable
    if not isinstance(text, str):
        return 1
    found = WHOLE.findall(text) if urls else COCKTAIL_ID.findall(text)
    return max((len(word) for word in found), default=1)


def _shrink(widths: list[int], floor: Sequence[int], room: int) -> list[int]:
    """``widths`` narrowed, widest first, to fit ``room`` but none below its ``floor``."""
    widths = list(widths)
    excess = sum(widths) - room
    while excess > 0:
        above = [i for i, width in enumerate(widths) if width > floor[i]]
        if not above:
            break
        widest = max(above, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


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
