"""Composition lines count from 1 wherever a person sees them: the stored ``position``
(Datasette, ``sqlite3``), ``meso show`` and its JSON and CSV; and a catalogue file of schema
version 4, which counted from 0, is upgraded in place when it is opened for writing."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from cli_support import Meso, assert_fails, import_testco
from helpers_catalogue import undo_positions

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.connect import schema_objects, schema_rows

EYE = "testco/eye-bright"
"""A TESTCO cocktail of three composition lines."""


def _positions(path: Path) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT position, ingredient_id FROM composition WHERE cocktail_id = ? "
            "ORDER BY position",
            (EYE,),
        ).fetchall()


def _as_schema_version_4(path: Path) -> None:
    """Turn the catalogue at ``path`` back into what release 4 wrote: positions from 0."""
    with closing(sqlite3.connect(path)) as conn, conn:
        undo_positions(conn)
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with closing(sqlite3.connect(path)) as conn:
        assert schema_objects(schema_rows(conn)) == schema.expected_objects(4)


def test_the_first_line_is_1_stored_shown_and_in_json_and_csv(meso: Meso, db: Path) -> None:
    assert [position for position, _ in _positions(db)] == [1, 2, 3]
    shown = json.loads(meso("show", EYE, "--db", db, "--json").stdout)[0]
    assert [line["position"] for line in shown["composition"]] == [1, 2, 3]
    rows = list(csv.DictReader(io.StringIO(meso("show", EYE, "--db", db, "--csv").stdout)))
    assert [row["position"] for row in rows] == ["1", "2", "3"]
    with Catalogue.open(db, readonly=True) as catalogue:
        assert [entry.position for entry in catalogue.composition(EYE)] == [1, 2, 3]


def test_a_file_counting_from_0_is_refused_read_only_and_upgraded_for_writing(
    meso: Meso, tmp_path: Path
) -> None:
    path = import_testco(meso, tmp_path)
    before = _positions(path)
    _as_schema_version_4(path)
    assert _positions(path) == [(n - 1, ingredient) for n, ingredient in before]
    assert_fails(
        meso("show", EYE, "--db", path),
        1,
        "older schema version 4",
        "meso import --db FILE upgrades it",
    )
    Catalogue.open(path).close()  # opened for writing: upgraded in place
    assert _positions(path) == before
    shown = json.loads(meso("show", EYE, "--db", path, "--json").stdout)[0]
    assert [line["position"] for line in shown["composition"]] == [1, 2, 3]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
