"""Validating a document as a catalogue, with every problem located in the source file."""

from __future__ import annotations

import os
import re

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from meso_formulary.errors import InvalidInput, Problem, UnreadableInput
from meso_formulary.files.document import MAX_BYTES, Document, NodePath
from meso_formulary.files.problems import MAX_VALUE_REPR, short_repr
from meso_formulary.files.read import parse_document, read_document
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
    if document.data is None:
        return None, [Problem("the file holds no catalogue (it is empty)", file=document.filename)]
    try:
        return CatalogueFile.model_validate(document.data), []
    except ValidationError as error:
        return None, problems_from(error, document)


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
