"""Reading a document from a path or stdin, in the format its name (or the caller) gives."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import PurePath

from meso_formulary.files.csv_reader import parse_csv
from meso_formulary.files.document import MAX_BYTES, Document
from meso_formulary.files.json_reader import parse_json
from meso_formulary.files.problems import unreadable
from meso_formulary.files.source import STDIN, decode_text, read_bytes, source_name
from meso_formulary.files.yaml_reader import parse_yaml

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}
"""File name extensions and the format each means."""

PARSERS: dict[str, Callable[..., Document]] = {
    "yaml": parse_yaml,
    "json": parse_json,
    "csv": parse_csv,
}


def detect_format(source: str | os.PathLike[str], text: str | None = None) -> str:
    """The format of ``source``: from its extension; for stdin, JSON if it starts with ``{``.

    Standard input has no name to go by: a text whose first non-blank character is ``{`` or
    ``[`` is JSON, anything else YAML. A CSV on stdin needs an explicit format.
    """
    if str(source) == STDIN:
        start = (text or "").lstrip(" \t\r\n\ufeff")[:1]
        return "json" if start in ("{", "[") else "yaml"
    suffix = PurePath(source).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise unreadable(
            f"cannot tell the format from the extension {suffix or '(none)'!r}",
            source_name(source),
            hint="name the file .yaml, .yml, .json or .csv, or give the format (fmt=/--format)",
        )
    return fmt


def read_document(
    source: str | os.PathLike[str], *, fmt: str | None = None, max_bytes: int = MAX_BYTES
) -> Document:
    """Read and parse ``source`` (a path, or ``-`` for stdin) as YAML, JSON or supplier CSV.

    ``fmt`` (``"yaml"``, ``"json"`` or ``"csv"``) overrides the extension. Every failure,
    from a missing file to a duplicate key, raises
    :class:`~meso_formulary.errors.UnreadableInput` naming the file (and line when known).
    """
    name = source_name(source)
    check_format(fmt, name)
    text = decode_text(read_bytes(source, max_bytes=max_bytes), name)
    parser = PARSERS[fmt or detect_format(source, text)]
    document: Document = parser(text, name, max_bytes=max_bytes)
    return document


def parse_document(raw: bytes, filename: str, fmt: str, *, max_bytes: int = MAX_BYTES) -> Document:
    """Parse the bytes of a document in format ``fmt`` (``"yaml"``, ``"json"`` or ``"csv"``).

    For bytes that come from elsewhere than a file (a member of a bundle): ``filename`` names
    them in problems. Raises :class:`~meso_formulary.errors.UnreadableInput` as
    :func:`read_document` does.
    """
    check_format(fmt, filename)
    parser = PARSERS[fmt]
    document: Document = parser(decode_text(raw, filename), filename, max_bytes=max_bytes)
    return document


def check_format(fmt: str | None, filename: str) -> None:
    """Refuse a format name this package has no reader for."""
    if fmt is not None and fmt not in PARSERS:
        raise unreadable(f"unknown format {fmt!r} (yaml, json or csv)", filename)
