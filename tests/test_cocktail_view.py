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
from helpers_catalogue import undo_vocabulary

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.cocktail_view import load_cocktail
from meso_formulary.errors import CatalogueError
from meso_formulary.rules import validate
from meso_formulary.web.server import build_datasette

EYE_BRIGHT = "testco/eye-bright"


@pytest.fixture(scope="module")
def ds(db: Path) -> Iterator[Datasette]:
    yield build_datasette(db, immutable=True)


def web_page(ds: Datasette, path: str) -> str:
    """The visible text of a page, tags dropped, white space collapsed."""
    response: httpx.Response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", response.text)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#39;", "'")


def stored_findings(db: Path, cocktail_id: str) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(db)) as conn:
        (text,) = conn.execute(
            "SELECT findings FROM cocktails WHERE id = ?", (cocktail_id,)
        ).fetchone()
    findings: list[dict[str, Any]] = json.loads(text)
    return findings


def test_the_cli_and_the_web_page_show_the_same_findings_and_provenance(
    meso: Meso, db: Path, ds: Datasette
) -> None:
    with closing(sqlite3.connect(db)) as conn:
        view = load_cocktail(conn, EYE_BRIGHT)
    assert view.findings, "the fixture cocktail has findings (MF105 at least)"
    summary = " | ".join(view.summary)
    assert "supplier testco (unsigned draft)" in summary

    (record,) = json.loads(meso("show", EYE_BRIGHT, "--db", db, "--json").stdout)
    assert record["findings"] == [finding.as_dict() for finding in view.findings]
    assert record["provenance"]["status"] == view.provenance.text == "unsigned draft"
    table = re.sub(r"\s+", " ", meso("show", EYE_BRIGHT, "--db", db).stdout)
    page = web_page(ds, f"/-/meso-cocktail/{EYE_BRIGHT}")
    assert " · ".join(view.summary) in page
    assert summary in table
    for finding in view.findings:
        for text in (finding.severity, finding.code):
            assert text in table and text in page, text
        assert finding.message in page
        # The table wraps a long message inside its cell: compare its words in order.
        assert " ".join(finding.message.split()[:4]) in table


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
    the screening tables of version 3, nor the search vocabulary of version 4)."""
    with closing(sqlite3.connect(path)) as conn, conn:
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
        assert catalogue.stats().schema_version == schema.SCHEMA_VERSION == 4
        applied = [m.name for m in schema.MIGRATIONS.applied(catalogue.db)]
        assert applied == list(schema.MIGRATION_NAMES)
    assert stored_findings(old, EYE_BRIGHT) == expected
