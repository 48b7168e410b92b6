"""Strengths, units and conversion to mg/mL."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from meso_formulary.errors import MesoError, UnitConversionError
from meso_formulary.units import MAX_VALUE, Strength, Unit, convert, to_mg_per_ml


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (20, "mg/mL", 20.0),
        (500, "µg/mL", 0.5),
        (2, "% w/v", 20.0),
        (0.5, "%", 5.0),
        (3, "mcg/mL", 0.003),
    ],
)
def test_conversions_to_mg_per_ml(value: float, unit: str, expected: float) -> None:
    strength = Strength.model_validate({"value": value, "unit": unit})
    assert to_mg_per_ml(strength) == pytest.approx(expected)


def test_mmol_per_litre_needs_the_molecular_weight() -> None:
    strength = Strength(value=10, unit=Unit.MMOL_PER_L)
    with pytest.raises(UnitConversionError, match="molecular weight"):
        to_mg_per_ml(strength)
    # 10 mmol/L of lidocaine HCl (270.8 g/mol) = 2.708 mg/mL
    assert to_mg_per_ml(strength, molecular_weight=270.8) == pytest.approx(2.708)


def test_iu_needs_a_factor_and_mg_per_vial_needs_a_volume() -> None:
    with pytest.raises(UnitConversionError, match="IU"):
        to_mg_per_ml(Strength(value=1000, unit=Unit.IU_PER_ML))
    assert to_mg_per_ml(Strength(value=1000, unit=Unit.IU_PER_ML), mg_per_iu=0.0003) == (
        pytest.approx(0.3)
    )
    with pytest.raises(UnitConversionError, match="vial volume"):
        to_mg_per_ml(Strength(value=20, unit=Unit.MG_PER_VIAL))
    assert to_mg_per_ml(Strength(value=20, unit=Unit.MG_PER_VIAL), vial_volume_ml=2) == 10


def test_conversion_errors_are_library_errors_and_value_errors() -> None:
    with pytest.raises(MesoError):
        to_mg_per_ml(Strength(value=1, unit=Unit.IU_PER_ML))
    with pytest.raises(ValueError):
        to_mg_per_ml(Strength(value=1, unit=Unit.IU_PER_ML))


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"value": 0, "unit": "mg/mL"}, "greater than 0"),
        ({"value": -5, "unit": "mg/mL"}, "greater than 0"),
        ({"value": float("nan"), "unit": "mg/mL"}, "finite"),
        ({"value": float("inf"), "unit": "mg/mL"}, "finite"),
        ({"value": "30", "unit": "mg/mL"}, "valid number"),
        ({"value": True, "unit": "mg/mL"}, "valid number"),
        ({"value": 5, "unit": "kg"}, "Input should be"),
        ({"value": 5, "unit": "mm"}, "Input should be"),  # millimetres, not mmol/L
        ({"value": 5, "unit": "mM"}, "Input should be"),
        ({"value": 5, "unit": "mg/mL", "extra": 1}, "Extra inputs"),
        ({"value": 1e9, "unit": "mg/mL"}, "not a plausible strength"),
        ({"value": 101, "unit": "%"}, "not a plausible strength"),
        ({"value": 1e-12, "unit": "mg/mL"}, "too small"),
    ],
)
def test_bad_strengths_are_refused_with_the_value(
    payload: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Strength.model_validate(payload)
    assert fragment in str(info.value)


units = st.sampled_from(list(Unit))
facts = st.fixed_dictionaries(
    {
        "molecular_weight": st.floats(min_value=1, max_value=10_000),
        "mg_per_iu": st.floats(min_value=1e-6, max_value=10),
        "vial_volume_ml": st.floats(min_value=0.5, max_value=20),
    }
)


@given(st.floats(min_value=1e-3, max_value=1e3), units, units, facts)
def test_conversion_round_trips(value: float, a: Unit, b: Unit, kw: dict[str, float]) -> None:
    there = convert(value, a, b, **kw)
    back = convert(there, b, a, **kw)
    assert math.isclose(back, value, rel_tol=1e-9)


@given(st.floats(allow_nan=True, allow_infinity=True), units)
def test_strength_validation_only_raises_validation_errors(value: float, unit: Unit) -> None:
    assume(True)
    try:
        strength = Strength(value=value, unit=unit)
    except ValidationError:
        return
    assert 0 < strength.value <= MAX_VALUE[unit] and math.isfinite(strength.value)
