"""Exporting stored catalogue documents as JSON, YAML or CSV, in files import reads back.

A supplier's export is its catalogue document exactly as imported (composition lines name
ingredient ids, as resolved on import), reassembled from the stored header and the cocktail
versions it listed, so ``version=V`` gives back a past publication. Every format is one
catalogue file that :func:`~meso_formulary.files.read_catalogue` (``meso validate``,
``meso import``) reads back:

- JSON and YAML hold the whole document: imported into another catalogue, it exports the
  same text again.
- CSV is the supplier CSV layout (:mod:`meso_formulary.files.csv_reader`, the columns
  :data:`CSV_COLUMNS`), one row per composition line. It has no column for the supplier's
  own ingredients, protocols, aftercare and other fields: :func:`write_export` returns a
  note naming what was left out, and refuses a document whose composition names one of
  the supplier's own ingredients (the CSV would not import), or that the layout cannot
  hold at all.

A file holds one supplier's catalogue, so ``supplier=None`` exports the only supplier of
the catalogue, and refuses a catalogue of several (:func:`supplier_ids` lists them: export
them one by one, one file each). Supplier ``reference`` (the shipped data) exports like any
other, with a note: its id is reserved, and ``meso import`` refuses the file.
"""

from __future__ import annotations

import io
import json
import sqlite3
from typing import IO, Final, Literal

from meso_formulary.catalogue.store.provenance import REFERENCE_SUPPLIER
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound, Problem
from meso_formulary.files import dump_catalogue, parse_csv, validate_document
from meso_formulary.files.writers import CSV_COLUMNS, write_catalogue_csv
from meso_formulary.model import CatalogueFile
from meso_formulary.names import suggest

ExportFormat = Literal["json", "yaml", "csv"]
FORMATS: Final[tuple[ExportFormat, ...]] = ("json", "yaml", "csv")

CSV_FIELDS: Final = CSV_COLUMNS
"""The columns of a CSV export: those of the supplier CSV layout."""

EXTENSIONS: Final[dict[ExportFormat, str]] = {"json": ".json", "yaml": ".yaml", "csv": ".csv"}
"""The file name extension of each format, by which the readers tell it."""

RESERVED_NOTE: Final = (
    f"supplier {REFERENCE_SUPPLIER!r} is the reference data shipped with meso-formulary, a "
    "reserved id: read this export, but meso import refuses it in any catalogue"
)


def supplier_ids(conn: sqlite3.Connection) -> list[str]:
    """Every supplier with a stored document, sorted."""
    return [row[0] for row in conn.execute("SELECT id FROM suppliers ORDER BY id")]


def document(conn: sqlite3.Connection, supplier: str, version: int | None = None) -> CatalogueFile:
    """Supplier ``supplier``'s document: the latest one, or catalogue version ``version``."""
    versions = [
        row[0]
        for row in conn.execute(
            "SELECT catalogue_version FROM catalogue_versions WHERE supplier_id = ? "
            "ORDER BY catalogue_version",
            (supplier,),
        )
    ]
    if not versions:
        close = suggest(supplier, supplier_ids(conn))
        hint = f"did you mean {', '.join(close)}?" if close else None
        raise NotFound(f"no supplier {supplier!r} in the catalogue", hint=hint)
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise NotFound(
            f"supplier {supplier!r} has no catalogue version {version}",
            hint=f"stored versions: {', '.join(map(str, versions))}",
        )
    header = conn.execute(
        "SELECT header FROM catalogue_versions WHERE supplier_id = ? AND catalogue_version = ?",
        (supplier, chosen),
    ).fetchone()[0]
    data = json.loads(header)
    data["cocktails"] = []
    for cocktail_id, record in conn.execute(
        # A version's record is in its history row, or in cocktails while it is current.
        "SELECT m.cocktail_id, coalesce(v.record, c.record) FROM catalogue_version_cocktails m "
        "JOIN cocktail_versions v ON v.cocktail_id = m.cocktail_id AND v.version_no = m.version_no "
        "LEFT JOIN cocktails c ON c.id = v.cocktail_id AND c.version_no = v.version_no "
        "WHERE m.supplier_id = ? AND m.catalogue_version = ? ORDER BY m.position",
        (supplier, chosen),
    ):
        if record is None:
            raise CatalogueError(
                f"damaged catalogue: the record of {cocktail_id!r} in version {chosen} of "
                f"supplier {supplier!r} is missing"
            )
        data["cocktails"].append(json.loads(record))
    return CatalogueFile.model_validate(data)


def exported_supplier(conn: sqlite3.Connection, supplier: str | None, version: int | None) -> str:
    """The supplier an export of ``supplier`` (``None``: the catalogue's only one) is of."""
    if supplier is not None:
        return supplier
    if version is not None:
        raise InvalidInput(
            "a catalogue version belongs to one supplier",
            [Problem("give a supplier with the version", path="version", value=version)],
        )
    suppliers = supplier_ids(conn)
    if not suppliers:
        raise NotFound(
            "the catalogue holds no supplier's catalogue to export",
            hint="import one first (meso import FILE --db ...)",
        )
    if len(suppliers) > 1:
        raise InvalidInput(
            f"the catalogue holds {len(suppliers)} suppliers' catalogues "
            f"({', '.join(suppliers)}); an export file holds one, as meso import reads it",
            hint="export one supplier (--supplier S), or every supplier into a folder, "
            "one file each (-o FOLDER/)",
        )
    return suppliers[0]


def csv_export(doc: CatalogueFile) -> tuple[str, list[str]]:
    """The CSV export of ``doc``, and what it leaves out (field paths: ``ingredients``,
    ``cocktails.protocol``...), found by reading it back; raises :class:`InvalidInput`
    when the CSV would not import."""
    own = {ingredient.id for ingredient in doc.ingredients}
    used = sorted({line.ingredient for c in doc.cocktails for line in c.composition} & own)
    hint = "export it as JSON or YAML (--format json), which hold every field"
    if used:
        raise InvalidInput(
            f"supplier {doc.supplier.id!r}'s cocktails use its own ingredients "
            f"({', '.join(used)}), which the CSV layout has no columns for: the CSV would "
            "not import",
            hint=hint,
        )
    buffer = io.StringIO()
    write_catalogue_csv(doc, buffer)
    text = buffer.getvalue()
    back, problems = validate_document(parse_csv(text, "export.csv"))
    if back is None:
        raise InvalidInput(
            f"supplier {doc.supplier.id!r}'s catalogue does not fit the CSV layout",
            problems,
            hint=hint,
        )
    header, header_back = (d.model_dump(exclude={"cocktails"}) for d in (doc, back))
    lost = [key for key, value in header.items() if value != header_back[key]]
    for before, after in zip(doc.cocktails, back.cocktails, strict=True):
        lost += [
            f"cocktails.{key}"
            for key, value in before.model_dump().items()
            if value != after.model_dump()[key] and f"cocktails.{key}" not in lost
        ]
    return text, lost


def write_export(
    conn: sqlite3.Connection,
    stream: IO[str],
    fmt: ExportFormat = "json",
    *,
    supplier: str | None = None,
    version: int | None = None,
) -> list[str]:
    """Write the export of ``supplier`` (``None``: the catalogue's only supplier) to
    ``stream`` as one catalogue file, and return notes for the reader: what a CSV left
    out, that supplier ``reference`` is reserved (module doc)."""
    if fmt not in FORMATS:  # a caller's mistake: ExportFormat says which (the CLI offers those)
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    doc = document(conn, exported_supplier(conn, supplier, version), version)
    notes = [RESERVED_NOTE] if doc.supplier.id == REFERENCE_SUPPLIER else []
    if fmt == "csv":
        text, lost = csv_export(doc)
        if lost:
            notes.append(
                f"the CSV layout has no columns for {', '.join(lost)}: "
                "export as JSON or YAML for a complete copy"
            )
        stream.write(text)
    else:
        stream.write(dump_catalogue(doc, fmt))
    return notes
