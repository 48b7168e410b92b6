"""The one search: a :class:`SearchRequest` in, ranked :class:`SearchResults` out.

The CLI and the web page both call :func:`search`. How a request becomes SQL:

- **Concerns.** The text is scanned for indication names and lay synonyms
  (:meth:`~.terms.Lexicon.concerns`: exact phrases first, then typos). Concerns become an
  indication filter: a cocktail must carry at least one indication named; one that answers
  more of the concerns typed ranks higher.
- **Free text.** The typed words that are not part of a concern (stop words left out) go to
  FTS5 through :func:`~.fts.fts_query`, ranked by bm25, all words required. A text made only of
  concern words needs no full-text match; with both, a cocktail must meet the concern *and*
  contain the other words ("biotin for hair loss": alopecia, and the word biotin).
- **Filters** are SQL with bound parameters only: ``include`` (every name must be present,
  each name also covering its salts, see :meth:`~.terms.Lexicon.resolve_ingredient`),
  ``exclude``, ``exclude_classes``, ``exclude_origins``, ``area``, ``supplier``,
  ``technique``, ``max_actives``. An ingredient name that matches nothing is an error with
  suggestions, never silently dropped: dropping an exclusion would show a client's allergen.
- **Empty request** (no text, no filters): every cocktail, by name. This is the catalogue's
  browse view, and it is bounded by ``limit`` like any other search.
- **Order** is by score (concerns answered, plus bm25 relevance squashed into [0, 1)), then
  name, then id, so equal scores page stably. ``total`` and ``facets`` count every match,
  not just the page.

Every match is computed once per search (a ``MATERIALIZED`` common table expression) and
then counted, faceted and paged in the same statement.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from meso_formulary.errors import SearchError
from meso_formulary.identifiers import clean_text
from meso_formulary.model import Area, IndicationId, IngredientClass, Origin, Technique
from meso_formulary.types import Slug

from .fts import fts_query, words
from .terms import ConcernMatch, Lexicon, parse_class, parse_origins, word_key

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


def _classes(value: object) -> object:
    items = _as_tuple(value)
    if isinstance(items, Iterable) and not isinstance(items, Mapping):
        return tuple(dict.fromkeys(parse_class(v) if isinstance(v, str) else v for v in items))
    return items


def _origins(value: object) -> object:
    items = _as_tuple(value)
    if isinstance(items, Iterable) and not isinstance(items, Mapping):
        found: list[object] = []
        for v in items:
            found.extend(parse_origins(v) if isinstance(v, str) else (v,))
        return tuple(dict.fromkeys(found))
    return items


def _vocabulary_key(value: object) -> object:
    """``"Décolletage"`` / ``"point by point"`` -> ``decolletage`` / ``point_by_point``."""
    if isinstance(value, str):
        return "_".join(word_key(value).split()).replace("é", "e")
    return value


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
    area: Annotated[Area | None, BeforeValidator(_vocabulary_key)] = None
    supplier: Slug | None = None
    technique: Annotated[Technique | None, BeforeValidator(_vocabulary_key)] = None
    max_actives: Annotated[int, Field(ge=0, le=250)] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 20
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0

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


# ---------------------------------------------------------------- the catalogue seam


class _Connected(Protocol):
    @property
    def conn(self) -> sqlite3.Connection: ...


_lexicons: weakref.WeakKeyDictionary[_Connected, tuple[tuple[int, int], Lexicon]] = (
    weakref.WeakKeyDictionary()
)
_lexicons_lock = threading.Lock()


def lexicon(catalogue: _Connected) -> Lexicon:
    """The catalogue's :class:`Lexicon`, rebuilt only when the catalogue has changed.

    ``PRAGMA data_version`` changes when another connection commits; ``total_changes`` when
    this one writes. Together they tell whether the cached lexicon is still current.
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


# ---------------------------------------------------------------- query building


@dataclass
class _Sql:
    """SQL fragments and their parameters, assembled in order."""

    parts: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, sql: str, *params: object) -> None:
        self.parts.append(sql)
        self.params.extend(params)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


@dataclass(frozen=True)
class _Plan:
    """A request resolved against the catalogue: everything the SQL needs."""

    concern_sets: tuple[tuple[str, ...], ...]
    """Per concern term, the indication ids it names (a cocktail needs one of any term)."""
    fts: str | None
    include_sets: tuple[tuple[str, ...], ...]
    exclude_ids: tuple[str, ...]


def _plan(request: SearchRequest, lex: Lexicon) -> tuple[_Plan, list[ConcernMatch], str]:
    concerns: list[ConcernMatch] = []
    free_text = ""
    if request.text is not None and clean_text(request.text):
        if not words(request.text):
            raise SearchError(
                f"nothing to search for in {request.text!r}",
                hint="type a concern (hair loss), an ingredient or a word",
            )
        scan = lex.concerns(request.text)
        concerns = list(scan.concerns)
        free = scan.remainder or (() if concerns else tuple(words(request.text)))
        free_text = " ".join(free)

    concern_sets: dict[str, dict[str, None]] = {}
    for match in concerns:
        concern_sets.setdefault(match.term, {})[match.indication_id.value] = None
    include_sets = tuple(lex.resolve_ingredient(name).ids for name in request.include)
    exclude_ids = tuple(
        dict.fromkeys(i for name in request.exclude for i in lex.resolve_ingredient(name).ids)
    )
    plan = _Plan(
        concern_sets=tuple(tuple(s) for s in concern_sets.values()),
        fts=fts_query(free_text) if free_text else None,
        include_sets=include_sets,
        exclude_ids=exclude_ids,
    )
    return plan, concerns, free_text


def _matches_sql(request: SearchRequest, plan: _Plan) -> _Sql:
    """``SELECT id, name, supplier_id, indications, n_actives, score`` of every match."""
    score_sql, score_params = _concern_score(plan)
    sql = _Sql()
    if plan.fts is not None:
        weights = ", ".join(repr(w) for w in BM25_WEIGHTS)
        # bm25 is negative, better is lower; -rank / (1 - rank) maps it onto [0, 1).
        sql.add(
            "SELECT c.id, c.name, c.supplier_id, c.indications, c.n_actives, "
            f"{score_sql} + (-f.rank / (1.0 - f.rank)) AS score "
            f"FROM (SELECT rowid AS pk, bm25(cocktails_fts, {weights}) AS rank "
            "FROM cocktails_fts WHERE cocktails_fts MATCH ?) AS f "
            "JOIN cocktails AS c ON c.pk = f.pk WHERE 1",
            *score_params,
            plan.fts,
        )
    else:
        sql.add(
            "SELECT c.id, c.name, c.supplier_id, c.indications, c.n_actives, "
            f"{score_sql} AS score FROM cocktails AS c WHERE 1",
            *score_params,
        )
    if plan.concern_sets:
        all_ids = tuple(dict.fromkeys(i for ids in plan.concern_sets for i in ids))
        sql.add(
            " AND c.id IN (SELECT cocktail_id FROM cocktail_indications "
            f"WHERE indication_id IN ({_marks(all_ids)}))",
            *all_ids,
        )
    for ids in plan.include_sets:
        sql.add(
            " AND c.id IN (SELECT cocktail_id FROM composition "
            f"WHERE ingredient_id IN ({_marks(ids)}))",
            *ids,
        )
    if request.area is not None:
        sql.add(
            " AND c.id IN (SELECT cocktail_id FROM cocktail_areas WHERE area = ?)",
            request.area.value,
        )
    if request.technique is not None:
        sql.add(
            " AND c.id IN (SELECT cocktail_id FROM cocktail_techniques WHERE technique = ?)",
            request.technique.value,
        )
    if request.supplier is not None:
        sql.add(" AND c.supplier_id = ?", request.supplier)
    if request.max_actives is not None:
        sql.add(" AND c.n_actives <= ?", request.max_actives)
    if plan.exclude_ids:
        sql.add(
            " AND c.id NOT IN (SELECT cocktail_id FROM composition "
            f"WHERE ingredient_id IN ({_marks(plan.exclude_ids)}))",
            *plan.exclude_ids,
        )
    for column, values in (
        ("ingredient_class", [c.value for c in request.exclude_classes]),
        ("origin", [o.value for o in request.exclude_origins]),
    ):
        if values:
            sql.add(
                " AND c.id NOT IN (SELECT cocktail_id FROM composition WHERE ingredient_id IN "
                f"(SELECT id FROM ingredients WHERE {column} IN ({_marks(values)})))",
                *values,
            )
    return sql


def _concern_score(plan: _Plan) -> tuple[str, list[object]]:
    """SQL for how many concern terms a cocktail answers, and its parameters.

    With one term every match answers it (the filter says so), so the score is 1.
    """
    if len(plan.concern_sets) <= 1:
        return str(len(plan.concern_sets)), []
    sql = " + ".join(
        "EXISTS (SELECT 1 FROM cocktail_indications AS ci WHERE ci.cocktail_id = c.id "
        f"AND ci.indication_id IN ({_marks(ids)}))"
        for ids in plan.concern_sets
    )
    return sql, [i for ids in plan.concern_sets for i in ids]


_FACETS_SQL = """
UNION ALL SELECT 'total', NULL, NULL, NULL, NULL, count(*), NULL FROM m
UNION ALL SELECT 'supplier', supplier_id, NULL, NULL, NULL, count(*), NULL FROM m
    GROUP BY supplier_id
UNION ALL SELECT 'indication', j.value, NULL, NULL, NULL, count(*), NULL
    FROM m, json_each(m.indications) AS j GROUP BY j.value
UNION ALL SELECT 'ingredient_class', i.ingredient_class, NULL, NULL, NULL,
    count(DISTINCT m.id), NULL
    FROM m JOIN composition AS x ON x.cocktail_id = m.id
    JOIN ingredients AS i ON i.id = x.ingredient_id
    GROUP BY i.ingredient_class
"""
"""Every match counted once per facet value (the ``kind, key, ..., n`` rows of :func:`_run`)."""


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
    """The page of matches, their number, and the facet counts: one statement, one pass."""
    matches = _matches_sql(request, plan)
    statement = (
        "WITH m AS MATERIALIZED (" + "".join(matches.parts) + ") "
        "SELECT * FROM (SELECT 'hit' AS kind, id, name, supplier_id, indications, n_actives, "
        "score FROM m ORDER BY score DESC, name, id LIMIT ? OFFSET ?)" + _FACETS_SQL
    )
    params = [*matches.params, request.limit, request.offset]
    rows: list[_Row] = []
    total = 0
    facets: dict[str, dict[str, int]] = {"indication": {}, "supplier": {}, "ingredient_class": {}}
    for kind, key, name, supplier, indications, n, score in conn.execute(statement, params):
        if kind == "hit":
            rows.append(
                _Row(
                    key,
                    name,
                    supplier,
                    tuple(IndicationId(i) for i in json.loads(indications)),
                    n,
                    score,
                )
            )
        elif kind == "total":
            total = n
        else:
            facets[kind][key] = n
    rows.sort(key=lambda r: (-r.score, r.name, r.id))
    for kind, counts in facets.items():
        facets[kind] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return rows, total, facets


# ---------------------------------------------------------------- reasons


def _actives(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, list[str]]:
    """The first :data:`KEY_ACTIVES` non-excipient ingredient names of each cocktail."""
    found: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = conn.execute(
        "SELECT x.cocktail_id, i.name FROM composition AS x JOIN ingredients AS i "
        f"ON i.id = x.ingredient_id WHERE x.cocktail_id IN ({_marks(ids)}) "
        "AND i.ingredient_class != 'excipient' ORDER BY x.cocktail_id, x.position",
        list(ids),
    )
    for cocktail_id, name in rows:
        names = found[cocktail_id]
        if len(names) < KEY_ACTIVES and name not in names:
            names.append(name)
    return found


def _unstated_origins(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, list[str]]:
    """Per cocktail, the ingredients whose origin the dictionary does not state."""
    found: dict[str, list[str]] = {}
    rows = conn.execute(
        "SELECT DISTINCT x.cocktail_id, i.name FROM composition AS x JOIN ingredients AS i "
        f"ON i.id = x.ingredient_id WHERE x.cocktail_id IN ({_marks(ids)}) AND i.origin IS NULL "
        "ORDER BY x.cocktail_id, i.name",
        list(ids),
    )
    for cocktail_id, name in rows:
        found.setdefault(cocktail_id, []).append(name)
    return found


def _why(
    row: _Row,
    request: SearchRequest,
    concerns: Sequence[ConcernMatch],
    free_text: str,
    unstated: Sequence[str],
) -> tuple[str, ...]:
    reasons: list[str] = []
    for match in concerns:
        if match.indication_id in row.indications:
            via = f"'{match.term}'"
            if match.how == "fuzzy":
                via += f" (read as '{match.matched}')"
            reasons.append(f"indication {match.indication_id.value} via {via}")
    reasons += [f"contains {name}" for name in request.include]
    if free_text:
        reasons.append(f"text matches '{free_text}'")
    if request.area is not None:
        reasons.append(f"area {request.area.value}")
    if request.technique is not None:
        reasons.append(f"technique {request.technique.value}")
    if request.supplier is not None:
        reasons.append(f"supplier {request.supplier}")
    if request.max_actives is not None:
        reasons.append(f"{row.n_actives} actives (at most {request.max_actives})")
    reasons += [f"excludes {name}" for name in request.exclude]
    reasons += [f"excludes {c.value} ingredients" for c in request.exclude_classes]
    reasons += [f"excludes {o.value}-derived ingredients" for o in request.exclude_origins]
    if unstated:
        reasons.append("origin not stated for " + ", ".join(unstated))
    return tuple(reasons)


# ---------------------------------------------------------------- search


def search(catalogue: _Connected, request: SearchRequest) -> SearchResults:
    """Run ``request`` against ``catalogue`` (see the module docstring for the rules).

    Raises :class:`SearchError` for text with nothing searchable in it and for ingredient
    names the catalogue does not know (with suggestions in its ``hint``); raises nothing
    else for any valid request.
    """
    conn = catalogue.conn
    lex = lexicon(catalogue)
    plan, concerns, free_text = _plan(request, lex)
    rows, total, facets = _run(conn, request, plan)

    page_ids = [r.id for r in rows]
    actives = _actives(conn, page_ids)
    unstated = _unstated_origins(conn, page_ids) if request.exclude_origins and page_ids else {}
    hits = [
        Hit(
            id=r.id,
            name=r.name,
            supplier=r.supplier,
            indications=r.indications,
            score=round(r.score, 6),
            why=_why(r, request, concerns, free_text, unstated.get(r.id, ())),
            key_actives=tuple(actives[r.id]),
            n_actives=r.n_actives,
        )
        for r in rows
    ]
    suggestions = lex.did_you_mean(request.text) if total == 0 and request.text else []
    return SearchResults(
        hits=hits, total=total, facets=facets, concerns=concerns, did_you_mean=suggestions
    )


__all__ = ["Hit", "SearchRequest", "SearchResults", "lexicon", "search"]
