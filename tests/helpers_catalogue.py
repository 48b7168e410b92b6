"""Shared helpers for the reliability tests: content digests, seeding, child-process jobs.

:func:`content_digest` is the "is the catalogue exactly as it was?" check of the bad-input,
crash-safety, concurrency and fuzz tests: a sha256 over the schema (``sqlite_master``) and
over every row of every table, read in primary-key order. The FTS5 shadow tables are left
out (their bytes depend on segment merges, not on content); :func:`integrity_problems`
checks them against the ``cocktails`` table instead.

Run as a script, this module is the child process that holds a write lock for the crash
tests (``python tests/helpers_catalogue.py hold-lock DB``); :func:`stepped_import` is the
child that they kill. Neither needs pytest, only the installed package and ``bench/gen.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.publishing.importing import import_files
from meso_formulary.catalogue.store import importer
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.importer import ImportProgress, ProgressCallback
from meso_formulary.files import read_catalogue
from meso_formulary.model import CatalogueFile
from meso_formulary.reference import reference_catalogue

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "acme-catalogue.yaml"
"""The valid supplier catalogue every test catalogue is seeded with (supplier ``acme``)."""
WEB_ACME = REPO / "tests" / "fixtures" / "web-acme.yaml"
"""Reference data plus a supplier with a lidocaine hair cocktail and hostile text."""

VOLATILE_COLUMNS = frozenset({"imported_at", "updated_at", "applied_at"})
"""Columns holding the time of a write: left out when comparing two separate imports."""

FTS_PREFIX = "cocktails_fts"
"""The FTS5 table and its shadow tables (``_data``, ``_idx``, ``_docsize``, ``_config``)."""


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path`` (WAL recovery still happens, as for any reader)."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE ? ORDER BY name",
            (FTS_PREFIX + "%",),
        )
    ]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _rows(conn: sqlite3.Connection, *, ignore_times: bool) -> Iterator[str]:
    for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "ORDER BY type, name"
    ):
        yield f"schema {kind} {name} {sql}"
    for table in _tables(conn):
        columns = [c for c in _columns(conn, table) if not (ignore_times and c in VOLATILE_COLUMNS)]
        names = ", ".join(f'"{c}"' for c in columns)
        order = ", ".join(str(n) for n in range(1, len(columns) + 1))
        yield f"table {table} {names}"
        for row in conn.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}'):
            yield repr(row)


def connection_digest(conn: sqlite3.Connection, *, ignore_times: bool = False) -> str:
    """The content digest (see :func:`content_digest`) of an open connection's database."""
    digest = hashlib.sha256()
    for line in _rows(conn, ignore_times=ignore_times):
        digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def content_digest(path: Path, *, ignore_times: bool = False) -> str:
    """sha256 over the schema and every row of every table of the catalogue at ``path``.

    ``ignore_times`` leaves out :data:`VOLATILE_COLUMNS`, so that two separate imports of
    the same document into copies of one catalogue give the same digest.
    """
    with closing(connect_readonly(path)) as conn:
        return connection_digest(conn, ignore_times=ignore_times)


def undo_positions(conn: sqlite3.Connection) -> None:
    """Take migration ``0005_positions_from_one`` out of an open catalogue file, as a release
    before it wrote the file: composition lines counted from 0. (The caller sets the schema
    version it means.)"""
    (from_zero,) = (ddl for ddl in schema.TABLES if ddl.startswith("CREATE TABLE composition"))
    conn.execute("ALTER TABLE composition RENAME TO composition_from_one")
    conn.execute(from_zero)
    conn.execute(
        "INSERT INTO composition SELECT cocktail_id, position - 1, ingredient_id, value, unit, "
        "mg_per_ml FROM composition_from_one"
    )
    conn.execute("DROP TABLE composition_from_one")
    conn.execute(
        "CREATE INDEX idx_composition_ingredient ON composition(ingredient_id, cocktail_id)"
    )
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0005_positions_from_one'")


def undo_vocabulary(conn: sqlite3.Connection) -> None:
    """Take migration ``0004_vocabulary`` out of an open catalogue file, as a release before
    it wrote the file: no areas, search phrases or brands tables, no ``disclosure`` column,
    the two covering indexes without it, no tie-break index. (The caller sets the schema
    version it means.)"""
    for table in schema.VOCABULARY_TABLE_NAMES:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP INDEX idx_cocktails_by_id")
    conn.execute("DROP INDEX idx_cocktails_by_pk")
    conn.execute("DROP INDEX idx_cocktails_by_rank")
    conn.execute("ALTER TABLE cocktails DROP COLUMN disclosure")
    conn.execute("CREATE INDEX idx_cocktails_by_id ON cocktails(id, name, n_actives, classes)")
    conn.execute(
        "CREATE INDEX idx_cocktails_by_pk ON "
        "cocktails(pk, id, supplier_id, name, n_actives, indications, classes)"
    )
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0004_vocabulary'")


def integrity_problems(path: Path) -> list[str]:
    """What ``integrity_check``, ``foreign_key_check`` and FTS5's own check report (empty: ok)."""
    with closing(sqlite3.connect(path)) as conn:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
        try:
            conn.execute(
                f"INSERT INTO {FTS_PREFIX}({FTS_PREFIX}, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as error:
            problems.append(f"fts: {error}")
        conn.rollback()
    return problems


def report_line(config: Any, line: str) -> None:
    """Print ``line`` in pytest's terminal output, outside any capture (not under xdist)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


def cocktail_count(path: Path, supplier: str) -> int:
    """How many current cocktails ``supplier`` has in the catalogue at ``path``."""
    with closing(connect_readonly(path)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM cocktails WHERE supplier_id = ?", (supplier,)
        ).fetchone()
    return int(row[0])


def seed_catalogue(path: Path) -> Path:
    """Create a catalogue at ``path`` holding the example supplier catalogue (``acme``)."""
    with Catalogue.open(path) as catalogue:
        catalogue.import_catalogue(read_catalogue(EXAMPLE))
    return path


def published_catalogue(path: Path) -> Path:
    """Create at ``path`` a catalogue as published for the web pages: the reference catalogue
    and :data:`WEB_ACME`, in rollback-journal mode (one file), closed."""
    with Catalogue.open(path) as catalogue:
        catalogue.import_catalogue(reference_catalogue())
        import_files(catalogue, [WEB_ACME], unsigned=True)
        catalogue.conn.execute("PRAGMA journal_mode = DELETE")
    return path


def copy_catalogue(source: Path, target: Path) -> Path:
    """Copy the catalogue at ``source`` to ``target`` with SQLite's backup API (WAL included)."""
    with closing(connect_readonly(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def load_gen() -> ModuleType:
    """``bench/gen.py``, the deterministic synthetic catalogue generator."""
    spec = importlib.util.spec_from_file_location("meso_bench_gen", REPO / "bench" / "gen.py")
    if spec is None or spec.loader is None:
        raise ImportError("bench/gen.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def write_generated(n: int, path: Path, *, seed: int = 7, suppliers: int | None = None) -> Path:
    """Write generated cocktails to ``path`` as JSON Lines, in ``bench/gen.py``'s format.

    ``n`` cocktails are shared out over 40 suppliers, as the benchmarks do; ``suppliers``
    keeps only the first (largest) ones, for a smaller file with the same shape.
    """
    documents = load_gen().documents(n, seed)
    with path.open("w", encoding="utf-8") as out:
        for header, cocktails in itertools.islice(documents, suppliers):
            for record in itertools.chain((header,), cocktails):
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def import_jsonl(
    catalogue: Catalogue, path: Path, *, progress: ProgressCallback | None = None
) -> None:
    """Import every document of a generated JSON Lines file in one transaction."""
    gen = load_gen()
    with catalogue.importing(progress=progress) as session:
        for header, cocktails in gen.read_jsonl(path):
            session.add(CatalogueFile.model_validate(header), cocktails)


def versioned_catalogue(supplier: str, version: int, count: int) -> dict[str, Any]:
    """A small valid catalogue of ``supplier``: ``count`` cocktails, ids tagged ``v<version>``.

    Every version replaces the previous one completely (no id is shared between versions),
    so a reader can tell from the ids and the count which version it sees.
    """
    return {
        "format": "meso-formulary/1",
        "supplier": {"id": supplier, "name": f"{supplier} (test)"},
        "version": version,
        "cocktails": [
            {
                "id": f"{supplier}/v{version}-{k}",
                "name": f"Version {version} cocktail {k}",
                "supplier": supplier,
                "description": f"Cocktail {k} of version {version}, for concurrency tests.",
                "composition": [
                    {"ingredient": "biotin", "strength": {"value": 0.5, "unit": "mg/mL"}},
                    {"ingredient": "dexpanthenol", "strength": {"value": 20, "unit": "mg/mL"}},
                ],
                "indications": ["alopecia"],
                "areas": ["scalp"],
            }
            for k in range(count)
        ],
    }


def stepped_import(db: str, jsonl: str, batch: int, channel: Connection) -> None:
    """Child process: import a generated file into ``db`` in one transaction, step by step.

    At every progress stage the child sends ``"stage cocktails supplier"`` over ``channel``
    and waits for an answer before it goes on, so a parent that kills it instead knows
    exactly where the import stood. ``batch`` replaces the importer's batch size, so that
    one document is written in several batches. ``"done"`` follows the commit.
    """

    def pause(progress: ImportProgress) -> None:
        channel.send(f"{progress.stage} {progress.cocktails} {progress.supplier or '-'}")
        channel.recv()  # EOFError, and so a rollback, if the parent has gone

    with mock.patch.object(importer, "BATCH", batch), Catalogue.open(Path(db)) as catalogue:
        import_jsonl(catalogue, Path(jsonl), progress=pause)
    channel.send("done")


def _child_hold_lock(db: str) -> None:
    """Child job: hold the write lock (``BEGIN IMMEDIATE``) until stdin closes."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.read()
    conn.execute("ROLLBACK")
    conn.close()


JOBS: dict[str, Callable[..., None]] = {
    "hold-lock": _child_hold_lock,
}


def child_command(job: str, *args: str | os.PathLike[str]) -> list[str]:
    """The command line that runs ``job`` of this module in a new Python process."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}")
    return [sys.executable, str(Path(__file__).resolve()), job, *map(str, args)]


def main(argv: list[str]) -> None:
    """``helpers_catalogue.py JOB ARGS...``: run one child job."""
    job, *args = argv
    JOBS[job](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
