"""Unsigned drafts: listing them, and removing a supplier's draft with all its rows.

A draft is a supplier whose stored catalogue came from an unsigned file (``meso import
--unsigned``: ``suppliers.verified = 0``). Drafts and verified catalogues never share a
version line: a signed bundle that verifies is compared only with the verified versions of
its supplier, and replaces the supplier's draft, history included (:func:`purge_supplier`,
called by the importer in the bundle's own transaction); a draft can never raise the version
a signed bundle must beat. ``meso drafts remove`` removes a draft the same way.

Removing a supplier removes every row that names it, children first so that every foreign
key holds: its documents (``catalogue_versions`` and their member lists), its cocktails (the
link tables cascade, the full-text index follows by its triggers), its cocktail history, its
own ingredients and the supplier row. Nothing else refers to them: another supplier's
cocktail can use only the reference dictionary and its own ingredients.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """A supplier whose stored catalogue is an unsigned draft."""

    supplier: str
    name: str
    catalogue_version: int
    cocktails: int
    imported_at: str
    key_pinned: bool
    """A key is pinned for the supplier: its next signed bundle replaces the draft."""


@dataclass(frozen=True, slots=True)
class RemovedSupplier:
    """What removing a supplier's rows removed."""

    supplier: str
    catalogue_version: int
    cocktails: int
    """Current cocktails removed."""
    versions: int
    """Stored catalogue documents (versions) removed with their history."""
    ingredients: int
    """The supplier's own ingredients removed."""


_DRAFTS_SQL = """
SELECT s.id, s.name, s.catalogue_version,
       (SELECT count(*) FROM cocktails AS c WHERE c.supplier_id = s.id),
       s.imported_at,
       EXISTS (SELECT 1 FROM trusted_keys AS k WHERE k.supplier_id = s.id)
FROM suppliers AS s WHERE s.verified = 0 AND s.id != 'reference'
"""


def list_drafts(conn: sqlite3.Connection, supplier: str | None = None) -> list[DraftRecord]:
    """Every draft supplier (or ``supplier`` alone, if it is a draft), by id; the shipped
    reference data (supplier ``reference``) is not a draft."""
    if supplier is None:
        rows = conn.execute(_DRAFTS_SQL + " ORDER BY s.id")
    else:
        rows = conn.execute(_DRAFTS_SQL + " AND s.id = ?", (supplier,))
    return [
        DraftRecord(row[0], row[1], int(row[2]), int(row[3]), row[4], bool(row[5])) for row in rows
    ]


def purge_supplier(conn: sqlite3.Connection, supplier: str) -> RemovedSupplier | None:
    """Delete every row of ``supplier`` (see the module doc), inside the caller's write
    transaction; ``None`` when the supplier is not stored."""
    row = conn.execute(
        "SELECT catalogue_version FROM suppliers WHERE id = ?", (supplier,)
    ).fetchone()
    if row is None:
        return None
    versions = conn.execute(
        "SELECT count(*) FROM catalogue_versions WHERE supplier_id = ?", (supplier,)
    ).fetchone()[0]
    conn.execute("DELETE FROM catalogue_version_cocktails WHERE supplier_id = ?", (supplier,))
    conn.execute("DELETE FROM catalogue_versions WHERE supplier_id = ?", (supplier,))
    cocktails = conn.execute("DELETE FROM cocktails WHERE supplier_id = ?", (supplier,)).rowcount
    conn.execute("DELETE FROM cocktail_versions WHERE supplier_id = ?", (supplier,))
    ingredients = conn.execute(
        "DELETE FROM ingredients WHERE supplier_id = ?", (supplier,)
    ).rowcount
    conn.execute("DELETE FROM suppliers WHERE id = ?", (supplier,))
    return RemovedSupplier(supplier, int(row[0]), cocktails, int(versions), ingredients)
