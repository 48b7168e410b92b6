"""The catalogue's lists and counts, read from the rows with the standard library.

``meso indications``, ``meso ingredients`` and ``meso stats`` print these without loading
the models (pydantic is most of a read command's start-up); :class:`~.catalogue_store.Catalogue`
builds its typed answers on the same queries, so both say the same.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from meso_formulary.errors import InvalidInput, Problem
from meso_formulary.identifiers import name_key
from meso_formulary.vocabulary import IngredientClass


@dataclass(frozen=True)
class CatalogueStats:
    """Counts and facts about a catalogue file."""

    suppliers: int
    cocktails: int
    ingredients: int
    indications: int
    composition_lines: int
    per_indication: dict[str, int]
    schema_version: int
    built_at: str | None
    source: str | None
    reference_digest: str | None
    file_size: int | None
    """Bytes on disk (main file plus WAL), ``None`` in memory."""
    unsigned_suppliers: tuple[str, ...] = ()
    """Suppliers whose current catalogue is an unsigned draft, not a verified bundle."""


_UNSIGNED_SQL = "SELECT id FROM suppliers WHERE verified = 0 AND id != 'reference' ORDER BY id"
"""The unsigned drafts (the shipped reference data, also unsigned, is not one)."""


def catalogue_stats(conn: sqlite3.Connection, path: Path | None) -> CatalogueStats:
    """Counts of everything in the catalogue on ``conn`` (whose file is ``path``, or
    ``None`` in memory), its schema version and when it was built."""

    def count(table: str) -> int:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def meta(key: str) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    per_indication = {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT i.id, count(ci.cocktail_id) FROM indications i LEFT JOIN "
            "cocktail_indications ci ON ci.indication_id = i.id GROUP BY i.id ORDER BY i.id"
        )
    }
    size = None
    if path is not None:
        wal = Path(f"{path}-wal")
        size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return CatalogueStats(
        suppliers=count("suppliers"),
        cocktails=count("cocktails"),
        ingredients=count("ingredients"),
        indications=count("indications"),
        composition_lines=count("composition"),
        per_indication=per_indication,
        schema_version=int(meta("schema_version") or 0),
        built_at=meta("built_at"),
        source=meta("source"),
        reference_digest=meta("reference_digest"),
        file_size=size,
        unsigned_suppliers=tuple(row[0] for row in conn.execute(_UNSIGNED_SQL)),
    )


def indication_records(conn: sqlite3.Connection) -> list[str]:
    """Every indication's stored record (JSON text), by id."""
    return [row[0] for row in conn.execute("SELECT record FROM indications ORDER BY id")]


def condition_records(conn: sqlite3.Connection) -> list[str]:
    """Every client condition's stored record (JSON text), by id."""
    return [row[0] for row in conn.execute("SELECT record FROM conditions ORDER BY id")]


def area_records(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every treatment area's stored record (JSON text) in the model's order, with how
    many cocktails treat it."""
    return [
        (record, int(n))
        for record, n in conn.execute(
            "SELECT a.record, (SELECT count(*) FROM cocktail_areas AS ca WHERE ca.area = a.id) "
            "FROM areas AS a ORDER BY a.rowid"
        )
    ]


def ingredient_records(
    conn: sqlite3.Connection, ingredient_class: str | None = None, text: str | None = None
) -> list[str]:
    """Stored dictionary records (JSON text), by id: of one class, and/or with a name
    containing ``text``.

    ``text`` is matched against every name, INCI name and synonym by
    :func:`~meso_formulary.identifiers.name_key`, so spelling variants match. Raises
    :class:`InvalidInput` for a class that is not an
    :class:`~meso_formulary.vocabulary.IngredientClass`.
    """
    where: list[str] = []
    params: list[str] = []
    if ingredient_class is not None:
        classes = [c.value for c in IngredientClass]
        if ingredient_class not in classes:
            from meso_formulary.names import either, suggest

            close = suggest(str(ingredient_class), classes)
            raise InvalidInput(
                f"unknown ingredient class {ingredient_class!r}",
                [
                    Problem(
                        "not an ingredient class", path="ingredient_class", value=ingredient_class
                    )
                ],
                hint=f"did you mean {either(close)}?" if close else None,
            )
        where.append("ingredient_class = ?")
        params.append(str(ingredient_class))
    if text is not None:
        key = name_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(
            "id IN (SELECT ingredient_id FROM ingredient_names "
            "WHERE key LIKE '%' || ? || '%' ESCAPE '\\')"
        )
        params.append(key)
    sql = "SELECT record FROM ingredients"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [row[0] for row in conn.execute(sql + " ORDER BY id", params)]
