"""The reference data shipped with the library: ingredients, indications and archetype cocktails.

The data is information, not medical advice. Every figure carries its source (a label, a
paper, a product page, or the project's own research notes with their quality stated); where
no source gives a figure, the field is left empty rather than filled with a guess.

The files live next to this module and are read with :func:`importlib.resources`, so they work
from a wheel or a zip as well as from a source tree. They go through the same hardened YAML
reader and the same models as any supplier file, and each loader is cached: the data cannot
change while the process runs.

- :func:`ingredients`: the ingredient dictionary (``ingredients.yaml``)
- :func:`indications`: the concerns and their lay words and codes (``indications.yaml``)
- :func:`reference_catalogue`: the archetype cocktails of supplier ``reference``
  (``cocktails.yaml``)
- :func:`data_digest`: a fingerprint of every shipped ``*.yaml`` file, so that a catalogue
  built from the data can tell when it is stale
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TypeVar

from pydantic import BaseModel, ValidationError, model_validator

from meso_formulary.errors import InvalidInput
from meso_formulary.files import Document, parse_yaml, problems_from
from meso_formulary.model import CatalogueFile, Indication, Ingredient, Record

INGREDIENTS_FILE = "ingredients.yaml"
INDICATIONS_FILE = "indications.yaml"
COCKTAILS_FILE = "cocktails.yaml"

_Model = TypeVar("_Model", bound=BaseModel)


class IngredientDictionary(Record):
    """The shape of ``ingredients.yaml``: one list of ingredients with unique ids."""

    ingredients: tuple[Ingredient, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> IngredientDictionary:
        _refuse_duplicates([ingredient.id for ingredient in self.ingredients], "ingredient id")
        return self


class IndicationList(Record):
    """The shape of ``indications.yaml``: one list of indications with unique ids."""

    indications: tuple[Indication, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> IndicationList:
        _refuse_duplicates([indication.id for indication in self.indications], "indication id")
        return self


def _refuse_duplicates(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


def _data_folder() -> Traversable:
    return resources.files(__name__)


def _document(filename: str) -> Document:
    text = _data_folder().joinpath(filename).read_text(encoding="utf-8")
    return parse_yaml(text, filename)


def _validated(model: type[_Model], document: Document) -> _Model:
    """``document`` as ``model``; a broken shipped file is reported like any supplier file."""
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        raise InvalidInput(
            f"the shipped reference file {document.filename} is not valid",
            problems_from(error, document),
            hint="this is a packaging bug in meso-formulary; please report it",
        ) from None


@cache
def ingredients() -> tuple[Ingredient, ...]:
    """The reference ingredient dictionary."""
    return _validated(IngredientDictionary, _document(INGREDIENTS_FILE)).ingredients


@cache
def indications() -> tuple[Indication, ...]:
    """Every indication, with its lay synonyms, codes and typical areas."""
    return _validated(IndicationList, _document(INDICATIONS_FILE)).indications


@cache
def reference_catalogue() -> CatalogueFile:
    """The archetype cocktails, published as the catalogue of supplier ``reference``."""
    return _validated(CatalogueFile, _document(COCKTAILS_FILE))


def folder_digest(folder: Traversable) -> str:
    """SHA-256 over every ``*.yaml`` file directly in ``folder``, taken in name order.

    Each file contributes its name and its length before its bytes, so that moving bytes
    from one file to the next, or renaming a file, changes the digest too.
    """
    digest = hashlib.sha256()
    files = sorted(
        (item for item in folder.iterdir() if item.is_file() and item.name.endswith(".yaml")),
        key=lambda item: item.name,
    )
    for item in files:
        content = item.read_bytes()
        digest.update(item.name.encode("utf-8") + b"\0")
        digest.update(len(content).to_bytes(8, "big"))
        digest.update(content)
    return digest.hexdigest()


@cache
def data_digest() -> str:
    """The fingerprint of the shipped data files (``rules.yaml`` included)."""
    return folder_digest(_data_folder())


__all__ = [
    "COCKTAILS_FILE",
    "INDICATIONS_FILE",
    "INGREDIENTS_FILE",
    "IndicationList",
    "IngredientDictionary",
    "data_digest",
    "folder_digest",
    "indications",
    "ingredients",
    "reference_catalogue",
]
