"""The built-in rules. Each is a pure function of the cocktail and the context.

Limits come from data (the ingredient dictionary and the rule tables), never from this file;
every message names the value and the limit, and every finding carries the limit's source
(``Finding.source``: shown by ``--json`` and ``meso show``, kept out of the short message).
Strength checks skip lines whose strength is undisclosed (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from meso_formulary.errors import UnitConversionError
from meso_formulary.identifiers import name_key
from meso_formulary.model import (
    Area,
    Cocktail,
    Ingredient,
    RegulatoryStatus,
)
from meso_formulary.rules.engine import Issue, RuleContext, RuleRegistry
from meso_formulary.rules.tables import Band, DoseCap
from meso_formulary.units import Strength, Unit, convert
from meso_formulary.vocabulary import ConditionId, Severity

_REGISTRY = RuleRegistry()
_rule = _REGISTRY.rule


def default_registry() -> RuleRegistry:
    """A fresh copy of the built-in rules (extend or trim it without touching the default)."""
    return _REGISTRY.copy()


# ---------------------------------------------------------------- helpers


def _mg_per_ml(
    value: float, unit: Unit, ingredient: Ingredient, cocktail: Cocktail, context: RuleContext
) -> float:
    """``value unit`` of ``ingredient`` in mg/mL (raises :class:`UnitConversionError`)."""
    factor = context.mg_per_ml_factor(unit, ingredient, cocktail.vial_volume_ml)
    if factor is not None:
        mg_per_ml = value * factor
        if math.isfinite(mg_per_ml):
            return mg_per_ml
    return convert(  # it raises, saying why the value does not convert
        value,
        unit,
        Unit.MG_PER_ML,
        molecular_weight=ingredient.molecular_weight,
        mg_per_iu=ingredient.mg_per_iu,
        vial_volume_ml=cocktail.vial_volume_ml,
        what=f"{value:g} {unit} of {ingredient.name}",
    )


def _comparable(
    strength: Strength,
    bound: float,
    unit: Unit,
    ingredient: Ingredient,
    cocktail: Cocktail,
    context: RuleContext,
) -> tuple[float, float, str] | None:
    """The strength and a bound in one unit: the bound's own when shared, else mg/mL.

    ``None`` when either cannot be converted (rule MF106 reports that).
    """
    if strength.unit is unit:
        return strength.value, bound, str(unit)
    try:
        return (
            _mg_per_ml(strength.value, strength.unit, ingredient, cocktail, context),
            _mg_per_ml(bound, unit, ingredient, cocktail, context),
            str(Unit.MG_PER_ML),
        )
    except UnitConversionError:
        return None


def _above(value: float, limit: float) -> bool:
    """``value`` is above ``limit`` beyond rounding noise (0.3 % x 10 = 3.0000000000000004)."""
    return value > limit and not math.isclose(value, limit, rel_tol=1e-9)


def _below(value: float, limit: float) -> bool:
    return value < limit and not math.isclose(value, limit, rel_tol=1e-9)


def _as(strength: Strength, value: float, unit: str) -> str:
    """``5 % w/v`` or, when compared in another unit, ``5 % w/v (50 mg/mL)``."""
    return str(strength) if str(strength.unit) == unit else f"{strength} ({value:g} {unit})"


def _worst_band(bands: Sequence[Band], value: float) -> Band | None:
    """The most severe band ``value`` falls in; among equals, the one whose edge is nearest."""
    hits = [band for band in bands if band.contains(value)]
    if not hits:
        return None
    return min(hits, key=lambda b: (b.severity.rank, abs(value - b.threshold)))


# ---------------------------------------------------------------- completeness


@_rule("MF100", "no-composition", Severity.WARNING, fixed_severity=True)
def no_composition(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The cocktail lists no ingredients, so nothing about its composition can be checked."""
    if not cocktail.composition:
        yield Issue("the cocktail lists no ingredients", path="composition")


@_rule("MF101", "no-indication", Severity.WARNING, fixed_severity=True)
def no_indication(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The cocktail names no indication, so no one searching by concern will find it."""
    if not cocktail.indications:
        yield Issue("the cocktail names no indication", path="indications")


# ---------------------------------------------------------------- ingredients


@_rule("MF102", "unknown-ingredient", Severity.ERROR, fixed_severity=True)
def unknown_ingredient(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A line names no ingredient of the dictionary (by id, name, INCI or synonym), or several.

    The message suggests the closest dictionary name.
    """
    names = context.ingredients.names  # the one resolver: MF102 says what an import says
    for i, _found in context.resolution(cocktail).unresolved:
        line = cocktail.composition[i]
        yield Issue(
            names.problem(names.resolve(line.ingredient)),
            path=f"composition.{i}.ingredient",
            value=line.ingredient,
        )


@_rule("MF103", "duplicate-ingredient", Severity.ERROR, fixed_severity=True)
def duplicate_ingredient(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The same ingredient is listed twice, perhaps under two of its names."""
    resolution = context.resolution(cocktail)
    if len(resolution.ids) == len(cocktail.composition):
        return  # every line names an ingredient of its own
    ingredients = dict(resolution.resolved)
    first: dict[str, int] = {}
    for i, line in enumerate(cocktail.composition):
        ingredient = ingredients.get(i)
        key = ingredient.id if ingredient else name_key(line.ingredient)
        if key not in first:
            first[key] = i
            continue
        j = first[key]
        yield Issue(
            f"{line.ingredient!r} is the same ingredient as composition.{j} "
            f"({cocktail.composition[j].ingredient!r})",
            path=f"composition.{i}.ingredient",
            value=line.ingredient,
        )


# ---------------------------------------------------------------- strengths


@_rule("MF104", "strength-above-limit", Severity.ERROR, fixed_severity=True)
def strength_above_limit(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A strength is above the ingredient's hard limit (compared in mg/mL when units differ)."""
    for i, strength, ingredient in context.resolution(cocktail).measured:
        above = _above_hard_limit(strength, ingredient, cocktail, context)
        if above is None:
            continue
        limit = ingredient.hard_limit
        assert limit is not None  # _above_hard_limit found one
        value, bound, unit = above
        shown = f"{limit.max:g} {limit.unit}"
        if unit != str(limit.unit):
            shown += f" ({bound:g} {unit})"
        basis = f", {limit.basis}" if limit.basis else ""
        yield Issue(
            f"{_as(strength, value, unit)} of {ingredient.name} is above its hard limit of "
            f"{shown}{basis}",
            path=f"composition.{i}.strength",
            value=str(strength),
            source=limit.source,
        )


def _above_hard_limit(
    strength: Strength, ingredient: Ingredient, cocktail: Cocktail, context: RuleContext
) -> tuple[float, float, str] | None:
    """The compared ``(value, limit, unit)`` when ``strength`` is above the hard limit."""
    limit = ingredient.hard_limit
    if limit is None:
        return None
    pair = _comparable(strength, limit.max, limit.unit, ingredient, cocktail, context)
    if pair is None or not _above(pair[0], pair[1]):
        return None
    return pair


@_rule("MF105", "strength-outside-typical-range", Severity.WARNING, fixed_severity=True)
def strength_outside_typical_range(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A strength is below or above the ingredient's documented typical range.

    A range scoped to product types (``typical_range.scope``) is compared only with
    cocktails of those types; a strength above the hard limit gets that error alone.
    """
    for i, strength, ingredient in context.resolution(cocktail).measured:
        typical = ingredient.typical_range
        if typical is None:
            continue
        if typical.scope and cocktail.product_type not in typical.scope:
            continue
        if _above_hard_limit(strength, ingredient, cocktail, context) is not None:
            continue
        for side, bound, outside in (
            ("below", typical.min, _below),
            ("above", typical.max, _above),
        ):
            if bound is None:
                continue
            pair = _comparable(strength, bound, typical.unit, ingredient, cocktail, context)
            if pair is None or not outside(pair[0], pair[1]):
                continue
            value, edge, unit = pair
            shown = "" if unit == str(typical.unit) else f" = {edge:g} {unit}"
            measured = f" in {typical.measured_on}" if typical.measured_on else ""
            yield Issue(
                f"{_as(strength, value, unit)} of {ingredient.name} is {side} its typical range "
                f"({_range_text(typical.min, typical.max, typical.unit)}{shown}{measured})",
                path=f"composition.{i}.strength",
                value=str(strength),
                source=typical.source,
            )


def _range_text(low: float | None, high: float | None, unit: Unit) -> str:
    if low is not None and high is not None:
        return f"{low:g} {unit}" if low == high else f"{low:g} to {high:g} {unit}"
    return f"at least {low:g} {unit}" if low is not None else f"at most {high:g} {unit}"


@_rule("MF106", "strength-not-comparable", Severity.WARNING, fixed_severity=True)
def strength_not_comparable(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A strength, or the limit it should be checked against, cannot be expressed in mg/mL.

    mmol/L needs the ingredient's molecular weight, IU/mL its mg-per-IU factor and mg per vial
    the cocktail's vial volume; without them the strength is neither compared nor sorted.
    """
    for i, strength, ingredient in context.resolution(cocktail).measured:
        try:
            _mg_per_ml(strength.value, strength.unit, ingredient, cocktail, context)
        except UnitConversionError as exc:
            path = f"composition.{i}.strength"
            yield Issue(f"{exc}{_hint(exc)}", path=path, value=str(strength))
            continue
        bounds = []
        if ingredient.hard_limit is not None:
            bounds.append(("hard limit", ingredient.hard_limit.max, ingredient.hard_limit.unit))
        if ingredient.typical_range is not None:
            typical = ingredient.typical_range
            edge = typical.max if typical.max is not None else typical.min
            assert edge is not None  # StrengthRange has a min, a max or both
            bounds.append(("typical range", edge, typical.unit))
        for label, bound, unit in bounds:
            if unit is strength.unit:
                continue
            try:
                _mg_per_ml(bound, unit, ingredient, cocktail, context)
            except UnitConversionError as exc:
                yield Issue(
                    f"the {label} of {ingredient.name} ({bound:g} {unit}) cannot be compared with "
                    f"{strength}: {exc}{_hint(exc)}",
                    path=f"composition.{i}.strength",
                    value=str(strength),
                )


def _hint(exc: UnitConversionError) -> str:
    return f" ({exc.hint})" if exc.hint else ""


@_rule("MF107", "strength-above-threshold", Severity.WARNING)
def strength_above_threshold(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A strength is above a documented threshold of the rule tables (severity per row).

    Shipped: deoxycholate above 4% usually needs analgesia (information).
    """
    resolution = context.resolution(cocktail)
    for row in context.tables.strength_thresholds:
        selected = {i for i, _ in resolution.lines(row.ingredients)}
        for i, strength, ingredient in resolution.measured:
            if i not in selected:
                continue
            above = row.above
            pair = _comparable(strength, above.value, above.unit, ingredient, cocktail, context)
            if pair is None or not _above(pair[0], pair[1]):
                continue
            yield Issue(
                f"{_as(strength, pair[0], pair[2])} of {ingredient.name} is above {row.above}: "
                f"{row.effect}",
                path=f"composition.{i}.strength",
                value=str(strength),
                severity=row.severity,
                source=row.source,
            )


@_rule("MF108", "unit-not-allowed", Severity.ERROR, fixed_severity=True)
def unit_not_allowed(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A strength is given in a unit the ingredient's dictionary entry does not allow."""
    for i, strength, ingredient in context.resolution(cocktail).measured:
        allowed = ingredient.allowed_units
        if allowed and strength.unit not in allowed:
            units = ", ".join(str(unit) for unit in allowed)
            yield Issue(
                f"{ingredient.name} is given in {strength.unit}; its dictionary entry allows "
                f"{units}",
                path=f"composition.{i}.strength.unit",
                value=str(strength.unit),
                source=ingredient.source,
            )


# ---------------------------------------------------------------- pH and osmolality


@_rule("MF120", "ph-out-of-tolerance", Severity.WARNING)
def ph_out_of_tolerance(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The cocktail's pH is outside the tolerated range of the rule tables.

    Shipped: a warning below pH 3 (pain), an error above pH 9 (necrosis risk).
    """
    if cocktail.ph is None:
        return
    band = _worst_band(context.tables.ph, cocktail.ph)
    if band is not None:
        yield Issue(
            f"pH {cocktail.ph:g} is {band.describe()}: {band.effect}",
            path="ph",
            value=cocktail.ph,
            severity=band.severity,
            source=band.source,
        )


@_rule("MF121", "ph-unsuitable-for-ingredient", Severity.WARNING)
def ph_unsuitable_for_ingredient(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The pH is outside the range an ingredient needs (deoxycholate precipitates in acid)."""
    if cocktail.ph is None:
        return
    ph = cocktail.ph
    resolution = context.resolution(cocktail)
    for row in context.tables.ph_requirements:
        for i, ingredient in resolution.lines(row.ingredients):
            if row.min is not None and ph < row.min:
                too, need = "acid", f"at least pH {row.min:g}"
            elif row.max is not None and ph > row.max:
                too, need = "alkaline", f"at most pH {row.max:g}"
            else:
                continue
            yield Issue(
                f"pH {ph:g} is too {too} for {ingredient.name} (composition.{i}), which needs "
                f"{need}: {row.effect}",
                path="ph",
                value=ph,
                severity=row.severity,
                source=row.source,
            )


@_rule("MF122", "osmolality-out-of-tolerance", Severity.WARNING)
def osmolality_out_of_tolerance(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The cocktail is hypertonic: information above about 300 mOsm/kg, a warning above 600."""
    osmolality = cocktail.osmolality_mosm_kg
    if osmolality is None:
        return
    band = _worst_band(context.tables.osmolality, osmolality)
    if band is not None:
        yield Issue(
            f"osmolality {osmolality:g} mOsm/kg is {band.describe()} mOsm/kg: {band.effect}",
            path="osmolality_mosm_kg",
            value=osmolality,
            severity=band.severity,
            source=band.source,
        )


# ---------------------------------------------------------------- areas


@_rule("MF130", "area-not-typical-for-indication", Severity.WARNING, fixed_severity=True)
def area_not_typical_for_indication(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """An area is not among the typical areas of any of the cocktail's indications.

    Skipped when an indication's typical areas are unknown (the area may be for that one).
    """
    indications = [context.indications.get(i) for i in cocktail.indications]
    known = [ind for ind in indications if ind is not None and ind.typical_areas]
    if not known or len(known) != len(indications):
        return
    typical = {area for ind in known for area in ind.typical_areas}
    for k, area in enumerate(cocktail.areas):
        if not typical.isdisjoint(context.tables.overlapping(area)):
            continue
        typical_text = "; ".join(f"{ind.name}: {', '.join(ind.typical_areas)}" for ind in known)
        yield Issue(
            f"{area} is not a typical area for the cocktail's indications ({typical_text})",
            path=f"areas.{k}",
            value=str(area),
            source="; ".join(dict.fromkeys(ind.source for ind in known)),
        )


@_rule("MF131", "area-restricted-for-ingredient", Severity.ERROR)
def area_restricted_for_ingredient(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """An ingredient is used on an area the rule tables rule out for it.

    The severity is the table row's: an error for deoxycholate near the eye, a warning for
    areas outside a labelled or documented use.
    """
    if not cocktail.areas:
        return
    resolution = context.resolution(cocktail)
    for row in context.tables.area_restrictions:
        for i, ingredient in resolution.lines(row.ingredients):
            for k, area in enumerate(cocktail.areas):
                if not row.forbids(area):
                    continue
                scope = (
                    f"not for {_areas(row.not_areas)}"
                    if row.not_areas
                    else f"only for {_areas(row.only_areas)}"
                )
                yield Issue(
                    f"{ingredient.name} (composition.{i}) on {area}: {scope}; {row.reason}",
                    path=f"areas.{k}",
                    value=str(area),
                    severity=row.severity,
                    source=row.source,
                )


def _areas(areas: Iterable[Area]) -> str:
    return ", ".join(str(area) for area in areas)


# ---------------------------------------------------------------- mixtures


@_rule("MF140", "incompatible-ingredients", Severity.WARNING)
def incompatible_ingredients(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """Two ingredients that the rule tables say should not be mixed share the cocktail.

    Shipped: deoxycholate with ascorbic acid; a local anaesthetic with a lipolysis stimulator.
    """
    resolution = context.resolution(cocktail)
    for pair in context.tables.incompatible_pairs:
        firsts = resolution.lines(pair.first)
        seconds = resolution.lines(pair.second) if firsts else ()
        reported: set[frozenset[int]] = set()
        for i, a in firsts:
            for j, b in seconds:
                both = frozenset((i, j))
                if b.id == a.id or both in reported:
                    continue
                reported.add(both)
                yield Issue(
                    f"{a.name} (composition.{i}) with {b.name} (composition.{j}): {pair.reason}",
                    path=f"composition.{max(i, j)}.ingredient",
                    value=cocktail.composition[max(i, j)].ingredient,
                    severity=pair.severity,
                    source=pair.source,
                )


# ---------------------------------------------------------------- doses


@_rule("MF150", "session-dose-above-cap", Severity.ERROR)
def session_dose_above_cap(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """The total dose of a substance per session (mg/mL x volume per session) is above its cap.

    Caps come from the rule tables for the context's jurisdiction (lidocaine: US label
    4.5 mg/kg, at most 300 mg; BNF at most 200 mg: errors. Phosphatidylcholine 2,500 mg, a
    practice standard: a warning). Per-kg caps need the patient's weight. Where no cap of a
    substance is in force for the jurisdiction, the lowest of its known caps for this patient
    applies as a default (lidocaine without the weight: the BNF's 200 mg), and the finding
    says that it is a default and whose cap it is. When the dose cannot be worked out (no
    volume per session, an undisclosed strength), an information finding says so.
    """
    resolution = context.resolution(cocktail)
    substances: dict[str, list[DoseCap]] = {}
    for row in context.tables.dose_caps:
        if resolution.selects(row.ingredients):
            substances.setdefault(row.substance, []).append(row)
    for rows in substances.values():
        in_force = [row for row in rows if row.applies_in(context.jurisdiction)]
        if in_force:
            for row in in_force:  # each selects a line (see above)
                issue = _check_cap(cocktail, context, row, resolution.lines(row.ingredients))
                if issue is not None:
                    yield issue
            continue
        lowest = min(rows, key=lambda row: _cap_or_inf(row, context.patient_weight_kg))
        issue = _check_cap(
            cocktail,
            context,
            lowest,
            resolution.lines(lowest.ingredients),
            default_for=context.jurisdiction,
        )
        if issue is not None:
            yield issue


def _cap_or_inf(row: DoseCap, weight_kg: float | None) -> float:
    """``row``'s cap in mg for this patient; infinite when it needs the weight."""
    cap = row.limit_mg(weight_kg)
    return math.inf if cap is None else cap[0]


def _info(message: str, path: str) -> Issue:
    return Issue(message, path=path, severity=Severity.INFO)


def _check_cap(
    cocktail: Cocktail,
    context: RuleContext,
    row: DoseCap,
    lines: Sequence[tuple[int, Ingredient]],
    *,
    default_for: str | None = None,
) -> Issue | None:
    """One dose cap against the lines it covers: a finding, an information, or nothing.

    ``default_for``: the jurisdiction the cap stands in for, as the lowest known cap of a
    substance with no cap in force there.
    """
    unchecked = f"the {row.substance} dose per session cannot be checked"
    volume = cocktail.administration.volume_per_session_ml if cocktail.administration else None
    if volume is None:
        return _info(
            f"{unchecked}: administration.volume_per_session_ml is unknown",
            "administration.volume_per_session_ml",
        )
    total = 0.0
    parts = []
    for i, ingredient in lines:
        strength = cocktail.composition[i].strength
        path = f"composition.{i}.strength"
        if strength is None:
            return _info(f"{unchecked}: the strength of {ingredient.name} is undisclosed", path)
        try:
            mg_per_ml = _mg_per_ml(strength.value, strength.unit, ingredient, cocktail, context)
        except UnitConversionError as exc:
            return _info(f"{unchecked}: {exc}", path)
        total += mg_per_ml * volume
        parts.append(f"{mg_per_ml:g} mg/mL")
    where = ", ".join(row.jurisdictions) or "all jurisdictions"
    cap = row.limit_mg(context.patient_weight_kg)
    if cap is None:
        return _info(
            f"the {row.substance} cap of {row.max_mg_per_kg:g} mg/kg ({where}) needs the "
            "patient's weight; pass patient_weight_kg to check it",
            "administration.volume_per_session_ml",
        )
    limit, basis = cap
    if not _above(total, limit):
        return None
    if default_for is not None:
        where = (
            f"the cap in force in {where}, used as a default: no {row.substance} cap is known "
            f"for {default_for}, so the lowest known cap applies"
        )
    note = f"; {row.note}" if row.note else ""
    return Issue(
        f"{' + '.join(parts)} × {volume:g} mL per session = {total:g} mg of {row.substance}, "
        f"above the cap of {limit:g} mg ({basis}; {where}{note})",
        path="administration.volume_per_session_ml",
        value=total,
        severity=row.severity,
        source=row.source,
    )


# ---------------------------------------------------------------- regulatory


@_rule("MF160", "eu-cosmetics-annex", Severity.ERROR)
def eu_cosmetics_annex(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """A cocktail sold as a cosmetic holds an ingredient of EU Cosmetics Regulation Annex II
    (prohibited: an error) or Annex III (restricted: a warning)."""
    if cocktail.regulatory_status is not RegulatoryStatus.COSMETIC:
        return
    for i, ingredient in context.resolution(cocktail).resolved:
        listing = ingredient.eu_cosmetics
        if listing is None or listing.annex not in ("II", "III"):
            continue
        prohibited = listing.annex == "II"
        yield Issue(
            f"{ingredient.name} is in Annex {listing.annex} of Regulation (EC) No 1223/2009 "
            f"(ref. {listing.reference}: {'prohibited' if prohibited else 'restricted'} in "
            f"cosmetic products), yet the cocktail's regulatory status is cosmetic",
            path=f"composition.{i}.ingredient",
            value=cocktail.composition[i].ingredient,
            severity=Severity.ERROR if prohibited else Severity.WARNING,
            source=listing.source,
        )


# ---------------------------------------------------------------- safety facts


@_rule("MF170", "contraindication-not-listed", Severity.WARNING)
def contraindication_not_listed(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """An ingredient calls for a client condition that neither the cocktail nor the
    ingredient lists as a structured contraindication (severity per table row).

    Without it, screening by ``--client`` cannot hide the cocktail for that client. Shipped:
    a fish-derived ingredient (polynucleotides / PDRN) needs fish-allergy (fish DNA, Kim
    2021, Mar Drugs 19:296: a precaution); a soy-derived one (phosphatidylcholine,
    soy lecithin) soy-allergy and peanut-allergy (Lipidavit SL, Lipostabil and Vitlipid N
    SmPCs: soy-peanut cross-reaction); deoxycholate dysphagia (KYBELLA label: avoid with
    current or prior dysphagia). Group membership comes from the allergen groups
    (``reference/substances.yaml``, certain members only) and the ingredient's own
    ``allergen_groups``.
    """
    rows = context.tables.required_contraindications
    if not rows:
        return
    resolution = context.resolution(cocktail)
    listed: set[ConditionId] | None = None
    for row in rows:
        lines = resolution.lines(row.ingredients)
        if not lines:
            continue
        if listed is None:
            listed = {c.condition for c in cocktail.contraindications if not isinstance(c, str)}
            for _i, ingredient in resolution.resolved:
                listed.update(c.condition for c in ingredient.contraindications)
        holders = ", ".join(f"{ingredient.name} (composition.{i})" for i, ingredient in lines)
        for condition in row.conditions:
            if condition in listed:
                continue
            yield Issue(
                f"{holders}: the contraindication {condition} is not listed (on the cocktail "
                f"or the ingredient); {row.reason}",
                path="contraindications",
                value=str(condition),
                severity=row.severity,
                source=row.source,
            )


@_rule("MF171", "injection-hazard", Severity.WARNING)
def injection_hazard(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """An ingredient has a documented harm when injected (severity per table row).

    Shipped: injected vitamin K1 (phytonadione) causes eczematous plaques and Texier's
    pseudoscleroderma (Pang 1996, Australas J Dermatol 37:44; a case after cosmetic
    intralesional injection, Korean J Dermatol 2007;45:404): a warning. Hydroquinone:
    an error, whatever the cocktail's regulatory status, because it is prohibited in EU
    cosmetics (Annex II ref 1339), classified as a suspected mutagen and carcinogen (CMR
    category 2), and no use by injection is documented, so no dose, route or safety figure
    exists that a person could check the cocktail against; an error keeps it out of an
    import (MF160 covers only cosmetics). Deoxycholate: the KYBELLA label's injection-site
    warnings (not into or within 1-1.5 cm of salivary glands, lymph nodes and muscles;
    marginal mandibular nerve injury in 4% and dysphagia in 2% of trial subjects), as
    information, since a cocktail has no structured field to carry them.
    """
    resolution = context.resolution(cocktail)
    for row in context.tables.injection_hazards:
        for i, ingredient in resolution.lines(row.ingredients):
            yield Issue(
                f"{ingredient.name} (composition.{i}): {row.effect}",
                path=f"composition.{i}.ingredient",
                value=cocktail.composition[i].ingredient,
                severity=row.severity,
                source=row.source,
            )
