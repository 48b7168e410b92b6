"""The domain model refuses what is invalid and keeps what is valid."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from meso_formulary.model import (
    CatalogueFile,
    Cocktail,
    Coding,
    Ingredient,
    Protocol,
    StrengthRange,
)


def cocktail_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "acme/hair-booster",
        "name": "Hair booster",
        "supplier": "acme",
        "description": "Biotin and dexpanthenol for thinning hair.",
        "composition": [
            {"ingredient": "biotin", "strength": {"value": 0.5, "unit": "mg/mL"}},
            {"ingredient": "dexpanthenol", "strength": {"value": 2, "unit": "%"}},
        ],
        "vial_volume_ml": 5,
        "ph": 7.0,
        "indications": ["alopecia"],
        "areas": ["scalp"],
        "protocol": {"sessions": 6, "interval_days": 14, "source": "acme leaflet 2026"},
    }
    data.update(overrides)
    return data


def errors_of(exc: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in exc.errors()]


def test_a_valid_cocktail_round_trips_through_json() -> None:
    cocktail = Cocktail.model_validate(cocktail_data())
    again = Cocktail.model_validate_json(cocktail.model_dump_json())
    assert again == cocktail
    assert cocktail.slug == "hair-booster"


def test_sixty_composition_lines_are_fine() -> None:
    lines = [
        {"ingredient": f"active-{i}", "strength": {"value": 0.1 + i, "unit": "mg/mL"}}
        for i in range(60)
    ]
    assert len(Cocktail.model_validate(cocktail_data(composition=lines)).composition) == 60


def test_an_undisclosed_strength_is_allowed() -> None:
    cocktail = Cocktail.model_validate(cocktail_data(composition=[{"ingredient": "biotin"}]))
    assert cocktail.composition[0].strength is None


@pytest.mark.parametrize(
    ("change", "where", "kind"),
    [
        ({"ph": float("nan")}, "ph", "finite_number"),
        ({"ph": 15}, "ph", "less_than_equal"),
        ({"vial_volume_ml": 0}, "vial_volume_ml", "greater_than"),
        ({"vial_volume_ml": "5"}, "vial_volume_ml", "float_type"),
        ({"indications": ["hairloss"]}, "indications.0", "enum"),
        ({"areas": ["elbow"]}, "areas.0", "enum"),
        ({"supplier": "Acme Ltd"}, "supplier", "string_pattern_mismatch"),
        ({"id": "../etc/passwd"}, "id", "string_pattern_mismatch"),
        ({"name": "bad\x1b[31mname"}, "name", "value_error"),
        ({"concentraton": 99}, "concentraton", "extra_forbidden"),
        (
            {"protocol": {"sessions": True, "interval_days": 14, "source": "x leaflet"}},
            "protocol.sessions",
            "int_type",
        ),
    ],
)
def test_invalid_fields_are_refused_with_their_path(
    change: dict[str, Any], where: str, kind: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Cocktail.model_validate(cocktail_data(**change))
    assert (where, kind) in errors_of(info.value)


def test_strength_errors_name_the_line() -> None:
    data = cocktail_data()
    data["composition"][1]["strength"]["value"] = float("inf")
    with pytest.raises(ValidationError) as info:
        Cocktail.model_validate(data)
    assert ("composition.1.strength.value", "finite_number") in errors_of(info.value)


def test_a_cocktail_id_must_live_in_its_supplier_namespace() -> None:
    with pytest.raises(ValidationError, match="namespace"):
        Cocktail.model_validate(cocktail_data(id="bravo/hair-booster"))


def test_models_are_immutable() -> None:
    cocktail = Cocktail.model_validate(cocktail_data())
    with pytest.raises(ValidationError):
        cocktail.ph = 3.0  # type: ignore[misc]


def test_ingredient_cas_is_checked_and_class_is_read_from_class() -> None:
    base = {"id": "biotin", "name": "Biotin", "class": "vitamin", "source": "CAS registry"}
    assert Ingredient.model_validate({**base, "cas": "58-85-5"}).ingredient_class == "vitamin"
    for bad in ("58-85-6", "999999-99-4"):
        with pytest.raises(ValidationError, match="cas"):
            Ingredient.model_validate({**base, "cas": bad})
    dumped = Ingredient.model_validate(base).model_dump(mode="json")
    assert dumped["class"] == "vitamin" and "ingredient_class" not in dumped


def test_ranges_and_codings_check_themselves() -> None:
    with pytest.raises(ValidationError, match="above max"):
        StrengthRange.model_validate({"min": 5, "max": 1, "unit": "mg/mL", "source": "paper"})
    with pytest.raises(ValidationError, match="Verhoeff"):
        Coding.model_validate(
            {"system": "SNOMED CT", "code": "372597009", "display": "x", "source": "a graph"}
        )
    with pytest.raises(ValidationError, match="ICD-10"):
        Coding.model_validate(
            {"system": "ICD-10", "code": "R22-2", "display": "x", "source": "a web page"}
        )


def test_protocol_bounds() -> None:
    with pytest.raises(ValidationError):
        Protocol.model_validate({"sessions": 0, "interval_days": 7, "source": "label"})


def test_a_catalogue_file_holds_one_supplier_and_unique_ids() -> None:
    doc = {"supplier": {"id": "acme", "name": "Acme"}, "cocktails": [cocktail_data()]}
    assert CatalogueFile.model_validate(doc).version == 1
    twice = copy.deepcopy(doc)
    twice["cocktails"].append(cocktail_data())
    with pytest.raises(ValidationError, match="duplicate cocktail id"):
        CatalogueFile.model_validate(twice)
    other = copy.deepcopy(doc)
    other["cocktails"] = [cocktail_data(id="bravo/x", supplier="bravo")]
    with pytest.raises(ValidationError, match="not this file's supplier"):
        CatalogueFile.model_validate(other)
