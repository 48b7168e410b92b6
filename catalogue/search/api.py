"""The typed search API: a :class:`SearchRequest` in, :class:`SearchResults` out.

:func:`search` runs the one search engine (:func:`.runner.run`, which the module documents:
how text, concerns and filters combine, the order of results, and the bounds on ranking and
facets at scale) and returns its answer as pydantic models. The web page calls
:func:`search`; ``meso search`` calls the engine directly (pydantic is most of its start-up
time). Every one of them checks its input with the one parser, :meth:`.runner.Query.parse`
(:meth:`~.runner.Query.from_values`), so a search is refused with the same words wherever it
was typed, never with pydantic's.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final, Literal, TypedDict, Unpack

from pydantic import BaseModel, ConfigDict, Field

from meso_formulary.catalogue.search.lexicon import Lexicon
from meso_formulary.catalogue.search.runner import (
    DEFAULT_BUDGET,
    DEFAULT_LIMIT,
    Answer,
    LexiconCache,
    Query,
    database_file,
    run,
)
from meso_formulary.model import (
    Area,
    ConditionId,
    IndicationId,
    IngredientClass,
    Origin,
    Technique,
)

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.catalogue_store import Catalogue


# ---------------------------------------------------------------- request


class SearchFields(TypedDict, total=False):
    """What :class:`SearchRequest` accepts, as type checkers see it: plain strings for the
    enum-like fields and any iterable (or one string) for the lists, as the parser
    (:meth:`.runner.Query.from_values`) reads them.
    The model's own fields say what it holds once checked; the names are the same."""

    text: str | None
    include: Iterable[str] | str
    exclude: Iterable[str] | str
    exclude_classes: Iterable[IngredientClass | str] | str
    exclude_origins: Iterable[Origin | str] | str
    client: Iterable[ConditionId | str] | str
    area: Area | str | None
    supplier: str | None
    technique: Technique | str | None
    max_actives: int | None
    indication: IndicationId | str | None
    ingredient_class: IngredientClass | str | None
    limit: int
    offset: int
    facets: bool


class SearchRequest(BaseModel):
    """What to search for. Every field is optional; :mod:`.runner` says how they combine.

    Built from keyword arguments or with :meth:`parse` (a mapping of user input), a request
    goes through :meth:`.runner.Query.from_values`, the parser the CLI and the web use too:
    class and origin names are forgiving ("anaesthetics", "Anesthetic", "fish-derived",
    "animal"), ``area`` and ``technique`` ignore case and accents, and anything invalid
    raises :class:`~meso_formulary.errors.SearchError` (a ``ValueError``) saying which field,
    the value and what is allowed. Client conditions are given as ``client`` (one id or
    several: ``SearchRequest(client=("pregnancy", "fish-allergy"))``, as ``--client`` and
    ``client=`` are) and held in ``clients``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    text: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_classes: tuple[IngredientClass, ...] = ()
    exclude_origins: tuple[Origin, ...] = ()
    clients: tuple[ConditionId, ...] = Field(default=(), alias="client")
    """Client conditions: every cocktail one of them rules out is hidden (given as
    ``client``, as on the command line and the web)."""
    area: Area | None = None
    supplier: str | None = None
    technique: Technique | None = None
    max_actives: int | None = None
    indication: IndicationId | None = None
    """Only cocktails for this indication."""
    ingredient_class: IngredientClass | None = None
    """Only cocktails holding an ingredient of this class."""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    facets: bool = True
    """Count matches per indication, area, supplier and ingredient class (up to
    :data:`~.runner.FACET_LIMIT` matches; see :mod:`.runner`)."""

    def __init__(self, **fields: Unpack[SearchFields]) -> None:
        """Typed by :class:`SearchFields`, so that ``SearchRequest(area="scalp")`` passes
        ``mypy --strict`` (the generated signature would ask for an ``Area``); checked by
        :meth:`.runner.Query.from_values`."""
        super().__init__(**Query.from_values(fields)._asdict())

    @classmethod
    def parse(cls, values: Mapping[str, object]) -> SearchRequest:
        """User input of any shape (a form, JSON) as a request; raises
        :class:`~meso_formulary.errors.SearchError` if it cannot be searched."""
        return cls.model_construct(**Query.from_values(values)._asdict())

    def query(self) -> Query:
        """This request as the engine's :class:`~.runner.Query`, checked again: a request
        made without :meth:`parse` or the constructor (``model_validate``,
        ``model_construct``) is held to the same bounds."""
        return Query.from_values(self.model_dump(by_alias=True))


# ---------------------------------------------------------------- results


class ConcernMatch(BaseModel):
    """An indication found in the typed text, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indication_id: IndicationId
    term: str
    """The typed words that matched, folded ("Queda de Cabelo" -> "queda de cabelo")."""
    matched: str
    """The indication name, synonym or term they matched."""
    how: Literal["phrase", "stem", "fuzzy"]
    """A phrase as typed, the same words inflected (Snowball stems), or a typo."""
    score: float
    """100 for a phrase or stem match, else the rapidfuzz ratio."""


class AreaMatch(BaseModel):
    """A treatment area found in the typed text, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    area: Area
    term: str
    matched: str
    how: Literal["phrase", "stem", "fuzzy"]


class BrandMatch(BaseModel):
    """A brand name found in the typed text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    brand: str
    """The brand as the catalogue spells it."""
    term: str
    how: Literal["phrase", "stem", "fuzzy"]


class HitProvenance(BaseModel):
    """Where a hit's supplier catalogue came from (the fields of
    :meth:`~meso_formulary.catalogue.store.provenance.Provenance.as_dict`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["verified", "draft", "reference"]
    """``verified``: a signed bundle that verified against a pinned key; ``draft``: an
    unsigned file; ``reference``: the data shipped with meso-formulary."""
    catalogue_version: int
    verified: bool
    signed_by: str | None
    """The signing key's SHA-256 fingerprint (64 hex digits) when verified."""
    status: str
    """The words the pages show (``signed, verified (key ab12 ...)``, ``unsigned draft``)."""


class Hit(BaseModel):
    """One matching cocktail, with the reasons it matched."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    supplier: str
    indications: tuple[IndicationId, ...]
    score: float
    why: tuple[str, ...]
    key_actives: tuple[str, ...]
    n_actives: int
    provenance: HitProvenance


class ExcludedName(BaseModel):
    """One excluded name, what it covered and how many cocktails it hid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """The name as typed."""
    substances: tuple[str, ...]
    """The names of every ingredient it hid (the same moiety in other forms, the members of
    a group it names)."""
    cocktails_hidden: int


class ScreenedCondition(BaseModel):
    """One client condition screened for, and how many cocktails it hid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: ConditionId
    name: str
    cocktails_hidden: int


class Screening(BaseModel):
    """What the search's exclusions and client conditions hid, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    excluded: tuple[ExcludedName, ...] = ()
    conditions: tuple[ScreenedCondition, ...] = ()
    hidden: int = 0
    """Cocktails hidden by any of them, each counted once."""


class SearchResults(BaseModel):
    """A page of hits, the number of all matches, facet counts, and how the text was read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hits: list[Hit]
    total: int
    """Every match, not just the page."""
    facets: dict[str, dict[str, int]]
    facets_complete: bool
    """False when ``facets`` count only the best :data:`~.runner.FACET_LIMIT` matches."""
    ranking_complete: bool
    """False when a free text matched more than :data:`~.runner.RANK_LIMIT` cocktails and a
    sample of them was ranked (every match with the words in its name is in it)."""
    concerns: list[ConcernMatch]
    areas: list[AreaMatch]
    """Treatment areas the text names: they rank, or drive when nothing else is named."""
    brands: list[BrandMatch]
    did_you_mean: list[str]
    screening: Screening
    """What the exclusions and client conditions hid (:mod:`.runner`)."""
    relaxed: list[str]
    """What was relaxed, in plain words, when the search as typed found nothing."""
    covered: list[str]
    """When nothing was found: the concerns the catalogue has cocktails for."""
    untreated: list[str]
    """When nothing was found: the concerns read in the text that no cocktail treats."""
    unread: int
    """Typed words not read: repeats, and those past the reader's limit."""

    @classmethod
    def of(cls, answer: Answer) -> SearchResults:
        """The engine's answer as models.

        Built with ``model_construct``: every value is already of its field's type (the
        engine builds them from the request's own checked values and the catalogue's
        checked rows), and validating 500 hits again would cost as much as a search.
        """
        return cls.model_construct(
            hits=[
                Hit.model_construct(
                    **{
                        **found._asdict(),
                        "provenance": HitProvenance.model_construct(**found.provenance.as_dict()),
                    }
                )
                for found in answer.hits
            ],
            total=answer.total,
            facets=answer.facets,
            facets_complete=answer.facets_complete,
            ranking_complete=answer.ranking_complete,
            concerns=[ConcernMatch.model_construct(**c._asdict()) for c in answer.concerns],
            areas=[AreaMatch.model_construct(**a._asdict()) for a in answer.areas],
            brands=[BrandMatch.model_construct(**b._asdict()) for b in answer.brands],
            did_you_mean=list(answer.did_you_mean),
            relaxed=list(answer.relaxed),
            covered=list(answer.covered),
            untreated=list(answer.untreated),
            unread=answer.unread,
            screening=Screening.model_construct(
                excluded=tuple(
                    ExcludedName.model_construct(**e._asdict()) for e in answer.screening.excluded
                ),
                conditions=tuple(
                    ScreenedCondition.model_construct(**c._asdict())
                    for c in answer.screening.conditions
                ),
                hidden=answer.screening.hidden,
            ),
        )


# ---------------------------------------------------------------- search

MAX_FILES: Final = 8
"""Catalogue files whose lexicons are kept (the least recently searched is let go)."""

_by_file: OrderedDict[str, LexiconCache] = OrderedDict()
_in_memory: weakref.WeakKeyDictionary[Catalogue, LexiconCache] = weakref.WeakKeyDictionary()
_lexicons_lock = threading.Lock()


def _cache(catalogue: Catalogue) -> LexiconCache:
    """The lexicon cache of ``catalogue``'s database: one per file, however many
    ``Catalogue`` objects and connections read it (see :class:`~.runner.LexiconCache`)."""
    path = database_file(catalogue.conn)
    with _lexicons_lock:
        if path is None:
            return _in_memory.setdefault(catalogue, LexiconCache())
        cache = _by_file.pop(path, None) or LexiconCache()
        _by_file[path] = cache
        while len(_by_file) > MAX_FILES:
            _by_file.popitem(last=False)
        return cache


def lexicon(catalogue: Catalogue) -> Lexicon:
    """The catalogue's :class:`~.terms.Lexicon`, rebuilt only when the catalogue has changed."""
    return _cache(catalogue).get(catalogue.conn)


def search(
    catalogue: Catalogue, request: SearchRequest, *, budget: float = DEFAULT_BUDGET
) -> SearchResults:
    """Run ``request`` against ``catalogue`` (:mod:`.runner` gives the rules); its SQL may
    take ``budget`` seconds at most (then :class:`SearchError`).

    Raises :class:`SearchError` for text with nothing searchable in it and for ingredient
    names the catalogue does not know (suggestions in its ``hint``), and
    :class:`~meso_formulary.errors.CatalogueError` when SQLite fails.

    A client's words are read for concerns; each hit says why it matched:

    >>> from meso_formulary.catalogue import Catalogue
    >>> from meso_formulary.catalogue.search import SearchRequest, search
    >>> request = SearchRequest(text="hair loss", exclude=("lidocaine",))
    >>> results = search(Catalogue.default(), request)
    >>> [concern.indication_id.value for concern in results.concerns]
    ['alopecia']
    >>> all(hit.why[0] == "for Alopecia, as 'hair loss'" for hit in results.hits)
    True
    """
    return SearchResults.of(run(catalogue.conn, request.query(), _cache(catalogue), budget=budget))


__all__ = [
    "AreaMatch",
    "BrandMatch",
    "ConcernMatch",
    "ExcludedName",
    "Hit",
    "HitProvenance",
    "ScreenedCondition",
    "Screening",
    "SearchFields",
    "SearchRequest",
    "SearchResults",
    "lexicon",
    "search",
]
