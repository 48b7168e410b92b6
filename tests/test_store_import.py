"""Importing: reports, history, name resolution, namespaces, derived columns, and atomicity."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from meso_formulary.catalogue import Catalogue, ReferenceData
from meso_formulary.catalogue.publishing.importing import import_files
from meso_formulary.catalogue.store import importer
from meso_formulary.catalogue.store.derive import Derived, Deriver
from meso_formulary.catalogue.store.export import ExportFormat
from meso_formulary.catalogue.store.reference_sync import upsert_ingredient
from meso_formulary.catalogue.store.transaction import write_transaction
from meso_formulary.errors import CatalogueError, InvalidInput
from meso_formulary.files import dump_catalogue
from meso_formulary.model import CatalogueFile, Cocktail, Ingredient
from meso_formulary.units import Strength, Unit, to_mg_per_ml

Factory = Callable[..., Any]


ACME_PEPTIDE = {
    "id": "acme-peptide",
    "name": "Acme peptide",
    "class": "peptide",
    "source": "acme label",
}
"""A supplier-specific ingredient, as a supplier file would declare it."""


def every_export(catalogue: Catalogue, fmt: ExportFormat = "json") -> dict[str, str]:
    """Every supplier's export (an export file holds one supplier's catalogue)."""
    return {s.id: catalogue.export(fmt, supplier=s.id) for s in catalogue.suppliers()}


def content_digest(conn: sqlite3.Connection) -> str:
    """sha256 over every row of every table but the FTS shadow tables, in key order."""
    digest = hashlib.sha256()
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'cocktails_fts%' ORDER BY name"
        )
    ]
    for table in tables:
        digest.update(table.encode())
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def fts_ok(conn: sqlite3.Connection) -> bool:
    conn.execute("INSERT INTO cocktails_fts(cocktails_fts, rank) VALUES ('integrity-check', 1)")
    conn.rollback()
    return bool(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


def matches(cat: Catalogue, query: str) -> list[str]:
    return [
        row[0]
        for row in cat.conn.execute(
            "SELECT c.id FROM cocktails_fts f JOIN cocktails c ON c.pk = f.rowid "
            "WHERE cocktails_fts MATCH ? ORDER BY c.id",
            (query,),
        )
    ]


# ---------------------------------------------------------------- reports and history


def test_first_import_reports_added(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    doc = make_document("acme", [make_cocktail("acme", "a"), make_cocktail("acme", "b")])
    report = catalogue.import_catalogue(doc, signed_by="key:acme-2026", verified=True)
    assert report.added == ("acme/a", "acme/b")
    assert report.changed == report.unchanged == report.removed == ()
    assert report.cocktails == 2 and not report.already_imported
    row = catalogue.conn.execute("SELECT signed_by, verified FROM suppliers").fetchone()
    assert row == ("key:acme-2026", 1)
    assert fts_ok(catalogue.conn)


def test_unchanged_reimport_is_a_no_op(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    doc = make_document("acme", [make_cocktail("acme", "a"), make_cocktail("acme", "b")])
    catalogue.import_catalogue(doc)
    before = (every_export(catalogue), content_digest(catalogue.conn), catalogue.conn.total_changes)
    report = catalogue.import_catalogue(doc)
    after = (every_export(catalogue), content_digest(catalogue.conn), catalogue.conn.total_changes)
    assert report.already_imported and report.unchanged == ("acme/a", "acme/b")
    assert report.added == report.changed == report.removed == ()
    assert after == before  # total_changes equal: not a single row was written


def test_a_new_version_adds_changes_keeps_and_removes(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    v1 = make_document("acme", [make_cocktail("acme", s) for s in ("keep", "change", "drop")])
    catalogue.import_catalogue(v1)
    v1_export = catalogue.export(supplier="acme")
    v2 = make_document(
        "acme",
        [
            make_cocktail("acme", "keep"),
            make_cocktail("acme", "change", [("biotin", 1.0, "mg/mL")]),
            make_cocktail("acme", "new"),
        ],
        version=2,
    )
    report = catalogue.import_catalogue(v2)
    assert (report.added, report.changed, report.unchanged, report.removed) == (
        ("acme/new",),
        ("acme/change",),
        ("acme/keep",),
        ("acme/drop",),
    )

    history = catalogue.history("acme/change")
    assert [(v.version_no, v.catalogue_version) for v in history] == [(1, 1), (2, 2)]
    assert history[0].digest != history[1].digest
    assert history[0].imported_at <= history[1].imported_at
    assert [v.version_no for v in catalogue.history("acme/keep")] == [1]
    assert [v.version_no for v in catalogue.history("acme/drop")] == [1]  # history outlives it
    stored = catalogue.conn.execute(
        "SELECT cocktail_id, version_no, record IS NULL FROM cocktail_versions ORDER BY 1, 2"
    ).fetchall()
    assert stored == [  # each record once: the current one lives in cocktails.record
        ("acme/change", 1, 0), ("acme/change", 2, 1), ("acme/drop", 1, 0),
        ("acme/keep", 1, 1), ("acme/new", 1, 1),
    ]  # fmt: skip
    assert catalogue.get("acme/change").composition[0].strength == Strength(value=1.0, unit="mg/mL")

    assert catalogue.export(supplier="acme", version=1) == v1_export
    assert CatalogueFile.model_validate_json(catalogue.export(supplier="acme")).version == 2
    assert matches(catalogue, "drop") == [] and matches(catalogue, "new") == ["acme/new"]
    assert fts_ok(catalogue.conn)


def test_a_dropped_cocktail_that_comes_back_unchanged_keeps_its_version(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    a, b = make_cocktail("acme", "a"), make_cocktail("acme", "b")
    catalogue.import_catalogue(make_document("acme", [a, b]))
    catalogue.import_catalogue(make_document("acme", [a], version=2))
    report = catalogue.import_catalogue(make_document("acme", [a, b], version=3))
    assert report.added == ("acme/b",)
    assert [v.version_no for v in catalogue.history("acme/b")] == [1]
    assert catalogue.export(supplier="acme", version=3) != catalogue.export(
        supplier="acme", version=2
    )


def test_older_or_reused_versions_are_refused(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    catalogue.import_catalogue(make_document("acme", [make_cocktail("acme", "a")], version=5))
    before = content_digest(catalogue.conn)
    with pytest.raises(InvalidInput) as stale:
        catalogue.import_catalogue(make_document("acme", [make_cocktail("acme", "a")], version=4))
    assert [p.path for p in stale.value.problems] == ["version"]
    assert "older than the stored version 5" in str(stale.value)
    changed = make_cocktail("acme", "a", [("biotin", 2.0, "mg/mL")])
    with pytest.raises(InvalidInput, match="already imported with different content"):
        catalogue.import_catalogue(make_document("acme", [changed], version=5))
    assert content_digest(catalogue.conn) == before


def test_a_version_sqlite_cannot_store_is_a_problem_not_a_crash(
    catalogue: Catalogue, make_document: Factory
) -> None:
    huge = make_document("acme").model_copy(update={"version": 2**70})
    for run in (catalogue.import_catalogue, lambda doc: catalogue.import_stream(doc, [])):
        with pytest.raises(InvalidInput) as error:
            run(huge)
        assert [(p.path, p.code) for p in error.value.problems] == [("version", "too_large")]
    assert catalogue.stats().suppliers == 0


# ---------------------------------------------------------------- name resolution


def test_every_unknown_name_is_reported_with_its_path_and_suggestions(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    doc = make_document(
        "acme",
        [
            make_cocktail("acme", "a", [("biotin", 1, "mg/mL"), ("biotinn", 1, "mg/mL")]),
            make_cocktail("acme", "b", [("dexpanthenoll", 1, "mg/mL"), ("zzqqxx", 1, "mg/mL")]),
        ],
    )
    with pytest.raises(InvalidInput) as error:
        catalogue.import_catalogue(doc)
    problems = {p.path: p for p in error.value.problems}
    assert set(problems) == {
        "cocktails.0.composition.1.ingredient",
        "cocktails.1.composition.0.ingredient",
        "cocktails.1.composition.1.ingredient",
    }
    assert problems["cocktails.0.composition.1.ingredient"].value == "biotinn"
    assert (
        "did you mean 'biotin' (Biotin)" in problems["cocktails.0.composition.1.ingredient"].message
    )
    assert "Dexpanthenol" in problems["cocktails.1.composition.0.ingredient"].message
    assert "did you mean" not in problems["cocktails.1.composition.1.ingredient"].message
    assert catalogue.stats().cocktails == 0


def test_the_stream_path_reports_the_same_problems(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    bad = make_cocktail("acme", "a", [("biotinn", 1, "mg/mL")])
    worse = make_cocktail("acme", "b", [("biotin", -1, "mg/mL")])
    header = make_document("acme", [])
    with pytest.raises(InvalidInput) as error:
        catalogue.import_stream(header, [bad, worse, {"id": 3}])
    paths = [p.path for p in error.value.problems]
    assert "cocktails.0.composition.0.ingredient" in paths
    assert "cocktails.1.composition.0.strength.value" in paths
    assert "cocktails.2.id" in paths and "cocktails.2.name" in paths
    assert catalogue.stats().cocktails == 0


def test_unicode_variants_of_a_name_resolve_to_one_ingredient(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    own = {
        "id": "acme-licorice",
        "name": "Extrait de réglisse",
        "class": "plant_extract",
        "source": "acme label",
    }
    b12 = ["Vitamin B12", "vitamin B₁₂", "VITAMIN\u00a0B12", "  vitamin   b12 ", "Cyanocobalamin"]
    licorice = [
        unicodedata.normalize("NFC", "Extrait de réglisse"),
        unicodedata.normalize("NFD", "Extrait de réglisse"),
        "EXTRAIT DE RÉGLISSE",
        "extrait\u00a0de\u2003réglisse",
    ]
    cocktails = [
        make_cocktail("acme", f"c{k}", [(b, 1, "µg/mL"), (lic, None, None)])
        for k, (b, lic) in enumerate(zip(b12, licorice * 2, strict=False))
    ]
    catalogue.import_catalogue(make_document("acme", cocktails, ingredients=[own]))
    used = {row[0] for row in catalogue.conn.execute("SELECT ingredient_id FROM composition")}
    assert used == {"cyanocobalamin", "acme-licorice"}
    assert [i.id for i in catalogue.ingredients(text="b₁₂")] == ["cyanocobalamin"]
    assert matches(catalogue, "B12") == [f"acme/c{k}" for k in range(5)]


def test_ids_win_in_any_spelling_and_own_names_shadow_reference_names(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    own = {
        "id": "acme-b7",
        "name": "Acme B7 complex",
        "class": "vitamin",
        "synonyms": ["biotin", "vitamin H"],
        "source": "acme label",
    }
    doc = make_document(
        "acme",
        [make_cocktail("acme", "a", [("BIOTIN", 1, "mg/mL"), ("Vitamin H", 1, "mg/mL")])],
        ingredients=[own],
    )
    catalogue.import_catalogue(doc)
    assert [line.ingredient for line in catalogue.get("acme/a").composition] == [
        "biotin",
        "acme-b7",
    ]


def test_reference_entries_added_later_resolve_too(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    cosing = Ingredient.model_validate(
        {"id": "zztest-glycoside", "name": "ZZTEST GLYCOSIDE", "class": "antioxidant",
         "source": "EU CosIng inventory"}
    )  # fmt: skip
    with write_transaction(catalogue.conn, "test"):
        upsert_ingredient(catalogue.conn, cosing, None, existed=False)
    doc = make_document("acme", [make_cocktail("acme", "a", [("Zztest glycoside", 1, "mg/mL")])])
    catalogue.import_catalogue(doc)
    assert catalogue.get("acme/a").composition[0].ingredient == "zztest-glycoside"


def test_a_name_two_own_ingredients_share_is_ambiguous(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    ingredients = [
        {
            "id": f"acme-x{k}",
            "name": f"Booster {k}",
            "class": "peptide",
            "synonyms": ["booster"],
            "source": "acme label",
        }
        for k in (1, 2)
    ]
    doc = make_document(
        "acme", [make_cocktail("acme", "a", [("booster", 1, "mg/mL")])], ingredients=ingredients
    )
    with pytest.raises(InvalidInput, match=r"ambiguous: it names acme-x1, acme-x2; use the id"):
        catalogue.import_catalogue(doc)


def test_an_ingredient_listed_twice_is_refused(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    doc = make_document(
        "acme", [make_cocktail("acme", "a", [("biotin", 1, "mg/mL"), ("vitamin B7", 2, "mg/mL")])]
    )
    with pytest.raises(InvalidInput) as error:
        catalogue.import_catalogue(doc)
    (problem,) = error.value.problems
    assert problem.path == "cocktails.0.composition.1.ingredient"
    assert problem.message == "ingredient 'biotin' is listed twice (also at composition.0)"


# ---------------------------------------------------------------- the rules engine


def _hyaluronate(make_cocktail: Factory, slug: str, value: float, unit: str) -> dict[str, Any]:
    return make_cocktail(
        "acme",
        slug,
        [("sodium-hyaluronate", value, unit)],
        indications=["skin_rejuvenation"],
        areas=["face"],
    )


def test_an_error_level_rule_finding_keeps_the_document_out(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    in_iu = _hyaluronate(make_cocktail, "iu", 10, "IU/mL")  # MF108: IU/mL is not allowed
    doc = make_document("acme", [make_cocktail("acme", "fine"), in_iu])
    runs = (
        catalogue.import_catalogue,
        lambda d: catalogue.import_stream(d, []),
        lambda d: catalogue.import_stream(d.model_copy(update={"cocktails": ()}), d.cocktails),
    )
    for run in runs:
        with pytest.raises(InvalidInput) as error:
            run(doc)
        (problem,) = error.value.problems
        assert (problem.path, problem.code, problem.severity, problem.value) == (
            "cocktails.1.composition.0.strength.unit",
            "MF108",
            "error",
            "IU/mL",
        )
        assert problem.message.startswith("[MF108] Sodium hyaluronate is given in IU/mL; ")
    assert catalogue.stats().cocktails == 0


def test_warnings_do_not_block_and_trusted_bulk_loads_may_skip_the_rules(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    below_typical = _hyaluronate(make_cocktail, "low", 5, "mg/mL")  # MF105, a warning
    assert catalogue.import_catalogue(make_document("acme", [below_typical])).added == ("acme/low",)
    in_iu = _hyaluronate(make_cocktail, "iu", 10, "IU/mL")
    report = catalogue.import_stream(
        make_document("acme", [in_iu], version=2), [], check_rules=False
    )
    assert report.added == ("acme/iu",)


# ---------------------------------------------------------------- namespaces


def test_a_cocktail_outside_the_namespace_is_refused(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    catalogue.import_catalogue(make_document("acme", [make_cocktail("acme", "a")]))
    before = content_digest(catalogue.conn)
    # a model built without validation cannot sneak another supplier's cocktail in
    intruder = Cocktail.model_validate(make_cocktail("acme", "a", [("biotin", 9, "mg/mL")]))
    forged = CatalogueFile.model_construct(
        supplier=make_document("bravo").supplier, version=1, ingredients=(), cocktails=(intruder,)
    )
    with pytest.raises(InvalidInput) as error:
        catalogue.import_catalogue(forged)
    assert error.value.problems[0].path == "cocktails.0.id"
    assert "outside this file's supplier namespace 'bravo/'" in error.value.problems[0].message
    with pytest.raises(InvalidInput):  # plain data claiming bravo but with an acme id
        catalogue.import_stream(
            make_document("bravo", []), [{**make_cocktail("acme", "a"), "supplier": "bravo"}]
        )
    assert content_digest(catalogue.conn) == before


def test_supplier_ingredients_stay_in_their_namespace(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    peptide = ACME_PEPTIDE
    catalogue.import_catalogue(
        make_document(
            "acme",
            [make_cocktail("acme", "a", [("acme-peptide", 1, "mg/mL")])],
            ingredients=[peptide],
        )
    )
    with pytest.raises(InvalidInput, match="'acme-peptide' belongs to supplier 'acme'"):
        catalogue.import_catalogue(
            make_document("bravo", [make_cocktail("bravo", "b")], ingredients=[peptide])
        )
    with pytest.raises(InvalidInput, match="unknown ingredient 'acme-peptide'"):
        catalogue.import_catalogue(
            make_document("bravo", [make_cocktail("bravo", "b", [("acme-peptide", 1, "mg/mL")])])
        )
    biotin = next(i for i in ReferenceData.shipped().ingredients if i.id == "biotin")
    copy = biotin.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    report = catalogue.import_catalogue(
        make_document("bravo", [make_cocktail("bravo", "b")], ingredients=[copy])
    )
    assert report.ingredients_added == ()  # an exact copy of a reference entry is that entry
    changed = {**copy, "molecular_weight": 1.0}
    with pytest.raises(InvalidInput, match="'biotin' is a reference dictionary entry"):
        catalogue.import_catalogue(
            make_document("charlie", [make_cocktail("charlie", "c")], ingredients=[changed])
        )


def test_supplier_ingredients_follow_the_catalogue(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    peptide = ACME_PEPTIDE
    uses = [make_cocktail("acme", "a", [("Acme peptide", 1, "mg/mL")])]
    report = catalogue.import_catalogue(make_document("acme", uses, ingredients=[peptide]))
    assert report.ingredients_added == ("acme-peptide",)
    catalogue.import_catalogue(make_document("acme", [make_cocktail("acme", "b")], version=2))
    owned = catalogue.conn.execute("SELECT id FROM ingredients WHERE supplier_id = 'acme'")
    assert owned.fetchall() == []
    assert "acme-peptide" in catalogue.export("yaml", supplier="acme", version=1)


# ---------------------------------------------------------------- derived columns


def test_mg_per_ml_is_stored_where_it_converts(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    lines = [
        ("biotin", 0.5, "mg/mL"),
        ("dexpanthenol", 1.0, "% w/v"),
        ("niacinamide", 500.0, "µg/mL"),
        ("glycine", 2.0, "mmol/L"),  # molecular weight 75.07
        ("retinol", 1000.0, "IU/mL"),  # mg per IU 0.0003
        ("acme-polymer", 1.0, "mmol/L"),  # no molecular weight
        ("caffeine", 40.0, "mg/vial"),
        ("sodium-chloride", None, None),
    ]
    polymer = {"id": "acme-polymer", "name": "Acme polymer", "class": "other", "source": "sheet"}
    with_vial = make_cocktail("acme", "vial", lines, vial_volume_ml=2.0)
    without_vial = make_cocktail("acme", "novial", [("caffeine", 40.0, "mg/vial")])
    document = make_document("acme", [with_vial, without_vial], ingredients=[polymer])
    catalogue.import_catalogue(document)
    stored = dict(
        catalogue.conn.execute(
            "SELECT ingredient_id, mg_per_ml FROM composition WHERE cocktail_id = 'acme/vial'"
        ).fetchall()
    )
    dictionary = {i.id: i for i in ReferenceData.shipped().ingredients}
    for name, value, unit in lines:
        if value is None or name == "acme-polymer":
            assert stored[name] is None, name
            continue
        expected = to_mg_per_ml(
            Strength(value=value, unit=Unit(str(unit))),
            molecular_weight=dictionary[name].molecular_weight,
            mg_per_iu=dictionary[name].mg_per_iu,
            vial_volume_ml=2.0,
        )
        assert stored[name] == expected, name
    assert stored["glycine"] == pytest.approx(0.15014)
    novial = catalogue.conn.execute(
        "SELECT mg_per_ml FROM composition WHERE cocktail_id = 'acme/novial'"
    ).fetchone()
    assert novial == (None,)


def test_actives_search_terms_and_facets(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    cocktail = make_cocktail(
        "acme",
        "a",
        [("biotin", 1, "mg/mL"), ("saline", None, None)],
        indications=["alopecia", "alopecia"],
        areas=["scalp", "face"],
        administration={"techniques": ["nappage", "papule"]},
    )
    catalogue.import_catalogue(make_document("acme", [cocktail], name="Acme Ｌabs"))
    row = catalogue.conn.execute(
        "SELECT n_actives, search_terms, indications, areas, techniques FROM cocktails"
    ).fetchone()
    assert row[0] == 1  # saline is an excipient
    assert row[1].startswith("Acme Labs ")  # NFKC: the fullwidth Ｌ is an L
    assert "vitamin H" in row[1] and "NaCl" in row[1]
    assert json.loads(row[2]) == ["alopecia"] and json.loads(row[3]) == ["scalp", "face"]
    assert json.loads(row[4]) == ["nappage", "papule"]
    assert matches(catalogue, "biotine") == ["acme/a"]  # an ingredient synonym
    hair_loss = catalogue.conn.execute(
        "SELECT synonym FROM indication_synonyms WHERE indication_id = 'alopecia'"
    ).fetchall()
    assert hair_loss and all(s[0] in row[1] for s in hair_loss)


def test_a_new_header_refreshes_derived_columns_of_unchanged_cocktails(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    peptide = {**ACME_PEPTIDE, "molecular_weight": 100.0}
    uses = [make_cocktail("acme", "a", [("acme-peptide", 2, "mmol/L")])]
    catalogue.import_catalogue(make_document("acme", uses, ingredients=[peptide]))
    heavier = {**peptide, "molecular_weight": 300.0}
    report = catalogue.import_catalogue(
        make_document("acme", uses, ingredients=[heavier], version=2, name="Zenith Pharma")
    )
    assert report.unchanged == ("acme/a",)
    assert [v.version_no for v in catalogue.history("acme/a")] == [1]
    assert catalogue.conn.execute("SELECT mg_per_ml FROM composition").fetchone() == (0.6,)
    assert matches(catalogue, "zenith") == ["acme/a"]
    assert fts_ok(catalogue.conn)


def test_derived_columns_follow_a_new_dictionary(
    catalogue_path: Path, make_document: Factory, make_cocktail: Factory
) -> None:
    shipped = ReferenceData.shipped()
    with Catalogue.open(catalogue_path, reference=shipped) as cat:
        cat.import_catalogue(
            make_document("acme", [make_cocktail("acme", "a", [("biotin", 1, "mmol/L")])])
        )

    def renamed(ingredient: Ingredient) -> Ingredient:
        if ingredient.id != "biotin":
            return ingredient
        return ingredient.model_copy(
            update={"synonyms": ("hairvitamin",), "molecular_weight": 500.0}
        )

    newer = replace(shipped, ingredients=tuple(map(renamed, shipped.ingredients)), digest="0" * 64)
    with Catalogue.open(catalogue_path, reference=newer) as cat:
        cat.import_catalogue(make_document("bravo", [make_cocktail("bravo", "b")]))
        assert matches(cat, "hairvitamin") == ["acme/a", "bravo/b"]
        assert cat.conn.execute(
            "SELECT mg_per_ml FROM composition WHERE cocktail_id = 'acme/a'"
        ).fetchone() == (0.5,)
        assert cat.stats().reference_digest == "0" * 64
        assert fts_ok(cat.conn)


# ---------------------------------------------------------------- atomicity


M = 6


@pytest.fixture
def seeded_file(
    catalogue_path: Path, make_document: Factory, make_cocktail: Factory
) -> Iterator[Catalogue]:
    with Catalogue.open(catalogue_path) as cat:
        cat.import_catalogue(
            make_document("acme", [make_cocktail("acme", f"c{k}") for k in range(M)])
        )
        cat.import_catalogue(make_document("bravo", [make_cocktail("bravo", "b")]))
        yield cat


def version_two(make_cocktail: Factory) -> list[dict[str, Any]]:
    """acme's version 2: every cocktail changed, one more added."""
    return [make_cocktail("acme", f"c{k}", [("biotin", 2.0, "mg/mL")]) for k in range(M + 1)]


@pytest.mark.parametrize("n", range(M + 1))
@pytest.mark.parametrize("failure", ["invalid", "duplicate", "constraint"])
def test_an_import_failing_at_record_n_changes_nothing(
    seeded_file: Catalogue,
    make_document: Factory,
    make_cocktail: Factory,
    monkeypatch: pytest.MonkeyPatch,
    n: int,
    failure: str,
) -> None:
    cat = seeded_file
    before = (
        every_export(cat),
        every_export(cat, "yaml"),
        content_digest(cat.conn),
        cat.history("acme/c0"),
    )
    records = version_two(make_cocktail)
    monkeypatch.setattr(importer, "BATCH", 1)  # rows of records < n are written before n fails
    if failure == "invalid":
        records[n]["composition"][0]["strength"]["value"] = float("nan")
        expected: type[Exception] = InvalidInput
    elif failure == "duplicate":
        if n == 0:
            pytest.skip("a duplicate needs an earlier record")
        records[n]["id"] = records[n - 1]["id"]
        expected = InvalidInput
    else:
        real = Deriver.derive

        def broken(self: Deriver, cocktail: Cocktail, supplier_name: str) -> Derived:
            derived = real(self, cocktail, supplier_name)
            if cocktail.id == f"acme/c{n}":
                row = derived.composition[0]
                derived.composition[0] = (*row[:5], -1.0)  # mg/mL below zero: CHECK fails
            return derived

        monkeypatch.setattr(Deriver, "derive", broken)
        expected = CatalogueError
    with pytest.raises(expected) as error:
        cat.import_stream(make_document("acme", [], version=2), records)
    if failure == "constraint":
        assert "supplier 'acme'" in str(error.value) and "unchanged" in str(error.value)
    else:
        assert any(p.path.startswith(f"cocktails.{n}") for p in error.value.problems)  # type: ignore[attr-defined]
    monkeypatch.undo()  # the CSV export derives mg/mL too
    after = (
        every_export(cat),
        every_export(cat, "yaml"),
        content_digest(cat.conn),
        cat.history("acme/c0"),
    )
    assert after == before
    assert fts_ok(cat.conn)


def test_a_failure_in_a_later_file_rolls_back_the_earlier_ones(
    seeded_file: Catalogue,
    make_document: Factory,
    make_cocktail: Factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat = seeded_file
    before = content_digest(cat.conn)
    first = tmp_path / "acme.yaml"
    first.write_text(
        dump_catalogue(make_document("acme", version_two(make_cocktail), version=2), "yaml")
    )
    second = tmp_path / "charlie.json"
    second.write_text(dump_catalogue(make_document("charlie", [make_cocktail("charlie", "x")])))
    real = importer.ImportSession.add

    def fail_on_charlie(
        self: importer.ImportSession, document: CatalogueFile, *args: Any, **kwargs: Any
    ) -> importer.ImportReport:
        if document.supplier.id == "charlie":
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, document, *args, **kwargs)

    monkeypatch.setattr(importer.ImportSession, "add", fail_on_charlie)
    with pytest.raises(CatalogueError, match="nothing was changed: database or disk is full"):
        import_files(cat, [first, second], unsigned=True)
    assert content_digest(cat.conn) == before


def test_import_files_checks_every_file_first(
    seeded_file: Catalogue, make_document: Factory, make_cocktail: Factory, tmp_path: Path
) -> None:
    cat = seeded_file
    good = tmp_path / "charlie.json"
    good.write_text(dump_catalogue(make_document("charlie", [make_cocktail("charlie", "x")])))
    bad = tmp_path / "delta.yaml"
    bad.write_text(
        dump_catalogue(
            make_document("delta", [make_cocktail("delta", "y", [("unobtainium", 1, "mg/mL")])]),
            "yaml",
        )
    )
    broken = tmp_path / "echo.json"
    broken.write_text('{"format": "meso-formulary/1", "supplier": ')
    before = content_digest(cat.conn)
    with pytest.raises(InvalidInput) as error:
        import_files(cat, [good, bad, broken], unsigned=True)
    files = {p.file for p in error.value.problems}
    assert files == {str(bad), str(broken)}
    assert content_digest(cat.conn) == before
    reports = import_files(cat, [good], unsigned=True)
    assert [r.report.added for r in reports] == [("charlie/x",)]


def test_a_read_only_catalogue_refuses_imports(
    catalogue_path: Path, make_document: Factory
) -> None:
    Catalogue.open(catalogue_path).close()
    with (
        Catalogue.open(catalogue_path, readonly=True) as cat,
        pytest.raises(CatalogueError, match="read-only"),
    ):
        cat.import_catalogue(make_document("acme"))


def test_reports_are_plain_data(catalogue: Catalogue, make_document: Factory) -> None:
    report = catalogue.import_catalogue(make_document("acme"))
    assert report == importer.ImportReport("acme", 1, added=("acme/hair-one",))
