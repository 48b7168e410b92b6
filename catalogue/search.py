"""The one search: a :class:`SearchRequest` in, ranked :class:`SearchResults` out.

The CLI and the web page both call :func:`search`. How a request becomes SQL:

- **Concerns.** The text is scanned for indication names and lay synonyms
  (:meth:`~.terms.Lexicon.concerns`: exact phrases first, then typos). Concerns become an
  indication filter: a cocktail must carry at least one indication named; one that answers
  more of the concerns typed ranks higher.
- **Exclusions typed as words**: "no lidocaine", "without fish", "anaesthetic-free" exclude
  what they name (:meth:`~.terms.Lexicon.negations`), so that text typed into a search box
  never looks *for* what it rules out; "no downtime" names nothing and stays text.
- **Free text.** The typed words that are not part of a concern (stop words left out) go to
  FTS5 through :func:`~.fts.fts_query`, ranked by bm25, all words required. A text made only of
  concern words needs no full-text match; with both, a cocktail must meet the concern *and*
  contain the other words ("biotin for hair loss": alopecia, and the word biotin).
- **Filters** are SQL with bound parameters only: ``include`` (every name must be present;
  a name also covers the names that extend it, so "lidocaine" covers "lidocaine
  hydrochloride", see :meth:`~.terms.Lexicon.resolve_ingredient`),
  ``exclude``, ``exclude_classes``, ``exclude_origins``, ``area``, ``supplier``,
  ``technique``, ``max_actives``. An ingredient name that matches nothing is an error with
  suggestions, never silently dropped: dropping an exclusion would show a client's allergen.
- **Empty request** (no text, no filters): every cocktail, by name. This is the catalogue's
  browse view, and it is bounded by ``limit`` like any other search.
- **Order** is by score (concerns answered, plus bm25 relevance squashed into [0, 1)), then
  name, then id, so equal scores page stably. ``total`` and ``facets`` count every match,
  not just the page; ``did_you_mean`` is filled when the free-text words found nothing.

Every match is computed once per search (a ``MATERIALIZED`` common table expression) and
then counted, faceted and paged in the same statement, inside one read transaction.
Counting facets visits every match, so it is what a search with many thousands of matches
spends its time on; ``SearchRequest(facets=False)`` skips it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from meso_formulary.errors import CatalogueError, SearchError
from meso_formulary.identifiers import clean_text
from meso_formulary.model import Area, IndicationId, IngredientClass, Origin, Technique
from meso_formulary.types import Slug

from .fts import fts_query, words
from .terms import ConcernMatch, Lexicon, Negation, parse_choice, parse_class, parse_origins

if TYPE_CHECKING:
    from .store import Catalogue

MAX_TEXT = 500
"""Longest search text accepted (characters)."""

KEY_ACTIVES = 3
"""How many actives a hit lists, in the maker's order."""

BM25_WEIGHTS = (10.0, 2.0, 1.0)
"""bm25 column weights for ``name, description, search_terms``: a word in the name counts most."""


# ---------------------------------------------------------------- request


def _filter_name(text: str) -> str:
    cleaned = clean_text(text)
    if not cleaned:
        raise ValueError("an empty ingredient name")
    return cleaned


FilterName = Annotated[
    str, StringConstraints(min_length=1, max_length=300), AfterValidator(_filter_name)
]
"""An ingredient id, name, INCI name or synonym, as typed."""


def _as_tuple(value: object) -> object:
    """Let one string stand for a one-item list (``exclude="lidocaine"``)."""
    return (value,) if isinstance(value, str) else value


def _refusal(error: SearchError) -> ValueError:
    """A :class:`SearchError` as pydantic reports it, keeping the suggestion."""
    return ValueError(f"{error.message}; {error.hint}" if error.hint else error.message)


def _classes(value: object) -> object:
    items = _as_tuple(value)
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        return items  # not a list: pydantic says so
    try:
        return tuple(dict.fromkeys(parse_class(v) if isinstance(v, str) else v for v in items))
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
    return tuple(dict.fromkeys(found))


def _choice(value: object, choices: type[StrEnum], what: str) -> object:
    if not isinstance(value, str):
        return value
    try:
        return parse_choice(value, choices, what)
    except SearchError as error:
        raise _refusal(error) from None


class SearchRequest(BaseModel):
    """What to search for. Every field is optional; see :func:`search` for how they combine.

    Class and origin names are forgiving ("anaesthetics", "Anesthetic", "fish-derived",
    "animal"); ``area`` and ``technique`` ignore case and accents. Anything else invalid
    raises pydantic's ``ValidationError`` (a ``ValueError``); :meth:`parse` turns it into a
    :class:`SearchError` for callers that hand over user input as a mapping.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    include: Annotated[
        tuple[FilterName, ...], BeforeValidator(_as_tuple), Field(max_length=20)
    ] = ()
    exclude: Annotated[
        tuple[FilterName, ...], BeforeValidator(_as_tuple), Field(max_length=50)
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
    max_actives: Annotated[int, Field(ge=0, le=250)] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 20
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0
    facets: bool = True
    """Count matches per indication, supplier and ingredient class. Counting visits every
    match, so callers that do not show facets (the CLI's table) save time by turning it off."""

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


# ---------------------------------------------------------------- results


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
    facets: dict[str, dict[str, int]]
    concerns: list[ConcernMatch]
    did_you_mean: list[str]


# ---------------------------------------------------------------- the catalogue's lexicon

_lexicons: weakref.WeakKeyDictionary[Catalogue, tuple[tuple[int, int], Lexicon]] = (
    weakref.WeakKeyDictionary()
)
_lexicons_lock = threading.Lock()


def lexicon(catalogue: Catalogue) -> Lexicon:
    """The catalogue's :class:`~.terms.Lexicon`, rebuilt only when the catalogue has changed.

    ``PRAGMA data_version`` changes when another connection commits, ``total_changes`` when
    this one writes: together they tell whether the cached lexicon is still current.
    """
    conn = catalogue.conn
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    with _lexicons_lock:
        cached = _lexicons.get(catalogue)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    built = Lexicon.from_connection(conn)
    with _lexicons_lock:
        _lexicons[catalogue] = (stamp, built)
    return built


# ---------------------------------------------------------------- planning


_Fragment = tuple[str, list[object]]
"""SQL text and the parameters it binds, in order."""

SEEK_LIMIT = 8
"""Up to this many values, a membership test seeks the ``(value, cocktail_id)`` index once
per value; above it, it reads the cocktail's own rows instead (about 35 for a composition),
which is cheaper than hundreds of seeks ("vitamin" names ~900 ingredients at 100k: the seeks
took 8 s, reading the rows 90 ms)."""


@dataclass(frozen=True)
class _LinkSet:
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


ESTIMATE_CAP = 20_000
"""Rows counted at most when estimating which filter matches fewest cocktails."""


@dataclass(frozen=True)
class _Plan:
    """A request resolved against the catalogue: what the SQL needs, and the reasons."""

    concerns: tuple[ConcernMatch, ...]
    negations: tuple[Negation, ...]
    """Exclusions typed in the text ("no lidocaine")."""
    concern_terms: tuple[tuple[str, ...], ...]
    """Per concern term typed, the indication ids it names."""
    free_text: str
    fts: str | None
    required: tuple[_LinkSet, ...]
    """Sets every match belongs to (concerns, each include, area, technique, supplier)."""
    excluded: tuple[str, ...]
    """Ingredient ids no match contains (exclude, exclude_classes, exclude_origins, and
    exclusions typed in the text)."""


def _plan(request: SearchRequest, lex: Lexicon) -> _Plan:
    concerns: tuple[ConcernMatch, ...] = ()
    negations: tuple[Negation, ...] = ()
    free_text = ""
    if request.text is not None and clean_text(request.text):
        if not words(request.text):
            raise SearchError(
                f"nothing to search for in {request.text!r}",
                hint="type a concern (hair loss), an ingredient or a word",
            )
        scan = lex.concerns(request.text)
        concerns = scan.concerns
        negated = lex.negations(scan.remainder)
        negations = negated.negations
        # Only stop words typed ("the"): search for them rather than for nothing.
        understood = concerns or negations
        free = negated.remainder or (() if understood else tuple(words(request.text)))
        free_text = " ".join(free)

    terms: dict[str, dict[str, None]] = {}
    for match in concerns:
        terms.setdefault(match.term, {})[match.indication_id.value] = None
    concern_terms = tuple(tuple(ids) for ids in terms.values())

    required: list[_LinkSet] = []
    if concern_terms:
        all_ids = tuple(dict.fromkeys(i for ids in concern_terms for i in ids))
        required.append(_LinkSet("cocktail_indications", "indication_id", all_ids))
    for name in request.include:
        required.append(_LinkSet("composition", "ingredient_id", lex.resolve_ingredient(name).ids))
    if request.area is not None:
        required.append(_LinkSet("cocktail_areas", "area", (request.area.value,)))
    if request.technique is not None:
        required.append(_LinkSet("cocktail_techniques", "technique", (request.technique.value,)))
    if request.supplier is not None:
        required.append(_LinkSet("cocktails", "supplier_id", (request.supplier,)))

    excluded = [i for name in request.exclude for i in lex.resolve_ingredient(name).ids]
    excluded += lex.ingredients_of(request.exclude_classes, request.exclude_origins)
    excluded += [i for negation in negations for i in negation.ingredient_ids]
    return _Plan(
        concerns=concerns,
        negations=negations,
        concern_terms=concern_terms,
        free_text=free_text,
        fts=fts_query(free_text) if free_text else None,
        required=tuple(required),
        excluded=tuple(dict.fromkeys(excluded)),
    )


# ---------------------------------------------------------------- SQL


@dataclass
class _Sql:
    """SQL text and its parameters, built in step so that neither can drift from the other."""

    text: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, sql: str, *params: object) -> None:
        self.text.append(sql)
        self.params.extend(params)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


_COLUMNS = "c.pk, c.id, c.name, c.supplier_id"
"""What every match carries. These columns come before ``description`` and ``search_terms``
in the row, so reading them never follows the row onto its overflow pages."""


def _matches_sql(conn: sqlite3.Connection, request: SearchRequest, plan: _Plan) -> _Sql:
    """``SELECT pk, id, name, supplier_id, score`` of every match.

    The cheapest set drives the query: the full-text matches when there is text, else the
    required set that an index count says is smallest. Each cocktail it yields is then
    checked against the other sets and the exclusions (``EXISTS``, see :data:`SEEK_LIMIT`),
    which costs in proportion to the driving set, not to how common an excluded ingredient is.
    """
    score_sql, score_params = _concern_score(plan)
    sql = _Sql()
    others = list(plan.required)
    if plan.fts is not None:
        weights = ", ".join(repr(w) for w in BM25_WEIGHTS)
        # bm25 is negative, lower is better; -rank / (1 - rank) maps it onto [0, 1).
        sql.add(
            f"SELECT {_COLUMNS}, {score_sql} + (-f.rank / (1.0 - f.rank)) AS score "
            f"FROM (SELECT rowid AS pk, bm25(cocktails_fts, {weights}) AS rank "
            "FROM cocktails_fts WHERE cocktails_fts MATCH ?) AS f "
            "CROSS JOIN cocktails AS c ON c.pk = f.pk WHERE 1",
            *score_params,
            plan.fts,
        )
    elif others:
        driver = min(others, key=lambda link: conn.execute(*link.estimate()).fetchone()[0])
        others.remove(driver)
        driver_sql, driver_params = driver.ids()
        sql.add(
            f"SELECT {_COLUMNS}, {score_sql} AS score FROM ({driver_sql}) AS d "
            "CROSS JOIN cocktails AS c ON c.id = d.id WHERE 1",
            *score_params,
            *driver_params,
        )
    else:
        sql.add(f"SELECT {_COLUMNS}, {score_sql} AS score FROM cocktails AS c WHERE 1")
    for link in others:
        contains, params = link.contains()
        sql.add(" AND " + contains, *params)
    if request.max_actives is not None:
        sql.add(" AND c.n_actives <= ?", request.max_actives)
    if plan.excluded:
        contains, params = _LinkSet("composition", "ingredient_id", plan.excluded).contains()
        sql.add(" AND NOT " + contains, *params)
    return sql


def _concern_score(plan: _Plan) -> tuple[str, list[object]]:
    """SQL for how many concern terms a cocktail answers, and its parameters.

    With one term every match answers it (the filter says so), so the score is 1.
    """
    if len(plan.concern_terms) <= 1:
        return str(len(plan.concern_terms)), []
    parts = [
        _LinkSet("cocktail_indications", "indication_id", ids).contains()
        for ids in plan.concern_terms
    ]
    return " + ".join(sql for sql, _ in parts), [p for _, params in parts for p in params]


_PAGE_SQL = """
SELECT * FROM (
    SELECT 'hit', p.id, p.name, p.supplier_id, c.indications, c.n_actives, p.score
    FROM (SELECT * FROM m ORDER BY score DESC, name, id LIMIT ? OFFSET ?) AS p
    CROSS JOIN cocktails AS c ON c.pk = p.pk
)
UNION ALL SELECT 'total', NULL, NULL, NULL, NULL, count(*), NULL FROM m
"""
"""The page (with the columns only it needs) and the number of matches."""

_FACETS_SQL = """
UNION ALL SELECT 'supplier', supplier_id, NULL, NULL, NULL, count(*), NULL FROM m
    GROUP BY supplier_id
UNION ALL SELECT 'indication', l.indication_id, NULL, NULL, NULL, count(*), NULL
    FROM m CROSS JOIN cocktail_indications AS l ON l.cocktail_id = m.id
    GROUP BY l.indication_id
UNION ALL SELECT 'ingredient_class', i.ingredient_class, NULL, NULL, NULL,
    count(DISTINCT m.id), NULL
    FROM m CROSS JOIN composition AS x ON x.cocktail_id = m.id
    CROSS JOIN ingredients AS i ON i.id = x.ingredient_id
    GROUP BY i.ingredient_class
"""
"""Every facet value's count, over all matches. ``CROSS JOIN`` keeps the matches as the
outer loop (SQLite's planner would otherwise scan all of ``composition``)."""


@dataclass(frozen=True)
class _Row:
    id: str
    name: str
    supplier: str
    indications: tuple[IndicationId, ...]
    n_actives: int
    score: float


def _run(
    conn: sqlite3.Connection, request: SearchRequest, plan: _Plan
) -> tuple[list[_Row], int, dict[str, dict[str, int]]]:
    """The page, the number of matches and the facet counts, in one statement.

    The matches are computed once (``MATERIALIZED``), then paged, counted and faceted.
    """
    matches = _matches_sql(conn, request, plan)
    statement = (
        "WITH m AS MATERIALIZED ("
        + "".join(matches.text)
        + ")"
        + _PAGE_SQL
        + (_FACETS_SQL if request.facets else "")
    )
    rows: list[_Row] = []
    total = 0
    facets: dict[str, dict[str, int]] = (
        {"indication": {}, "supplier": {}, "ingredient_class": {}} if request.facets else {}
    )
    params = [*matches.params, request.limit, request.offset]
    for kind, key, name, supplier, indications, n, score in conn.execute(statement, params):
        if kind == "hit":
            inds = tuple(IndicationId(i) for i in json.loads(indications))
            rows.append(_Row(key, name, supplier, inds, n, score))
        elif kind == "total":
            total = n
        else:
            facets[kind][key] = n
    # A compound SELECT does not promise to keep the page's order: sort it again.
    rows.sort(key=lambda r: (-r.score, r.name, r.id))
    for kind, counts in facets.items():
        facets[kind] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return rows, total, facets


# ---------------------------------------------------------------- hits and reasons


@dataclass
class _Contents:
    """What a hit's composition says: its first actives, and ingredients of unknown origin."""

    actives: list[str] = field(default_factory=list)
    unstated_origin: list[str] = field(default_factory=list)


def _contents(conn: sqlite3.Connection, lex: Lexicon, ids: Sequence[str]) -> dict[str, _Contents]:
    found = {i: _Contents() for i in ids}
    if not ids:
        return found
    rows = conn.execute(
        "SELECT cocktail_id, ingredient_id FROM composition "
        f"WHERE cocktail_id IN ({_marks(ids)}) ORDER BY cocktail_id, position",
        list(ids),
    )
    for cocktail_id, ingredient_id in rows:
        facts = lex.facts(ingredient_id)
        if facts is None:  # cannot happen within one snapshot; never worth a failed search
            continue
        contents = found[cocktail_id]
        name = facts.name
        active = facts.ingredient_class is not IngredientClass.EXCIPIENT
        if active and len(contents.actives) < KEY_ACTIVES and name not in contents.actives:
            contents.actives.append(name)
        if facts.origin is None and name not in contents.unstated_origin:
            contents.unstated_origin.append(name)
    return found


def _why(row: _Row, request: SearchRequest, plan: _Plan, contents: _Contents) -> tuple[str, ...]:
    reasons: list[str] = []
    for match in plan.concerns:
        if match.indication_id in row.indications:
            via = f"'{match.term}'"
            if match.how == "fuzzy":
                via += f" (read as '{match.matched}')"
            reasons.append(f"indication {match.indication_id.value} via {via}")
    reasons += [f"contains {name}" for name in request.include]
    if plan.free_text:
        reasons.append(f"text matches '{plan.free_text}'")
    if request.area is not None:
        reasons.append(f"area {request.area.value}")
    if request.technique is not None:
        reasons.append(f"technique {request.technique.value}")
    if request.supplier is not None:
        reasons.append(f"supplier {request.supplier}")
    if request.max_actives is not None:
        reasons.append(f"{row.n_actives} actives (at most {request.max_actives})")
    reasons += [f"excludes {name}" for name in request.exclude]
    reasons += [f"excludes {negation.term} (as typed)" for negation in plan.negations]
    reasons += [f"excludes {c.value} ingredients" for c in request.exclude_classes]
    reasons += [f"excludes {o.value}-derived ingredients" for o in request.exclude_origins]
    if request.exclude_origins and contents.unstated_origin:
        reasons.append("origin not stated for " + ", ".join(contents.unstated_origin))
    return tuple(reasons)


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


def search(catalogue: Catalogue, request: SearchRequest) -> SearchResults:
    """Run ``request`` against ``catalogue`` (the module docstring gives the rules).

    Raises :class:`SearchError` for text with nothing searchable in it and for ingredient
    names the catalogue does not know (suggestions in its ``hint``), and nothing else.
    """
    conn = catalogue.conn
    try:
        with _snapshot(conn):
            lex = lexicon(catalogue)
            plan = _plan(request, lex)
            rows, total, facets = _run(conn, request, plan)
            contents = _contents(conn, lex, [r.id for r in rows])
    except sqlite3.Error as error:
        raise CatalogueError(f"the search could not be run: {error}") from error
    hits = [
        Hit(
            id=r.id,
            name=r.name,
            supplier=r.supplier,
            indications=r.indications,
            score=round(r.score, 6),
            why=_why(r, request, plan, contents[r.id]),
            key_actives=tuple(contents[r.id].actives),
            n_actives=r.n_actives,
        )
        for r in rows
    ]
    # Suggest only for words that found nothing: a recognised concern is not misspelt.
    suggestions = lex.did_you_mean(plan.free_text) if total == 0 and plan.free_text else []
    return SearchResults(
        hits=hits,
        total=total,
        facets=facets,
        concerns=list(plan.concerns),
        did_you_mean=suggestions,
    )


__all__ = ["Hit", "SearchRequest", "SearchResults", "lexicon", "search"]
