"""``meso show``, ``compare``, ``indications``, ``areas``, ``ingredients``, ``stats`` and
``history``."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_support import TESTCO, Meso, assert_fails, import_testco

from meso_formulary.catalogue import Catalogue
from meso_formulary.cli.inspect_commands import (
    AREA_FIELDS,
    COMPARE_FIELDS,
    COMPOSITION_FIELDS,
    HISTORY_FIELDS,
    INDICATION_FIELDS,
    INGREDIENT_FIELDS,
)
from meso_formulary.notice import NOT_MEDICAL_ADVICE_LINE
from meso_formulary.rules import validate


def as_json(meso: Meso, *args: object) -> Any:
    result = meso(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_csv(meso: Meso, *args: object) -> list[dict[str, str]]:
    result = meso(*args, "--csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


# ---------------------------------------------------------------- show


def test_show_json_has_composition_in_mg_per_ml_and_findings(meso: Meso, db: Path) -> None:
    (record,) = as_json(meso, "show", "testco/scalp-boost", "--db", db)
    assert record["id"] == "testco/scalp-boost"
    assert record["protocol"]["sessions"] == 4
    lines = record["composition"]
    assert [line["ingredient"] for line in lines] == ["biotin", "dexpanthenol"]
    assert set(lines[0]) == set(COMPOSITION_FIELDS)
    dexpanthenol = lines[1]
    assert (dexpanthenol["value"], dexpanthenol["unit"]) == (2, "% w/v")
    assert dexpanthenol["mg_per_ml"] == pytest.approx(20)
    assert dexpanthenol["class"] == "vitamin"
    assert isinstance(record["findings"], list)


def test_show_undisclosed_strength(meso: Meso, db: Path) -> None:
    (record,) = as_json(meso, "show", "testco/eye-bright", "--db", db)
    undisclosed = record["composition"][2]
    assert undisclosed["ingredient"] == "polynucleotides"
    assert undisclosed["value"] is None
    assert undisclosed["mg_per_ml"] is None


def test_show_findings_come_from_the_rules_engine(meso: Meso, db: Path) -> None:
    (record,) = as_json(meso, "show", "testco/eye-bright", "--db", db)
    with Catalogue.open(db, readonly=True) as catalogue:
        dictionary = {ingredient.id: ingredient for ingredient in catalogue.ingredients()}
        found = validate(
            catalogue.get("testco/eye-bright"),
            ingredients=dictionary,
            indications=catalogue.indications(),
        )
    assert record["findings"] == [finding.as_dict() for finding in found]
    # Fish-derived polynucleotides without fish allergy among the contraindications.
    finding = next(f for f in record["findings"] if f["code"] == "MF170")
    assert (finding["path"], finding["severity"]) == ("contraindications", "warning")
    assert finding["source"], "the finding says where the fact it compares with comes from"
    assert "(source:" not in finding["message"]
    text = " ".join(
        meso("show", "testco/eye-bright", "--db", db, env={"COLUMNS": "400"}).stdout.split()
    )
    # The table cites it as [n] and lists it whole below (a URL in a column would fold).
    mark = re.search(r"MF170 .*? source: (\[\d+\])", text)
    assert mark is not None, text
    assert f"{mark.group(1)} {finding['source']}" in text


def test_show_csv_is_the_composition(meso: Meso, db: Path) -> None:
    rows = as_csv(meso, "show", "testco/scalp-boost", "--db", db)
    assert list(rows[0]) == list(COMPOSITION_FIELDS)
    assert [row["name"] for row in rows] == ["Biotin", "Dexpanthenol"]
    assert rows[1]["mg_per_ml"] == "20.0"


def test_show_table_has_every_section(meso: Meso, db: Path) -> None:
    result = meso("show", "testco/scalp-boost", "--db", db)
    assert result.exit_code == 0
    text = result.stdout
    for expected in (
        "Scalp Boost",
        "testco/scalp-boost | supplier testco, catalogue version 1 (unsigned draft) |",
        "Composition",
        "2 % w/v",
        "0.5 mg/mL",
        "vitamin",
        "Protocol",
        "4 sessions, every 7 days",
        "Top-up",
        "Aftercare",
        "Do not wash the hair on the day.",
        "24 h",
        "Contraindications",
        "Pregnancy",
        "Findings",
        "Sources",
        "Test Co product sheet",
    ):
        assert expected in text, expected


def test_show_says_how_the_catalogue_came(meso: Meso, db: Path, tmp_path: Path) -> None:
    (record,) = as_json(meso, "show", "testco/scalp-boost", "--db", db)
    assert record["provenance"] == {
        "kind": "draft",
        "catalogue_version": 1,
        "verified": False,
        "signed_by": None,
        "status": "unsigned draft",
    }
    shipped = " ".join(meso("show", "reference/dutasteride-hair").stdout.split())
    assert "| supplier reference, catalogue version 1 (shipped reference data) |" in shipped
    source = tmp_path / "testco.yaml"
    source.write_text(TESTCO, encoding="utf-8")
    keys = tmp_path / "keys"
    assert meso("keygen", "testco", "-o", keys).exit_code == 0
    bundle = tmp_path / "testco.zip"
    assert meso("publish", source, "--key", keys / "testco.key", "-o", bundle).exit_code == 0
    signed = tmp_path / "signed.db"
    assert (
        meso("trust", "add", "testco", keys / "testco.pub", "--db", signed, "--yes").exit_code == 0
    )
    assert meso("import", bundle, "--db", signed).exit_code == 0
    (record,) = as_json(meso, "show", "testco/scalp-boost", "--db", signed)
    assert record["provenance"]["verified"] is True
    fingerprint = record["provenance"]["signed_by"]
    assert len(fingerprint) == 64
    table = " ".join(meso("show", "testco/scalp-boost", "--db", signed).stdout.split())
    assert f"| supplier testco, catalogue version 1 (signed, verified (key {fingerprint[:4]} " in (
        table
    )
    (stats,) = as_json(meso, "stats", "--db", signed)
    assert stats["unsigned_suppliers"] == []


def test_show_unknown_id_suggests(meso: Meso, db: Path) -> None:
    result = meso("show", "testco/scalp-bost", "--db", db)
    assert_fails(result, 1, "Error: no cocktail 'testco/scalp-bost'", "Hint: did you mean")


# ---------------------------------------------------------------- compare


def test_compare_rows_mark_differences(meso: Meso, db: Path) -> None:
    rows = as_json(meso, "compare", "testco/scalp-boost", "testco/eye-bright", "--db", db)
    assert all(list(row) == list(COMPARE_FIELDS) for row in rows)
    by_item = {(row["field"], row["item"]): row for row in rows}
    biotin = by_item["composition", "biotin"]
    assert (biotin["a"], biotin["b"], biotin["status"]) == ("0.5 mg/mL", None, "only_a")
    assert by_item["composition", "lidocaine-hcl"]["status"] == "only_b"
    assert by_item["indication", "alopecia"]["status"] == "only_a"
    assert by_item["area", "periorbital"]["status"] == "only_b"


def test_compare_same_cocktail_is_all_same(meso: Meso, db: Path) -> None:
    rows = as_json(meso, "compare", "testco/scalp-boost", "testco/scalp-boost", "--db", db)
    assert {row["status"] for row in rows} == {"same"}


def test_compare_table_snapshot(meso: Meso, db: Path) -> None:
    result = meso("compare", "testco/scalp-boost", "testco/eye-bright", "--db", db)
    assert result.exit_code == 0
    assert result.stdout.startswith(COMPARE_SNAPSHOT)
    assert result.stdout[len(COMPARE_SNAPSHOT) :] == NOT_MEDICAL_ADVICE_LINE + "\n"


COMPARE_SNAPSHOT = """\
Compared
  A: Scalp Boost testco/scalp-boost
  B: Eye Bright testco/eye-bright

┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃                               ┃ A                  ┃ B             ┃           ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ Composition                   │                    │               │           │
│ Biotin                        │ 0.5 mg/mL          │ -             │ only in A │
│ Dexpanthenol                  │ 2 % w/v (20 mg/mL) │ -             │ only in A │
│ Sodium hyaluronate            │ -                  │ 10 mg/mL      │ only in B │
│ Lidocaine hydrochloride       │ -                  │ 3 mg/mL       │ only in B │
│ Polynucleotides (sodium DNA)  │ -                  │ not disclosed │ only in B │
├───────────────────────────────┼────────────────────┼───────────────┼───────────┤
│ Indication                    │                    │               │           │
│ Alopecia                      │ yes                │ -             │ only in A │
│ Dark circles                  │ -                  │ yes           │ only in B │
├───────────────────────────────┼────────────────────┼───────────────┼───────────┤
│ Area                          │                    │               │           │
│ Scalp                         │ yes                │ -             │ only in A │
│ Around the eyes (periorbital) │ -                  │ yes           │ only in B │
└───────────────────────────────┴────────────────────┴───────────────┴───────────┘
"""


def test_compare_strength_difference(meso: Meso, tmp_path: Path) -> None:
    changed = TESTCO.replace("value: 0.5, unit: mg/mL", "value: 1, unit: mg/mL").replace(
        "testco", "otherco"
    )
    source = tmp_path / "otherco.yaml"
    source.write_text(changed, encoding="utf-8")
    db = tmp_path / "both.db"
    assert meso("import", source, "--unsigned", "--db", db).exit_code == 0
    source.write_text(TESTCO, encoding="utf-8")
    assert meso("import", source, "--unsigned", "--db", db).exit_code == 0
    rows = as_json(meso, "compare", "testco/scalp-boost", "otherco/scalp-boost", "--db", db)
    by_item = {row["item"]: row for row in rows if row["field"] == "composition"}
    assert by_item["biotin"]["status"] == "differs"
    assert by_item["dexpanthenol"]["status"] == "same"
    table = meso("compare", "testco/scalp-boost", "otherco/scalp-boost", "--db", db)
    assert "≠ differs" in table.stdout


def test_compare_unknown_id(meso: Meso, db: Path) -> None:
    assert_fails(meso("compare", "testco/scalp-boost", "x/y", "--db", db), 1, "Error:")


# ---------------------------------------------------------------- indications, ingredients


def test_indications_have_lay_words_and_codes(meso: Meso) -> None:
    records = as_json(meso, "indications")
    alopecia = next(r for r in records if r["id"] == "alopecia")
    assert "hair loss" in alopecia["synonyms"]
    assert any(code["system"] == "ICD-10" for code in alopecia["codes"])
    rows = as_csv(meso, "indications")
    assert list(rows[0]) == list(INDICATION_FIELDS)
    table = meso("indications")
    assert "hair loss" in table.stdout
    assert "ICD-10" in table.stdout


def test_areas_have_plain_names_counts_and_words(meso: Meso, db: Path) -> None:
    records = as_json(meso, "areas", "--db", db)
    scalp = next(r for r in records if r["id"] == "scalp")
    assert (scalp["name"], scalp["cocktails"]) == ("Scalp", 1)  # testco's Scalp Boost
    assert any("scalp" in block["words"] for block in scalp["terms"])
    rows = as_csv(meso, "areas", "--db", db)
    assert list(rows[0]) == list(AREA_FIELDS)
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    table = meso("areas", "--db", db)
    assert table.exit_code == 0
    assert "Scalp" in table.stdout and "scalp" in table.stdout


def test_ingredients_by_class_and_text(meso: Meso) -> None:
    anaesthetics = as_json(meso, "ingredients", "--class", "anaesthetic")
    assert anaesthetics
    assert {i["class"] for i in anaesthetics} == {"anaesthetic"}
    lidocaine = as_json(meso, "ingredients", "LIDOCAINE")
    assert [i["id"] for i in lidocaine] == ["lidocaine-hcl"]
    rows = as_csv(meso, "ingredients", "lidocaine")
    assert list(rows[0]) == list(INGREDIENT_FIELDS)
    assert rows[0]["synonyms"].split("|")[0] == "lidocaine"
    table = meso("ingredients", "lidocaine")
    assert "Lidocaine hydrochloride" in table.stdout


def test_ingredients_unknown_class_and_no_match(meso: Meso) -> None:
    assert_fails(meso("ingredients", "--class", "vitamine"), 1, "Error: unknown ingredient class")
    assert_fails(meso("ingredients", "unobtainium"), 1, "No ingredients found")


# ---------------------------------------------------------------- stats, history


def test_stats(meso: Meso, db: Path) -> None:
    (stats,) = as_json(meso, "stats", "--db", db)
    assert stats["cocktails"] == 3
    assert stats["suppliers"] == 1
    assert stats["per_indication"]["alopecia"] == 1
    assert stats["unsigned_suppliers"] == ["testco"]
    rows = as_csv(meso, "stats", "--db", db)
    assert {"metric": "cocktails", "value": "3"} in rows
    assert {"metric": "unsigned suppliers", "value": "testco"} in rows
    table = meso("stats", "--db", db)
    assert "cocktails for alopecia" in table.stdout


def test_history_counts_versions(meso: Meso, tmp_path: Path) -> None:
    db = import_testco(meso, tmp_path)
    newer = TESTCO.replace("version: 1\n", "version: 2\n", 1).replace(
        "value: 0.5, unit: mg/mL", "value: 0.8, unit: mg/mL"
    )
    source = tmp_path / "testco-v2.yaml"
    source.write_text(newer, encoding="utf-8")
    assert meso("import", source, "--unsigned", "--db", db).exit_code == 0
    versions = as_json(meso, "history", "testco/scalp-boost", "--db", db)
    assert [v["revision"] for v in versions] == [1, 2]
    assert [v["catalogue_version"] for v in versions] == [1, 2]
    assert all(list(v) == list(HISTORY_FIELDS) for v in versions)
    assert len(as_json(meso, "history", "testco/eye-bright", "--db", db)) == 1
    table = meso("history", "testco/scalp-boost", "--db", db)
    assert versions[1]["digest"][:12] in table.stdout


def test_show_and_history_name_the_same_versions(meso: Meso, tmp_path: Path) -> None:
    """The cocktail version (the supplier's label), the revision (which stored content) and
    the catalogue version, in the same words in show, history and their JSON."""
    db = import_testco(meso, tmp_path)
    newer = (
        TESTCO.replace("version: 1\n", "version: 2\n", 1)
        .replace("value: 0.5, unit: mg/mL", "value: 0.8, unit: mg/mL")
        .replace("    name: Scalp Boost\n", "    name: Scalp Boost\n    version: '1.1'\n")
    )
    source = tmp_path / "testco-v2.yaml"
    source.write_text(newer, encoding="utf-8")
    assert meso("import", source, "--unsigned", "--db", db).exit_code == 0
    history = as_json(meso, "history", "testco/scalp-boost", "--db", db)
    assert [(v["revision"], v["cocktail_version"], v["catalogue_version"]) for v in history] == [
        (1, "1", 1),
        (2, "1.1", 2),
    ]
    (shown,) = as_json(meso, "show", "testco/scalp-boost", "--db", db)
    assert (shown["revision"], shown["version"], shown["provenance"]["catalogue_version"]) == (
        2,
        "1.1",
        2,
    )
    text = " ".join(meso("show", "testco/scalp-boost", "--db", db).stdout.split())
    assert "supplier testco, catalogue version 2 (unsigned draft)" in text
    assert "cocktail version 1.1, revision 2" in text
    table = meso("history", "testco/scalp-boost", "--db", db).stdout
    assert re.search(r"\b2\s+│\s+1\.1\s+│\s+2\s+│", table), table
    # The eye-bright cocktail did not change: one revision, in catalogue version 1.
    assert [v["revision"] for v in as_json(meso, "history", "testco/eye-bright", "--db", db)] == [1]


def test_history_unknown_id(meso: Meso, db: Path) -> None:
    assert_fails(meso("history", "testco/nope", "--db", db), 1, "Error: no history")
