"""``meso search``: every option, every output format, and hostile input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import RLO, WIDTH, Meso, assert_fails

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search import runner as engine
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.cli.search_commands import FIELDS
from meso_formulary.notice import NOT_MEDICAL_ADVICE_LINE

DOCUMENTED = {"id", "name", "supplier", "indications", "score", "why"}


def hits(meso: Meso, *args: object) -> list[dict[str, Any]]:
    result = meso("search", *args, "--json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def ids(meso: Meso, *args: object) -> list[str]:
    return [hit["id"] for hit in hits(meso, *args)]


# ---------------------------------------------------------------- the reference catalogue


def test_default_catalogue_finds_hair_loss_by_lay_words(meso: Meso) -> None:
    found = hits(meso, "hair loss")
    assert found
    for hit in found:
        assert set(hit) >= DOCUMENTED
        assert list(hit) == [*FIELDS, "card"]  # the card: what the web page's result shows
        assert "alopecia" in hit["indications"]
        assert isinstance(hit["score"], float)
        assert any("'hair loss'" in reason for reason in hit["why"])


def test_db_from_environment_variable(meso: Meso, db: Path) -> None:
    result = meso("search", "--json", env={"MESO_DB": str(db)})
    assert result.exit_code == 0
    assert {hit["supplier"] for hit in json.loads(result.stdout)} == {"testco"}


# ---------------------------------------------------------------- output formats


def test_json_nl_and_csv_agree(meso: Meso, db: Path) -> None:
    as_json = hits(meso, "--db", db)
    nl = meso("search", "--db", db, "--nl")
    assert nl.exit_code == 0
    as_nl = [json.loads(line) for line in nl.stdout.splitlines()]
    assert as_nl == as_json
    table = meso("search", "--db", db, "--csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert list(rows[0]) == list(FIELDS)
    assert [row["id"] for row in rows] == [hit["id"] for hit in as_json]
    scalp = next(row for row in rows if row["id"] == "testco/scalp-boost")
    assert scalp["key_actives"] == "Biotin|Dexpanthenol"


def test_csv_output_is_formula_safe(meso: Meso, db: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(meso("search", "--db", db, "--csv").stdout)))
    formula = next(row for row in rows if row["id"] == "testco/formula")
    assert formula["name"].startswith("'=1+1")


def test_only_one_output_format(meso: Meso, db: Path) -> None:
    result = meso("search", "--db", db, "--json", "--csv")
    assert_fails(result, 2, "choose one of --json, --csv and --nl")


def test_table_snapshot(meso: Meso, db: Path) -> None:
    result = meso("search", "hair loss", "--db", db)
    assert result.exit_code == 0
    assert result.stdout.startswith(SNAPSHOT)
    assert result.stdout[len(SNAPSHOT) :] == NOT_MEDICAL_ADVICE_LINE + "\n"
    assert all(len(line) <= WIDTH for line in result.stdout.splitlines())


SNAPSHOT = """\
┏━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Cocktail              ┃ Indications   ┃ Key actives             ┃ Why                            ┃
┡━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ Scalp Boost           │ alopecia      │ Biotin, Dexpanthenol    │ for Alopecia, as 'hair loss'   │
│ testco/scalp-boost    │               │                         │                                │
│ draft                 │               │                         │                                │
└───────────────────────┴───────────────┴─────────────────────────┴────────────────────────────────┘
Showing 1-1 of 1.
Read as: 'hair loss' -> concern alopecia
Indication: alopecia 1
Area: scalp 1
Supplier: testco 1
Ingredient class: vitamin 1
"""


def test_the_words_need_no_quotes(meso: Meso, db: Path) -> None:
    quoted = meso("search", "hair loss", "--db", db)
    assert meso("search", "hair", "loss", "--db", db).stdout == quoted.stdout
    assert ids(meso, "hair", "loss", "--db", db) == ids(meso, "hair loss", "--db", db)


def test_table_strips_text_that_could_spoof_the_terminal(meso: Meso, db: Path) -> None:
    result = meso("search", "--db", db)
    assert result.exit_code == 0
    assert "=1+1 Glow wolG" in result.stdout
    assert RLO not in result.stdout
    assert "\x1b" not in result.stdout


def test_json_keeps_text_as_it_is(meso: Meso, db: Path) -> None:
    names = {hit["id"]: hit["name"] for hit in hits(meso, "--db", db)}
    assert names["testco/formula"] == f"=1+1 Glow {RLO}wolG"


# ---------------------------------------------------------------- filters


def test_every_filter(meso: Meso, db: Path) -> None:
    everything = {"testco/scalp-boost", "testco/eye-bright", "testco/formula"}
    assert set(ids(meso, "--db", db)) == everything
    assert ids(meso, "--db", db, "--ingredient", "biotin") == ["testco/scalp-boost"]
    assert ids(meso, "--db", db, "-i", "lidocaine", "-i", "sodium hyaluronate") == [
        "testco/eye-bright"
    ]
    assert "testco/eye-bright" not in ids(meso, "--db", db, "--exclude", "lidocaine")
    assert "testco/eye-bright" not in ids(meso, "--db", db, "--exclude-class", "anaesthetics")
    assert "testco/eye-bright" not in ids(meso, "--db", db, "--exclude-origin", "fish-derived")
    assert ids(meso, "--db", db, "--area", "scalp") == ["testco/scalp-boost"]
    assert ids(meso, "--db", db, "--technique", "papule") == ["testco/eye-bright"]
    assert set(ids(meso, "--db", db, "--supplier", "testco")) == everything
    assert ids(meso, "--db", db, "--max-actives", "1") == ["testco/formula"]


def test_limit_and_offset_page_through_results(meso: Meso, db: Path) -> None:
    every = ids(meso, "--db", db)
    assert ids(meso, "--db", db, "--limit", "1") == every[:1]
    assert ids(meso, "--db", db, "--limit", "2", "--offset", "1") == every[1:3]
    result = meso("search", "--db", db, "--offset", "3")
    assert_fails(result, 1, "No more cocktails", "all 3 are before --offset")


# ---------------------------------------------------------------- nothing found


def test_nothing_found_says_so_on_stderr_and_exits_1(meso: Meso, db: Path) -> None:
    result = meso("search", "stretch marks", "--db", db)
    assert_fails(
        result,
        1,
        "No cocktails found for 'stretch marks'.",
        "The catalogue has cocktails for: Alopecia, Dark circles, Skin rejuvenation.",
    )


def test_words_that_find_nothing_together_are_relaxed_and_said(meso: Meso, db: Path) -> None:
    # Biotin is in Scalp Boost, glycine in the Glow: no cocktail holds both.
    said = "No cocktail holds all of 'biotin', 'glycine': showing those that hold any of them."
    table = meso("search", "biotin", "glycine", "--db", db)
    assert table.exit_code == 0
    assert said in " ".join(table.stdout.split())
    as_json = meso("search", "biotin glycine", "--db", db, "--json")
    assert as_json.exit_code == 0
    found = {hit["id"] for hit in json.loads(as_json.stdout)}
    assert found == {"testco/scalp-boost", "testco/formula"}
    assert said in as_json.stderr


def test_typo_gets_did_you_mean(meso: Meso, db: Path) -> None:
    result = meso("search", "biotinn", "--db", db)
    assert_fails(result, 1, "No cocktails found for 'biotinn'.", "Did you mean: Biotin")


def test_unknown_filter_values_are_errors_with_hints(meso: Meso, db: Path) -> None:
    assert_fails(meso("search", "--db", db, "--exclude", "lidocaiin"), 1, "Hint: did you mean")
    assert_fails(meso("search", "--db", db, "--exclude-class", "anaestetic"), 1, "Error:")
    assert_fails(meso("search", "--db", db, "--exclude-origin", "martian"), 1, "Error:")
    assert_fails(meso("search", "--db", db, "--area", "moon"), 1, "Error: invalid search")
    assert_fails(meso("search", "--db", db, "--supplier", "Not A Slug"), 1, "Error:")


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "text",
    [
        '"',
        'hair" OR "1',
        "hair AND NOT loss",
        "NEAR(hair loss)",
        "name:hair",
        "hair*",
        "-hair",
        "--db",
        "hair-loss",
        "(((",
        "😀 hair",
        "ヘアロス",
        "cheveux\u0301",
        "a" * 499,
    ],
)
def test_fts_syntax_and_unicode_are_plain_words(meso: Meso, db: Path, text: str) -> None:
    result = meso("search", "--db", db, "--json", "--", text)
    assert result.exit_code in (0, 1)
    if result.exit_code == 0:
        assert isinstance(json.loads(result.stdout), list)
    else:
        assert result.stdout == ""
        assert "No cocktails found" in result.stderr or "nothing to search for" in result.stderr


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_refused(meso: Meso, text: str) -> None:
    assert_fails(meso("search", text), 1, "Error: invalid search: text: empty")


def test_text_with_nothing_searchable(meso: Meso) -> None:
    assert_fails(meso("search", "%%% &&&"), 1, "Error: invalid search: text: nothing to search")


def test_overlong_text_is_refused(meso: Meso) -> None:
    assert_fails(meso("search", "a" * 501), 1, "Error: invalid search")


@pytest.mark.parametrize(
    ("option", "value", "bounds"),
    [
        ("--limit", "0", "1 to 500"),
        ("--limit", "501", "1 to 500"),
        ("--limit", str(10**18), "1 to 500"),
        ("--limit", "-1", "1 to 500"),
        ("--offset", "-5", "0 to 100000"),
        ("--max-actives", "-1", "0 to 250"),
        ("--limit", "ten", "1 to 500"),
        ("--limit", "9" * 5000, "1 to 500"),
    ],
)
def test_out_of_range_numbers_are_refused_by_the_query_parser(
    meso: Meso, option: str, value: str, bounds: str
) -> None:
    """The options reach Query.parse as typed (no click ranges): its words, not click's."""
    field = option.removeprefix("--").replace("-", "_")
    result = meso("search", "hair loss", option, value)
    assert_fails(result, 1, f"Error: invalid search: {field}: must be a whole number from {bounds}")
    assert "Invalid value" not in result.stderr


def test_missing_db_is_an_error(meso: Meso, tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    assert_fails(meso("search", "--db", missing), 1, f"Error: no catalogue at {missing}", "Hint:")
    assert not missing.exists()


def test_directory_as_db_is_a_usage_error(meso: Meso, tmp_path: Path) -> None:
    assert_fails(meso("search", "--db", tmp_path), 2, "is a directory")


def test_file_that_is_not_a_catalogue(meso: Meso, tmp_path: Path) -> None:
    fake = tmp_path / "fake.db"
    fake.write_text("not sqlite", encoding="utf-8")
    assert_fails(meso("search", "--db", fake), 1, "Error:", "not a catalogue")


# ---------------------------------------------------------------- one search, at any scale


def test_records_are_the_library_search(meso: Meso, db: Path) -> None:
    # The command runs the engine itself (for its start-up time); the records must be
    # what the typed API (the web page's) returns for the same search.
    for args, request in (
        (("hair loss",), SearchRequest(text="hair loss")),
        (("--exclude-class", "anaesthetic"), SearchRequest(exclude_classes=("anaesthetic",))),
        (("glycine", "--area", "face"), SearchRequest(text="glycine", area="face")),
    ):
        with Catalogue.open(db, readonly=True) as catalogue:
            expected = [hit.model_dump(mode="json") for hit in search(catalogue, request).hits]
        found = hits(meso, *args, "--db", db)
        assert [{k: v for k, v in hit.items() if k != "card"} for hit in found] == expected


def test_table_says_when_facets_count_the_best_matches_only(
    meso: Meso, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "FACET_LIMIT", 2)
    monkeypatch.setattr(engine, "RANK_LIMIT", 2)
    result = meso("search", "test", "--db", db)  # every cocktail has its supplier's name
    assert result.exit_code == 0, result.output
    assert "Showing 1-3 of 3." in result.stdout
    assert "Counts below are over the best 2 matches." in result.stdout
    assert "Ranked by relevance: the matches with these words in their name" in result.stdout
    assert "Supplier: testco 2" in result.stdout


@pytest.mark.parametrize("where", ["under-a-file", "/proc/meso-formulary-test"])
def test_a_data_dir_that_cannot_be_made_is_an_error(meso: Meso, tmp_path: Path, where: str) -> None:
    if where == "under-a-file":
        (tmp_path / "file").write_text("x", encoding="utf-8")
        folder = str(tmp_path / "file" / "data")
    else:
        folder = where
    result = meso("search", "hair loss", env={"MESO_DATA_DIR": folder})
    assert_fails(
        result, 1, "Error: cannot build the reference catalogue", "Hint: set MESO_DATA_DIR"
    )
