"""Canonical JSON and digests of stored records.

A record is stored as the model's JSON with fields left at their default omitted and keys
in model order, so that two equal models give byte-identical text (and a digest that only
changes when the content does, also when a later release adds a field with a default).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel

from meso_formulary.model import CatalogueFile


def canonical_json(model: BaseModel) -> str:
    """The canonical JSON text of ``model`` (aliases, defaults omitted, compact)."""
    return model.model_dump_json(by_alias=True, exclude_defaults=True)


def header_json(document: CatalogueFile) -> str:
    """The canonical JSON of a catalogue document without its cocktails."""
    return document.model_dump_json(by_alias=True, exclude_defaults=True, exclude={"cocktails"})


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def utc_now() -> str:
    """The current UTC time in ISO 8601, to the microsecond (what ``imported_at`` holds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
