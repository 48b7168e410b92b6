"""Where a supplier's catalogue came from: the one definition every front end shows.

A cocktail is ``verified`` (its supplier's catalogue came from a signed bundle that
verified against a key pinned in this catalogue; the key's fingerprint is kept), a
``draft`` (an unsigned file imported with ``meso import --unsigned``) or ``reference`` (the
data shipped with meso-formulary, in the reference catalogue the library builds itself).

The supplier id :data:`REFERENCE_SUPPLIER` is reserved for the shipped data: no imported
file may use it (:mod:`.importer` admits under it only the documents
:func:`shipped_reference` makes, :func:`is_shipped_reference`), so an unsigned row of
supplier ``reference`` is the shipped data.

Standard library only, and ``NamedTuple`` rather than a dataclass: ``meso search`` reads
provenance for every hit, and this module is on its start-up path.
"""

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

if TYPE_CHECKING:
    from meso_formulary.model import CatalogueFile

REFERENCE_SUPPLIER: Final = "reference"
"""The supplier of the shipped reference data; reserved (see the module doc)."""

_MADE: dict[int, "CatalogueFile"] = {}
"""The renumbered copies :func:`shipped_reference` made (by id, each kept alive beside its
id so that the id is never reused), the last few only."""

_MADE_KEPT: Final = 4


def shipped_reference(version: int | None = None) -> "CatalogueFile":
    """The reference catalogue shipped with the package, the one document supplier
    ``reference`` may hold: as the library loads it, or its content under catalogue version
    ``version`` (a catalogue holding the shipped data counts its own versions of it: a data
    release that changes the cocktails is its next version, whatever the files number it).
    """
    from meso_formulary.reference import reference_catalogue

    shipped = reference_catalogue()
    if version is None or version == shipped.version:
        return shipped
    copy = shipped.model_copy(update={"version": version})
    while len(_MADE) >= _MADE_KEPT:
        _MADE.pop(next(iter(_MADE)))
    _MADE[id(copy)] = copy
    return copy


def is_shipped_reference(document: "CatalogueFile") -> bool:
    """Whether ``document`` is one :func:`shipped_reference` made (the very object: no file,
    however like the shipped data, passes)."""
    from meso_formulary.reference import reference_catalogue

    return document is reference_catalogue() or _MADE.get(id(document)) is document


def reference_outdated(conn: sqlite3.Connection) -> bool:
    """Whether the catalogue on ``conn`` holds shipped reference cocktails from another
    release of the data than the package's: a clinic's own catalogue not yet refreshed
    (``meso init`` or its next import refreshes it). A read-only front end says so and
    writes nothing. (The embedded reference catalogue is rebuilt instead: its file is named
    by the data.)"""
    from meso_formulary import reference

    row = conn.execute(
        "SELECT (SELECT value FROM meta WHERE key = 'reference_digest'), "
        "EXISTS (SELECT 1 FROM suppliers WHERE id = ?)",
        (REFERENCE_SUPPLIER,),
    ).fetchone()
    return bool(row[1]) and row[0] != reference.data_digest()


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
