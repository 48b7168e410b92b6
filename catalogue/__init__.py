"""The catalogue store: a SQLite file of cocktails, searchable by concern.

``from meso_formulary.catalogue import Catalogue`` is the entry point; searching is in
:mod:`meso_formulary.catalogue.search` (``from meso_formulary.catalogue.search import
SearchRequest, search``: a function here named ``search`` would be shadowed by that package).
Names are imported lazily (PEP 562) so that importing a light submodule such as
``.search.fts`` does not load pydantic and sqlite-utils; :mod:`meso_formulary._lazy` says how
type checkers see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meso_formulary._lazy import lazy_exports

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


if TYPE_CHECKING:
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
else:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
