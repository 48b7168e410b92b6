"""The catalogue store: a SQLite file of cocktails, searchable by concern.

``from meso_formulary.catalogue import Catalogue`` is the entry point. Names are imported
lazily (PEP 562) so that importing a light submodule such as ``.fts`` does not load
pydantic and sqlite-utils.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Catalogue": ".store",
    "CatalogueStats": ".store",
    "CocktailVersion": ".store",
    "CompositionEntry": ".store",
    "SupplierRecord": ".store",
    "ImportReport": ".importer",
    "ImportSession": ".importer",
    "CocktailComparison": ".compare",
    "LineComparison": ".compare",
    "ReferenceData": ".dictionary",
    "SCHEMA_VERSION": ".schema",
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
    from .compare import CocktailComparison, LineComparison
    from .dictionary import ReferenceData
    from .importer import ImportReport, ImportSession
    from .schema import SCHEMA_VERSION
    from .store import (
        Catalogue,
        CatalogueStats,
        CocktailVersion,
        CompositionEntry,
        SupplierRecord,
    )
