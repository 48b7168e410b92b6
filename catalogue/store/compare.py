"""Comparing two stored cocktails: composition, indications and areas side by side.

Standard library only at import: ``meso compare`` and the web's compare page compare stored
cocktail views (:mod:`.cocktail_view`) with :func:`comparison_records` (built on
:class:`SetDiff` and :func:`strengths_differ`), without the models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.cocktail_card import CompositionLine
    from meso_formulary.catalogue.store.cocktail_view import CocktailView
    from meso_formulary.model import Area, Cocktail, IndicationId
    from meso_formulary.units import Strength

T = TypeVar("T")

RELATIVE_TOLERANCE = 1e-9
"""Two mg/mL figures closer than this (relative) are the same strength."""


@dataclass(frozen=True)
class LineStrength:
    """One cocktail's strength of an ingredient: as written, and in mg/mL when convertible."""

    strength: Strength | None
    mg_per_ml: float | None


@dataclass(frozen=True)
class LineComparison:
    """One ingredient across the two cocktails (``a`` or ``b`` is ``None`` when absent)."""

    ingredient_id: str
    ingredient_name: str
    a: LineStrength | None
    b: LineStrength | None

    @property
    def differs(self) -> bool:
        """True when both hold the ingredient at different (or differently disclosed) strengths.

        Strengths compare in mg/mL when both convert, else as written (value and unit).
        """
        if self.a is None or self.b is None:
            return False
        return strengths_differ(
            (self.a.mg_per_ml, self.a.strength), (self.b.mg_per_ml, self.b.strength)
        )


def strengths_differ(a: tuple[float | None, object], b: tuple[float | None, object]) -> bool:
    """Whether two strengths, each ``(mg/mL or None, as written)``, differ: in mg/mL when
    both convert, else as written."""
    if a[0] is not None and b[0] is not None:
        return not math.isclose(a[0], b[0], rel_tol=RELATIVE_TOLERANCE)
    return a[1] != b[1]


@dataclass(frozen=True)
class SetDiff(Generic[T]):
    """Members of only one side, and of both, each in the order the cocktails list them."""

    only_a: tuple[T, ...]
    only_b: tuple[T, ...]
    both: tuple[T, ...]

    @classmethod
    def of(cls, a: tuple[T, ...], b: tuple[T, ...]) -> SetDiff[T]:
        in_a, in_b = dict.fromkeys(a), dict.fromkeys(b)
        return cls(
            only_a=tuple(x for x in in_a if x not in in_b),
            only_b=tuple(x for x in in_b if x not in in_a),
            both=tuple(x for x in in_a if x in in_b),
        )


@dataclass(frozen=True)
class CocktailComparison:
    """The difference between cocktails ``a`` and ``b``."""

    a: Cocktail
    b: Cocktail
    only_a: tuple[LineComparison, ...]
    only_b: tuple[LineComparison, ...]
    both: tuple[LineComparison, ...]
    indications: SetDiff[IndicationId]
    areas: SetDiff[Area]

    @property
    def differing(self) -> tuple[LineComparison, ...]:
        """Ingredients both hold at different strengths."""
        return tuple(line for line in self.both if line.differs)


def compare(
    a: Cocktail,
    b: Cocktail,
    mg_per_ml: dict[tuple[str, int], float | None],
    names: dict[str, str],
) -> CocktailComparison:
    """Compare ``a`` and ``b`` (ids in their composition).

    ``mg_per_ml`` maps ``(cocktail id, position)`` (the first line is 1) to the stored
    canonical strength and ``names`` ingredient ids to their names.
    """

    def strengths(cocktail: Cocktail) -> dict[str, LineStrength]:
        return {
            line.ingredient: LineStrength(line.strength, mg_per_ml.get((cocktail.id, position)))
            for position, line in enumerate(cocktail.composition, start=1)
        }

    in_a, in_b = strengths(a), strengths(b)

    def line(ingredient_id: str) -> LineComparison:
        return LineComparison(
            ingredient_id,
            names.get(ingredient_id, ingredient_id),
            in_a.get(ingredient_id),
            in_b.get(ingredient_id),
        )

    return CocktailComparison(
        a=a,
        b=b,
        only_a=tuple(line(i) for i in in_a if i not in in_b),
        only_b=tuple(line(i) for i in in_b if i not in in_a),
        both=tuple(line(i) for i in in_a if i in in_b),
        indications=SetDiff.of(a.indications, b.indications),
        areas=SetDiff.of(a.areas, b.areas),
    )


def comparison_records(a: CocktailView, b: CocktailView) -> list[dict[str, Any]]:
    """The comparison of two cocktail views as one row per ingredient, indication and area:
    what ``meso compare --json`` prints and the web's compare page shows. Each row: field
    (composition, indication or area), item (an id), name, a and b (the strength or the item
    as each cocktail has it, or ``None``), a_mg_per_ml, b_mg_per_ml and status (same, differs,
    only_a or only_b)."""
    from meso_formulary.catalogue.store.cocktail_card import words

    in_a = {line.ingredient_id: line for line in a.composition}
    in_b = {line.ingredient_id: line for line in b.composition}
    ingredients = SetDiff.of(tuple(in_a), tuple(in_b))
    rows: list[dict[str, Any]] = []
    for ingredient_id in (*ingredients.both, *ingredients.only_a, *ingredients.only_b):
        line_a, line_b = in_a.get(ingredient_id), in_b.get(ingredient_id)
        if line_a is None:
            status = "only_b"
        elif line_b is None:
            status = "only_a"
        else:
            differs = strengths_differ(_written(line_a), _written(line_b))
            status = "differs" if differs else "same"
        named = line_a or line_b
        rows.append(
            {
                "field": "composition",
                "item": ingredient_id,
                "name": named.name if named else ingredient_id,
                "a": line_a.strength if line_a else None,
                "b": line_b.strength if line_b else None,
                "a_mg_per_ml": line_a.mg_per_ml if line_a else None,
                "b_mg_per_ml": line_b.mg_per_ml if line_b else None,
                "status": status,
            }
        )
    sides = (
        ("indication", tuple(i.id for i in a.indications), tuple(i.id for i in b.indications)),
        ("area", a.areas, b.areas),
    )
    names = {  # by field, the names the views give (the id as words for one they lack)
        "indication": {i.id: i.name for i in (*a.indications, *b.indications)},
        "area": {
            **dict(zip(a.areas, a.area_names, strict=True)),
            **dict(zip(b.areas, b.area_names, strict=True)),
        },
    }
    for field, items_a, items_b in sides:
        diff = SetDiff.of(items_a, items_b)
        for items, status in (
            (diff.both, "same"),
            (diff.only_a, "only_a"),
            (diff.only_b, "only_b"),
        ):
            for item in items:
                rows.append(
                    {
                        "field": field,
                        "item": item,
                        "name": names[field].get(item) or words(item),
                        "a": None if status == "only_b" else item,
                        "b": None if status == "only_a" else item,
                        "a_mg_per_ml": None,
                        "b_mg_per_ml": None,
                        "status": status,
                    }
                )
    return rows


def _written(line: CompositionLine) -> tuple[float | None, object]:
    return line.mg_per_ml, (line.value, line.unit)
