"""One cocktail view for every front end, and the rule findings stored with each cocktail.

``meso show`` and the web cocktail page render the same
:class:`~meso_formulary.catalogue.store.cocktail_view.CocktailView`: same findings, same
provenance, same words. The findings are computed when a cocktail is imported and read back
without the rules engine; a catalogue of the schema before them gets them on upgrade.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso
from datasette.app import Datasette
from helpers_catalogue import undo_positions, undo_vocabulary

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.cocktail_card import CourseFactLine
from meso_formulary.catalogue.store.cocktail_view import (
    PackFacts,
    SafetyLine,
    load_cocktail,
)
from meso_formulary.errors import CatalogueError
from meso_formulary.rules import validate
from meso_formulary.web.server import build_datasette

EYE_BRIGHT = "testco/eye-bright"
WIDE = {"COLUMNS": "400"}
"""A terminal wide enough that no table wraps a cell (the phrases compare whole)."""


@pytest.fixture(scope="module")
def ds(db: Path) -> Iterator[Datasette]:
    yield build_datasette(db, immutable=True)


def web_page(ds: Datasette, path: str) -> str:
    """The visible text of a page, tags dropped, white space collapsed."""
    response: httpx.Response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text
    return web_page_text(response.text)


def stored_findings(db: Path, cocktail_id: str) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(db)) as conn:
        (text,) = conn.execute(
            "SELECT findings FROM cocktails WHERE id = ?", (cocktail_id,)
        ).fetchone()
    findings: list[dict[str, Any]] = json.loads(text)
    return findings


def engine_findings(db: Path, cocktail_id: str) -> list[dict[str, Any]]:
    """What the rules engine reports for the stored cocktail now, as stored rows hold it."""
    with Catalogue.open(db, readonly=True) as catalogue:
        dictionary = {ingredient.id: ingredient for ingredient in catalogue.ingredients()}
        found = validate(
            catalogue.get(cocktail_id),
            ingredients=dictionary,
            indications=catalogue.indications(),
        )
    return [finding.as_dict() for finding in found]


def test_the_cli_and_the_web_page_show_the_same_findings_and_provenance(
    meso: Meso, db: Path, ds: Datasette
) -> None:
    with closing(sqlite3.connect(db)) as conn:
        view = load_cocktail(conn, EYE_BRIGHT)
    assert view.findings, "the fixture cocktail has findings"
    assert [finding.as_dict() for finding in view.findings] == engine_findings(db, EYE_BRIGHT)
    sourced = [finding for finding in view.findings if finding.source]
    assert sourced, "at least one finding compares with a sourced fact"
    summary = " | ".join(view.summary)
    assert "supplier testco, catalogue version 1 (unsigned draft)" in summary

    (record,) = json.loads(meso("show", EYE_BRIGHT, "--db", db, "--json").stdout)
    assert record["findings"] == [finding.as_dict() for finding in view.findings]
    assert record["provenance"]["status"] == view.provenance.text == "unsigned draft"
    table = re.sub(r"\s+", " ", meso("show", EYE_BRIGHT, "--db", db, env=WIDE).stdout)
    page = web_page(ds, f"/-/meso-cocktail/{EYE_BRIGHT}")
    assert " · ".join(view.summary) in page
    assert summary in table
    for finding in view.findings:
        for text in (finding.severity, finding.code):
            assert text in table and text in page, text
        assert finding.message in page
        assert "(source:" not in finding.message  # the source is apart, not in the words
        # The table wraps a long message inside its cell: compare its words in order.
        assert " ".join(finding.message.split()[:4]) in table
    for finding in sourced:
        assert finding.source is not None
        assert finding.source in page
        assert cites(table, " ".join(finding.source.split()))


def cites(table: str, source: str) -> bool:
    """``meso show``'s text (words joined by single spaces) cites ``source`` from a table
    as ``source: [n]`` and lists it whole below as ``[n] source``."""
    listed = re.search(r"\[(\d+)\] " + re.escape(source), table)
    return listed is not None and f"source: [{listed.group(1)}]" in table


def test_stored_findings_are_what_the_rules_engine_reports(db: Path) -> None:
    with Catalogue.open(db, readonly=True) as catalogue:
        dictionary = {ingredient.id: ingredient for ingredient in catalogue.ingredients()}
        for cocktail_id in ("testco/scalp-boost", EYE_BRIGHT):
            cocktail = catalogue.get(cocktail_id)
            found = validate(cocktail, ingredients=dictionary, indications=catalogue.indications())
            assert stored_findings(db, cocktail_id) == [f.as_dict() for f in found]


def test_no_findings_and_findings_not_computed_read_differently(
    meso: Meso, db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    with closing(sqlite3.connect(copy)) as conn, conn:
        conn.execute("UPDATE cocktails SET findings = '[]' WHERE id = 'testco/scalp-boost'")
        conn.execute("UPDATE cocktails SET findings = NULL WHERE id = ?", (EYE_BRIGHT,))
    none = meso("show", "testco/scalp-boost", "--db", copy).stdout
    assert "Findings: None: the rules engine finds nothing questionable." in none
    unknown = re.sub(r"\s+", " ", meso("show", EYE_BRIGHT, "--db", copy).stdout)
    assert "Findings: Not computed" in unknown
    (record,) = json.loads(meso("show", EYE_BRIGHT, "--db", copy, "--json").stdout)
    assert record["findings"] is None


def _as_schema_1(path: Path) -> None:
    """Turn a catalogue file back into schema version 1: no findings column (and none of
    the screening tables of version 3, nor the search vocabulary of version 4, and its
    composition counted from 0 as before version 5)."""
    with closing(sqlite3.connect(path)) as conn, conn:
        undo_positions(conn)
        undo_vocabulary(conn)
        for table in schema.SCREENING_TABLE_NAMES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE cocktails DROP COLUMN findings")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.execute(
            "DELETE FROM _sqlite_migrations WHERE name IN ('0002_findings', '0003_screening')"
        )


def test_an_older_catalogue_gets_its_findings_on_upgrade(db: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    old.write_bytes(db.read_bytes())
    expected = stored_findings(db, EYE_BRIGHT)
    _as_schema_1(old)
    with pytest.raises(CatalogueError, match="older schema version 1"):
        Catalogue.open(old, readonly=True)
    with Catalogue.open(old) as catalogue:
        assert catalogue.stats().schema_version == schema.SCHEMA_VERSION == 5
        applied = [m.name for m in schema.MIGRATIONS.applied(catalogue.db)]
        assert applied == list(schema.MIGRATION_NAMES)
    assert stored_findings(old, EYE_BRIGHT) == expected


# ---------------------------------------------------------------- product, course and safety

VENDO = """\
format: meso-formulary/1
supplier: {id: vendo, name: Vendo Labs}
version: 1
ingredients:
  - id: vendo-peptide
    name: Vendo peptide
    class: peptide
    allowed_units: [mg/mL]
    typical_range: {max: 5, unit: mg/mL, source: "https://example.org/vendo-peptide/range"}
    source: https://example.org/vendo-peptide
cocktails:
  - id: vendo/glow-gel
    name: Glow Gel
    supplier: vendo
    description: A hyaluronic acid skin booster sold in pre-filled syringes.
    maker: Glow Farmaceutici Srl
    product_type: skin_booster
    brands: [Glow Gel, GlowGel Plus]
    composition:
      - {ingredient: sodium-hyaluronate, strength: {value: 20, unit: mg/mL}}
      - {ingredient: vendo-peptide, strength: {value: 10, unit: mg/mL}}
    vial_volume_ml: 2
    pack: {container: syringe, count: 1, needles: 2 x 29G, source: "https://example.org/glow/ifu"}
    indications: [skin_rejuvenation]
    areas: [face]
    protocol:
      sessions: 2
      interval_days: 30
      note: a third session for very dry skin
      source: Glow Gel instructions for use 2024
    course_facts:
      - fact: session_minutes
        min: 30
        max: 45
        source: https://example.org/clinic/glow (clinic page; low quality)
      - fact: topical_numbing
        note: numbing cream 20 minutes before
        source: https://example.org/clinic/glow (clinic page; low quality)
      - {fact: results_last_months, min: 6, source: "Smith J et al. J Cosmet Dermatol 2023;22:1-9"}
    aftercare:
      - kind: no_makeup
        advice: No make-up for 12 hours.
        hours: 12
        basis: product_instructions
        source: Glow Gel instructions for use 2024
    safety:
      - event: Injection-site bruising
        percent: 12.5
        among: subjects in the pivotal trial
        note: resolved within a week
        source: Smith J et al. J Cosmet Dermatol 2023;22:1-9
    regulatory_status: medical_device
    regulatory:
      - status: medical_device
        jurisdiction: EU
        detail: CE-marked class III medical device
        source: https://example.org/glow/ce
    sources: [Glow Gel instructions for use 2024]
  - id: vendo/ha-booster
    name: HA Booster
    supplier: vendo
    description: The kind of skin booster Glow Gel is.
    product_type: skin_booster
    stands_for: [vendo/glow-gel, vendo/not-here]
    composition: [{ingredient: sodium-hyaluronate}]
    indications: [skin_rejuvenation]
"""
"""A product carrying every reference-data field, and an archetype standing for it (and for
an id the catalogue does not hold)."""

GLOW, ARCHETYPE = "vendo/glow-gel", "vendo/ha-booster"


@pytest.fixture(scope="module")
def vendo_db(meso: Meso, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vendo")
    source = folder / "vendo.yaml"
    source.write_text(VENDO, encoding="utf-8")
    db = folder / "vendo.db"
    result = meso("import", source, "--unsigned", "--db", db)
    assert result.exit_code == 0, result.output
    return db


def cocktail_html(db: Path, cocktail_id: str) -> str:
    """The HTML of the web page of ``cocktail_id`` in catalogue ``db``."""
    ds = build_datasette(db, immutable=True)
    response: httpx.Response = asyncio.run(ds.client.get(f"/-/meso-cocktail/{cocktail_id}"))
    assert response.status_code == 200, response.text
    return response.text


def web_page_text(html: str) -> str:
    """The visible text of a page (see :func:`web_page`)."""
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#39;", "'")


def show_text(meso: Meso, db: Path, cocktail_id: str) -> str:
    result = meso("show", cocktail_id, "--db", db, env=WIDE)
    assert result.exit_code == 0, result.output
    return re.sub(r"\s+", " ", result.stdout)


def test_every_product_course_and_safety_fact_shows_in_the_cli_and_on_the_web_page(
    meso: Meso, vendo_db: Path
) -> None:
    with closing(sqlite3.connect(vendo_db)) as conn:
        view = load_cocktail(conn, GLOW)
    assert view.maker == "Glow Farmaceutici Srl"
    assert view.product_type_text == "skin booster"
    assert view.pack is not None and view.pack.volume_ml == 2
    assert [(fact.label, fact.source) for fact in view.product] == [
        ("Maker", None),
        ("Brands", None),
        ("Type", None),
        ("Pack", "https://example.org/glow/ifu"),
        ("Regulatory", "https://example.org/glow/ce"),
    ]
    assert view.findings and view.findings[0].source == "https://example.org/vendo-peptide/range"
    table = show_text(meso, vendo_db, GLOW)
    html = cocktail_html(vendo_db, GLOW)
    page = web_page_text(html)
    for expected in (
        "Glow Farmaceutici Srl",
        "Glow Gel, GlowGel Plus",
        "skin booster",
        "1 syringe of 2 mL per pack, needles: 2 x 29G",
        "https://example.org/glow/ifu",
        "EU: medical device (CE-marked class III medical device)",
        "https://example.org/glow/ce",
        "a third session for very dry skin",
        "Session length",
        "30 to 45 minutes",
        "Topical numbing",
        "numbing cream 20 minutes before",
        "Results last",
        "at least 6 months",
        "https://example.org/clinic/glow (clinic page; low quality)",
        "No make-up for 12 hours.",
        "(product's instructions)",
        "Injection-site bruising",
        "12.5%",
        "subjects in the pivotal trial",
        "resolved within a week",
        "Smith J et al. J Cosmet Dermatol 2023;22:1-9",
        "HA Booster (vendo/ha-booster)",
        "10 mg/mL of Vendo peptide is above its typical range",
        "https://example.org/vendo-peptide/range",
    ):
        assert expected in table, ("cli", expected)
        assert expected in page, ("web", expected)
    assert cites(table, "https://example.org/vendo-peptide/range")
    # A source that is an address is a link on the page, its note kept as words.
    for url in ("glow/ifu", "glow/ce", "clinic/glow", "vendo-peptide/range"):
        assert f'<a href="https://example.org/{url}" rel="nofollow noopener">' in html
    assert "Syringe: 2 mL" in page  # the volume of one container of the pack
    (record,) = json.loads(meso("show", GLOW, "--db", vendo_db, "--json").stdout)
    assert record["pack"]["container"] == "syringe"
    assert record["safety"][0]["percent"] == 12.5
    assert record["archetypes"] == [{"id": ARCHETYPE, "name": "HA Booster"}]
    assert record["findings"][0]["source"] == "https://example.org/vendo-peptide/range"


def test_an_archetype_and_its_products_link_both_ways(meso: Meso, vendo_db: Path) -> None:
    with closing(sqlite3.connect(vendo_db)) as conn:
        archetype, product = load_cocktail(conn, ARCHETYPE), load_cocktail(conn, GLOW)
    assert [(item.id, item.name) for item in archetype.stands_for] == [
        (GLOW, "Glow Gel"),
        ("vendo/not-here", None),  # not in the catalogue: shown by its id
    ]
    assert archetype.archetypes == ()
    assert [(item.id, item.name) for item in product.archetypes] == [(ARCHETYPE, "HA Booster")]

    table = show_text(meso, vendo_db, ARCHETYPE)
    assert "Stands for - Glow Gel (vendo/glow-gel) - vendo/not-here (not in this catalogue)" in (
        table
    )
    assert "Archetype - HA Booster (vendo/ha-booster)" in show_text(meso, vendo_db, GLOW)
    page = cocktail_html(vendo_db, ARCHETYPE)
    assert '<a href="/-/meso-cocktail/vendo/glow-gel">Glow Gel (vendo/glow-gel)</a>' in page
    assert "vendo/not-here <span" in page and 'href="/-/meso-cocktail/vendo/not-here"' not in page
    back = cocktail_html(vendo_db, GLOW)
    assert '<a href="/-/meso-cocktail/vendo/ha-booster">HA Booster (vendo/ha-booster)</a>' in back


_NEW_FIELDS = (
    "maker",
    "product_type",
    "brands",
    "pack",
    "regulatory",
    "stands_for",
    "course_facts",
    "safety",
    "protocol.note",
)


def test_a_record_stored_before_the_new_fields_still_renders(
    meso: Meso, vendo_db: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old.db"
    old.write_bytes(vendo_db.read_bytes())
    paths = ", ".join(f"'$.{field}'" for field in _NEW_FIELDS)
    with closing(sqlite3.connect(old)) as conn, conn:
        conn.execute(f"UPDATE cocktails SET record = json_remove(record, {paths})")
        conn.execute(
            "UPDATE cocktails SET record = json_remove(record, '$.aftercare[0].basis'), "
            "findings = (SELECT json_group_array(json_remove(value, '$.source')) "
            "FROM json_each(findings)) WHERE id = ?",
            (GLOW,),
        )
    with closing(sqlite3.connect(old)) as conn:
        view = load_cocktail(conn, GLOW)
        archetype = load_cocktail(conn, ARCHETYPE)
    assert (view.maker, view.product_type, view.pack, view.product) == (None, None, None, ())
    assert view.course_facts == view.safety == view.regulatory == view.archetypes == ()
    assert view.protocol is not None and view.protocol.note is None
    assert view.aftercare[0].basis == "general" and view.aftercare[0].basis_text == ""
    assert view.findings and all(finding.source is None for finding in view.findings)
    assert archetype.stands_for == ()

    table = show_text(meso, old, GLOW)
    for gone in ("Product", "Course facts", "Safety", "Archetype", "product's instructions"):
        assert gone not in table, gone
    assert "10 mg/mL of Vendo peptide is above its typical range" in table
    assert "│ Vial │ 2 mL" in table  # no pack: the container is a vial, as before
    (record,) = json.loads(meso("show", GLOW, "--db", old, "--json").stdout)
    assert record["findings"][0]["source"] is None
    assert record["archetypes"] == []
    html = cocktail_html(old, GLOW)
    assert 'id="meso-product"' not in html and 'id="meso-course-facts"' not in html
    assert 'id="meso-findings"' in html
    assert "10 mg/mL of Vendo peptide is above its typical range" in web_page_text(html)


def test_the_view_words_packs_course_facts_and_safety_figures() -> None:
    assert PackFacts("vial", 10, None, 5, "s").text == "10 vials of 5 mL per pack"
    assert PackFacts("ampoule", None, None, None, "s").text == "ampoule"
    assert PackFacts(None, None, "30G", None, "s").text == "needles: 30G"
    assert PackFacts(None, None, None, None, "s").text == "not stated"
    words = {
        ("session_minutes", 30, 30): "30 minutes",
        ("sessions", 3, 5): "3 to 5 sessions",
        ("results_last_months", None, 12): "up to 12 months",
        ("top_ups", 6, None): "at least 6 months apart",
        ("results_develop", None, None): "",
    }
    for (fact, low, high), amount in words.items():
        assert CourseFactLine(fact, low, high, "", "s").amount == amount
    assert CourseFactLine("results_develop", None, None, "", "s").label == (
        "Results develop over the course"
    )
    assert SafetyLine("Nodules", 0.5, "patients", "", "s").text == "Nodules: 0.5% among patients"
    assert SafetyLine("Nodules", None, None, "", "s").frequency == "not stated"
