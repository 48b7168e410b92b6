"""The store's schema refuses bad rows on its own, and opening refuses files it cannot read.

Every refused row has a twin that differs only in the bad value and is accepted, so no check
here can pass by refusing everything.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from datasette.utils import detect_fts
from sqlite_utils import Database

from meso_formulary.catalogue import Catalogue, ReferenceData
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.errors import CatalogueError
from meso_formulary.model import IngredientClass

COMPOSITION = "INSERT INTO composition VALUES ('acme/hair-one', ?, ?, ?, ?, ?)"
GOOD_LINE: tuple[Any, ...] = (7, "dexpanthenol", 20.0, "mg/mL", 20.0)


@pytest.fixture
def seeded(catalogue: Catalogue, make_document: Any) -> Iterator[sqlite3.Connection]:
    """A catalogue with supplier acme and its cocktail ``acme/hair-one``; raw connection."""
    catalogue.import_catalogue(make_document("acme"))
    conn = catalogue.conn
    conn.execute("INSERT INTO suppliers VALUES ('bravo', 'Bravo', 1, NULL, 0, '{}', 'now')")
    conn.commit()
    yield conn


def refused(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> str:
    """Run ``sql`` expecting a constraint failure; return SQLite's message."""
    with pytest.raises(sqlite3.IntegrityError) as error:
        conn.execute(sql, params)
    conn.rollback()
    return str(error.value)


def accepted(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> None:
    conn.execute(sql, params)
    conn.rollback()


def with_(row: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return (*row[:index], value, *row[index + 1 :])


def test_a_good_composition_line_is_accepted(seeded: sqlite3.Connection) -> None:
    accepted(seeded, COMPOSITION, GOOD_LINE)
    accepted(seeded, COMPOSITION, (7, "dexpanthenol", None, None, None))  # undisclosed


@pytest.mark.parametrize(
    ("index", "bad"),
    [
        (2, math.nan),  # SQLite stores NaN as NULL: with a unit that must not pass
        (2, math.inf),
        (2, -math.inf),
        (2, 0.0),
        (2, -5.0),
        (2, 1e-12),  # below the smallest plausible strength
        (2, 1001.0),  # above 1000 mg/mL
        (2, None),  # a unit without a value
        (2, "twenty"),  # STRICT: text that is not a number
        (3, "mg/ml"),  # not the closed set's spelling
        (3, "ppm"),
        (3, None),  # a value without a unit
        (4, -1.0),
        (4, 0.0),
        (4, math.inf),
        (0, 0),  # position: the first line is 1
        (1, "unknown-ingredient"),  # foreign key
    ],
)
def test_composition_refuses(seeded: sqlite3.Connection, index: int, bad: Any) -> None:
    # GOOD_LINE columns: position, ingredient_id, value, unit, mg_per_ml
    refused(seeded, COMPOSITION, with_(GOOD_LINE, index, bad))


def test_per_unit_limits_come_from_the_units_module(seeded: sqlite3.Connection) -> None:
    accepted(seeded, COMPOSITION, (7, "dexpanthenol", 100.0, "% w/v", None))
    refused(seeded, COMPOSITION, (7, "dexpanthenol", 100.5, "% w/v", None))
    accepted(seeded, COMPOSITION, (7, "dexpanthenol", 5000.0, "µg/mL", None))


def test_composition_needs_an_existing_cocktail(seeded: sqlite3.Connection) -> None:
    refused(
        seeded,
        "INSERT INTO composition VALUES ('acme/nothing', 0, 'biotin', 1.0, 'mg/mL', 1.0)",
        (),
    )


SUPPLIER = "INSERT INTO suppliers VALUES (?, 'X', ?, NULL, ?, '{}', 'now')"


@pytest.mark.parametrize(
    "bad_id", ["Acme", "\u0430cme", "a/b", "", "a-", "-a", " acme", "a b", "a" * 65, "acme\n"]
)
def test_supplier_ids_are_ascii_slugs(seeded: sqlite3.Connection, bad_id: str) -> None:
    accepted(seeded, SUPPLIER, ("charlie_2-x", 1, 0))
    refused(seeded, SUPPLIER, (bad_id, 1, 0))


def test_supplier_version_and_verified_are_checked(seeded: sqlite3.Connection) -> None:
    refused(seeded, SUPPLIER, ("charlie", 0, 0))
    refused(seeded, SUPPLIER, ("charlie", 1, 2))
    refused(seeded, SUPPLIER, ("charlie", "one", 0))  # STRICT INTEGER


def cocktail_row(**changes: Any) -> tuple[Any, ...]:
    row = {
        "id": "acme/new",
        "supplier_id": "acme",
        "name": "New",
        "description": "d",
        "search_terms": "",
        "n_actives": 0,
        "indications": "[]",
        "areas": "[]",
        "techniques": "[]",
        "regulatory_status": "unknown",
        "vial_volume_ml": None,
        "version": "1",
        "version_no": 1,
        "digest": "0" * 64,
        "record": "{}",
        "updated_at": "now",
    }
    row.update(changes)
    return tuple(row.values())


COCKTAIL = (
    "INSERT INTO cocktails(id, supplier_id, name, description, search_terms, n_actives, "
    "indications, areas, techniques, regulatory_status, vial_volume_ml, version, version_no, "
    "digest, record, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "bravo/new"},  # another supplier's namespace
        {"id": "acme/"},
        {"id": "acme/New"},
        {"id": "acme/a/b"},
        {"id": "acmex/new"},
        {"supplier_id": "nobody", "id": "nobody/new"},  # foreign key
        {"indications": "{}"},
        {"areas": "not json"},
        {"regulatory_status": "legal"},
        {"vial_volume_ml": 0.0},
        {"vial_volume_ml": math.inf},
        {"n_actives": -1},
        {"digest": "abc"},
        {"version_no": 0},
    ],
)
def test_cocktails_refuse(seeded: sqlite3.Connection, changes: dict[str, Any]) -> None:
    accepted(seeded, COCKTAIL, cocktail_row())
    refused(seeded, COCKTAIL, cocktail_row(**changes))


def test_the_supplier_namespace_is_immutable(seeded: sqlite3.Connection) -> None:
    message = refused(
        seeded, "UPDATE cocktails SET supplier_id = 'bravo' WHERE id = 'acme/hair-one'", ()
    )
    assert "supplier namespace is immutable" in message
    message = refused(
        seeded, "UPDATE cocktails SET id = 'acme/other' WHERE id = 'acme/hair-one'", ()
    )
    assert "cocktail id is immutable" in message
    accepted(seeded, "UPDATE cocktails SET name = 'Renamed' WHERE id = 'acme/hair-one'", ())


def test_link_tables_refuse_unknown_values(seeded: sqlite3.Connection) -> None:
    accepted(seeded, "INSERT INTO cocktail_areas VALUES ('acme/hair-one', 'face')", ())
    refused(seeded, "INSERT INTO cocktail_areas VALUES ('acme/hair-one', 'moon')", ())
    accepted(seeded, "INSERT INTO cocktail_indications VALUES ('acme/hair-one', 'cellulite')", ())
    refused(seeded, "INSERT INTO cocktail_indications VALUES ('acme/hair-one', 'hairloss')", ())
    refused(seeded, "INSERT INTO cocktail_techniques VALUES ('acme/hair-one', 'magic')", ())


INGREDIENT = (
    "INSERT INTO ingredients VALUES ('new-one', NULL, 'New', NULL, ?, ?, NULL, ?, NULL, '{}')"
)


def test_ingredients_refuse(seeded: sqlite3.Connection) -> None:
    accepted(seeded, INGREDIENT, ("vitamin", "plant", 100.0))
    refused(seeded, INGREDIENT, ("magic", "plant", 100.0))
    refused(seeded, INGREDIENT, ("vitamin", "moon", 100.0))
    refused(seeded, INGREDIENT, ("vitamin", "plant", -1.0))
    refused(seeded, INGREDIENT, ("vitamin", "plant", math.inf))


def test_connection_settings(catalogue_path: Path) -> None:
    with Catalogue.open(catalogue_path) as cat:
        assert cat.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cat.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert cat.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cat.conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    with Catalogue.open(catalogue_path, readonly=True) as cat:
        assert cat.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cat.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_every_table_is_strict_and_explicit(catalogue: Catalogue) -> None:
    ours = [
        row
        for row in catalogue.conn.execute("PRAGMA table_list")
        if row[1] not in ("_sqlite_migrations",)
        and row[2] == "table"
        and not row[1].startswith(("sqlite_", "cocktails_fts"))
    ]
    assert {row[1] for row in ours} >= {"meta", "cocktails", "composition", "catalogue_versions"}
    assert all(row[5] == 1 for row in ours), [row[1] for row in ours if row[5] != 1]


def test_link_tables_are_indexed_both_ways(catalogue: Catalogue) -> None:
    def index_columns(table: str) -> set[tuple[str, ...]]:
        columns = set()
        for index in catalogue.conn.execute(f"PRAGMA index_list({table})").fetchall():
            info = catalogue.conn.execute(f"PRAGMA index_info({index[1]})").fetchall()
            columns.add(tuple(row[2] for row in info))
        return columns

    assert ("ingredient_id", "cocktail_id") in index_columns("composition")
    assert ("cocktail_id", "position") in index_columns("composition")
    assert ("indication_id", "cocktail_id") in index_columns("cocktail_indications")
    assert ("cocktail_id", "indication_id") in index_columns("cocktail_indications")
    assert ("area", "cocktail_id") in index_columns("cocktail_areas")
    assert ("cocktail_id", "area") in index_columns("cocktail_areas")


def test_datasette_detects_the_full_text_index(catalogue: Catalogue) -> None:
    assert detect_fts(catalogue.conn, "cocktails") == "cocktails_fts"


def test_migrations_are_recorded_and_not_repeated(catalogue_path: Path) -> None:
    Catalogue.open(catalogue_path).close()
    with Catalogue.open(catalogue_path) as cat:
        assert [m.name for m in schema.MIGRATIONS.applied(cat.db)] == list(schema.MIGRATION_NAMES)
        assert schema.MIGRATIONS.pending(cat.db) == []
        assert cat.stats().schema_version == schema.SCHEMA_VERSION
    empty = Database(memory=True)
    assert [m.name for m in schema.MIGRATIONS.pending(empty)] == list(schema.MIGRATION_NAMES)


# ---------------------------------------------------------------- files that are not ours


def test_a_newer_schema_is_refused(catalogue_path: Path) -> None:
    Catalogue.open(catalogue_path).close()
    conn = sqlite3.connect(catalogue_path)
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(schema.SCHEMA_VERSION + 1),)
    )
    conn.commit()
    conn.close()
    for readonly in (False, True):
        with pytest.raises(CatalogueError, match="newer than this release") as error:
            Catalogue.open(catalogue_path, readonly=readonly)
        assert str(catalogue_path) in str(error.value)
        assert error.value.hint is not None and "upgrade" in error.value.hint


def test_a_damaged_version_is_refused(catalogue_path: Path) -> None:
    Catalogue.open(catalogue_path).close()
    conn = sqlite3.connect(catalogue_path)
    conn.execute("UPDATE meta SET value = 'one' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(CatalogueError, match=r"damaged catalogue.*'one'"):
        Catalogue.open(catalogue_path)


def test_another_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CatalogueError, match="not a meso-formulary catalogue"):
        Catalogue.open(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [
        b"hello, this is a text file\n",
        bytes(range(256)) * 16,
        b"SQLite format 3\x00" + b"\xff" * 200,  # the right magic, then garbage
        b"\x00" * 10,
    ],
)
def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    with pytest.raises(CatalogueError) as error:
        Catalogue.open(path)
    assert str(path) in str(error.value)
    assert path.read_bytes() == content


def test_paths_that_cannot_be_catalogues(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="is a directory"):
        Catalogue.open(tmp_path)
    with pytest.raises(CatalogueError, match="no catalogue at"):
        Catalogue.open(tmp_path / "missing.db", readonly=True)
    with pytest.raises(CatalogueError, match="no catalogue at"):
        Catalogue.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_an_empty_file_becomes_a_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(CatalogueError, match="empty"):
        Catalogue.open(path, readonly=True)
    with Catalogue.open(path) as cat:
        assert cat.stats().indications > 0


# ---------------------------------------------------------------- what the search reads


def test_small_columns_come_before_the_large_ones(catalogue: Catalogue) -> None:
    # A row longer than a page spills onto overflow pages; columns after the large ones
    # would be read from there. (findings, added by the second migration, is read by
    # meso show alone, one row at a time. disclosure, added by 0004_vocabulary, comes
    # last because a migration can only append a column: the search reads it from the
    # covering indexes alone, never from the row; see the next test.)
    columns = [row[1] for row in catalogue.conn.execute("PRAGMA table_info(cocktails)")]
    large = {"description", "search_terms", "record", "findings"}
    appended = ["disclosure"]
    assert columns[-len(appended) :] == appended
    before = columns[: -len(appended)]
    assert set(before[-len(large) :]) == large


def test_search_indexes_cover_what_the_search_reads(catalogue: Catalogue) -> None:
    # The search reads cocktails through these, never their kilobyte rows (engine.py).
    covers = {
        "idx_cocktails_by_id": {"id", "name", "n_actives", "classes", "disclosure"},
        "idx_cocktails_by_name": {"name", "id", "n_actives", "classes"},
        "idx_cocktails_by_pk": {
            "id",
            "supplier_id",
            "name",
            "n_actives",
            "indications",
            "classes",
            "disclosure",
        },
    }
    for index, columns in covers.items():
        info = catalogue.conn.execute(f"PRAGMA index_info({index})").fetchall()
        assert {row[2] for row in info} >= columns, index


def stored_classes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT c.id, j.value FROM cocktails c, json_each(c.classes) j ORDER BY 1, 2"
    ).fetchall()


def derived_classes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT DISTINCT x.cocktail_id, i.ingredient_class FROM composition x "
        "JOIN ingredients i ON i.id = x.ingredient_id ORDER BY 1, 2"
    ).fetchall()


def test_classes_follow_the_composition(
    catalogue: Catalogue, make_document: Any, make_cocktail: Any
) -> None:
    conn = catalogue.conn
    lines = [("biotin", 0.5, "mg/mL"), ("lidocaine", 2.0, "mg/mL")]
    catalogue.import_catalogue(make_document("acme", [make_cocktail("acme", "a", lines)]))
    assert stored_classes(conn) == derived_classes(conn)
    assert {c for _, c in stored_classes(conn)} == {"vitamin", "anaesthetic"}
    changed = make_cocktail("acme", "a", [("biotin", 0.5, "mg/mL")])
    catalogue.import_catalogue(make_document("acme", [changed], version=2))
    assert stored_classes(conn) == derived_classes(conn) == [("acme/a", "vitamin")]
    catalogue.import_catalogue(make_document("acme", [], version=3))
    assert stored_classes(conn) == []


def test_classes_follow_a_new_dictionary(catalogue_path: Path, make_document: Any) -> None:
    shipped = ReferenceData.shipped()
    with Catalogue.open(catalogue_path) as cat:
        cat.import_catalogue(make_document("acme"))  # biotin, a vitamin
        assert stored_classes(cat.conn) == [("acme/hair-one", "vitamin")]
    biotin = next(i for i in shipped.ingredients if i.id == "biotin")
    reclassed = biotin.model_copy(update={"ingredient_class": IngredientClass.OTHER})
    newer = replace(
        shipped,
        ingredients=tuple(reclassed if i.id == "biotin" else i for i in shipped.ingredients),
        digest="f" * 64,
    )
    with Catalogue.open(catalogue_path, reference=newer) as cat:
        cat.import_catalogue(make_document("bravo"))  # the dictionary is synced first
        assert stored_classes(cat.conn) == derived_classes(cat.conn)
        assert ("acme/hair-one", "other") in stored_classes(cat.conn)


def test_the_schema_constant_is_what_the_migrations_build() -> None:
    """``connect.SCHEMA_OBJECTS`` (every command's exact schema check) is regenerated by
    hand when a migration changes the schema: print it with ``expected_objects()``."""
    from meso_formulary.catalogue.store import connect

    built = schema.expected_objects()
    assert connect.SCHEMA_OBJECTS_VERSION == schema.SCHEMA_VERSION
    assert built == connect.SCHEMA_OBJECTS, "\n".join(
        f"    {name!r}: {value!r}," for name, value in sorted(built.items())
    )


def test_an_older_file_with_a_foreign_trigger_is_not_upgraded(catalogue_path: Path) -> None:
    Catalogue.open(catalogue_path).close()
    with closing(sqlite3.connect(catalogue_path)) as conn, conn:
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        conn.execute("CREATE TRIGGER zz AFTER INSERT ON meta BEGIN DELETE FROM meta; END")
    with pytest.raises(CatalogueError, match="trigger meso did not create: 'zz'"):
        Catalogue.open(catalogue_path)
    with closing(sqlite3.connect(catalogue_path)) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "3",
        )
