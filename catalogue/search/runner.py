"""The search engine: a plain :class:`Query` in, a plain :class:`Answer` out.

There is one search, and one parser of its input. :meth:`Query.parse` (any-shaped input:
:meth:`Query.from_values`) checks what ``meso search``'s options, the typed API's
:class:`~.api.SearchRequest` and the web's query string hand over, and refuses a search
with the same message wherever it was typed (``invalid search: FIELD: what is wrong (got
VALUE)``, its hint saying what is allowed), never with click's or pydantic's words.
:func:`.api.search` (the typed API the web page uses) calls :func:`run` and wraps the
answer in models; ``meso search`` calls :func:`run` directly. This module imports only the
standard library and the catalogue's light modules (:mod:`.lexicon` loads rapidfuzz for
typos only), because pydantic, sqlite-utils and rich are most of the command's start-up
time.

How a query becomes SQL:

- **What the text names drives.** The text is read (:meth:`~.lexicon.Lexicon.read`, see
  :mod:`.reading`: phrases, then stems in six languages, then typos) for concerns, treatment
  areas and brands. A match answers at least one concern or brand named; with neither, the
  areas named drive instead ("scalp"). One that answers more of the concerns typed ranks
  higher, then one that treats the areas named (the face and its parts answer each other).
- **Exclusions typed as words**: "no lidocaine", "without fish", "anaesthetic-free" exclude
  what they name (:meth:`~.lexicon.Lexicon.negations`), so that text typed into a search box
  never looks *for* what it rules out; "no downtime" names nothing and stays text.
- **Free words** (what is left, function words out; each once, at most
  :data:`MAX_FTS_WORDS`, at most :data:`MAX_PREFIX_WORDS` prefixes) go to FTS5 through
  :func:`~.fts.fts_query`. When something was named they only rank (bm25 of any of them, up
  to :data:`RELEVANCE_WEIGHT`): "what can I do about my dark circles please" finds the dark
  circles cocktails, and "biotin for hair loss" puts the hair-loss cocktails with biotin
  first. When nothing was named they filter, all words required; when that finds nothing,
  any of them, and the answer says so (``relaxed``). Nothing else is ever relaxed.
- **Filters** are SQL with bound parameters only: ``include`` (every name must be present;
  a name also covers the names that extend it, so "lidocaine" covers "lidocaine
  hydrochloride", see :meth:`~.terms.Lexicon.resolve_ingredient`), ``exclude``,
  ``exclude_classes``, ``exclude_origins``, ``area``, ``supplier``, ``technique``,
  ``max_actives``, ``indication`` and ``ingredient_class`` (one concern, one class of
  ingredient every match holds: the values the facets count, so that a page can offer
  each facet value as a filter). An ingredient name that matches nothing is an error with
  suggestions, never silently dropped: dropping an exclusion would show a client's allergen.
- **Screening.** An excluded name (``exclude``, or typed: "no hyaluronic acid") hides
  every cocktail holding any ingredient it covers, any ingredient sharing a moiety group
  with one of those (hyaluronic acid and sodium hyaluronate; theophylline and
  aminophylline), and any member of a moiety or allergen group it names ("vitamin C",
  "fish"), certain or not (:meth:`~.lexicon.Lexicon.resolve_exclusion`). A client
  condition (``client``) hides every cocktail that the condition rules out, as the import
  stored it (``cocktail_screening``: listed by the cocktail, by one of its ingredients, or
  through a moiety or allergen group the condition rules out). The answer's
  :class:`Screening` says what each name excluded and how many cocktails each name and
  each condition hid (each cocktail counted once in ``hidden``).
- **Empty query** (no text, no filters): every cocktail, by name (the browse view).

Order and scale, the documented policy (100k cocktails: ``bench/bench_search.py``):

- **Order** is by score: the concerns and brands a cocktail answers, the share of the
  text's areas it treats (up to :data:`AREA_WEIGHT`), its free words' relevance, and last
  how much of its use it documents (a protocol, stated strengths: :data:`DISCLOSURE_WEIGHT`),
  so that equal answers never fall back to the alphabet alone. Equal scores are then
  ordered by name, then id, except in a free-text search, where they keep catalogue order
  (ordering a text's equal scores by name would mean reading every match's name).
- **Cost** is bounded: the reader reads at most 40 distinct words, the full-text query at
  most :data:`MAX_FTS_WORDS`, and the SQL of one search stops after ``budget`` seconds
  (:data:`DEFAULT_BUDGET`; the web gives each request less) with a :class:`SearchError`.
- **total** counts every match, always.
- **Ranking** (free text): a text that more than :data:`RANK_LIMIT` cocktails match is not
  ranked in full. Every match whose *name* has the words is ranked, with an even sample of
  the others (every k-th in catalogue order, about :data:`RANK_LIMIT` of them); the other
  matches follow the ranked ones, in catalogue order, their score without relevance (so
  every match can still be paged to), and the answer says so (``ranking_complete`` is
  false). A word that common says little about what is wanted, and bm25 over all of its
  matches costs some 0.6 us a match (40 ms for 64,000).
- **Facets** count every match up to :data:`FACET_LIMIT` matches; beyond, they count the
  best :data:`FACET_LIMIT` in result order (``facets_complete`` is false). Facets cost in
  proportion to what they count.

Everything a search reads is read inside one read transaction (one catalogue state, even
while another process imports). Cocktail rows are read through covering indexes
(``idx_cocktails_by_id``, ``idx_cocktails_by_pk``, ``idx_cocktails_by_name``) rather than
the table, whose rows hold kilobytes of text each.

The records here are ``NamedTuple`` classes, not dataclasses: this module is on ``meso
search``'s start-up path, where creating a dataclass costs some 0.35 ms at import (a dozen
of them would be half the command's budget) and a ``NamedTuple`` a sixth of that. For the
same reason the module does without ``from __future__ import annotations``: ``NamedTuple``
would compile each string annotation at import.
"""

import json
import os
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from itertools import chain
from typing import Final, NamedTuple, Self, TypeVar

from meso_formulary.catalogue.search.fts import fts_query, words
from meso_formulary.catalogue.search.lexicon import (
    Lexicon,
    Negation,
    parse_choice,
    parse_class,
    parse_origins,
)
from meso_formulary.catalogue.search.reading import AreaMatch, BrandMatch, Concern, Reading
from meso_formulary.catalogue.store.provenance import Provenance, supplier_provenance
from meso_formulary.errors import CatalogueError, SearchError
from meso_formulary.identifiers import SLUG_RE, clean_text
from meso_formulary.vocabulary import (
    Area,
    ConditionId,
    IndicationId,
    IngredientClass,
    Origin,
    Technique,
)

MAX_TEXT: Final = 500
"""Longest search text accepted (characters)."""

MAX_NAME: Final = 300
"""Longest ingredient name accepted in ``include``/``exclude`` (characters)."""

MAX_INCLUDE: Final = 20
MAX_EXCLUDE: Final = 50
MAX_CLIENT: Final = 30
MAX_ACTIVES: Final = 250
MAX_LIMIT: Final = 500
MAX_OFFSET: Final = 100_000
DEFAULT_LIMIT: Final = 20
"""Bounds of a query, checked by :meth:`Query.from_values` (every front end goes through it)."""

KEY_ACTIVES: Final = 3
"""How many actives a hit lists, in the maker's order."""

BM25_WEIGHTS: Final = (10.0, 2.0, 1.0)
"""bm25 column weights for ``name, description, search_terms``: a word in the name counts most."""

RANK_LIMIT: Final = 10_000
"""Matches of a free text ranked in full; above, a sample is ranked (see the module doc).
bm25 costs about 1 us a match (two words), so ranking stays under some 10 ms."""

FACET_LIMIT: Final = 500
"""Matches the facets count in full; above, they count the best this many. Counting costs
some 2 us a match, and the median two-word text at 100k cocktails matches about 500 of
them: at 1,000, facets were a third of that search (``bench/bench_search.py``)."""

SEEK_LIMIT: Final = 8
"""Up to this many values, a membership test seeks the ``(value, cocktail_id)`` index once
per value; above it, it reads the cocktail's own rows instead (about 35 for a composition),
which is cheaper than hundreds of seeks ("vitamin" names ~900 ingredients at 100k: the seeks
took 8 s, reading the rows 90 ms)."""

DEFAULT_BUDGET: Final = 5.0
"""Seconds a search's SQL may take before it is stopped (see :func:`run`); the web page
gives each request less (``web/views.py``)."""

PROGRESS_STEPS: Final = 2_000
"""SQLite virtual-machine steps between two looks at the clock (a few microseconds)."""

AREA_WEIGHT: Final = 0.5
"""Most a match gains for treating the areas the text names (when something else drove)."""

RELEVANCE_WEIGHT: Final = 0.1
"""Most a match gains for holding the text's other words (bm25, squashed into [0, 1)),
when something else drove."""

DISCLOSURE_WEIGHT: Final = 0.01
"""Most a match gains for documenting its use (a protocol, stated strengths): the tie-break."""

MAX_FTS_WORDS: Final = 10
"""Free words a full-text query holds at most (each distinct)."""

MAX_PREFIX_WORDS: Final = 2
"""Prefix words (``vita*``) a full-text query holds at most; later ones are plain words."""

MIN_PREFIX_CHARS: Final = 3
"""Characters a prefix needs before its ``*``: ``a*`` would read most of the index."""

WALK_FROM: Final = 5_000
"""From this many matches (as estimated), an evenly scored search walks the tie-break
index rather than sorting its matches (see :func:`_walk_by_rank`)."""

ESTIMATE_CAP: Final = 20_000
"""Rows counted at most when estimating which filter matches fewest cocktails."""

FIELDS: Final = (
    "id",
    "name",
    "supplier",
    "indications",
    "score",
    "why",
    "key_actives",
    "n_actives",
    "provenance",
)
"""The fields of a hit as JSON (:meth:`Found.record`, ``meso search --json``, the web API)."""

_BY_ID: Final = "cocktails AS c INDEXED BY idx_cocktails_by_id"
_BY_PK: Final = "cocktails AS c INDEXED BY idx_cocktails_by_pk"
_BY_NAME: Final = "cocktails AS c INDEXED BY idx_cocktails_by_name"
_BY_RANK: Final = "cocktails AS c INDEXED BY idx_cocktails_by_rank"

_REL: Final = (
    "rel AS MATERIALIZED (SELECT rowid AS pk, bm25(cocktails_fts, "
    + ", ".join(repr(w) for w in BM25_WEIGHTS)
    + f") AS r FROM cocktails_fts WHERE cocktails_fts MATCH ? LIMIT {RANK_LIMIT})"
)
"""The common table of a search's other words (its one parameter: their full-text query):
the first :data:`RANK_LIMIT` full-text matches and their bm25, whatever ranks by them."""

_RELEVANCE: Final = f"{RELEVANCE_WEIGHT!r} * (0.5 + 0.5 * (-rel.r / (1.0 - rel.r)))"
"""A match's relevance to the text's other words (``rel.r``: bm25, negative), from half of
:data:`RELEVANCE_WEIGHT` to all of it: holding the words always outranks any disclosure."""


# ---------------------------------------------------------------- the query


class Query(NamedTuple):
    """A checked search: build one with :meth:`parse` (or :meth:`from_values`).

    Every field is optional; the module doc says how they combine.
    """

    text: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_classes: tuple[IngredientClass, ...] = ()
    exclude_origins: tuple[Origin, ...] = ()
    clients: tuple[ConditionId, ...] = ()
    """Client conditions: every cocktail one of them rules out is hidden (input field
    ``client``, one id or a list)."""
    area: Area | None = None
    supplier: str | None = None
    technique: Technique | None = None
    max_actives: int | None = None
    indication: IndicationId | None = None
    """Only cocktails for this indication (a facet's value, as the page's links give it)."""
    ingredient_class: IngredientClass | None = None
    """Only cocktails holding an ingredient of this class (the class facet's value)."""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    facets: bool = True
    """Count matches per indication, area, supplier and ingredient class."""

    @classmethod
    def parse(
        cls,
        *,
        text: str | None = None,
        include: str | Iterable[str] = (),
        exclude: str | Iterable[str] = (),
        exclude_classes: str | Iterable[str | IngredientClass] = (),
        exclude_origins: str | Iterable[str | Origin] = (),
        client: str | Iterable[str | ConditionId] = (),
        area: str | Area | None = None,
        supplier: str | None = None,
        technique: str | Technique | None = None,
        max_actives: int | str | None = None,
        limit: int | str = DEFAULT_LIMIT,
        offset: int | str = 0,
        facets: bool = True,
        indication: str | IndicationId | None = None,
        ingredient_class: str | IngredientClass | None = None,
    ) -> Self:
        """Check a search typed by a user; numbers may be given as typed ("20").

        Names of classes, origins, conditions, areas and techniques are forgiving
        ("anaesthetics", "fish-derived", "Fish allergy", "Point by point"); one string
        stands for a one-item list. Raises :class:`SearchError` as :meth:`from_values` does.
        """
        return cls.from_values(
            {
                "text": text,
                "include": include,
                "exclude": exclude,
                "exclude_classes": exclude_classes,
                "exclude_origins": exclude_origins,
                "client": client,
                "area": area,
                "supplier": supplier,
                "technique": technique,
                "max_actives": max_actives,
                "limit": limit,
                "offset": offset,
                "facets": facets,
                "indication": indication,
                "ingredient_class": ingredient_class,
            }
        )

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Self:
        """The one parser of search input, whatever its shape (keyword arguments, the CLI's
        options, a query string, JSON): every front end refuses the same searches with the
        same words.

        Raises :class:`SearchError` ``"invalid search: FIELD: what is wrong (got VALUE)"``,
        its hint saying what is allowed (every valid value, or the closest ones of a long
        list). The input names are :data:`SEARCH_FIELDS` (``client`` for ``clients``); any
        other name is refused too: a misspelt ``exclude`` must never be dropped in silence.
        Text that is blank (or only characters that are cleaned out) with no filter is
        refused; with a filter it is no text.
        """
        try:
            refuse_unknown(values, SEARCH_FIELDS)
            text = _text(values.get("text"))
            query = cls(
                text=text,
                include=_names("include", values.get("include", ()), MAX_INCLUDE),
                exclude=_names("exclude", values.get("exclude", ()), MAX_EXCLUDE),
                exclude_classes=_unique(
                    _choice("exclude_classes", v, parse_class, IngredientClass, "ingredient class")
                    for v in _items("exclude_classes", values.get("exclude_classes", ()))
                ),
                exclude_origins=_unique(
                    o
                    for v in _items("exclude_origins", values.get("exclude_origins", ()))
                    for o in _choice("exclude_origins", v, parse_origins, Origin, "origin")
                ),
                clients=_clients(values.get("client", ())),
                area=_optional("area", values.get("area"), _area, Area),
                supplier=_supplier(values.get("supplier")),
                technique=_optional("technique", values.get("technique"), _technique, Technique),
                max_actives=_optional_number("max_actives", values.get("max_actives"), MAX_ACTIVES),
                limit=_number("limit", values.get("limit", DEFAULT_LIMIT), 1, MAX_LIMIT),
                offset=_number("offset", values.get("offset", 0), 0, MAX_OFFSET),
                facets=_flag(values.get("facets", True)),
                indication=_optional(
                    "indication", values.get("indication"), _indication, IndicationId
                ),
                ingredient_class=_optional(
                    "ingredient_class", values.get("ingredient_class"), parse_class, IngredientClass
                ),
            )
            if text is not None and not clean_text(text) and not query.filtered:
                raise _Invalid(
                    "text",
                    "empty (or only spaces and invisible characters)",
                    "type a concern or a word, or leave the text out to list every cocktail",
                )
            return query
        except _Invalid as error:
            raise error.refusal() from None

    @property
    def filtered(self) -> bool:
        """True when a filter (not the text, nor paging) narrows the search."""
        return bool(
            self.include
            or self.exclude
            or self.exclude_classes
            or self.exclude_origins
            or self.clients
            or self.area is not None
            or self.supplier is not None
            or self.technique is not None
            or self.max_actives is not None
            or self.indication is not None
            or self.ingredient_class is not None
        )


SEARCH_FIELDS: Final = tuple("client" if f == "clients" else f for f in Query._fields)
"""The names of a search's input (:meth:`Query.from_values`): :class:`Query`'s fields, but
``client`` (one condition per item, as typed: ``--client``, ``client=``) for ``clients``."""


def refuse_unknown(names: Iterable[object], fields: Sequence[str]) -> None:
    """Refuse the first of ``names`` that is not one of ``fields`` (the search's fields, a
    CLI's options, a query string's arguments) with :func:`unknown_field`'s error."""
    for name in names:
        if name not in fields:
            raise unknown_field(name, fields)


def unknown_field(name: object, fields: Sequence[str]) -> SearchError:
    """The :class:`SearchError` for ``name``, which is not a search field: the fields are
    its hint."""
    hint = "search fields: " + ", ".join(fields)
    return _Invalid(_shown(name, quote=False), "not a search field", hint).refusal()


class _Invalid(Exception):
    """One field of :meth:`Query.from_values` that cannot be used, and why."""

    def __init__(self, field: str, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.hint = hint

    def refusal(self) -> SearchError:
        return SearchError(f"invalid search: {self.field}: {self.reason}", hint=self.hint)


SHOWN: Final = 40
"""Characters of a refused value that a message repeats (a 10,000-character text is not)."""

SHORT_LIST: Final = 10
"""Up to this many valid values, a refusal lists them all; beyond, the closest ones."""

_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


def _shown(value: object, *, quote: bool = True) -> str:
    """``value`` as a message repeats it: text quoted (unless not ``quote``) and cut short."""
    if isinstance(value, str):
        text = value if len(value) <= SHOWN else value[:SHOWN] + "…"
        return repr(text) if quote else text
    shown = repr(value)
    return shown if len(shown) <= SHOWN else shown[:SHOWN] + "…"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid("text", f"must be text (got {_shown(value)})")
    if len(value) > MAX_TEXT:
        raise _Invalid("text", f"must be at most {MAX_TEXT} characters (got {len(value)})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A command-line byte that is not UTF-8 arrives as a lone surrogate.
        raise _Invalid("text", "not valid Unicode text") from None
    return value


def _items(field: str, value: object) -> tuple[object, ...]:
    """A list field's items; one string stands for a one-item list."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise _Invalid(field, f"must be a list of names (got {_shown(value)})")
    return tuple(value)


def _names(field: str, value: object, most: int) -> tuple[str, ...]:
    items = _items(field, value)
    if len(items) > most:
        raise _Invalid(field, f"must be at most {most} names (got {len(items)})")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise _Invalid(field, f"must be a list of names (got {_shown(item)})")
        if len(item) > MAX_NAME:
            raise _Invalid(field, f"a name must be at most {MAX_NAME} characters (got {len(item)})")
        cleaned = clean_text(item)
        if not cleaned:
            raise _Invalid(field, f"an ingredient name is empty (got {_shown(item)})")
        names.append(cleaned)
    return tuple(names)


_In = TypeVar("_In", bound=StrEnum)
_Out = TypeVar("_Out")


def _choice(
    field: str, value: object, parse: Callable[[str], _Out], choices: type[StrEnum], what: str
) -> _Out:
    """``value`` read by ``parse`` (a :mod:`.lexicon` reader of class, origin, area or
    technique names); refused with every valid value, or the closest of a long list (the
    lexicon's suggestions), or every value when none is close."""
    valid = [member.value for member in choices]
    every = "one of: " + ", ".join(valid)
    if not isinstance(value, str):
        raise _Invalid(field, f"must be {what} names (got {_shown(value)})", every)
    try:
        return parse(value)
    except SearchError as error:
        hint = error.hint if error.hint and len(valid) > SHORT_LIST else every
        raise _Invalid(field, f"unknown {what} {_shown(value)}", hint) from None


def _optional(
    field: str, value: object, parse: Callable[[str], _In], choices: type[_In]
) -> _In | None:
    return None if value is None else _choice(field, value, parse, choices, field)


def _area(value: str) -> Area:
    return parse_choice(value, Area, "area")


def _technique(value: str) -> Technique:
    return parse_choice(value, Technique, "technique")


def _indication(value: str) -> IndicationId:
    return parse_choice(value, IndicationId, "indication")


def _condition(value: str) -> ConditionId:
    return parse_choice(value, ConditionId, "condition")


def _clients(value: object) -> tuple[ConditionId, ...]:
    items = _items("client", value)
    if len(items) > MAX_CLIENT:
        raise _Invalid("client", f"must be at most {MAX_CLIENT} conditions (got {len(items)})")
    return _unique(_choice("client", item, _condition, ConditionId, "condition") for item in items)


def _unique(items: Iterable[_Out]) -> tuple[_Out, ...]:
    return tuple(dict.fromkeys(items))


def _supplier(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise _Invalid(
            "supplier",
            f"not a supplier id (got {_shown(value)})",
            "a supplier id is lower-case letters, digits, '-' and '_', as in 'acme'",
        )
    return value


def _number(field: str, value: object, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, given as a number or as typed ("20")."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not low <= number <= high:
        got = _shown(value) if number is None else str(number)
        raise _Invalid(field, f"must be a whole number from {low} to {high} (got {got})")
    return number


def _optional_number(field: str, value: object, high: int) -> int | None:
    return None if value is None else _number(field, value, 0, high)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("facets", f"must be true or false (got {_shown(value)})")
    return value


# ---------------------------------------------------------------- the answer


class Found(NamedTuple):
    """One matching cocktail, with the reasons it matched."""

    id: str
    name: str
    supplier: str
    indications: tuple[IndicationId, ...]
    score: float
    why: tuple[str, ...]
    key_actives: tuple[str, ...]
    n_actives: int
    provenance: Provenance
    """Where its supplier's catalogue came from: verified, draft or reference."""

    def record(self) -> dict[str, object]:
        """The hit as JSON-ready values, in :data:`FIELDS` order."""
        return {
            "id": self.id,
            "name": self.name,
            "supplier": self.supplier,
            "indications": [i.value for i in self.indications],
            "score": self.score,
            "why": list(self.why),
            "key_actives": list(self.key_actives),
            "n_actives": self.n_actives,
            "provenance": self.provenance.as_dict(),
        }


class ExcludedName(NamedTuple):
    """One excluded name, what it covered and how many cocktails it hid."""

    name: str
    """The name as typed (``--exclude``, or in the text: "no lidocaine")."""
    substances: tuple[str, ...]
    """The names of every ingredient it hid: what it names, the same moiety in other
    forms, the members of a group it names."""
    cocktails_hidden: int
    """Cocktails that met the rest of the search and hold one of ``substances``."""

    def record(self) -> dict[str, object]:
        return {
            "name": self.name,
            "substances": list(self.substances),
            "cocktails_hidden": self.cocktails_hidden,
        }


class ScreenedCondition(NamedTuple):
    """One client condition screened for, and how many cocktails it hid."""

    id: ConditionId
    name: str
    cocktails_hidden: int
    """Cocktails that met the rest of the search and that the condition rules out."""

    def record(self) -> dict[str, object]:
        return {"id": self.id.value, "name": self.name, "cocktails_hidden": self.cocktails_hidden}


class Screening(NamedTuple):
    """What a search's screening hid, and why. (A ``NamedTuple``, immutable like a frozen
    dataclass, for this module's start-up time: see the module doc.)"""

    excluded: tuple[ExcludedName, ...] = ()
    conditions: tuple[ScreenedCondition, ...] = ()
    hidden: int = 0
    """Cocktails hidden by any of them, each counted once."""

    def record(self) -> dict[str, object]:
        """The screening as JSON-ready values."""
        return {
            "excluded": [e.record() for e in self.excluded],
            "conditions": [c.record() for c in self.conditions],
            "hidden": self.hidden,
        }


class Answer(NamedTuple):
    """A page of hits, the number of all matches, facet counts, and how the text was read."""

    hits: tuple[Found, ...]
    total: int
    facets: dict[str, dict[str, int]]
    """Per facet (``indication``, ``area``, ``supplier``, ``ingredient_class``), value -> matches,
    most first; empty when the query asked for no facets."""
    facets_complete: bool
    """False when the facets count only the best :data:`FACET_LIMIT` of ``total`` matches."""
    ranking_complete: bool
    """False when a free text matched more than :data:`RANK_LIMIT` cocktails and only a
    sample of them was ranked (see the module doc)."""
    concerns: tuple[Concern, ...]
    areas: tuple[AreaMatch, ...]
    """Treatment areas the text names: they rank, or drive when nothing else is named."""
    brands: tuple[BrandMatch, ...]
    did_you_mean: tuple[str, ...]
    screening: Screening
    """What the exclusions and client conditions hid (see the module doc)."""
    relaxed: tuple[str, ...]
    """What was relaxed, in plain words, when the search as typed found nothing."""
    covered: tuple[str, ...]
    """When nothing was found: the concerns the catalogue has cocktails for."""
    untreated: tuple[str, ...]
    """When nothing was found: the concerns read in the text that no cocktail treats
    ("pimples" is active acne, not acne scarring: the answer says so)."""
    unread: int
    """Typed words not read: repeats, and those past the reader's limit."""


# ---------------------------------------------------------------- the lexicon


class LexiconCache:
    """The :class:`~.lexicon.Lexicon` of one catalogue, rebuilt only when the catalogue changed.

    A catalogue file is stamped by what every commit changes in it and in its WAL (inode,
    size, modification time and header: SQLite's change counter, the WAL's salts), which
    every connection sees alike. So one cache serves every connection to a file, and a
    caller keys its caches by file (:func:`database_file`): the web server reads through one
    connection per thread and wraps each request in a new ``Catalogue``. A database without
    a file (in memory) has one connection, stamped by its ``PRAGMA data_version`` (another
    connection's commits) and ``total_changes`` (its own writes).

    The stamp is taken before the search's read transaction reads anything, so a commit in
    between costs one more rebuild, never a lexicon older than the stamp says.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: object = None
        self._lexicon: Lexicon | None = None

    def get(self, conn: sqlite3.Connection) -> Lexicon:
        """The lexicon of the catalogue on ``conn`` as it is now."""
        path = database_file(conn)
        if path is None:
            stamp: object = (
                conn.execute("PRAGMA data_version").fetchone()[0],
                conn.total_changes,
            )
        else:
            stamp = (_file_stamp(path), _file_stamp(path + "-wal"))
        with self._lock:
            if self._lexicon is not None and self._stamp == stamp:
                return self._lexicon
        built = Lexicon.from_connection(conn)
        with self._lock:
            self._stamp, self._lexicon = stamp, built
        return built


def database_file(conn: sqlite3.Connection) -> str | None:
    """The file of the main database on ``conn``; ``None`` for one in memory.

    SQLite names an on-disk database by its full path; an in-memory one has no name, or,
    once filled from an image (``Connection.deserialize``), the memdb VFS's own name."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return str(file) if file and os.path.isabs(file) else None
    return None


_HEADER: Final = 100
"""Bytes of a database's header (its change counter is at 24) or a WAL's (salts at 16)."""


def _file_stamp(path: str) -> object:
    """What a commit changes in the file at ``path``; ``None`` if there is no such file,
    and a value equal to no other when it cannot be read (the lexicon is then rebuilt)."""
    try:
        with open(path, "rb") as file:
            header = file.read(_HEADER)
            stat = os.fstat(file.fileno())
    except FileNotFoundError:
        return None
    except OSError:
        return object()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, header)


# ---------------------------------------------------------------- planning

_Fragment = tuple[str, list[object]]
"""SQL text and the parameters it binds, in order."""


class _LinkSet(NamedTuple):
    """The cocktails that have one of ``values`` in a link table's ``column``."""

    table: str
    column: str
    values: tuple[str, ...]

    def ids(self) -> _Fragment:
        """``SELECT DISTINCT id`` of the cocktails in the set."""
        where, params = self._in(self.column)
        return f"SELECT DISTINCT {self._id} AS id FROM {self.table} WHERE {where}", params

    def contains(self) -> _Fragment:
        """``EXISTS (...)``: cocktail ``c`` is in the set."""
        large = len(self.values) > SEEK_LIMIT
        # A unary + keeps SQLite off the value index, so it reads c's rows instead.
        where, params = self._in(("+" if large else "") + self.column)
        return (
            f"EXISTS (SELECT 1 FROM {self.table} WHERE {where} AND {self._id} = c.id)",
            params,
        )

    def estimate(self) -> _Fragment:
        """How many rows the set has, counted up to :data:`ESTIMATE_CAP`."""
        where, params = self._in(self.column)
        return (
            f"SELECT count(*) FROM (SELECT 1 FROM {self.table} WHERE {where} LIMIT {ESTIMATE_CAP})",
            params,
        )

    def _in(self, column: str) -> _Fragment:
        if len(self.values) <= SEEK_LIMIT:
            return f"{column} IN ({_marks(self.values)})", list(self.values)
        # One parameter however many values: no SQLITE_MAX_VARIABLE_NUMBER to run into.
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(self.values)]

    @property
    def _id(self) -> str:
        return "id" if self.table == "cocktails" else "cocktail_id"


class _AnyOf(NamedTuple):
    """The cocktails in any of ``links`` (what a search's screening hides, counted once)."""

    links: tuple[_LinkSet, ...]

    def ids(self) -> _Fragment:
        parts = [link.ids() for link in self.links]
        return " UNION ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]

    def contains(self) -> _Fragment:
        parts = [link.contains() for link in self.links]
        sql = " OR ".join(sql for sql, _ in parts)
        return f"({sql})", [p for _, ps in parts for p in ps]

    def estimate(self) -> _Fragment:
        parts = [link.estimate() for link in self.links]
        sql = " + ".join(f"({sql})" for sql, _ in parts)
        return f"SELECT {sql}", [p for _, ps in parts for p in ps]


_Link = _LinkSet | _AnyOf
"""A set of cocktails a match must belong to."""


class _Screen(NamedTuple):
    """One excluded name: as typed, and the ingredient ids it hides."""

    name: str
    ids: tuple[str, ...]


class _Plan(NamedTuple):
    """A query resolved against the catalogue: what the SQL needs, and the reasons."""

    concerns: tuple[Concern, ...]
    areas: tuple[AreaMatch, ...]
    """Treatment areas named in the text: they rank (they drive only when nothing else is
    named)."""
    brands: tuple[BrandMatch, ...]
    negations: tuple[Negation, ...]
    """Exclusions typed in the text ("no lidocaine")."""
    concern_terms: tuple[tuple[str, ...], ...]
    """Per concern term typed, the indication ids it names."""
    brand_keys: tuple[str, ...]
    area_ids: tuple[str, ...]
    free_text: str
    fts: str | None
    """The free words as a filter: every word required (nothing else was named)."""
    name_fts: str | None
    """``fts`` within the ``name`` column: the matches a bounded ranking always ranks."""
    rank_fts: str | None
    """The free words as a ranking only (a concern, area or brand drove): any word."""
    required: tuple[_Link, ...]
    """Sets every match belongs to (what the text names, each include, area, technique,
    supplier, indication, ingredient class)."""
    excluded: tuple[str, ...]
    """Ingredient ids no match contains (exclude_origins), beyond the screens."""
    excluded_classes: tuple[IngredientClass, ...]
    """Ingredient classes no match contains (exclude_classes, and classes typed in the text)."""
    max_actives: int | None
    screens: tuple[_Screen, ...]
    """The excluded names (exclude, and names typed in the text) and what each hides."""
    clients: tuple[ConditionId, ...]
    """Client conditions: no match is one they rule out."""
    relaxed: tuple[str, ...]
    """What was relaxed to find anything, in plain words (see :func:`_relaxed`)."""
    dropped: int
    """Typed words not read: repeats, and those past the reader's limit."""

    @property
    def filtered(self) -> bool:
        """True when something beyond the free text decides what matches."""
        return bool(
            self.required
            or self.excluded
            or self.excluded_classes
            or self.max_actives is not None
            or self.screens
            or self.clients
        )

    @property
    def unscreened(self) -> "_Plan":
        """This plan without its screens and client conditions (what they hid from)."""
        return self._replace(screens=(), clients=())

    def screen_links(self) -> list[_LinkSet]:
        """Per screen, then per client condition, the cocktails it hides."""
        links = [_LinkSet("composition", "ingredient_id", screen.ids) for screen in self.screens]
        links += [_LinkSet("cocktail_screening", "condition_id", (c.value,)) for c in self.clients]
        return links


def _plan(conn: sqlite3.Connection, query: Query, lex: Lexicon) -> _Plan:
    reading = Reading((), (), (), (), 0)
    negations: tuple[Negation, ...] = ()
    free: tuple[str, ...] = ()
    clients = dict.fromkeys(query.clients)
    screens = [_Screen(name, _excluded(lex, "exclude", name)) for name in query.exclude]
    if query.text is not None and clean_text(query.text):
        if not words(query.text):
            raise _Invalid(
                "text",
                f"nothing to search for (got {_shown(query.text)})",
                "type a concern (hair loss), an ingredient or a word",
            ).refusal()
        # Screening words ("pregnant", "allergic to fish") screen; they are never searched for.
        stated = lex.screening(query.text)
        clients.update(dict.fromkeys(stated.conditions))
        screens += [_Screen(name, _excluded(lex, "text", name)) for name in stated.exclusions]
        reading = lex.read(conn, stated.rest)
        negated = lex.negations(reading.remainder)
        negations = negated.negations
        # Only function words typed ("the"): search for them rather than for nothing.
        understood = bool(
            reading.concerns or reading.areas or reading.brands or negations or stated.phrases
        )
        free = negated.remainder or (() if understood else tuple(words(stated.rest)))

    terms: dict[str, dict[str, None]] = {}
    for match in reading.concerns:
        terms.setdefault(match.term, {})[match.indication_id.value] = None
    concern_terms = tuple(tuple(ids) for ids in terms.values())
    brand_keys = tuple(dict.fromkeys(b.key for b in reading.brands))
    area_ids = tuple(dict.fromkeys(a.area.value for a in reading.areas))

    # What the text names drives the match: its concerns and brands (a cocktail answering
    # any of them), else its areas. The other words then only rank.
    drivers: list[_LinkSet] = []
    if concern_terms:
        all_ids = tuple(dict.fromkeys(i for ids in concern_terms for i in ids))
        drivers.append(_LinkSet("cocktail_indications", "indication_id", all_ids))
    if brand_keys:
        drivers.append(_LinkSet("cocktail_brands", "key", brand_keys))
    if not drivers and area_ids:
        family = tuple(dict.fromkeys(a for area in area_ids for a in _area_family(area)))
        drivers.append(_LinkSet("cocktail_areas", "area", family))
    required: list[_Link] = []
    if drivers:
        required.append(drivers[0] if len(drivers) == 1 else _AnyOf(tuple(drivers)))
    for name in query.include:
        required.append(_LinkSet("composition", "ingredient_id", _resolved(lex, "include", name)))
    if query.area is not None:
        required.append(_LinkSet("cocktail_areas", "area", (query.area.value,)))
    if query.technique is not None:
        required.append(_LinkSet("cocktail_techniques", "technique", (query.technique.value,)))
    if query.supplier is not None:
        required.append(_LinkSet("cocktails", "supplier_id", (query.supplier,)))
    if query.indication is not None:
        required.append(
            _LinkSet("cocktail_indications", "indication_id", (query.indication.value,))
        )
    if query.ingredient_class is not None:
        members = lex.ingredients_of(classes=(query.ingredient_class,))
        required.append(_LinkSet("composition", "ingredient_id", members))

    screens += [_Screen(n.term, n.ingredient_ids) for n in negations if not n.classes]
    classes = [*query.exclude_classes, *(c for n in negations for c in n.classes)]
    free_words = _bounded(free)
    free_text = " ".join(free_words)
    fts = rank_fts = None
    if free_text and drivers:
        # Words that only rank are searched as typed: a prefix ("lomor*") would make
        # bm25 read every word it starts, for a ranking (bench/bench_search.py, hostile).
        rank_fts = fts_query(free_text, prefix=False, any_word=True)
    elif free_text:
        fts = fts_query(free_text)
    return _Plan(
        concerns=reading.concerns,
        areas=reading.areas,
        brands=reading.brands,
        negations=negations,
        concern_terms=concern_terms,
        brand_keys=brand_keys,
        area_ids=area_ids,
        free_text=free_text,
        fts=fts,
        name_fts=None if fts is None else f"name : ({fts})",
        rank_fts=rank_fts,
        required=tuple(required),
        excluded=lex.ingredients_of(origins=query.exclude_origins),
        excluded_classes=tuple(dict.fromkeys(classes)),
        max_actives=query.max_actives,
        screens=tuple(screens),
        clients=tuple(clients),
        relaxed=(),
        dropped=reading.dropped,
    )


FACE_PARTS: Final = frozenset(
    {
        Area.FOREHEAD.value,
        Area.PERIORBITAL.value,
        Area.CHEEKS.value,
        Area.PERIORAL.value,
        Area.JAWLINE.value,
        Area.SUBMENTAL.value,
    }
)
"""The areas of the face: a text naming the face is answered by a cocktail for the cheeks,
and one naming the cheeks by a cocktail for the face."""


def _area_family(area: str) -> tuple[str, ...]:
    """The areas that answer a text naming ``area`` (see :data:`FACE_PARTS`)."""
    if area == Area.FACE.value:
        return (area, *sorted(FACE_PARTS))
    if area in FACE_PARTS:
        return (area, Area.FACE.value)
    return (area,)


def _bounded(free: Sequence[str]) -> tuple[str, ...]:
    """The free words a full-text query holds: each once (case aside), at most
    :data:`MAX_FTS_WORDS` of them, and at most :data:`MAX_PREFIX_WORDS` prefix words
    (``vita*``), each with at least :data:`MIN_PREFIX_CHARS` characters before its ``*``
    (the others are searched as words). A prefix of one or two letters, or many of them,
    makes SQLite read most of the index."""
    kept: dict[str, str] = {}
    prefixes = 0
    for word in free:
        stem = word.rstrip("*")
        if stem != word:
            if prefixes < MAX_PREFIX_WORDS and len(stem) >= MIN_PREFIX_CHARS:
                prefixes += 1
            else:
                word = stem
        if not stem:
            continue
        kept.setdefault(word.casefold(), word)
        if len(kept) == MAX_FTS_WORDS:
            break
    return tuple(kept.values())


def _resolved(lex: Lexicon, field: str, name: str) -> tuple[str, ...]:
    """The ingredient ids ``name`` stands for; an unknown name is refused, never dropped."""
    try:
        return lex.resolve_ingredient(name).ids
    except SearchError as error:  # "unknown ingredient 'x'", the closest names as its hint
        raise _Invalid(field, error.message, error.hint).refusal() from None


def _excluded(lex: Lexicon, field: str, name: str) -> tuple[str, ...]:
    """The ingredient ids excluding ``name`` hides (its moiety and groups too); an unknown
    name is refused, never dropped."""
    try:
        return lex.resolve_exclusion(name).ids
    except SearchError as error:
        raise _Invalid(field, error.message, error.hint).refusal() from None


# ---------------------------------------------------------------- SQL


class _Sql:
    """SQL text and its parameters, built in step so that neither can drift from the other."""

    __slots__ = ("params", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.params: list[object] = []

    def add(self, sql: str, *params: object) -> None:
        self.text.append(sql)
        self.params.extend(params)

    def extend(self, fragment: _Fragment) -> None:
        self.add(fragment[0], *fragment[1])

    @property
    def sql(self) -> str:
        return "".join(self.text)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


_Ranked = tuple[int, float, float | None]
"""A match in result order: its ``pk``, its score before a free text's relevance (see
:func:`_concern_score`), and its bm25 value (negative, lower is better; ``None`` when it was
not ranked by a free text). Plain tuples, as SQLite returns them: a search handles up to
:data:`FACET_LIMIT` of them."""


def _score(concerns: float, rank: float | None) -> float:
    """A match's score: what it answers, plus its relevance squashed into [0, 1)."""
    if rank is None:
        return float(concerns)
    # bm25 is negative, lower is better; -rank / (1 - rank) maps it onto [0, 1).
    return concerns + (-rank / (1.0 - rank))


class _Matches(NamedTuple):
    """The best matches (as many as the page and the facets need), and how many there are."""

    best: list[_Ranked]
    total: int


class _Card(NamedTuple):
    """What a hit shows of its cocktail (read from a covering index, not the table)."""

    id: str
    name: str
    supplier: str
    n_actives: int
    indications: str
    """JSON array of indication ids, in the maker's order."""


def _conditions(plan: _Plan, others: Iterable[_Link]) -> _Sql:
    """`` AND ...`` conditions on cocktail ``c`` (its id and n_actives): ``others`` and
    every exclusion. Each is an index seek per cocktail (see :data:`SEEK_LIMIT`), so the
    cost follows the cocktails checked, not how common an excluded ingredient is."""
    sql = _Sql()
    for link in others:
        sql.add(" AND ")
        sql.extend(link.contains())
    if plan.max_actives is not None:
        sql.add(" AND c.n_actives <= ?", plan.max_actives)
    ingredients = tuple(dict.fromkeys(chain(plan.excluded, *(s.ids for s in plan.screens))))
    if ingredients:
        sql.add(" AND NOT ")
        sql.extend(_LinkSet("composition", "ingredient_id", ingredients).contains())
    if plan.clients:
        values = tuple(c.value for c in plan.clients)
        sql.add(" AND NOT ")
        sql.extend(_LinkSet("cocktail_screening", "condition_id", values).contains())
    for excluded in plan.excluded_classes:
        # c.classes is a JSON array of slugs: a quoted slug can only be a whole element.
        sql.add(" AND instr(c.classes, ?) = 0", json.dumps(excluded.value))
    return sql


def _concern_score(plan: _Plan) -> _Fragment:
    """SQL for cocktail ``c``'s score before relevance: 1 for each concern term it answers
    and 1 for a brand named, plus up to :data:`AREA_WEIGHT` for the share of the text's
    areas it treats (half for the area's family, see :func:`_area_family`), plus
    :data:`DISCLOSURE_WEIGHT` times how much of its use it documents (``c.disclosure``), so
    that equal answers put the documented one first rather than going by the alphabet.

    Concerns and areas are read from the cocktail's own JSON arrays (``c.indications``,
    ``c.areas``, in the covering indexes: a quoted id can only be a whole element), not
    from the link tables: a common concern matches tens of thousands of cocktails, and a
    seek per cocktail and area cost more than the search. A part every match has (the one
    concern term, the brand, when it alone drove) is a constant.
    """
    parts: list[_Fragment] = []
    drivers = bool(plan.concern_terms) + bool(plan.brand_keys)
    if drivers == 1 and len(plan.concern_terms) <= 1:
        parts.append(("1", []))
    else:
        parts += [_holds("c.indications", ids) for ids in plan.concern_terms]
        if plan.brand_keys:
            parts.append(_LinkSet("cocktail_brands", "key", plan.brand_keys).contains())
    if plan.area_ids:
        # Half for treating the area or its family (the face and its parts), half more
        # for treating the very area named.
        half = AREA_WEIGHT / len(plan.area_ids) / 2
        for area in plan.area_ids:
            for areas in ((area,), _area_family(area)):
                sql, params = _holds("c.areas", areas)
                parts.append((f"{half!r} * {sql}", params))
    parts.append((f"{DISCLOSURE_WEIGHT!r} * c.disclosure", []))
    return " + ".join(f"({sql})" for sql, _ in parts), [p for _, ps in parts for p in ps]


def _holds(column: str, values: Sequence[str]) -> _Fragment:
    """SQL true when the JSON array of slugs in ``column`` holds one of ``values``."""
    tests = " OR ".join(f"instr({column}, ?) > 0" for _ in values)
    return f"({tests})", [json.dumps(value) for value in values]


def _smallest(conn: sqlite3.Connection, links: Sequence[_Link]) -> tuple[_Link, int]:
    """The set an index count says is smallest, and its count (capped)."""
    counted = [(link, int(conn.execute(*link.estimate()).fetchone()[0])) for link in links]
    return min(counted, key=lambda item: item[1])


def _count(conn: sqlite3.Connection, plan: _Plan) -> int:
    """How many cocktails match ``plan``, which has a required set (see :func:`_screening`)."""
    if plan.fts is not None:
        survivors = _survivors(conn, plan, plan.fts)
        sql = f"SELECT count(*) FROM ({survivors.sql})"
        return int(conn.execute(sql, survivors.params).fetchone()[0])
    driver, _ = _smallest(conn, plan.required)
    ids_sql, ids_params = driver.ids()
    conditions = _conditions(plan, [link for link in plan.required if link is not driver])
    return int(
        conn.execute(
            f"SELECT count(*) FROM ({ids_sql}) AS d CROSS JOIN {_BY_ID} ON c.id = d.id "
            f"WHERE 1{conditions.sql}",
            [*ids_params, *conditions.params],
        ).fetchone()[0]
    )


def _screening(conn: sqlite3.Connection, plan: _Plan, lex: Lexicon) -> Screening:
    """What ``plan``'s screens and client conditions hid from the rest of the search.

    Each count is the search without the screening, narrowed to the cocktails one screen
    (or all of them, for ``hidden``) would hide: its cost follows the cocktails holding
    what is screened, not the catalogue.
    """
    links = plan.screen_links()
    if not links:
        return Screening()
    base = plan.unscreened
    counts = [_count(conn, base._replace(required=(*base.required, link))) for link in links]
    hidden = (
        counts[0]
        if len(links) == 1
        else _count(conn, base._replace(required=(*base.required, _AnyOf(tuple(links)))))
    )
    screens = len(plan.screens)
    excluded = tuple(
        ExcludedName(screen.name, _substances(lex, screen.ids), n)
        for screen, n in zip(plan.screens, counts[:screens], strict=True)
    )
    conditions = tuple(
        ScreenedCondition(c, lex.condition_name(c.value), n)
        for c, n in zip(plan.clients, counts[screens:], strict=True)
    )
    return Screening(excluded, conditions, hidden)


def _substances(lex: Lexicon, ids: Iterable[str]) -> tuple[str, ...]:
    """The names of the ingredients ``ids``, each once."""
    names = (facts.name for facts in map(lex.facts, ids) if facts is not None)
    return tuple(dict.fromkeys(names))


def _matches(conn: sqlite3.Connection, plan: _Plan, wanted: int) -> _Matches:
    """The best ``wanted`` matches in result order, and the number of all matches."""
    if plan.fts is not None:
        return _text_matches(conn, plan, plan.fts, wanted)
    if not plan.required and len(plan.concern_terms) <= 1:
        return _walk_by_name(conn, plan, wanted)
    return _sorted_matches(conn, plan, wanted)


def _sorted_matches(conn: sqlite3.Connection, plan: _Plan, wanted: int) -> _Matches:
    """Every match computed once (from the smallest required set), sorted by score, name, id.

    Each row also carries the number of all matches (a window count), which is never zero
    when a row is returned. A large set whose matches all score alike but for their
    disclosure is walked in that order instead (:func:`_walk_by_rank`).
    """
    driver, size = _smallest(conn, plan.required)
    if size >= WALK_FROM and len(plan.required) == 1 and _walkable(plan):
        return _walk_by_rank(conn, plan, driver, wanted)
    others = [link for link in plan.required if link is not driver]
    score_sql, score_params = _concern_score(plan)
    ids_sql, ids_params = driver.ids()
    conditions = _conditions(plan, others)
    sql = _Sql()
    join = ""
    if plan.rank_fts is not None:
        # The text's other words rank the matches that hold any of them (bm25 of the first
        # RANK_LIMIT full-text matches: the cost stays bounded however common the words).
        sql.add(f"WITH {_REL} ", plan.rank_fts)
        score_sql += f" + coalesce({_RELEVANCE}, 0)"
        join = " LEFT JOIN rel ON rel.pk = c.pk"
    sql.add(
        f"SELECT c.pk, {score_sql} AS concerns, NULL, count(*) OVER () FROM ({ids_sql}) AS d "
        f"CROSS JOIN {_BY_ID} ON c.id = d.id{join} WHERE 1{conditions.sql} "
        "ORDER BY concerns DESC, c.name, c.id LIMIT ?",
        *score_params,
        *ids_params,
        *conditions.params,
        wanted,
    )
    rows = conn.execute(sql.sql, sql.params).fetchall()
    return _Matches([row[:3] for row in rows], int(rows[0][3]) if rows else 0)


def _walkable(plan: _Plan) -> bool:
    """True when the matches fall into a few score levels that the tie-break walk can take
    one after the other: one concern term or one brand named, and at most one area."""
    drivers = bool(plan.concern_terms) + bool(plan.brand_keys)
    return drivers == 1 and len(plan.concern_terms) <= 1 and len(plan.area_ids) <= 1


def _area_levels(plan: _Plan) -> list[tuple[float, _Fragment, tuple[str, ...]]]:
    """The score levels of an evenly scored search naming one area, best first: what a
    match adds (:func:`_concern_score`), the SQL that says it is at that level, and the
    areas a match at that level treats (none for the level of the others)."""
    if not plan.area_ids:
        return [(0.0, ("1", []), ())]
    area = plan.area_ids[0]
    exact, exact_params = _holds("c.areas", (area,))
    family, family_params = _holds("c.areas", _area_family(area))
    if family == exact:
        return [
            (AREA_WEIGHT, (exact, exact_params), (area,)),
            (0.0, (f"NOT {exact}", exact_params), ()),
        ]
    return [
        (AREA_WEIGHT, (exact, exact_params), (area,)),
        (
            AREA_WEIGHT / 2,
            (f"NOT {exact} AND {family}", [*exact_params, *family_params]),
            _area_family(area),
        ),
        (0.0, (f"NOT {family}", family_params), ()),
    ]


def _count_capped(conn: sqlite3.Connection, link: _Link) -> int:
    """How many rows ``link`` has, counted up to :data:`ESTIMATE_CAP`."""
    return int(conn.execute(*link.estimate()).fetchone()[0])


def _walk_by_rank(conn: sqlite3.Connection, plan: _Plan, driver: _Link, wanted: int) -> _Matches:
    """A large set, evenly scored: walk the cocktails in tie-break order (disclosure, name,
    id: ``idx_cocktails_by_rank``), keeping the matches, until ``wanted`` are found. A
    concern that a quarter of the catalogue answers finds 500 matches in some 2,000 index
    entries; sorting its 45,000 matches took 40 times as long (``bench/bench_search.py``).
    With one area named, the walk goes level by level (:func:`_area_levels`): the matches
    treating the area, then its family only, then the others.

    With other words to rank by, the matches holding them (at most :data:`RANK_LIMIT`, the
    full-text matches the ranking reads) are scored and sorted first: relevance adds at
    least half of :data:`RELEVANCE_WEIGHT`, more than any disclosure, so every one of them
    ranks above every match without the words, which follow in the walk's order.
    The total is counted apart, from the set's own index when nothing else filters."""
    others = [link for link in plan.required if link is not driver]
    conditions = _conditions(plan, plan.required)
    # One walk per score level (the area held, its family only, neither), each to
    # ``wanted`` matches at most: the best page is in their first ``wanted`` rows.
    best: list[_Ranked] = []
    for bonus, level, areas in _area_levels(plan):
        if len(best) >= wanted:
            break
        best += _walk_level(conn, plan, conditions, bonus, level, areas, wanted - len(best))
    if others or _conditions(plan, ()).text:
        ids_sql, ids_params = driver.ids()
        rest = _conditions(plan, others)
        count_sql = (
            f"SELECT count(*) FROM ({ids_sql}) AS d CROSS JOIN {_BY_ID} ON c.id = d.id "
            f"WHERE 1{rest.sql}"
        )
        total = conn.execute(count_sql, [*ids_params, *rest.params]).fetchone()[0]
    else:
        ids_sql, ids_params = driver.ids()
        total = conn.execute(f"SELECT count(*) FROM ({ids_sql})", ids_params).fetchone()[0]
    return _Matches(best, int(total))


def _walk_level(
    conn: sqlite3.Connection,
    plan: _Plan,
    conditions: _Sql,
    bonus: float,
    level: _Fragment,
    areas: tuple[str, ...],
    wanted: int,
) -> list[_Ranked]:
    """The best ``wanted`` matches of one score level (see :func:`_walk_by_rank`): those
    holding the text's other words first, by relevance, then the others in walk order."""
    base = f"{bonus!r} + 1 + {DISCLOSURE_WEIGHT!r} * c.disclosure"
    level_sql, level_params = level
    # A level of few cocktails (an uncommon area) is read from the area's own index and
    # sorted: walking would pass most of the catalogue to find it.
    source: str = _BY_RANK
    source_params: list[object] = []
    area_link = _LinkSet("cocktail_areas", "area", areas)
    if areas and _count_capped(conn, area_link) < WALK_FROM:
        ids_sql, source_params = area_link.ids()
        source = f"({ids_sql}) AS d CROSS JOIN {_BY_ID} ON c.id = d.id"
    where = f"WHERE {level_sql}{conditions.sql}"
    where_params = [*level_params, *conditions.params]
    order = "ORDER BY c.disclosure DESC, c.name, c.id LIMIT ?"
    if plan.rank_fts is None:
        return conn.execute(
            f"SELECT c.pk, {base}, NULL FROM {source} {where} {order}",
            [*source_params, *where_params, wanted],
        ).fetchall()
    return conn.execute(
        f"WITH {_REL}, "
        f"held AS (SELECT c.pk AS pk, {base} + {_RELEVANCE} AS s, c.name AS name, c.id AS id "
        f"FROM rel CROSS JOIN {_BY_PK} ON c.pk = rel.pk {where}), "
        f"rest AS (SELECT c.pk AS pk, {base} AS s, c.name AS name, c.id AS id FROM {source} "
        f"{where} AND c.pk NOT IN (SELECT pk FROM rel) {order}) "
        "SELECT pk, s, NULL FROM (SELECT * FROM held UNION ALL SELECT * FROM rest) "
        "ORDER BY s DESC, name, id LIMIT ?",
        [plan.rank_fts, *where_params, *source_params, *where_params, wanted, wanted],
    ).fetchall()


def _walk_by_name(conn: sqlite3.Connection, plan: _Plan, wanted: int) -> _Matches:
    """No required set and one score for all: walk the name index, keeping the matches.

    The browse view reads its first page without sorting anything; with exclusions it reads
    until it has ``wanted`` matches. Counting them still visits every cocktail.
    """
    conditions = _conditions(plan, ())
    best = conn.execute(
        f"SELECT c.pk, 0, NULL FROM {_BY_NAME} WHERE 1{conditions.sql} "
        "ORDER BY c.name, c.id LIMIT ?",
        [*conditions.params, wanted],
    ).fetchall()
    if conditions.text:
        count = f"SELECT count(*) FROM {_BY_NAME} WHERE 1{conditions.sql}"
    else:
        count = "SELECT count(*) FROM cocktails"
    total = int(conn.execute(count, conditions.params).fetchone()[0])
    return _Matches(best, total)


def _text_matches(conn: sqlite3.Connection, plan: _Plan, fts: str, wanted: int) -> _Matches:
    """Free text: the survivors of every filter, ranked by bm25 (bounded, see the module doc).

    When only a sample was ranked and a page goes past it, the other matches follow the
    ranked ones in catalogue order, so that every match can be paged to.
    """
    best, total = _counted(conn, _text_statement(conn, plan, fts, ranked=True, limit=wanted))
    if len(best) < wanted and total > RANK_LIMIT:
        tail = _text_statement(conn, plan, fts, ranked=False, limit=wanted - len(best))
        best += _counted(conn, tail).best
    return _Matches(best, total)


def _counted(conn: sqlite3.Connection, sql: _Sql) -> _Matches:
    """Run a statement whose rows are :data:`_Ranked` matches in order then, last,
    ``(NULL, NULL, total)``: it ends ``ORDER BY concerns DESC ...``, and a NULL sorts
    below every number."""
    rows = conn.execute(sql.sql, sql.params).fetchall()
    total = int(rows.pop()[-1])
    return _Matches(rows, total)


def _text_statement(
    conn: sqlite3.Connection, plan: _Plan, fts: str, *, ranked: bool, limit: int
) -> _Sql:
    """The best ``limit`` of the ranked matches (``ranked``) or of the unranked ones, then
    a row with the number of all matches (see :func:`_counted`).

    Without other filters the full-text index alone answers: its count, and its ranking.
    With filters, the survivors are computed once (a materialized ``s``), from whichever is
    smaller: the full-text matches (each checked against the filters) or the smallest
    required set (each checked against the filters and the full-text matches).
    """
    sql = _Sql()
    if plan.filtered:
        survivors = _survivors(conn, plan, fts)
        sql.add(f"WITH s AS MATERIALIZED ({survivors.sql}), ", *survivors.params)
        sql.add("t AS MATERIALIZED (SELECT count(*) AS n FROM s), ")
        join, concerns = " CROSS JOIN s ON s.pk = cocktails_fts.rowid", "s.concerns"
    else:
        sql.add(
            "WITH t AS MATERIALIZED (SELECT count(*) AS n FROM cocktails_fts "
            "WHERE cocktails_fts MATCH ?), ",
            fts,
        )
        join, concerns = "", "0"
    # Ranked: every match up to RANK_LIMIT of them; above, those with the words in their
    # name and every k-th of the others, k chosen so that about RANK_LIMIT are ranked.
    sample = (
        "(cocktails_fts.rowid % (SELECT max(1, (n + ? - 1) / ?) FROM t) = 0 "
        "OR cocktails_fts.rowid IN (SELECT rowid FROM cocktails_fts WHERE cocktails_fts MATCH ?))"
    )
    if ranked:
        weights = ", ".join(repr(w) for w in BM25_WEIGHTS)
        relevance, where, order = f"bm25(cocktails_fts, {weights})", sample, "relevance, pk"
    else:
        relevance, where, order = "NULL", f"NOT {sample}", "pk"
    sql.add(
        f"r AS (SELECT cocktails_fts.rowid AS pk, {concerns} AS concerns, {relevance} AS "
        f"relevance FROM cocktails_fts{join} WHERE cocktails_fts MATCH ? AND {where} "
        f"ORDER BY concerns DESC, {order} LIMIT ?) "
        f"SELECT pk, concerns, relevance FROM r "
        f"UNION ALL SELECT NULL, NULL, n FROM t ORDER BY concerns DESC, {order}",
        fts,
        RANK_LIMIT,
        RANK_LIMIT,
        plan.name_fts,
        limit,
    )
    return sql


def _survivors(conn: sqlite3.Connection, plan: _Plan, fts: str) -> _Sql:
    """``SELECT pk, concerns`` of the cocktails that match the text ``fts`` and every filter."""
    score_sql, score_params = _concern_score(plan)
    texts = int(
        conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM cocktails_fts WHERE cocktails_fts MATCH ? "
            f"LIMIT {ESTIMATE_CAP})",
            (fts,),
        ).fetchone()[0]
    )
    driver, size = _smallest(conn, plan.required) if plan.required else (None, ESTIMATE_CAP)
    sql = _Sql()
    if driver is None or texts <= size:
        sql.add(
            f"SELECT c.pk AS pk, {score_sql} AS concerns FROM cocktails_fts "
            f"CROSS JOIN {_BY_PK} ON c.pk = cocktails_fts.rowid WHERE cocktails_fts MATCH ?",
            *score_params,
            fts,
        )
        others = list(plan.required)
    else:
        ids_sql, ids_params = driver.ids()
        sql.add(
            f"SELECT c.pk AS pk, {score_sql} AS concerns FROM ({ids_sql}) AS d "
            f"CROSS JOIN {_BY_ID} ON c.id = d.id WHERE c.pk IN "
            "(SELECT rowid FROM cocktails_fts WHERE cocktails_fts MATCH ?)",
            *score_params,
            *ids_params,
            fts,
        )
        others = [link for link in plan.required if link is not driver]
    conditions = _conditions(plan, others)
    sql.add(conditions.sql, *conditions.params)
    return sql


# ---------------------------------------------------------------- facets and hits


def _facets(conn: sqlite3.Connection, pks: Sequence[int]) -> dict[str, dict[str, int]]:
    """Matches per indication, area, supplier and ingredient class among ``pks``, most first.

    SQLite concatenates the cocktails' JSON arrays and Python decodes them as one document:
    a thousand rows or ``json.loads`` calls would cost more than the counting.
    """
    suppliers, indications, areas, classes = conn.execute(
        "SELECT group_concat(c.supplier_id, ' '), group_concat(c.indications), "
        "group_concat(c.areas), group_concat(c.classes) "
        f"FROM json_each(?) AS j CROSS JOIN {_BY_PK} ON c.pk = j.value",
        (json.dumps(pks),),
    ).fetchone()
    counts = {
        "indication": Counter(_joined(indications)),
        "area": Counter(_joined(areas)),
        "supplier": Counter((suppliers or "").split()),
        "ingredient_class": Counter(_joined(classes)),
    }
    return {
        kind: dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
        for kind, found in counts.items()
    }


def _joined(arrays: str | None) -> Iterator[str]:
    """The items of comma-joined JSON arrays of strings (``'["a"],["b","c"]'``)."""
    return chain.from_iterable(json.loads(f"[{arrays or ''}]"))


def _cards(conn: sqlite3.Connection, pks: Sequence[int]) -> dict[int, _Card]:
    """The cards of the cocktails ``pks`` (a page of hits)."""
    rows = conn.execute(
        "SELECT c.pk, c.id, c.name, c.supplier_id, c.n_actives, c.indications "
        f"FROM {_BY_PK} WHERE c.pk IN ({_marks(pks)})",
        list(pks),
    )
    return {pk: _Card(*card) for pk, *card in rows}


class _Contents:
    """What a hit's composition says: its first actives, and ingredients of unknown origin."""

    __slots__ = ("actives", "unstated_origin")

    def __init__(self) -> None:
        self.actives: list[str] = []
        self.unstated_origin: list[str] = []


def _contents(
    conn: sqlite3.Connection, lex: Lexicon, cocktail_id: str, *, origins: bool
) -> _Contents:
    """The first :data:`KEY_ACTIVES` actives of a cocktail, and (when ``origins``) every
    ingredient whose origin is not stated. Without ``origins`` it stops reading the
    composition at the last active it needs."""
    found = _Contents()
    rows = conn.execute(
        "SELECT ingredient_id FROM composition WHERE cocktail_id = ? ORDER BY position",
        (cocktail_id,),
    )
    for (ingredient_id,) in rows:
        facts = lex.facts(ingredient_id)
        if facts is None:  # cannot happen within one snapshot; never worth a failed search
            continue
        name = facts.name
        active = facts.ingredient_class is not IngredientClass.EXCIPIENT
        if active and len(found.actives) < KEY_ACTIVES and name not in found.actives:
            found.actives.append(name)
        if origins and facts.origin is None and name not in found.unstated_origin:
            found.unstated_origin.append(name)
        if not origins and len(found.actives) == KEY_ACTIVES:
            break
    return found


def _why(
    conn: sqlite3.Connection,
    card: _Card,
    indications: Sequence[IndicationId],
    query: Query,
    plan: _Plan,
    lex: Lexicon,
    contents: _Contents,
) -> tuple[str, ...]:
    """Why a hit matched, in plain words ("for Alopecia, as 'queda de cabelo'", "treats
    Scalp", "Profhilo")."""
    reasons: list[str] = []
    answered: dict[IndicationId, str] = {}
    for match in plan.concerns:
        if match.indication_id in indications and match.indication_id not in answered:
            name = lex.indication_name(match.indication_id.value)
            said = f"'{match.term}'"
            if match.how == "fuzzy":
                said += f" (read as '{match.matched}')"
            answered[match.indication_id] = f"for {name}, as {said}"
    if query.indication is not None and query.indication not in answered:
        answered[query.indication] = f"for {lex.indication_name(query.indication.value)}"
    reasons += answered.values()
    if plan.area_ids or query.area is not None:
        named = (*plan.area_ids, *((query.area.value,) if query.area else ()))
        wanted = tuple(a for area in named for a in _area_family(area))
        treated = _treated(conn, card.id, wanted)
        reasons += [f"treats {lex.area_name(area)}" for area in treated]
    if plan.brand_keys:
        reasons += [brand for brand in _brands(conn, card.id, plan.brand_keys)]
    reasons += [f"contains {name}" for name in query.include]
    if query.ingredient_class is not None:
        reasons.append(f"contains an ingredient of the class {_words(query.ingredient_class)}")
    if plan.fts is not None:
        reasons.append(f"mentions '{plan.free_text}'")
    if query.technique is not None:
        reasons.append(f"given by {_words(query.technique)}")
    if query.supplier is not None:
        reasons.append(f"from supplier {_supplier_name(conn, query.supplier)}")
    if query.max_actives is not None:
        reasons.append(f"{card.n_actives} actives (at most {query.max_actives})")
    reasons += [f"no {name}, in any form" for name in query.exclude]
    reasons += [f"no {negation.term} (as typed)" for negation in plan.negations]
    reasons += [f"not ruled out by {lex.condition_name(c.value)}" for c in plan.clients]
    reasons += [f"no {_words(c)} ingredients" for c in query.exclude_classes]
    reasons += [f"no {o.value}-derived ingredients" for o in query.exclude_origins]
    if query.exclude_origins and contents.unstated_origin:
        reasons.append("origin not stated for " + ", ".join(contents.unstated_origin))
    return tuple(reasons)


def _words(value: StrEnum) -> str:
    """A vocabulary value as words (``point_by_point`` -> ``point by point``): no why-line
    shows a field's spelling."""
    return value.value.replace("_", " ")


def _supplier_name(conn: sqlite3.Connection, supplier: str) -> str:
    """The name of supplier ``supplier`` as its catalogue gives it (its id if none)."""
    row = conn.execute("SELECT name FROM suppliers WHERE id = ?", (supplier,)).fetchone()
    return str(row[0]) if row else supplier


def _treated(conn: sqlite3.Connection, cocktail_id: str, areas: Sequence[str]) -> list[str]:
    """Which of ``areas`` the cocktail treats, each once, in the order given."""
    rows = conn.execute(
        f"SELECT area FROM cocktail_areas WHERE cocktail_id = ? AND area IN ({_marks(areas)})",
        (cocktail_id, *areas),
    )
    found = {area for (area,) in rows}
    return [area for area in dict.fromkeys(areas) if area in found]


def _brands(conn: sqlite3.Connection, cocktail_id: str, keys: Sequence[str]) -> list[str]:
    """The cocktail's brands among ``keys``, as it spells them."""
    rows = conn.execute(
        f"SELECT brand FROM cocktail_brands WHERE cocktail_id = ? AND key IN ({_marks(keys)})",
        (cocktail_id, *keys),
    )
    return [brand for (brand,) in rows]


# ---------------------------------------------------------------- search


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction, so the lexicon, the matches and the page see one catalogue
    state even while another process imports (WAL). Inside a caller's transaction, that one."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


def run(
    conn: sqlite3.Connection,
    query: Query,
    lexicons: LexiconCache | None = None,
    *,
    budget: float = DEFAULT_BUDGET,
) -> Answer:
    """Run ``query`` against the catalogue on ``conn`` (the module doc gives the rules).

    A search that SQLite reports as reading a malformed page while another process may be
    importing is run once more, in a new read transaction: FTS5 can meet its index in
    mid-change (``tests/test_concurrency.py`` saw it in about 1 run in 20 under load, with
    SQLite 3.40, before this retry); a file that is really damaged fails again and is
    refused.
    """
    try:
        return _run(conn, query, lexicons, budget=budget)
    except CatalogueError as error:
        if conn.in_transaction or "malformed" not in str(error.__cause__ or ""):
            raise
    return _run(conn, query, lexicons, budget=budget)


def _run(
    conn: sqlite3.Connection,
    query: Query,
    lexicons: LexiconCache | None = None,
    *,
    budget: float = DEFAULT_BUDGET,
) -> Answer:
    """:func:`run`, once.

    ``budget``: seconds the search's SQL may take in all; past it SQLite is interrupted (a
    progress handler) and the search refused with :class:`SearchError`, so that no text,
    however hostile, holds a connection (and, on the web, a worker) for long.

    ``lexicons`` keeps the catalogue's lexicon between searches (on every connection to
    one file, see :class:`LexiconCache`); without it the lexicon is read for this search
    alone (what a one-shot command wants).
    Raises :class:`SearchError` for text with nothing searchable in it and for ingredient
    names the catalogue does not know (suggestions in its ``hint``), and
    :class:`CatalogueError` when SQLite fails.
    """
    wanted = query.offset + query.limit
    if query.facets:
        wanted = max(wanted, FACET_LIMIT)
    # Inside the caller's transaction the catalogue may hold writes no other connection
    # sees (nor the file's stamp): the lexicon is read for this search alone.
    cached = lexicons if not conn.in_transaction else None
    deadline = time.monotonic() + budget
    conn.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        with _snapshot(conn):
            lex = Lexicon.from_connection(conn) if cached is None else cached.get(conn)
            plan = _plan(conn, query, lex)
            matches = _matches(conn, plan, wanted)
            relaxed = None if matches.total else _relaxed(plan)
            if relaxed is not None:
                found = _matches(conn, relaxed, wanted)
                if found.total:  # say what was relaxed only when that found something
                    plan, matches = relaxed, found
            covered = () if matches.total else _covered(conn)
            untreated = () if matches.total else _untreated(conn, plan.concerns)
            page = matches.best[query.offset : query.offset + query.limit]
            counted = [pk for pk, _, _ in matches.best[:FACET_LIMIT]]
            facets = _facets(conn, counted) if query.facets else {}
            screening = _screening(conn, plan, lex)
            cards = _cards(conn, [pk for pk, _, _ in page]) if page else {}
            sources = supplier_provenance(conn, (card.supplier for card in cards.values()))
            origins = bool(query.exclude_origins)
            hits = []
            for pk, concerns, rank in page:
                card = cards[pk]
                contents = _contents(conn, lex, card.id, origins=origins)
                indications = tuple(IndicationId(i) for i in json.loads(card.indications))
                hits.append(
                    Found(
                        id=card.id,
                        name=card.name,
                        supplier=card.supplier,
                        indications=indications,
                        score=round(_score(concerns, rank), 6),
                        why=_why(conn, card, indications, query, plan, lex, contents),
                        key_actives=tuple(contents.actives),
                        n_actives=card.n_actives,
                        provenance=sources[card.supplier],
                    )
                )
    except sqlite3.OperationalError as error:
        if time.monotonic() > deadline and "interrupt" in str(error):
            raise SearchError(
                f"the search took longer than {budget:g} s and was stopped",
                hint="use fewer or more specific words, or add a filter",
            ) from None
        raise CatalogueError(f"the search could not be run: {error}") from error
    except sqlite3.Error as error:
        raise CatalogueError(f"the search could not be run: {error}") from error
    finally:
        conn.set_progress_handler(None, 0)
    # Suggest only for words that found nothing: a recognised concern is not misspelt.
    suggestions = lex.did_you_mean(plan.free_text) if not matches.total and plan.free_text else []
    return Answer(
        hits=tuple(hits),
        total=matches.total,
        facets=facets,
        facets_complete=matches.total <= FACET_LIMIT,
        ranking_complete=plan.fts is None or matches.total <= RANK_LIMIT,
        concerns=plan.concerns,
        areas=plan.areas,
        brands=plan.brands,
        did_you_mean=tuple(suggestions),
        screening=screening,
        relaxed=plan.relaxed,
        covered=covered,
        untreated=untreated,
        unread=plan.dropped,
    )


def _relaxed(plan: _Plan) -> _Plan | None:
    """``plan`` relaxed one step when it found nothing, or ``None`` when nothing may be.

    Only free words are relaxed (any of them rather than all). What the text named (a
    concern, an area, a brand) is never dropped, and neither is a filter, an exclusion or a
    client condition: relaxing those would show what was asked not to be shown.
    """
    free = plan.free_text.split()
    if plan.fts is None or len(free) < 2:
        return None
    fts = fts_query(plan.free_text, any_word=True)
    shown = ", ".join(f"'{w}'" for w in free)
    return plan._replace(
        fts=fts,
        name_fts=None if fts is None else f"name : ({fts})",
        relaxed=(f"no cocktail holds all of {shown}: showing those that hold any of them",),
    )


def _untreated(conn: sqlite3.Connection, concerns: Sequence[Concern]) -> tuple[str, ...]:
    """The names of the read ``concerns`` that no cocktail in the catalogue treats."""
    ids = [concern.indication_id.value for concern in concerns]
    if not ids:
        return ()
    rows = conn.execute(
        "SELECT i.name FROM indications AS i WHERE i.id IN (SELECT value FROM json_each(?)) "
        "AND NOT EXISTS (SELECT 1 FROM cocktail_indications AS ci WHERE ci.indication_id = i.id)"
        " ORDER BY i.name",
        (json.dumps(ids),),
    )
    return tuple(name for (name,) in rows)


def _covered(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The names of the concerns the catalogue has cocktails for (what to offer when a
    search found nothing)."""
    rows = conn.execute(
        "SELECT i.name FROM indications AS i WHERE EXISTS "
        "(SELECT 1 FROM cocktail_indications AS ci WHERE ci.indication_id = i.id) ORDER BY i.name"
    )
    return tuple(name for (name,) in rows)


__all__ = [
    "BM25_WEIGHTS",
    "DEFAULT_BUDGET",
    "DEFAULT_LIMIT",
    "FACET_LIMIT",
    "FIELDS",
    "KEY_ACTIVES",
    "MAX_ACTIVES",
    "MAX_CLIENT",
    "MAX_EXCLUDE",
    "MAX_INCLUDE",
    "MAX_LIMIT",
    "MAX_NAME",
    "MAX_OFFSET",
    "MAX_TEXT",
    "RANK_LIMIT",
    "SEARCH_FIELDS",
    "Answer",
    "ExcludedName",
    "Found",
    "LexiconCache",
    "Query",
    "ScreenedCondition",
    "Screening",
    "database_file",
    "refuse_unknown",
    "run",
    "unknown_field",
]
