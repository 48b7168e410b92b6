"""What changed between two versions of one supplier's catalogue.

:func:`diff_catalogues` compares two :class:`~meso_formulary.model.CatalogueFile` objects and
answers the questions a practitioner asks when a supplier publishes again: which cocktails
are new or gone, and for each kept cocktail which ingredients came or went, which strengths
changed (old -> new, with units), which indications changed, and what else differs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, JsonValue

from meso_formulary.errors import InvalidInput
from meso_formulary.identifiers import name_key
from meso_formulary.model import CatalogueFile, Cocktail, CompositionLine, Ingredient

_COMPARED_ELSEWHERE = frozenset({"id", "supplier", "composition", "indications"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(_Frozen):
    """A field whose value differs (JSON values, ``None`` when absent)."""

    field: str
    old: JsonValue
    new: JsonValue


class StrengthChange(_Frozen):
    """An ingredient kept in a cocktail whose strength changed (``None``: not disclosed)."""

    ingredient: str
    old: str | None
    new: str | None


class CocktailChange(_Frozen):
    """How one cocktail present in both versions differs."""

    id: str
    name: str
    ingredients_added: tuple[str, ...] = ()
    ingredients_removed: tuple[str, ...] = ()
    strengths: tuple[StrengthChange, ...] = ()
    indications_added: tuple[str, ...] = ()
    indications_removed: tuple[str, ...] = ()
    fields: tuple[FieldChange, ...] = ()


class CatalogueDiff(_Frozen):
    """Everything that differs between two versions of one supplier's catalogue."""

    supplier: str
    old_version: int
    new_version: int
    supplier_fields: tuple[FieldChange, ...] = ()
    cocktails_added: tuple[str, ...] = ()
    cocktails_removed: tuple[str, ...] = ()
    cocktails_changed: tuple[CocktailChange, ...] = ()
    ingredients_added: tuple[str, ...] = ()
    ingredients_removed: tuple[str, ...] = ()
    ingredients_changed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two versions hold the same supplier, cocktails and ingredients."""
        return not (
            self.supplier_fields
            or self.cocktails_added
            or self.cocktails_removed
            or self.cocktails_changed
            or self.ingredients_added
            or self.ingredients_removed
            or self.ingredients_changed
        )


def diff_catalogues(old: CatalogueFile, new: CatalogueFile) -> CatalogueDiff:
    """The differences from ``old`` to ``new``; both must be the same supplier's."""
    if old.supplier.id != new.supplier.id:
        raise InvalidInput(
            f"cannot compare catalogues of two suppliers ({old.supplier.id!r} and "
            f"{new.supplier.id!r}); a diff compares two versions of one supplier's catalogue"
        )
    old_cocktails = {c.id: c for c in old.cocktails}
    new_cocktails = {c.id: c for c in new.cocktails}
    changed = [
        change
        for cocktail_id, cocktail in new_cocktails.items()
        if cocktail_id in old_cocktails
        and (change := _cocktail_change(old_cocktails[cocktail_id], cocktail)) is not None
    ]
    old_ingredients = {i.id: i for i in old.ingredients}
    new_ingredients = {i.id: i for i in new.ingredients}
    return CatalogueDiff(
        supplier=new.supplier.id,
        old_version=old.version,
        new_version=new.version,
        supplier_fields=tuple(_field_changes(old.supplier, new.supplier, exclude=frozenset())),
        cocktails_added=tuple(i for i in new_cocktails if i not in old_cocktails),
        cocktails_removed=tuple(i for i in old_cocktails if i not in new_cocktails),
        cocktails_changed=tuple(changed),
        ingredients_added=tuple(i for i in new_ingredients if i not in old_ingredients),
        ingredients_removed=tuple(i for i in old_ingredients if i not in new_ingredients),
        ingredients_changed=tuple(
            i for i, ing in new_ingredients.items() if _ingredient_differs(old_ingredients, i, ing)
        ),
    )


def _ingredient_differs(old: dict[str, Ingredient], ingredient_id: str, new: Ingredient) -> bool:
    return ingredient_id in old and old[ingredient_id] != new


def _cocktail_change(old: Cocktail, new: Cocktail) -> CocktailChange | None:
    if old == new:
        return None
    old_lines = _keyed_lines(old.composition)
    new_lines = _keyed_lines(new.composition)
    strengths = [
        StrengthChange(
            ingredient=new_line.ingredient,
            old=_strength_text(old_lines[key]),
            new=_strength_text(new_line),
        )
        for key, new_line in new_lines.items()
        if key in old_lines and old_lines[key].strength != new_line.strength
    ]
    old_indications = [i.value for i in old.indications]
    new_indications = [i.value for i in new.indications]
    change = CocktailChange(
        id=new.id,
        name=new.name,
        ingredients_added=tuple(
            line.ingredient for k, line in new_lines.items() if k not in old_lines
        ),
        ingredients_removed=tuple(
            line.ingredient for k, line in old_lines.items() if k not in new_lines
        ),
        strengths=tuple(strengths),
        indications_added=tuple(i for i in new_indications if i not in old_indications),
        indications_removed=tuple(i for i in old_indications if i not in new_indications),
        fields=tuple(_field_changes(old, new, exclude=_COMPARED_ELSEWHERE)),
    )
    if not (
        change.ingredients_added
        or change.ingredients_removed
        or change.strengths
        or change.indications_added
        or change.indications_removed
        or change.fields
    ):
        # Only the order of the composition or of the indications changed.
        return change.model_copy(update={"fields": (_order_change(old, new),)})
    return change


def _keyed_lines(lines: Sequence[CompositionLine]) -> dict[tuple[str, int], CompositionLine]:
    """Composition lines keyed by (ingredient name key, occurrence), so repeats pair in order."""
    seen: Counter[str] = Counter()
    keyed: dict[tuple[str, int], CompositionLine] = {}
    for line in lines:
        key = name_key(line.ingredient)
        keyed[(key, seen[key])] = line
        seen[key] += 1
    return keyed


def _strength_text(line: CompositionLine) -> str | None:
    return None if line.strength is None else str(line.strength)


def _field_changes(
    old: BaseModel, new: BaseModel, *, exclude: frozenset[str]
) -> Iterable[FieldChange]:
    old_data = old.model_dump(mode="json", by_alias=True)
    new_data = new.model_dump(mode="json", by_alias=True)
    for key, value in new_data.items():
        if key not in exclude and old_data.get(key) != value:
            yield FieldChange(field=key, old=old_data.get(key), new=value)


def _order_change(old: Cocktail, new: Cocktail) -> FieldChange:
    if [line.ingredient for line in old.composition] != [
        line.ingredient for line in new.composition
    ]:
        return FieldChange(
            field="composition",
            old=[line.ingredient for line in old.composition],
            new=[line.ingredient for line in new.composition],
        )
    return FieldChange(
        field="indications",
        old=[i.value for i in old.indications],
        new=[i.value for i in new.indications],
    )


def diff_lines(diff: CatalogueDiff) -> list[str]:
    """The diff as plain text lines, one change per line, ``+``/``-``/``~`` marked."""
    lines = [f"{diff.supplier}: catalogue version {diff.old_version} -> {diff.new_version}"]
    if diff.is_empty:
        lines.append("  no changes")
        return lines
    lines.extend(
        f"  ~ supplier {c.field}: {_show(c.old)} -> {_show(c.new)}" for c in diff.supplier_fields
    )
    lines.extend(f"  + cocktail {i}" for i in diff.cocktails_added)
    lines.extend(f"  - cocktail {i}" for i in diff.cocktails_removed)
    for change in diff.cocktails_changed:
        lines.append(f"  ~ cocktail {change.id} ({change.name})")
        lines.extend(f"      + ingredient {i}" for i in change.ingredients_added)
        lines.extend(f"      - ingredient {i}" for i in change.ingredients_removed)
        lines.extend(
            f"      ~ {s.ingredient}: {s.old or 'undisclosed'} -> {s.new or 'undisclosed'}"
            for s in change.strengths
        )
        lines.extend(f"      + indication {i}" for i in change.indications_added)
        lines.extend(f"      - indication {i}" for i in change.indications_removed)
        lines.extend(
            f"      ~ {_FIELD_WORDS.get(f.field, f.field)}: {_show(f.old)} -> {_show(f.new)}"
            for f in change.fields
        )
    lines.extend(f"  + ingredient {i}" for i in diff.ingredients_added)
    lines.extend(f"  - ingredient {i}" for i in diff.ingredients_removed)
    lines.extend(f"  ~ ingredient {i}" for i in diff.ingredients_changed)
    return lines


_FIELD_WORDS: Final = {"version": "cocktail version"}
"""Fields shown in other words: a cocktail's ``version`` is its supplier's label for it, not
the catalogue version the diff's first line names."""

_SHOWN_CHARS = 120


def _show(value: JsonValue) -> str:
    """A value for one line of text: ``-`` when absent, long values cut."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
