"""The one way the store writes: a ``BEGIN IMMEDIATE`` transaction, committed or rolled back.

``BEGIN IMMEDIATE`` takes the write lock up front. A deferred ``BEGIN`` that reads and then
writes fails at once in WAL mode when another connection committed in between
(``SQLITE_BUSY_SNAPSHOT``, which the busy timeout cannot help); taking the lock first makes
the busy timeout apply, and a writer that still cannot get it gets :class:`CatalogueBusy`.

sqlite-utils calls made inside the transaction become savepoints of it, so nothing they do
is committed on its own (sqlite-utils 4 commits ``insert_all`` per batch otherwise).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from meso_formulary.errors import CatalogueBusy, CatalogueError


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "database is locked" in text or "database is busy" in text


@contextmanager
def write_transaction(conn: sqlite3.Connection, where: str) -> Iterator[None]:
    """Run the block in one write transaction on ``conn`` (``where`` names the file in errors)."""
    if conn.in_transaction:
        raise RuntimeError(f"{where}: a transaction is already open on this connection")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if _is_busy(error):
            raise CatalogueBusy(
                f"{where}: import in progress (another process holds the write lock)"
            ) from None
        raise CatalogueError(f"{where}: cannot start a write transaction: {error}") from error
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
