"""One parser, one set of messages: a table of bad searches through the three front doors.

Each row is the same mistake typed into ``meso search`` (click's :class:`CliRunner`), handed
to the Python API (``SearchRequest`` and ``search``) and sent to the JSON API and the search
page (Datasette's test client, as ``tests/test_web.py`` does). All of them must refuse it
with the same message and hint (:meth:`Query.from_values`'s), and none with pydantic's or
click's wording.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cli_support import Meso
from datasette.app import Datasette

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.errors import SearchError
from meso_formulary.model import Area, IngredientClass, Origin, Technique
from meso_formulary.reference import reference_catalogue
from meso_formulary.web.server import build_datasette

NOT_OURS = re.compile(
    r"Input should|Value error|Invalid value for|is not in the range|validation error|"
    r"No such option|pydantic|Traceback"
)
"""pydantic's and click's wording: a refused search never shows it."""

EVERY_AREA = "one of: " + ", ".join(a.value for a in Area)
EVERY_CLASS = "one of: " + ", ".join(c.value for c in IngredientClass)
EVERY_ORIGIN = "one of: " + ", ".join(o.value for o in Origin)
EVERY_TECHNIQUE = "one of: " + ", ".join(t.value for t in Technique)
BLANK_HINT = "type a concern or a word, or leave the text out to list every cocktail"
SEARCH_FIELDS = "search fields: "


@dataclass(frozen=True)
class Bad:
    """One bad search, as each front door takes it, and the refusal expected of all."""

    name: str
    cli: tuple[str, ...]
    api: dict[str, Any]
    web: list[tuple[str, str]] | None
    """Query-string pairs; ``None`` where the web search has no such field."""
    message: str
    hint: str | None = None
    hint_prefix: bool = field(default=False)
    """The hint only starts with :attr:`hint` (each front door lists its own names)."""
    page: bool = True
    """The search page refuses it too (``q=`` alone is the page's first, empty visit)."""


TABLE = [
    Bad(
        "limit 0",
        ("hair loss", "--limit", "0"),
        {"text": "hair loss", "limit": 0},
        [("q", "hair loss"), ("limit", "0")],
        "invalid search: limit: must be a whole number from 1 to 500 (got 0)",
    ),
    Bad(
        "limit 501",
        ("hair loss", "--limit", "501"),
        {"text": "hair loss", "limit": 501},
        [("q", "hair loss"), ("limit", "501")],
        "invalid search: limit: must be a whole number from 1 to 500 (got 501)",
    ),
    Bad(
        "limit abc",
        ("hair loss", "--limit", "abc"),
        {"text": "hair loss", "limit": "abc"},
        [("q", "hair loss"), ("limit", "abc")],
        "invalid search: limit: must be a whole number from 1 to 500 (got 'abc')",
    ),
    Bad(
        "offset -1",
        ("hair loss", "--offset", "-1"),
        {"text": "hair loss", "offset": -1},
        [("q", "hair loss"), ("offset", "-1")],
        "invalid search: offset: must be a whole number from 0 to 100000 (got -1)",
    ),
    Bad(
        "unknown area",
        ("hair loss", "--area", "moon"),
        {"text": "hair loss", "area": "moon"},
        [("q", "hair loss"), ("area", "moon")],
        "invalid search: area: unknown area 'moon'",
        EVERY_AREA,
    ),
    Bad(
        "misspelt area",
        ("--area", "thigs"),
        {"area": "thigs"},
        [("area", "thigs")],
        "invalid search: area: unknown area 'thigs'",
        "did you mean: thighs?",
    ),
    Bad(
        "unknown class",
        ("hair loss", "--exclude-class", "bogus"),
        {"text": "hair loss", "exclude_classes": ["bogus"]},
        [("q", "hair loss"), ("exclude_class", "bogus")],
        "invalid search: exclude_classes: unknown ingredient class 'bogus'",
        EVERY_CLASS,
    ),
    Bad(
        "unknown origin",
        ("hair loss", "--exclude-origin", "martian"),
        {"text": "hair loss", "exclude_origins": ["martian"]},
        [("q", "hair loss"), ("exclude_origin", "martian")],
        "invalid search: exclude_origins: unknown origin 'martian'",
        EVERY_ORIGIN,
    ),
    Bad(
        "unknown sort",
        ("hair loss", "--sort", "name"),
        {"text": "hair loss", "sort": "name"},
        [("q", "hair loss"), ("sort", "name")],
        "invalid search: sort: not a search field",
        SEARCH_FIELDS,
        hint_prefix=True,
    ),
    Bad(
        "misspelt exclude",
        ("hair loss", "--exlude", "lidocaine"),
        {"text": "hair loss", "exlude": "lidocaine"},
        [("q", "hair loss"), ("exlude", "lidocaine")],
        "invalid search: exlude: not a search field",
        SEARCH_FIELDS,
        hint_prefix=True,
    ),
    Bad(
        "unknown ingredient to exclude",
        ("hair loss", "--exclude", "lidocain"),
        {"text": "hair loss", "exclude": ["lidocain"]},
        [("q", "hair loss"), ("exclude", "lidocain")],
        "invalid search: exclude: unknown ingredient 'lidocain'",
    ),
    Bad(
        "too many exclusions",
        ("hair loss", *[arg for i in range(51) for arg in ("-x", f"name{i}")]),
        {"text": "hair loss", "exclude": [f"name{i}" for i in range(51)]},
        [("q", "hair loss"), ("exclude", ", ".join(f"name{i}" for i in range(51)))],
        "invalid search: exclude: must be at most 50 names (got 51)",
    ),
    Bad(
        "too long a name to exclude",
        ("hair loss", "--exclude", "x" * 301),
        {"text": "hair loss", "exclude": ["x" * 301]},
        [("q", "hair loss"), ("exclude", "x" * 301)],
        "invalid search: exclude: a name must be at most 300 characters (got 301)",
    ),
    Bad(
        "empty text, no filter",
        ("",),
        {"text": ""},
        [("q", "")],
        "invalid search: text: empty (or only spaces and invisible characters)",
        BLANK_HINT,
        page=False,
    ),
    Bad(
        "blank text, no filter",
        ("   ", "--limit", "5"),
        {"text": "   ", "limit": 5},
        [("q", "   "), ("limit", "5")],
        "invalid search: text: empty (or only spaces and invisible characters)",
        BLANK_HINT,
    ),
    Bad(
        "too long a text",
        ("a" * 501,),
        {"text": "a" * 501},
        [("q", "a" * 501)],
        "invalid search: text: must be at most 500 characters (got 501)",
    ),
    Bad(
        "nothing to search for",
        ("%%% &&&",),
        {"text": "%%% &&&"},
        [("q", "%%% &&&")],
        "invalid search: text: nothing to search for (got '%%% &&&')",
        "type a concern (hair loss), an ingredient or a word",
    ),
    Bad(
        "unknown technique",
        ("hair loss", "--technique", "laser"),
        {"text": "hair loss", "technique": "laser"},
        [("q", "hair loss"), ("technique", "laser")],
        "invalid search: technique: unknown technique 'laser'",
        EVERY_TECHNIQUE,
    ),
    Bad(
        "not a supplier id",
        ("--supplier", "Not A Slug"),
        {"supplier": "Not A Slug"},
        [("supplier", "Not A Slug")],
        "invalid search: supplier: not a supplier id (got 'Not A Slug')",
        "a supplier id is lower-case letters, digits, '-' and '_', as in 'acme'",
    ),
    Bad(
        "max_actives too many",
        ("hair loss", "--max-actives", "251"),
        {"text": "hair loss", "max_actives": 251},
        [("q", "hair loss"), ("max_actives", "251")],
        "invalid search: max_actives: must be a whole number from 0 to 250 (got 251)",
    ),
    Bad(
        "unknown ingredient to include",
        ("--ingredient", "moonstone dust"),
        {"include": ["moonstone dust"]},
        [("ingredient", "moonstone dust")],
        "invalid search: include: unknown ingredient 'moonstone dust'",
    ),
]


@dataclass(frozen=True)
class Refusal:
    message: str
    hint: str | None


@pytest.fixture(scope="module")
def catalogue_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("front-doors") / "catalogue.db"
    with Catalogue.open(path) as catalogue:
        catalogue.import_catalogue(reference_catalogue())
    return path


@pytest.fixture(scope="module")
def ds(catalogue_path: Path) -> Datasette:
    return build_datasette(catalogue_path, immutable=True)


@pytest.fixture(scope="module")
def catalogue(catalogue_path: Path) -> Iterator[Catalogue]:
    with Catalogue.open(catalogue_path, readonly=True) as opened:
        yield opened


def by_cli(meso: Meso, catalogue_path: Path, bad: Bad) -> Refusal:
    result = meso("search", "--db", catalogue_path, "--json", *bad.cli)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ")
    hints = [line.removeprefix("Hint: ") for line in lines[1:] if line.startswith("Hint: ")]
    assert len(lines) == 1 + len(hints), result.stderr
    return Refusal(lines[0].removeprefix("Error: "), hints[0] if hints else None)


def by_api(catalogue: Catalogue, bad: Bad) -> Refusal:
    with pytest.raises(SearchError) as parsed:
        search(catalogue, SearchRequest.parse(bad.api))
    with pytest.raises(SearchError) as built:
        search(catalogue, SearchRequest(**bad.api))
    assert (built.value.message, built.value.hint) == (parsed.value.message, parsed.value.hint)
    return Refusal(parsed.value.message, parsed.value.hint)


def by_web(ds: Datasette, bad: Bad) -> Refusal:
    assert bad.web is not None
    query = urlencode(bad.web)
    response = asyncio.run(ds.client.get(f"/-/meso-search.json?{query}"))
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    refusal = Refusal(body["error"], body["hint"])
    page = asyncio.run(ds.client.get(f"/-/meso-search?{query}"))
    if not bad.page:
        assert page.status_code == 200
        assert 'id="meso-search-form"' in page.text
        assert "data-cocktail-id" not in page.text
        return refusal
    assert page.status_code == 400
    shown = html.unescape(re.sub(r"<[^>]+>", " ", page.text))
    assert refusal.message in shown
    if refusal.hint is not None:
        assert refusal.hint in shown
    return refusal


def check(bad: Bad, refusal: Refusal) -> None:
    assert refusal.message == bad.message
    if bad.hint_prefix:
        assert refusal.hint is not None and refusal.hint.startswith(str(bad.hint))
    elif bad.hint is not None:
        assert refusal.hint == bad.hint
    assert not NOT_OURS.search(f"{refusal.message} {refusal.hint}")


@pytest.mark.parametrize("bad", TABLE, ids=lambda bad: bad.name)
def test_every_front_door_refuses_a_bad_search_alike(
    bad: Bad, meso: Meso, catalogue_path: Path, catalogue: Catalogue, ds: Datasette
) -> None:
    refusals = {"cli": by_cli(meso, catalogue_path, bad), "api": by_api(catalogue, bad)}
    if bad.web is not None:
        refusals["web"] = by_web(ds, bad)
    for refusal in refusals.values():
        check(bad, refusal)
    if not bad.hint_prefix:  # else each front door names its own fields
        assert len({(r.message, r.hint) for r in refusals.values()}) == 1, refusals


def test_an_unknown_ingredient_suggests_the_same_names_everywhere(
    meso: Meso, catalogue_path: Path, catalogue: Catalogue, ds: Datasette
) -> None:
    bad = next(b for b in TABLE if b.name == "unknown ingredient to exclude")
    refusal = by_api(catalogue, bad)
    assert refusal.hint is not None and "lidocaine" in refusal.hint.lower()
    assert by_cli(meso, catalogue_path, bad) == refusal == by_web(ds, bad)


def test_unknown_field_hints_name_each_front_doors_own_fields(
    meso: Meso, catalogue_path: Path, catalogue: Catalogue, ds: Datasette
) -> None:
    bad = next(b for b in TABLE if b.name == "unknown sort")
    assert by_cli(meso, catalogue_path, bad).hint == (
        "search fields: --ingredient, --exclude, --exclude-class, --exclude-origin, --client, "
        "--area, --supplier, --technique, --max-actives, --indication, --ingredient-class, "
        "--limit, --offset"
    )
    assert by_api(catalogue, bad).hint == (
        "search fields: text, include, exclude, exclude_classes, exclude_origins, client, "
        "area, supplier, technique, max_actives, indication, ingredient_class, limit, offset, "
        "facets"
    )
    assert by_web(ds, bad).hint == (
        "search fields: q, ingredient, exclude, exclude_class, exclude_origin, client, area, "
        "supplier, technique, max_actives, indication, ingredient_class, limit, offset"
    )


@pytest.mark.parametrize(
    ("cli", "web"),
    [
        (("--limit", "5"), [("limit", "5")]),
        (("--limit", " 5 "), [("limit", " 5 ")]),
        (("", "--exclude-class", "anaesthetic"), [("q", ""), ("exclude_class", "anaesthetic")]),
        (("hair loss", "--area", "Scalp"), [("q", "hair loss"), ("area", "Scalp")]),
    ],
)
def test_what_one_front_door_accepts_the_others_accept(
    meso: Meso,
    catalogue_path: Path,
    ds: Datasette,
    cli: tuple[str, ...],
    web: list[tuple[str, str]],
) -> None:
    result = meso("search", "--db", catalogue_path, "--json", *cli)
    assert result.exit_code == 0, result.output
    response = asyncio.run(ds.client.get(f"/-/meso-search.json?{urlencode(web)}"))
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert hits
    assert [hit["id"] for hit in hits] == [hit["id"] for hit in json.loads(result.stdout)]
