"""Validating a document as a catalogue, with every problem located in the source file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from meso_formulary.errors import InvalidInput, Problem, UnreadableInput
from meso_formulary.files.document import MAX_BYTES, STREAM_BYTES, Document, NodePath
from meso_formulary.files.json_reader import JsonCocktails
from meso_formulary.files.problems import MAX_VALUE_REPR, short_repr
from meso_formulary.files.read import parse_document, read_document
from meso_formulary.files.source import CocktailStream
from meso_formulary.model import CatalogueFile

_PATH_PREFIX = re.compile(r"((?:[a-z_]+\.\d+)(?:\.(?:[a-z_]+|\d+))*): ")
"""A field path the model puts at the start of a whole-file message (``cocktails.3: ...``)."""

_SCALARS = (str, int, float, bool, type(None))


def _value(raw: object) -> object:
    """The offending input as kept in a :class:`Problem`: short scalars as they are."""
    if isinstance(raw, _SCALARS) and len(repr(raw)) <= MAX_VALUE_REPR:
        return raw
    return short_repr(raw)


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, without its ``Value error,`` prefix, plus the value it got."""
    message = error["msg"].removeprefix("Value error, ")
    raw = error.get("input")
    if error["type"] != "missing" and isinstance(raw, _SCALARS):
        message += f" (got {short_repr(raw)})"
    return message


def problems_from(error: ValidationError, document: Document) -> list[Problem]:
    """One located :class:`Problem` per pydantic error, with the field path as dots."""
    problems = []
    for detail in error.errors(include_url=False):
        loc: NodePath = tuple(detail["loc"])
        message = _message(detail)
        match = _PATH_PREFIX.match(message) if not loc else None
        if match:  # a file-level rule that names the record it is about
            loc = tuple(int(part) if part.isdigit() else part for part in match[1].split("."))
            message = message[match.end() :]
        problems.append(
            Problem(
                message,
                path=".".join(map(str, loc)),
                file=document.filename,
                line=document.line_of(loc),
                value=_value(detail.get("input")),
                code=detail["type"],
            )
        )
    return problems


def validate_document(document: Document) -> tuple[CatalogueFile | None, list[Problem]]:
    """Validate a parsed document as a :class:`~meso_formulary.model.CatalogueFile`."""
    data = document.data
    if data is None:
        return None, [Problem("the file holds no catalogue (it is empty)", file=document.filename)]
    if isinstance(data, dict) and isinstance(data.get("cocktails"), JsonCocktails | CocktailStream):
        data = {**data, "cocktails": list(data["cocktails"])}  # a streamed file, whole
    try:
        return CatalogueFile.model_validate(data), []
    except ValidationError as error:
        return None, problems_from(error, document)


def split_document(
    document: Document,
) -> tuple[CatalogueFile | None, Iterable[object], list[Problem]]:
    """The catalogue of ``document`` validated without its cocktails, and the cocktails
    still as data, for a caller that checks them one at a time (see
    :func:`~meso_formulary.catalogue.store.import_checks.check_cocktails`).

    A document smaller than :data:`~.document.STREAM_BYTES` (read whole anyway) is
    validated whole, as :func:`validate_document` does: its catalogue holds its cocktails
    and the iterable is empty. A larger one never has all its cocktails as models at once:
    thousands of models alive cost far more memory than the text they come from. Either
    way the problems are those of the catalogue without its cocktails' own problems, which
    checking them finds.
    """
    data = document.data
    cocktails = data.get("cocktails") if isinstance(data, dict) else None
    streamed = isinstance(cocktails, Iterable) and not isinstance(cocktails, str | bytes | dict)
    if not streamed or (isinstance(cocktails, list) and document.size < STREAM_BYTES):
        catalogue, problems = validate_document(document)
        return catalogue, (), problems
    assert isinstance(data, dict) and isinstance(cocktails, Iterable)
    header = {key: value for key, value in data.items() if key != "cocktails"}
    try:
        return CatalogueFile.model_validate(header), cocktails, []
    except ValidationError as error:
        return None, (), problems_from(error, document)


def check_catalogue(
    source: str | os.PathLike[str], *, fmt: str | None = None, max_bytes: int = MAX_BYTES
) -> tuple[CatalogueFile | None, list[Problem]]:
    """Read and validate ``source``: the catalogue, or ``None`` and every problem found.

    A file that cannot be read at all gives its reading problem; nothing is raised for
    bad input.
    """
    try:
        document = read_document(source, fmt=fmt, max_bytes=max_bytes)
    except UnreadableInput as error:
        return None, list(error.problems)
    return validate_document(document)


def read_catalogue(
    source: str | os.PathLike[str], *, fmt: str | None = None, max_bytes: int = MAX_BYTES
) -> CatalogueFile:
    """Read and validate ``source``; raise :class:`InvalidInput` listing every problem."""
    return require_catalogue(read_document(source, fmt=fmt, max_bytes=max_bytes))


def parse_catalogue(
    raw: bytes, filename: str, fmt: str, *, max_bytes: int = MAX_BYTES
) -> CatalogueFile:
    """Parse and validate catalogue bytes in format ``fmt`` (``"yaml"``, ``"json"``, ``"csv"``).

    ``filename`` names the bytes in problems (``bundle.zip:catalogue.yaml``): for callers that
    must parse the very bytes they checked (a bundle's hashed member), never a file again.
    Raises :class:`UnreadableInput` or :class:`InvalidInput` as :func:`read_catalogue` does.
    """
    return require_catalogue(parse_document(raw, filename, fmt, max_bytes=max_bytes))


def require_catalogue(document: Document) -> CatalogueFile:
    """``document`` as a catalogue; raise :class:`InvalidInput` listing every problem."""
    catalogue, problems = validate_document(document)
    if catalogue is None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise InvalidInput(f"{document.filename} is not a valid catalogue ({count})", problems)
    return catalogue
