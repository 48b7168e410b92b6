"""The web pages through Datasette's own test client (no port): search by concern, its JSON
API, cocktail pages, metadata, hostile requests, read-only-ness, and ``meso serve``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli as datasette_cli
from helpers_catalogue import published_catalogue

from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.web.metadata import linked_source
from meso_formulary.web.server import build_datasette

SEARCH = "/-/meso-search"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def request(ds: Datasette, method: str, path: str, **kwargs: Any) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.request(method, path, **kwargs))
    return response


def get(ds: Datasette, path: str) -> httpx.Response:
    return request(ds, "GET", path)


def page_text(response: httpx.Response) -> str:
    """The visible text of a page: tags dropped, entities kept as written."""
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", response.text)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def result_ids(response: httpx.Response) -> list[str]:
    return re.findall(r'data-cocktail-id="([^"]+)"', response.text)


@pytest.fixture(scope="module")
def catalogue_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_catalogue(tmp_path_factory.mktemp("web") / "catalogue.db")


@pytest.fixture(scope="module")
def ds(catalogue_path: Path) -> Iterator[Datasette]:
    before = sha256(catalogue_path)
    datasette = build_datasette(catalogue_path, immutable=True)
    yield datasette
    assert sha256(catalogue_path) == before, "serving changed the catalogue file"


# ---------------------------------------------------------------- the search page


def test_first_visit_shows_the_form_and_the_note(ds: Datasette) -> None:
    response = get(ds, SEARCH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for field in ('name="q"', 'name="exclude"', 'name="exclude_class" value="anaesthetic"'):
        assert field in response.text
    assert 'name="exclude_origin" value="fish"' in response.text
    assert '<option value="scalp">' in response.text
    assert "Information, not medical advice." in page_text(response)
    assert result_ids(response) == []


def test_a_concern_in_lay_words_finds_the_alopecia_cocktails(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?q=hair+loss")
    assert response.status_code == 200
    ids = result_ids(response)
    assert set(ids) == {
        "reference/dutasteride-hair",
        "reference/minoxidil-hair-cocktail",
        "acme/hair-booster",
    }
    text = page_text(response)
    assert "“hair loss” as Alopecia" in text
    assert "for Alopecia, as &#39;hair loss&#39;" in text  # why it matched
    assert "3 cocktails match" in text
    assert "Alopecia (3)" in text  # the concern facet
    assert "meso-formulary reference archetypes (2)" in text  # supplier facet, by name
    assert "anaesthetic (1)" in text  # ingredient-class facet
    assert 'href="/-/meso-cocktail/reference/dutasteride-hair"' in response.text


@pytest.mark.parametrize(
    "exclusion",
    [
        "exclude=lidocaine",
        "exclude=Lidocaine+HCl",
        "exclude_class=anaesthetic",
        "exclude=procaine%2C+lidocaine",
    ],
)
def test_an_exclusion_removes_the_lidocaine_cocktail(ds: Datasette, exclusion: str) -> None:
    response = get(ds, f"{SEARCH}?q=hair+loss&{exclusion}")
    assert response.status_code == 200
    ids = result_ids(response)
    assert "acme/hair-booster" not in ids
    assert {"reference/dutasteride-hair", "reference/minoxidil-hair-cocktail"} <= set(ids)
    text = page_text(response)
    if "exclude_class" in exclusion:
        assert "no anaesthetic ingredients" in text
    else:
        assert ", in any form" in text  # "no lidocaine, in any form"


def test_the_form_shows_what_was_submitted(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?q=hair+loss&exclude=lidocaine&exclude_origin=fish&area=scalp")
    assert 'value="hair loss"' in response.text
    assert 'id="exclude" name="exclude" value="lidocaine"' in response.text
    assert re.search(r'value="fish"\s+checked', response.text)
    assert '<option value="scalp" selected>' in response.text


def test_an_area_narrows_the_results(ds: Datasette) -> None:
    everywhere = result_ids(get(ds, f"{SEARCH}?q=cellulite"))
    on_the_face = result_ids(get(ds, f"{SEARCH}?q=cellulite&area=face"))
    assert everywhere
    assert set(on_the_face) < set(everywhere)


def test_paging_links_walk_through_every_result(ds: Datasette) -> None:
    seen: list[str] = []
    path: str | None = f"{SEARCH}?exclude_origin=human&limit=5"
    while path is not None:
        response = get(ds, path)
        assert response.status_code == 200
        seen += result_ids(response)
        found = re.search(r'<a href="([^"]+)" id="meso-next">', response.text)
        path = found.group(1).replace("&amp;", "&") if found else None
    total = get(ds, f"{SEARCH}.json?exclude_origin=human&limit=500").json()["total"]
    assert len(seen) == len(set(seen)) == total > 5


def test_nothing_found_offers_did_you_mean_links(ds: Datasette) -> None:
    # "hiar losss" is too far from "hair loss" to be read as it (fuzz.ratio 84), close
    # enough to offer it (80 or more).
    response = get(ds, f"{SEARCH}?q=hiar+losss&exclude=lidocaine")
    assert response.status_code == 200
    assert result_ids(response) == []
    assert "0 cocktails match" in page_text(response)
    covered = re.search(r"The catalogue has cocktails for: ([^.]+)\.", page_text(response))
    assert covered is not None and "Alopecia" in covered.group(1).split(", ")
    link = re.search(r'<a href="([^"]+)">hair loss</a>', response.text)
    assert link is not None, "no did-you-mean link to 'hair loss'"
    assert "exclude=lidocaine" in link.group(1)  # the suggestion keeps the exclusions
    followed = get(ds, link.group(1).replace("&amp;", "&"))
    assert set(result_ids(followed)) == {
        "reference/dutasteride-hair",
        "reference/minoxidil-hair-cocktail",
    }


def test_an_area_named_in_the_text_is_said_and_relaxed_words_too(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?q=scalp")
    assert result_ids(response)
    text = page_text(response)
    assert "“scalp” as the area Scalp" in text
    assert "treats Scalp" in text
    # No cocktail holds both words: those holding either are shown, and the page says so.
    relaxed = page_text(get(ds, f"{SEARCH}?q=minoxidil+glycine"))
    assert "No cocktail holds all of &#39;minoxidil&#39;, &#39;glycine&#39;" in relaxed


def test_a_typo_in_a_concern_is_forgiven_and_said_so(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?q=pnada+eyes")
    assert result_ids(response)
    assert "“pnada eyes” as Dark circles (read as “panda eyes”)" in page_text(response)


# ---------------------------------------------------------------- the JSON API


def test_json_api_answers_like_the_cli(ds: Datasette, catalogue_path: Path, meso: Meso) -> None:
    response = get(ds, f"{SEARCH}.json?q=hair+loss&exclude=lidocaine")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is True
    cli_result = meso(
        "search", "hair loss", "--exclude", "lidocaine", "--json", "--db", catalogue_path
    )
    assert cli_result.exit_code == 0, cli_result.output
    assert body["hits"] == json.loads(cli_result.stdout)
    for hit in body["hits"]:
        assert {"id", "name", "supplier", "indications", "score", "why"} <= hit.keys()
    assert body["total"] == 2
    assert body["facets"]["indication"] == {"alopecia": 2}
    assert body["concerns"][0]["indication_id"] == "alopecia"
    assert body["concerns"][0]["how"] == "phrase"
    assert (body["areas"], body["brands"], body["relaxed"], body["covered"]) == ([], [], [], [])
    assert body["unread"] == 0
    assert body["note"] == NOT_MEDICAL_ADVICE


def test_json_api_without_arguments_lists_the_catalogue(ds: Datasette) -> None:
    body = get(ds, f"{SEARCH}.json?limit=500").json()
    assert body["total"] == len(body["hits"]) > 10
    second_page = get(ds, f"{SEARCH}.json?limit=5&offset=5").json()
    assert [hit["id"] for hit in second_page["hits"]] == [hit["id"] for hit in body["hits"][5:10]]


def test_the_page_links_to_its_json_twin(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?q=hair+loss&exclude=lidocaine")
    link = re.search(r'<a href="([^"]+)">As JSON</a>', response.text)
    assert link is not None
    body = get(ds, link.group(1).replace("&amp;", "&")).json()
    assert [hit["id"] for hit in body["hits"]] == result_ids(response)


# ---------------------------------------------------------------- hostile requests

HOSTILE_SEARCHES = [
    # (query string, status): a friendly answer with the search's own message, never a 500
    ("q=%22", 400),
    ("q=%22%22%22%22", 400),
    ("q=%2A", 400),
    ("q=%ff%fe", 400),
    ("q=" + "a" * 10_000, 400),
    ("limit=abc", 400),
    ("limit=0", 400),
    ("limit=501", 400),
    ("limit=99999999999999999999999", 400),
    ("limit=1e3", 400),
    ("offset=-1", 400),
    ("area=moon", 400),
    ("exclude_class=bogus", 400),
    ("exclude_origin=martian", 400),
    ("exclude=lidocain", 400),
    ("exclude=" + "x," * 60, 400),
    ("exclude=" + "x" * 400, 400),
    ("q=hair%22+OR+%221%22%3D%221", 200),
    ("q=NEAR%28hair+loss%29", 200),
    ("q=name%3Ahair+AND+loss", 200),
    ("q=hair+-loss+NOT+%5E", 200),
    ("q=hair%00loss", 200),
    ("q=%00", 400),  # NUL is cleaned out: blank text with no filter is refused
    ("q=%00&area=scalp", 200),  # beside a filter, blank text is no text
    ("q=hair&exlude=lidocaine", 400),  # a misspelt argument is refused, never dropped
    ("q=hair&_=1", 200),  # Datasette's own arguments are left alone
    ("q=%27%3B+DROP+TABLE+cocktails%3B+--", 200),
    ("q=hair+loss&q=%22&exclude_class=anaesthetic&exclude_class=anaesthetic", 200),
]


@pytest.mark.parametrize(("query", "status"), HOSTILE_SEARCHES, ids=lambda v: str(v)[:30])
def test_hostile_searches_get_a_friendly_page(ds: Datasette, query: str, status: int) -> None:
    response = get(ds, f"{SEARCH}?{query}")
    assert response.status_code == status
    assert 'id="meso-search-form"' in response.text
    if status == 400:
        assert "This search could not be run" in page_text(response)
    json_response = get(ds, f"{SEARCH}.json?{query}")
    assert json_response.status_code == status
    assert json_response.json()["ok"] is (status == 200)
    if status == 400:
        assert json_response.json()["error"]


def test_a_hostile_long_text_is_answered_within_the_request_budget(ds: Datasette) -> None:
    words = [f"{a}{b}*" for a in "abcdefghijklm" for b in "nopqrstuvwxyz"]
    hostile = "+".join(words)[:500].replace("*", "%2A")
    response = get(ds, f"{SEARCH}.json?q={hostile}")
    assert response.status_code in (200, 400)
    body = response.json()
    assert body["ok"] or "longer than" in body["error"]
    if body["ok"]:
        assert body["unread"] > 0  # the words past the reader's limit are said


def test_the_web_stops_a_search_past_its_budget(
    ds: Datasette, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meso_formulary.catalogue.search import runner
    from meso_formulary.web import views

    monkeypatch.setattr(views, "WEB_SEARCH_BUDGET", 0.0)
    monkeypatch.setattr(runner, "PROGRESS_STEPS", 1)  # look at the clock at every step
    response = get(ds, f"{SEARCH}.json?q=hair+loss")
    assert response.status_code == 503  # the request was fine; the server ran out of time
    assert "longer than 0 s" in response.json()["error"]
    assert "fewer words" in response.json()["hint"]
    page = get(ds, f"{SEARCH}?q=hair+loss")
    assert page.status_code == 503 and "This search could not be run" in page_text(page)


def test_an_unknown_ingredient_suggests_the_right_name(ds: Datasette) -> None:
    body = get(ds, f"{SEARCH}.json?exclude=lidocain").json()
    assert "lidocain" in body["error"]
    assert "Lidocaine" in body["hint"] or "lidocaine" in body["hint"]


def test_input_is_escaped_wherever_it_is_shown(ds: Datasette) -> None:
    attack = "%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%3E%3Cimg+src%3Dx%3E"
    response = get(ds, f"{SEARCH}?q={attack}&exclude={attack}")
    assert response.status_code in (200, 400)
    assert "<script>alert(1)" not in response.text
    assert "<img src=x>" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text


# ---------------------------------------------------------------- cocktail pages


def test_the_pages_read_catalogues_through_the_public_store_api() -> None:
    """No private constructor arguments and no SQL of the page's own for a composition:
    :meth:`Catalogue.from_connection` and :meth:`Catalogue.composition` (shared with
    ``meso show``) instead."""
    for module in (Path(__file__).parent.parent / "meso_formulary" / "web").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"\bCatalogue\(", source), module.name
        assert "FROM composition" not in source, module.name


def test_a_cocktail_page_shows_composition_course_aftercare_and_sources(ds: Datasette) -> None:
    response = get(ds, "/-/meso-cocktail/acme/hair-booster?start=2026-03-02")
    assert response.status_code == 200
    text = page_text(response)
    assert 'id="meso-composition"' in response.text
    assert "Minoxidil synthetic" not in text  # class sits between name and origin
    assert re.search(r"Minoxidil hair growth drug synthetic 5 mg/mL 5 ", text)
    assert re.search(r"Lidocaine hydrochloride .*? 2 % w/v 20 ", text)  # 2 % w/v = 20 mg/mL
    assert "Session 1 of 4 : Mon 2 Mar 2026, 09:00 to 09:30" in text
    assert "Session 4 of 4 : Mon 13 Apr 2026, 09:00 to 09:30" in text
    # The aftercare of every session said once, as time after the session.
    assert "After each session: No hair wash until 24 h (1 day) after the session" in text
    assert text.count("No hair wash until") == 1
    assert "do not wash the hair 24 h (1 day) acme leaflet 2026" in text
    assert "redness 2 to 24 h (1 day)" in text
    assert "pregnancy" in text
    assert "Licence: CC-BY-4.0" in text
    assert NOT_MEDICAL_ADVICE.replace("'", "&#39;") in text


def test_sources_link_only_their_addresses() -> None:
    link = '<a href="https://a.example/x" rel="nofollow noopener">https://a.example/x</a>'
    assert linked_source("https://a.example/x (clinic page; low quality)") == (
        f"{link} (clinic page; low quality)"
    )
    assert linked_source("Smith J. Gels 2023;9:614, https://a.example/x.") == (
        f"Smith J. Gels 2023;9:614, {link}."
    )
    assert linked_source("(https://a.example/x)") == f"({link})"
    hostile = str(linked_source('javascript:alert(1) <b>x</b> https://a.example/"onclick="x"'))
    assert "<b>" not in hostile and "&lt;b&gt;" in hostile
    assert 'href="javascript' not in hostile and 'onclick="' not in hostile
    assert 'href="https://a.example/"' in hostile  # a quote ends the address
    assert linked_source("Test Co leaflet") == "Test Co leaflet"
    assert linked_source(None) == ""


def test_a_reference_cocktail_page_has_a_timeline_from_today(ds: Datasette) -> None:
    response = get(ds, "/-/meso-cocktail/reference/dutasteride-hair")
    assert response.status_code == 200
    assert 'id="meso-timeline"' in response.text
    assert 'id="meso-composition"' in response.text
    assert "Session 1 of" in page_text(response)


def test_supplier_text_is_escaped_and_unsafe_links_are_not_links(ds: Datasette) -> None:
    response = get(ds, "/-/meso-cocktail/acme/hair-booster")
    assert "<script>alert('name')" not in response.text
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in response.text
    assert '<img src=x onerror="alert' not in response.text
    assert "<b>Aesthetics</b>" not in response.text
    assert 'href="javascript:' not in response.text
    search = get(ds, f"{SEARCH}?q=hair+loss")
    assert "<script>alert('name')" not in search.text


@pytest.mark.parametrize(
    "path",
    [
        "/-/meso-cocktail/reference/no-such-cocktail",
        "/-/meso-cocktail/nobody/dutasteride-hair",
        "/-/meso-cocktail/Reference/Dutasteride-Hair",
        "/-/meso-cocktail/reference/dutasteride-hair%00",
        "/-/meso-cocktail/reference/%2e%2e",
        "/-/meso-cocktail/reference/" + "a" * 10_000,
        "/-/meso-cocktail/reference/%3Cscript%3E",
    ],
    ids=lambda p: p[17:50],
)
def test_unknown_cocktails_get_a_friendly_404(ds: Datasette, path: str) -> None:
    response = get(ds, path)
    assert response.status_code == 404
    assert "No such cocktail" in page_text(response)


def test_an_unknown_cocktail_suggests_a_close_one(ds: Datasette) -> None:
    response = get(ds, "/-/meso-cocktail/reference/dutasteride-hairs")
    assert response.status_code == 404
    assert "reference/dutasteride-hair" in page_text(response)


@pytest.mark.parametrize("start", ["tomorrow", "2026-02-30", "2026-3-2", "20260302", "9999-12-31"])
def test_a_bad_start_date_gets_a_friendly_400(ds: Datasette, start: str) -> None:
    response = get(ds, f"/-/meso-cocktail/reference/dutasteride-hair?start={start}")
    assert response.status_code == 400
    assert "Cannot plan this course" in page_text(response)


# ---------------------------------------------------------------- read-only


def test_there_is_no_write_endpoint(ds: Datasette, catalogue_path: Path) -> None:
    before = sha256(catalogue_path)
    name = catalogue_path.stem
    row = {"row": {"id": "acme/evil", "name": "evil"}}
    for path in (SEARCH, f"{SEARCH}.json", "/-/meso-cocktail/acme/hair-booster"):
        assert request(ds, "POST", path, data={"q": "x"}).status_code in (403, 405)
    for path in (f"/{name}/cocktails/-/insert", f"/{name}/-/create", f"/{name}/cocktails/-/drop"):
        assert request(ds, "POST", path, json=row).status_code in (403, 404, 405)
    assert request(ds, "PUT", f"{SEARCH}.json").status_code in (403, 405)
    delete = get(ds, f"/{name}.json?sql=DELETE+FROM+cocktails")
    assert delete.status_code == 400
    assert sha256(catalogue_path) == before
    assert get(ds, f"/{name}/cocktails.json?_shape=array&id=acme/hair-booster").json()


def test_read_only_even_without_immutable(catalogue_path: Path) -> None:
    datasette = build_datasette(catalogue_path, immutable=False)
    name = catalogue_path.stem
    assert datasette.databases[name].is_mutable
    assert get(datasette, f"{SEARCH}.json?q=hair+loss").json()["total"] == 3
    assert (
        get(datasette, f"/{name}.json?sql=UPDATE+cocktails+SET+name%3D%27x%27").status_code == 400
    )


# ---------------------------------------------------------------- Datasette's own pages


def test_metadata_describes_the_catalogue_tables(ds: Datasette, catalogue_path: Path) -> None:
    name = catalogue_path.stem
    metadata = get(ds, "/-/metadata.json").json()
    tables = metadata["databases"][name]["tables"]
    assert tables["cocktails"]["fts_table"] == "cocktails_fts"
    assert {"array": "indications"} in tables["cocktails"]["facets"]
    assert {"array": "areas"} in tables["cocktails"]["facets"]
    assert "supplier_id" in tables["cocktails"]["facets"]
    assert "ingredient_class" in tables["ingredients"]["facets"]
    assert tables["composition"]["units"] == {"mg_per_ml": "mg/mL"}
    assert tables["composition"]["columns"]["mg_per_ml"]
    description = metadata["databases"][name]["description"]
    assert NOT_MEDICAL_ADVICE in description
    assert "Acme <b>Aesthetics</b> (acme): licence CC-BY-4.0" in description


def test_datasette_table_pages_search_and_facet(ds: Datasette, catalogue_path: Path) -> None:
    name = catalogue_path.stem
    found = get(ds, f"/{name}/cocktails.json?_search=minoxidil&_shape=objects").json()
    assert {row["id"] for row in found["rows"]} >= {"acme/hair-booster"}
    facets = get(ds, f"/{name}/cocktails.json").json()["facet_results"]
    assert {"indications", "supplier_id", "areas"} <= facets.keys()
    page = get(ds, f"/{name}/cocktails")
    assert page.status_code == 200
    assert "Mesotherapy cocktail catalogue" in page_text(get(ds, f"/{name}"))
    hostile = get(ds, f"/{name}/cocktails?_search=%22NEAR%28")
    assert hostile.status_code in (200, 400)


def test_the_home_page_leads_to_the_search(ds: Datasette) -> None:
    response = get(ds, "/")
    assert response.status_code == 302
    assert response.headers["location"] == SEARCH
    assert get(ds, "/-/meso-static/meso.css").status_code == 200
    assert get(ds, "/-/meso-static/plugin.py").status_code == 404
    assert get(ds, "/-/meso-static/..%2Fplugin.py").status_code in (302, 404)


def test_an_address_no_route_matches_is_a_404_not_a_500(ds: Datasette) -> None:
    """Datasette 0.65 + rich turned these into 500s; the plugin's handle_exception hook
    answers client errors itself."""
    for method, status in (("GET", 404), ("POST", 405)):  # meso serve refuses every write
        response = request(ds, method, "/a/b/c/d")
        assert response.status_code == status
    assert get(ds, "/a/b/c/d.json").json() == {
        "ok": False,
        "error": "404",
        "status": 404,
        "title": None,
    }
    missing_table = get(ds, "/catalogue/no_such_table")
    assert missing_table.status_code == 404
    assert "Table not found" in page_text(missing_table)


def test_the_plugin_patches_nothing_of_datasette() -> None:
    """Hooks only: Datasette's default error handler keeps rich, for errors that are bugs."""
    import datasette.handle_exception as default_handler

    assert default_handler.rich is not None


def test_searches_share_one_lexicon_per_catalogue_file(
    catalogue_path: Path, tmp_path: Path
) -> None:
    """Each request wraps Datasette's connection in a new Catalogue: the lexicon cache is
    keyed by the file, so only the first search reads the lexicon."""
    from meso_formulary.catalogue.search import runner

    built: list[sqlite3.Connection] = []

    class Counting(runner.Lexicon):
        @classmethod
        def from_connection(cls, conn: sqlite3.Connection) -> Counting:
            built.append(conn)
            return super().from_connection(conn)

    copy = tmp_path / "copy.db"
    copy.write_bytes(catalogue_path.read_bytes())
    datasette = build_datasette(copy, immutable=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "Lexicon", Counting)
        for query in ("q=hair+loss", "q=dark+circles&exclude=lidocaine", "q=cellulite"):
            assert get(datasette, f"{SEARCH}.json?{query}").json()["ok"] is True
    assert len(built) == 1


def test_without_a_catalogue_the_pages_say_so(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    datasette = Datasette([str(other)])
    response = get(datasette, f"{SEARCH}?q=hair+loss")
    assert response.status_code == 404
    assert "No meso-formulary catalogue" in page_text(response)
    assert get(datasette, f"{SEARCH}.json").json()["ok"] is False
    assert get(datasette, "/-/meso-cocktail/reference/dutasteride-hair").status_code == 404
    assert "databases" not in get(datasette, "/-/metadata.json").json()


# ---------------------------------------------------------------- meso serve / datasette -i


def test_datasette_serves_a_published_catalogue_immutable(catalogue_path: Path) -> None:
    """Scale-out: a plain ``datasette -i`` (plugin from the entry point) answers the search."""
    before = sha256(catalogue_path)
    result = CliRunner().invoke(
        datasette_cli,
        [
            "serve",
            "-i",
            str(catalogue_path),
            "--get",
            f"{SEARCH}.json?q=hair+loss&exclude=lidocaine",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [hit["id"] for hit in json.loads(result.output)["hits"]] == [
        "reference/dutasteride-hair",
        "reference/minoxidil-hair-cocktail",
    ]
    assert sha256(catalogue_path) == before


def test_many_instances_share_one_immutable_file(catalogue_path: Path) -> None:
    answers = [
        get(build_datasette(catalogue_path, immutable=True), f"{SEARCH}.json?q=dark+circles").json()
        for _ in range(3)
    ]
    assert answers[0]["total"] > 0
    assert answers[0] == answers[1] == answers[2]


def test_build_datasette_honours_immutable(catalogue_path: Path) -> None:
    assert (
        not build_datasette(catalogue_path, immutable=True)
        .databases[catalogue_path.stem]
        .is_mutable
    )


def test_meso_serve_without_datasette_says_how_to_install_it(
    meso: Meso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "meso_formulary.web.server", raising=False)
    monkeypatch.setitem(sys.modules, "datasette.app", None)
    result = meso("serve")
    assert result.exit_code == 1
    assert "Error: meso serve needs Datasette, which is not installed" in result.stderr
    assert "pip install 'meso-formulary[web]'" in result.stderr


def test_meso_serve_refuses_a_missing_or_foreign_file(meso: Meso, tmp_path: Path) -> None:
    missing = meso("serve", "--db", tmp_path / "missing.db")
    assert missing.exit_code == 1
    assert "no catalogue at" in missing.stderr
    foreign = tmp_path / "foreign.db"
    foreign.write_text("not a database")
    result = meso("serve", "--db", foreign, "--port", "0")
    assert result.exit_code == 1
    assert "not a catalogue" in result.stderr


def test_meso_help_does_not_import_datasette() -> None:
    code = (
        "import sys\n"
        "from meso_formulary.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='meso')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        "assert 'datasette' not in sys.modules, 'meso --help imported datasette'\n"
        "assert 'uvicorn' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout


@pytest.mark.parametrize(
    ("brand", "product"),
    [("Plinest", "reference/plinest"), ("Restylane Vital", "reference/restylane-vital")],
)
def test_a_brand_finds_its_product_record_and_the_page_states_its_sources(
    ds: Datasette, brand: str, product: str
) -> None:
    response = get(ds, f"{SEARCH}?q={brand.replace(' ', '+')}")
    assert response.status_code == 200
    assert product in result_ids(response)
    page = get(ds, f"/-/meso-cocktail/{product}")
    assert page.status_code == 200
    text = page_text(page)
    assert "What is Mesotherapy? The benefits, the treatment and aftercare" in text
    assert "Galderma" in text or "Mastelli" in text


def test_a_concern_no_cocktail_treats_is_said_on_the_page(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}?q=pimples+on+my+chin")
    assert response.status_code == 200
    assert result_ids(response) == []
    assert "no cocktail in this catalogue treats: Acne" in page_text(response)
