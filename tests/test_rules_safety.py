"""The rules drawn from the safety facts (MF170, MF171) and the default lidocaine cap (MF150).

These run against the shipped dictionary, allergen groups and rule tables: the rows are the
facts under test, each with its source.
"""

from __future__ import annotations

from typing import Any

import pytest

from meso_formulary import reference
from meso_formulary.model import AllergenGroup, Cocktail, Ingredient
from meso_formulary.rules import (
    Finding,
    Severity,
    allergen_memberships,
    build_context,
    default_tables,
    validate,
)
from meso_formulary.rules.tables import IngredientSelector, RuleTables
from meso_formulary.vocabulary import AllergenGroupId, ConditionId

SHIPPED_GROUPS = {group.id: group for group in reference.substances().allergen_groups}


def cocktail(*names: str, **overrides: Any) -> Cocktail:
    """A cocktail of the shipped ingredients ``names`` (undisclosed strengths)."""
    data: dict[str, Any] = {
        "id": "acme/test",
        "name": "Test",
        "supplier": "acme",
        "description": "A test cocktail.",
        "composition": [{"ingredient": name} for name in names],
        "indications": ["skin_rejuvenation"],
    }
    data.update(overrides)
    return Cocktail.model_validate(data)


def listing(*conditions: str) -> list[dict[str, str]]:
    return [{"condition": condition, "note": "fixture"} for condition in conditions]


def codes(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def sourced(finding: Finding) -> str:
    """The finding's source, which is its own field: the short message no longer carries it."""
    assert "(source:" not in finding.message, finding.message
    assert finding.source, finding
    return finding.source


def own_ingredient(**extra: Any) -> Ingredient:
    return Ingredient.model_validate(
        {
            "id": "acme-salmon-dna",
            "name": "Acme salmon DNA",
            "class": "nucleic_acid",
            "source": "fixture",
            **extra,
        }
    )


# ---------------------------------------------------------------- MF170: allergen -> condition


def test_a_fish_derived_ingredient_needs_fish_allergy_listed() -> None:
    (finding,) = codes(validate(cocktail("polynucleotides")), "MF170")
    assert finding.severity is Severity.WARNING
    assert (finding.path, finding.value) == ("contraindications", "fish-allergy")
    assert finding.message.startswith("Polynucleotides (sodium DNA) (composition.0): ")
    assert "the contraindication fish-allergy is not listed" in finding.message
    assert "salmon" in finding.message and sourced(finding).startswith("Kim TH et al.")


def test_a_listed_condition_silences_the_rule() -> None:
    c = cocktail("polynucleotides", contraindications=listing("fish-allergy"))
    assert codes(validate(c), "MF170") == []


def test_plain_text_does_not_count_as_listing_a_condition() -> None:
    c = cocktail("polynucleotides", contraindications=["fish allergy"])
    assert [f.value for f in codes(validate(c), "MF170")] == ["fish-allergy"]


def test_a_soy_derived_ingredient_needs_soy_and_peanut_allergy() -> None:
    findings = codes(validate(cocktail("phosphatidylcholine")), "MF170")
    assert [f.value for f in findings] == ["peanut-allergy", "soy-allergy"]
    assert all("Lipidavit SL" in sourced(f) and "peanut" in f.message for f in findings)
    half = cocktail("phosphatidylcholine", contraindications=listing("soy-allergy"))
    assert [f.value for f in codes(validate(half), "MF170")] == ["peanut-allergy"]


@pytest.mark.parametrize("name", ["deoxycholic-acid", "sodium-deoxycholate", "DC"])
def test_deoxycholate_needs_dysphagia_listed(name: str) -> None:
    (finding,) = codes(validate(cocktail(name)), "MF170")
    assert finding.value == "dysphagia" and "KYBELLA" in finding.message
    assert "current or prior dysphagia" in finding.message
    assert codes(validate(cocktail(name, contraindications=listing("dysphagia"))), "MF170") == []


def test_an_uncertain_member_does_not_fire() -> None:
    # chondroitin may come from shark cartilage (certain: false): screening hides it, but no
    # rule asks a maker to warn of an allergen the substance may not hold
    fish = SHIPPED_GROUPS[AllergenGroupId.FISH_DERIVED]
    assert any(m.ingredient == "sodium-chondroitin-sulfate" and not m.certain for m in fish.members)
    assert codes(validate(cocktail("sodium-chondroitin-sulfate")), "MF170") == []


def test_an_ingredient_with_nothing_to_list_does_not_fire() -> None:
    assert codes(validate(cocktail("sodium-hyaluronate", "lidocaine-hcl")), "MF170") == []


def test_a_suppliers_own_ingredient_counts_by_its_own_allergen_groups() -> None:
    bare = own_ingredient(allergen_groups=["fish-derived"])
    findings = codes(validate(cocktail("Acme salmon DNA"), own=[bare]), "MF170")
    assert [(f.value, f.message.split(":")[0]) for f in findings] == [
        ("fish-allergy", "Acme salmon DNA (composition.0)")
    ]


def test_the_ingredients_own_contraindication_counts_as_listed() -> None:
    careful = own_ingredient(
        allergen_groups=["fish-derived"], contraindications=listing("fish-allergy")
    )
    assert codes(validate(cocktail("Acme salmon DNA"), own=[careful]), "MF170") == []


def test_the_allergen_groups_may_be_given() -> None:
    group = AllergenGroup.model_validate(
        {
            "id": "fish-derived",
            "name": "Fish",
            "members": [{"ingredient": "sodium-hyaluronate"}, {"ingredient": "polynucleotides"}],
            "sources": ["fixture"],
        }
    )
    findings = validate(cocktail("sodium-hyaluronate"), allergen_groups=[group])
    assert [f.value for f in codes(findings, "MF170")] == ["fish-allergy"]
    assert codes(validate(cocktail("polynucleotides"), allergen_groups=[]), "MF170") == []


def test_memberships_keep_only_certain_members() -> None:
    members = allergen_memberships(reference.substances().allergen_groups)
    assert members["polynucleotides"] == {AllergenGroupId.FISH_DERIVED}
    assert members["phosphatidylcholine"] == {AllergenGroupId.SOY_DERIVED}
    assert "sodium-chondroitin-sulfate" not in members
    with pytest.raises(TypeError, match="AllergenGroup records"):
        allergen_memberships(["fish-derived"])  # type: ignore[list-item]


def test_a_selector_may_name_allergen_groups() -> None:
    context = build_context()
    resolution = context.resolution(cocktail("sodium-hyaluronate", "polynucleotides"))
    fish = IngredientSelector(allergen_groups=(AllergenGroupId.FISH_DERIVED,))
    soy = IngredientSelector(allergen_groups=(AllergenGroupId.SOY_DERIVED,))
    assert resolution.selects(fish) and not resolution.selects(soy)
    assert [i for i, _ in resolution.lines(fish)] == [1]
    assert resolution.lines(soy) == ()
    assert resolution.groups[1] == {AllergenGroupId.FISH_DERIVED}


# ---------------------------------------------------------------- MF171: injection hazards


def test_injected_vitamin_k1_is_a_warning() -> None:
    (finding,) = codes(validate(cocktail("sodium-hyaluronate", "vitamin K1")), "MF171")
    assert finding.severity is Severity.WARNING
    assert (finding.path, finding.value) == ("composition.1.ingredient", "vitamin K1")
    assert "Texier's pseudoscleroderma" in finding.message
    assert "Australas J Dermatol 1996;37(1):44" in sourced(finding)
    assert "Korean J Dermatol 2007;45:404" in sourced(finding)


@pytest.mark.parametrize("status", ["medicinal_product", "medical_device", "unknown", "cosmetic"])
def test_hydroquinone_is_an_error_whatever_the_regulatory_status(status: str) -> None:
    findings = validate(cocktail("hydroquinone", regulatory_status=status))
    (finding,) = codes(findings, "MF171")
    assert finding.severity is Severity.ERROR
    assert "no use by injection is documented" in finding.message
    assert "Annex II ref 1339" in sourced(finding) and "CMR category 2" in finding.message


def test_the_arbutins_are_not_hydroquinone_for_this_rule() -> None:
    # they release hydroquinone (same moiety group for screening) but are Annex III, allowed
    assert codes(validate(cocktail("alpha-arbutin", "arbutin")), "MF171") == []


def test_deoxycholate_label_warnings_are_information() -> None:
    (finding,) = codes(validate(cocktail("sodium-deoxycholate")), "MF171")
    assert finding.severity is Severity.INFO
    for words in ("1-1.5 cm of salivary glands, lymph nodes and muscles", "4%", "2%"):
        assert words in finding.message
    assert "hcp.mykybella.com" in sourced(finding)


def test_no_hazard_no_finding() -> None:
    assert codes(validate(cocktail("sodium-hyaluronate", "biotin")), "MF171") == []


# ---------------------------------------------------------------- every shipped row fires


def _member(selector: IngredientSelector) -> str:
    """An ingredient id the selector certainly selects."""
    if selector.ids:
        return selector.ids[0]
    for group in selector.allergen_groups:
        for member in SHIPPED_GROUPS[group].members:
            if member.certain:
                return member.ingredient
    raise AssertionError(f"{selector} selects no shipped ingredient")


TABLES = default_tables()


@pytest.mark.parametrize("row", TABLES.required_contraindications, ids=lambda r: r.conditions[0])
def test_every_required_contraindication_row_fires_with_its_source(row: Any) -> None:
    findings = codes(validate(cocktail(_member(row.ingredients))), "MF170")
    for condition in row.conditions:
        (finding,) = [f for f in findings if f.value == condition]
        assert finding.severity is row.severity
        assert finding.message.endswith(row.reason)
        assert sourced(finding) == row.source


@pytest.mark.parametrize("row", TABLES.injection_hazards, ids=lambda r: _member(r.ingredients))
def test_every_injection_hazard_row_fires_with_its_source(row: Any) -> None:
    findings = codes(validate(cocktail(_member(row.ingredients))), "MF171")
    assert [(f.severity, f.message.split(": ", 1)[1], sourced(f)) for f in findings] == [
        (row.severity, row.effect, row.source)
    ]


def test_without_the_tables_the_rules_are_silent() -> None:
    c = cocktail("polynucleotides", "phytonadione", "hydroquinone")
    assert codes(validate(c, tables=RuleTables()), "MF170") == []
    assert codes(validate(c, tables=RuleTables()), "MF171") == []


def test_conditions_named_by_the_tables_are_in_the_vocabulary() -> None:
    named = {c for row in TABLES.required_contraindications for c in row.conditions}
    assert named <= {condition.id for condition in reference.conditions()}
    assert ConditionId.DYSPHAGIA in named


# ---------------------------------------------------------------- MF150: the default cap


def lidocaine(mg_per_ml: float | None, volume_ml: float | None) -> Cocktail:
    strength = {} if mg_per_ml is None else {"strength": {"value": mg_per_ml, "unit": "mg/mL"}}
    administration: dict[str, Any] = {"techniques": ["papule"]}
    if volume_ml is not None:
        administration["volume_per_session_ml"] = volume_ml
    return cocktail(
        administration=administration,
        composition=[
            {"ingredient": "sodium-hyaluronate"},
            {"ingredient": "lidocaine-hcl", **strength},
        ],
    )


def test_without_a_cap_of_its_own_a_jurisdiction_gets_the_lowest_known_one() -> None:
    (finding,) = codes(validate(lidocaine(20, 12), jurisdiction="FR"), "MF150")
    assert finding.severity is Severity.ERROR and finding.value == 240
    assert "= 240 mg of lidocaine, above the cap of 200 mg" in finding.message
    assert "the cap in force in GB, BH, used as a default" in finding.message
    assert "no lidocaine cap is known for FR, so the lowest known cap applies" in finding.message
    assert sourced(finding).startswith("British National Formulary")


def test_under_the_default_cap_nothing_is_said() -> None:
    assert codes(validate(lidocaine(20, 10), jurisdiction="FR"), "MF150") == []


def test_the_lowest_cap_is_worked_out_for_the_patient() -> None:
    # 40 kg: the US label's 4.5 mg/kg is 180 mg, below the BNF's 200 mg
    (finding,) = codes(
        validate(lidocaine(19, 10), jurisdiction="FR", patient_weight_kg=40), "MF150"
    )
    assert "4.5 mg/kg × 40 kg = 180 mg" in finding.message
    assert "the cap in force in US, used as a default" in finding.message
    assert "Xylocaine" in sourced(finding)
    assert (
        codes(validate(lidocaine(19, 10), jurisdiction="FR", patient_weight_kg=80), "MF150") == []
    )


def test_a_jurisdiction_with_its_own_cap_is_not_given_a_default() -> None:
    assert codes(validate(lidocaine(20, 12), jurisdiction="US"), "MF150") == []  # 240 < 300
    (finding,) = codes(validate(lidocaine(20, 20), jurisdiction="US"), "MF150")
    assert "400 mg of lidocaine, above the cap of 300 mg" in finding.message
    assert "default" not in finding.message


@pytest.mark.parametrize(
    ("mg_per_ml", "volume_ml", "says"),
    [
        (None, 12.0, "the strength of Lidocaine hydrochloride is undisclosed"),
        (20.0, None, "administration.volume_per_session_ml is unknown"),
    ],
)
def test_an_unchecked_default_is_an_information(
    mg_per_ml: float | None, volume_ml: float | None, says: str
) -> None:
    (finding,) = codes(validate(lidocaine(mg_per_ml, volume_ml), jurisdiction="FR"), "MF150")
    assert finding.severity is Severity.INFO and says in finding.message


def test_a_default_that_needs_the_weight_says_so() -> None:
    per_kg_only = default_tables().dose_caps[0].model_copy(update={"max_mg": None})
    tables = default_tables().model_copy(update={"dose_caps": (per_kg_only,)})
    (finding,) = codes(validate(lidocaine(20, 12), jurisdiction="FR", tables=tables), "MF150")
    assert finding.severity is Severity.INFO
    assert "cap of 4.5 mg/kg (US) needs the patient's weight" in finding.message
