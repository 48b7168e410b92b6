"""The JSON API against the CLI: every ``meso search`` option is a search argument of the
page and its ``.json`` twin, by the same name, with the same effect; an unknown argument is
refused (400) on both; ``/-/meso-cocktail/<id>.json`` is what ``meso show --json`` prints."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from cli_support import Meso
from datasette.app import Datasette
from datasette.utils import MultiParams
from helpers_catalogue import published_catalogue
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary.catalogue.search.runner import SEARCH_FIELDS
from meso_formulary.catalogue.store.cocktail_card import words
from meso_formulary.catalogue.store.cocktail_view import load_cocktail
from meso_formulary.cli.search_commands import search as search_command
from meso_formulary.model import Area, IngredientClass, Technique
from meso_formulary.web.forms import ARGUMENTS, read_form
from meso_formulary.web.server import build_datasette

SEARCH = "/-/meso-search"
COCKTAIL = "/-/meso-cocktail"


def get(ds: Datasette, path: str) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.get(path))
    return response


@pytest.fixture(scope="module")
def catalogue_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_catalogue(tmp_path_factory.mktemp("web-api") / "catalogue.db")


@pytest.fixture(scope="module")
def ds(catalogue_path: Path) -> Iterator[Datasette]:
    yield build_datasette(catalogue_path, immutable=True)


def cli_ids(meso: Meso, catalogue_path: Path, *args: str) -> list[str]:
    result = meso("search", *args, "--limit", "500", "--json", "--db", catalogue_path)
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.stdout)]


def api_ids(ds: Datasette, query: str) -> list[str]:
    response = get(ds, f"{SEARCH}.json?{query}&limit=500")
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


# ---------------------------------------------------------------- the arguments


def test_every_search_option_of_the_cli_is_an_argument_of_the_api() -> None:
    options = {
        opt[2:].replace("-", "_")
        for param in search_command.params
        if param.name in SEARCH_FIELDS
        for opt in param.opts
        if opt.startswith("--")
    }
    assert options == set(ARGUMENTS) - {"q"}


FILTERS = [
    # (query string, the same search's CLI options)
    ("ingredient=biotin", ["--ingredient", "biotin"]),
    ("ingredient=biotin&ingredient=dexpanthenol", ["-i", "biotin", "-i", "dexpanthenol"]),
    ("supplier=acme", ["--supplier", "acme"]),
    ("technique=point+by+point", ["--technique", "point by point"]),
    ("max_actives=2", ["--max-actives", "2"]),
    ("area=scalp", ["--area", "scalp"]),
    ("client=fish-allergy", ["--client", "fish-allergy"]),
    ("exclude=lidocaine", ["--exclude", "lidocaine"]),
    ("exclude_class=anaesthetic", ["--exclude-class", "anaesthetic"]),
    ("exclude_origin=fish", ["--exclude-origin", "fish"]),
    ("q=hair+loss&supplier=reference", ["hair loss", "--supplier", "reference"]),
]


@pytest.mark.parametrize(("query", "options"), FILTERS, ids=[q for q, _ in FILTERS])
def test_each_filter_changes_the_results_as_the_cli_does(
    ds: Datasette, catalogue_path: Path, meso: Meso, query: str, options: list[str]
) -> None:
    everything = api_ids(ds, "")
    ids = api_ids(ds, query)
    assert ids == cli_ids(meso, catalogue_path, *options)
    assert ids and ids != everything  # the filter was applied, not dropped


def test_paging_is_the_clis(ds: Datasette, catalogue_path: Path, meso: Meso) -> None:
    body = get(ds, f"{SEARCH}.json?max_actives=3&limit=4&offset=2").json()
    result = meso(
        "search", "--max-actives", "3", "--limit", "4", "--offset", "2", "--json",
        "--db", catalogue_path,
    )  # fmt: skip
    assert body["hits"] == json.loads(result.stdout)
    assert body["request"]["max_actives"] == 3
    assert (body["request"]["limit"], body["request"]["offset"]) == (4, 2)


def test_an_unknown_argument_is_refused_with_the_valid_ones(ds: Datasette) -> None:
    listed = "search fields: " + ", ".join(ARGUMENTS)
    page = get(ds, f"{SEARCH}?q=hair&ingredients=biotin")
    assert page.status_code == 400
    assert "ingredients: not a search field" in page.text and listed in page.text
    response = get(ds, f"{SEARCH}.json?q=hair&ingredients=biotin")
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["error"] == "invalid search: ingredients: not a search field"
    assert body["hint"] == listed
    assert body["arguments"] == list(ARGUMENTS)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("max_actives=abc", "invalid search: max_actives: must be a whole number"),
        ("supplier=ACME%21", "invalid search: supplier: not a supplier id"),
        ("technique=tattoo", "invalid search: technique"),
        ("ingredient=biotinn", "biotin"),
    ],
)
def test_a_bad_filter_value_is_a_400_with_the_parsers_words(
    ds: Datasette, query: str, message: str
) -> None:
    response = get(ds, f"{SEARCH}.json?{query}")
    assert response.status_code == 400
    body = response.json()
    assert message in f"{body['error']} {body['hint']}"


@settings(max_examples=25, deadline=None)
@given(
    st.one_of(
        st.tuples(st.just("exclude_class"), st.sampled_from(IngredientClass)),
        st.tuples(st.just("technique"), st.sampled_from(Technique)),
        st.tuples(st.just("area"), st.sampled_from(Area)),
    )
)
def test_a_value_as_the_page_shows_it_is_accepted(pair: tuple[str, str]) -> None:
    name, value = pair
    shown = read_form(MultiParams({name: [words(value)]})).to_request()
    assert shown == read_form(MultiParams({name: [value]})).to_request()


def test_the_page_keeps_the_filters_its_form_has_no_control_for(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?ingredient=biotin&max_actives=5")
    assert response.status_code == 200
    assert '<input type="hidden" name="ingredient" value="biotin">' in response.text
    assert '<input type="hidden" name="max_actives" value="5">' in response.text
    link = re.search(r'<a href="([^"]+)">As JSON</a>', response.text)
    assert link is not None
    assert "ingredient=biotin" in link.group(1) and "max_actives=5" in link.group(1)
    page_ids = re.findall(r'data-cocktail-id="([^"]+)"', response.text)
    assert page_ids == api_ids(ds, "ingredient=biotin&max_actives=5")


# ---------------------------------------------------------------- one cocktail as JSON


@pytest.mark.parametrize("clients", [[], ["pregnancy", "fish-allergy"]])
def test_a_cocktail_as_json_is_meso_show_json(
    ds: Datasette, catalogue_path: Path, meso: Meso, clients: list[str]
) -> None:
    query = "&".join(f"client={c}" for c in clients)
    response = get(ds, f"{COCKTAIL}/acme/hair-booster.json?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    options = [arg for c in clients for arg in ("--client", c)]
    shown = meso("show", "acme/hair-booster", *options, "--json", "--db", catalogue_path)
    assert shown.exit_code == 0, shown.output
    assert response.json() == json.loads(shown.stdout)[0]
    with closing(sqlite3.connect(catalogue_path)) as conn:
        view = load_cocktail(conn, "acme/hair-booster")
    assert response.json()["composition"] == view.as_dict()["composition"]


def test_the_cocktail_page_links_to_its_json(ds: Datasette) -> None:
    response = get(ds, f"{COCKTAIL}/reference/dutasteride-hair?client=pregnancy")
    link = re.search(r'<a href="([^"]+)" id="meso-cocktail-json">', response.text)
    assert link is not None
    assert link.group(1) == f"{COCKTAIL}/reference/dutasteride-hair.json?client=pregnancy"
    assert get(ds, link.group(1)).json()["applies"] is not None


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("reference/dutasteride-hairs.json", 404),
        ("reference/Not%20A%20Slug.json", 404),
        ("nobody/anything.json", 404),
        ("reference/dutasteride-hair.json?client=martian", 400),
    ],
)
def test_a_cocktail_it_cannot_show_is_an_error_in_json(
    ds: Datasette, path: str, status: int
) -> None:
    response = get(ds, f"{COCKTAIL}/{path}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False and body["error"]
    if "hairs" in path:
        assert "reference/dutasteride-hair" in body["hint"]
