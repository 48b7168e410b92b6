"""Lookups: get, composition, suppliers, history, indications, ingredients, compare and stats;
and a catalogue over a connection opened elsewhere."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from meso_formulary.catalogue import Catalogue, CompositionEntry, ReferenceData
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound
from meso_formulary.model import Area, IndicationId, IngredientClass, Origin
from meso_formulary.units import Strength, Unit

Factory = Callable[..., Any]


@pytest.fixture
def stocked(catalogue: Catalogue, make_document: Factory, make_cocktail: Factory) -> Catalogue:
    a = make_cocktail(
        "acme",
        "hair-one",
        [
            ("biotin", 0.5, "mg/mL"),
            ("dexpanthenol", 2, "% w/v"),
            ("caffeine", 10, "mg/mL"),
            ("retinol", None, None),
        ],
        indications=["alopecia", "skin_rejuvenation"],
        areas=["scalp", "face"],
    )
    b = make_cocktail(
        "acme",
        "hair-two",
        [
            ("biotin", 500, "µg/mL"),
            ("dexpanthenol", 1, "% w/v"),
            ("glycine", 1, "mg/mL"),
            ("retinol", 1, "mg/mL"),
        ],
        indications=["alopecia", "cellulite"],
        areas=["scalp"],
    )
    catalogue.import_catalogue(make_document("acme", [a, b]))
    return catalogue


def test_get_returns_the_stored_cocktail(stocked: Catalogue) -> None:
    cocktail = stocked.get("acme/hair-one")
    assert cocktail.id == "acme/hair-one" and cocktail.supplier == "acme"
    assert [line.ingredient for line in cocktail.composition][:2] == ["biotin", "dexpanthenol"]
    assert cocktail.composition[0].strength == Strength(value=0.5, unit="mg/mL")


def test_composition_has_names_classes_strengths_and_mg_per_ml(stocked: Catalogue) -> None:
    entries = stocked.composition("acme/hair-one")
    assert entries[1] == CompositionEntry(
        position=2,
        ingredient_id="dexpanthenol",
        name="Dexpanthenol",
        inci="PANTHENOL",
        ingredient_class=IngredientClass.VITAMIN,
        origin=Origin.SYNTHETIC,
        strength=Strength(value=2, unit=Unit.PERCENT_WV),
        mg_per_ml=20.0,
    )
    assert [e.position for e in entries] == [1, 2, 3, 4]
    assert (entries[3].ingredient_id, entries[3].strength, entries[3].mg_per_ml) == (
        "retinol",
        None,
        None,
    )
    assert stocked.composition("acme/hair-two")[0].mg_per_ml == pytest.approx(0.5)  # 500 µg/mL
    with pytest.raises(NotFound, match="no cocktail 'acme/hair-on'"):
        stocked.composition("acme/hair-on")


def test_suppliers_say_how_their_catalogue_came(stocked: Catalogue, make_document: Factory) -> None:
    stocked.import_catalogue(make_document("bravo"), signed_by="ab" * 32, verified=True)
    acme, bravo = stocked.suppliers()
    assert (acme.id, acme.supplier.name, acme.catalogue_version) == ("acme", "Acme Labs", 1)
    assert (acme.verified, acme.signed_by) == (False, None)
    assert (bravo.verified, bravo.signed_by) == (True, "ab" * 32)
    assert stocked.supplier("bravo") == bravo
    with pytest.raises(NotFound, match="no supplier 'acm'") as error:
        stocked.supplier("acm")
    assert error.value.hint is not None and "acme" in error.value.hint
    assert stocked.stats().unsigned_suppliers == ("acme",)


def test_a_catalogue_over_a_connection_opened_elsewhere(
    catalogue_path: Path, make_document: Factory
) -> None:
    with Catalogue.open(catalogue_path) as catalogue:
        catalogue.import_catalogue(make_document("acme"))
    uri = catalogue_path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        borrowed = Catalogue.from_connection(conn, catalogue_path)
        assert borrowed.readonly and borrowed.path == catalogue_path
        assert borrowed.get("acme/hair-one").supplier == "acme"
        with pytest.raises(CatalogueError, match="read-only; nothing can be imported"):
            borrowed.import_catalogue(make_document("acme", version=2))
    with closing(sqlite3.connect(":memory:")) as empty:
        with pytest.raises(CatalogueError, match="holds no catalogue"):
            Catalogue.from_connection(empty)
        empty.execute("CREATE TABLE notes (x)")
        with pytest.raises(CatalogueError, match="not a meso-formulary catalogue"):
            Catalogue.from_connection(empty, "notes.db")


def test_get_and_history_suggest_close_ids(stocked: Catalogue) -> None:
    with pytest.raises(NotFound, match="no cocktail 'acme/hair-on'") as error:
        stocked.get("acme/hair-on")
    assert error.value.hint is not None and "acme/hair-one" in error.value.hint
    with pytest.raises(NotFound, match="no history for cocktail 'acme/hair-tw'") as history:
        stocked.history("acme/hair-tw")
    assert history.value.hint is not None and "acme/hair-two" in history.value.hint
    with pytest.raises(NotFound) as nothing:
        stocked.get("zzz")
    assert nothing.value.hint is None


def test_indications_carry_their_synonyms(stocked: Catalogue) -> None:
    indications = stocked.indications()
    assert [i.id for i in indications] == sorted(IndicationId, key=lambda i: i.value)
    assert list(indications) == sorted(ReferenceData.shipped().indications, key=lambda i: i.id)
    assert all(i.synonyms for i in indications)


def test_ingredients_by_class_and_text(stocked: Catalogue) -> None:
    everything = stocked.ingredients()
    assert [i.id for i in everything] == sorted(i.id for i in ReferenceData.shipped().ingredients)
    excipients = stocked.ingredients(IngredientClass.EXCIPIENT)
    assert "sodium-chloride" in {i.id for i in excipients}
    assert all(i.ingredient_class is IngredientClass.EXCIPIENT for i in excipients)
    assert [i.id for i in stocked.ingredients("vitamin", text="PANTHENOL")] == ["dexpanthenol"]
    assert [i.id for i in stocked.ingredients(text="vitamin\u00a0b12")] == ["cyanocobalamin"]
    assert stocked.ingredients(text="%") == [] and stocked.ingredients(text="_") == []
    with pytest.raises(InvalidInput, match="unknown ingredient class 'vitamins'") as error:
        stocked.ingredients("vitamins")
    assert error.value.hint == "did you mean vitamin?"


def test_compare_lines_up_two_cocktails(stocked: Catalogue) -> None:
    diff = stocked.compare("acme/hair-one", "acme/hair-two")
    assert [line.ingredient_id for line in diff.only_a] == ["caffeine"]
    assert [line.ingredient_id for line in diff.only_b] == ["glycine"]
    both = {line.ingredient_id: line for line in diff.both}
    assert list(both) == ["biotin", "dexpanthenol", "retinol"]
    biotin = both["biotin"]
    assert biotin.ingredient_name == "Biotin"
    assert biotin.a is not None and biotin.b is not None
    assert (biotin.a.mg_per_ml, biotin.b.mg_per_ml) == (0.5, 0.5)
    assert not biotin.differs  # 0.5 mg/mL and 500 µg/mL are one strength
    assert both["dexpanthenol"].differs
    assert both["retinol"].differs  # undisclosed against 1 mg/mL
    assert [line.ingredient_id for line in diff.differing] == ["dexpanthenol", "retinol"]
    assert diff.indications.both == (IndicationId.ALOPECIA,)
    assert diff.indications.only_a == (IndicationId.SKIN_REJUVENATION,)
    assert diff.indications.only_b == (IndicationId.CELLULITE,)
    assert (diff.areas.only_a, diff.areas.both) == ((Area.FACE,), (Area.SCALP,))
    with pytest.raises(NotFound):
        stocked.compare("acme/hair-one", "acme/nope")


def test_stats(stocked: Catalogue, catalogue_path: Path, make_document: Factory) -> None:
    stats = stocked.stats()
    assert (stats.suppliers, stats.cocktails, stats.composition_lines) == (1, 2, 8)
    assert stats.ingredients == len(ReferenceData.shipped().ingredients)
    assert stats.indications == len(IndicationId)
    assert stats.per_indication["alopecia"] == 2 and stats.per_indication["cellulite"] == 1
    assert stats.per_indication["stretch_marks"] == 0
    assert stats.schema_version >= 1 and stats.built_at and stats.source == "user"
    assert stats.reference_digest == ReferenceData.shipped().digest
    assert stats.file_size is None
    with Catalogue.open(catalogue_path) as on_disk:
        on_disk.import_catalogue(make_document("acme"))
        size = on_disk.stats().file_size
        assert size is not None and size >= catalogue_path.stat().st_size > 0
