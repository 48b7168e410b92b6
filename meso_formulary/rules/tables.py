"""The rule tables: the limits and pairings the built-in rules apply, each with its source.

The shipped tables live in ``reference/rules.yaml`` (read by :func:`default_tables`). They are
data, not code: a developer may load other tables with :func:`read_tables`, or derive new ones
with ``default_tables().model_copy(update={...})``, and pass them to
:func:`meso_formulary.rules.validate`.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from meso_formulary import files
from meso_formulary.errors import InvalidInput
from meso_formulary.model import Area, Ingredient, IngredientClass
from meso_formulary.types import FiniteFloat, PositiveFinite, ShortText, Slug, SourceText
from meso_formulary.units import Strength
from meso_formulary.vocabulary import AllergenGroupId, ConditionId, Severity

Jurisdiction = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166-1 alpha-2 code, or ``EU``."""


class TableRow(BaseModel):
    """Base of every table row: unknown keys refused, finite numbers only, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SourcedRow(TableRow):
    """A table row that states a fact, and therefore where the fact comes from."""

    source: SourceText


class IngredientSelector(TableRow):
    """Which ingredients a row is about: by id, by class, by allergen group (any matches).

    An ingredient's allergen groups are its own ``allergen_groups`` and the groups that list
    it as a certain member (see :attr:`~meso_formulary.rules.RuleContext.allergen_groups`).
    """

    ids: tuple[Slug, ...] = ()
    classes: tuple[IngredientClass, ...] = ()
    allergen_groups: tuple[AllergenGroupId, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> IngredientSelector:
        if not (self.ids or self.classes or self.allergen_groups):
            raise ValueError("a selector needs ids, classes or allergen_groups")
        return self

    def matches(self, ingredient: Ingredient, groups: AbstractSet[AllergenGroupId]) -> bool:
        """True when ``ingredient`` (whose allergen groups are ``groups``) is selected."""
        return (
            ingredient.id in self.ids
            or ingredient.ingredient_class in self.classes
            or not groups.isdisjoint(self.allergen_groups)
        )


class Band(SourcedRow):
    """A value region (below or above a threshold) that deserves a finding, and why."""

    below: FiniteFloat | None = None
    above: FiniteFloat | None = None
    severity: Severity
    effect: ShortText

    @model_validator(mode="after")
    def _one_side(self) -> Band:
        if (self.below is None) == (self.above is None):
            raise ValueError("a band has exactly one of below or above")
        return self

    @property
    def threshold(self) -> float:
        """The band's edge (``below`` or ``above``)."""
        edge = self.below if self.below is not None else self.above
        assert edge is not None  # guaranteed by _one_side
        return edge

    def contains(self, value: float) -> bool:
        """True when ``value`` lies strictly beyond the band's edge."""
        return value < self.threshold if self.below is not None else value > self.threshold

    def describe(self) -> str:
        """``below 3`` or ``above 600``."""
        side = "below" if self.below is not None else "above"
        return f"{side} {self.threshold:g}"


class PhRequirement(SourcedRow):
    """A pH range some ingredients need in the cocktail (e.g. to stay in solution)."""

    ingredients: IngredientSelector
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None
    severity: Severity
    effect: ShortText

    @model_validator(mode="after")
    def _range(self) -> PhRequirement:
        if self.min is None and self.max is None:
            raise ValueError("a pH requirement needs a min, a max or both")
        for edge in (self.min, self.max):
            if edge is not None and not 0 <= edge <= 14:
                raise ValueError(f"pH {edge:g} is outside 0 to 14")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class IncompatiblePair(SourcedRow):
    """Two kinds of ingredient that should not share a syringe, and why."""

    first: IngredientSelector
    second: IngredientSelector
    severity: Severity
    reason: ShortText


class AreaGroup(SourcedRow):
    """An area that contains smaller ones (the face holds the cheeks)."""

    area: Area
    parts: tuple[Area, ...]


class AreaRestriction(SourcedRow):
    """Areas ingredients must avoid (``not_areas``) or are limited to (``only_areas``)."""

    ingredients: IngredientSelector
    not_areas: tuple[Area, ...] = ()
    only_areas: tuple[Area, ...] = ()
    severity: Severity
    reason: ShortText

    @model_validator(mode="after")
    def _one_kind(self) -> AreaRestriction:
        if bool(self.not_areas) == bool(self.only_areas):
            raise ValueError("an area restriction has exactly one of not_areas or only_areas")
        return self

    def forbids(self, area: Area) -> bool:
        """True when this restriction rules ``area`` out."""
        return area in self.not_areas if self.not_areas else area not in self.only_areas


class StrengthThreshold(SourcedRow):
    """A strength above which a documented effect becomes likely."""

    ingredients: IngredientSelector
    above: Strength
    severity: Severity
    effect: ShortText


class DoseCap(SourcedRow):
    """The most of a substance one session may deliver, absolute and/or per kg of body weight.

    ``jurisdictions`` lists where the row applies (empty: everywhere); the rule uses the rows
    of the jurisdiction it is given, so a label's cap and a national formulary's can coexist.
    """

    substance: ShortText
    ingredients: IngredientSelector
    jurisdictions: tuple[Jurisdiction, ...] = ()
    max_mg: PositiveFinite | None = None
    max_mg_per_kg: PositiveFinite | None = None
    severity: Severity
    note: ShortText | None = None

    @model_validator(mode="after")
    def _some_cap(self) -> DoseCap:
        if self.max_mg is None and self.max_mg_per_kg is None:
            raise ValueError("a dose cap needs max_mg, max_mg_per_kg or both")
        return self

    def applies_in(self, jurisdiction: str) -> bool:
        """True when this row is in force in ``jurisdiction``."""
        return not self.jurisdictions or jurisdiction in self.jurisdictions

    def limit_mg(self, weight_kg: float | None) -> tuple[float, str] | None:
        """The cap in mg for this patient and how it was reached; ``None`` if weight is needed."""
        per_kg = None
        if self.max_mg_per_kg is not None and weight_kg is not None:
            per_kg = self.max_mg_per_kg * weight_kg
        if per_kg is None and self.max_mg is None:
            return None
        if per_kg is None:
            assert self.max_mg is not None
            return self.max_mg, f"at most {self.max_mg:g} mg"
        basis = f"{self.max_mg_per_kg:g} mg/kg × {weight_kg:g} kg = {per_kg:g} mg"
        if self.max_mg is not None and self.max_mg < per_kg:
            return self.max_mg, f"{basis}, but at most {self.max_mg:g} mg"
        return per_kg, basis


class RequiredContraindication(SourcedRow):
    """Client conditions a cocktail holding some ingredients must list, and why.

    A condition counts as listed when it is a structured contraindication of the cocktail or
    of one of its ingredients (an ingredient's contraindications apply to every cocktail
    that holds it); plain-text contraindications do not count, since screening by
    ``--client`` cannot rely on reading them.
    """

    ingredients: IngredientSelector
    conditions: tuple[ConditionId, ...] = Field(min_length=1)
    severity: Severity
    reason: ShortText


class InjectionHazard(SourcedRow):
    """A documented harm of injecting some ingredients, said on every cocktail holding one."""

    ingredients: IngredientSelector
    severity: Severity
    effect: ShortText


class RuleTables(TableRow):
    """Every table the built-in rules read."""

    ph: tuple[Band, ...] = ()
    osmolality: tuple[Band, ...] = ()
    ph_requirements: tuple[PhRequirement, ...] = ()
    incompatible_pairs: tuple[IncompatiblePair, ...] = ()
    area_groups: tuple[AreaGroup, ...] = ()
    area_restrictions: tuple[AreaRestriction, ...] = ()
    strength_thresholds: tuple[StrengthThreshold, ...] = ()
    dose_caps: tuple[DoseCap, ...] = ()
    required_contraindications: tuple[RequiredContraindication, ...] = ()
    injection_hazards: tuple[InjectionHazard, ...] = ()

    def overlapping(self, area: Area) -> frozenset[Area]:
        """Every area that overlaps ``area``: itself, its parts, the areas it is in."""
        found = {area}
        for group in self.area_groups:
            if group.area == area:
                found.update(group.parts)
            elif area in group.parts:
                found.add(group.area)
        return frozenset(found)


def read_tables(text: str, filename: str = "<rules>") -> RuleTables:
    """Parse rule tables from YAML text (raises :class:`InvalidInput` with located problems)."""
    # Called through the module: the file layer may import this package while it loads.
    document = files.parse_yaml(text, filename)
    try:
        return RuleTables.model_validate(document.data)
    except ValidationError as exc:
        problems = files.problems_from(exc, document)
        raise InvalidInput(f"{filename}: invalid rule tables", problems) from None


@cache
def default_tables() -> RuleTables:
    """The shipped rule tables (``reference/rules.yaml``), read once."""
    text = resources.files("meso_formulary.reference").joinpath("rules.yaml").read_text("utf-8")
    return read_tables(text, "rules.yaml")
