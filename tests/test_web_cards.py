"""The search page's result cards, clickable facets and plain-language reasons, the cocktail
page's timeline, and what keeps the pages readable on a phone, through Datasette's own test
client (the browser test, ``tests/test_web_browser.py``, drives the same pages in Chromium).

The cards are the one view's (:class:`~meso_formulary.catalogue.store.cocktail_view.CocktailCard`):
the page, ``/-/meso-search.json`` and ``meso search --json`` say the same facts."""

from __future__ import annotations

import asyncio
import html
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso, import_testco
from datasette.app import Datasette
from search_evaluation import entries

from meso_formulary.catalogue.search.runner import LexiconCache, Query, run
from meso_formulary.catalogue.store.cocktail_view import load_cocktail
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.web.server import build_datasette
from meso_formulary.web.views import STATIC_FOLDER

SEARCH = "/-/meso-search"
SCALP, EYES, GLOW, ODD = "testco/scalp-boost", "testco/eye-bright", "testco/formula", "testco/odd"

ODD_COCKTAIL = """\
  - id: testco/odd
    name: Odd Booster
    supplier: testco
    description: Biotin given where hair loss is not usually treated.
    composition:
      - ingredient: biotin
        strength: {value: 1, unit: mg/mL}
    indications: [alopecia]
    areas: [abdomen]
    administration:
      techniques: [nappage]
"""
"""A cocktail the rules warn about (an area not typical for its indication)."""


def get(ds: Datasette, path: str) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.get(path))
    return response


def total(response: httpx.Response) -> int:
    found = re.search(r'<p id="meso-total"><strong>(\d+)</strong>', response.text)
    assert found is not None, response.text
    return int(found.group(1))


def cards(response: httpx.Response) -> dict[str, str]:
    """Each result's card as text, by cocktail id."""
    items = re.findall(
        r'(?s)<li data-cocktail-id="([^"]+)">(.*?)<p class="meso-why-title">', response.text
    )
    return {
        cocktail_id: html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))
        for cocktail_id, body in items
    }


def facet_links(response: httpx.Response) -> list[tuple[str, str, int, bool]]:
    """(facet kind, link, count shown, selected) for every facet value of a page."""
    aside = response.text.split('id="meso-facets"', 1)[1]
    found = []
    for kind, items in re.findall(r'(?s)<ul data-facet="([^"]+)">(.*?)</ul>', aside):
        for link, rest in re.findall(r'(?s)<a href="([^"]+)"(.*?)</li>', items):
            count = re.search(r"\((\d+)\)", rest)
            assert count is not None, rest
            found.append((kind, html.unescape(link), int(count.group(1)), "aria-current" in rest))
    return found


@pytest.fixture(scope="module")
def db(meso: Meso, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_testco(meso, tmp_path_factory.mktemp("cards"), ODD_COCKTAIL)


@pytest.fixture(scope="module")
def ds(db: Path) -> Iterator[Datasette]:
    yield build_datasette(db, immutable=True)


# ---------------------------------------------------------------- cards


def test_cards_say_course_areas_flags_provenance_and_warnings(ds: Datasette) -> None:
    page = get(ds, f"{SEARCH}?max_actives=10")
    assert page.status_code == 200
    shown = cards(page)
    assert set(shown) == {SCALP, EYES, GLOW, ODD}
    assert "Course 4 sessions, every 7 days, 30 min" in shown[SCALP]
    assert "Areas Scalp" in shown[SCALP]
    assert "Origin synthetic" in shown[SCALP]
    assert "Course 3 sessions, every 14 days" in shown[EYES]
    assert "Areas Around the eyes (periorbital)" in shown[EYES]  # the name, not the id
    assert "contains an anaesthetic: Lidocaine hydrochloride" in shown[EYES]
    assert "fish-derived: Polynucleotides" in shown[EYES]
    assert "Course no course stored" in shown[GLOW]
    assert "warning: area not typical for indication" in shown[ODD]
    assert "warning" not in shown[SCALP] and "anaesthetic" not in shown[SCALP]
    assert all("(unsigned draft)" in card for card in shown.values())


def test_the_json_api_and_the_cli_carry_the_cards_of_the_one_view(
    ds: Datasette, db: Path, meso: Meso
) -> None:
    body = get(ds, f"{SEARCH}.json?max_actives=10").json()
    by_id = {hit["id"]: hit["card"] for hit in body["hits"]}
    with closing(sqlite3.connect(db)) as conn:
        for cocktail_id, card in by_id.items():
            assert card == load_cocktail(conn, cocktail_id).card.as_dict()
    assert by_id[EYES]["anaesthetics"] == ["Lidocaine hydrochloride"]
    assert by_id[ODD]["warnings"][0]["rule"] == "area not typical for indication"
    cli = meso("search", "--max-actives", "10", "--json", "--db", db)
    assert cli.exit_code == 0, cli.output
    assert {hit["id"]: hit["card"] for hit in json.loads(cli.stdout)} == by_id


# ---------------------------------------------------------------- facets


def test_every_facet_link_adds_its_filter_and_finds_the_count_shown(ds: Datasette) -> None:
    start = f"{SEARCH}?q=biotin&exclude=lidocaine&max_actives=10"
    page = get(ds, start)
    assert page.status_code == 200
    links = facet_links(page)
    assert {kind for kind, *_ in links} == {"indication", "area", "supplier", "ingredient_class"}
    for kind, link, count, selected in links:
        assert not selected
        followed = get(ds, link)
        assert followed.status_code == 200, (link, followed.text)
        assert total(followed) == count, link
        assert "q=biotin" in link and "exclude=lidocaine" in link and "max_actives=10" in link
        # The filter on: its value alone, selected, linking back to the search without it.
        (on,) = [item for item in facet_links(followed) if item[0] == kind]
        assert on[3] and on[2] == count
        assert total(get(ds, on[1])) == total(page)


def test_a_facet_value_is_an_input_the_search_and_its_json_take(ds: Datasette) -> None:
    body = get(ds, f"{SEARCH}.json?indication=alopecia&ingredient_class=vitamin").json()
    assert {hit["id"] for hit in body["hits"]} == {SCALP, ODD}
    assert body["hits"][0]["why"][0] == "for Alopecia"
    refused = get(ds, f"{SEARCH}.json?indication=baldness")
    assert refused.status_code == 400
    assert "indication" in refused.json()["error"]


# ---------------------------------------------------------------- reasons

_ID = re.compile(r"\b[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*\b")
_FIELD_WORDS = re.compile(r"\b(via|indication_id|exclude_classes|exclude_origins|max_actives)\b")
_FILTERS: tuple[dict[str, Any], ...] = (
    {},
    {"exclude": ("lidocaine",), "exclude_classes": ("anaesthetic",)},
    {"exclude_origins": ("fish",), "client": ("pregnancy",)},
    {"technique": "point_by_point", "max_actives": 20},
    {"supplier": "reference", "area": "face"},
    {"indication": "skin_rejuvenation", "ingredient_class": "amino_acid"},
    {"include": ("biotin",), "ingredient_class": "vitamin"},
)


def _plain(line: str) -> str:
    """A reason without what the user typed (quoted): what the search itself wrote."""
    return re.sub(r"'[^']*'", "''", line)


def test_no_reason_leaks_an_id_or_a_field_name() -> None:
    # Every sixth query of the labelled set, each alone and under one set of filters
    # (in turn), on the shipped catalogue: concerns by phrase, stem and typo, areas,
    # brands, free words, relaxed words, typed and named exclusions, client conditions.
    sample = [entry["q"] for entry in entries()[::6]]
    sample += ["no lidocaine hair loss", "zzyzx biotin", "Profhilo", "queda de cabelo no couro"]
    seen: set[str] = set()
    lexicons = LexiconCache()  # the catalogue's words read once, as the web page does
    with closing(connect_default()) as conn:
        for n, text in enumerate(sample):
            for filters in ({}, _FILTERS[n % len(_FILTERS)]):
                query = Query.from_values({"text": text, **filters, "limit": 5})
                answer = run(conn, query, lexicons)
                for hit in answer.hits:
                    for line in hit.why:
                        seen.add(line.split(" ", 1)[0])
                        plain = _plain(line)
                        assert "_" not in plain, (text, filters, line)
                        assert not _ID.search(plain), (text, filters, line)
                        assert not _FIELD_WORDS.search(plain), (text, filters, line)
    # The reasons of every kind were met.
    assert {"for", "treats", "mentions", "no", "not", "given", "from", "contains"} <= seen


# ---------------------------------------------------------------- the cocktail page


def test_the_timeline_lists_the_sessions_and_says_the_aftercare_once(ds: Datasette) -> None:
    page = get(ds, f"/-/meso-cocktail/{SCALP}?start=2026-03-02&avoid_weekends=0")
    assert page.status_code == 200
    timeline = page.text.split('id="meso-timeline">', 1)[1].split("</ol>", 1)[0]
    assert timeline.count("<li>") == 4 and "<ul>" not in timeline
    assert "Mon 2 Mar 2026, 09:00 to 09:30" in timeline
    after = page.text.split('id="meso-after-each">', 1)[1].split("</div>", 1)[0]
    assert "No hair wash until 24 h (1 day) after the session" in after
    assert "Makeup allowed from 12 h after the session" in after
    assert page.text.count("No hair wash until") == 1
    assert page.text.index("meso-after-each") < page.text.index('id="meso-top-up"')


# ---------------------------------------------------------------- on a phone


def test_the_filters_fold_away_once_there_are_results(ds: Datasette) -> None:
    found = get(ds, f"{SEARCH}?q=hair+loss&client=pregnancy")
    details = re.search(r'<details class="meso-filters" id="meso-filters"([^>]*)>', found.text)
    assert details is not None and "open" not in details.group(1)
    assert "(1 set)" in found.text
    assert found.text.index('id="q"') < found.text.index('id="meso-filters"')
    nothing = get(ds, f"{SEARCH}?q=hair+loss&area=knees")
    assert re.search(r'id="meso-filters" open>', nothing.text)
    first = get(ds, SEARCH)
    assert re.search(r'id="meso-filters" open>', first.text)


def test_stacked_tables_keep_their_column_labels(ds: Datasette) -> None:
    cocktail = get(ds, f"/-/meso-cocktail/{SCALP}").text
    compare = get(ds, f"/-/meso-compare?id={SCALP}&id={EYES}").text
    for page, table in (
        (cocktail, "meso-composition"),
        (cocktail, "meso-course-facts" if "meso-course-facts" in cocktail else "meso-aftercare"),
        (cocktail, "meso-aftercare"),
        (compare, "meso-compare"),
    ):
        body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        assert re.search(r"<td[ >]", body), table
        assert not re.search(r"<td(?![^>]*data-label)[^>]*>(?!</td>)", body), table
    css = (STATIC_FOLDER / "meso.css").read_text(encoding="utf-8")
    assert 'content: attr(data-label) ": "' in css
    assert "overflow-wrap: anywhere" in css
    assert ":focus-visible" in css
