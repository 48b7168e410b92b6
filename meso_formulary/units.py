"""Strength units and the one place that converts them to mg/mL.

The set of units is closed: a supplier file with any other unit is refused. Conversions
that need a fact about the ingredient (molecular weight for mmol/L, a mg-per-IU factor for
IU/mL) or the cocktail (vial volume for mg per vial) take it as an argument and raise
:class:`~meso_formulary.errors.UnitConversionError` when it is missing.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from meso_formulary.errors import UnitConversionError
from meso_formulary.types import PositiveFinite


class Unit(StrEnum):
    """A unit a strength may be given in."""

    MG_PER_ML = "mg/mL"
    UG_PER_ML = "µg/mL"
    PERCENT_WV = "% w/v"
    IU_PER_ML = "IU/mL"
    MMOL_PER_L = "mmol/L"
    MG_PER_VIAL = "mg/vial"


_ALIASES: dict[str, Unit] = {
    "mg/ml": Unit.MG_PER_ML,
    "µg/ml": Unit.UG_PER_ML,
    "μg/ml": Unit.UG_PER_ML,  # Greek mu, not the micro sign
    "ug/ml": Unit.UG_PER_ML,
    "mcg/ml": Unit.UG_PER_ML,
    "% w/v": Unit.PERCENT_WV,
    "%w/v": Unit.PERCENT_WV,
    "%": Unit.PERCENT_WV,
    "iu/ml": Unit.IU_PER_ML,
    "mmol/l": Unit.MMOL_PER_L,  # but not "mM": case-folded, it reads "mm" (millimetres)
    "mg/vial": Unit.MG_PER_VIAL,
    "mg per vial": Unit.MG_PER_VIAL,
}

MAX_VALUE: dict[Unit, float] = {
    Unit.MG_PER_ML: 1000.0,  # 1 g/mL: nothing injectable is denser
    Unit.UG_PER_ML: 1_000_000.0,
    Unit.PERCENT_WV: 100.0,
    Unit.IU_PER_ML: 10_000_000.0,
    Unit.MMOL_PER_L: 10_000.0,
    Unit.MG_PER_VIAL: 100_000.0,
}
"""Largest value accepted per unit; anything above is an input mistake, not a formulation."""

MIN_VALUE = 1e-9
"""Smallest value accepted in any unit (below it the figure is a typo for zero)."""


_CANONICAL = frozenset(unit.value for unit in Unit)


def parse_unit(value: object) -> object:
    """Accept common spellings of a unit (``mg/ml``, ``mcg/mL``, ``%``); leave others to fail."""
    if isinstance(value, str) and not isinstance(value, Unit) and value not in _CANONICAL:
        return _ALIASES.get(" ".join(value.split()).casefold(), value)
    return value


UnitField = Annotated[Unit, BeforeValidator(parse_unit)]


class Strength(BaseModel):
    """How much of an ingredient a cocktail holds: a positive, finite value and its unit."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    value: PositiveFinite
    unit: UnitField

    @model_validator(mode="after")
    def _plausible_magnitude(self) -> Strength:
        limit = MAX_VALUE[self.unit]
        if self.value > limit:
            raise ValueError(
                f"{self.value:g} {self.unit} is not a plausible strength "
                f"(at most {limit:g} {self.unit})"
            )
        if self.value < MIN_VALUE:
            raise ValueError(f"{self.value:g} {self.unit} is too small to be a strength")
        return self

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def _mg_per_ml_factor(
    unit: Unit,
    *,
    what: str,
    molecular_weight: float | None,
    mg_per_iu: float | None,
    vial_volume_ml: float | None,
) -> float:
    """How many mg/mL one of ``unit`` is worth (raises when a needed fact is missing)."""
    if unit is Unit.MG_PER_ML:
        return 1.0
    if unit is Unit.UG_PER_ML:
        return 1e-3
    if unit is Unit.PERCENT_WV:
        return 10.0  # 1 % w/v = 1 g per 100 mL = 10 mg/mL
    if unit is Unit.MMOL_PER_L:
        if not molecular_weight:
            raise UnitConversionError(
                f"cannot convert {what} between mmol/L and mg/mL: no molecular weight",
                hint="give the ingredient a molecular_weight (g/mol)",
            )
        return molecular_weight / 1000.0  # mmol/L x g/mol = mg/L
    if unit is Unit.IU_PER_ML:
        if not mg_per_iu:
            raise UnitConversionError(
                f"cannot convert {what} between IU/mL and mg/mL: no mg-per-IU factor",
                hint="IU is a biological activity; give the ingredient an mg_per_iu factor",
            )
        return mg_per_iu
    if unit is Unit.MG_PER_VIAL:
        if not vial_volume_ml:
            raise UnitConversionError(
                f"cannot convert {what} between mg per vial and mg/mL: no vial volume"
            )
        return 1.0 / vial_volume_ml
    raise UnitConversionError(f"unknown unit {unit!r}")  # pragma: no cover - enum is closed


def convert(
    value: float,
    from_unit: Unit,
    to_unit: Unit,
    *,
    molecular_weight: float | None = None,
    mg_per_iu: float | None = None,
    vial_volume_ml: float | None = None,
    what: str = "a strength",
) -> float:
    """Convert ``value`` from one unit to another, through mg/mL.

    A conversion that needs a fact about the ingredient or the cocktail takes it as an
    argument, and raises :class:`~meso_formulary.errors.UnitConversionError` without it:

    >>> from meso_formulary import Unit, convert
    >>> convert(2, Unit.PERCENT_WV, Unit.MG_PER_ML)
    20.0
    >>> convert(10, Unit.MMOL_PER_L, Unit.MG_PER_ML, molecular_weight=176.12)
    1.7612
    >>> convert(10, Unit.MMOL_PER_L, Unit.MG_PER_ML)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meso_formulary.errors.UnitConversionError: cannot convert ...: no molecular weight
    """
    facts: dict[str, Any] = {
        "what": what,
        "molecular_weight": molecular_weight,
        "mg_per_iu": mg_per_iu,
        "vial_volume_ml": vial_volume_ml,
    }
    result = value * _mg_per_ml_factor(from_unit, **facts) / _mg_per_ml_factor(to_unit, **facts)
    if not math.isfinite(result):
        raise UnitConversionError(f"converting {what} gave a non-finite number")
    return result


def to_mg_per_ml(
    strength: Strength,
    *,
    molecular_weight: float | None = None,
    mg_per_iu: float | None = None,
    vial_volume_ml: float | None = None,
    what: str | None = None,
) -> float:
    """The strength in mg/mL (the canonical unit the catalogue compares and sorts by).

    >>> from meso_formulary import Strength, to_mg_per_ml
    >>> to_mg_per_ml(Strength(value=0.5, unit="mg/mL"))
    0.5
    >>> to_mg_per_ml(Strength(value=5, unit="mg/vial"), vial_volume_ml=2)
    2.5
    """
    return convert(
        strength.value,
        strength.unit,
        Unit.MG_PER_ML,
        molecular_weight=molecular_weight,
        mg_per_iu=mg_per_iu,
        vial_volume_ml=vial_volume_ml,
        what=what or str(strength),
    )
