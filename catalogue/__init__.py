"""The catalogue store: a SQLite file of cocktails, searchable by concern.

``from meso_formulary.catalogue import Catalogue`` is the entry point, and
:func:`import_files` the one way files get into a catalogue (signed bundles verified,
plain files only as drafts); searching is in
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
    "ImportProgress": ".store.importer",
    "ImportStage": ".store.importer",
    "ProgressCallback": ".store.importer",
    "ImportedFile": ".publishing.importing",
    "import_files": ".publishing.importing",
    "import_path": ".publishing.importing",
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
    "ImportProgress",
    "ImportReport",
    "ImportSession",
    "ImportStage",
    "ImportedFile",
    "LineComparison",
    "ProgressCallback",
    "ReferenceData",
    "SupplierRecord",
    "import_files",
    "import_path",
]


if TYPE_CHECKING:
    from meso_formulary.catalogue.publishing.importing import (
        ImportedFile,
        import_files,
        import_path,
    )
    from meso_formulary.catalogue.store.catalogue_store import (
        Catalogue,
        CatalogueStats,
        CocktailVersion,
        CompositionEntry,
        SupplierRecord,
    )
    from meso_formulary.catalogue.store.compare import CocktailComparison, LineComparison
    from meso_formulary.catalogue.store.dictionary import ReferenceData
    from meso_formulary.catalogue.store.importer import (
        ImportProgress,
        ImportReport,
        ImportSession,
        ImportStage,
        ProgressCallback,
    )
    from meso_formulary.catalogue.store.sql_schema import SCHEMA_VERSION
else:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
