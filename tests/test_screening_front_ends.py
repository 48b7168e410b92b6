"""Screening as people meet it: ``meso conditions``, ``meso search --client``, ``meso show
--client``, and the web page's condition boxes, its "N hidden because" and its JSON.

The engine behind them (which cocktails a condition or an exclusion hides) is tested in
``tests/test_screening.py``; here, that every front end says it, in the same words.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso
from datasette.app import Datasette
from helpers_catalogue import published_catalogue

from meso_formulary.catalogue.search.screening_text import screening_lines
from meso_formulary.catalogue.store.cocktail_view import NONE_APPLIES, load_cocktail
from meso_formulary.cli.inspect_commands import CONDITION_FIELDS
from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.vocabulary import ConditionId
from meso_formulary.web.forms import CONDITION_GROUPS
from meso_formulary.web.server import build_datasette

PN = "reference/polynucleotides-20"
"""A shipped cocktail of fish-derived polynucleotides: a fish allergy rules it out."""
DUTASTERIDE = "reference/dutasteride-hair"
SEARCH = "/-/meso-search"


def run_json(meso: Meso, *args: object) -> Any:
    result = meso(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------- the words of the report


@dataclass(frozen=True)
class _Excluded:
    name: str
    substances: tuple[str, ...]
    cocktails_hidden: int


@dataclass(frozen=True)
class _Condition:
    name: str
    cocktails_hidden: int


@dataclass(frozen=True)
class _Screening:
    excluded: tuple[_Excluded, ...] = ()
    conditions: tuple[_Condition, ...] = ()
    hidden: int = 0


def test_the_report_says_how_many_were_hidden_why_and_what_an_exclusion_covered() -> None:
    screening = _Screening(
        excluded=(_Excluded("hyaluronic acid", ("sodium hyaluronate", "hyaluronic acid"), 6),),
        conditions=(_Condition("Pregnancy", 2), _Condition("Fish allergy", 1)),
        hidden=8,
    )
    assert screening_lines(screening) == (
        "8 hidden because: Pregnancy (2), Fish allergy (1), excluded hyaluronic acid (6)",
        "excluded hyaluronic acid: sodium hyaluronate, hyaluronic acid (6 cocktails)",
    )
    one = _Screening(excluded=(_Excluded("lidocaine", ("lidocaine HCl",), 1),), hidden=1)
    assert screening_lines(one)[1] == "excluded lidocaine: lidocaine HCl (1 cocktail)"


def test_a_screen_that_hid_nothing_says_so_and_no_screen_says_nothing() -> None:
    assert screening_lines(_Screening(conditions=(_Condition("Egg allergy", 0),))) == (
        "None hidden by: Egg allergy",
    )
    assert screening_lines(_Screening()) == ()


# ---------------------------------------------------------------- meso conditions


def test_conditions_lists_the_whole_vocabulary_with_words_codes_and_sources(meso: Meso) -> None:
    found = run_json(meso, "conditions")
    assert {c["id"] for c in found} == {c.value for c in ConditionId}
    by_id = {c["id"]: c for c in found}
    pregnancy = by_id["pregnancy"]
    assert pregnancy["name"] == "Pregnancy"
    assert "schwanger" in pregnancy["synonyms"]
    assert {"system": "SNOMED CT", "code": "77386006"}.items() <= pregnancy["codes"][0].items()
    assert pregnancy["sources"]
    assert "fish-derived" in by_id["fish-allergy"]["rules_out_groups"]


def test_conditions_table_and_csv(meso: Meso) -> None:
    table = meso("conditions")
    assert table.exit_code == 0, table.output
    text = flat(table.stdout)
    for expected in ("Pregnancy", "fish-allergy", "77386006", "fish-derived"):
        assert expected in text, expected
    rows = list(csv.DictReader(io.StringIO(meso("conditions", "--csv").stdout)))
    assert list(rows[0]) == list(CONDITION_FIELDS)
    fish = next(row for row in rows if row["id"] == "fish-allergy")
    assert "fish-derived" in fish["rules_out"].split("|")


# ---------------------------------------------------------------- meso show


def test_show_renders_structured_contraindications_as_words(meso: Meso) -> None:
    result = meso("show", DUTASTERIDE)
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "Pregnancy: pregnancy or breast-feeding" in text
    assert "'condition'" not in text and "{" not in text
    assert "applies" not in text  # no client given: nothing is marked


def test_show_with_a_client_marks_what_applies(meso: Meso) -> None:
    (record,) = run_json(meso, "show", PN, "--client", "fish-allergy", "--client", "egg-allergy")
    assert record["applies"] == ["fish-allergy"]
    fish = [r for r in record["ruled_out_by"] if r["condition"] == "fish-allergy"]
    assert fish and all(r["applies"] for r in fish)
    assert any(r["via"] == "group" for r in fish)
    text = flat(meso("show", PN, "--client", "fish-allergy").stdout)
    assert "For this client (Fish allergy): applies: Fish allergy" in text
    assert "[applies]" in text


def test_show_says_when_none_of_the_clients_conditions_applies(meso: Meso) -> None:
    (record,) = run_json(meso, "show", DUTASTERIDE, "--client", "fish-allergy")
    assert record["applies"] == []
    text = flat(meso("show", DUTASTERIDE, "--client", "fish-allergy").stdout)
    assert NONE_APPLIES.split(".")[0] in text


def test_show_refuses_an_unknown_condition_with_the_closest_ids(meso: Meso) -> None:
    result = meso("show", PN, "--client", "fish-alergy")
    assert result.exit_code == 1
    assert "Error: unknown condition 'fish-alergy'" in result.stderr
    assert "Hint: did you mean: fish-allergy" in result.stderr
    nothing_close = meso("show", PN, "--client", "xyzzy")
    assert "Hint: meso conditions lists the conditions by id" in nothing_close.stderr


def test_every_plain_text_contraindication_is_shown_as_given(db: Path) -> None:
    # testco's files predate the vocabulary: "contraindications: [Pregnancy]".
    with closing(sqlite3.connect(db)) as conn:
        view = load_cocktail(conn, "testco/scalp-boost", (ConditionId.PREGNANCY,))
    (line,) = view.contraindications
    assert (line.condition, line.text, line.mark) == (None, "Pregnancy", "")
    # ... and the importer read the condition in its words, so it still applies.
    assert [c.id for c in view.applies] == ["pregnancy"]


SCREENCO = """\
format: meso-formulary/1
supplier: {id: screenco, name: Screen Co}
version: 1
ingredients:
  - id: screenco-peptide
    name: Screen Co peptide
    class: peptide
    source: Screen Co sheet
    contraindications:
      - condition: keloid-tendency
        note: may worsen keloids
        source: Screen Co sheet
cocktails:
  - id: screenco/joint-glow
    name: Joint Glow
    supplier: screenco
    description: A peptide with chondroitin.
    composition:
      - ingredient: screenco-peptide
      - ingredient: sodium-chondroitin-sulfate
    indications: [skin_rejuvenation]
    areas: [face]
    administration: {techniques: [nappage]}
"""
"""An ingredient with its own contraindication, and one that may be fish-derived (a
``certain: false`` member of the fish-derived group)."""


def test_show_says_why_through_an_ingredient_and_when_a_member_only_may_belong(
    meso: Meso, tmp_path: Path
) -> None:
    source = tmp_path / "screenco.yaml"
    source.write_text(SCREENCO, encoding="utf-8")
    db = tmp_path / "screenco.db"
    assert meso("import", source, "--unsigned", "--db", db).exit_code == 0
    (record,) = run_json(meso, "show", "screenco/joint-glow", "--db", db)
    whys = {r["condition"]: r["why"] for r in record["ruled_out_by"]}
    assert whys["keloid-tendency"] == "listed for Screen Co peptide (may worsen keloids)"
    assert "(may be)" in whys["fish-allergy"], whys
    text = flat(
        meso("show", "screenco/joint-glow", "--db", db, "--client", "keloid-tendency").stdout
    )
    assert "For this client (Tendency to keloid scarring): applies:" in text
    assert "Tendency to keloid scarring: listed for Screen Co peptide" in text


# ---------------------------------------------------------------- meso search


def test_search_with_a_client_hides_what_the_condition_rules_out_and_says_so(
    meso: Meso,
) -> None:
    every = {hit["id"] for hit in run_json(meso, "search", "--limit", "500")}
    result = meso("search", "--client", "fish-allergy", "--limit", "500", "--json")
    assert result.exit_code == 0, result.output
    kept = {hit["id"] for hit in json.loads(result.stdout)}
    assert PN in every and PN not in kept
    hidden = len(every - kept)
    assert f"{hidden} hidden because: Fish allergy ({hidden})" in result.stderr
    table = flat(meso("search", "--client", "fish-allergy", "--limit", "500").stdout)
    assert f"{hidden} hidden because: Fish allergy ({hidden})" in table


def test_search_that_hides_everything_says_why_nothing_was_found(meso: Meso) -> None:
    # Every shipped cocktail lists pregnancy.
    result = meso("search", "--client", "pregnancy")
    assert result.exit_code == 1
    assert "No cocktails found for these filters." in result.stderr
    assert "hidden because: Pregnancy" in result.stderr


def test_search_says_what_an_exclusion_covered(meso: Meso) -> None:
    result = meso("search", "skin booster", "--exclude", "hyaluronic acid")
    text = flat(result.stdout + result.stderr)
    assert re.search(r"excluded hyaluronic acid: [^(]*sodium hyaluronate", text, re.I), text


def test_search_refuses_an_unknown_condition_as_every_front_end_does(meso: Meso) -> None:
    result = meso("search", "hair loss", "--client", "pregnant-ish")
    assert result.exit_code == 1
    assert "invalid search: client: unknown condition 'pregnant-ish'" in result.stderr


# ---------------------------------------------------------------- the web


def test_every_condition_has_one_box_in_one_group() -> None:
    boxed = [c for members in CONDITION_GROUPS.values() for c in members]
    assert sorted(boxed) == sorted(ConditionId)


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Datasette]:
    yield build_datasette(
        published_catalogue(tmp_path_factory.mktemp("screening") / "catalogue.db"),
        immutable=True,
    )


def get(ds: Datasette, path: str) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.get(path))
    return response


def page_text(response: httpx.Response) -> str:
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", response.text)
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", body)))


class _Checker(HTMLParser):
    """Tags open and close in order; every box sits in a label; every id is unique."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link"}) | {
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.ids: list[str] = []
        self.unlabelled: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "input" and found.get("type") == "checkbox" and "label" not in self.open:
            self.unlabelled.append(str(found.get("value")))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()


def check_html(text: str) -> None:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.open == [], checker.open
    assert len(checker.ids) == len(set(checker.ids)), checker.ids
    assert checker.unlabelled == [], checker.unlabelled


def test_the_search_page_offers_every_condition_as_a_labelled_box_by_group(ds: Datasette) -> None:
    response = get(ds, SEARCH)
    assert response.status_code == 200
    check_html(response.text)
    for condition in ConditionId:
        assert f'name="client" value="{condition.value}"' in response.text, condition
    text = page_text(response)
    for title in CONDITION_GROUPS:
        assert title in text
    assert "Fish allergy" in text  # the condition's name, not its id
    assert NOT_MEDICAL_ADVICE in text


def test_the_search_page_hides_and_says_why(ds: Datasette) -> None:
    everything = get(ds, f"{SEARCH}?limit=500")
    response = get(ds, f"{SEARCH}?client=fish-allergy&limit=500")
    assert response.status_code == 200
    check_html(response.text)
    before = set(re.findall(r'data-cocktail-id="([^"]+)"', everything.text))
    after = set(re.findall(r'data-cocktail-id="([^"]+)"', response.text))
    hidden = len(before - after)
    assert PN in before and PN not in after and hidden
    text = page_text(response)
    assert f"{hidden} hidden because: Fish allergy ({hidden})" in text
    assert 'value="fish-allergy" checked' in flat(response.text)
    assert NOT_MEDICAL_ADVICE in text
    # The results link to cocktail pages that mark what applies to the same client.
    assert "?client=fish-allergy" in response.text


def test_the_json_api_takes_client_and_returns_the_screening(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}.json?client=fish-allergy&client=egg-allergy&limit=500")
    assert response.status_code == 200, response.text
    body = response.json()
    screening = body["screening"]
    assert {c["id"] for c in screening["conditions"]} == {"fish-allergy", "egg-allergy"}
    fish = next(c for c in screening["conditions"] if c["id"] == "fish-allergy")
    assert fish["cocktails_hidden"] >= 1 and screening["hidden"] >= fish["cocktails_hidden"]
    assert PN not in {hit["id"] for hit in body["hits"]}
    assert body["note"] == NOT_MEDICAL_ADVICE


def test_the_json_api_refuses_an_unknown_condition(ds: Datasette) -> None:
    response = get(ds, f"{SEARCH}.json?client=fishy")
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid search: client: unknown condition")


def test_the_cocktail_page_marks_what_applies_in_the_words_of_meso_show(
    ds: Datasette, meso: Meso
) -> None:
    response = get(ds, f"/-/meso-cocktail/{PN}?client=fish-allergy")
    assert response.status_code == 200
    check_html(response.text)
    text = page_text(response)
    assert "For this client (Fish allergy): applies: Fish allergy" in text
    shown = flat(meso("show", PN, "--client", "fish-allergy").stdout)
    for line in re.findall(r"<li>([^<]*) <strong class=\"meso-applies\">", response.text):
        assert flat(html.unescape(line)) in shown, line
    assert NOT_MEDICAL_ADVICE in text
    # The course form keeps the client when a start date is chosen.
    assert '<input type="hidden" name="client" value="fish-allergy">' in response.text


def test_the_cocktail_page_refuses_an_unknown_condition(ds: Datasette) -> None:
    response = get(ds, f"/-/meso-cocktail/{PN}?client=fish")
    assert response.status_code == 400
    text = page_text(response)
    assert "unknown condition 'fish'" in text
    assert "fish-allergy" in text
