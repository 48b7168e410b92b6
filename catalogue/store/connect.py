"""Connection settings, the schema version check, and opening a catalogue file to read it.

Standard library only: ``meso search`` opens its catalogue through :func:`open_readonly`
without loading the store (:mod:`.store` imports sqlite-utils and pydantic, some 100 ms of
start-up). :mod:`.schema` re-exports everything here, and :class:`~.store.Catalogue` opens
files with the same settings and the same version check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from meso_formulary.errors import CatalogueError

APPLICATION_ID: Final = 0x4D45534F
"""``PRAGMA application_id`` of a catalogue file ("MESO"), so ``file(1)`` and we can tell."""

BUSY_TIMEOUT_MS: Final = 5000
"""How long a connection waits for another writer before giving up (milliseconds)."""

CACHE_KIB: Final = 32768
"""Page cache per connection (KiB; SQLite's default is 2 MiB). The search reads covering
indexes of some 30 MB at 100k cocktails; with the default, most of its reads are system
calls. The cache only grows as pages are read, so a small catalogue never uses it all."""

MIGRATION_NAMES: Final[tuple[str, ...]] = (
    "0001_initial",
    "0002_findings",
    "0003_screening",
    "0004_vocabulary",
)
"""Every migration step, oldest first; a new release appends here and to
:data:`.schema.MIGRATIONS`."""

SCHEMA_VERSION: Final = len(MIGRATION_NAMES)
"""The schema version this release writes: the number of migration steps."""

CATALOGUE_TABLES: Final = frozenset({"meta", "suppliers", "cocktails", "ingredients"})
"""Tables whose presence (with ``meta.schema_version``) marks a file as a catalogue."""

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""


def configure(
    conn: sqlite3.Connection, *, readonly: bool, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> None:
    """Apply the settings every connection needs: foreign keys, busy timeout, page cache,
    sync level.

    (WAL is a property of the file, set once by :func:`.schema.enable_wal` when it is opened
    for writing; a read-only connection keeps whatever journal mode the file has.)
    """
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
        return
    conn.execute("PRAGMA synchronous = NORMAL")


def stored_version(conn: sqlite3.Connection) -> int | None:
    """The schema version stored in ``meta``, or ``None`` for an empty (new) file.

    Raises :class:`CatalogueError` for an SQLite file that is not a catalogue.
    """
    tables = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    }
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if not tables and app_id == 0:
        return None
    if app_id != APPLICATION_ID or not tables >= CATALOGUE_TABLES:
        raise CatalogueError(
            "not a meso-formulary catalogue: the file is an SQLite database of something else",
            hint="open a catalogue file, or give a new file name to create one",
        )
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise CatalogueError(
            f"damaged catalogue: meta.schema_version is {None if row is None else row[0]!r}"
        )
    return int(row[0])


def check_version(conn: sqlite3.Connection, *, upgradable: bool) -> int | None:
    """The one schema-version check: the version stored in ``conn``'s catalogue, if this
    release may use it.

    Every way of opening a catalogue goes through here (:func:`open_readonly`,
    :class:`~meso_formulary.catalogue.store.catalogue_store.Catalogue`, the schema upgrade,
    the web pages), so each refuses the same files with the same words. ``upgradable`` is
    true for a connection that may write: an empty file (``None`` is returned) or an older
    schema is then accepted, to be created or upgraded; a newer schema never is. Raises
    :class:`CatalogueError` with the reason (and a hint when there is something to do).
    """
    version = stored_version(conn)
    if version is None:
        if upgradable:
            return None
        raise CatalogueError(
            f"holds no catalogue; this release reads schema version {SCHEMA_VERSION}",
            hint="import a catalogue into it first (meso import FILE --db ...)",
        )
    if version > SCHEMA_VERSION:
        raise CatalogueError(
            f"the catalogue has schema version {version}, newer than this release "
            f"reads ({SCHEMA_VERSION})",
            hint="upgrade meso-formulary to open this file",
        )
    if version < SCHEMA_VERSION and not upgradable:
        raise CatalogueError(
            f"the catalogue has the older schema version {version}; "
            "open it once for writing to upgrade it",
            hint="meso import --db FILE upgrades it, or rebuild it with this release",
        )
    return version


def connect_file(
    path: Path,
    *,
    readonly: bool,
    create: bool = True,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> sqlite3.Connection:
    """A raw connection to the catalogue file at ``path``: the one place a file is opened.

    Refuses, naming the file, a directory, a missing file (unless ``create`` and not
    ``readonly``) and a file that is not an SQLite database, before SQLite touches it. The
    caller applies :func:`configure` and :func:`check_version`.
    """
    where = str(path)
    if path.is_dir():
        raise CatalogueError(f"{where} is a directory, not a catalogue file")
    exists = path.exists()
    if not exists and (readonly or not create):
        raise CatalogueError(f"no catalogue at {where}")
    try:
        if exists:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
            if head and head != SQLITE_MAGIC:
                raise CatalogueError(f"{where} is not a catalogue: it is not an SQLite database")
        if readonly:
            return sqlite3.connect(
                path.resolve().as_uri() + "?mode=ro", uri=True, timeout=busy_timeout_ms / 1000
            )
        return sqlite3.connect(where, timeout=busy_timeout_ms / 1000)
    except FileNotFoundError:
        raise CatalogueError(f"no catalogue at {where}") from None
    except OSError as error:
        raise CatalogueError(f"cannot open {where}: {error.strerror or error}") from error
    except sqlite3.Error as error:
        raise CatalogueError(f"cannot open {where}: {error}") from error


def open_readonly(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A read-only connection to the catalogue at ``path``, configured and version-checked.

    Raises :class:`CatalogueError`, naming the file, when it is missing, a directory, not a
    catalogue, or of a schema version this release does not read. (A file in WAL mode needs
    its folder to be writable or its ``-shm`` file present, as with any SQLite reader.)
    """
    conn = connect_file(path, readonly=True, busy_timeout_ms=busy_timeout_ms)
    try:
        configure(conn, readonly=True, busy_timeout_ms=busy_timeout_ms)
        check_version(conn, upgradable=False)
    except CatalogueError as error:
        conn.close()
        raise CatalogueError(f"{path}: {error.message}", hint=error.hint) from error
    except sqlite3.Error as error:
        conn.close()
        raise CatalogueError(f"{path}: cannot open the catalogue: {error}") from error
    return conn


__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_MS",
    "CATALOGUE_TABLES",
    "MIGRATION_NAMES",
    "SCHEMA_VERSION",
    "SQLITE_MAGIC",
    "check_version",
    "configure",
    "connect_file",
    "open_readonly",
    "stored_version",
]
