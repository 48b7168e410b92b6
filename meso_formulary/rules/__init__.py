"""Validation rules: what is questionable about a cocktail, how much it matters, and why.

Usage::

    findings = validate(cocktail)
    findings = validate(cocktail, patient_weight_kg=60, jurisdiction="GB")
    findings = validate(cocktail, ignore=["MF101"])

Rules are data-driven: limits come from the ingredient dictionary and the rule tables
(``reference/rules.yaml``), each with its source. To validate many cocktails, build the
context once with :func:`build_context` and call ``registry.check(cocktail, context)``; the
context resolves each cocktail's lines once for all the rules (``context.resolution``). When
only errors matter, ``registry.reporting("error")`` leaves out the rules that can only warn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from types import MappingProxyType

from meso_formulary import reference
from meso_formulary.model import AllergenGroup, Cocktail, Indication, IndicationId, Ingredient
from meso_formulary.rules.builtin import default_registry
from meso_formulary.rules.engine import (
    Check,
    Finding,
    IngredientIndex,
    Issue,
    Resolution,
    Rule,
    RuleContext,
    RuleRegistry,
    allergen_memberships,
    rules_markdown,
)
from meso_formulary.rules.tables import RuleTables, default_tables, read_tables
from meso_formulary.vocabulary import AllergenGroupId, Severity

IngredientsArg = IngredientIndex | Mapping[str, Ingredient] | Iterable[Ingredient]


@cache
def _shipped_ingredients() -> IngredientIndex:
    return IngredientIndex.build(reference.ingredients())


@cache
def _shipped_allergen_groups() -> Mapping[str, frozenset[AllergenGroupId]]:
    return allergen_memberships(reference.substances().allergen_groups)


@cache
def _shipped_indications() -> Mapping[IndicationId, Indication]:
    return MappingProxyType({indication.id: indication for indication in reference.indications()})


def build_context(
    *,
    ingredients: IngredientsArg | None = None,
    own: Iterable[Ingredient] = (),
    indications: Mapping[IndicationId, Indication] | Iterable[Indication] | None = None,
    tables: RuleTables | None = None,
    allergen_groups: Iterable[AllergenGroup] | None = None,
    patient_weight_kg: float | None = None,
    jurisdiction: str = "US",
) -> RuleContext:
    """The context rules run in; ``None`` means the shipped dictionary, indications, tables
    or allergen groups (``reference/substances.yaml``).

    ``own``: a supplier's own ingredients (a catalogue file's ``ingredients``), whose names
    shadow the dictionary's as in an import (see :meth:`IngredientIndex.build`). An
    ingredient's own ``allergen_groups`` count besides the groups that list it.
    """
    own = tuple(own)
    if isinstance(ingredients, IngredientIndex):
        if own:
            raise ValueError("give own ingredients to IngredientIndex.build, not with an index")
        index = ingredients
    elif ingredients is None:
        shipped = _shipped_ingredients()
        index = (
            IngredientIndex.build(shipped.by_id, own=own, dictionary_table=shipped.names.dictionary)
            if own
            else shipped
        )
    else:
        index = IngredientIndex.build(ingredients, own=own)
    if indications is None:
        by_id = _shipped_indications()
    else:
        records = list(indications.values() if isinstance(indications, Mapping) else indications)
        if not all(isinstance(record, Indication) for record in records):
            raise TypeError("indications must be Indication records")
        by_id = MappingProxyType({record.id: record for record in records})
    if tables is not None and not isinstance(tables, RuleTables):
        raise TypeError(f"tables must be RuleTables, not {type(tables).__name__}")
    return RuleContext(
        ingredients=index,
        indications=by_id,
        tables=default_tables() if tables is None else tables,
        allergen_groups=(
            _shipped_allergen_groups()
            if allergen_groups is None
            else allergen_memberships(allergen_groups)
        ),
        patient_weight_kg=patient_weight_kg,
        jurisdiction=jurisdiction,
    )


def validate(
    cocktail: Cocktail,
    *,
    ingredients: IngredientsArg | None = None,
    own: Iterable[Ingredient] = (),
    indications: Mapping[IndicationId, Indication] | Iterable[Indication] | None = None,
    registry: RuleRegistry | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    patient_weight_kg: float | None = None,
    jurisdiction: str = "US",
    tables: RuleTables | None = None,
    allergen_groups: Iterable[AllergenGroup] | None = None,
) -> list[Finding]:
    """Check ``cocktail`` against the rules; findings sorted by severity, then path.

    ``ingredients`` is the dictionary (``None``: the shipped one) and ``own`` a supplier's own
    ingredients, whose names come first: ``validate(cocktail, own=file.ingredients)`` resolves
    names as ``meso validate`` and an import of the file do. ``select`` keeps only the rules
    named (by code or name), ``ignore`` drops some. ``allergen_groups`` (``None``: the
    shipped ones) say which ingredients belong to an allergen group, for the rules that
    select by group (MF170).

    Raises :class:`~meso_formulary.errors.InvalidInput` for an implausible patient weight or
    an unknown jurisdiction, :class:`~meso_formulary.errors.NotFound` for an unknown rule
    code: what a user may type. A caller's mistake raises ``TypeError`` (an argument of the
    wrong type) or ``ValueError`` (a dictionary of the wrong shape: see
    :meth:`IngredientIndex.build`).

    A finding says what is questionable; it never refuses the record:

    >>> import meso_formulary as mf
    >>> cocktail = mf.Cocktail.model_validate(
    ...     {
    ...         "id": "acme/hair",
    ...         "name": "Hair",
    ...         "supplier": "acme",
    ...         "description": "Biotin for thinning hair.",
    ...         "composition": [
    ...             {"ingredient": "biotin", "strength": {"value": 0.5, "unit": "mg/mL"}}
    ...         ],
    ...         "indications": ["alopecia"],
    ...         "areas": ["abdomen"],
    ...     }
    ... )
    >>> for finding in mf.validate(cocktail):
    ...     print(finding.code, finding.path, finding.message)
    MF130 areas.0 abdomen is not a typical area for the cocktail's indications (Alopecia: scalp)
    >>> mf.validate(cocktail, ignore=["MF130"])
    []
    """
    if not isinstance(cocktail, Cocktail):
        raise TypeError(f"validate() needs a Cocktail, not {type(cocktail).__name__}")
    if registry is not None and not isinstance(registry, RuleRegistry):
        raise TypeError(f"registry must be a RuleRegistry, not {type(registry).__name__}")
    chosen = default_registry() if registry is None else registry
    if select is not None:
        chosen = chosen.select(select)
    if ignore is not None:
        chosen = chosen.ignore(ignore)
    context = build_context(
        ingredients=ingredients,
        own=own,
        indications=indications,
        tables=tables,
        allergen_groups=allergen_groups,
        patient_weight_kg=patient_weight_kg,
        jurisdiction=jurisdiction,
    )
    return chosen.check(cocktail, context)


__all__ = [
    "Check",
    "Finding",
    "IngredientIndex",
    "Issue",
    "Resolution",
    "Rule",
    "RuleContext",
    "RuleRegistry",
    "RuleTables",
    "Severity",
    "allergen_memberships",
    "build_context",
    "default_registry",
    "default_tables",
    "read_tables",
    "rules_markdown",
    "validate",
]
