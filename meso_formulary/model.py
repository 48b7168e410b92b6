"""The domain model: ingredients, indications, cocktails and the catalogue file that holds them.

Every model forbids unknown keys, refuses non-finite numbers and is immutable. Numbers are
strict (``"30"`` and ``True`` are not numbers); enumerations accept their string values.
Cross-field rules that make a record *invalid* live here (``model_validator``); rules that
make it *questionable* (strength above a limit, an area unsuitable for an ingredient) live in
:mod:`meso_formulary.rules`, which reports findings instead of refusing the record.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from meso_formulary.identifiers import validate_icd10, validate_snomed_concept
from meso_formulary.types import (
    CasNumber,
    CocktailId,
    FiniteFloat,
    LongText,
    PositiveFinite,
    ShortText,
    Slug,
    SourceText,
    VersionText,
)
from meso_formulary.units import Strength, UnitField
from meso_formulary.vocabulary import (
    AllergenGroupId,
    Area,
    ConditionId,
    IndicationId,
    IngredientClass,
    Language,
    Origin,
    Technique,
)

FORMAT: Final = "meso-formulary/1"
"""The catalogue file format this version reads and writes."""


class Record(BaseModel):
    """Base of every model: unknown keys refused, finite numbers only, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_enum_values=False,
    )


# ---------------------------------------------------------------- vocabularies
# (those a search filters by live in meso_formulary.vocabulary, imported above)


class Device(StrEnum):
    """What delivers the product."""

    SYRINGE = "syringe"
    INJECTOR_GUN = "injector_gun"
    MICRONEEDLING_PEN = "microneedling_pen"
    CANNULA = "cannula"


class RegulatoryStatus(StrEnum):
    """How an item is placed on the market."""

    MEDICINAL_PRODUCT = "medicinal_product"
    MEDICAL_DEVICE = "medical_device"
    COSMETIC = "cosmetic"
    COMPOUNDED = "compounded"
    UNKNOWN = "unknown"


class ProductType(StrEnum):
    """What kind of injectable a product (or an archetype) is, as its sources describe it.

    A typical strength range can be scoped to the product types it was measured on
    (:attr:`StrengthRange.scope`).
    """

    SKIN_BOOSTER = "skin_booster"
    """Hyaluronic acid for skin quality, injected as micro-depots (non- or lightly cross-linked)."""
    HYBRID_HA_COMPLEX = "hybrid_ha_complex"
    """High- and low-molecular-weight hyaluronic acid in thermally stabilised complexes."""
    POLYREVITALISING_SOLUTION = "polyrevitalising_solution"
    """Non-cross-linked hyaluronic acid with a complex of micronutrients."""
    AMINO_ACID_BIOREVITALISER = "amino_acid_biorevitaliser"
    """Hyaluronic acid with amino acids (collagen precursors)."""
    POLYNUCLEOTIDE_BOOSTER = "polynucleotide_booster"
    """Polynucleotides or PDRN (fish DNA fragments)."""
    ADIPOCYTOLYTIC = "adipocytolytic"
    """Injected to destroy fat cells locally (deoxycholic acid, phosphatidylcholine)."""
    MESOTHERAPY_COCKTAIL = "mesotherapy_cocktail"
    """Several actives mixed for intradermal mesotherapy."""
    COMPOUNDED_PREPARATION = "compounded_preparation"
    """One active prepared for intradermal use (not a marketed product)."""


class Container(StrEnum):
    """What one unit of a product comes in."""

    SYRINGE = "syringe"
    VIAL = "vial"
    AMPOULE = "ampoule"


class AdviceBasis(StrEnum):
    """Whose advice an aftercare item is: a product's own instructions override general
    (clinic or literature) advice of the same kind when a course is planned."""

    GENERAL = "general"
    PRODUCT_INSTRUCTIONS = "product_instructions"


class CourseFactKind(StrEnum):
    """A fact about a session or a course that a source states, apart from the protocol."""

    SESSION_MINUTES = "session_minutes"
    """How long a session takes (``min``/``max`` in minutes)."""
    TOPICAL_NUMBING = "topical_numbing"
    """A numbing cream can be used (no numbers)."""
    RESULTS_LAST_MONTHS = "results_last_months"
    """How long results last after a course (``min``/``max`` in months)."""
    TOP_UPS = "top_ups"
    """Top-up sessions are needed to keep the results (``min``/``max``: months apart, if given)."""
    RESULTS_DEVELOP = "results_develop"
    """Results are not immediate but develop over the course (no numbers)."""
    SESSIONS = "sessions"
    """How many sessions a course takes (``min``/``max``)."""


class AftercareKind(StrEnum):
    """A kind of aftercare advice; ``NO_MAKEUP`` drives the "makeup allowed from" milestone."""

    NO_MAKEUP = "no_makeup"
    NO_HAIR_WASH = "no_hair_wash"
    NO_EXERCISE = "no_exercise"
    NO_HEAT = "no_heat"
    NO_SUN = "no_sun"
    NO_MASSAGE = "no_massage"
    NO_ALCOHOL = "no_alcohol"
    NO_ACTIVE_SKINCARE = "no_active_skincare"
    OTHER = "other"


class EffectKind(StrEnum):
    """An expected, usually passing, effect of a session."""

    PINPRICK_MARKS = "pinprick_marks"
    BLEBS = "blebs"
    REDNESS = "redness"
    SWELLING = "swelling"
    TENDERNESS = "tenderness"
    BRUISING = "bruising"
    ITCHING = "itching"
    BURNING = "burning"
    NUMBNESS = "numbness"
    INDURATION = "induration"


# ---------------------------------------------------------------- screening


class Contraindication(Record):
    """A client condition that rules a cocktail (or every cocktail holding an ingredient)
    out: which condition, in the words of the source, and where it comes from.

    ``condition`` is an id of the closed vocabulary
    (:class:`~meso_formulary.vocabulary.ConditionId`; ``meso conditions`` lists them), so
    that ``meso search --client pregnancy`` can screen by it.
    """

    condition: ConditionId
    note: ShortText | None = None
    source: SourceText | None = None


# ---------------------------------------------------------------- ingredients


class StrengthRange(Record):
    """A documented range of strengths, with its source and what it was measured on.

    ``scope`` names the product types the range was measured on: a cocktail of another type
    (or of no stated type) is not compared with it. Empty means the range applies to every
    cocktail that holds the ingredient.
    """

    min: PositiveFinite | None = None
    max: PositiveFinite | None = None
    unit: UnitField
    scope: tuple[ProductType, ...] = ()
    measured_on: ShortText | None = Field(
        default=None, description="what the range was measured on, in words"
    )
    source: SourceText

    @model_validator(mode="after")
    def _ordered(self) -> StrengthRange:
        if self.min is None and self.max is None:
            raise ValueError("a range needs a min, a max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class StrengthLimit(Record):
    """A hard upper limit for one ingredient's strength, with its source: above it a
    strength is a mistake (a label maximum, the substance's solubility in water)."""

    max: PositiveFinite
    unit: UnitField
    basis: ShortText | None = Field(
        default=None, description="what the limit is, in words (e.g. solubility in water at 25 °C)"
    )
    source: SourceText


class CosmeticsListing(Record):
    """An entry of the EU Cosmetics Regulation (EC) No 1223/2009 annexes."""

    annex: Literal["II", "III", "IV", "V", "VI"]
    reference: Annotated[str, Field(min_length=1, max_length=20)]
    source: SourceText


class Ingredient(Record):
    """One substance of the ingredient dictionary."""

    id: Slug
    name: ShortText
    inci: ShortText | None = None
    ingredient_class: IngredientClass = Field(alias="class")
    cas: CasNumber | None = None
    synonyms: tuple[ShortText, ...] = ()
    origin: Origin | None = None
    molecular_weight: PositiveFinite | None = Field(default=None, description="g/mol")
    mg_per_iu: PositiveFinite | None = Field(
        default=None, description="mg of substance per International Unit (IU/mL conversions)"
    )
    allowed_units: tuple[UnitField, ...] = ()
    typical_range: StrengthRange | None = None
    hard_limit: StrengthLimit | None = None
    eu_cosmetics: CosmeticsListing | None = None
    moieties: tuple[Slug, ...] = Field(
        default=(),
        description="active moieties the ingredient shares with its salts, esters, acid and "
        "base forms (ids of the moiety groups of meso_formulary.reference.substances()); the "
        "shipped groups list their members themselves, so a supplier names these only for "
        "its own ingredients",
    )
    allergen_groups: tuple[AllergenGroupId, ...] = ()
    contraindications: tuple[Contraindication, ...] = Field(
        default=(),
        description="client conditions that rule out every cocktail holding the ingredient",
    )
    source: SourceText

    def names(self) -> tuple[str, ...]:
        """Every name this ingredient may be referred to by (id, name, INCI, synonyms)."""
        extra = (self.inci,) if self.inci else ()
        return (self.id, self.name, *extra, *self.synonyms)


# ---------------------------------------------------------------- indications


class Coding(Record):
    """A code in a terminology, what it means, and where the mapping comes from."""

    system: Literal["ICD-10", "SNOMED CT"]
    code: str
    display: ShortText
    source: SourceText

    @model_validator(mode="after")
    def _code_is_valid_in_its_system(self) -> Coding:
        if self.system == "ICD-10":
            validate_icd10(self.code)
        else:
            validate_snomed_concept(self.code)
        return self


class Terms(Record):
    """The words for one concern or treatment area in one language.

    ``words`` are what clients say ("queda de cabelo", "double chin"); ``clinical`` are
    clinical terms, which need a ``source`` a reader can open (a registry record such as
    DeCS/MeSH or an ICD-10 edition in that language, or a URL).
    """

    lang: Language
    words: tuple[ShortText, ...] = Field(min_length=1)
    clinical: tuple[ShortText, ...] = ()
    source: SourceText | None = None

    @model_validator(mode="after")
    def _clinical_terms_are_sourced(self) -> Terms:
        if self.clinical and self.source is None:
            raise ValueError("clinical terms need a source (a registry record or a URL)")
        return self


def _one_block_per_language(terms: tuple[Terms, ...]) -> None:
    seen: set[Language] = set()
    for block in terms:
        if block.lang in seen:
            raise ValueError(f"two terms blocks for language {block.lang.value!r}")
        seen.add(block.lang)


class Indication(Record):
    """A concern a client comes with, the words they use for it, and its codes."""

    id: IndicationId
    name: ShortText
    description: LongText
    synonyms: tuple[ShortText, ...] = ()
    terms: tuple[Terms, ...] = ()
    """The words for it per language (the search reads them, stemmed in their language)."""
    codes: tuple[Coding, ...] = ()
    typical_areas: tuple[Area, ...] = ()
    source: SourceText

    @model_validator(mode="after")
    def _one_terms_block_per_language(self) -> Indication:
        _one_block_per_language(self.terms)
        return self


class TreatmentArea(Record):
    """A treatment area, in plain words, and what clients call it in each language."""

    id: Area
    name: ShortText
    description: LongText
    terms: tuple[Terms, ...] = ()

    @model_validator(mode="after")
    def _one_terms_block_per_language(self) -> TreatmentArea:
        _one_block_per_language(self.terms)
        return self


# ---------------------------------------------------------------- substance groups


class GroupMember(Record):
    """An ingredient of a moiety or allergen group, and why it belongs there."""

    ingredient: Slug
    basis: ShortText | None = Field(
        default=None, description="why: parent, salt, ester, prodrug, contains it, origin ..."
    )
    certain: Annotated[bool, Strict()] = Field(
        default=True,
        description="false when the ingredient may belong (e.g. its origin is not stated but "
        "the substance is made that way): screening still hides it",
    )
    note: ShortText | None = None


class MoietyGroup(Record):
    """One active moiety and every ingredient that carries it (its salts, esters, acid and
    base forms, and, to screen safely, prodrugs and molecules that contain it).

    Excluding any name of any member excludes every member.
    """

    id: Slug
    name: ShortText
    names: tuple[ShortText, ...] = ()
    members: tuple[GroupMember, ...] = Field(min_length=1)
    note: LongText | None = None
    sources: tuple[SourceText, ...] = Field(min_length=1)


class AllergenGroup(Record):
    """Ingredients one allergy rules out together (an origin, or a chemical family)."""

    id: AllergenGroupId
    name: ShortText
    names: tuple[ShortText, ...] = ()
    members: tuple[GroupMember, ...] = ()
    note: LongText | None = None
    sources: tuple[SourceText, ...] = Field(min_length=1)


class ClientCondition(Record):
    """A client condition of the screening vocabulary: its words in six languages, its
    codes where a source gives one, what it rules out, and why."""

    id: ConditionId
    name: ShortText
    synonyms: tuple[ShortText, ...] = ()
    codes: tuple[Coding, ...] = ()
    rules_out_moieties: tuple[Slug, ...] = ()
    rules_out_groups: tuple[AllergenGroupId, ...] = ()
    note: LongText | None = None
    sources: tuple[SourceText, ...] = Field(min_length=1)


# ---------------------------------------------------------------- cocktails


class CompositionLine(Record):
    """One ingredient of a cocktail and its strength.

    ``ingredient`` is an ingredient id in a stored catalogue; in a supplier file it may also
    be a name, INCI name or synonym, resolved on import. ``strength`` is ``None`` when the
    maker does not disclose it: an honest gap is better than an invented figure.
    """

    ingredient: ShortText
    strength: Strength | None = None


class Range(Record):
    """A closed range of finite numbers (``min`` may equal ``max``)."""

    min: FiniteFloat
    max: FiniteFloat

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        if self.min < 0:
            raise ValueError(f"min {self.min:g} is negative")
        return self


class Administration(Record):
    """How a cocktail is injected."""

    techniques: tuple[Technique, ...] = Field(min_length=1)
    devices: tuple[Device, ...] = ()
    depth_mm: Range | None = None
    needle_gauge: Annotated[int, Strict(), Field(ge=18, le=34)] | None = None
    volume_per_session_ml: Annotated[float, Strict(), Field(gt=0, le=50)] | None = None
    source: SourceText | None = None

    @model_validator(mode="after")
    def _depth_is_skin_deep(self) -> Administration:
        if self.depth_mm is not None and self.depth_mm.max > 20:
            raise ValueError(f"depth up to {self.depth_mm.max:g} mm is deeper than any technique")
        return self


class Protocol(Record):
    """A course of sessions and what follows it."""

    sessions: Annotated[int, Strict(), Field(ge=1, le=52)]
    interval_days: Annotated[int, Strict(), Field(ge=1, le=365)]
    session_minutes: Annotated[int, Strict(), Field(ge=1, le=240)] | None = None
    results_last_months: Range | None = None
    top_up_interval_months: Annotated[int, Strict(), Field(ge=1, le=60)] | None = None
    topical_numbing: Annotated[bool, Strict()] = False
    note: ShortText | None = None
    source: SourceText


class CourseFact(Record):
    """One sourced fact about a session or a course (how long a session takes, whether a
    numbing cream is used, how long results last...).

    Where sources differ, each value is its own item with its own source; a plan uses the
    most conservative (the longest session, the shortest-lasting results).
    """

    fact: CourseFactKind
    min: PositiveFinite | None = None
    max: PositiveFinite | None = None
    note: ShortText | None = None
    source: SourceText

    @model_validator(mode="after")
    def _numbers_fit_the_fact(self) -> CourseFact:
        counted = self.fact in (
            CourseFactKind.SESSION_MINUTES,
            CourseFactKind.RESULTS_LAST_MONTHS,
            CourseFactKind.SESSIONS,
        )
        if counted and self.min is None and self.max is None:
            raise ValueError(f"{self.fact.value} needs a min, a max or both")
        if (
            not counted
            and self.fact is not CourseFactKind.TOP_UPS
            and (self.min is not None or self.max is not None)
        ):
            raise ValueError(f"{self.fact.value} takes no numbers")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class AftercareItem(Record):
    """One piece of aftercare advice and how long it applies after each session.

    Items of the same ``kind`` and ``advice`` are one piece of advice from several sources
    (make-up after 4 h, 12 h or the next day): a plan keeps the longest. An item from the
    product's own instructions (``basis``) overrides general advice of its kind.
    """

    kind: AftercareKind
    advice: ShortText
    hours: Annotated[float, Strict(), Field(gt=0, le=24 * 60, allow_inf_nan=False)] | None = None
    basis: AdviceBasis = AdviceBasis.GENERAL
    source: SourceText


class ExpectedEffect(Record):
    """An expected effect of a session and how long it usually takes to settle."""

    effect: EffectKind
    settles_within_hours: Range | None = None
    note: ShortText | None = None
    source: SourceText


class Pack(Record):
    """How a product is sold: the container, how many per box, needles supplied.

    The volume of one container is the cocktail's ``vial_volume_ml``; ``source`` backs both.
    """

    container: Container | None = None
    count: Annotated[int, Strict(), Field(ge=1, le=1000)] | None = None
    needles: ShortText | None = None
    source: SourceText


class RegulatoryClaim(Record):
    """How a product is placed on one market, as a source states it (e.g. a CE-marked
    medical device in the EU, an FDA-approved prescription drug in the US)."""

    status: RegulatoryStatus
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 code, or EU"
    )
    detail: ShortText | None = None
    source: SourceText


class SafetyFigure(Record):
    """An adverse event and how often a source saw it (a trial, post-marketing data)."""

    event: ShortText
    percent: Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    among: ShortText | None = Field(
        default=None, description="who the figure counts (e.g. 'subjects in the phase 3 trials')"
    )
    note: ShortText | None = None
    source: SourceText


class Supplier(Record):
    """Who publishes a catalogue."""

    id: Slug
    name: ShortText
    contact: ShortText | None = None
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code, or EU"
    )
    url: ShortText | None = None
    licence: ShortText | None = None


class Cocktail(Record):
    """A mesotherapy cocktail: what is in it, what it is for, and how it is given."""

    id: CocktailId
    name: ShortText
    supplier: Slug
    version: VersionText = "1"
    description: LongText
    composition: tuple[CompositionLine, ...] = Field(default=(), max_length=250)
    vial_volume_ml: Annotated[float, Strict(), Field(gt=0, le=100, allow_inf_nan=False)] | None = (
        None
    )
    ph: Annotated[float, Strict(), Field(ge=0, le=14, allow_inf_nan=False)] | None = None
    osmolality_mosm_kg: (
        Annotated[float, Strict(), Field(gt=0, le=5000, allow_inf_nan=False)] | None
    ) = None
    indications: tuple[IndicationId, ...] = ()
    areas: tuple[Area, ...] = ()
    brands: tuple[ShortText, ...] = Field(
        default=(),
        description="brand names practitioners know it by: its own brand, or for an "
        "archetype the brands its description says it stands for (a search finds it by them)",
        max_length=20,
    )
    maker: ShortText | None = Field(
        default=None, description="who makes or markets the product, as its sources name it"
    )
    product_type: ProductType | None = None
    pack: Pack | None = None
    stands_for: tuple[CocktailId, ...] = Field(
        default=(),
        description="for an archetype: the product records (ids) it stands for",
        max_length=50,
    )
    administration: Administration | None = None
    protocol: Protocol | None = None
    course_facts: tuple[CourseFact, ...] = ()
    aftercare: tuple[AftercareItem, ...] = ()
    expected_effects: tuple[ExpectedEffect, ...] = ()
    safety: tuple[SafetyFigure, ...] = ()
    contraindications: tuple[Contraindication | ShortText, ...] = Field(
        default=(),
        description="client conditions that rule the cocktail out: structured (condition id, "
        "note, source) or, as in files written before conditions were a vocabulary, plain "
        "text (kept and shown; screening reads the conditions its words name)",
    )
    regulatory_status: RegulatoryStatus = RegulatoryStatus.UNKNOWN
    regulatory: tuple[RegulatoryClaim, ...] = Field(
        default=(), description="how the product is placed on each market, with sources"
    )
    sources: tuple[SourceText, ...] = ()

    @model_validator(mode="after")
    def _id_in_supplier_namespace(self) -> Cocktail:
        namespace = self.id.split("/", 1)[0]
        if namespace != self.supplier:
            raise ValueError(
                f"cocktail id {self.id!r} is outside supplier {self.supplier!r}'s namespace "
                f"(it must start with '{self.supplier}/')"
            )
        return self

    @property
    def slug(self) -> str:
        """The part of the id after ``supplier/``."""
        return self.id.split("/", 1)[1]


class CatalogueFile(Record):
    """One supplier's catalogue as published: the unit of import, signing and history."""

    format: Literal["meso-formulary/1"] = FORMAT
    supplier: Supplier
    version: Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)] = Field(
        default=1, description="catalogue version; each publication must raise it"
    )
    ingredients: tuple[Ingredient, ...] = ()
    cocktails: tuple[Cocktail, ...] = ()

    @model_validator(mode="after")
    def _one_supplier_unique_ids(self) -> CatalogueFile:
        seen: set[str] = set()
        for i, cocktail in enumerate(self.cocktails):
            if cocktail.supplier != self.supplier.id:
                raise ValueError(
                    f"cocktails.{i}: supplier {cocktail.supplier!r} is not this file's supplier "
                    f"{self.supplier.id!r}"
                )
            if cocktail.id in seen:
                raise ValueError(f"cocktails.{i}: duplicate cocktail id {cocktail.id!r}")
            seen.add(cocktail.id)
        ingredient_ids: set[str] = set()
        for i, ingredient in enumerate(self.ingredients):
            if ingredient.id in ingredient_ids:
                raise ValueError(f"ingredients.{i}: duplicate ingredient id {ingredient.id!r}")
            ingredient_ids.add(ingredient.id)
        return self


__all__ = [
    "FORMAT",
    "Administration",
    "AdviceBasis",
    "AftercareItem",
    "AftercareKind",
    "AllergenGroup",
    "AllergenGroupId",
    "Area",
    "CatalogueFile",
    "ClientCondition",
    "Cocktail",
    "Coding",
    "CompositionLine",
    "ConditionId",
    "Container",
    "Contraindication",
    "CosmeticsListing",
    "CourseFact",
    "CourseFactKind",
    "Device",
    "EffectKind",
    "ExpectedEffect",
    "GroupMember",
    "Indication",
    "IndicationId",
    "Ingredient",
    "IngredientClass",
    "Language",
    "MoietyGroup",
    "Origin",
    "Pack",
    "ProductType",
    "Protocol",
    "Range",
    "RegulatoryClaim",
    "RegulatoryStatus",
    "SafetyFigure",
    "Strength",
    "StrengthLimit",
    "StrengthRange",
    "Supplier",
    "Technique",
    "Terms",
    "TreatmentArea",
]
