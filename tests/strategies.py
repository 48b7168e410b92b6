"""Hypothesis strategies that build *valid* model instances, for property tests.

Every strategy here produces values the models accept, so a test can state properties such
as "dump then read gives an equal model" or "import then export is the identity" without
filtering. Sizes are kept small (a few cocktails of a few lines) so examples stay fast;
pass larger ``max_*`` arguments where a test needs bulk.

The strategy functions are cached (``functools.cache``): the composite strategies call them
on every draw, and building the strategies anew each time took about nine tenths of the
time of a test drawing catalogues. So they take only hashable arguments, and fields that
vary per call (an ingredient's id) are drawn beside a cached strategy of the other fields.

Text strategies deliberately mix in strings that trip naive readers and writers
(:data:`TRICKY_TEXT`: ``NO``, ``1:30``, ``012345``, ``=SUM(1+1)``, ``null`` ...), and free
text covers the whole of Unicode except surrogates and control characters, which the
models refuse (newline and tab are allowed, as in the models).

Usage::

    from hypothesis import given
    from strategies import catalogue_files, cocktails  # tests/ is on sys.path under pytest

    @given(catalogue_files())
    def test_something(catalogue): ...

    @given(cocktails(supplier="acme"))
    def test_other(cocktail): ...
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from meso_formulary.identifiers import SLUG_RE, cas_check_digit, is_valid_cas, verhoeff_ok
from meso_formulary.model import (
    Administration,
    AftercareItem,
    AftercareKind,
    Area,
    CatalogueFile,
    Cocktail,
    Coding,
    CompositionLine,
    CosmeticsListing,
    Device,
    EffectKind,
    ExpectedEffect,
    Indication,
    IndicationId,
    Ingredient,
    IngredientClass,
    Origin,
    Protocol,
    Range,
    RegulatoryStatus,
    StrengthLimit,
    StrengthRange,
    Supplier,
    Technique,
)
from meso_formulary.units import MAX_VALUE, MIN_VALUE, Strength, Unit

TRICKY_TEXT = (
    "NO",
    "no",
    "yes",
    "on",
    "Off",
    "true",
    "True",
    "null",
    "~",
    "1:30",
    "012345",
    "012",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    ".5",
    ".nan",
    "-.inf",
    "2025-12-31",
    "<<",
    "- item",
    "key: value",
    "# not a comment",
    "&anchor",
    "*alias",
    "!!python/object:os.system",
    "=SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "＝1+1",
    "'quoted'",
    '"double"',
    "a;b|c,d",
    "Vitamin B₁₂",
    "crème",
    "multi\nline",
    "tab\there",
    "\u200bzero width",
)
"""Strings that YAML 1.1, spreadsheets or naive CSV code would misread."""

_FREE_ALPHABET = st.characters(
    exclude_categories=("Cc", "Cs"),
    include_characters="\n\t",
)


@cache
def free_text(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text the text types accept *as stored*: stripped, no control characters."""
    return (
        st.text(_FREE_ALPHABET, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda text: len(text) >= min_size)
    )


@cache
def short_texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Values for ``ShortText`` fields, with tricky strings mixed in."""
    return st.one_of(st.sampled_from(TRICKY_TEXT).map(str.strip), free_text(1, max_size))


@cache
def long_texts(max_size: int = 200) -> st.SearchStrategy[str]:
    """Values for ``LongText`` fields."""
    return short_texts(max_size)


@cache
def source_texts() -> st.SearchStrategy[str]:
    """Values for ``SourceText`` fields (at least 3 characters)."""
    return st.one_of(
        st.sampled_from(("Acme leaflet 2026", "https://example.org/label.pdf", "NO 1:30")),
        free_text(3, 60),
    )


@cache
def slugs() -> st.SearchStrategy[str]:
    """Lowercase ASCII identifiers (``Slug``)."""
    return st.from_regex(SLUG_RE, fullmatch=True).filter(lambda s: len(s) <= 24)


@cache
def versions() -> st.SearchStrategy[str]:
    """Dotted version texts (``VersionText``)."""
    part = st.integers(0, 999_999).map(str)
    return st.lists(part, min_size=1, max_size=4).map(".".join)


@cache
def positive(max_value: float) -> st.SearchStrategy[float]:
    """Finite floats in ``(0, max_value]``."""
    return st.floats(min_value=0, max_value=max_value, exclude_min=True, allow_nan=False)


@cache
def cas_numbers() -> st.SearchStrategy[str]:
    """Valid CAS Registry Numbers (right check digit, not a placeholder)."""

    def build(body: str, middle: str) -> str:
        return f"{body}-{middle}-{cas_check_digit(body + middle)}"

    return st.builds(
        build,
        st.from_regex(r"[1-9][0-9]{1,6}", fullmatch=True),
        st.from_regex(r"[0-9]{2}", fullmatch=True),
    ).filter(is_valid_cas)


@cache
def snomed_concept_ids() -> st.SearchStrategy[str]:
    """SNOMED CT concept ids: digits, a concept partition, a Verhoeff check digit."""

    def build(item: str, partition: str) -> str:
        body = item + partition
        return next(body + d for d in "0123456789" if verhoeff_ok(body + d))

    item = st.from_regex(r"[1-9][0-9]{3,14}", fullmatch=True)
    return st.builds(build, item, st.sampled_from(("00", "10")))


@cache
def icd10_codes() -> st.SearchStrategy[str]:
    """Codes shaped like WHO ICD-10 codes."""
    return st.from_regex(r"[A-Z][0-9]{2}(\.[0-9]{1,2})?", fullmatch=True)


@cache
def strengths(unit: Unit | None = None) -> st.SearchStrategy[Strength]:
    """Plausible strengths (within the unit's accepted magnitude)."""
    units = st.just(unit) if unit is not None else st.sampled_from(Unit)
    return units.flatmap(
        lambda u: st.builds(
            Strength,
            value=st.floats(min_value=MIN_VALUE, max_value=MAX_VALUE[u], allow_nan=False),
            unit=st.just(u),
        )
    )


@cache
def ranges(max_value: float = 1e6) -> st.SearchStrategy[Range]:
    """Ordered, non-negative ranges with ``max <= max_value``."""
    bound = st.floats(min_value=0, max_value=max_value, allow_nan=False)
    return st.tuples(bound, bound).map(sorted).map(lambda pair: Range(min=pair[0], max=pair[1]))


@st.composite
def strength_ranges(draw: st.DrawFn) -> StrengthRange:
    """Documented strength ranges: a min, a max or both, ordered."""
    low = draw(st.none() | positive(1000))
    high = draw(positive(1000)) if low is None else draw(st.none() | st.floats(low, 1000))
    return StrengthRange(
        min=low, max=high, unit=draw(st.sampled_from(Unit)), source=draw(source_texts())
    )


def ingredients(ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Ingredient]:
    """Valid dictionary ingredients (every optional field sometimes present)."""
    return st.tuples(ids if ids is not None else slugs(), _ingredient_fields()).map(
        lambda drawn: Ingredient(id=drawn[0], **drawn[1])
    )


@cache
def _ingredient_fields() -> st.SearchStrategy[dict[str, Any]]:
    """Every field of an :class:`Ingredient` but its id (built once: see the module doc)."""
    return st.fixed_dictionaries(
        {
            "name": short_texts(),
            "inci": st.none() | short_texts(),
            "ingredient_class": st.sampled_from(IngredientClass),
            "cas": st.none() | cas_numbers(),
            "synonyms": st.lists(short_texts(), max_size=3).map(tuple),
            "origin": st.none() | st.sampled_from(Origin),
            "molecular_weight": st.none() | positive(1e6),
            "mg_per_iu": st.none() | positive(1e3),
            "allowed_units": st.lists(st.sampled_from(Unit), max_size=3, unique=True).map(tuple),
            "typical_range": st.none() | strength_ranges(),
            "hard_limit": st.none()
            | st.builds(
                StrengthLimit, max=positive(1e4), unit=st.sampled_from(Unit), source=source_texts()
            ),
            "eu_cosmetics": st.none()
            | st.builds(
                CosmeticsListing,
                annex=st.sampled_from(("II", "III", "IV", "V", "VI")),
                reference=st.from_regex(r"[0-9]{1,4}[a-z]?", fullmatch=True),
                source=source_texts(),
            ),
            "source": source_texts(),
        }
    )


@cache
def codings() -> st.SearchStrategy[Coding]:
    """ICD-10 or SNOMED CT codings with valid codes."""
    icd = st.builds(
        Coding,
        system=st.just("ICD-10"),
        code=icd10_codes(),
        display=short_texts(),
        source=source_texts(),
    )
    snomed = st.builds(
        Coding,
        system=st.just("SNOMED CT"),
        code=snomed_concept_ids(),
        display=short_texts(),
        source=source_texts(),
    )
    return icd | snomed


@cache
def indications() -> st.SearchStrategy[Indication]:
    """Valid indications."""
    return st.builds(
        Indication,
        id=st.sampled_from(IndicationId),
        name=short_texts(),
        description=long_texts(),
        synonyms=st.lists(short_texts(), max_size=3).map(tuple),
        codes=st.lists(codings(), max_size=2).map(tuple),
        typical_areas=st.lists(st.sampled_from(Area), max_size=3).map(tuple),
        source=source_texts(),
    )


@cache
def administrations() -> st.SearchStrategy[Administration]:
    """Valid administration blocks (depth at most 20 mm)."""
    return st.builds(
        Administration,
        techniques=st.lists(st.sampled_from(Technique), min_size=1, max_size=3).map(tuple),
        devices=st.lists(st.sampled_from(Device), max_size=2).map(tuple),
        depth_mm=st.none() | ranges(20),
        needle_gauge=st.none() | st.integers(18, 34),
        volume_per_session_ml=st.none() | positive(50),
        source=st.none() | source_texts(),
    )


@cache
def protocols() -> st.SearchStrategy[Protocol]:
    """Valid courses of sessions."""
    return st.builds(
        Protocol,
        sessions=st.integers(1, 52),
        interval_days=st.integers(1, 365),
        session_minutes=st.none() | st.integers(1, 240),
        results_last_months=st.none() | ranges(120),
        top_up_interval_months=st.none() | st.integers(1, 60),
        topical_numbing=st.booleans(),
        source=source_texts(),
    )


@cache
def aftercare_items() -> st.SearchStrategy[AftercareItem]:
    """Valid aftercare advice."""
    return st.builds(
        AftercareItem,
        kind=st.sampled_from(AftercareKind),
        advice=short_texts(),
        hours=st.none() | positive(24 * 60),
        source=source_texts(),
    )


@cache
def expected_effects() -> st.SearchStrategy[ExpectedEffect]:
    """Valid expected effects."""
    return st.builds(
        ExpectedEffect,
        effect=st.sampled_from(EffectKind),
        settles_within_hours=st.none() | ranges(24 * 30),
        note=st.none() | short_texts(),
        source=source_texts(),
    )


@cache
def composition_lines(
    ingredient_names: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[CompositionLine]:
    """Composition lines; the strength is sometimes undisclosed (``None``)."""
    names = ingredient_names if ingredient_names is not None else st.one_of(slugs(), short_texts())
    return st.builds(CompositionLine, ingredient=names, strength=st.none() | strengths())


@st.composite
def cocktails(
    draw: st.DrawFn,
    supplier: str | None = None,
    slug: str | None = None,
    max_lines: int = 6,
) -> Cocktail:
    """A valid cocktail of ``supplier`` (drawn when not given), id ``supplier/slug``."""
    supplier_id = supplier if supplier is not None else draw(slugs())
    cocktail_slug = slug if slug is not None else draw(slugs())
    return Cocktail(
        id=f"{supplier_id}/{cocktail_slug}",
        name=draw(short_texts()),
        supplier=supplier_id,
        version=draw(versions()),
        description=draw(long_texts()),
        composition=tuple(draw(st.lists(composition_lines(), max_size=max_lines))),
        vial_volume_ml=draw(st.none() | positive(100)),
        ph=draw(st.none() | st.floats(0, 14)),
        osmolality_mosm_kg=draw(st.none() | positive(5000)),
        indications=tuple(draw(st.lists(st.sampled_from(IndicationId), max_size=3))),
        areas=tuple(draw(st.lists(st.sampled_from(Area), max_size=3))),
        administration=draw(st.none() | administrations()),
        protocol=draw(st.none() | protocols()),
        aftercare=tuple(draw(st.lists(aftercare_items(), max_size=2))),
        expected_effects=tuple(draw(st.lists(expected_effects(), max_size=2))),
        contraindications=tuple(draw(st.lists(short_texts(), max_size=2))),
        regulatory_status=draw(st.sampled_from(RegulatoryStatus)),
        sources=tuple(draw(st.lists(source_texts(), max_size=2))),
    )


def suppliers(ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Supplier]:
    """Valid supplier blocks."""
    return st.tuples(ids if ids is not None else slugs(), _supplier_fields()).map(
        lambda drawn: Supplier(id=drawn[0], **drawn[1])
    )


@cache
def _supplier_fields() -> st.SearchStrategy[dict[str, Any]]:
    """Every field of a :class:`Supplier` but its id (built once: see the module doc)."""
    return st.fixed_dictionaries(
        {
            "name": short_texts(),
            "contact": st.none() | short_texts(),
            "jurisdiction": st.none() | st.from_regex(r"[A-Z]{2}", fullmatch=True),
            "url": st.none() | short_texts(),
            "licence": st.none() | short_texts(),
        }
    )


@st.composite
def catalogue_files(
    draw: st.DrawFn,
    supplier: str | None = None,
    max_cocktails: int = 3,
    max_ingredients: int = 2,
) -> CatalogueFile:
    """A valid catalogue: one supplier, unique cocktail and ingredient ids."""
    block = draw(suppliers(st.just(supplier) if supplier is not None else None))
    cocktail_slugs = draw(st.lists(slugs(), max_size=max_cocktails, unique=True))
    ingredient_ids = draw(st.lists(slugs(), max_size=max_ingredients, unique=True))
    return CatalogueFile(
        supplier=block,
        version=draw(st.integers(1, 10_000)),
        ingredients=tuple(draw(ingredients(st.just(i))) for i in ingredient_ids),
        cocktails=tuple(draw(cocktails(supplier=block.id, slug=s)) for s in cocktail_slugs),
    )
