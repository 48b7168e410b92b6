"""The typed search API: a :class:`SearchRequest` in, :class:`SearchResults` out.

:func:`search` validates nothing more than the request already did, runs the one search
engine (:func:`.engine.run`, which the module documents: how text, concerns and filters
combine, the order of results, and the bounds on ranking and facets at scale) and returns
its answer as pydantic models. The web page calls :func:`search`; ``meso search`` calls the
engine directly (pydantic is most of its start-up time), with the same query checks
(:meth:`.engine.Query.parse`, which this model's validators share).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Iterable, Mapping
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from meso_formulary.catalogue.search.lexicon import (
    Lexicon,
    parse_choice,
    parse_class,
    parse_origins,
)
from meso_formulary.catalogue.search.runner import (
    DEFAULT_LIMIT,
    MAX_ACTIVES,
    MAX_EXCLUDE,
    MAX_INCLUDE,
    MAX_LIMIT,
    MAX_NAME,
    MAX_OFFSET,
    MAX_TEXT,
    Answer,
    LexiconCache,
    Query,
    ingredient_name,
    run,
)
from meso_formulary.errors import SearchError
from meso_formulary.model import Area, IndicationId, IngredientClass, Origin, Technique
from meso_formulary.types import Slug

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.catalogue_store import Catalogue


# ---------------------------------------------------------------- request


FilterName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(ingredient_name)
]
"""An ingredient id, name, INCI name or synonym, as typed."""


def _as_tuple(value: object) -> object:
    """Let one string stand for a one-item list (``exclude="lidocaine"``)."""
    return (value,) if isinstance(value, str) else value


def _refusal(error: SearchError) -> ValueError:
    """A :class:`SearchError` as pydantic reports it, keeping the suggestion."""
    return ValueError(f"{error.message}; {error.hint}" if error.hint else error.message)


def _unique(items: list[object]) -> tuple[object, ...]:
    """``items`` with repeats dropped; an unhashable item (``{}``, ``[1]``) is left in for
    pydantic to refuse as not a name."""
    if all(isinstance(item, Hashable) for item in items):
        return tuple(dict.fromkeys(items))
    return tuple(items)


def _classes(value: object) -> object:
    items = _as_tuple(value)
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        return items  # not a list: pydantic says so
    try:
        return _unique([parse_class(v) if isinstance(v, str) else v for v in items])
    except SearchError as error:
        raise _refusal(error) from None


def _origins(value: object) -> object:
    items = _as_tuple(value)
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        return items
    found: list[object] = []
    try:
        for v in items:
            found.extend(parse_origins(v) if isinstance(v, str) else (v,))
    except SearchError as error:
        raise _refusal(error) from None
    return _unique(found)


def _choice(value: object, choices: type[StrEnum], what: str) -> object:
    if not isinstance(value, str):
        return value
    try:
        return parse_choice(value, choices, what)
    except SearchError as error:
        raise _refusal(error) from None


class SearchRequest(BaseModel):
    """What to search for. Every field is optional; :mod:`.engine` says how they combine.

    Class and origin names are forgiving ("anaesthetics", "Anesthetic", "fish-derived",
    "animal"); ``area`` and ``technique`` ignore case and accents. Anything else invalid
    raises pydantic's ``ValidationError`` (a ``ValueError``); :meth:`parse` turns it into a
    :class:`SearchError` for callers that hand over user input as a mapping.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    include: Annotated[
        tuple[FilterName, ...], BeforeValidator(_as_tuple), Field(max_length=MAX_INCLUDE)
    ] = ()
    exclude: Annotated[
        tuple[FilterName, ...], BeforeValidator(_as_tuple), Field(max_length=MAX_EXCLUDE)
    ] = ()
    exclude_classes: Annotated[tuple[IngredientClass, ...], BeforeValidator(_classes)] = ()
    exclude_origins: Annotated[tuple[Origin, ...], BeforeValidator(_origins)] = ()
    area: Annotated[Area | None, BeforeValidator(partial(_choice, choices=Area, what="area"))] = (
        None
    )
    supplier: Slug | None = None
    technique: Annotated[
        Technique | None, BeforeValidator(partial(_choice, choices=Technique, what="technique"))
    ] = None
    max_actives: Annotated[int, Field(ge=0, le=MAX_ACTIVES)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0
    facets: bool = True
    """Count matches per indication, supplier and ingredient class (up to
    :data:`~.engine.FACET_LIMIT` matches; see :mod:`.engine`)."""

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> SearchRequest:
        """Validate user input, raising :class:`SearchError` (not pydantic's error) if invalid."""
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
            raise SearchError(f"invalid search: {problems}") from None

    def query(self) -> Query:
        """This request as the engine's :class:`~.engine.Query` (already checked)."""
        return Query(
            text=self.text,
            include=self.include,
            exclude=self.exclude,
            exclude_classes=self.exclude_classes,
            exclude_origins=self.exclude_origins,
            area=self.area,
            supplier=self.supplier,
            technique=self.technique,
            max_actives=self.max_actives,
            limit=self.limit,
            offset=self.offset,
            facets=self.facets,
        )


# ---------------------------------------------------------------- results


class ConcernMatch(BaseModel):
    """An indication found in the typed text, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indication_id: IndicationId
    term: str
    """The typed words that matched, as a word key ("Hair-Loss" -> "hair loss")."""
    matched: str
    """The indication name or lay synonym they matched."""
    how: Literal["synonym", "fuzzy"]
    score: float
    """100 for a whole-phrase match, else the rapidfuzz ratio."""


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


class SearchResults(BaseModel):
    """A page of hits, the number of all matches, facet counts, and how the text was read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hits: list[Hit]
    total: int
    """Every match, not just the page."""
    facets: dict[str, dict[str, int]]
    facets_complete: bool
    """False when ``facets`` count only the best :data:`~.engine.FACET_LIMIT` matches."""
    ranking_complete: bool
    """False when a free text matched more than :data:`~.engine.RANK_LIMIT` cocktails and a
    sample of them was ranked (every match with the words in its name is in it)."""
    concerns: list[ConcernMatch]
    did_you_mean: list[str]

    @classmethod
    def of(cls, answer: Answer) -> SearchResults:
        """The engine's answer as models.

        Built with ``model_construct``: every value is already of its field's type (the
        engine builds them from the request's own checked values and the catalogue's
        checked rows), and validating 500 hits again would cost as much as a search.
        """
        return cls.model_construct(
            hits=[Hit.model_construct(**found._asdict()) for found in answer.hits],
            total=answer.total,
            facets=answer.facets,
            facets_complete=answer.facets_complete,
            ranking_complete=answer.ranking_complete,
            concerns=[ConcernMatch.model_construct(**c._asdict()) for c in answer.concerns],
            did_you_mean=list(answer.did_you_mean),
        )


# ---------------------------------------------------------------- search

_lexicons: weakref.WeakKeyDictionary[Catalogue, LexiconCache] = weakref.WeakKeyDictionary()
_lexicons_lock = threading.Lock()


def _cache(catalogue: Catalogue) -> LexiconCache:
    with _lexicons_lock:
        cache = _lexicons.get(catalogue)
        if cache is None:
            cache = _lexicons[catalogue] = LexiconCache()
        return cache


def lexicon(catalogue: Catalogue) -> Lexicon:
    """The catalogue's :class:`~.terms.Lexicon`, rebuilt only when the catalogue has changed."""
    return _cache(catalogue).get(catalogue.conn)


def search(catalogue: Catalogue, request: SearchRequest) -> SearchResults:
    """Run ``request`` against ``catalogue`` (:mod:`.engine` gives the rules).

    Raises :class:`SearchError` for text with nothing searchable in it and for ingredient
    names the catalogue does not know (suggestions in its ``hint``), and
    :class:`~meso_formulary.errors.CatalogueError` when SQLite fails.
    """
    return SearchResults.of(run(catalogue.conn, request.query(), _cache(catalogue)))


__all__ = ["ConcernMatch", "Hit", "SearchRequest", "SearchResults", "lexicon", "search"]
