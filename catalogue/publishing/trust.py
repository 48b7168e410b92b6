"""The trust store: supplier keys a practitioner has pinned, kept inside the catalogue file.

Keys live in the ``trusted_keys`` table of the catalogue they protect, so pinning a key and
importing with it use the same file and the same transactions, and a copied catalogue keeps
its trust decisions. The last imported catalogue version of each supplier, which replay
protection compares against, is the store's own ``suppliers.catalogue_version`` (with
``verified = 1`` when that import was a verified bundle).

Adding a key is deliberate: the practitioner compares the fingerprint with what the
supplier says on an invoice, a website or the phone. There is no trust on first use.

A plain (unsigned) catalogue file imports only when asked for explicitly, as a local draft
(:func:`check_plain_file`), and never for a supplier that signs its catalogues
(:meth:`TrustStore.check_unsigned`).
:func:`~meso_formulary.catalogue.publishing.importing.import_files`, the one import path,
applies both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from meso_formulary.catalogue.publishing.keys import (
    PublicKey,
    check_public_key,
    check_supplier_id,
    group_fingerprint,
    normalise_fingerprint,
)
from meso_formulary.catalogue.store.provenance import REFERENCE_SUPPLIER
from meso_formulary.catalogue.store.records import utc_now
from meso_formulary.catalogue.store.transaction import write_transaction
from meso_formulary.errors import CatalogueError, NotFound, TrustError

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.catalogue_store import Catalogue


def check_plain_file(source: str, *, unsigned: bool) -> None:
    """Refuse the plain catalogue file ``source`` unless ``unsigned`` asks for a local draft.

    Only a signed bundle says who published a catalogue; a plain file imports as an
    unverified draft, and only on purpose.
    """
    if not unsigned:
        raise TrustError(
            f"{source} is an unsigned catalogue file, not a signed bundle",
            hint="import the supplier's signed bundle (made by `meso publish`), or pass "
            "--unsigned (unsigned=True in Python) to import this file as an unverified "
            "local draft",
        )


@dataclass(frozen=True, slots=True)
class PinnedKey:
    """A key pinned for a supplier, and when.

    ``stored_fingerprint`` is the fingerprint column of the key's row as the file holds it:
    the row's primary key, which removal deletes by. For a row meso wrote it equals
    ``key.fingerprint``; a row written by other hands may differ, and removal must still
    remove exactly that row.
    """

    key: PublicKey
    added_at: str
    stored_fingerprint: str | None = None

    @property
    def supplier(self) -> str:
        """The supplier the key is pinned for."""
        return self.key.supplier

    @property
    def row_fingerprint(self) -> str:
        """The fingerprint the key's row is stored under."""
        return self.stored_fingerprint or self.key.fingerprint


@dataclass(frozen=True, slots=True)
class SupplierState:
    """What the catalogue holds for a supplier: its catalogue version and how it came."""

    catalogue_version: int
    verified: bool
    signed_by: str | None


class TrustStore:
    """Pinned keys and supplier import state of one catalogue connection."""

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self._conn = conn
        self._where = where

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; SQLite errors explained."""
        try:
            with write_transaction(self._conn, self._where):
                yield self._conn
        except sqlite3.Error as exc:
            raise CatalogueError(f"{self._where}: cannot change the trust store: {exc}") from exc

    def pinned(self, supplier: str | None = None) -> tuple[PinnedKey, ...]:
        """Every pinned key (of ``supplier`` when given), by supplier then date."""
        query = "SELECT supplier_id, public_key, added_at, fingerprint FROM trusted_keys"
        args: tuple[str, ...] = ()
        if supplier is not None:
            query += " WHERE supplier_id = ?"
            args = (supplier,)
        rows = self._conn.execute(query + " ORDER BY supplier_id, added_at", args).fetchall()
        return tuple(PinnedKey(PublicKey(row[0], bytes(row[1])), row[2], row[3]) for row in rows)

    def add(self, key: PublicKey) -> bool:
        """Pin ``key`` for its supplier; False when it was pinned already.

        A weak key (small order, non-canonical: see
        :func:`~meso_formulary.catalogue.publishing.keys.point_weakness`) is refused with
        :class:`TrustError`: any signature would verify with it; so is a key for the reserved
        supplier id ``reference`` (the shipped data).
        """
        check_public_key(key)
        if key.supplier == REFERENCE_SUPPLIER:
            raise TrustError(
                f"supplier id {REFERENCE_SUPPLIER!r} is reserved for the data shipped with "
                "meso-formulary: no key can sign for it",
                hint="a supplier's key names the supplier's own id",
            )
        if any(p.key.raw == key.raw for p in self.pinned(key.supplier)):
            return False
        with self._writing() as conn:
            cursor = conn.execute(
                "INSERT INTO trusted_keys VALUES (?, ?, ?, ?) "
                "ON CONFLICT(supplier_id, fingerprint) DO NOTHING",
                (key.supplier, key.fingerprint, key.raw, utc_now()),
            )
        return cursor.rowcount == 1

    def remove(self, supplier: str, fingerprint: str | None = None) -> tuple[PinnedKey, ...]:
        """Unpin ``supplier``'s key with ``fingerprint``, or all its keys; returns them.

        Each row found is deleted by its primary key as stored (never by a fingerprint
        computed again), and the store is read back: a key still pinned afterwards (a row
        that could not be deleted, or one put back behind meso's back) raises
        :class:`CatalogueError` instead of a report of success.
        """
        check_supplier_id(supplier)
        wanted = None if fingerprint is None else normalise_fingerprint(fingerprint)
        pinned = [
            k
            for k in self.pinned(supplier)
            if wanted is None or wanted in (k.key.fingerprint, k.row_fingerprint)
        ]
        if not pinned:
            which = "" if wanted is None else f" with fingerprint {group_fingerprint(wanted)}"
            raise NotFound(
                f"no key{which} is pinned for supplier {supplier!r}",
                hint="`meso trust list` shows the pinned keys",
            )
        with self._writing() as conn:
            for key in pinned:
                deleted = conn.execute(
                    "DELETE FROM trusted_keys WHERE supplier_id = ? AND fingerprint = ?",
                    (supplier, key.row_fingerprint),
                ).rowcount
                if deleted != 1:
                    raise self._still_pinned(key)
        remaining = {p.key.raw for p in self.pinned(supplier)}
        for key in pinned:
            if key.key.raw in remaining:
                raise self._still_pinned(key)
        return tuple(pinned)

    def _still_pinned(self, pinned: PinnedKey) -> CatalogueError:
        return CatalogueError(
            f"{self._where}: the key {pinned.key.grouped_fingerprint} of supplier "
            f"{pinned.supplier!r} is still pinned after removing it: the catalogue file has "
            "been altered",
            hint="do not import with this catalogue; build a new one and pin only the keys "
            "you have checked",
        )

    def supplier_state(self, supplier: str) -> SupplierState | None:
        """The catalogue version stored for ``supplier`` and whether it was verified."""
        row = self._conn.execute(
            "SELECT catalogue_version, verified, signed_by FROM suppliers WHERE id = ?",
            (supplier,),
        ).fetchone()
        return None if row is None else SupplierState(int(row[0]), bool(row[1]), row[2])

    def check_unsigned(self, supplier: str, source: str) -> None:
        """Refuse an unsigned file from ``source`` for a supplier that signs its catalogues.

        A supplier with a pinned key, or whose stored catalogue came from a verified bundle,
        publishes signed bundles here: an unsigned file could otherwise pose as it, and its
        made-up version number would block the supplier's genuine updates.
        """
        state = self.supplier_state(supplier)
        if self.pinned(supplier) or (state is not None and state.verified):
            raise TrustError(
                f"{source}: supplier {supplier!r} publishes signed bundles here; an unsigned "
                "file cannot replace its catalogue",
                hint="import the supplier's signed bundle instead",
            )


def catalogue_trust(catalogue: Catalogue) -> TrustStore:
    """The trust store kept inside ``catalogue``."""
    return TrustStore(catalogue.conn, str(catalogue.path or ":memory:"))
