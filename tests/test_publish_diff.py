"""Diffs between two versions of a supplier's catalogue."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from publish_support import catalogue_data, make_catalogue

from meso_formulary.catalogue.publishing.diff import CatalogueDiff, diff_catalogues, diff_lines
from meso_formulary.errors import InvalidInput
from meso_formulary.model import CatalogueFile


def _edit(data: dict[str, Any], version: int = 2) -> CatalogueFile:
    data = copy.deepcopy(data)
    data["version"] = version
    return CatalogueFile.model_validate(data)


def _cocktail(data: dict[str, Any], index: int = 0) -> dict[str, Any]:
    cocktail: dict[str, Any] = data["cocktails"][index]
    return cocktail


def test_identical_catalogues_have_an_empty_diff() -> None:
    diff = diff_catalogues(make_catalogue(), make_catalogue())
    assert diff.is_empty
    assert diff_lines(diff) == ["acme: catalogue version 1 -> 1", "  no changes"]


def test_added_and_removed_cocktails() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    removed = new["cocktails"].pop(1)  # type: ignore[attr-defined]
    added = {**removed, "id": "acme/new-one", "name": "New One"}
    new["cocktails"].append(added)  # type: ignore[attr-defined]
    diff = diff_catalogues(_edit(old, 1), _edit(new))
    assert diff.cocktails_added == ("acme/new-one",)
    assert diff.cocktails_removed == ("acme/bright-tone",)
    assert diff.cocktails_changed == ()
    assert "  + cocktail acme/new-one" in diff_lines(diff)
    assert "  - cocktail acme/bright-tone" in diff_lines(diff)


def test_ingredients_strengths_and_indications_of_a_kept_cocktail() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    cocktail = _cocktail(new)
    cocktail["composition"][0]["strength"] = {"value": 2, "unit": "% w/v"}  # biotin
    cocktail["composition"][1]["strength"] = None  # dexpanthenol: no longer disclosed
    del cocktail["composition"][2]  # acme-peptide
    cocktail["composition"].append(
        {"ingredient": "Niacinamide", "strength": {"value": 5, "unit": "mg/mL"}}
    )
    cocktail["indications"] = ["skin_rejuvenation"]
    diff = diff_catalogues(_edit(old, 1), _edit(new))
    (change,) = diff.cocktails_changed
    assert change.id == "acme/hair-revive"
    assert change.ingredients_added == ("Niacinamide",)
    assert change.ingredients_removed == ("acme-peptide",)
    assert [(s.ingredient, s.old, s.new) for s in change.strengths] == [
        ("biotin", "0.5 mg/mL", "2 % w/v"),
        ("dexpanthenol", "30 mg/mL", None),
    ]
    assert change.indications_added == ("skin_rejuvenation",)
    assert change.indications_removed == ("alopecia",)
    assert change.fields == ()
    lines = diff_lines(diff)
    assert "      ~ biotin: 0.5 mg/mL -> 2 % w/v" in lines
    assert "      ~ dexpanthenol: 30 mg/mL -> undisclosed" in lines


def test_ingredient_names_match_whatever_their_spelling() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    _cocktail(new)["composition"][0]["ingredient"] = "BIOTIN"
    _cocktail(new)["composition"][0]["strength"]["value"] = 1
    (change,) = diff_catalogues(_edit(old, 1), _edit(new)).cocktails_changed
    assert change.ingredients_added == change.ingredients_removed == ()
    assert [(s.ingredient, s.old, s.new) for s in change.strengths] == [
        ("BIOTIN", "0.5 mg/mL", "1 mg/mL")
    ]


def test_other_fields_are_listed_with_old_and_new_values() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    _cocktail(new)["description"] = "Now with more detail."
    _cocktail(new)["areas"] = ["scalp", "forehead"]
    _cocktail(new)["ph"] = 7.2
    new["supplier"]["name"] = "Acme Aesthetics Ltd"  # type: ignore[index]
    diff = diff_catalogues(_edit(old, 1), _edit(new))
    (change,) = diff.cocktails_changed
    assert {(f.field, repr(f.old), repr(f.new)) for f in change.fields} == {
        ("description", repr("Scalp cocktail of B vitamins."), repr("Now with more detail.")),
        ("areas", repr(["scalp"]), repr(["scalp", "forehead"])),
        ("ph", "None", "7.2"),
    }
    assert [(f.field, f.old, f.new) for f in diff.supplier_fields] == [
        ("name", "Acme Aesthetics", "Acme Aesthetics Ltd")
    ]
    assert "      ~ ph: - -> 7.2" in diff_lines(diff)


def test_a_change_of_order_only_is_reported_as_such() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    _cocktail(new)["composition"].reverse()
    (change,) = diff_catalogues(_edit(old, 1), _edit(new)).cocktails_changed
    assert [f.field for f in change.fields] == ["composition"]
    assert change.fields[0].new == ["acme-peptide", "dexpanthenol", "biotin"]


def test_dictionary_changes_are_listed() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    new["ingredients"][0]["synonyms"] = ["APC"]  # type: ignore[index]
    new["ingredients"].append(  # type: ignore[attr-defined]
        {"id": "acme-extra", "name": "Extra", "class": "other", "source": "sheet 2"}
    )
    diff = diff_catalogues(_edit(old, 1), _edit(new))
    assert diff.ingredients_added == ("acme-extra",)
    assert diff.ingredients_changed == ("acme-peptide",)
    assert diff.ingredients_removed == ()


def test_catalogues_of_two_suppliers_are_not_compared() -> None:
    with pytest.raises(InvalidInput, match="two suppliers"):
        diff_catalogues(make_catalogue("acme"), make_catalogue("bravo"))


def test_the_diff_round_trips_through_json() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    _cocktail(new)["composition"][0]["strength"]["value"] = 1
    diff = diff_catalogues(_edit(old, 1), _edit(new))
    assert CatalogueDiff.model_validate_json(diff.model_dump_json()) == diff


def test_long_values_are_cut_in_text_output() -> None:
    old = catalogue_data()
    new = copy.deepcopy(old)
    _cocktail(new)["description"] = "x" * 500
    lines = diff_lines(diff_catalogues(_edit(old, 1), _edit(new)))
    (line,) = [line for line in lines if "description" in line]
    assert line.endswith("...") and len(line) < 300
