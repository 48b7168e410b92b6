"""The rule engine: findings, rules, the registry that runs them, and what they may consult.

A rule is a pure, documented function ``(cocktail, context) -> Iterable[Issue]``. The engine
stamps each :class:`Issue` with the rule's code, name and default severity to make a
:class:`Finding`, so a rule cannot report under another rule's code. Rules never refuse a
record (that is the model's job); they say what is questionable about it and why.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from meso_formulary.errors import InvalidInput, NotFound, Problem, UnitConversionError
from meso_formulary.model import (
    AllergenGroup,
    Cocktail,
    Indication,
    IndicationId,
    Ingredient,
    IngredientClass,
)
from meso_formulary.names import NameMatch, NameResolver, NameTable, name_table
from meso_formulary.rules.tables import IngredientSelector, RuleTables
from meso_formulary.units import Strength, Unit, convert
from meso_formulary.vocabulary import AllergenGroupId, Severity

FindingValue = str | float | None
"""The offending value as shown to people and written to JSON."""


@dataclass(frozen=True, slots=True)
class Issue:
    """What a rule function yields; the engine turns it into a :class:`Finding`.

    ``severity`` overrides the rule's default, for rules whose severity comes from a table row.
    """

    message: str
    path: str = ""
    value: FindingValue = None
    severity: Severity | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One questionable thing about a cocktail: where, what, how much it matters and which rule."""

    severity: Severity
    code: str
    rule: str
    message: str
    path: str = ""
    value: FindingValue = None
    source: str | None = None
    """Where the limit or fact the finding compares with comes from."""

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.code} {self.severity}: {self.message}"

    def as_problem(self) -> Problem:
        """The finding as a :class:`~meso_formulary.errors.Problem` (file readers add file:line)."""
        return Problem(
            message=self.message,
            path=self.path,
            value=self.value,
            severity=str(self.severity),
            code=self.code,
            source=self.source,
        )

    def as_dict(self) -> dict[str, FindingValue]:
        """A JSON-ready mapping (``severity`` as its string value)."""
        return {
            "severity": str(self.severity),
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "path": self.path,
            "value": self.value,
            "source": self.source,
        }


@lru_cache(maxsize=4096)  # paths repeat: composition.N.strength, areas.K, ph
def _path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that puts ``composition.2`` before ``composition.10``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.split("."))


def finding_order(finding: Finding) -> tuple[int, tuple[tuple[int, int, str], ...], str, str]:
    """Errors first, then warnings, then information; within each, by path, code and message."""
    return (finding.severity.rank, _path_key(finding.path), finding.code, finding.message)


# ---------------------------------------------------------------- what rules consult


@dataclass(frozen=True, slots=True)
class IngredientIndex:
    """An ingredient dictionary keyed by id, and the names it can be referred to by.

    Build it once with :meth:`build` and reuse it: composition lines name an ingredient by
    id, name, INCI name or synonym, resolved by the project's one
    :class:`~meso_formulary.names.NameResolver` (ids, then a supplier's ``own`` entries,
    then the rest), as an import resolves them. The resolver is built on first use: lines
    that name ids (what a catalogue stores) never need it.
    """

    by_id: Mapping[str, Ingredient]
    own_ids: frozenset[str] = frozenset()
    """The ids of the supplier's own entries, whose names shadow the others'."""
    dictionary_table: NameTable | None = field(default=None, repr=False, compare=False)
    """The name table of the entries that are not own, if worked out already."""
    _names: NameResolver | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        ingredients: Mapping[str, Ingredient] | Iterable[Ingredient],
        *,
        own: Iterable[Ingredient] = (),
        dictionary_table: NameTable | None = None,
    ) -> IngredientIndex:
        """Index ``ingredients`` (a mapping keyed by id, or any iterable of ingredients).

        ``own``: a supplier's own ingredients (a catalogue file's ``ingredients``); their
        names come before the others', and one with the id of an entry of ``ingredients``
        replaces it, unless it is a copy of it (a file may repeat reference entries: a copy
        stays a dictionary entry, as in an import). ``dictionary_table`` is
        :func:`~meso_formulary.names.name_table` of ``ingredients``, for callers that index
        one dictionary under many suppliers' entries. A key that is not its ingredient's id
        is a ``ValueError``, an entry that is not an :class:`Ingredient` a ``TypeError``.
        """
        if isinstance(ingredients, Mapping):
            items = list(ingredients.items())
        else:
            items = [(getattr(ing, "id", None), ing) for ing in ingredients]
        by_id: dict[str, Ingredient] = {}
        for key, ing in items:
            _check_entry(ing)
            if key != ing.id:
                raise ValueError(f"ingredient {ing.id!r} is filed under the key {key!r}")
            if ing.id in by_id:
                raise InvalidInput(f"ingredient {ing.id!r} appears twice in the dictionary")
            by_id[ing.id] = ing
        own_ids: set[str] = set()
        for ing in own:
            _check_entry(ing)
            if ing.id in own_ids:
                raise InvalidInput(f"own ingredient {ing.id!r} appears twice")
            replaced = by_id.get(ing.id)
            if replaced != ing:
                if replaced is not None:
                    dictionary_table = None  # it holds the names of the entry replaced
                own_ids.add(ing.id)
                by_id[ing.id] = ing
        return cls(
            by_id=MappingProxyType(by_id),
            own_ids=frozenset(own_ids),
            dictionary_table=dictionary_table,
        )

    @property
    def names(self) -> NameResolver:
        """The resolver of this dictionary's names (built on first use)."""
        names = self._names
        if names is None:  # a race only builds the same resolver twice
            mine = self.own_ids
            table = self.dictionary_table
            if table is None:
                table = name_table(ing for i, ing in self.by_id.items() if i not in mine)
            own = name_table(ing for i, ing in self.by_id.items() if i in mine) if mine else {}
            names = NameResolver(self.by_id, table, own)
            object.__setattr__(self, "_names", names)
        return names

    def match(self, name: str) -> NameMatch:
        """What ``name`` resolves to (see :mod:`meso_formulary.names`)."""
        return self.names.resolve(name)

    def candidates(self, name: str) -> tuple[Ingredient, ...]:
        """Every ingredient ``name`` may refer to: one when it resolves, several when ambiguous."""
        exact = self.by_id.get(name)
        if exact is not None:
            return (exact,)
        return tuple(self.by_id[i] for i in self.match(name).ids)


def _check_entry(ingredient: object) -> None:
    if not isinstance(ingredient, Ingredient):
        raise TypeError(f"the ingredient dictionary holds a {type(ingredient).__name__}")


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a context's dictionary makes of one cocktail's composition, worked out once.

    Every rule of a :meth:`RuleRegistry.check` run reads the same resolution (see
    :meth:`RuleContext.resolution`), so each line is looked up once per cocktail, and a rule
    whose table rows select nothing in the cocktail (:meth:`selects`) can skip its lines.
    """

    resolved: tuple[tuple[int, Ingredient], ...]
    """Positions and ingredients of the lines that name exactly one known ingredient."""
    measured: tuple[tuple[int, Strength, Ingredient], ...]
    """The resolved lines whose strength is disclosed: position, strength, ingredient."""
    unresolved: tuple[tuple[int, tuple[Ingredient, ...]], ...]
    """Positions of the other lines, each with every ingredient its name may refer to (none
    when unknown, several when ambiguous; see :meth:`IngredientIndex.candidates`)."""
    ids: frozenset[str]
    """The ids of the resolved lines' ingredients."""
    classes: frozenset[IngredientClass]
    """The classes of the resolved lines' ingredients."""
    groups: Mapping[int, frozenset[AllergenGroupId]]
    """The allergen groups of each resolved line's ingredient, by position."""
    allergen_groups: frozenset[AllergenGroupId]
    """Every allergen group a resolved line's ingredient belongs to."""

    @classmethod
    def of(
        cls,
        cocktail: Cocktail,
        index: IngredientIndex,
        allergen_groups: Mapping[str, frozenset[AllergenGroupId]],
    ) -> Resolution:
        """Resolve every composition line of ``cocktail`` against ``index``.

        ``allergen_groups``: the groups that list each ingredient id as a certain member
        (see :attr:`RuleContext.allergen_groups`); an ingredient's own ``allergen_groups``
        add to them.
        """
        by_id = index.by_id
        resolved: list[tuple[int, Ingredient]] = []
        measured: list[tuple[int, Strength, Ingredient]] = []
        unresolved: list[tuple[int, tuple[Ingredient, ...]]] = []
        ids: set[str] = set()
        classes: set[IngredientClass] = set()
        groups: dict[int, frozenset[AllergenGroupId]] = {}
        for i, line in enumerate(cocktail.composition):
            ingredient = by_id.get(line.ingredient)
            if ingredient is None:
                found = index.candidates(line.ingredient)
                if len(found) != 1:
                    unresolved.append((i, found))
                    continue
                ingredient = found[0]
            resolved.append((i, ingredient))
            ids.add(ingredient.id)
            classes.add(ingredient.ingredient_class)
            listed = allergen_groups.get(ingredient.id, frozenset())
            groups[i] = listed.union(ingredient.allergen_groups)
            if line.strength is not None:
                measured.append((i, line.strength, ingredient))
        return cls(
            resolved=tuple(resolved),
            measured=tuple(measured),
            unresolved=tuple(unresolved),
            ids=frozenset(ids),
            classes=frozenset(classes),
            groups=MappingProxyType(groups),
            allergen_groups=frozenset().union(*groups.values()),
        )

    def selects(self, selector: IngredientSelector) -> bool:
        """True when ``selector`` matches a resolved line (by id, class or allergen group)."""
        return not (
            self.ids.isdisjoint(selector.ids)
            and self.classes.isdisjoint(selector.classes)
            and self.allergen_groups.isdisjoint(selector.allergen_groups)
        )

    def lines(self, selector: IngredientSelector) -> tuple[tuple[int, Ingredient], ...]:
        """The positions and ingredients of the resolved lines ``selector`` matches."""
        if not self.selects(selector):
            return ()
        return tuple(
            (i, ingredient)
            for i, ingredient in self.resolved
            if selector.matches(ingredient, self.groups[i])
        )


def allergen_memberships(
    groups: Iterable[AllergenGroup],
) -> Mapping[str, frozenset[AllergenGroupId]]:
    """The groups each ingredient id is a certain member of (see
    :attr:`RuleContext.allergen_groups`)."""
    found: dict[str, set[AllergenGroupId]] = {}
    for group in groups:
        if not isinstance(group, AllergenGroup):
            raise TypeError(f"allergen groups must be AllergenGroup records, not {group!r}")
        for member in group.members:
            if member.certain:
                found.setdefault(member.ingredient, set()).add(group.id)
    return MappingProxyType({ingredient: frozenset(ids) for ingredient, ids in found.items()})


MAX_PATIENT_WEIGHT_KG = 700.0
"""Input sanity bound, not a clinical figure: above any recorded human body weight."""

_JURISDICTION_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may consult besides the cocktail: dictionaries, tables, the patient.

    ``jurisdiction`` is an ISO 3166-1 alpha-2 code (or ``EU``) and selects jurisdiction-specific
    rows (dose caps); ``patient_weight_kg`` enables per-kilogram dose checks. A context also
    remembers what it worked out (the last cocktail's :meth:`resolution`, mg/mL factors), so
    build one and reuse it for many cocktails.
    """

    ingredients: IngredientIndex
    indications: Mapping[IndicationId, Indication]
    tables: RuleTables
    allergen_groups: Mapping[str, frozenset[AllergenGroupId]]
    """The allergen groups that list each ingredient id as a certain member (a member whose
    origin is only possible, ``certain: false``, is left out: no rule asks a maker to warn
    of an allergen the substance may not hold). See :func:`allergen_memberships`."""
    patient_weight_kg: float | None = None
    jurisdiction: str = "US"
    _last: tuple[Cocktail, Resolution] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _factors: dict[tuple[Unit, float | None], float | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        weight = self.patient_weight_kg
        if weight is not None:
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise TypeError(f"patient weight must be a number of kg, got {weight!r}")
            if not (math.isfinite(weight) and 0 < weight <= MAX_PATIENT_WEIGHT_KG):
                raise InvalidInput(
                    f"patient weight {weight!r} kg is not plausible "
                    f"(above 0 and at most {MAX_PATIENT_WEIGHT_KG:g} kg)"
                )
            object.__setattr__(self, "patient_weight_kg", float(weight))
        code = self.jurisdiction
        if not isinstance(code, str):
            raise TypeError(f"jurisdiction must be a string such as 'GB', got {code!r}")
        normalised = code.strip().upper()
        if not _JURISDICTION_RE.match(normalised):
            raise InvalidInput(
                f"jurisdiction {code!r} is not an ISO 3166-1 alpha-2 code (e.g. US, GB) or EU"
            )
        object.__setattr__(self, "jurisdiction", normalised)

    def resolution(self, cocktail: Cocktail) -> Resolution:
        """``cocktail``'s composition resolved against :attr:`ingredients`.

        The last cocktail's resolution is kept, so the rules of one check resolve each line
        once between them (cocktails are immutable).
        """
        last = self._last
        if last is not None and last[0] is cocktail:
            return last[1]
        resolution = Resolution.of(cocktail, self.ingredients, self.allergen_groups)
        object.__setattr__(self, "_last", (cocktail, resolution))
        return resolution

    def mg_per_ml_factor(
        self, unit: Unit, ingredient: Ingredient, vial_volume_ml: float | None
    ) -> float | None:
        """What one ``unit`` of ``ingredient`` is in mg/mL; ``None`` when it does not convert.

        ``value * factor`` is what :func:`~meso_formulary.units.convert` gives for ``value``
        when that is finite (``convert`` says why when it is not, or when this is ``None``).
        Worked out once per unit and the one fact the unit needs (if any): the molecular
        weight for mmol/L, the mg-per-IU factor for IU/mL, the vial volume for mg per vial.
        """
        key = (unit, _fact(unit, ingredient, vial_volume_ml))
        factors = self._factors
        if key in factors:
            return factors[key]
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
        factors[key] = factor
        return factor


def _fact(unit: Unit, ingredient: Ingredient, vial_volume_ml: float | None) -> float | None:
    """The one fact converting ``unit`` to mg/mL depends on (see :mod:`meso_formulary.units`)."""
    if unit is Unit.MMOL_PER_L:
        return ingredient.molecular_weight
    if unit is Unit.IU_PER_ML:
        return ingredient.mg_per_iu
    if unit is Unit.MG_PER_VIAL:
        return vial_volume_ml
    return None


# ---------------------------------------------------------------- rules and the registry

Check = Callable[[Cocktail, RuleContext], Iterable[Issue]]
"""The signature of a rule function."""

_CODE_RE = re.compile(r"^[A-Z]{2,4}\d{3}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """A named, documented check with a stable code (``MF104``) and a default severity.

    ``fixed_severity`` declares that every finding has :attr:`severity` (no issue of the rule
    sets its own), so that :meth:`RuleRegistry.reporting` can leave the rule out when only
    findings of another severity are wanted. An issue that breaks the declaration is refused.
    """

    code: str
    name: str
    severity: Severity
    check: Check = field(repr=False, compare=False)
    fixed_severity: bool = False

    @property
    def doc(self) -> str:
        """The rule's documentation (its function's docstring)."""
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        """The first line of :attr:`doc`."""
        return self.doc.split("\n", 1)[0]

    def __call__(self, cocktail: Cocktail, context: RuleContext) -> Iterator[Finding]:
        for issue in self.check(cocktail, context):
            if self.fixed_severity and issue.severity not in (None, self.severity):
                raise RuntimeError(  # a bug in the rule, not in the cocktail
                    f"rule {self.code} declares a fixed severity ({self.severity}) "
                    f"but reported a finding of severity {issue.severity}"
                )
            yield Finding(
                severity=issue.severity or self.severity,
                code=self.code,
                rule=self.name,
                message=issue.message,
                path=issue.path,
                value=issue.value,
                source=issue.source,
            )


def _keys(keys: Iterable[str]) -> tuple[str, ...]:
    """``keys`` as a tuple; a lone string is one key, not a sequence of characters."""
    return (keys,) if isinstance(keys, str) else tuple(keys)


class RuleRegistry:
    """An ordered set of rules, addressable by code or name.

    ``select`` and ``ignore`` return new registries, and :meth:`copy` gives an independent one,
    so extending a registry never changes the default.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        """Register ``rule``; codes and names must be well formed and unique, docs present."""
        if not _CODE_RE.match(rule.code):
            raise ValueError(f"rule code {rule.code!r} is not like MF104 (letters then 3 digits)")
        if not _NAME_RE.match(rule.name):
            raise ValueError(f"rule name {rule.name!r} is not a lowercase-hyphenated name")
        if not isinstance(rule.severity, Severity):
            raise ValueError(f"rule {rule.code} has no valid severity ({rule.severity!r})")
        if not rule.doc:
            raise ValueError(f"rule {rule.code} needs a docstring: it is the rule's documentation")
        for existing in self._rules.values():
            if rule.code == existing.code or rule.name == existing.name:
                raise ValueError(
                    f"rule {rule.code} {rule.name!r} clashes with {existing.code} {existing.name!r}"
                )
        self._rules[rule.code] = rule
        return rule

    def rule(
        self,
        code: str,
        name: str,
        severity: Severity | str = Severity.ERROR,
        *,
        fixed_severity: bool = False,
    ) -> Callable[[Check], Rule]:
        """Decorator: register the decorated function as a rule (the name then holds the Rule).

        ``fixed_severity``: every finding of the rule has ``severity`` (see :class:`Rule`).
        """

        def register(check: Check) -> Rule:
            try:
                level = Severity(severity)
            except ValueError:
                raise ValueError(f"rule {code} has no valid severity ({severity!r})") from None
            return self.add(
                Rule(
                    code=code,
                    name=name,
                    severity=level,
                    check=check,
                    fixed_severity=fixed_severity,
                )
            )

        return register

    def get(self, key: str) -> Rule:
        """The rule with this code or name (raises :class:`NotFound`)."""
        for rule in self._rules.values():
            if key in (rule.code, rule.name):
                return rule
        known = ", ".join(self._rules) or "none"
        raise NotFound(f"no rule {key!r}", hint=f"rule codes: {known}")

    def select(self, keys: Iterable[str]) -> RuleRegistry:
        """A registry with only the rules named by code or name in ``keys``."""
        wanted = {self.get(key).code for key in _keys(keys)}
        return RuleRegistry(r for r in self._rules.values() if r.code in wanted)

    def ignore(self, keys: Iterable[str]) -> RuleRegistry:
        """A registry without the rules named by code or name in ``keys``."""
        unwanted = {self.get(key).code for key in _keys(keys)}
        return RuleRegistry(r for r in self._rules.values() if r.code not in unwanted)

    def reporting(self, severity: Severity | str) -> RuleRegistry:
        """A registry without the rules that cannot report a finding of ``severity``.

        A rule is left out only when its severity is fixed to another one, so
        ``reporting("error")`` finds every error :meth:`check` finds, without running the
        rules that can only warn or inform (an import, which only errors keep out).
        """
        try:
            level = Severity(severity)
        except ValueError:
            raise ValueError(f"no severity {severity!r} (error, warning or info)") from None
        return RuleRegistry(
            rule
            for rule in self._rules.values()
            if not rule.fixed_severity or rule.severity is level
        )

    def copy(self) -> RuleRegistry:
        """An independent registry with the same rules."""
        return RuleRegistry(self._rules.values())

    def check(self, cocktail: Cocktail, context: RuleContext) -> list[Finding]:
        """Run every rule on ``cocktail``; findings sorted by severity, then path."""
        findings = [finding for rule in self._rules.values() for finding in rule(cocktail, context)]
        return sorted(findings, key=finding_order)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, key: object) -> bool:
        return any(key in (rule.code, rule.name) for rule in self._rules.values())

    def __repr__(self) -> str:
        return f"RuleRegistry({', '.join(self._rules)})"


def rules_markdown(registry: RuleRegistry) -> str:
    """A Markdown table of every rule: code, name, default severity and documentation."""
    lines = ["| code | name | severity | what it checks |", "| --- | --- | --- | --- |"]
    for rule in registry:
        doc = " ".join(rule.doc.split()).replace("|", "\\|")
        lines.append(f"| {rule.code} | `{rule.name}` | {rule.severity} | {doc} |")
    return "\n".join(lines) + "\n"
