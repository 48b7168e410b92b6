"""Every shipped record of the screening vocabulary checked, in the style of bioregistry:
the moiety and allergen groups (``substances.yaml``) and the client conditions
(``conditions.yaml``), their members, what they rule out, their codes and their sources."""

from __future__ import annotations

import re

import pytest

from meso_formulary import reference
from meso_formulary.model import (
    AllergenGroup,
    ClientCondition,
    Contraindication,
    MoietyGroup,
)
from meso_formulary.vocabulary import AllergenGroupId, ConditionId

INGREDIENTS = {ingredient.id: ingredient for ingredient in reference.ingredients()}
GROUPS = reference.substances()
MOIETIES: dict[str, MoietyGroup] = {group.id: group for group in GROUPS.moieties}
ALLERGENS: dict[str, AllergenGroup] = {group.id.value: group for group in GROUPS.allergen_groups}
CONDITIONS: dict[str, ClientCondition] = {c.id.value: c for c in reference.conditions()}
COCKTAILS = reference.reference_catalogue().cocktails

OPENABLE = re.compile(
    r"https?://\S+|\bdoi\b|\b10\.\d{4,}/|PMID|PMC\d+|CosIng|\bCFR\b|Annex|\blabel\b|SmPC|"
    r"monograph|Fachinformation|\bIFU\b",
    re.IGNORECASE,
)
"""What makes a source something a reader can open: a URL, a DOI/PMID/PMC, a named registry
record (CosIng, an annex, the CFR) or a named label, SmPC, IFU or monograph."""

INTERNAL = re.compile(
    r"domain\.md|products\.yaml|audit-20\d\d|shared/|meso_formulary/|ingredients\.(yaml|csv)|"
    r"research note|\[(read|repo|lookup)",
    re.IGNORECASE,
)
"""Internal notes no user has: never a source."""


def _all_sources() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for moiety in GROUPS.moieties:
        found += [(f"moiety {moiety.id}", source) for source in moiety.sources]
    for group in GROUPS.allergen_groups:
        found += [(f"allergen group {group.id}", source) for source in group.sources]
    for condition in CONDITIONS.values():
        found += [(f"condition {condition.id}", source) for source in condition.sources]
        found += [(f"condition {condition.id} code", code.source) for code in condition.codes]
    return found


@pytest.mark.parametrize(("where", "source"), _all_sources())
def test_every_source_can_be_opened_and_none_is_an_internal_note(where: str, source: str) -> None:
    assert OPENABLE.search(source), (where, source)
    assert not INTERNAL.search(source), (where, source)


def test_the_vocabularies_and_their_records_match_one_to_one() -> None:
    assert set(CONDITIONS) == {c.value for c in ConditionId}
    assert set(ALLERGENS) == {g.value for g in AllergenGroupId}


@pytest.mark.parametrize("group", GROUPS.moieties, ids=lambda g: g.id)
def test_a_moiety_group_holds_known_ingredients_each_once(group: MoietyGroup) -> None:
    members = [member.ingredient for member in group.members]
    assert len(members) >= 2, "a single substance is its own moiety: no group needed"
    assert len(set(members)) == len(members)
    assert set(members) <= set(INGREDIENTS), set(members) - set(INGREDIENTS)
    assert group.id not in ALLERGENS


@pytest.mark.parametrize("group", GROUPS.allergen_groups, ids=lambda g: g.id.value)
def test_an_allergen_group_holds_known_ingredients_each_once(group: AllergenGroup) -> None:
    members = [member.ingredient for member in group.members]
    assert len(set(members)) == len(members)
    assert set(members) <= set(INGREDIENTS), set(members) - set(INGREDIENTS)


def test_the_salt_forms_the_issue_names_share_a_moiety() -> None:
    """The cases an exclusion leaked: each pair must sit in one moiety group."""
    pairs = [
        ("sodium-hyaluronate", "hyaluronic-acid"),
        ("sodium-deoxycholate", "deoxycholic-acid"),
        ("sodium-ascorbyl-phosphate", "ascorbic-acid"),
        ("magnesium-ascorbyl-phosphate", "ascorbic-acid"),
        ("retinyl-palmitate", "retinol"),
        ("retinyl-acetate", "retinol"),
        ("lysine-hcl", "lysine"),
        ("aminophylline", "theophylline"),
        ("zinc-gluconate", "zinc-sulfate"),
        ("zinc-chloride", "zinc-sulfate"),
    ]
    for one, other in pairs:
        shared = [
            group.id
            for group in GROUPS.moieties
            if {one, other} <= {member.ingredient for member in group.members}
        ]
        assert shared, (one, other)


@pytest.mark.parametrize("condition", list(CONDITIONS.values()), ids=lambda c: c.id.value)
def test_a_condition_rules_out_known_things_and_has_words(condition: ClientCondition) -> None:
    for moiety in condition.rules_out_moieties:
        assert moiety in MOIETIES or moiety in INGREDIENTS, moiety
    for group in condition.rules_out_groups:
        assert group.value in ALLERGENS
    assert condition.synonyms, "a condition needs the words a client uses for it"
    keys = [word.casefold() for word in condition.synonyms]
    assert len(set(keys)) == len(keys), "a word is listed twice"


def test_the_allergies_the_issue_names_rule_out_their_groups() -> None:
    expected = {
        "fish-allergy": "fish-derived",
        "soy-allergy": "soy-derived",
        "egg-allergy": "egg-derived",
        "amide-anaesthetic-allergy": "amide-local-anaesthetics",
        "ester-anaesthetic-allergy": "ester-local-anaesthetics",
    }
    for condition, group in expected.items():
        assert group in {g.value for g in CONDITIONS[condition].rules_out_groups}, condition
    assert "hyaluronic-acid" in CONDITIONS["hyaluronic-acid-allergy"].rules_out_moieties
    fish = {member.ingredient for member in ALLERGENS["fish-derived"].members}
    assert "polynucleotides" in fish
    soy = {member.ingredient for member in ALLERGENS["soy-derived"].members}
    assert "phosphatidylcholine" in soy
    assert {m.ingredient for m in ALLERGENS["amide-local-anaesthetics"].members} == {
        "lidocaine-hcl"
    }


def test_snomed_codes_are_only_where_a_source_gives_them() -> None:
    coded = {c.id.value: [code.code for code in c.codes] for c in CONDITIONS.values() if c.codes}
    assert coded["pregnancy"] == ["77386006"]
    for condition in CONDITIONS.values():
        for code in condition.codes:
            assert code.system == "SNOMED CT"
            assert code.source.strip()


def test_the_shipped_contraindications_are_structured_except_the_ones_no_condition_names() -> None:
    """The free text of the first release was migrated, not lost: each old sentence is the note
    of the conditions it named; what names no client condition stays as text."""
    plain: set[str] = set()
    for cocktail in COCKTAILS:
        assert cocktail.contraindications, cocktail.id
        for item in cocktail.contraindications:
            if isinstance(item, Contraindication):
                assert item.note, (cocktail.id, item.condition)
            else:
                plain.add(item)
    assert plain == {
        "allergy to any ingredient",
        "injection outside the submental area (the label covers submental fat only)",
        "injection within 1-1.5 cm below the lower border of the mandible (marginal mandibular "
        "nerve)",
        "injection into or within 1-1.5 cm of salivary glands, lymph nodes or muscles (label "
        "warning)",
    }


def test_every_cocktail_lists_the_general_conditions() -> None:
    general = {ConditionId.PREGNANCY, ConditionId.BREASTFEEDING, ConditionId.ACTIVE_SKIN_INFECTION}
    for cocktail in COCKTAILS:
        listed = {
            c.condition for c in cocktail.contraindications if isinstance(c, Contraindication)
        }
        assert general <= listed, (cocktail.id, general - listed)
