"""Lay words to indications, ingredient names to ids, class and origin names to the enums."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary.catalogue.search.lexicon import (
    Lexicon,
    parse_class,
    parse_origins,
    word_key,
)
from meso_formulary.errors import SearchError
from meso_formulary.model import IndicationId, IngredientClass, Origin
from meso_formulary.names import SUGGEST_LIMIT


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    """The shipped reference vocabulary: what a practitioner's words meet in real use."""
    return Lexicon.from_reference()


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
def test_lay_terms_land_on_their_indication(lexicon: Lexicon, text: str, indication: str) -> None:
    scan = lexicon.concerns(text)
    assert [m.indication_id for m in scan.concerns] == [IndicationId(indication)]
    assert scan.remainder == ()


@pytest.mark.parametrize("text", ["xqzt", "the", "a", "vitamin", "biotin", "serum", "", "   "])
def test_garbage_matches_no_indication(lexicon: Lexicon, text: str) -> None:
    assert lexicon.concerns(text).concerns == ()


def test_concern_inside_a_longer_query(lexicon: Lexicon) -> None:
    scan = lexicon.concerns("biotin for hair loss on the scalp")
    (match,) = scan.concerns
    assert (match.indication_id, match.term, match.how, match.score) == (
        IndicationId.ALOPECIA,
        "hair loss",
        "synonym",
        100.0,
    )
    assert scan.remainder == ("biotin", "scalp")


def test_typo_inside_a_longer_query(lexicon: Lexicon) -> None:
    scan = lexicon.concerns("caffeine for celulitte on thighs")
    (match,) = scan.concerns
    assert match.indication_id is IndicationId.CELLULITE
    assert match.how == "fuzzy"
    assert match.term == "celulitte"
    assert 85 <= match.score < 100
    assert scan.remainder == ("caffeine", "thighs")


def test_two_concerns_in_one_text(lexicon: Lexicon) -> None:
    scan = lexicon.concerns("double chin and panda eyes")
    assert [m.indication_id for m in scan.concerns] == [
        IndicationId.LOCALISED_FAT,
        IndicationId.DARK_CIRCLES,
    ]
    assert scan.remainder == ()


def test_remainder_keeps_the_words_as_typed(lexicon: Lexicon) -> None:
    # The leftover goes to full-text search, so "vita*" and "anti-inflammatory" stay intact.
    scan = lexicon.concerns("vita* anti-inflammatory hair loss")
    assert scan.remainder == ("vita*", "anti-inflammatory")


def test_word_partly_inside_a_concern_keeps_its_other_part(lexicon: Lexicon) -> None:
    scan = lexicon.concerns("biotin/hair loss")
    assert [m.indication_id for m in scan.concerns] == [IndicationId.ALOPECIA]
    assert scan.remainder == ("biotin",)


def test_longest_phrase_wins() -> None:
    lex = Lexicon(
        [("alopecia", "hair loss"), ("alopecia", "male pattern hair loss"), ("skin_laxity", "loss")]
    )
    scan = lex.concerns("male pattern hair loss")
    assert [(m.term, m.matched) for m in scan.concerns] == [
        ("male pattern hair loss", "male pattern hair loss")
    ]


def test_one_phrase_for_two_indications() -> None:
    lex = Lexicon([("skin_laxity", "firming"), ("skin_tightening", "firming")])
    scan = lex.concerns("firming")
    assert {m.indication_id for m in scan.concerns} == {
        IndicationId.SKIN_LAXITY,
        IndicationId.SKIN_TIGHTENING,
    }


def test_short_words_are_never_fuzzy() -> None:
    lex = Lexicon([("alopecia", "AGA")])
    assert lex.concerns("aga").concerns[0].how == "synonym"
    assert lex.concerns("aqa").concerns == ()


def test_word_key() -> None:
    assert word_key("Crow's-feet") == "crows feet"
    assert word_key("Vitamin B₁₂") == "vitamin b12"
    assert word_key("  (PEFS) ") == "pefs"
    assert word_key("a_b") == "a b"


# ---------------------------------------------------------------- did you mean


def test_did_you_mean_offers_synonyms_and_ingredients(lexicon: Lexicon) -> None:
    # An ingredient is offered once, by its name, whichever of its names came close.
    assert lexicon.did_you_mean("dexpantenol") == ["Dexpanthenol", "Deanol"]
    assert "panda eyes" in lexicon.did_you_mean("pandaa eyess")


def test_did_you_mean_is_bounded_and_quiet_on_garbage(lexicon: Lexicon) -> None:
    assert len(lexicon.did_you_mean("vitamin")) == SUGGEST_LIMIT
    assert lexicon.did_you_mean("xqzt") == []
    assert lexicon.did_you_mean("") == []


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
def test_concerns_never_raise(lexicon: Lexicon, text: str) -> None:
    scan = lexicon.concerns(text)
    for match in scan.concerns:
        assert match.how in ("synonym", "fuzzy")
        assert 0 < match.score <= 100


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_resolve_and_parse_raise_only_search_error(lexicon: Lexicon, text: str) -> None:
    for call in (lexicon.resolve_ingredient, parse_class, parse_origins):
        with contextlib.suppress(SearchError):
            call(text)
