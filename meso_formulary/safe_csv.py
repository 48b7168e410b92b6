"""Spreadsheet-safe CSV: every cell quoted, formulas neutralised (OWASP "CSV injection").

Standard library only, so that ``meso search --csv`` writes its rows without loading the
model (:mod:`meso_formulary.files` re-exports both names).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")
"""First characters that make a spreadsheet evaluate a cell (OWASP "CSV injection")."""

_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text)) and math.isfinite(float(text))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "|".join(_cell_text(item) for item in value)
    return str(value)


def csv_safe_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet will not evaluate as a formula.

    A cell starting with ``= + - @``, TAB, CR, LF, NUL or a fullwidth ``＝ ＋ － ＠`` gets a
    leading ``'``; genuine numbers such as ``-0.5`` are left as they are. Sequences become
    ``|``-separated cells (the supplier CSV's list separator).
    """
    text = _cell_text(value)
    if text.startswith(_FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def write_csv(
    rows: Iterable[Mapping[str, object]],
    stream: IO[str],
    fieldnames: Sequence[str],
    *,
    safe: bool = True,
) -> None:
    """Write ``rows`` as CSV with a header, every cell quoted and formula-neutralised.

    ``safe=False`` writes cells verbatim, for machine consumers that never open the file in
    a spreadsheet. A row with a key not in ``fieldnames`` raises ``ValueError``.
    """
    cell = csv_safe_cell if safe else _cell_text
    writer = csv.writer(stream, quoting=csv.QUOTE_ALL)
    writer.writerow([cell(name) for name in fieldnames])
    known = set(fieldnames)
    for number, row in enumerate(rows, start=1):
        extra = set(row) - known
        if extra:
            raise ValueError(f"row {number} has keys not in fieldnames: {sorted(extra)}")
        writer.writerow([cell(row.get(name)) for name in fieldnames])
