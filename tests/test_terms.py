"""Lay words to indications, ingredient names to ids, class and origin names to the enums."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from conftest import Reader
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary.catalogue import Catalogue, ReferenceData
from meso_formulary.catalogue.search.lexicon import (
    Lexicon,
    parse_class,
    parse_origins,
    word_key,
)
from meso_formulary.catalogue.search.reading import MAX_READ_WORDS
from meso_formulary.errors import SearchError
from meso_formulary.model import (
    Area,
    Indication,
    IndicationId,
    IngredientClass,
    Origin,
    Terms,
    TreatmentArea,
)
from meso_formulary.names import SUGGEST_LIMIT
from meso_formulary.vocabulary import Language


@pytest.fixture(scope="module")
def lexicon(shipped: Reader) -> Lexicon:
    """The shipped catalogue's lexicon (ingredient names, classes, origins, suggestions)."""
    return shipped.lexicon


def indication(id: str, *synonyms: str, terms: tuple[Terms, ...] = ()) -> Indication:
    return Indication(
        id=IndicationId(id),
        name=id.replace("_", " ").capitalize(),
        description="A concern of a hand-made test catalogue.",
        synonyms=synonyms,
        terms=terms,
        source="test",
    )


TINY = ReferenceData(
    ingredients=(),
    indications=(
        indication(
            "alopecia",
            "hair loss",
            "male pattern hair loss",
            "AGA",
            terms=(Terms(lang=Language.PT, words=("queda de cabelo",)),),
        ),
        indication("skin_laxity", "loss", "firming"),
        indication("skin_tightening", "firming"),
    ),
    digest="0" * 64,
    areas=(
        TreatmentArea(
            id=Area.SCALP,
            name="Scalp",
            description="The skin of the head where hair grows.",
            terms=(Terms(lang=Language.EN, words=("scalp",)),),
        ),
    ),
    function_words=((Language.PT, ("de", "do")),),
)
"""A hand-made vocabulary: three concerns, one area, Portuguese function words only."""


@pytest.fixture(scope="module")
def tiny() -> Iterator[Reader]:
    with Catalogue.memory(reference=TINY) as catalogue:
        yield Reader(catalogue.conn)


@pytest.mark.parametrize(
    ("text", "indication"),
    [
        ("hair loss", "alopecia"),
        ("Hair-Loss", "alopecia"),
        ("thinning hair", "alopecia"),
        ("alopesia", "alopecia"),
        ("alopeecia", "alopecia"),
        ("panda eyes", "dark_circles"),
        ("dark circels", "dark_circles"),
        ("orange peel skin", "cellulite"),
        ("celulite", "cellulite"),
        ("cellulitte", "cellulite"),
        ("double chin", "localised_fat"),
        ("stretchmraks", "stretch_marks"),
        ("stretch marks", "stretch_marks"),
        ("crows-feet", "skin_rejuvenation"),
        ("CROW’S FEET", "skin_rejuvenation"),
    ],
)
def test_lay_terms_land_on_their_indication(shipped: Reader, text: str, indication: str) -> None:
    scan = shipped.read(text)
    assert {m.indication_id for m in scan.concerns} == {IndicationId(indication)}
    assert scan.remainder == ()


@pytest.mark.parametrize("text", ["xqzt", "the", "a", "vitamin", "biotin", "serum", "", "   "])
def test_garbage_matches_no_indication(shipped: Reader, text: str) -> None:
    scan = shipped.read(text)
    assert (scan.concerns, scan.areas, scan.brands) == ((), (), ())


def test_concern_inside_a_longer_query(shipped: Reader) -> None:
    scan = shipped.read("biotin for hair loss on the scalp")
    (match,) = scan.concerns
    assert (match.indication_id, match.term, match.how, match.score) == (
        IndicationId.ALOPECIA,
        "hair loss",
        "phrase",
        100.0,
    )
    assert [a.area for a in scan.areas] == [Area.SCALP]
    # The other words are left as typed, the function words ("for", "the") out.
    assert scan.remainder[0] == "biotin"
    assert not {"for", "the", "hair", "loss", "scalp"} & set(scan.remainder)


def test_typo_inside_a_longer_query(shipped: Reader) -> None:
    scan = shipped.read("caffeine for celulitte on thighs")
    (match,) = scan.concerns
    assert match.indication_id is IndicationId.CELLULITE
    assert match.how == "fuzzy"
    assert match.term == "celulitte"
    assert 85 <= match.score < 100
    assert [a.area for a in scan.areas] == [Area.THIGHS]
    assert scan.remainder[0] == "caffeine"
    assert not {"for", "celulitte", "thighs"} & set(scan.remainder)


def test_two_concerns_in_one_text(shipped: Reader) -> None:
    scan = shipped.read("double chin and panda eyes")
    assert [m.indication_id for m in scan.concerns] == [
        IndicationId.LOCALISED_FAT,
        IndicationId.DARK_CIRCLES,
    ]
    assert not {"double", "chin", "panda", "eyes"} & set(scan.remainder)


def test_remainder_keeps_the_words_as_typed(shipped: Reader) -> None:
    # The leftover goes to full-text search, so "vita*" and "anti-inflammatory" stay intact.
    scan = shipped.read("vita* anti-inflammatory hair loss")
    assert scan.remainder == ("vita*", "anti-inflammatory")


def test_word_partly_inside_a_concern_keeps_its_other_part(shipped: Reader) -> None:
    scan = shipped.read("biotin/hair loss")
    assert [m.indication_id for m in scan.concerns] == [IndicationId.ALOPECIA]
    assert scan.remainder == ("biotin",)


def test_an_area_and_a_brand_are_read(shipped: Reader) -> None:
    scan = shipped.read("does Profhilo work on the neck")
    assert [(b.brand, b.how) for b in scan.brands] == [("Profhilo", "phrase")]
    assert [a.area for a in scan.areas] == [Area.NECK]
    assert scan.concerns == ()
    assert "work" in scan.remainder
    assert [(b.brand, b.how) for b in shipped.read("profilo").brands] == [("Profhilo", "fuzzy")]


def test_a_concern_typed_twice_is_one_concern(shipped: Reader) -> None:
    scan = shipped.read("hair loss hair loss")
    assert [m.indication_id for m in scan.concerns] == [IndicationId.ALOPECIA]
    assert scan.remainder == ()


def test_a_long_text_is_cut_to_its_first_words_and_says_so(shipped: Reader) -> None:
    others = [f"w{i}" for i in range(MAX_READ_WORDS + 20)]
    scan = shipped.read(" ".join(["hair", "loss", *others]))
    assert [m.indication_id for m in scan.concerns] == [IndicationId.ALOPECIA]
    assert scan.dropped == len(others) + 2 - MAX_READ_WORDS
    assert scan.remainder == tuple(others[: MAX_READ_WORDS - 2])


def test_longest_phrase_wins(tiny: Reader) -> None:
    scan = tiny.read("male pattern hair loss")
    assert [(m.term, m.matched) for m in scan.concerns] == [
        ("male pattern hair loss", "male pattern hair loss")
    ]


def test_one_phrase_for_two_indications(tiny: Reader) -> None:
    scan = tiny.read("firming")
    assert {m.indication_id for m in scan.concerns} == {
        IndicationId.SKIN_LAXITY,
        IndicationId.SKIN_TIGHTENING,
    }


def test_short_words_are_never_fuzzy(tiny: Reader) -> None:
    assert tiny.read("aga").concerns[0].how == "phrase"
    assert tiny.read("aqa").concerns == ()


def test_words_of_a_language_are_read_by_their_stems(tiny: Reader) -> None:
    # Plurals, inflections, function words between and word order aside.
    for text in ("quedas do cabelo", "cabelos queda"):
        (match,) = tiny.read(text).concerns
        assert (match.indication_id, match.matched, match.how) == (
            IndicationId.ALOPECIA,
            "queda de cabelo",
            "stem",
        )


def test_function_words_come_from_the_data(tiny: Reader, shipped: Reader) -> None:
    # The hand-made catalogue has no English function words: "the" is a word to look for.
    assert tiny.read("the hair loss").remainder == ("the",)
    assert shipped.read("the hair loss").remainder == ()
    assert tiny.read("de").remainder == ()


def test_an_area_is_read_and_named(tiny: Reader) -> None:
    scan = tiny.read("scalp")
    assert [(a.area, a.how) for a in scan.areas] == [(Area.SCALP, "phrase")]
    assert tiny.lexicon.area_name("scalp") == "Scalp"
    assert tiny.lexicon.indication_name("skin_laxity") == "Skin laxity"


def test_word_key() -> None:
    assert word_key("Crow's-feet") == "crows feet"
    assert word_key("Vitamin B₁₂") == "vitamin b12"
    assert word_key("  (PEFS) ") == "pefs"
    assert word_key("a_b") == "a b"


# ---------------------------------------------------------------- did you mean


def test_did_you_mean_offers_synonyms_and_ingredients(lexicon: Lexicon) -> None:
    # An ingredient is offered once, by its name, whichever of its names came close; only
    # names close to the whole text by plain edit distance (not "Deanol" for "dexpantenol").
    assert lexicon.did_you_mean("dexpantenol") == ["Dexpanthenol"]
    assert lexicon.did_you_mean("biotine") == ["Biotin"]
    assert "panda eyes" in lexicon.did_you_mean("pandaa eyess")
    assert "dark circles" in lexicon.did_you_mean("dark circels")


def test_did_you_mean_offers_a_concern_within_a_sentence(lexicon: Lexicon) -> None:
    # A run of the typed words close to a phrase; a sentence is never offered ingredients.
    assert "hair loss" in lexicon.did_you_mean("hair los on my scalp please now")
    assert lexicon.did_you_mean("tattoo removal") == []


def test_did_you_mean_offers_area_phrases(tiny: Reader) -> None:
    # "sclap" is too far from "scalp" to be read as it (fuzz.ratio 80, under the reader's
    # 85), but close enough to offer.
    assert tiny.read("sclap").areas == ()
    assert tiny.lexicon.did_you_mean("sclap") == ["scalp"]


def test_did_you_mean_is_bounded_and_quiet_on_garbage(lexicon: Lexicon) -> None:
    assert 0 < len(lexicon.did_you_mean("vitamin")) <= SUGGEST_LIMIT
    assert lexicon.did_you_mean("xqzt") == []
    assert lexicon.did_you_mean("") == []


@pytest.mark.parametrize("text", ["lidocaine allergy", "cellulitis", "lipedema thighs"])
def test_did_you_mean_offers_nothing_for_screening_and_near_words(
    lexicon: Lexicon, text: str
) -> None:
    assert lexicon.did_you_mean(text) == []


# ---------------------------------------------------------------- ingredient names


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("lidocaine", ("lidocaine-hcl",)),
        ("Lidocaine HCl", ("lidocaine-hcl",)),
        ("LIDOCAINE\u00a0hcl ", ("lidocaine-hcl",)),
        ("lidocaine-hcl", ("lidocaine-hcl",)),
        ("vitamin B₁₂", ("cyanocobalamin",)),
        ("Vitamin C", ("ascorbic-acid",)),
        ("PDRN", ("polynucleotides",)),
    ],
)
def test_resolve_ingredient_by_any_name(lexicon: Lexicon, name: str, ids: tuple[str, ...]) -> None:
    assert lexicon.resolve_ingredient(name).ids == ids


def test_a_name_covers_the_names_that_extend_it(lexicon: Lexicon) -> None:
    # "no vitamin A" must also keep out vitamin A palmitate and vitamin A acetate.
    ids = set(lexicon.resolve_ingredient("vitamin A").ids)
    assert ids == {"retinol", "retinyl-palmitate", "retinyl-acetate"}
    # ... but "vitamin B1" does not cover "vitamin B12".
    assert lexicon.resolve_ingredient("vitamin b1").ids == ("thiamine-hcl",)


def test_unknown_ingredient_is_an_error_with_suggestions(lexicon: Lexicon) -> None:
    with pytest.raises(SearchError) as caught:
        lexicon.resolve_ingredient("lidocain")
    assert "unknown ingredient 'lidocain'" in str(caught.value)
    assert caught.value.hint is not None
    assert "lidocaine" in caught.value.hint.lower()


@pytest.mark.parametrize("name", ["", "   ", "\x00", "xqzt", "%", "lidocaine%"])
def test_hostile_ingredient_names_are_unknown(lexicon: Lexicon, name: str) -> None:
    with pytest.raises(SearchError):
        lexicon.resolve_ingredient(name)


def test_ingredients_of_classes_and_origins(lexicon: Lexicon) -> None:
    assert lexicon.ingredients_of([IngredientClass.ANAESTHETIC]) == (
        "lidocaine-hcl",
        "procaine-hcl",
    )
    # An origin takes in its allergen group, members whose origin is not stated included.
    assert lexicon.ingredients_of(origins=[Origin.FISH]) == (
        "polynucleotides",
        "sodium-chondroitin-sulfate",
    )
    assert lexicon.ingredients_of() == ()


# ---------------------------------------------------------------- exclusions typed as words


@pytest.mark.parametrize(
    ("tokens", "term", "ids", "rest"),
    [
        (["no", "lidocaine"], "lidocaine", ("lidocaine-hcl",), ()),
        (
            ["biotin", "without", "Lidocaine", "HCl"],
            "lidocaine hcl",
            ("lidocaine-hcl",),
            ("biotin",),
        ),
        (
            ["not", "vitamin", "A", "please"],
            "vitamin a",
            ("retinol", "retinyl-palmitate", "retinyl-acetate"),
            ("please",),
        ),
        (["excluding", "anaesthetics"], "anaesthetics", ("lidocaine-hcl", "procaine-hcl"), ()),
        (
            ["no", "fish-derived"],
            "fish derived",
            ("polynucleotides", "sodium-chondroitin-sulfate"),
            (),
        ),
        (["anaesthetic-free", "glow"], "anaesthetic", ("lidocaine-hcl", "procaine-hcl"), ("glow",)),
    ],
)
def test_negations(
    lexicon: Lexicon, tokens: list[str], term: str, ids: tuple[str, ...], rest: tuple[str, ...]
) -> None:
    scan = lexicon.negations(tokens)
    (negation,) = scan.negations
    assert (negation.term, set(negation.ingredient_ids), scan.remainder) == (term, set(ids), rest)


@pytest.mark.parametrize(
    "tokens", [["no", "downtime"], ["no"], ["sugar-free"], ["free"], ["not", "the", "xqzt"]]
)
def test_a_negation_of_nothing_known_stays_text(lexicon: Lexicon, tokens: list[str]) -> None:
    scan = lexicon.negations(tokens)
    assert (scan.negations, scan.remainder) == ((), tuple(tokens))


# ---------------------------------------------------------------- classes and origins


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anaesthetic", IngredientClass.ANAESTHETIC),
        ("anaesthetics", IngredientClass.ANAESTHETIC),
        ("Anesthetic", IngredientClass.ANAESTHETIC),
        ("ANESTHETICS", IngredientClass.ANAESTHETIC),
        ("plant extracts", IngredientClass.PLANT_EXTRACT),
        ("plant_extract", IngredientClass.PLANT_EXTRACT),
        ("hair-growth drugs", IngredientClass.HAIR_GROWTH_DRUG),
        ("vitamins", IngredientClass.VITAMIN),
        ("Coenzymes", IngredientClass.COENZYME),
        (IngredientClass.PEPTIDE, IngredientClass.PEPTIDE),
    ],
)
def test_parse_class(text: str | IngredientClass, expected: IngredientClass) -> None:
    assert parse_class(text) is expected


def test_unknown_class_suggests() -> None:
    with pytest.raises(SearchError) as caught:
        parse_class("anaestetic")
    assert caught.value.hint is not None
    assert "anaesthetic" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fish", (Origin.FISH,)),
        ("fish-derived", (Origin.FISH,)),
        ("Fish derived", (Origin.FISH,)),
        ("marine", (Origin.FISH,)),
        ("bovine", (Origin.BOVINE,)),
        ("pork", (Origin.PORCINE,)),
        (Origin.AVIAN, (Origin.AVIAN,)),
        (
            "animal-derived",
            (Origin.FISH, Origin.BOVINE, Origin.PORCINE, Origin.AVIAN, Origin.HUMAN),
        ),
    ],
)
def test_parse_origins(text: str | Origin, expected: tuple[Origin, ...]) -> None:
    assert parse_origins(text) == expected


@pytest.mark.parametrize("text", ["", "alien", "derived", "fishy-derived"])
def test_unknown_origin_is_an_error(text: str) -> None:
    with pytest.raises(SearchError):
        parse_origins(text)


# ---------------------------------------------------------------- fuzz


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_reading_never_raises(shipped: Reader, text: str) -> None:
    scan = shipped.read(text)
    for match in scan.concerns:
        assert match.how in ("phrase", "stem", "fuzzy")
        assert 0 < match.score <= 100
    for found in (*scan.areas, *scan.brands):
        assert found.how in ("phrase", "stem", "fuzzy")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_resolve_and_parse_raise_only_search_error(lexicon: Lexicon, text: str) -> None:
    for call in (lexicon.resolve_ingredient, parse_class, parse_origins):
        with contextlib.suppress(SearchError):
            call(text)
