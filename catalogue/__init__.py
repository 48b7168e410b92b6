"""The catalogue store: a SQLite file of cocktails, searchable by concern.

``from meso_formulary.catalogue import Catalogue`` is the entry point. Names are imported
lazily (PEP 562) so that importing a light submodule such as ``.fts`` does not load
pydantic and sqlite-utils.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Catalogue": ".store.catalogue_store",
    "CatalogueStats": ".store.catalogue_store",
    "CocktailVersion": ".store.catalogue_store",
    "CompositionEntry": ".store.catalogue_store",
    "SupplierRecord": ".store.catalogue_store",
    "ImportReport": ".store.importer",
    "ImportSession": ".store.importer",
    "CocktailComparison": ".store.compare",
    "LineComparison": ".store.compare",
    "ReferenceData": ".store.dictionary",
    "SCHEMA_VERSION": ".store.sql_schema",
}

__all__ = [
    "SCHEMA_VERSION",
    "Catalogue",
    "CatalogueStats",
    "CocktailComparison",
    "CocktailVersion",
    "CompositionEntry",
    "ImportReport",
    "ImportSession",
    "LineComparison",
    "ReferenceData",
    "SupplierRecord",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'meso_formulary.catalogue' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from meso_formulary.catalogue.store.catalogue_store import (
        Catalogue,
        CatalogueStats,
        CocktailVersion,
        CompositionEntry,
        SupplierRecord,
    )
    from meso_formulary.catalogue.store.compare import CocktailComparison, LineComparison
    from meso_formulary.catalogue.store.dictionary import ReferenceData
    from meso_formulary.catalogue.store.importer import ImportReport, ImportSession
    from meso_formulary.catalogue.store.sql_schema import SCHEMA_VERSION
