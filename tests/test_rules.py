"""The rule engine and the built-in rules: each rule fires on what it is for, and only then."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store.import_checks import RuleCheck
from meso_formulary.errors import InvalidInput, NotFound, UnitConversionError, UnreadableInput
from meso_formulary.model import (
    Area,
    CatalogueFile,
    Cocktail,
    Indication,
    IndicationId,
    Ingredient,
    IngredientClass,
    RegulatoryStatus,
    Technique,
)
from meso_formulary.rules import (
    Finding,
    IngredientIndex,
    Issue,
    Resolution,
    RuleContext,
    RuleRegistry,
    RuleTables,
    Severity,
    build_context,
    default_registry,
    default_tables,
    read_tables,
    rules_markdown,
    validate,
)
from meso_formulary.rules.tables import DoseCap, IngredientSelector, SourcedRow
from meso_formulary.units import MAX_VALUE, MIN_VALUE, Unit, convert

SRC = "test fixture source"


def ingredient(id: str, name: str, cls: str, **extra: Any) -> Ingredient:
    return Ingredient.model_validate({"id": id, "name": name, "class": cls, "source": SRC, **extra})


INGREDIENTS = {
    i.id: i
    for i in (
        ingredient(
            "lidocaine-hcl",
            "Lidocaine hydrochloride",
            "anaesthetic",
            synonyms=["lidocaine", "lignocaine"],
            molecular_weight=270.8,
            allowed_units=["mg/mL", "% w/v", "mmol/L", "mg/vial"],
            typical_range={"min": 3, "max": 20, "unit": "mg/mL", "source": "Medscape (fixture)"},
            eu_cosmetics={"annex": "II", "reference": "399", "source": "CosIng (fixture)"},
        ),
        ingredient(
            "sodium-deoxycholate",
            "Sodium deoxycholate",
            "lipolytic",
            synonyms=["DC", "deoxycholate"],
            molecular_weight=414.55,
            hard_limit={"max": 50, "unit": "mg/mL", "source": "Rotunda 2005 (fixture)"},
        ),
        ingredient(
            "deoxycholic-acid",
            "Deoxycholic acid",
            "lipolytic",
            hard_limit={"max": 10, "unit": "mg/mL", "source": "Kybella label (fixture)"},
        ),
        ingredient("ascorbic-acid", "Ascorbic acid", "vitamin", synonyms=["vitamin C"]),
        ingredient("caffeine", "Caffeine", "lipolytic"),
        ingredient(
            "phosphatidylcholine", "Phosphatidylcholine", "lipolytic", synonyms=["PC", "lecithin"]
        ),
        ingredient(
            "sodium-hyaluronate",
            "Sodium hyaluronate",
            "hyaluronic_acid",
            inci="SODIUM HYALURONATE",
            synonyms=["HA"],
            allowed_units=["mg/mL", "% w/v", "mg/vial"],
            typical_range={"min": 12, "max": 32, "unit": "mg/mL", "source": "Profhilo (fixture)"},
        ),
        ingredient("minoxidil", "Minoxidil", "hair_growth_drug"),
        ingredient(
            "hyaluronidase",
            "Hyaluronidase",
            "enzyme",
            hard_limit={"max": 1500, "unit": "IU/mL", "source": "label (fixture)"},
        ),
        ingredient(
            "growth-factor-x",
            "Growth factor X",
            "growth_factor",
            hard_limit={"max": 5, "unit": "IU/mL", "source": "sheet (fixture)"},
        ),
        ingredient(
            "kojic-acid",
            "Kojic acid",
            "depigmenting",
            eu_cosmetics={"annex": "III", "reference": "375", "source": "CosIng (fixture)"},
        ),
        ingredient("biotin", "Biotin", "vitamin", synonyms=["vitamin H", "shared name"]),
        ingredient("dexpanthenol", "Dexpanthenol", "vitamin", synonyms=["shared name"]),
    )
}


def indication(id: str, areas: Iterable[str]) -> Indication:
    return Indication.model_validate(
        {
            "id": id,
            "name": id.replace("_", " "),
            "description": "fixture",
            "typical_areas": list(areas),
            "source": SRC,
        }
    )


INDICATIONS = {
    i.id: i
    for i in (
        indication("skin_rejuvenation", ["face", "neck", "decolletage", "hands"]),
        indication("alopecia", ["scalp"]),
        indication("localised_fat", ["submental", "abdomen", "flanks"]),
        indication("cellulite", []),
    )
}


def cocktail(**overrides: Any) -> Cocktail:
    """A cocktail none of the built-in rules finds anything wrong with."""
    data: dict[str, Any] = {
        "id": "acme/booster",
        "name": "Booster",
        "supplier": "acme",
        "description": "Hyaluronic acid skin booster.",
        "composition": [
            {"ingredient": "sodium-hyaluronate", "strength": {"value": 16, "unit": "mg/mL"}}
        ],
        "vial_volume_ml": 2.0,
        "ph": 7.0,
        "osmolality_mosm_kg": 290.0,
        "indications": ["skin_rejuvenation"],
        "areas": ["cheeks"],
        "administration": {"techniques": ["papule"], "volume_per_session_ml": 2.0},
    }
    data.update(overrides)
    return Cocktail.model_validate(data)


def line(name: str, value: float | None = None, unit: str = "mg/mL") -> dict[str, Any]:
    if value is None:
        return {"ingredient": name}
    return {"ingredient": name, "strength": {"value": value, "unit": unit}}


def check(c: Cocktail, **kwargs: Any) -> list[Finding]:
    kwargs.setdefault("ingredients", INGREDIENTS)
    kwargs.setdefault("indications", INDICATIONS)
    return validate(c, **kwargs)


def by_code(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def only(findings: list[Finding], code: str) -> Finding:
    matches = by_code(findings, code)
    assert len(matches) == 1, findings
    return matches[0]


def sourced(finding: Finding) -> str:
    """The finding's source, which is its own field: the short message no longer carries it."""
    assert "(source:" not in finding.message, finding.message
    assert finding.source, finding
    return finding.source


# ---------------------------------------------------------------- the baseline


def test_a_sound_cocktail_has_no_findings() -> None:
    assert check(cocktail()) == []


# ---------------------------------------------------------------- completeness


def test_no_composition() -> None:
    finding = only(check(cocktail(composition=[])), "MF100")
    assert (finding.severity, finding.path, finding.rule) == (
        Severity.WARNING,
        "composition",
        "no-composition",
    )


def test_no_indication() -> None:
    finding = only(check(cocktail(indications=[])), "MF101")
    assert finding.path == "indications"


# ---------------------------------------------------------------- ingredients


def test_unknown_ingredient_suggests_the_closest_name() -> None:
    findings = check(cocktail(composition=[line("sodium-hyaluronate", 16), line("lidocain", 3)]))
    finding = only(findings, "MF102")
    assert finding.severity is Severity.ERROR
    assert finding.path == "composition.1.ingredient"
    assert finding.value == "lidocain"
    assert "did you mean 'lidocaine-hcl' (Lidocaine hydrochloride)?" in finding.message


def test_a_hostile_unknown_name_gets_no_suggestion() -> None:
    name = "'; DROP TABLE cocktails; --"
    finding = only(check(cocktail(composition=[line(name, 1)])), "MF102")
    assert "did you mean" not in finding.message
    assert repr(name) in finding.message


def test_names_synonyms_and_inci_resolve_case_and_space_insensitively() -> None:
    composition = [line("  SODIUM\u00a0HYALURONATE ", 16), line("Lignocaine", 3)]
    assert check(cocktail(composition=composition), select=["MF102"]) == []


def test_a_name_shared_by_two_ingredients_is_ambiguous() -> None:
    finding = only(check(cocktail(composition=[line("Shared name", 1)])), "MF102")
    assert "biotin, dexpanthenol" in finding.message


def test_duplicate_ingredient_under_two_names() -> None:
    composition = [line("lidocaine-hcl", 3), line("sodium-hyaluronate", 16), line("Lignocaine", 3)]
    finding = only(check(cocktail(composition=composition)), "MF103")
    assert finding.path == "composition.2.ingredient"
    assert "composition.0" in finding.message


def test_duplicate_unknown_names_are_compared_by_key() -> None:
    composition = [line("sodium-hyaluronate", 16), line("Mystery", 1), line("MYSTERY ", 1)]
    assert only(check(cocktail(composition=composition)), "MF103").path == (
        "composition.2.ingredient"
    )


def test_unit_not_allowed() -> None:
    finding = only(check(cocktail(composition=[line("sodium-hyaluronate", 5, "mmol/L")])), "MF108")
    assert finding.path == "composition.0.strength.unit"
    assert "mmol/L" in finding.message and "mg/mL, % w/v, mg/vial" in finding.message


# ---------------------------------------------------------------- strengths


def test_strength_above_hard_limit_names_value_limit_and_source() -> None:
    findings = check(cocktail(composition=[line("sodium-deoxycholate", 6, "%")]))
    finding = only(findings, "MF104")
    assert finding.severity is Severity.ERROR
    assert finding.path == "composition.0.strength"
    assert finding.value == "6 % w/v"
    assert "6 % w/v (60 mg/mL)" in finding.message
    assert "50 mg/mL" in finding.message
    assert sourced(finding) == "Rotunda 2005 (fixture)"


def test_a_strength_at_the_limit_is_not_above_it() -> None:
    composition = [line("sodium-deoxycholate", 5, "%"), line("lidocaine-hcl", 0.3, "%")]
    findings = check(cocktail(composition=composition))
    assert by_code(findings, "MF104") == [] and by_code(findings, "MF105") == []


def test_mmol_per_litre_converts_through_molecular_weight() -> None:
    # 150 mmol/L x 414.55 g/mol = 62.2 mg/mL, above 50 mg/mL
    findings = check(cocktail(composition=[line("sodium-deoxycholate", 150, "mmol/L")]))
    assert "62.1825 mg/mL" in only(findings, "MF104").message


def test_mg_per_vial_converts_through_the_vial_volume() -> None:
    composition = [line("sodium-deoxycholate", 300, "mg/vial")]
    assert by_code(check(cocktail(composition=composition, vial_volume_ml=10.0)), "MF104") == []
    findings = check(cocktail(composition=composition, vial_volume_ml=5.0))
    assert "300 mg/vial (60 mg/mL)" in only(findings, "MF104").message


def test_strength_outside_typical_range_both_sides() -> None:
    low = only(check(cocktail(composition=[line("sodium-hyaluronate", 5)])), "MF105")
    assert low.severity is Severity.WARNING
    assert "below its typical range (12 to 32 mg/mL)" in low.message
    assert sourced(low) == "Profhilo (fixture)"
    high = only(check(cocktail(composition=[line("sodium-hyaluronate", 4, "%")])), "MF105")
    assert "4 % w/v (40 mg/mL) of Sodium hyaluronate is above" in high.message


# An ingredient with both a typical range (scoped, with what it was measured on) and a hard
# limit (with its basis), so that a strength can be outside the range, above the limit, or both.
BOOSTER_RANGE = {
    "min": 10,
    "max": 20,
    "unit": "mg/mL",
    "scope": ["skin_booster"],
    "measured_on": "marketed skin boosters",
    "source": "booster labels (fixture)",
}
SCOPED = ingredient(
    "scoped-acid",
    "Scoped acid",
    "other",
    typical_range=BOOSTER_RANGE,
    hard_limit={
        "max": 40,
        "unit": "mg/mL",
        "basis": "solubility in water at 25 °C",
        "source": "Merck Index (fixture)",
    },
)
UNSCOPED = ingredient(
    "unscoped-acid",
    "Unscoped acid",
    "other",
    typical_range={k: v for k, v in BOOSTER_RANGE.items() if k != "scope"},
    hard_limit={"max": 40, "unit": "mg/mL", "source": "Merck Index (fixture)"},
)
WITH_SCOPED = {**INGREDIENTS, SCOPED.id: SCOPED, UNSCOPED.id: UNSCOPED}


def at(findings: list[Finding], path: str) -> list[str]:
    return [f.code for f in findings if f.path == path]


@pytest.mark.parametrize(
    ("value", "unit"), [(50.0, "mg/mL"), (41.0, "mg/mL"), (5.0, "%"), (150.0, "mg/vial")]
)
@pytest.mark.parametrize("name", ["unscoped-acid", "scoped-acid"])
def test_a_strength_above_the_hard_limit_is_that_error_alone(
    name: str, value: float, unit: str
) -> None:
    # above the typical range too (20 mg/mL), but one value gets one finding: MF104
    c = cocktail(
        composition=[line("sodium-hyaluronate", 16), line(name, value, unit)],
        product_type="skin_booster",
    )
    findings = check(c, ingredients=WITH_SCOPED)
    assert at(findings, "composition.1.strength") == ["MF104"]
    assert by_code(findings, "MF105") == []


@pytest.mark.parametrize("value", [21.0, 40.0])  # above the typical range, not above the limit
def test_a_strength_between_the_range_and_the_limit_is_only_atypical(value: float) -> None:
    c = cocktail(composition=[line("unscoped-acid", value)])
    findings = check(c, ingredients=WITH_SCOPED)
    assert at(findings, "composition.0.strength") == ["MF105"]
    assert f"{value:g} mg/mL of Unscoped acid is above its typical range" in (
        only(findings, "MF105").message
    )


def test_a_strength_below_the_range_is_atypical_whatever_the_hard_limit() -> None:
    c = cocktail(composition=[line("unscoped-acid", 5)])
    findings = check(c, ingredients=WITH_SCOPED)
    assert at(findings, "composition.0.strength") == ["MF105"]
    assert "below its typical range" in only(findings, "MF105").message


@pytest.mark.parametrize(
    ("product_type", "compared"),
    [
        ("skin_booster", True),
        ("mesotherapy_cocktail", False),
        ("hybrid_ha_complex", False),
        (None, False),
    ],
)
@pytest.mark.parametrize("value", [5.0, 30.0])  # below and above the range of skin boosters
def test_a_scoped_typical_range_is_compared_only_with_its_product_types(
    product_type: str | None, compared: bool, value: float
) -> None:
    c = cocktail(composition=[line("scoped-acid", value)], product_type=product_type)
    findings = check(c, ingredients=WITH_SCOPED)
    assert at(findings, "composition.0.strength") == (["MF105"] if compared else [])
    # a range without a scope is compared with every cocktail, of a type or of none
    c = cocktail(composition=[line("unscoped-acid", value)], product_type=product_type)
    assert at(check(c, ingredients=WITH_SCOPED), "composition.0.strength") == ["MF105"]


def test_a_scope_may_name_several_product_types() -> None:
    both = BOOSTER_RANGE | {"scope": ["skin_booster", "hybrid_ha_complex"]}
    wide = ingredient("wide-acid", "Wide acid", "other", typical_range=both)
    ingredients = {**INGREDIENTS, wide.id: wide}
    for product_type, codes in [
        ("skin_booster", ["MF105"]),
        ("hybrid_ha_complex", ["MF105"]),
        ("mesotherapy_cocktail", []),
    ]:
        c = cocktail(composition=[line("wide-acid", 5)], product_type=product_type)
        assert at(check(c, ingredients=ingredients), "composition.0.strength") == codes


def test_measured_on_and_basis_are_in_the_messages_and_the_source_is_its_own_field() -> None:
    booster = cocktail(composition=[line("scoped-acid", 5)], product_type="skin_booster")
    below = only(check(booster, ingredients=WITH_SCOPED), "MF105")
    assert below.message == (
        "5 mg/mL of Scoped acid is below its typical range "
        "(10 to 20 mg/mL in marketed skin boosters)"
    )
    converted = cocktail(composition=[line("scoped-acid", 0.5, "%")], product_type="skin_booster")
    assert "(10 to 20 mg/mL in marketed skin boosters)" in (
        only(check(converted, ingredients=WITH_SCOPED), "MF105").message
    )
    above = cocktail(composition=[line("scoped-acid", 5, "%")], product_type="skin_booster")
    error = only(check(above, ingredients=WITH_SCOPED), "MF104")
    assert error.message == (
        "5 % w/v (50 mg/mL) of Scoped acid is above its hard limit of 40 mg/mL, "
        "solubility in water at 25 °C"
    )
    for finding, source in [
        (below, "booster labels (fixture)"),
        (error, "Merck Index (fixture)"),
    ]:
        assert sourced(finding) == source
        assert finding.as_dict()["source"] == source
        assert finding.as_problem().source == source
        assert source not in finding.message and source not in str(finding)


def test_without_measured_on_or_basis_the_messages_say_neither() -> None:
    low = only(check(cocktail(composition=[line("sodium-hyaluronate", 5)])), "MF105")
    assert low.message.endswith("is below its typical range (12 to 32 mg/mL)")
    high = only(check(cocktail(composition=[line("sodium-deoxycholate", 6, "%")])), "MF104")
    assert high.message.endswith("is above its hard limit of 50 mg/mL")


def test_a_finding_without_a_source_says_none() -> None:
    finding = only(check(cocktail(composition=[])), "MF100")
    assert finding.source is None
    assert finding.as_dict()["source"] is None and finding.as_problem().source is None


def test_undisclosed_strengths_are_skipped() -> None:
    composition = [line("sodium-deoxycholate"), line("sodium-hyaluronate")]
    codes = {f.code for f in check(cocktail(composition=composition))}
    assert codes.isdisjoint({"MF104", "MF105", "MF106", "MF107", "MF108"})


def test_a_strength_that_cannot_be_converted_is_its_own_finding() -> None:
    findings = check(
        cocktail(composition=[line("sodium-hyaluronate", 20, "mg/vial")], vial_volume_ml=None)
    )
    finding = only(findings, "MF106")
    assert finding.path == "composition.0.strength"
    assert "no vial volume" in finding.message
    assert by_code(findings, "MF105") == []


def test_a_limit_in_another_unit_that_cannot_be_converted_is_reported() -> None:
    findings = check(cocktail(composition=[line("growth-factor-x", 1, "mg/mL")]))
    finding = only(findings, "MF106")
    assert "hard limit of Growth factor X (5 IU/mL) cannot be compared" in finding.message
    assert "mg_per_iu" in finding.message


def test_a_limit_in_the_same_unit_needs_no_conversion() -> None:
    findings = check(cocktail(composition=[line("hyaluronidase", 3000, "IU/mL")]))
    assert "3000 IU/mL of Hyaluronidase is above its hard limit of 1500 IU/mL" in (
        only(findings, "MF104").message
    )
    assert "no mg-per-IU factor" in only(findings, "MF106").message


def test_strength_above_a_table_threshold() -> None:
    finding = only(check(cocktail(composition=[line("DC", 4.5, "%")])), "MF107")
    assert finding.severity is Severity.INFO
    assert "above 4 % w/v" in finding.message and "analgesia" in finding.message
    assert "anyderma" in sourced(finding)


# ---------------------------------------------------------------- pH and osmolality


@pytest.mark.parametrize(
    ("ph", "severity"),
    [(2.5, Severity.WARNING), (9.5, Severity.ERROR), (3.0, None), (9.0, None), (7.0, None)],
)
def test_ph_tolerance(ph: float, severity: Severity | None) -> None:
    findings = by_code(check(cocktail(ph=ph)), "MF120")
    assert [f.severity for f in findings] == ([] if severity is None else [severity])
    for finding in findings:
        assert f"pH {ph:g}" in finding.message and "Strickley" in sourced(finding)
        assert "Usach" not in sourced(finding)  # the audit: Usach 2019 gives no pH figures


def test_deoxycholate_needs_an_alkaline_ph() -> None:
    composition = [line("sodium-hyaluronate", 16), line("sodium-deoxycholate", 20)]
    finding = only(check(cocktail(composition=composition, ph=7.0)), "MF121")
    assert "pH 7 is too acid for Sodium deoxycholate (composition.1)" in finding.message
    assert "at least pH 8" in finding.message and "patents" in sourced(finding)
    assert by_code(check(cocktail(composition=composition, ph=8.2)), "MF121") == []


@pytest.mark.parametrize(
    ("osmolality", "severity"),
    [(450.0, Severity.INFO), (700.0, Severity.WARNING), (300.0, None), (250.0, None)],
)
def test_osmolality(osmolality: float, severity: Severity | None) -> None:
    findings = by_code(check(cocktail(osmolality_mosm_kg=osmolality)), "MF122")
    assert [f.severity for f in findings] == ([] if severity is None else [severity])


# ---------------------------------------------------------------- areas


def test_area_not_typical_for_the_indication() -> None:
    findings = check(cocktail(indications=["alopecia"], areas=["scalp", "abdomen"]))
    finding = only(findings, "MF130")
    assert (finding.path, finding.value) == ("areas.1", "abdomen")
    assert "alopecia: scalp" in finding.message


def test_a_part_of_a_typical_area_is_typical() -> None:
    assert by_code(check(cocktail(areas=["cheeks", "face", "neck"])), "MF130") == []


def test_an_indication_with_unknown_areas_suppresses_the_area_check() -> None:
    c = cocktail(indications=["alopecia", "cellulite"], areas=["thighs"])
    assert by_code(check(c), "MF130") == []


@pytest.mark.parametrize(
    ("name", "area", "severity"),
    [
        ("sodium-deoxycholate", "periorbital", Severity.ERROR),
        ("deoxycholic-acid", "abdomen", Severity.WARNING),
        ("minoxidil", "cheeks", Severity.WARNING),
    ],
)
def test_area_restricted_for_ingredient(name: str, area: str, severity: Severity) -> None:
    c = cocktail(composition=[line(name)], areas=[area], indications=[])
    finding = only(check(c), "MF131")
    assert finding.severity is severity
    assert finding.path == "areas.0"
    assert sourced(finding)


def test_allowed_areas_pass_the_restrictions() -> None:
    c = cocktail(
        composition=[line("deoxycholic-acid"), line("minoxidil")],
        areas=["submental", "scalp"],
        indications=[],
    )
    findings = by_code(check(c), "MF131")
    assert [(f.value, f.severity) for f in findings] == [
        ("submental", Severity.WARNING),  # areas.0: minoxidil is for the scalp only
        ("scalp", Severity.WARNING),  # areas.1: deoxycholic acid is for submental fat only
    ]


# ---------------------------------------------------------------- mixtures


def test_deoxycholate_with_ascorbic_acid() -> None:
    composition = [line("DC", 20), line("vitamin C", 10)]
    finding = only(check(cocktail(composition=composition, ph=8.2)), "MF140")
    assert finding.path == "composition.1.ingredient"
    assert "Sodium deoxycholate (composition.0) with Ascorbic acid (composition.1)" in (
        finding.message
    )


def test_anaesthetic_with_a_lipolysis_stimulator_but_not_with_a_detergent() -> None:
    stimulator = cocktail(composition=[line("caffeine", 10), line("lidocaine", 3)])
    assert "Jayasinghe" in sourced(only(check(stimulator), "MF140"))
    detergent = cocktail(
        composition=[line("sodium-deoxycholate", 20), line("lidocaine", 3)], ph=8.2
    )
    assert by_code(check(detergent), "MF140") == []


# ---------------------------------------------------------------- doses


def lidocaine_cocktail(
    value: float | None, unit: str = "mg/mL", volume: float | None = 20.0
) -> Cocktail:
    administration: dict[str, Any] = {"techniques": ["papule"]}
    if volume is not None:
        administration["volume_per_session_ml"] = volume
    return cocktail(
        composition=[line("sodium-hyaluronate", 16), line("lidocaine-hcl", value, unit)],
        administration=administration,
    )


def test_lidocaine_above_the_us_per_kg_cap() -> None:
    finding = only(check(lidocaine_cocktail(20), patient_weight_kg=60), "MF150")
    assert finding.severity is Severity.ERROR
    assert finding.path == "administration.volume_per_session_ml"
    assert finding.value == 400
    assert "20 mg/mL × 20 mL per session = 400 mg of lidocaine" in finding.message
    assert "4.5 mg/kg × 60 kg = 270 mg" in finding.message
    assert "Xylocaine" in sourced(finding)


def test_the_absolute_cap_wins_for_a_heavy_patient() -> None:
    finding = only(check(lidocaine_cocktail(20), patient_weight_kg=100), "MF150")
    assert "above the cap of 300 mg" in finding.message and "but at most 300 mg" in finding.message


def test_without_weight_the_absolute_cap_is_checked() -> None:
    assert "at most 300 mg" in only(check(lidocaine_cocktail(20)), "MF150").message
    assert by_code(check(lidocaine_cocktail(10)), "MF150") == []


def test_the_jurisdiction_selects_the_cap() -> None:
    # 10 mg/mL x 20 mL = 200 mg: under the US 300 mg, exactly the BNF 200 mg
    assert by_code(check(lidocaine_cocktail(10), jurisdiction="GB"), "MF150") == []
    finding = only(check(lidocaine_cocktail(2, "%", volume=12), jurisdiction="gb"), "MF150")
    assert "240 mg of lidocaine, above the cap of 200 mg" in finding.message
    assert "British National Formulary" in sourced(finding)


def test_rounding_noise_is_not_an_overdose() -> None:
    # 0.3 % is 3.0000000000000004 mg/mL; x 100 mL is "300.00000000000006" mg
    assert (
        by_code(check(lidocaine_cocktail(0.3, "%", volume=50), patient_weight_kg=200), "MF150")
        == []
    )
    c = lidocaine_cocktail(0.3, "%", volume=50)
    assert by_code(check(c, patient_weight_kg=100 / 3), "MF150") == []  # 4.5 x 33.3 = 150 mg


@pytest.mark.parametrize(
    ("c", "kwargs", "says"),
    [
        (lidocaine_cocktail(20, volume=None), {}, "volume_per_session_ml is unknown"),
        (lidocaine_cocktail(None), {}, "strength of Lidocaine hydrochloride is undisclosed"),
        (
            lidocaine_cocktail(None),
            {"jurisdiction": "FR"},
            "strength of Lidocaine hydrochloride is undisclosed",
        ),
    ],
)
def test_an_unchecked_dose_is_an_information(
    c: Cocktail, kwargs: dict[str, Any], says: str
) -> None:
    finding = only(check(c, **kwargs), "MF150")
    assert finding.severity is Severity.INFO
    assert says in finding.message


def test_a_per_kg_only_cap_needs_the_weight() -> None:
    cap = DoseCap(
        substance="lidocaine",
        ingredients=IngredientSelector(classes=(IngredientClass.ANAESTHETIC,)),
        max_mg_per_kg=3,
        severity=Severity.ERROR,
        source="a stricter house rule (fixture)",
    )
    tables = default_tables().model_copy(update={"dose_caps": (cap,)})
    c = lidocaine_cocktail(20, volume=5)
    assert "needs the patient's weight" in only(check(c, tables=tables), "MF150").message
    finding = only(check(c, tables=tables, patient_weight_kg=30), "MF150")
    assert "3 mg/kg × 30 kg = 90 mg" in finding.message and "all jurisdictions" in finding.message


def test_phosphatidylcholine_per_session() -> None:
    c = cocktail(
        composition=[line("PC", 60)],
        indications=["localised_fat"],
        areas=["abdomen"],
        administration={"techniques": ["subcutaneous"], "volume_per_session_ml": 50.0},
    )
    finding = only(check(c, jurisdiction="FR"), "MF150")
    assert finding.severity is Severity.WARNING
    assert "= 3000 mg of phosphatidylcholine, above the cap of 2500 mg" in finding.message
    assert "Network Lipolysis" in sourced(finding)
    at_cap = cocktail(
        composition=[line("PC", 50)],
        indications=["localised_fat"],
        areas=["abdomen"],
        administration={"techniques": ["subcutaneous"], "volume_per_session_ml": 50.0},
    )
    assert by_code(check(at_cap), "MF150") == []


# ---------------------------------------------------------------- regulatory


@pytest.mark.parametrize(
    ("name", "severity", "word"),
    [("lidocaine", Severity.ERROR, "prohibited"), ("kojic-acid", Severity.WARNING, "restricted")],
)
def test_eu_cosmetics_annex(name: str, severity: Severity, word: str) -> None:
    c = cocktail(
        composition=[line("sodium-hyaluronate", 16), line(name)], regulatory_status="cosmetic"
    )
    finding = only(check(c), "MF160")
    assert finding.severity is severity and word in finding.message
    assert finding.path == "composition.1.ingredient"
    medicinal = c.model_copy(update={"regulatory_status": RegulatoryStatus.MEDICINAL_PRODUCT})
    assert by_code(check(medicinal), "MF160") == []


# ---------------------------------------------------------------- ordering and output


def test_findings_are_sorted_by_severity_then_natural_path() -> None:
    composition = [line("sodium-hyaluronate", 16)] + [line(f"unknown {i}", 1) for i in range(11)]
    findings = check(cocktail(composition=composition, ph=2.0, osmolality_mosm_kg=350.0))
    severities = [f.severity.rank for f in findings]
    assert severities == sorted(severities)
    errors = [f.path for f in findings if f.code == "MF102"]
    assert errors[:3] == [
        "composition.1.ingredient",
        "composition.2.ingredient",
        "composition.3.ingredient",
    ]
    assert errors[-1] == "composition.11.ingredient"
    assert [f.code for f in findings if f.severity is not Severity.ERROR] == ["MF120", "MF122"]


def test_a_finding_becomes_a_problem_and_a_dict() -> None:
    finding = only(check(cocktail(ph=2.0)), "MF120")
    problem = finding.as_problem()
    assert (problem.path, problem.code, problem.severity, problem.value) == (
        "ph",
        "MF120",
        "warning",
        2.0,
    )
    assert finding.as_dict()["severity"] == "warning"
    assert str(finding).startswith("ph: MF120 warning: pH 2 is below 3")


# ---------------------------------------------------------------- the registry


def test_select_and_ignore_by_code_or_name() -> None:
    c = cocktail(composition=[], indications=[])
    assert {f.code for f in check(c)} == {"MF100", "MF101"}
    assert {f.code for f in check(c, select=["MF100"])} == {"MF100"}
    assert {f.code for f in check(c, select="no-indication")} == {"MF101"}
    assert {f.code for f in check(c, ignore=["no-composition"])} == {"MF101"}


def test_an_unknown_rule_is_not_found() -> None:
    with pytest.raises(NotFound, match="no rule 'MF999'"):
        check(cocktail(), select=["MF999"])
    with pytest.raises(NotFound):
        check(cocktail(), ignore=["no-such-rule"])


def test_developers_extend_a_copy_without_touching_the_default() -> None:
    registry = default_registry()

    @registry.rule("XY001", "needs-sources", Severity.INFO)
    def needs_sources(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
        """The cocktail cites no source."""
        if not cocktail.sources:
            yield Issue("no sources", path="sources")

    finding = only(check(cocktail(), registry=registry), "XY001")
    assert (finding.rule, finding.severity) == ("needs-sources", Severity.INFO)
    assert "XY001" in registry and "needs-sources" in registry
    assert "XY001" not in default_registry()
    assert len(default_registry()) == len(registry) - 1
    assert registry.copy().get("XY001") is registry.get("XY001")


def test_a_table_row_overrides_the_rule_severity() -> None:
    registry = RuleRegistry()

    @registry.rule("XY002", "always", "info")
    def always(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
        """Always says something."""
        yield Issue("plain")
        yield Issue("loud", severity=Severity.ERROR)

    findings = check(cocktail(), registry=registry)
    assert [(f.message, f.severity) for f in findings] == [
        ("loud", Severity.ERROR),
        ("plain", Severity.INFO),
    ]


def _documented(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    """Documented."""
    return ()


def _undocumented(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
    return ()


@pytest.mark.parametrize(
    ("code", "name", "severity", "check_fn", "says"),
    [
        ("MF100", "fresh-name", "error", _documented, "clashes"),
        ("XY100", "no-composition", "error", _documented, "clashes"),
        ("mf1", "lower", "error", _documented, "not like MF104"),
        ("XY101", "Not Slug", "error", _documented, "lowercase-hyphenated"),
        ("XY102", "loud", "fatal", _documented, "no valid severity"),
        ("XY103", "quiet", "info", _undocumented, "needs a docstring"),
    ],
)
def test_bad_registrations_are_refused(
    code: str, name: str, severity: str, check_fn: Any, says: str
) -> None:
    registry = default_registry()
    with pytest.raises(ValueError, match=says) as caught:
        registry.rule(code, name, severity)(check_fn)
    assert not isinstance(caught.value, InvalidInput)  # a programming error, not bad input


def test_rules_markdown_lists_every_rule() -> None:
    registry = default_registry()

    @registry.rule("XY003", "piped", Severity.WARNING)
    def piped(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
        """A | B,
        on two lines."""
        return ()

    text = rules_markdown(registry)
    assert text.startswith("| code | name | severity | what it checks |\n| --- |")
    for rule in registry:
        assert f"| {rule.code} | `{rule.name}` | {rule.severity} |" in text
    assert "| XY003 | `piped` | warning | A \\| B, on two lines. |" in text
    assert len(text.splitlines()) == len(registry) + 2


def test_every_builtin_rule_is_documented_and_coded() -> None:
    rules = list(default_registry())
    assert len(rules) >= 17
    assert all(rule.summary and rule.code.startswith("MF") for rule in rules)


# ---------------------------------------------------------------- context and arguments


@pytest.mark.parametrize("weight", [math.nan, math.inf, -1, 0, 701])
def test_an_implausible_weight_is_refused(weight: Any) -> None:
    with pytest.raises(InvalidInput, match="patient weight"):
        check(cocktail(), patient_weight_kg=weight)


@pytest.mark.parametrize("weight", [True, "70"])
def test_a_weight_that_is_not_a_number_is_a_type_error(weight: Any) -> None:
    with pytest.raises(TypeError, match="patient weight"):
        check(cocktail(), patient_weight_kg=weight)


@pytest.mark.parametrize("code", ["USA", "", "u1"])
def test_a_bad_jurisdiction_is_refused(code: Any) -> None:
    with pytest.raises(InvalidInput, match="jurisdiction"):
        check(cocktail(), jurisdiction=code)


@pytest.mark.parametrize("code", [12, None])
def test_a_jurisdiction_that_is_not_text_is_a_type_error(code: Any) -> None:
    with pytest.raises(TypeError, match="jurisdiction"):
        check(cocktail(), jurisdiction=code)


def test_the_jurisdiction_is_normalised() -> None:
    context = build_context(ingredients=INGREDIENTS, indications=INDICATIONS, jurisdiction=" gb ")
    assert context.jurisdiction == "GB"


def test_validate_needs_a_cocktail() -> None:
    # A caller's mistake, not a user's: a TypeError, which the CLI does not dress as one.
    with pytest.raises(TypeError, match="needs a Cocktail"):
        validate({"id": "acme/x"}, ingredients=INGREDIENTS)  # type: ignore[arg-type]


def test_tables_must_be_rule_tables() -> None:
    with pytest.raises(TypeError, match="RuleTables"):
        check(cocktail(), tables={"ph": []})


@pytest.mark.parametrize(
    ("ingredients", "error", "says"),
    [
        ({"other-id": INGREDIENTS["caffeine"]}, ValueError, "filed under the key"),
        ({"caffeine": "caffeine"}, TypeError, "holds a str"),
        ([INGREDIENTS["caffeine"], INGREDIENTS["caffeine"]], InvalidInput, "appears twice"),
    ],
)
def test_a_broken_dictionary_is_refused(
    ingredients: Any, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        IngredientIndex.build(ingredients)


def test_a_prebuilt_context_is_reused_for_many_cocktails() -> None:
    index = IngredientIndex.build(INGREDIENTS.values())
    context = build_context(
        ingredients=index, indications=INDICATIONS.values(), patient_weight_kg=60
    )
    assert context.ingredients is index
    registry = default_registry()
    assert registry.check(cocktail(), context) == []
    assert only(registry.check(lidocaine_cocktail(20), context), "MF150").severity is Severity.ERROR


# ---------------------------------------------------------------- the tables


def test_the_shipped_tables_load_with_a_source_on_every_row() -> None:
    tables = default_tables()
    rows: list[SourcedRow] = [
        *tables.ph,
        *tables.osmolality,
        *tables.ph_requirements,
        *tables.incompatible_pairs,
        *tables.area_groups,
        *tables.area_restrictions,
        *tables.strength_thresholds,
        *tables.dose_caps,
        *tables.required_contraindications,
        *tables.injection_hazards,
    ]
    assert len(rows) >= 20
    assert all(len(row.source) >= 10 for row in rows)
    assert {row.jurisdictions for row in tables.dose_caps if row.substance == "lidocaine"} == {
        ("US",),
        ("GB", "BH"),
    }


def test_table_problems_are_located_in_the_file() -> None:
    text = (
        "ph:\n"
        "  - below: 3\n"
        "    above: 9\n"
        "    severity: warning\n"
        "    effect: both\n"
        "    source: nowhere\n"
    )
    with pytest.raises(InvalidInput) as caught:
        read_tables(text, "house.yaml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.path, problem.line) == ("house.yaml", "ph.0", 2)
    assert "exactly one of below or above" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "ph: []\nph: []\n",  # duplicate key
        "a: &x [1]\nb: *x\n",  # alias
        "ph: !!python/object:os.system []\n",  # tag
        "ph: [\n",  # syntax
    ],
)
def test_hostile_table_files_are_unreadable(text: str) -> None:
    with pytest.raises(UnreadableInput):
        read_tables(text, "hostile.yaml")


@pytest.mark.parametrize(
    "row",
    [
        {"substance": "x", "ingredients": {"ids": ["x"]}, "severity": "error", "source": "src"},
        {
            "substance": "x",
            "ingredients": {},
            "max_mg": 1,
            "severity": "error",
            "source": "src",
        },
        {
            "substance": "x",
            "ingredients": {"ids": ["x"]},
            "max_mg": 1,
            "jurisdictions": ["usa"],
            "severity": "error",
            "source": "src",
        },
        {
            "substance": "x",
            "ingredients": {"ids": ["x"]},
            "max_mg": 1,
            "severity": "error",
            "source": "",
        },
    ],
)
def test_bad_dose_cap_rows_are_refused(row: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        read_tables(_yaml({"dose_caps": [row]}))


def _yaml(data: object) -> str:
    import json

    return json.dumps(data)  # JSON is YAML 1.2


def test_custom_tables_replace_the_shipped_ones() -> None:
    tables = RuleTables()
    assert check(cocktail(ph=1.0, osmolality_mosm_kg=900.0, areas=["face"]), tables=tables) == []
    # without the shipped area groups, the cheeks are no longer part of the face
    assert only(check(cocktail(), tables=tables), "MF130").value == "cheeks"


# ---------------------------------------------------------------- hostile and random input

_NAMES = [*INGREDIENTS, "DC", "lignocaine", "vitamin C", "shared name", "unknown", "lidocain"]
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")


@st.composite
def strengths(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    unit = draw(st.sampled_from(list(Unit)))
    value = draw(
        st.floats(
            min_value=MIN_VALUE, max_value=MAX_VALUE[unit], allow_nan=False, allow_infinity=False
        )
    )
    return {"value": value, "unit": str(unit)}


@st.composite
def cocktails(draw: st.DrawFn) -> Cocktail:
    composition = draw(
        st.lists(
            st.builds(
                lambda name, strength: (
                    {"ingredient": name} | ({"strength": strength} if strength else {})
                ),
                st.sampled_from(_NAMES) | _TEXT,
                strengths(),
            ),
            max_size=8,
        )
    )
    positive = st.floats(min_value=1e-6, allow_nan=False, allow_infinity=False)
    administration = draw(
        st.none()
        | st.builds(
            lambda volume: {"techniques": [Technique.PAPULE], "volume_per_session_ml": volume},
            st.none() | positive.filter(lambda v: v <= 50),
        )
    )
    return cocktail(
        composition=composition,
        vial_volume_ml=draw(st.none() | positive.filter(lambda v: v <= 100)),
        ph=draw(st.none() | st.floats(min_value=0, max_value=14)),
        osmolality_mosm_kg=draw(st.none() | positive.filter(lambda v: v <= 5000)),
        indications=draw(st.lists(st.sampled_from(list(IndicationId)), unique=True, max_size=3)),
        areas=draw(st.lists(st.sampled_from(list(Area)), unique=True, max_size=4)),
        administration=administration,
        regulatory_status=draw(st.sampled_from(list(RegulatoryStatus))),
    )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    c=cocktails(),
    weight=st.none() | st.floats(min_value=0.5, max_value=700),
    jurisdiction=st.sampled_from(["US", "GB", "FR", "BH", "EU"]),
)
def test_validation_never_raises_on_valid_cocktails(
    c: Cocktail, weight: float | None, jurisdiction: str
) -> None:
    findings = check(c, patient_weight_kg=weight, jurisdiction=jurisdiction)
    assert all(isinstance(f, Finding) and f.message and f.code.startswith("MF") for f in findings)
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks)


# ---------------------------------------------------------------- the shipped data


def test_every_id_in_the_shipped_tables_is_in_the_shipped_dictionary() -> None:
    tables = default_tables()
    selectors = [
        *(row.ingredients for row in tables.ph_requirements),
        *(row.ingredients for row in tables.area_restrictions),
        *(row.ingredients for row in tables.strength_thresholds),
        *(row.ingredients for row in tables.dose_caps),
        *(row.ingredients for row in tables.required_contraindications),
        *(row.ingredients for row in tables.injection_hazards),
        *(side for pair in tables.incompatible_pairs for side in (pair.first, pair.second)),
    ]
    ids = {ing.id for ing in reference.ingredients()}
    assert {i for selector in selectors for i in selector.ids} - ids == set()


def test_no_shipped_cocktail_has_an_error() -> None:
    for shipped in reference.reference_catalogue().cocktails:
        errors = [f for f in validate(shipped) if f.severity is Severity.ERROR]
        assert errors == [], shipped.id


def test_the_shipped_dictionary_is_the_default() -> None:
    c = cocktail(
        composition=[line("sodium-hyaluronate", 16), line("lidocaine", 2, "%")],
        administration={"techniques": ["papule"], "volume_per_session_ml": 20.0},
    )
    findings = validate(c, patient_weight_kg=50)
    assert "4.5 mg/kg × 50 kg = 225 mg" in only(findings, "MF150").message
    assert by_code(findings, "MF102") == []


_SHIPPED_NAMES = sorted({name for ing in reference.ingredients() for name in ing.names()})


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(st.sampled_from(_SHIPPED_NAMES), max_size=6),
    strengths_=st.lists(strengths(), min_size=6, max_size=6),
    status=st.sampled_from(list(RegulatoryStatus)),
    areas=st.lists(st.sampled_from(list(Area)), unique=True, max_size=3),
    weight=st.none() | st.floats(min_value=0.5, max_value=700),
)
def test_validation_never_raises_with_the_shipped_data(
    names: list[str],
    strengths_: list[dict[str, Any] | None],
    status: RegulatoryStatus,
    areas: list[Area],
    weight: float | None,
) -> None:
    composition = [
        {"ingredient": name} | ({"strength": s} if s else {})
        for name, s in zip(names, strengths_, strict=False)
    ]
    c = cocktail(
        composition=composition, regulatory_status=status, areas=areas, vial_volume_ml=None
    )
    findings = validate(c, patient_weight_kg=weight, jurisdiction="GB")
    assert all(f.code.startswith("MF") for f in findings)
    assert by_code(findings, "MF102") == []  # every shipped name resolves


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"indications": {"alopecia": "scalp"}}, "Indication records"),
        ({"registry": [validate]}, "RuleRegistry"),
    ],
)
def test_other_bad_arguments_are_refused(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(TypeError, match=says):
        validate(cocktail(), ingredients=INGREDIENTS, **kwargs)


def test_indications_may_come_from_a_generator() -> None:
    context = build_context(ingredients=INGREDIENTS, indications=(i for i in INDICATIONS.values()))
    assert set(context.indications) == set(INDICATIONS)


# ---------------------------------------------------------------- resolving once, running less


def test_a_context_resolves_a_cocktail_once_for_all_its_rules() -> None:
    context = build_context(ingredients=INGREDIENTS, indications=INDICATIONS)
    c = cocktail(
        composition=[
            line("sodium-hyaluronate", 16),
            line("Lignocaine"),
            line("Mystery", 1),
            line("shared name", 1),
        ]
    )
    resolution = context.resolution(c)
    assert isinstance(resolution, Resolution) and context.resolution(c) is resolution
    hyaluronate, lidocaine = INGREDIENTS["sodium-hyaluronate"], INGREDIENTS["lidocaine-hcl"]
    assert resolution.resolved == ((0, hyaluronate), (1, lidocaine))
    assert resolution.measured == ((0, c.composition[0].strength, hyaluronate),)
    assert resolution.unresolved == (
        (2, ()),
        (3, (INGREDIENTS["biotin"], INGREDIENTS["dexpanthenol"])),
    )
    assert resolution.ids == {"sodium-hyaluronate", "lidocaine-hcl"}
    assert resolution.classes == {IngredientClass.HYALURONIC_ACID, IngredientClass.ANAESTHETIC}
    assert context.resolution(cocktail()) is not resolution


def test_a_resolution_says_which_table_rows_may_apply() -> None:
    context = build_context(ingredients=INGREDIENTS, indications=INDICATIONS)
    resolution = context.resolution(
        cocktail(composition=[line("lidocaine-hcl", 3), line("Mystery", 1)])
    )

    def selector(**fields: Any) -> IngredientSelector:
        return IngredientSelector.model_validate(fields)

    assert resolution.selects(selector(ids=["lidocaine-hcl"]))
    assert resolution.selects(selector(ids=["caffeine"], classes=["anaesthetic"]))
    assert not resolution.selects(selector(ids=["caffeine", "mystery"], classes=["vitamin"]))


_CONVERTIBLE = IngredientIndex.build(
    [
        INGREDIENTS["lidocaine-hcl"],  # a molecular weight, no mg-per-IU factor
        ingredient("somatropin-x", "Somatropin X", "growth_factor", mg_per_iu=0.33),
        ingredient("huge-x", "Huge X", "other", molecular_weight=1e308, mg_per_iu=1e308),
    ]
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(list(_CONVERTIBLE.by_id)),
    unit=st.sampled_from(list(Unit)),
    value=st.floats(min_value=MIN_VALUE, max_value=1e7),
    vial=st.none() | st.floats(min_value=5e-324, max_value=100),
)
def test_the_cached_mg_per_ml_factor_is_what_convert_gives(
    name: str, unit: Unit, value: float, vial: float | None
) -> None:
    ing = _CONVERTIBLE.by_id[name]
    context = build_context(ingredients=_CONVERTIBLE)
    facts = {"molecular_weight": ing.molecular_weight, "mg_per_iu": ing.mg_per_iu}
    try:
        expected: float | None = convert(value, unit, Unit.MG_PER_ML, vial_volume_ml=vial, **facts)
    except UnitConversionError:
        expected = None
    for _ in range(2):  # worked out, then cached
        factor = context.mg_per_ml_factor(unit, ing, vial)
        got = None if factor is None or not math.isfinite(value * factor) else value * factor
        assert got == expected


def test_the_mg_per_ml_factor_depends_on_the_fact_its_unit_needs() -> None:
    context = build_context(ingredients=_CONVERTIBLE)
    lidocaine, somatropin = _CONVERTIBLE.by_id["lidocaine-hcl"], _CONVERTIBLE.by_id["somatropin-x"]
    assert context.mg_per_ml_factor(Unit.PERCENT_WV, lidocaine, None) == 10.0
    assert context.mg_per_ml_factor(Unit.MMOL_PER_L, lidocaine, None) == 270.8 / 1000
    assert context.mg_per_ml_factor(Unit.MMOL_PER_L, somatropin, None) is None
    assert context.mg_per_ml_factor(Unit.IU_PER_ML, somatropin, None) == 0.33
    assert context.mg_per_ml_factor(Unit.IU_PER_ML, lidocaine, None) is None
    assert context.mg_per_ml_factor(Unit.MG_PER_VIAL, lidocaine, 2.0) == 0.5
    assert context.mg_per_ml_factor(Unit.MG_PER_VIAL, lidocaine, 5.0) == 0.2
    assert context.mg_per_ml_factor(Unit.MG_PER_VIAL, lidocaine, None) is None


def test_an_index_resolves_names_by_the_one_resolver() -> None:
    index = IngredientIndex.build([INGREDIENTS["biotin"], INGREDIENTS["dexpanthenol"]])
    assert index.match("Shared  NAME").ids == ("biotin", "dexpanthenol")
    assert index.match("vitamin\u00a0H").ingredient_id == "biotin"
    assert index.candidates("BIOTIN") == (INGREDIENTS["biotin"],)
    assert index.candidates("mystery") == ()


def test_overlapping_areas_are_the_area_its_parts_and_what_holds_it() -> None:
    tables = default_tables()
    assert {Area.FACE, Area.CHEEKS, Area.FOREHEAD} <= tables.overlapping(Area.FACE)
    assert tables.overlapping(Area.CHEEKS) == {Area.CHEEKS, Area.FACE}
    assert tables.overlapping(Area.SCALP) == {Area.SCALP}
    assert RuleTables().overlapping(Area.CHEEKS) == {Area.CHEEKS}


_WARN_ONLY = {"MF100", "MF101", "MF105", "MF106", "MF130"}


def test_reporting_leaves_out_the_rules_fixed_to_another_severity() -> None:
    registry = default_registry()
    assert {rule.code for rule in registry} - {r.code for r in registry.reporting("error")} == (
        _WARN_ONLY
    )
    assert {rule.code for rule in registry.reporting(Severity.INFO)} == {
        rule.code for rule in registry if not rule.fixed_severity
    }
    assert len(registry.reporting("warning")) == len(registry) - 4  # MF102-104 and MF108
    with pytest.raises(ValueError, match="no severity 'fatal'"):
        registry.reporting("fatal")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=cocktails(), weight=st.none() | st.floats(min_value=0.5, max_value=700))
def test_the_rules_that_may_report_errors_find_every_error(
    c: Cocktail, weight: float | None
) -> None:
    context = build_context(
        ingredients=INGREDIENTS, indications=INDICATIONS, patient_weight_kg=weight
    )
    registry = default_registry()
    errors = [f for f in registry.check(c, context) if f.severity is Severity.ERROR]
    assert [
        f
        for f in registry.reporting(Severity.ERROR).check(c, context)
        if f.severity is Severity.ERROR
    ] == errors


def test_a_rule_that_breaks_its_fixed_severity_is_refused() -> None:
    registry = RuleRegistry()

    @registry.rule("XY004", "steady", Severity.WARNING, fixed_severity=True)
    def steady(cocktail: Cocktail, context: RuleContext) -> Iterable[Issue]:
        """Says the same thing, twice at the declared severity, then louder."""
        yield Issue("plain")
        yield Issue("same", severity=Severity.WARNING)
        yield Issue("loud", severity=Severity.ERROR)

    assert steady.fixed_severity and not registry.reporting("error")
    findings = steady(cocktail(), build_context(ingredients=INGREDIENTS))
    assert [next(findings).message, next(findings).message] == ["plain", "same"]
    with pytest.raises(RuntimeError, match="XY004 declares a fixed severity"):
        next(findings)
    with pytest.raises(RuntimeError, match=r"\(warning\) but reported a finding of severity error"):
        check(cocktail(), registry=registry)


def test_an_import_runs_the_rules_once_per_cocktail_it_checks_or_writes(
    monkeypatch: pytest.MonkeyPatch,
    catalogue: Catalogue,
    make_document: Callable[..., CatalogueFile],
    make_cocktail: Callable[..., dict[str, Any]],
) -> None:
    # The import session runs the rules once per cocktail: to keep out an error (check_rules)
    # and to store the findings of what it writes (meso show reads them, never the rules).
    checked: list[str] = []
    real = RuleCheck.findings

    def counting(self: RuleCheck, c: Cocktail) -> list[Finding]:
        checked.append(c.id)
        return real(self, c)

    monkeypatch.setattr(RuleCheck, "findings", counting)

    def document(version: int) -> CatalogueFile:
        pair = [make_cocktail("acme", "a"), make_cocktail("acme", "b")]
        return make_document("acme", pair, version=version)

    catalogue.import_stream(document(1), [])
    assert checked == ["acme/a", "acme/b"]
    catalogue.import_stream(document(1), [])  # already imported: checked, nothing written
    assert checked[2:] == ["acme/a", "acme/b"]
    with catalogue.importing(check_rules=False) as session:  # a trusted bulk load
        session.add(document(2))  # a new header: both rows are written again
    assert checked[4:] == ["acme/a", "acme/b"]
    stored = catalogue.conn.execute("SELECT count(*) FROM cocktails WHERE findings IS NULL")
    assert stored.fetchone()[0] == 0
