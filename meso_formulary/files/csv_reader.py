"""The supplier CSV layout: one row per composition line, read into a catalogue document.

Spreadsheets are how many suppliers keep their lists, so a catalogue may also be a CSV file
(UTF-8, with or without a BOM; ``,`` or ``;`` between cells, taken from the header line and
then checked against the known columns). Each row is one ingredient of one cocktail::

    supplier_id,supplier_name,cocktail_id,cocktail_name,description,ingredient,value,unit
    acme,Acme Aesthetics,hair-revive,Hair Revive,Scalp cocktail,biotin,5,mg/mL
    acme,Acme Aesthetics,hair-revive,Hair Revive,Scalp cocktail,dexpanthenol,20,mg/mL

Columns (names are matched without regard to case or surrounding spaces; * = required):

- catalogue level, the same on every row (a later row may leave them empty):
  ``supplier_id``\\*, ``supplier_name``\\*, ``supplier_contact``, ``supplier_jurisdiction``,
  ``supplier_url``, ``supplier_licence``, ``catalogue_version`` (a whole number);
- cocktail level, the same on every row of one cocktail (later rows may leave them empty):
  ``cocktail_id``\\* (``supplier/slug``, or just ``slug``, which is put in the supplier's
  namespace), ``cocktail_name``\\*, ``description``\\*, ``cocktail_version``,
  ``regulatory_status``, ``vial_volume_ml``, ``ph``, ``osmolality_mosm_kg``, and the lists
  ``indications``, ``areas``, ``techniques``, ``devices``, ``contraindications``,
  ``sources`` (items separated by ``|`` or ``;``, quote the cell when ``;`` is also the
  delimiter). ``techniques`` and ``devices`` fill the cocktail's ``administration``;
- composition line: ``ingredient``\\*, ``value``\\*, ``unit``\\* (leave ``value`` and
  ``unit`` both empty when the maker does not disclose the strength; leave all three empty
  on a row that only carries cocktail-level cells).

A cocktail's rows need not be adjacent; its composition keeps row order. Numbers are read
strictly: ASCII digits, ``.`` as the decimal mark (``20,5`` is refused, never read as 205 or
20.5), no ``nan``/``inf``, no fullwidth or other-script digits. Rows whose cell count differs
from the header's are refused. Quoted cells may span lines. Line numbers in problems are row
numbers as a spreadsheet shows them (the header is row 1); they equal file lines unless a
quoted cell spans lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from meso_formulary.errors import Problem, UnreadableInput
from meso_formulary.files.document import MAX_BYTES, Document, LineNode
from meso_formulary.files.problems import check_text_size, short_repr
from meso_formulary.files.source import CocktailStream, text_chunks
from meso_formulary.model import FORMAT

FIELD_LIMIT = 1024 * 1024
"""Largest cell accepted (the csv module's default, 128 KiB, is raised to this)."""

MAX_PROBLEMS = 100
"""Reading stops after this many problems: a wrong file would otherwise list thousands."""

SUPPLIER_COLUMNS = {
    "supplier_id": "id",
    "supplier_name": "name",
    "supplier_contact": "contact",
    "supplier_jurisdiction": "jurisdiction",
    "supplier_url": "url",
    "supplier_licence": "licence",
}
COCKTAIL_COLUMNS = {
    "cocktail_id": "id",
    "cocktail_name": "name",
    "description": "description",
    "cocktail_version": "version",
    "regulatory_status": "regulatory_status",
    "vial_volume_ml": "vial_volume_ml",
    "ph": "ph",
    "osmolality_mosm_kg": "osmolality_mosm_kg",
    "indications": "indications",
    "areas": "areas",
    "contraindications": "contraindications",
    "sources": "sources",
    "techniques": "techniques",
    "devices": "devices",
}
LINE_COLUMNS = ("ingredient", "value", "unit")
REQUIRED = frozenset(
    {"supplier_id", "supplier_name", "cocktail_id", "cocktail_name", "description", *LINE_COLUMNS}
)
KNOWN = frozenset({*SUPPLIER_COLUMNS, "catalogue_version", *COCKTAIL_COLUMNS, *LINE_COLUMNS})

_NUMBER_COLUMNS = frozenset({"vial_volume_ml", "ph", "osmolality_mosm_kg", "value"})
_LIST_COLUMNS = frozenset(
    {"indications", "areas", "contraindications", "sources", "techniques", "devices"}
)
_ADMINISTRATION = frozenset({"techniques", "devices"})

_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[-+]?[0-9]*,[0-9]+")
_WHOLE = re.compile(r"[0-9]{1,9}")
_LIST_SPLIT = re.compile(r"[|;]")


class _CellError(Exception):
    """A cell that cannot be read; the caller adds the row and column."""


def _parse_number(text: str) -> float:
    """A finite number written with ASCII digits and a decimal point, else ``_CellError``."""
    cell = text.strip()
    if _DECIMAL_COMMA.fullmatch(cell):
        raise _CellError(
            f"{cell!r} has a decimal comma; write {cell.replace(',', '.')!r} (a decimal point)"
        )
    if not _NUMBER.fullmatch(cell):
        raise _CellError(f"{short_repr(cell)} is not a number")
    value = float(cell)
    if math.isinf(value):
        raise _CellError(f"{short_repr(cell)} is too large a number")
    return value


def _cell_value(column: str, text: str) -> object:
    """The value a non-empty cell stands for in the catalogue document."""
    if column in _NUMBER_COLUMNS:
        return _parse_number(text)
    if column in _LIST_COLUMNS:
        return [item.strip() for item in _LIST_SPLIT.split(text) if item.strip()]
    if column == "catalogue_version":
        if not _WHOLE.fullmatch(text.strip()):
            raise _CellError(f"{short_repr(text)} is not a whole number")
        return int(text.strip())
    return text


def _delimiter(text: str) -> str:
    """``;`` when the header line has more semicolons than commas, else ``,``."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]
    return ";" if header.count(";") > header.count(",") else ","


@dataclass
class _Cocktail:
    fields: dict[str, object]
    lines: dict[str, LineNode | int]
    composition: list[object] = field(default_factory=list)
    composition_lines: list[LineNode | int] = field(default_factory=list)
    first_row: int = 0


@dataclass
class _Reader:
    """Collects the catalogue and its problems row by row."""

    filename: str
    header: list[str]
    supplier: dict[str, object] = field(default_factory=dict)
    supplier_lines: dict[str, LineNode | int] = field(default_factory=dict)
    top: dict[str, object] = field(default_factory=dict)
    top_lines: dict[str, LineNode | int] = field(default_factory=dict)
    cocktails: dict[str, _Cocktail] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, row: int, column: str, message: str, value: object = None) -> None:
        self.problems.append(
            Problem(message, path=column, file=self.filename, line=row, value=value, code="csv")
        )

    def consistent(
        self,
        into: dict[str, object],
        lines: dict[str, LineNode | int],
        key: str,
        value: object,
        row: int,
        column: str,
    ) -> None:
        """Set ``into[key]``, or check a repeated value agrees with the first one given."""
        if key not in into:
            into[key], lines[key] = value, row
        elif into[key] != value:
            first = lines[key]
            self.problem(
                row,
                column,
                f"{column} differs from row {first if isinstance(first, int) else first.line} "
                f"({short_repr(into[key])})",
                value,
            )

    def take(self, row: int, cells: list[str]) -> None:
        """Add a data row, or note that its cells do not match the header's."""
        if len(cells) != len(self.header):
            self.problem(
                row,
                "",
                f"the row has {len(cells)} cells but the header has {len(self.header)}",
                cells,
            )
        else:
            self.add_row(row, cells)

    def add_row(self, row: int, cells: list[str]) -> None:
        values: dict[str, object] = {}
        unreadable = False
        for column, text in zip(self.header, cells, strict=True):
            if not text.strip():
                continue
            try:
                values[column] = _cell_value(column, text)
            except _CellError as error:
                self.problem(row, column, str(error), text)
                unreadable = True
        if unreadable:
            return  # checking the rest of the row would only echo its unreadable cells
        for column, key in SUPPLIER_COLUMNS.items():
            if column in values:
                self.consistent(
                    self.supplier, self.supplier_lines, key, values[column], row, column
                )
        if "catalogue_version" in values:
            self.consistent(
                self.top,
                self.top_lines,
                "version",
                values["catalogue_version"],
                row,
                "catalogue_version",
            )
        self._add_to_cocktail(row, values)

    def _add_to_cocktail(self, row: int, values: dict[str, object]) -> None:
        cocktail_id = values.get("cocktail_id")
        if not isinstance(cocktail_id, str):
            self.problem(row, "cocktail_id", "cocktail_id is empty")
            return
        cocktail_id = cocktail_id.strip()
        supplier_id = self.supplier.get("id")
        if "/" not in cocktail_id and isinstance(supplier_id, str):
            cocktail_id = f"{supplier_id.strip()}/{cocktail_id}"
        cocktail = self.cocktails.get(cocktail_id)
        if cocktail is None:
            cocktail = _Cocktail({"id": cocktail_id}, {"id": row}, first_row=row)
            if isinstance(supplier_id, str):
                cocktail.fields["supplier"] = supplier_id.strip()
                cocktail.lines["supplier"] = row
            self.cocktails[cocktail_id] = cocktail
        for column, key in COCKTAIL_COLUMNS.items():
            if column in values and column != "cocktail_id":
                self.consistent(cocktail.fields, cocktail.lines, key, values[column], row, column)
        self._add_line(row, cocktail, values)

    def _add_line(self, row: int, cocktail: _Cocktail, values: dict[str, object]) -> None:
        ingredient, value, unit = (values.get(column) for column in LINE_COLUMNS)
        if ingredient is None:
            if value is not None or unit is not None:
                self.problem(row, "ingredient", "a strength is given without an ingredient")
            return
        line: dict[str, object] = {"ingredient": ingredient}
        if (value is None) != (unit is None):
            missing = "unit" if unit is None else "value"
            self.problem(
                row,
                missing,
                f"{missing} is empty (leave value and unit both empty when the "
                "strength is not disclosed)",
            )
        elif value is not None:
            line["strength"] = {"value": value, "unit": unit}
        cocktail.composition.append(line)
        cocktail.composition_lines.append(row)

    def document_data(self) -> tuple[dict[str, object], LineNode]:
        cocktails: list[object] = []
        cocktail_lines: list[LineNode | int] = []
        for cocktail in self.cocktails.values():
            fields, lines = _cocktail_data(cocktail)
            cocktails.append(fields)
            cocktail_lines.append(lines)
        data, root = self.header_data(cocktail_lines)
        data["cocktails"] = cocktails
        return data, root

    def header_data(
        self, cocktail_lines: list[LineNode | int]
    ) -> tuple[dict[str, object], LineNode]:
        """The catalogue without its cocktails, and its line index."""
        data: dict[str, object] = {"format": FORMAT, "supplier": self.supplier}
        data.update(self.top)
        root_children: dict[str, LineNode | int] = {
            "format": 1,
            "supplier": LineNode(2, self.supplier_lines),
            **self.top_lines,
            "cocktails": LineNode(2, cocktail_lines),
        }
        return data, LineNode(1, root_children)


def _cocktail_data(cocktail: _Cocktail) -> tuple[dict[str, object], LineNode]:
    """One cocktail as catalogue data, and its lines."""
    fields = dict(cocktail.fields)
    lines = dict(cocktail.lines)
    administration = {key: fields.pop(key) for key in _ADMINISTRATION if key in fields}
    if administration:
        fields["administration"] = administration
        rows = [lines.pop(key) for key in _ADMINISTRATION if key in lines]
        lines["administration"] = min(row for row in rows if isinstance(row, int))
    if cocktail.composition:
        fields["composition"] = cocktail.composition
        lines["composition"] = LineNode(cocktail.first_row, cocktail.composition_lines)
    return fields, LineNode(cocktail.first_row, lines)


class _RowError(Exception):
    """A record the csv module cannot split (broken quoting, a cell over the limit)."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` for each record; the header is row 1."""
    return _numbered(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` for each record ``reader`` yields, a CSV error as the
    :class:`_RowError` of its row."""
    row = 0
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _RowError(row, str(error)) from None
        yield row, cells


def _check_header(cells: list[str], filename: str) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    problems = []
    unknown = [name for name in header if name not in KNOWN]
    if unknown:
        problems.append(f"unknown columns: {', '.join(map(repr, unknown))}")
    missing = sorted(REQUIRED - set(header))
    if missing:
        problems.append(f"missing required columns: {', '.join(missing)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        raise _unreadable_csv(
            filename,
            [
                Problem(
                    f"header: {'; '.join(problems)}", file=filename, line=1, value=cells, code="csv"
                )
            ],
            hint=f"the known columns are: {', '.join(sorted(KNOWN))}",
        )
    return header


def _unreadable_csv(
    filename: str, problems: list[Problem], hint: str | None = None
) -> UnreadableInput:
    return UnreadableInput(f"cannot read {filename}", problems, hint=hint)


def parse_csv(text: str, filename: str, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read a supplier CSV (see the module documentation) into a catalogue :class:`Document`.

    Raises :class:`~meso_formulary.errors.UnreadableInput` with one problem per bad cell or
    row (up to :data:`MAX_PROBLEMS`), each naming the row and column.
    """
    check_text_size(text, filename, max_bytes)
    text = text.removeprefix("\ufeff")
    # the limit is process-wide: only ever raise it, never lower what another caller set
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    records = _records(text, _delimiter(text))
    reader: _Reader | None = None
    try:
        for row, cells in records:
            if reader is None:
                reader = _Reader(filename, _check_header(cells, filename))
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and the empty rows spreadsheets leave at the end
            reader.take(row, cells)
            if len(reader.problems) >= MAX_PROBLEMS:
                break
    except _RowError as error:
        problem = Problem(f"CSV error: {error.message}", file=filename, line=error.row, code="csv")
        raise _unreadable_csv(filename, [*(reader.problems if reader else []), problem]) from None
    if reader is None:
        raise _unreadable_csv(filename, [Problem("the file is empty", file=filename, code="csv")])
    if reader.problems:
        raise _unreadable_csv(filename, reader.problems)
    data, lines = reader.document_data()
    return Document(data, filename, "csv", lines)


_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(chunks: Iterator[str]) -> Iterator[str]:
    """The lines of a text given in chunks, each with its end (``\\r\\n``, ``\\r`` or
    ``\\n``, as ``newline=""`` keeps them)."""
    pending = ""
    for chunk in chunks:
        text = pending + chunk
        start = 0
        for match in _LINE_END.finditer(text):
            if match.end() == len(text) and match[0] == "\r":
                break  # a \r\n may be cut between two chunks
            yield text[start : match.end()]
            start = match.end()
        pending = text[start:]
    if pending:
        yield pending


class CsvCocktails(CocktailStream):
    """The cocktails of a large supplier CSV, one at a time (see
    :class:`~.source.CocktailStream`).

    A cocktail is given once its last row is read, in the order of first rows, as
    :func:`parse_csv` orders them: the first pass also notes each cocktail's last row.
    Rows of one cocktail are usually adjacent; rows spread over the file keep the
    cocktails between them waiting (their plain rows, not models).
    """

    fmt = "csv"

    def __init__(self, path: str, filename: str, *, max_bytes: int) -> None:
        super().__init__(path, filename, max_bytes=max_bytes)
        self._last_rows: dict[str, int] = {}

    def scan(self) -> None:
        last = self._last_rows
        digest = hashlib.sha256()
        chunks = text_chunks(self.path, digest, max_bytes=self.max_bytes)
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
        supplier: str | None = None
        header: list[str] = []
        try:
            for row, cells in self._records(chunks):
                if row == 1:
                    header = [cell.strip().lower() for cell in cells]
                    continue
                if len(cells) != len(header):
                    continue
                values = dict(zip(header, cells, strict=True))
                if supplier is None and values.get("supplier_id", "").strip():
                    supplier = values["supplier_id"]
                cocktail_id = values.get("cocktail_id", "").strip()
                if cocktail_id:
                    if "/" not in cocktail_id and supplier is not None:
                        cocktail_id = f"{supplier.strip()}/{cocktail_id}"
                    last[cocktail_id] = row
        except _RowError:
            pass  # reported by the pass below
        super().scan()

    def _records(self, chunks: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
        lines = _lines(chunks)
        first = next(lines, "")
        delimiter = _delimiter(first)
        return _numbered(csv.reader(chain((first,), lines), delimiter=delimiter, strict=True))

    def _cocktails(
        self, chunks: Iterator[str], header: dict[str, object]
    ) -> Iterator[tuple[object, Any]]:
        filename = self.filename
        reader: _Reader | None = None
        last = self._last_rows
        try:
            for row, cells in self._records(chunks):
                if reader is None:
                    reader = _Reader(filename, _check_header(cells, filename))
                    continue
                if any(cell.strip() for cell in cells):
                    reader.take(row, cells)
                    if len(reader.problems) >= MAX_PROBLEMS:
                        break
                if reader.problems:
                    continue  # the file is refused at its end: nothing more is given
                while reader.cocktails:
                    key = next(iter(reader.cocktails))
                    if last.get(key, 0) > row:
                        break
                    yield _cocktail_data(reader.cocktails.pop(key))
        except _RowError as error:
            problem = Problem(
                f"CSV error: {error.message}", file=filename, line=error.row, code="csv"
            )
            raise _unreadable_csv(
                filename, [*(reader.problems if reader else []), problem]
            ) from None
        if reader is None:
            raise _unreadable_csv(
                filename, [Problem("the file is empty", file=filename, code="csv")]
            )
        if reader.problems:
            raise _unreadable_csv(filename, reader.problems)
        for cocktail in reader.cocktails.values():
            yield _cocktail_data(cocktail)
        data, lines = reader.header_data([])
        header.update(data)
        header["cocktails"] = None
        self.header_lines = lines
