"""The dictionary tables: loading the shipped reference data, refreshing derived columns.

The reference dictionary of a catalogue is every ingredient row without a supplier: the
shipped entries (kept in step with :attr:`ReferenceData.digest`) plus any added later, such
as EU CosIng substances (:mod:`.cosing`). Supplier files resolve names against all of it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

from meso_formulary.catalogue.store.derive import Deriver, brand_rows, disclosure
from meso_formulary.catalogue.store.dictionary import (
    Dictionary,
    ReferenceData,
    name_rows,
    synonym_rows,
)
from meso_formulary.catalogue.store.records import canonical_json
from meso_formulary.catalogue.store.screening import (
    ScreeningRow,
    stored_screening,
    write_declared,
    write_reference,
)
from meso_formulary.catalogue.store.search_vocabulary import (
    PhraseRow,
    phrase_rows,
    write_vocabulary,
)
from meso_formulary.errors import CatalogueError
from meso_formulary.model import Cocktail, Indication, Ingredient
from meso_formulary.rules import Finding, build_context, default_registry


def upsert_ingredient(
    conn: sqlite3.Connection, ingredient: Ingredient, supplier: str | None, *, existed: bool
) -> None:
    conn.execute(
        "INSERT INTO ingredients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
        "SET name = excluded.name, inci = excluded.inci, "
        "ingredient_class = excluded.ingredient_class, origin = excluded.origin, "
        "cas = excluded.cas, molecular_weight = excluded.molecular_weight, "
        "mg_per_iu = excluded.mg_per_iu, record = excluded.record",
        (
            ingredient.id,
            supplier,
            ingredient.name,
            ingredient.inci,
            ingredient.ingredient_class.value,
            ingredient.origin.value if ingredient.origin else None,
            ingredient.cas,
            ingredient.molecular_weight,
            ingredient.mg_per_iu,
            canonical_json(ingredient),
        ),
    )
    if existed:
        conn.execute("DELETE FROM ingredient_names WHERE ingredient_id = ?", (ingredient.id,))
    conn.executemany("INSERT INTO ingredient_names VALUES (?, ?, ?)", name_rows(ingredient))
    write_declared(conn, ingredient, existed=existed)


def reference_ingredients(conn: sqlite3.Connection, shipped: ReferenceData) -> list[Ingredient]:
    """The catalogue's reference dictionary, with ``shipped`` entries taking precedence.

    (They are equal once :func:`sync_reference` has run; before, the shipped data is newer.)
    """
    entries = {
        ingredient.id: ingredient
        for ingredient in (
            Ingredient.model_validate_json(row[0])
            for row in conn.execute("SELECT record FROM ingredients WHERE supplier_id IS NULL")
        )
    }
    entries.update((ingredient.id, ingredient) for ingredient in shipped.ingredients)
    return list(entries.values())


def sync_reference(conn: sqlite3.Connection, reference: ReferenceData) -> bool:
    """Load ``reference`` into the dictionary tables unless it is there already.

    Returns True when something was written. Reference entries are added or updated, never
    removed (a stored cocktail may still use one a later release dropped).
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'reference_digest'").fetchone()
    if row is not None and row[0] == reference.digest:
        return False
    for ingredient in reference.ingredients:
        owner = conn.execute(
            "SELECT supplier_id FROM ingredients WHERE id = ? AND supplier_id IS NOT NULL",
            (ingredient.id,),
        ).fetchone()
        if owner is not None:
            raise CatalogueError(
                f"the reference dictionary now defines ingredient {ingredient.id!r}, which "
                f"supplier {owner[0]!r} also defines; re-import that supplier's catalogue with "
                "another id for it first"
            )
        upsert_ingredient(conn, ingredient, None, existed=True)
    for indication in reference.indications:
        conn.execute(
            "INSERT INTO indications VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "name = excluded.name, description = excluded.description, record = excluded.record",
            (
                indication.id.value,
                indication.name,
                indication.description,
                canonical_json(indication),
            ),
        )
        conn.execute(
            "DELETE FROM indication_synonyms WHERE indication_id = ?", (indication.id.value,)
        )
        conn.executemany(
            "INSERT INTO indication_synonyms VALUES (?, ?, ?)", synonym_rows(indication)
        )
    write_screening_reference(conn, reference)
    write_vocabulary_reference(conn, reference)
    conn.execute(
        "INSERT INTO meta VALUES ('reference_digest', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (reference.digest,),
    )
    return True


def write_screening_reference(conn: sqlite3.Connection, reference: ReferenceData) -> None:
    """Write ``reference``'s moiety and allergen groups, client conditions and near-words
    (the screening tables of :mod:`.screening`)."""
    write_reference(
        conn,
        reference.moieties,
        reference.allergen_groups,
        reference.conditions,
        reference.near_words,
    )


_PHRASE_ROWS: dict[int, tuple[ReferenceData, list[PhraseRow]]] = {}
"""The phrase rows of each reference data set met in this process (by identity, the set
kept alive beside them so that its id is never reused): folding and stemming some 3,600
phrases costs 60 ms, and every new catalogue writes them."""


def write_vocabulary_reference(conn: sqlite3.Connection, reference: ReferenceData) -> None:
    """Write ``reference``'s treatment areas and the search's phrases (indications' and
    areas' words, function words: :mod:`.search_vocabulary`)."""
    cached = _PHRASE_ROWS.get(id(reference))
    if cached is None or cached[0] is not reference:
        rows = phrase_rows(reference.indications, reference.areas, dict(reference.function_words))
        cached = _PHRASE_ROWS[id(reference)] = (reference, rows)
    write_vocabulary(conn, reference.areas, cached[1])


def refresh_cocktail_facets(conn: sqlite3.Connection) -> None:
    """Recompute every cocktail's brand rows and disclosure from its record (after the
    migration that added them; an import writes them with the cocktail)."""
    conn.execute("DELETE FROM cocktail_brands")
    for record, _supplier_name in _cocktail_records(conn):
        cocktail = Cocktail.model_validate_json(record)
        conn.executemany("INSERT INTO cocktail_brands VALUES (?, ?, ?)", brand_rows(cocktail))
        conn.execute(
            "UPDATE cocktails SET disclosure = ? WHERE id = ?", (disclosure(cocktail), cocktail.id)
        )


def refresh_derived(conn: sqlite3.Connection, indications: Iterable[Indication]) -> None:
    """Recompute every cocktail's derived columns, rule findings and screening rows after
    the dictionary changed (``indications``: the catalogue's, as :func:`stored_indications`
    reads them)."""
    everything = [
        Ingredient.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM ingredients")
    ]
    indications = tuple(indications)
    dictionary = Dictionary(everything)
    deriver = Deriver(dictionary, {i.id.value: i for i in indications})
    context = build_context(ingredients=dictionary.ingredients, indications=indications)
    rules = default_registry()
    screener = stored_screening(conn).screener(dictionary.ingredients)
    for record, supplier_name in _cocktail_records(conn):
        cocktail = Cocktail.model_validate_json(record)
        refresh_screening(conn, cocktail.id, screener.rows(cocktail))
        derived = deriver.derive(cocktail, supplier_name)
        classes = json.dumps(derived.classes)
        findings = findings_json(rules.check(cocktail, context))
        conn.execute(
            "UPDATE cocktails SET search_terms = ?, n_actives = ?, classes = ?, findings = ? "
            "WHERE id = ? AND (search_terms IS NOT ? OR n_actives IS NOT ? OR classes IS NOT ? "
            "OR findings IS NOT ?)",
            (
                derived.search_terms,
                derived.n_actives,
                classes,
                findings,
                cocktail.id,
                derived.search_terms,
                derived.n_actives,
                classes,
                findings,
            ),
        )
        conn.executemany(
            "UPDATE composition SET mg_per_ml = ? WHERE cocktail_id = ? AND position = ? "
            "AND mg_per_ml IS NOT ?",
            [(row[5], row[0], row[1], row[5]) for row in derived.composition],
        )


def refresh_screening(conn: sqlite3.Connection, cocktail_id: str, rows: list[ScreeningRow]) -> None:
    """Replace ``cocktail_id``'s screening rows by ``rows`` when they differ."""
    stored = conn.execute(
        "SELECT cocktail_id, position, condition_id, via, ingredient_id, detail "
        "FROM cocktail_screening WHERE cocktail_id = ? ORDER BY position",
        (cocktail_id,),
    ).fetchall()
    if stored != rows:
        conn.execute("DELETE FROM cocktail_screening WHERE cocktail_id = ?", (cocktail_id,))
        conn.executemany(SCREENING_INSERT, rows)


SCREENING_INSERT = "INSERT INTO cocktail_screening VALUES (?, ?, ?, ?, ?, ?)"
"""Insert one :data:`~.screening.ScreeningRow` (columns in the table's order)."""


def findings_json(findings: Iterable[Finding]) -> str:
    """What ``cocktails.findings`` holds: the findings as a JSON array, in their order."""
    return json.dumps(
        [finding.as_dict() for finding in findings], ensure_ascii=False, separators=(",", ":")
    )


def stored_indications(conn: sqlite3.Connection) -> list[Indication]:
    """The indications stored in the catalogue on ``conn``."""
    return [
        Indication.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM indications ORDER BY id")
    ]


def _cocktail_records(conn: sqlite3.Connection, chunk: int = 1000) -> Iterator[tuple[str, str]]:
    """Every cocktail's record and supplier name, read ``chunk`` rows at a time by ``pk``."""
    last = 0
    while True:
        rows = conn.execute(
            "SELECT c.pk, c.record, s.name FROM cocktails c "
            "JOIN suppliers s ON s.id = c.supplier_id WHERE c.pk > ? ORDER BY c.pk LIMIT ?",
            (last, chunk),
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield from ((record, name) for _pk, record, name in rows)
