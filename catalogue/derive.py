"""Columns the store derives from a resolved cocktail: mg/mL per line, actives, search terms.

Derived values depend on the dictionary (molecular weights, mg-per-IU factors, classes,
names and synonyms), so they are recomputed whenever the dictionary changes; the stored
cocktail record itself never holds them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from meso_formulary.errors import UnitConversionError
from meso_formulary.identifiers import clean_text
from meso_formulary.model import Cocktail, Indication
from meso_formulary.units import Unit, convert

from .dictionary import Dictionary, indication_terms, ingredient_terms

CompositionRow = tuple[str, int, str, float | None, str | None, float | None]
"""``(cocktail_id, position, ingredient_id, value, unit, mg_per_ml)``."""


@dataclass(frozen=True, slots=True)
class Derived:
    """What one cocktail adds to the ``cocktails`` row and the ``composition`` table."""

    composition: list[CompositionRow]
    n_actives: int
    search_terms: str


class Deriver:
    """Derives columns for many cocktails, caching per-ingredient work.

    The mg/mL factor of an (ingredient, unit[, vial volume]) pair is computed once with
    :func:`meso_formulary.units.convert` (the one place that converts) and then applied as a
    multiplication, which gives the same float ``convert`` would: ``value * f / 1.0``.
    """

    def __init__(self, dictionary: Dictionary, indications: Mapping[str, Indication]) -> None:
        self._dictionary = dictionary
        self._indication_terms = {key: indication_terms(i) for key, i in indications.items()}
        self._ingredient_terms: dict[str, str] = {}
        self._factors: dict[tuple[str, Unit, float | None], float | None] = {}
        self._supplier_terms: dict[str, str] = {}

    def derive(self, cocktail: Cocktail, supplier_name: str) -> Derived:
        """Derived columns of ``cocktail``, whose composition holds ingredient ids."""
        rows: list[CompositionRow] = []
        terms = [self._supplier_term(supplier_name)]
        actives: set[str] = set()
        for position, line in enumerate(cocktail.composition):
            ingredient_id = line.ingredient
            strength = line.strength
            if strength is None:
                rows.append((cocktail.id, position, ingredient_id, None, None, None))
            else:
                factor = self._factor(ingredient_id, strength.unit, cocktail.vial_volume_ml)
                mg_per_ml = None if factor is None else strength.value * factor
                if mg_per_ml is not None and not (math.isfinite(mg_per_ml) and mg_per_ml > 0):
                    mg_per_ml = None
                rows.append(
                    (
                        cocktail.id,
                        position,
                        ingredient_id,
                        strength.value,
                        strength.unit.value,
                        mg_per_ml,
                    )
                )
            if ingredient_id not in actives and self._dictionary.is_active(ingredient_id):
                actives.add(ingredient_id)
            terms.append(self._terms_of(ingredient_id))
        terms.extend(self._indication_terms[i.value] for i in cocktail.indications)
        return Derived(rows, len(actives), " ".join(dict.fromkeys(t for t in terms if t)))

    def _supplier_term(self, name: str) -> str:
        term = self._supplier_terms.get(name)
        if term is None:
            term = self._supplier_terms[name] = clean_text(name)
        return term

    def _terms_of(self, ingredient_id: str) -> str:
        terms = self._ingredient_terms.get(ingredient_id)
        if terms is None:
            ingredient = self._dictionary.ingredients[ingredient_id]
            terms = self._ingredient_terms[ingredient_id] = ingredient_terms(ingredient)
        return terms

    def _factor(self, ingredient_id: str, unit: Unit, vial_volume_ml: float | None) -> float | None:
        key = (ingredient_id, unit, vial_volume_ml if unit is Unit.MG_PER_VIAL else None)
        if key in self._factors:
            return self._factors[key]
        ingredient = self._dictionary.ingredients[ingredient_id]
        try:
            factor: float | None = convert(
                1.0,
                unit,
                Unit.MG_PER_ML,
                molecular_weight=ingredient.molecular_weight,
                mg_per_iu=ingredient.mg_per_iu,
                vial_volume_ml=vial_volume_ml,
            )
        except UnitConversionError:
            factor = None
        self._factors[key] = factor
        return factor
