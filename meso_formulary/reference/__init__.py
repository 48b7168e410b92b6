"""The reference data shipped with the library: ingredients, indications and archetype cocktails.

The data is information, not medical advice. Every figure carries its source (a label, a
paper, a product page, or the project's own research notes with their quality stated); where
no source gives a figure, the field is left empty rather than filled with a guess.

The files live next to this module. They go through the same hardened YAML reader and the
same models as any supplier file, and each loader is cached: the data cannot change while
the process runs.

- :func:`ingredients`: the ingredient dictionary (``ingredients.yaml``)
- :func:`indications`: the concerns and their lay words and codes (``indications.yaml``)
- :func:`substances`: the active-moiety groups and allergen groups screening expands an
  exclusion by (``substances.yaml``)
- :func:`conditions`: the client conditions screening knows (``conditions.yaml``)
- :func:`near_words`: the medically distinct words no concern may take (``near_words.yaml``)
- :func:`areas`: the treatment areas and their words in six languages (``areas.yaml``)
- :func:`function_words`: per language, the words a search never requires
  (``function_words.yaml``)
- :func:`reference_catalogue`: the catalogue of supplier ``reference``: the archetype
  cocktails (``cocktails.yaml``) and the real products by name (``products.yaml``), each
  archetype linked to the products it stands for
- :func:`data_digest`: a fingerprint (SHA-256) of every shipped ``*.yaml`` file, so that a
  catalogue built from the data can tell when it is stale
- :func:`data_checksum`: a cheaper one (CRC-32) of the same bytes, which names the built
  reference catalogue file

Importing this module is cheap on purpose: ``meso search`` finds the built reference
catalogue on every start, so the models (pydantic) and the YAML reader are imported by the
loaders, when data is first loaded, and not before. That is also why the file is named by
:func:`data_checksum`: :mod:`hashlib` alone takes some 2 ms to import (it loads OpenSSL),
a sixth of the command's start-up budget, while :mod:`zlib` is nearly free. A CRC-32 is no
defence against a forger, but the question it answers is only "is the cached file built
from these files?", where a chance collision (1 in 4 billion per data release) would at
worst keep the previous release's reference catalogue until the next one.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterator
    from importlib.resources.abc import Traversable

    from pydantic import BaseModel

    from meso_formulary.files import Document
    from meso_formulary.model import (
        CatalogueFile,
        ClientCondition,
        Indication,
        Ingredient,
        TreatmentArea,
    )

    from .documents import (
        AreaList,
        ConditionList,
        FunctionWords,
        IndicationList,
        IngredientDictionary,
        NearWord,
        SubstanceGroups,
    )

    _Model = TypeVar("_Model", bound=BaseModel)

INGREDIENTS_FILE = "ingredients.yaml"
INDICATIONS_FILE = "indications.yaml"
COCKTAILS_FILE = "cocktails.yaml"
PRODUCTS_FILE = "products.yaml"
SUBSTANCES_FILE = "substances.yaml"
CONDITIONS_FILE = "conditions.yaml"
NEAR_WORDS_FILE = "near_words.yaml"
AREAS_FILE = "areas.yaml"
FUNCTION_WORDS_FILE = "function_words.yaml"

SEED_SOURCE = (
    "What is Mesotherapy? The benefits, the treatment and aftercare "
    "(an aesthetic clinic's patient-information page; low quality)"
)
"""How the shipped data cites the page the project started from: a clinic's patient
information on mesotherapy (session length, numbing, results lasting 3-5 months, expected
effects, make-up after 12 hours). Its facts are stored as any other source's, never above
a better one."""

_DOCUMENT_MODELS = frozenset(
    {
        "AreaList",
        "ConditionList",
        "FunctionWords",
        "IndicationList",
        "IngredientDictionary",
        "NearWord",
        "NearWordList",
        "SubstanceGroups",
    }
)
"""Names re-exported from :mod:`.documents` on first use (PEP 562)."""


def __getattr__(name: str) -> Any:
    if name not in _DOCUMENT_MODELS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".documents", __name__), name)
    globals()[name] = value
    return value


def _data_folder() -> Traversable:
    """The folder of the data files: this package's directory when it is one (an installed
    wheel or a source tree), else what :mod:`importlib.resources` finds (a zip import).

    The directory is tried first because :mod:`importlib.resources` alone costs a few
    milliseconds to import, a sizeable part of ``meso search``'s start-up budget.
    """
    folder = Path(__file__).parent
    if folder.is_dir():
        return folder
    from importlib import resources

    return resources.files(__name__)


def _document(filename: str) -> Document:
    from meso_formulary.files import parse_yaml

    text = _data_folder().joinpath(filename).read_text(encoding="utf-8")
    return parse_yaml(text, filename)


def _validated(model: type[_Model], document: Document) -> _Model:
    """``document`` as ``model``; a broken shipped file is reported like any supplier file."""
    from pydantic import ValidationError

    from meso_formulary.errors import InvalidInput
    from meso_formulary.files import problems_from

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
    from .documents import IngredientDictionary

    return _validated(IngredientDictionary, _document(INGREDIENTS_FILE)).ingredients


@cache
def indications() -> tuple[Indication, ...]:
    """Every indication, with its lay synonyms, codes and typical areas."""
    from .documents import IndicationList

    return _validated(IndicationList, _document(INDICATIONS_FILE)).indications


@cache
def substances() -> SubstanceGroups:
    """The active-moiety groups and the allergen groups, each with its members and sources."""
    from .documents import SubstanceGroups

    return _validated(SubstanceGroups, _document(SUBSTANCES_FILE))


@cache
def conditions() -> tuple[ClientCondition, ...]:
    """The client conditions of the screening vocabulary, with their words and sources."""
    from .documents import ConditionList

    return _validated(ConditionList, _document(CONDITIONS_FILE)).conditions


@cache
def near_words() -> tuple[NearWord, ...]:
    """The near-words of the concerns: what each names, what it resembles, and why."""
    from .documents import NearWordList

    return _validated(NearWordList, _document(NEAR_WORDS_FILE)).near_words


@cache
def areas() -> tuple[TreatmentArea, ...]:
    """The treatment areas, in plain words, with what clients call them per language."""
    from .documents import AreaList

    return _validated(AreaList, _document(AREAS_FILE)).areas


@cache
def function_words() -> FunctionWords:
    """Per language, the function words a search never requires, with their sources."""
    from .documents import FunctionWords

    return _validated(FunctionWords, _document(FUNCTION_WORDS_FILE))


@cache
def reference_catalogue() -> CatalogueFile:
    """The catalogue of supplier ``reference``: the archetypes, then the real products.

    The two files are two catalogue files of the same supplier; the result is validated as
    one (ids unique across both).
    """
    from meso_formulary.errors import InvalidInput
    from meso_formulary.model import CatalogueFile

    archetypes = _validated(CatalogueFile, _document(COCKTAILS_FILE))
    products = _validated(CatalogueFile, _document(PRODUCTS_FILE))
    if products.supplier.id != archetypes.supplier.id:
        raise InvalidInput(
            f"the shipped reference file {PRODUCTS_FILE} names another supplier than "
            f"{COCKTAILS_FILE}",
            hint="this is a packaging bug in meso-formulary; please report it",
        )
    return CatalogueFile(
        supplier=archetypes.supplier,
        version=archetypes.version,
        ingredients=archetypes.ingredients + products.ingredients,
        cocktails=archetypes.cocktails + products.cocktails,
    )


def _folder_bytes(folder: Traversable) -> Iterator[bytes]:
    """Every ``*.yaml`` file directly in ``folder``, in name order, each as its name, its
    length and its bytes: moving bytes from one file to the next, or renaming a file,
    changes the stream too."""
    files = sorted(
        (item for item in folder.iterdir() if item.is_file() and item.name.endswith(".yaml")),
        key=lambda item: item.name,
    )
    for item in files:
        content = item.read_bytes()
        yield item.name.encode("utf-8") + b"\0"
        yield len(content).to_bytes(8, "big")
        yield content


def folder_digest(folder: Traversable) -> str:
    """SHA-256 over every ``*.yaml`` file directly in ``folder`` (see :func:`_folder_bytes`)."""
    import hashlib

    digest = hashlib.sha256()
    for chunk in _folder_bytes(folder):
        digest.update(chunk)
    return digest.hexdigest()


def folder_checksum(folder: Traversable) -> str:
    """CRC-32 of the same bytes as :func:`folder_digest`, as 8 hex digits."""
    import zlib

    checksum = 0
    for chunk in _folder_bytes(folder):
        checksum = zlib.crc32(chunk, checksum)
    return f"{checksum:08x}"


@cache
def data_digest() -> str:
    """The fingerprint of the shipped data files (``rules.yaml`` included)."""
    return folder_digest(_data_folder())


@cache
def data_checksum() -> str:
    """The checksum of the shipped data files, which names the built reference catalogue."""
    return folder_checksum(_data_folder())


__all__ = [
    "AREAS_FILE",
    "COCKTAILS_FILE",
    "CONDITIONS_FILE",
    "FUNCTION_WORDS_FILE",
    "INDICATIONS_FILE",
    "INGREDIENTS_FILE",
    "NEAR_WORDS_FILE",
    "PRODUCTS_FILE",
    "SEED_SOURCE",
    "SUBSTANCES_FILE",
    "AreaList",
    "ConditionList",
    "FunctionWords",
    "IndicationList",
    "IngredientDictionary",
    "NearWord",
    "NearWordList",
    "SubstanceGroups",
    "areas",
    "conditions",
    "data_checksum",
    "data_digest",
    "folder_checksum",
    "folder_digest",
    "function_words",
    "indications",
    "ingredients",
    "near_words",
    "reference_catalogue",
    "substances",
]
