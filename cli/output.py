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
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, TypeVar

import click

from meso_formulary.cli.common import safe_text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.style import Style
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
        # crop=False: a source list's URL longer than the terminal runs on, whole
        console().print(fitted(table()), crop=False)
        notice()


def notice(*, stderr: bool = False) -> None:
    """The notice under every answer drawn for a person, on one line (machine formats leave
    it out, so that their output stays the data alone; their docs say so). A command whose
    stdout is data of its own (``meso validate``'s problem lines) prints it on ``stderr``."""
    from meso_formulary.notice import NOT_MEDICAL_ADVICE_LINE

    click.echo(NOT_MEDICAL_ADVICE_LINE, err=stderr)


def wrapped(text: str, *, indent: str = "  ") -> str:
    """``text`` folded to the terminal's width (``COLUMNS``, else the terminal's, else 80)
    at spaces only, so that an id, a URL or a long word is never broken; lines after the
    first are indented by ``indent``. For the notes and reports a command writes beside its
    table (which rich folds itself)."""
    import shutil

    width = max(shutil.get_terminal_size((80, 24)).columns, 20)
    return textwrap.fill(
        text,
        width=width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


WHOLE = re.compile(r"\S+/\S+")
"""A word a table keeps whole: a cocktail's id (``supplier/slug``) or a URL, which a reader
copies into ``meso show`` or a browser (other words keep their own width while they can)."""


WHOLE_META: Final = "meso.whole"
"""The key of the rich style meta that marks an id a table keeps whole (:func:`id_cell`)."""

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
    ordinary words (folded, down to :data:`NARROWEST`) but keep their ids and URLs whole.
    A table that cannot fit so is stacked instead (:func:`_stacked`: a block per row, each
    value after its column's name, as the web page stacks its tables on a phone), folded
    at spaces only.
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
        for column in columns:
            shown = [column.header, *column.cells] if table.show_header else list(column.cells)
            measured = [Measurement.get(console, options.update_width(room), c) for c in shown]
            widths.append(max((m.maximum for m in measured), default=1))
            words.append(max((m.minimum for m in measured), default=1))
            whole.append(  # a column that must not wrap keeps its whole width
                widths[-1] if column.no_wrap else max((_longest_whole(c) for c in shown), default=1)
            )
        if max(whole, default=1) <= 1:  # no id or URL to keep whole: rich lays it out
            yield table
            return
        narrowest = [
            max(min(word, NARROWEST), kept) for word, kept in zip(words, whole, strict=True)
        ]
        if sum(narrowest) > room:
            yield from _stacked(table, options.max_width)
            return
        for floor in (
            [max(word, kept) for word, kept in zip(words, whole, strict=True)],
            narrowest,
        ):
            widths = _shrink(widths, floor, room)
        for column, width in zip(columns, widths, strict=True):
            column.width = max(width, 1)
            column.ratio = None
        yield table


def _stacked(table: Table, width: int) -> Iterator[Text]:
    """``table`` as a block per row: the first column's text, then ``Header: value`` per
    other column that has one (a table without headers: ``label: value``), folded at spaces
    only (ids and URLs stay whole)."""
    from rich.text import Text

    def lines(text: str, first: str, then: str, style: str = "") -> Iterator[Text]:
        for line in textwrap.wrap(
            text,
            width=max(width, len(first) + 1),
            initial_indent=first,
            subsequent_indent=then,
            break_long_words=False,
            break_on_hyphens=False,
        ):
            yield Text(line, style=style, no_wrap=True, overflow="ignore")

    if table.title:
        yield Text(str(table.title), style="bold")
    headers = [_plain(column.header) for column in table.columns]
    rows = zip(*(column.cells for column in table.columns), strict=True)
    for number, row in enumerate(rows):
        first, *others = ("; ".join(_plain(value).splitlines()) for value in row)
        if not table.show_header:
            yield from lines(f"{first}: {', '.join(o for o in others if o)}", "", "  ")
            continue
        if number:
            yield Text("")
        yield from lines(first, "", "  ", style="bold")
        for header, value in zip(headers[1:], others, strict=True):
            if value.strip():
                yield from lines(f"{header}: {value}", "  ", "    ")


def _plain(renderable: object) -> str:
    from rich.text import Text

    return renderable.plain if isinstance(renderable, Text) else safe_text(str(renderable))


def _longest_whole(renderable: object) -> int:
    from rich.text import Text

    text = renderable.plain if isinstance(renderable, Text) else renderable
    if not isinstance(text, str):
        return 1
    found = WHOLE.findall(text)
    if isinstance(renderable, Text):  # the ids :func:`id_cell` marked
        found += [text[s.start : s.end] for s in renderable.spans if _kept_whole(s.style)]
    return max((len(word) for word in found), default=1)


def _kept_whole(style: str | Style) -> bool:
    return not isinstance(style, str) and bool(style.meta.get(WHOLE_META))


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
    from meso_formulary.safe_csv import write_csv

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


def id_cell(value: str) -> Text:
    """An id a reader types back (``active-cancer``, ``acetyl-hexapeptide-8``), dim, and
    kept whole by :class:`Fit` like a cocktail's id."""
    from rich.style import Style
    from rich.text import Text

    return Text(safe_text(value), style=Style(dim=True, meta={WHOLE_META: True}))


class Unfolded:
    """A title and a list of items, folded at spaces only: a word longer than the line
    (a URL) runs on whole, for the terminal to show the rest below, so that it can be
    copied into a browser. rich folds such a word in two, or crops it."""

    def __init__(self, title: str, items: Sequence[tuple[str, str]]) -> None:
        self.title = title
        self.items = items
        """``(bullet, text)`` pairs: ``("  - ", "https://…")``, ``("  [2] ", "…")``."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        yield Text(self.title, style="bold")
        for bullet, item in self.items:
            lines = textwrap.wrap(
                safe_text(item) or " ",
                width=max(options.max_width, len(bullet) + 1),
                initial_indent=bullet,
                subsequent_indent=" " * len(bullet),
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in lines:
                yield Text(line, no_wrap=True, overflow="ignore")


class Footnotes:
    """Sources cited from table cells as ``[n]``, listed whole below (:class:`Unfolded`):
    a URL in a column narrow enough for 80 columns would be folded mid-word."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def mark(self, source: str | None) -> str:
        """``[n]`` for ``source``: the same number each time it is cited ("" for none)."""
        if not source:
            return ""
        return f"[{self._numbers.setdefault(source, len(self._numbers) + 1)}]"

    def __bool__(self) -> bool:
        return bool(self._numbers)

    def listing(self, title: str) -> Unfolded:
        """``title``, then ``[n] source`` per cited source, in the order first cited."""
        return Unfolded(title, [(f"  [{n}] ", source) for source, n in self._numbers.items()])


def new_table(*headers: str, title: str | None = None) -> Table:
    """A table in the house style with ``headers`` as its columns."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table
