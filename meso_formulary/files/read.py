"""Reading a document from a path or stdin, in the format its name (or the caller) gives."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePath

from meso_formulary.files.csv_reader import CsvCocktails, parse_csv
from meso_formulary.files.document import MAX_BYTES, MAX_DEPTH, STREAM_BYTES, Document
from meso_formulary.files.json_reader import JsonCocktails, NotStreamable, parse_json
from meso_formulary.files.problems import unreadable
from meso_formulary.files.source import (
    STDIN,
    CocktailStream,
    NotStreamed,
    decode_text,
    open_regular,
    read_bytes,
    source_name,
)
from meso_formulary.files.yaml_reader import YamlCocktails, parse_yaml

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
    if str(source) != STDIN and open_regular(source, max_bytes=max_bytes) >= STREAM_BYTES:
        chosen = fmt or detect_format(source)
        streamed = (
            stream_json(source, name, max_bytes=max_bytes)
            if chosen == "json"
            else stream_document(source, name, chosen, max_bytes=max_bytes)
        )
        if streamed is not None:
            return streamed
    raw = read_bytes(source, max_bytes=max_bytes)
    text = decode_text(raw, name)
    parser = PARSERS[fmt or detect_format(source, text)]
    document: Document = parser(text, name, max_bytes=max_bytes)
    return replace(document, size=len(raw))


STREAMS: dict[str, type[CocktailStream]] = {"yaml": YamlCocktails, "csv": CsvCocktails}
"""The streaming readers of large YAML and CSV files (JSON has :func:`stream_json`)."""


def stream_document(
    source: str | os.PathLike[str], name: str, fmt: str, *, max_bytes: int = MAX_BYTES
) -> Document | None:
    """A large YAML or CSV catalogue file as a :class:`Document` whose ``cocktails`` are
    read from the file one at a time (:class:`~.source.CocktailStream`), after one pass that
    checks it all; ``None`` when the file is not shaped as a catalogue (the whole-file
    reader then says what is wrong)."""
    cocktails = STREAMS[fmt](os.fspath(source), name, max_bytes=max_bytes)
    try:
        cocktails.scan()
    except NotStreamed:
        return None
    data = {**cocktails.header, "cocktails": cocktails}
    size = open_regular(source, max_bytes=max_bytes)
    return Document(data, name, fmt, cocktails, size=size)


def stream_json(
    source: str | os.PathLike[str], name: str, *, max_bytes: int = MAX_BYTES
) -> Document | None:
    """A large JSON catalogue file as a :class:`Document` whose ``cocktails`` are read from
    the file one at a time (:class:`~.json_reader.JsonCocktails`), after one pass that
    checks it all; ``None`` when the file is not a JSON object with distinct keys (the
    whole-file reader then says what is wrong)."""
    cocktails = JsonCocktails(os.fspath(source), name, max_bytes=max_bytes, max_depth=MAX_DEPTH)
    try:
        cocktails.scan()
    except NotStreamable:
        return None
    data = dict(cocktails.header)
    if "cocktails" in data and data["cocktails"] is None:
        data["cocktails"] = cocktails
    size = open_regular(source, max_bytes=max_bytes)
    return Document(data, name, "json", cocktails.lines, size=size)


def parse_document(raw: bytes, filename: str, fmt: str, *, max_bytes: int = MAX_BYTES) -> Document:
    """Parse the bytes of a document in format ``fmt`` (``"yaml"``, ``"json"`` or ``"csv"``).

    For bytes that come from elsewhere than a file (a member of a bundle): ``filename`` names
    them in problems. Raises :class:`~meso_formulary.errors.UnreadableInput` as
    :func:`read_document` does.
    """
    check_format(fmt, filename)
    parser = PARSERS[fmt]
    document: Document = parser(decode_text(raw, filename), filename, max_bytes=max_bytes)
    return replace(document, size=len(raw))


def check_format(fmt: str | None, filename: str) -> None:
    """Refuse a format name this package has no reader for."""
    if fmt is not None and fmt not in PARSERS:
        raise unreadable(f"unknown format {fmt!r} (yaml, json or csv)", filename)
