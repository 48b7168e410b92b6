"""Searching a catalogue: the FTS escaper, the lexicon of lay terms, the query runner and the
typed search API (:func:`meso_formulary.catalogue.search.api.search`).

``from meso_formulary.catalogue.search import SearchRequest, search`` is the entry point.
Names are imported lazily (PEP 562): ``meso search`` imports :mod:`.runner` from here and
must not load pydantic; :mod:`meso_formulary._lazy` says how type checkers see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meso_formulary._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SearchFields": ".api",
    "SearchRequest": ".api",
    "SearchResults": ".api",
    "Hit": ".api",
    "AreaMatch": ".api",
    "BrandMatch": ".api",
    "ConcernMatch": ".api",
    "ExcludedName": ".api",
    "ScreenedCondition": ".api",
    "Screening": ".api",
    "search": ".api",
}

__all__ = [
    "AreaMatch",
    "BrandMatch",
    "ConcernMatch",
    "ExcludedName",
    "Hit",
    "ScreenedCondition",
    "Screening",
    "SearchFields",
    "SearchRequest",
    "SearchResults",
    "search",
]

if TYPE_CHECKING:
    from meso_formulary.catalogue.search.api import (
        AreaMatch,
        BrandMatch,
        ConcernMatch,
        ExcludedName,
        Hit,
        ScreenedCondition,
        Screening,
        SearchFields,
        SearchRequest,
        SearchResults,
        search,
    )
else:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
