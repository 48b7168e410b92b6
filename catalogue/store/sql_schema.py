"""The catalogue's SQLite schema: explicit DDL, connection settings and migrations.

Every table is created here, by our code, never inferred from data: ``STRICT`` tables,
``CHECK`` constraints that refuse what the model refuses (non-positive or non-finite numbers,
units outside :class:`~meso_formulary.units.Unit`, ids that are not slugs, a cocktail id
outside its supplier's namespace), foreign keys, an index on every link table in both
directions, and an external-content FTS5 table kept in sync by triggers.

Closed vocabularies in ``CHECK`` lists are generated from the enums in
:mod:`meso_formulary.vocabulary` and :mod:`meso_formulary.units`, so the database and the
model cannot disagree about them.

The connection settings, :data:`SCHEMA_VERSION` and :func:`stored_version` live in
:mod:`.connect` (standard library only, for ``meso search``'s start-up) and are re-exported
here.

Schema changes ship as new steps in :data:`MIGRATIONS` (sqlite-utils' ``Migrations``) and
:data:`MIGRATION_NAMES`; :data:`SCHEMA_VERSION` is the number of steps, and is stored in
``meta`` so that a file written by a newer release is refused instead of being misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from typing import Final

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from meso_formulary.catalogue.store.connect import APPLICATION_ID as APPLICATION_ID
from meso_formulary.catalogue.store.connect import BUSY_TIMEOUT_MS as BUSY_TIMEOUT_MS
from meso_formulary.catalogue.store.connect import CATALOGUE_TABLES as CATALOGUE_TABLES
from meso_formulary.catalogue.store.connect import MIGRATION_NAMES as MIGRATION_NAMES
from meso_formulary.catalogue.store.connect import SCHEMA_VERSION as SCHEMA_VERSION
from meso_formulary.catalogue.store.connect import check_schema, schema_objects, schema_rows
from meso_formulary.catalogue.store.connect import check_version as check_version
from meso_formulary.catalogue.store.connect import configure as configure
from meso_formulary.catalogue.store.connect import stored_version as stored_version
from meso_formulary.catalogue.store.screening import VIAS
from meso_formulary.errors import CatalogueError
from meso_formulary.model import RegulatoryStatus
from meso_formulary.units import MAX_VALUE, MIN_VALUE, Unit
from meso_formulary.vocabulary import Area, IngredientClass, Origin, Technique

MIGRATION_SET: Final = "meso-formulary"
"""The name of this schema's migration set in sqlite-utils' ``_sqlite_migrations`` table."""


def _sql_text(value: str) -> str:
    """``value`` as an SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _one_of(column: str, values: Iterable[StrEnum]) -> str:
    """SQL true when ``column`` is one of ``values``, false otherwise (also for NULL).

    Spelled as ``CASE`` rather than ``IN (...)``: in a CHECK, SQLite evaluates an ``IN``
    list through a temporary index for every row, which measured 1.8 us per row against
    0.1 us for ``CASE`` (0.65 s of a 350k-line load).
    """
    whens = " ".join(f"WHEN {_sql_text(v.value)} THEN 1" for v in values)
    return f"(CASE {column} {whens} ELSE 0 END)"


def _one_of_text(column: str, values: Iterable[str]) -> str:
    """:func:`_one_of` for plain strings."""
    whens = " ".join(f"WHEN {_sql_text(v)} THEN 1" for v in values)
    return f"(CASE {column} {whens} ELSE 0 END)"


def _slug_check(expr: str) -> str:
    """SQL that is true when ``expr`` matches :data:`meso_formulary.identifiers.SLUG_RE`."""
    return (
        f"(length({expr}) BETWEEN 1 AND 64 AND {expr} GLOB '[a-z0-9]*' "
        f"AND {expr} GLOB '*[a-z0-9]' AND {expr} NOT GLOB '*[^a-z0-9_-]*')"
    )


def _finite_positive(column: str, *, nullable: bool) -> str:
    """CHECK body: ``column`` is a finite number above zero (NaN is stored as NULL by SQLite)."""
    body = f"({column} > 0 AND {column} < 1e308)"
    return f"({column} IS NULL OR {body})" if nullable else body


def _strength_check() -> str:
    """CHECK body for ``composition.value``/``unit``: both or neither, and a plausible size.

    Written so that it is never NULL (a NULL CHECK passes): SQLite stores a NaN as NULL,
    so a NaN value with a unit must come out false, not unknown.
    """
    per_unit = " ".join(
        f"WHEN {_sql_text(unit.value)} THEN value BETWEEN {MIN_VALUE!r} AND {MAX_VALUE[unit]!r}"
        for unit in Unit
    )
    return f"(CASE WHEN value IS NULL THEN unit IS NULL ELSE (CASE unit {per_unit} ELSE 0 END) END)"


def _json_array(column: str) -> str:
    return f"(json_valid({column}) AND json_type({column}) = 'array')"


TABLES: Final[tuple[str, ...]] = (
    """CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT""",
    f"""CREATE TABLE suppliers (
    id TEXT PRIMARY KEY NOT NULL CHECK {_slug_check("id")},
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    catalogue_version INTEGER NOT NULL CHECK (catalogue_version >= 1),
    signed_by TEXT,
    verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    record TEXT NOT NULL CHECK (json_valid(record)),
    imported_at TEXT NOT NULL
) STRICT""",
    f"""CREATE TABLE ingredients (
    id TEXT PRIMARY KEY NOT NULL CHECK {_slug_check("id")},
    supplier_id TEXT REFERENCES suppliers(id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    inci TEXT,
    ingredient_class TEXT NOT NULL CHECK ({_one_of("ingredient_class", IngredientClass)}),
    origin TEXT CHECK (origin IS NULL OR {_one_of("origin", Origin)}),
    cas TEXT,
    molecular_weight REAL CHECK {_finite_positive("molecular_weight", nullable=True)},
    mg_per_iu REAL CHECK {_finite_positive("mg_per_iu", nullable=True)},
    record TEXT NOT NULL CHECK (json_valid(record))
) STRICT""",
    """CREATE TABLE ingredient_names (
    key TEXT NOT NULL CHECK (length(key) >= 1),
    ingredient_id TEXT NOT NULL REFERENCES ingredients(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (key, ingredient_id)
) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE trusted_keys (
    supplier_id TEXT NOT NULL CHECK {_slug_check("supplier_id")},
    fingerprint TEXT NOT NULL
        CHECK (length(fingerprint) = 64 AND fingerprint NOT GLOB '*[^0-9a-f]*'),
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    added_at TEXT NOT NULL,
    PRIMARY KEY (supplier_id, fingerprint)
) STRICT""",
    """CREATE TABLE indications (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    description TEXT NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record))
) STRICT""",
    """CREATE TABLE indication_synonyms (
    key TEXT NOT NULL CHECK (length(key) >= 1),
    indication_id TEXT NOT NULL REFERENCES indications(id) ON DELETE CASCADE,
    synonym TEXT NOT NULL,
    PRIMARY KEY (key, indication_id)
) STRICT, WITHOUT ROWID""",
    # Small columns first, the large ones (description, search_terms, record: kilobytes) last:
    # a row longer than a page spills onto overflow pages, and SQLite reads a column by
    # walking the row from its start, so the small ones are read from the row's first page.
    # ``classes`` is derived like ``n_actives``: the sorted ingredient classes of the
    # composition, excipient included (the search's class facet and class exclusions). Its
    # DEFAULT only keeps a row written without it (by hand) valid; the importer writes it.
    f"""CREATE TABLE cocktails (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE
        CHECK (id GLOB supplier_id || '/*'
               AND {_slug_check("substr(id, length(supplier_id) + 2)")}),
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    n_actives INTEGER NOT NULL CHECK (n_actives >= 0),
    indications TEXT NOT NULL CHECK {_json_array("indications")},
    areas TEXT NOT NULL CHECK {_json_array("areas")},
    techniques TEXT NOT NULL CHECK {_json_array("techniques")},
    classes TEXT NOT NULL DEFAULT '[]' CHECK {_json_array("classes")},
    regulatory_status TEXT NOT NULL CHECK ({_one_of("regulatory_status", RegulatoryStatus)}),
    vial_volume_ml REAL CHECK {_finite_positive("vial_volume_ml", nullable=True)},
    version TEXT NOT NULL,
    version_no INTEGER NOT NULL CHECK (version_no >= 1),
    digest TEXT NOT NULL CHECK (length(digest) = 64),
    updated_at TEXT NOT NULL,
    description TEXT NOT NULL,
    search_terms TEXT NOT NULL,
    record TEXT NOT NULL
) STRICT""",
    # Counted from 0 as migration 0001 made it; 0005_positions_from_one rebuilds it as
    # COMPOSITION_TABLE, counted from 1.
    f"""CREATE TABLE composition (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    ingredient_id TEXT NOT NULL REFERENCES ingredients(id),
    value REAL,
    unit TEXT,
    mg_per_ml REAL CHECK {_finite_positive("mg_per_ml", nullable=True)},
    CHECK {_strength_check()},
    PRIMARY KEY (cocktail_id, position)
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE cocktail_indications (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    indication_id TEXT NOT NULL REFERENCES indications(id),
    PRIMARY KEY (cocktail_id, indication_id)
) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE cocktail_areas (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    area TEXT NOT NULL CHECK ({_one_of("area", Area)}),
    PRIMARY KEY (cocktail_id, area)
) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE cocktail_techniques (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    technique TEXT NOT NULL CHECK ({_one_of("technique", Technique)}),
    PRIMARY KEY (cocktail_id, technique)
) STRICT, WITHOUT ROWID""",
    # History outlives the cocktail (a later catalogue version may drop it), so no FK to it.
    # ``record`` is NULL for the version that is current (its text is cocktails.record); the
    # history triggers copy it here when the cocktail changes or is removed, so each record
    # is stored once.
    """CREATE TABLE cocktail_versions (
    cocktail_id TEXT NOT NULL,
    version_no INTEGER NOT NULL CHECK (version_no >= 1),
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    catalogue_version INTEGER NOT NULL CHECK (catalogue_version >= 1),
    digest TEXT NOT NULL CHECK (length(digest) = 64),
    record TEXT,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (cocktail_id, version_no),
    CHECK (cocktail_id GLOB supplier_id || '/*')
) STRICT""",
    # One row per imported catalogue document: the document without its cocktails (header)
    # and the cocktails it held listed, in order, in catalogue_version_cocktails (pointing
    # at cocktail_versions), so a past document is reassembled exactly without storing every
    # unchanged cocktail again. The FK to the document row is deferred: the import writes
    # the members while it streams and the document row once its digest is known. (Only
    # that one: inserting a parent row of a deferred FK makes SQLite look for its children,
    # a full scan when their index is dropped for a bulk load; the document row is
    # inserted once per document, and its children are found through this primary key.)
    """CREATE TABLE catalogue_versions (
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    catalogue_version INTEGER NOT NULL CHECK (catalogue_version >= 1),
    digest TEXT NOT NULL CHECK (length(digest) = 64),
    header TEXT NOT NULL CHECK (json_valid(header)),
    n_cocktails INTEGER NOT NULL CHECK (n_cocktails >= 0),
    signed_by TEXT,
    verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    imported_at TEXT NOT NULL,
    PRIMARY KEY (supplier_id, catalogue_version)
) STRICT""",
    """CREATE TABLE catalogue_version_cocktails (
    supplier_id TEXT NOT NULL,
    catalogue_version INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0),
    cocktail_id TEXT NOT NULL,
    version_no INTEGER NOT NULL,
    PRIMARY KEY (supplier_id, catalogue_version, position),
    FOREIGN KEY (supplier_id, catalogue_version)
        REFERENCES catalogue_versions(supplier_id, catalogue_version)
        DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (cocktail_id, version_no) REFERENCES cocktail_versions(cocktail_id, version_no)
) STRICT, WITHOUT ROWID""",
)

DICTIONARY_INDEXES: Final[dict[str, str]] = {
    "idx_ingredients_supplier": "ingredients(supplier_id)",
    "idx_ingredient_names_ingredient": "ingredient_names(ingredient_id, key)",
    "idx_indication_synonyms_indication": "indication_synonyms(indication_id, key)",
}
"""Indexes of the (small) dictionary tables: always present."""

SECONDARY_INDEXES: Final[dict[str, str]] = {
    "idx_cocktails_supplier": "cocktails(supplier_id, id)",
    # What the search reads of the cocktails it filters, orders and shows (see
    # catalogue/engine.py), by each of the three ways it reaches them: a link table's id,
    # name order, a full-text rowid (and the page and facets, by rowid). A table row holds
    # kilobytes of text; these entries some 100 to 300 bytes.
    "idx_cocktails_by_id": (
        "cocktails(id, name, n_actives, classes, disclosure, indications, areas)"
    ),
    "idx_cocktails_by_name": "cocktails(name, id, n_actives, classes)",
    "idx_cocktails_by_pk": (
        "cocktails(pk, id, supplier_id, name, n_actives, indications, classes, disclosure, areas)"
    ),
    # The tie-break order (disclosure, then name), walked by a search whose many matches
    # score alike (catalogue/search/runner.py: _walk_by_rank).
    "idx_cocktails_by_rank": (
        "cocktails(disclosure DESC, name, id, pk, n_actives, classes, indications, areas)"
    ),
    "idx_composition_ingredient": "composition(ingredient_id, cocktail_id)",
    "idx_cocktail_indications_indication": "cocktail_indications(indication_id, cocktail_id)",
    "idx_cocktail_areas_area": "cocktail_areas(area, cocktail_id)",
    "idx_cocktail_techniques_technique": "cocktail_techniques(technique, cocktail_id)",
    "idx_catalogue_version_cocktails_cocktail": (
        "catalogue_version_cocktails(cocktail_id, version_no)"
    ),
}
"""Indexes of the cocktail tables beyond their primary keys: dropped before a bulk load
into an empty catalogue and created afterwards (building an index once is cheaper than
maintaining it row by row)."""

FTS_TABLE: Final = """CREATE VIRTUAL TABLE cocktails_fts USING fts5(
    name, description, search_terms,
    content=[cocktails], content_rowid=[pk],
    tokenize='unicode61 remove_diacritics 2'
)"""
"""External-content FTS5 over ``cocktails``. ``content=[cocktails]`` is spelled with brackets
because that is one of the two forms datasette's ``detect_fts`` recognises (it then offers
a search box on the cocktails table)."""

FTS_TRIGGERS: Final[dict[str, str]] = {
    "cocktails_fts_insert": """AFTER INSERT ON cocktails BEGIN
    INSERT INTO cocktails_fts(rowid, name, description, search_terms)
    VALUES (new.pk, new.name, new.description, new.search_terms);
END""",
    "cocktails_fts_delete": """AFTER DELETE ON cocktails BEGIN
    INSERT INTO cocktails_fts(cocktails_fts, rowid, name, description, search_terms)
    VALUES ('delete', old.pk, old.name, old.description, old.search_terms);
END""",
    "cocktails_fts_update": """AFTER UPDATE OF name, description, search_terms ON cocktails BEGIN
    INSERT INTO cocktails_fts(cocktails_fts, rowid, name, description, search_terms)
    VALUES ('delete', old.pk, old.name, old.description, old.search_terms);
    INSERT INTO cocktails_fts(rowid, name, description, search_terms)
    VALUES (new.pk, new.name, new.description, new.search_terms);
END""",
}
"""The external-content sync triggers (FTS5 'delete' command with the old values)."""

GUARD_TRIGGERS: Final[dict[str, str]] = {
    "cocktails_supplier_immutable": """BEFORE UPDATE OF supplier_id ON cocktails
WHEN new.supplier_id IS NOT old.supplier_id BEGIN
    SELECT RAISE(ABORT, 'supplier namespace is immutable');
END""",
    "cocktails_id_immutable": """BEFORE UPDATE OF id ON cocktails
WHEN new.id IS NOT old.id BEGIN
    SELECT RAISE(ABORT, 'cocktail id is immutable');
END""",
    "ingredients_supplier_immutable": """BEFORE UPDATE OF supplier_id ON ingredients
WHEN new.supplier_id IS NOT old.supplier_id BEGIN
    SELECT RAISE(ABORT, 'supplier namespace is immutable');
END""",
    # Once a supplier's catalogue came from a verified bundle, an unsigned file may not
    # replace it: its made-up version number would block the supplier's genuine updates.
    "suppliers_verified_is_sticky": """BEFORE UPDATE OF verified ON suppliers
WHEN old.verified = 1 AND new.verified = 0 BEGIN
    SELECT RAISE(ABORT, 'a verified supplier cannot be replaced by an unsigned catalogue');
END""",
}
"""Triggers that keep one supplier's rows out of another's namespace."""

HISTORY_TRIGGERS: Final[dict[str, str]] = {
    "cocktails_history_update": """BEFORE UPDATE OF record ON cocktails
WHEN new.version_no IS NOT old.version_no BEGIN
    UPDATE cocktail_versions SET record = old.record
    WHERE cocktail_id = old.id AND version_no = old.version_no AND record IS NULL;
END""",
    "cocktails_history_delete": """BEFORE DELETE ON cocktails BEGIN
    UPDATE cocktail_versions SET record = old.record
    WHERE cocktail_id = old.id AND version_no = old.version_no AND record IS NULL;
END""",
}
"""Triggers that move a superseded or removed cocktail's record into its history row."""


_INITIAL_INDEXES: Final[dict[str, str]] = {
    **{k: v for k, v in SECONDARY_INDEXES.items() if k != "idx_cocktails_by_rank"},
    "idx_cocktails_by_id": "cocktails(id, name, n_actives, classes)",
    "idx_cocktails_by_pk": "cocktails(pk, id, supplier_id, name, n_actives, indications, classes)",
}
""":data:`SECONDARY_INDEXES` as migration ``0001_initial`` made them (before the
``disclosure`` column of ``0004_vocabulary``): a migration step never changes."""


def create_secondary_indexes(conn: sqlite3.Connection) -> None:
    """Create every index of :data:`SECONDARY_INDEXES` that does not exist yet."""
    for name, target in SECONDARY_INDEXES.items():
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_secondary_indexes(conn: sqlite3.Connection) -> None:
    """Drop every index of :data:`SECONDARY_INDEXES` (before a bulk load)."""
    for name in SECONDARY_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def create_fts_triggers(conn: sqlite3.Connection) -> None:
    """Create the triggers that keep ``cocktails_fts`` in step with ``cocktails``."""
    for name, body in FTS_TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def drop_fts_triggers(conn: sqlite3.Connection) -> None:
    """Drop the FTS sync triggers (before a bulk load; :func:`rebuild_fts` follows it)."""
    for name in FTS_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """Rebuild the full-text index from the ``cocktails`` table and merge its segments."""
    conn.execute("INSERT INTO cocktails_fts(cocktails_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO cocktails_fts(cocktails_fts) VALUES ('optimize')")


def analyze(conn: sqlite3.Connection) -> None:
    """Refresh the query planner's statistics, sampling each index (fast on big files)."""
    conn.execute("PRAGMA analysis_limit = 1000")
    conn.execute("ANALYZE")


# ---------------------------------------------------------------- migrations

MIGRATIONS: Final = Migrations(MIGRATION_SET)


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    conn = db.conn
    for statement in TABLES:
        conn.execute(statement)
    for name, target in DICTIONARY_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {target}")
    for name, target in _INITIAL_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {target}")
    conn.execute(FTS_TABLE)
    create_fts_triggers(conn)
    for name, body in (GUARD_TRIGGERS | HISTORY_TRIGGERS).items():
        conn.execute(f"CREATE TRIGGER {name} {body}")


FINDINGS_COLUMN: Final = (
    "ALTER TABLE cocktails ADD COLUMN findings TEXT CHECK (findings IS NULL OR "
    f"{_json_array('findings')})"
)
"""Each cocktail's rule findings, computed when it is written (:mod:`.importer`) and again
when the dictionary changes (:func:`.reference_sync.refresh_derived`), as a JSON array of
``Finding.as_dict()`` objects, so that ``meso show`` and the web page read them without
running the rules engine. NULL only in a row written by hand: "not computed", never "none"."""


@MIGRATIONS(name="0002_findings")
def _findings(db: Database) -> None:
    # Every cocktail's findings are derived by 0003, which runs in the same upgrade (this
    # release writes no file of version 2) and derives every column anew.
    db.conn.execute(FINDINGS_COLUMN)


SCREENING_TABLES: Final[tuple[str, ...]] = (
    # The shipped moiety and allergen groups (kind + id: the two kinds are separate
    # vocabularies), the names each answers to (by word key) and their members. A member
    # row is the group's (declared = 0, written with the reference data) or an ingredient's
    # own ``moieties``/``allergen_groups`` entry (declared = 1, written with the ingredient);
    # a declared moiety may name an ingredient rather than a group, so group_id has no FK.
    # (Primary-key columns come first in each table: SQLite 3.40's integrity_check misreads
    # a NOT NULL column placed before one of a WITHOUT ROWID table's key columns.)
    """CREATE TABLE substance_groups (
    kind TEXT NOT NULL CHECK (kind IN ('moiety', 'allergen')),
    id TEXT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    record TEXT NOT NULL CHECK (json_valid(record)),
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE substance_group_names (
    key TEXT NOT NULL CHECK (length(key) >= 1),
    kind TEXT NOT NULL,
    group_id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (key, kind, group_id),
    FOREIGN KEY (kind, group_id) REFERENCES substance_groups(kind, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE substance_group_members (
    kind TEXT NOT NULL CHECK (kind IN ('moiety', 'allergen')),
    group_id TEXT NOT NULL,
    ingredient_id TEXT NOT NULL REFERENCES ingredients(id) ON DELETE CASCADE,
    declared INTEGER NOT NULL CHECK (declared IN (0, 1)),
    certain INTEGER NOT NULL CHECK (certain IN (0, 1)),
    PRIMARY KEY (kind, group_id, ingredient_id, declared)
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE conditions (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    record TEXT NOT NULL CHECK (json_valid(record))
) STRICT""",
    # Words that look like a concern's but name something else ("cellulitis"): the search
    # never reads them as the concern (reference data, replaced with it).
    """CREATE TABLE near_words (
    key TEXT PRIMARY KEY NOT NULL CHECK (length(key) >= 1),
    word TEXT NOT NULL,
    condition_id TEXT,
    record TEXT NOT NULL CHECK (json_valid(record))
) STRICT, WITHOUT ROWID""",
    """CREATE TABLE condition_words (
    key TEXT NOT NULL CHECK (length(key) >= 1),
    condition_id TEXT NOT NULL REFERENCES conditions(id) ON DELETE CASCADE,
    word TEXT NOT NULL,
    PRIMARY KEY (key, condition_id)
) STRICT, WITHOUT ROWID""",
    # Why each condition rules each cocktail out (.screening), derived like the findings:
    # written with the cocktail and again when the dictionary changes. ``detail`` is the
    # note, the moiety or allergen group, or the plain text that named the condition. A
    # condition id is one of the model's vocabulary; no FK, so that a catalogue made with a
    # reference of its own (no conditions stored) still imports a cocktail that lists one.
    f"""CREATE TABLE cocktail_screening (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    condition_id TEXT NOT NULL,
    via TEXT NOT NULL CHECK ({_one_of_text("via", VIAS)}),
    ingredient_id TEXT,
    detail TEXT,
    PRIMARY KEY (cocktail_id, position)
) STRICT, WITHOUT ROWID""",
)
"""The tables of migration ``0003_screening``."""

SCREENING_TABLE_NAMES: Final = tuple(statement.split()[2] for statement in SCREENING_TABLES)
"""Their names, in the order they are created."""

SCREENING_INDEXES: Final[dict[str, str]] = {
    "idx_substance_group_members_ingredient": "substance_group_members(ingredient_id)",
    "idx_condition_words_condition": "condition_words(condition_id, key)",
    # The search's client screen: the cocktails a condition rules out. Kept through a bulk
    # load (a cocktail has a few rows, the dictionary tables none).
    "idx_cocktail_screening_condition": "cocktail_screening(condition_id, cocktail_id)",
}
"""Indexes of the screening tables: always present."""


def _holds_reference(conn: sqlite3.Connection) -> bool:
    """Whether the catalogue being upgraded already holds a reference dictionary: then a
    migration that adds reference tables fills them (the dictionary is up to date, so
    ``sync_reference`` will not). A new file gets them from ``sync_reference``, which runs
    after the migrations and writes the whole dictionary: writing them here too would
    double the time it takes to create a catalogue."""
    return conn.execute("SELECT 1 FROM meta WHERE key = 'reference_digest'").fetchone() is not None


@MIGRATIONS(name="0003_screening")
def _screening(db: Database) -> None:
    from meso_formulary.catalogue.store.dictionary import ReferenceData
    from meso_formulary.catalogue.store.reference_sync import (
        refresh_derived,
        stored_indications,
        write_screening_reference,
    )

    conn = db.conn
    for statement in SCREENING_TABLES:
        conn.execute(statement)
    for name, target in SCREENING_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {target}")
    if _holds_reference(conn):
        write_screening_reference(conn, ReferenceData.shipped())
    refresh_derived(conn, stored_indications(conn))


VOCABULARY_TABLES: Final[tuple[str, ...]] = (
    f"""CREATE TABLE areas (
    id TEXT PRIMARY KEY NOT NULL CHECK ({_one_of("id", Area)}),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    description TEXT NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record))
) STRICT""",
    # The words the search reads a text by (.search_vocabulary): by folded key, and by
    # Snowball stem in the phrase's language when it has one (reference data, replaced
    # with it).
    """CREATE TABLE search_phrases (
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    kind TEXT NOT NULL CHECK (kind IN ('indication', 'area', 'stop')),
    target TEXT NOT NULL,
    lang TEXT NOT NULL CHECK (lang IN ('', 'en', 'pt', 'es', 'fr', 'de', 'it')),
    stem TEXT,
    phrase TEXT NOT NULL,
    PRIMARY KEY (key, kind, target, lang)
) STRICT, WITHOUT ROWID""",
    # The brand names a cocktail is known by (Cocktail.brands), by folded key.
    """CREATE TABLE cocktail_brands (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    brand TEXT NOT NULL,
    PRIMARY KEY (cocktail_id, key)
) STRICT, WITHOUT ROWID""",
)
"""The tables of migration ``0004_vocabulary``."""

VOCABULARY_TABLE_NAMES: Final = tuple(statement.split()[2] for statement in VOCABULARY_TABLES)

VOCABULARY_INDEXES: Final[dict[str, str]] = {
    "idx_search_phrases_stem": "search_phrases(stem, lang) WHERE stem IS NOT NULL",
    "idx_cocktail_brands_key": "cocktail_brands(key, cocktail_id)",
}
"""Indexes of the vocabulary tables: always present (a cocktail has a brand or two)."""

DISCLOSURE_COLUMN: Final = (
    "ALTER TABLE cocktails ADD COLUMN disclosure REAL NOT NULL DEFAULT 0 "
    "CHECK (disclosure >= 0 AND disclosure <= 1)"
)
"""How much of its use a cocktail documents (:func:`.derive.disclosure`): the search's
last tie-break before the name."""


@MIGRATIONS(name="0004_vocabulary")
def _vocabulary(db: Database) -> None:
    from meso_formulary.catalogue.store.dictionary import ReferenceData
    from meso_formulary.catalogue.store.reference_sync import (
        refresh_cocktail_facets,
        write_vocabulary_reference,
    )

    conn = db.conn
    for statement in VOCABULARY_TABLES:
        conn.execute(statement)
    for name, target in VOCABULARY_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {target}")
    conn.execute(DISCLOSURE_COLUMN)
    for name in ("idx_cocktails_by_id", "idx_cocktails_by_pk", "idx_cocktails_by_rank"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute(f"CREATE INDEX {name} ON {SECONDARY_INDEXES[name]}")
    if _holds_reference(conn):
        write_vocabulary_reference(conn, ReferenceData.shipped())
    refresh_cocktail_facets(conn)


COMPOSITION_TABLE: Final = f"""CREATE TABLE composition (
    cocktail_id TEXT NOT NULL REFERENCES cocktails(id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    ingredient_id TEXT NOT NULL REFERENCES ingredients(id),
    value REAL,
    unit TEXT,
    mg_per_ml REAL CHECK {_finite_positive("mg_per_ml", nullable=True)},
    CHECK {_strength_check()},
    PRIMARY KEY (cocktail_id, position)
) STRICT, WITHOUT ROWID"""
"""The composition lines, ``position`` counted from 1 as the supplier's list is read (the
first line is 1 in ``meso show``, the web page, Datasette and ``sqlite3`` alike)."""


@MIGRATIONS(name="0005_positions_from_one")
def _positions_from_one(db: Database) -> None:
    # SQLite cannot change a CHECK in place: the table is rebuilt under its own name (no
    # other table, trigger or view refers to it) with every line one further on.
    conn = db.conn
    conn.execute("ALTER TABLE composition RENAME TO composition_from_zero")
    conn.execute(COMPOSITION_TABLE)
    conn.execute(
        "INSERT INTO composition SELECT cocktail_id, position + 1, ingredient_id, value, unit, "
        "mg_per_ml FROM composition_from_zero"
    )
    conn.execute("DROP TABLE composition_from_zero")  # and its index
    conn.execute(
        "CREATE INDEX idx_composition_ingredient "
        f"ON {SECONDARY_INDEXES['idx_composition_ingredient']}"
    )


# ---------------------------------------------------------------- connections
# configure() and stored_version() live in the stdlib-only .connect (re-exported above).


def enable_wal(conn: sqlite3.Connection) -> None:
    """Switch a writable file database to WAL (a no-op for in-memory databases)."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode not in ("wal", "memory"):
        raise CatalogueError(f"cannot switch the catalogue to WAL mode (journal mode is {mode!r})")


def upgrade(db: Database) -> int:
    """Bring ``db`` up to :data:`SCHEMA_VERSION`; call inside a ``BEGIN IMMEDIATE`` transaction.

    Returns the version the file had before (0 for a new file). The caller holds the write
    lock, so two processes creating one file cannot both run a step: the second one reads
    the version again after the first has committed.
    """
    conn = db.conn
    if not conn.in_transaction:
        raise RuntimeError("schema upgrade must run inside a write transaction")
    before = check_version(conn, upgradable=True) or 0
    if 0 < before < SCHEMA_VERSION:
        # Nothing of an older file runs before its schema is known to be meso's.
        check_schema(schema_rows(conn), expected_objects(before))
    if before < SCHEMA_VERSION:
        MIGRATIONS.apply(db)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
    return before


@cache
def expected_objects(version: int = SCHEMA_VERSION) -> dict[str, tuple[str, str]]:
    """The schema objects (:func:`.connect.schema_objects`) of a catalogue of ``version``,
    read from one built in memory by the first ``version`` migrations (once per process).

    :data:`.connect.SCHEMA_OBJECTS` holds the current version's as a constant, for the
    start-up of every command; the tests check it against this.
    """
    if not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"no schema version {version}")
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        configure(conn, readonly=False)
        conn.execute("BEGIN IMMEDIATE")
        MIGRATIONS.apply(Database(conn), stop_before=list(MIGRATION_NAMES[version:]))
        conn.execute("COMMIT")
        return schema_objects(schema_rows(conn))
    finally:
        conn.close()
