"""What the store derives from a resolved cocktail: mg/mL per line, actives, classes, search terms.

Derived values depend on the dictionary (molecular weights, mg-per-IU factors, classes,
names and synonyms), so they are recomputed whenever the dictionary changes; the stored
cocktail record itself never holds them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from meso_formulary.catalogue.store.dictionary import Dictionary, indication_terms, ingredient_terms
from meso_formulary.errors import UnitConversionError
from meso_formulary.folding import fold_key
from meso_formulary.identifiers import clean_text
from meso_formulary.model import Cocktail, Indication
from meso_formulary.units import Unit, convert

_PER_VIAL: Final = Unit.MG_PER_VIAL  # a module constant: enum class attributes are slow

CompositionRow = tuple[str, int, str, float | None, str | None, float | None]
"""``(cocktail_id, position, ingredient_id, value, unit, mg_per_ml)``; the first line's
position is 1."""


@dataclass(frozen=True, slots=True)
class Derived:
    """What one cocktail adds to the ``cocktails`` row and the ``composition`` table."""

    composition: list[CompositionRow]
    n_actives: int
    search_terms: str
    classes: tuple[str, ...]
    """The ingredient classes of its composition (excipient included), sorted: the
    ``cocktails.classes`` column, which the search's class facet and class exclusions read."""


class Deriver:
    """Derives columns for many cocktails, caching per-ingredient work.

    The mg/mL factor of an (ingredient, unit[, vial volume]) pair is computed once with
    :func:`meso_formulary.units.convert` (the one place that converts) and then applied as a
    multiplication, which gives the same float ``convert`` would: ``value * f / 1.0``.
    """

    def __init__(self, dictionary: Dictionary, indications: Mapping[str, Indication]) -> None:
        self._dictionary = dictionary
        self._indication_terms = {key: indication_terms(i) for key, i in indications.items()}
        self._ingredients: dict[str, tuple[str, bool, str]] = {}
        self._factors: dict[tuple[str, Unit, float | None], float | None] = {}
        self._supplier_terms: dict[str, str] = {}

    def derive(self, cocktail: Cocktail, supplier_name: str) -> Derived:
        """Derived columns of ``cocktail``, whose composition holds ingredient ids."""
        cocktail_id = cocktail.id
        vial = cocktail.vial_volume_ml
        factors = self._factors
        rows: list[CompositionRow] = []
        terms = [self._supplier_term(supplier_name)]
        actives: set[str] = set()
        classes: set[str] = set()
        for position, line in enumerate(cocktail.composition, start=1):
            ingredient_id = line.ingredient
            ingredient_terms, active, ingredient_class = self._about(ingredient_id)
            terms.append(ingredient_terms)
            classes.add(ingredient_class)
            if active:
                actives.add(ingredient_id)
            strength = line.strength
            if strength is None:
                rows.append((cocktail_id, position, ingredient_id, None, None, None))
                continue
            unit = strength.unit
            key = (ingredient_id, unit, vial if unit is _PER_VIAL else None)
            factor = factors[key] if key in factors else self._factor(key)
            mg_per_ml = None if factor is None else strength.value * factor
            if mg_per_ml is not None and not 0.0 < mg_per_ml < math.inf:
                mg_per_ml = None
            rows.append((cocktail_id, position, ingredient_id, strength.value, unit, mg_per_ml))
        terms.extend(clean_text(brand) for brand in cocktail.brands)
        terms.extend(self._indication_terms[i] for i in cocktail.indications)
        search_terms = " ".join(dict.fromkeys(t for t in terms if t))
        return Derived(rows, len(actives), search_terms, tuple(sorted(classes)))

    def _supplier_term(self, name: str) -> str:
        term = self._supplier_terms.get(name)
        if term is None:
            term = self._supplier_terms[name] = clean_text(name)
        return term

    def _about(self, ingredient_id: str) -> tuple[str, bool, str]:
        """An ingredient's full-text terms, whether it counts as an active, and its class."""
        about = self._ingredients.get(ingredient_id)
        if about is None:
            ingredient = self._dictionary.ingredients[ingredient_id]
            about = (
                ingredient_terms(ingredient),
                self._dictionary.is_active(ingredient_id),
                ingredient.ingredient_class.value,
            )
            self._ingredients[ingredient_id] = about
        return about

    def _factor(self, key: tuple[str, Unit, float | None]) -> float | None:
        """The mg/mL factor of ``(ingredient id, unit, vial volume)``, or ``None``."""
        ingredient = self._dictionary.ingredients[key[0]]
        try:
            factor: float | None = convert(
                1.0,
                key[1],
                Unit.MG_PER_ML,
                molecular_weight=ingredient.molecular_weight,
                mg_per_iu=ingredient.mg_per_iu,
                vial_volume_ml=key[2],
            )
        except UnitConversionError:
            factor = None
        self._factors[key] = factor
        return factor


def disclosure(cocktail: Cocktail) -> float:
    """How much of its use ``cocktail`` documents, from 0 to 1: half for a protocol (a
    course), half for the share of its composition lines that state a strength. The search
    breaks equal scores by it, so that of two answers the documented one comes first."""
    lines = cocktail.composition
    strengths = sum(line.strength is not None for line in lines) / len(lines) if lines else 0.0
    return round(0.5 * (cocktail.protocol is not None) + 0.5 * strengths, 6)


def brand_rows(cocktail: Cocktail) -> list[tuple[str, str, str]]:
    """``(cocktail_id, key, brand)`` rows of ``cocktail_brands``, each key once."""
    rows: dict[str, tuple[str, str, str]] = {}
    for brand in cocktail.brands:
        key = fold_key(brand)
        if key:
            rows.setdefault(key, (cocktail.id, key, brand))
    return list(rows.values())
