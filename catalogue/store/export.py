"""Exporting stored catalogue documents as JSON, YAML or CSV.

A supplier's export is its catalogue document exactly as imported (composition lines name
ingredient ids, as resolved on import), reassembled from the stored header and the cocktail
versions it listed, so ``version=V`` gives back a past publication. The whole catalogue
(``supplier=None``) is every supplier's current document, by supplier id: a JSON array of
documents, or a YAML stream of documents separated by ``---``. CSV has one row per
composition line, with its canonical mg/mL where it can be computed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import IO, Final, Literal

from meso_formulary.catalogue.store.derive import Deriver
from meso_formulary.catalogue.store.dictionary import Dictionary
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound, Problem
from meso_formulary.files import catalogue_data, dump_catalogue, write_csv
from meso_formulary.model import CatalogueFile, Indication, Ingredient
from meso_formulary.names import suggest

ExportFormat = Literal["json", "yaml", "csv"]
FORMATS: Final[tuple[ExportFormat, ...]] = ("json", "yaml", "csv")

CSV_FIELDS: Final = (
    "supplier",
    "catalogue_version",
    "cocktail_id",
    "cocktail_name",
    "position",
    "ingredient_id",
    "ingredient_name",
    "value",
    "unit",
    "mg_per_ml",
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


def _documents(
    conn: sqlite3.Connection, supplier: str | None, version: int | None
) -> Iterator[CatalogueFile]:
    if supplier is not None:
        yield document(conn, supplier, version)
        return
    if version is not None:
        raise InvalidInput(
            "a catalogue version belongs to one supplier",
            [Problem("give a supplier with the version", path="version", value=version)],
        )
    for supplier_id in supplier_ids(conn):
        yield document(conn, supplier_id)


def _csv_rows(
    conn: sqlite3.Connection, documents: Iterator[CatalogueFile]
) -> Iterator[dict[str, object]]:
    ingredients = [
        Ingredient.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM ingredients")
    ]
    indications = {
        row[0]: Indication.model_validate_json(row[1])
        for row in conn.execute("SELECT id, record FROM indications")
    }
    for doc in documents:
        # A past version may use an own ingredient a later version dropped: its header has it.
        dictionary = Dictionary(ingredients, doc.ingredients)
        deriver = Deriver(dictionary, indications)
        for cocktail in doc.cocktails:
            derived = deriver.derive(cocktail, doc.supplier.name)
            for _id, position, ingredient_id, value, unit, mg_per_ml in derived.composition:
                yield {
                    "supplier": doc.supplier.id,
                    "catalogue_version": doc.version,
                    "cocktail_id": cocktail.id,
                    "cocktail_name": cocktail.name,
                    "position": position,
                    "ingredient_id": ingredient_id,
                    "ingredient_name": dictionary.ingredients[ingredient_id].name,
                    "value": value,
                    "unit": unit,
                    "mg_per_ml": mg_per_ml,
                }


def write_export(
    conn: sqlite3.Connection,
    stream: IO[str],
    fmt: ExportFormat = "json",
    *,
    supplier: str | None = None,
    version: int | None = None,
) -> None:
    """Write the export of ``supplier`` (or every supplier) to ``stream`` (module doc)."""
    if fmt not in FORMATS:  # a caller's mistake: ExportFormat says which (the CLI offers those)
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    documents = _documents(conn, supplier, version)
    if fmt == "csv":
        write_csv(_csv_rows(conn, documents), stream, CSV_FIELDS)
    elif supplier is not None:
        stream.write(dump_catalogue(next(documents), fmt))
    elif fmt == "json":
        data = [catalogue_data(doc) for doc in documents]
        stream.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        for doc in documents:
            stream.write("---\n" + dump_catalogue(doc, "yaml"))
