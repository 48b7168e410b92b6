"""Where a supplier's catalogue came from: the one definition every front end shows.

A cocktail is ``verified`` (its supplier's catalogue came from a signed bundle that
verified against a key pinned in this catalogue; the key's fingerprint is kept), a
``draft`` (an unsigned file imported with ``meso import --unsigned``) or ``reference`` (the
data shipped with meso-formulary, in the reference catalogue the library builds itself).

The supplier id :data:`REFERENCE_SUPPLIER` is reserved for the shipped data: no imported
file may use it (:mod:`.importer` admits under it only the shipped reference catalogue the
library itself loads), so an unsigned row of supplier ``reference`` is the shipped data.

Standard library only, and ``NamedTuple`` rather than a dataclass: ``meso search`` reads
provenance for every hit, and this module is on its start-up path.
"""

import sqlite3
from collections.abc import Iterable
from typing import Any, Final, Literal, NamedTuple

REFERENCE_SUPPLIER: Final = "reference"
"""The supplier of the shipped reference data; reserved (see the module doc)."""

ProvenanceKind = Literal["verified", "draft", "reference"]


class Provenance(NamedTuple):
    """How a supplier's catalogue came into this catalogue (see the module doc)."""

    kind: ProvenanceKind
    catalogue_version: int
    signed_by: str | None
    """The signing key's fingerprint (64 hex digits) when verified."""

    @property
    def verified(self) -> bool:
        return self.kind == "verified"

    @property
    def key(self) -> str | None:
        """The signing key's fingerprint, its first four groups: ``ab12 cd34 ef56 7890``."""
        if not self.signed_by:
            return None
        return " ".join(self.signed_by[i : i + 4] for i in range(0, 16, 4))

    @property
    def text(self) -> str:
        """The words every front end shows: ``signed, verified (key ab12 cd34 ef56 7890 ...)``,
        ``unsigned draft`` or ``shipped reference data``."""
        if self.kind == "reference":
            return "shipped reference data"
        if self.kind == "verified":
            return f"signed, verified (key {self.key} ...)"
        return "unsigned draft"

    @property
    def label(self) -> str:
        """One short word for a table column or a badge: ``verified``, ``draft``, ``reference``."""
        return self.kind

    def as_dict(self) -> dict[str, Any]:
        """The provenance as JSON-ready values (``meso show --json``, ``meso search --json``,
        the web's JSON)."""
        return {
            "kind": self.kind,
            "catalogue_version": self.catalogue_version,
            "verified": self.verified,
            "signed_by": self.signed_by,
            "status": self.text,
        }


def provenance(
    supplier: str,
    catalogue_version: int,
    verified: bool,
    signed_by: str | None,
) -> Provenance:
    """The provenance of ``supplier``'s stored catalogue (the columns of its ``suppliers``
    row)."""
    if verified and signed_by:
        return Provenance("verified", catalogue_version, signed_by)
    if supplier == REFERENCE_SUPPLIER:
        return Provenance("reference", catalogue_version, None)
    return Provenance("draft", catalogue_version, None)


def supplier_provenance(
    conn: sqlite3.Connection, suppliers: Iterable[str]
) -> dict[str, Provenance]:
    """The provenance of each of ``suppliers`` that is stored (one query)."""
    wanted = sorted(set(suppliers))
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = conn.execute(
        f"SELECT id, catalogue_version, verified, signed_by FROM suppliers WHERE id IN ({marks})",
        wanted,
    )
    return {row[0]: provenance(row[0], int(row[1]), bool(row[2]), row[3]) for row in rows}
