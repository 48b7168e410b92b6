"""A catalogue file opens in the ordinary SQLite clients: sqlite3, sqlite-utils, datasette."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meso_formulary.catalogue import Catalogue

BIN = Path(sys.executable).parent
TIMEOUT = 120


@pytest.fixture
def on_disk(catalogue_path: Path, make_document: Callable[..., Any], make_cocktail: Any) -> Path:
    cocktails = [
        make_cocktail("acme", "hair-biotin", [("vitamin B7", 0.5, "mg/mL")]),
        make_cocktail(
            "acme",
            "face-glow",
            [("dexpanthenol", 20, "mg/mL")],
            areas=["face"],
            indications=["skin_rejuvenation"],
        ),
    ]
    with Catalogue.open(catalogue_path) as cat:
        cat.import_catalogue(make_document("acme", cocktails))
    return catalogue_path


def run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command is not installed")
def test_the_sqlite3_shell_reads_it(on_disk: Path) -> None:
    out = run("sqlite3", on_disk, "PRAGMA integrity_check; SELECT count(*) FROM cocktails")
    assert out.split() == ["ok", "2"]
    match = run(
        "sqlite3",
        on_disk,
        "SELECT c.id FROM cocktails_fts JOIN cocktails c ON c.pk = cocktails_fts.rowid "
        "WHERE cocktails_fts MATCH 'biotin'",
    )
    assert match.split() == ["acme/hair-biotin"]


def test_sqlite_utils_lists_its_tables(on_disk: Path) -> None:
    counts = {
        row["table"]: row["count"]
        for row in json.loads(run(BIN / "sqlite-utils", "tables", on_disk, "--counts"))
    }
    assert counts["cocktails"] == 2 and counts["composition"] == 2
    assert counts["suppliers"] == 1 and counts["ingredients"] > 100


@pytest.mark.slow
def test_datasette_searches_it(on_disk: Path) -> None:
    path = f"/{on_disk.stem}/cocktails.json?_search=biotin&_shape=array"
    rows = json.loads(run(BIN / "datasette", on_disk, "--get", path))
    assert [row["id"] for row in rows] == ["acme/hair-biotin"]
    facets = json.loads(
        run(
            BIN / "datasette",
            on_disk,
            "--get",
            f"/{on_disk.stem}/cocktails.json?_facet_array=indications",
        )
    )
    values = {f["value"] for f in facets["facet_results"]["indications"]["results"]}
    assert values == {"alopecia", "skin_rejuvenation"}
