"""The JSON Schema of catalogue files, for editors and other languages' validators.

The committed copy lives in ``schema/catalogue.schema.json``; regenerate it with::

    python -m meso_formulary.files > schema/catalogue.schema.json

The schema describes the shape (fields, types, enumerations, bounds); checks that need code,
such as CAS check digits or a cocktail id in its supplier's namespace, are the library's.
"""

from __future__ import annotations

import json
from typing import Any

from meso_formulary.model import CatalogueFile

SCHEMA_ID = "urn:meso-formulary:schema:catalogue:1"
"""The schema's ``$id``: a name, not a download location."""


def catalogue_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a catalogue file's content must match."""
    schema = CatalogueFile.model_json_schema(mode="validation")
    header = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "meso-formulary catalogue file",
        "description": (
            "One supplier's catalogue of mesotherapy cocktails (format meso-formulary/1). "
            "Information, not medical advice. Some rules (CAS check digits, cocktail ids in "
            "the supplier's namespace, unique ids) are checked by the meso-formulary library, "
            "not by this schema."
        ),
    }
    return {**header, **{key: value for key, value in schema.items() if key not in header}}


def schema_text() -> str:
    """The schema as the committed file holds it: indent 2, keys in model order."""
    return json.dumps(catalogue_json_schema(), indent=2, ensure_ascii=False) + "\n"
