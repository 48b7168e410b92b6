"""Words of screening in the concern box, and the near-words no concern may take.

A practitioner types what she knows of her client where she types the concern. "fish
allergy" must hide the fish-derived cocktails, not look for them; "cellulitis" is a skin
infection, not cellulite. The table below is written as clients and practitioners say it,
in the six languages of the reference data.
"""

from __future__ import annotations

import json
import re

import pytest
from cli_support import Meso
from conftest import Reader
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.fts import words as fts_words
from meso_formulary.catalogue.search.lexicon import Lexicon
from meso_formulary.catalogue.search.screening_words import fold, screen_words
from meso_formulary.vocabulary import IndicationId

POLYNUCLEOTIDES = "reference/polynucleotides-20"
"""The shipped cocktail of salmon/trout DNA (fish-derived)."""
LIDOCAINE_COCKTAIL = "reference/aminophylline-buflomedil-lidocaine"


@pytest.fixture(scope="module")
def lexicon(shipped: Reader) -> Lexicon:
    """The shipped vocabulary, as the embedded reference catalogue holds it."""
    return shipped.lexicon


SCREENING_PHRASES: list[tuple[str, set[str], set[str]]] = [
    # (typed in the concern box, conditions read, substances excluded)
    # ---- English
    ("I am pregnant", {"pregnancy"}, set()),
    ("pregnant client, hair loss", {"pregnancy"}, set()),
    ("she is breastfeeding", {"breastfeeding"}, set()),
    ("I'm on blood thinners", {"anticoagulants"}, set()),
    ("she's pregnant", {"pregnancy"}, set()),
    ("taking warfarin", {"anticoagulants"}, set()),
    ("fish allergy", {"fish-allergy"}, set()),
    ("allergic to fish", {"fish-allergy"}, set()),
    ("allergy to salmon", {"fish-allergy"}, set()),
    ("lidocaine allergy", {"amide-anaesthetic-allergy"}, set()),
    (
        "allergic to lidocaine and procaine",
        {"amide-anaesthetic-allergy", "ester-anaesthetic-allergy"},
        set(),
    ),
    (
        "allergic to local anaesthetics",
        {"amide-anaesthetic-allergy", "ester-anaesthetic-allergy"},
        set(),
    ),
    ("allergic to eggs", {"egg-allergy"}, set()),
    ("soy allergy", {"soy-allergy"}, set()),
    ("peanut allergy", {"peanut-allergy"}, set()),
    ("hyaluronic acid allergy", {"hyaluronic-acid-allergy"}, set()),
    (
        "allergic to fish, soy and lidocaine",
        {"fish-allergy", "soy-allergy", "amide-anaesthetic-allergy"},
        set(),
    ),
    ("allergic to sodium hyaluronate", set(), {"sodium hyaluronate"}),
    ("biotin allergy", set(), {"biotin"}),
    ("allergic to penicillin", set(), {"penicillin"}),
    ("cold sore on the lip", {"active-skin-infection"}, set()),
    ("cellulitis", {"active-skin-infection"}, set()),
    ("history of anaphylaxis", {"severe-allergy-history"}, set()),
    # ---- Portuguese
    ("estou grávida", {"pregnancy"}, set()),
    ("a amamentar", {"breastfeeding"}, set()),
    ("alergia a peixe", {"fish-allergy"}, set()),
    ("sou alérgica a lidocaína", {"amide-anaesthetic-allergy"}, set()),
    ("alergia ao ovo", {"egg-allergy"}, set()),
    ("toma varfarina", {"anticoagulants"}, set()),
    ("celulite infecciosa", {"active-skin-infection"}, set()),
    # ---- Spanish
    ("estoy embarazada", {"pregnancy"}, set()),
    ("embarazada y con caída del pelo", {"pregnancy"}, set()),
    ("alérgica al pescado", {"fish-allergy"}, set()),
    ("alergia a la lidocaína", {"amide-anaesthetic-allergy"}, set()),
    ("alergia al huevo y a la soja", {"egg-allergy", "soy-allergy"}, set()),
    ("tomo sintrom", {"anticoagulants"}, set()),
    ("celulitis infecciosa en la pierna", {"active-skin-infection"}, set()),
    # ---- French
    ("je suis enceinte", {"pregnancy"}, set()),
    ("j'ai une allergie au poisson", {"fish-allergy"}, set()),
    ("allergique à la lidocaïne", {"amide-anaesthetic-allergy"}, set()),
    ("allergie aux œufs", {"egg-allergy"}, set()),
    ("allergique à l'arachide", {"peanut-allergy"}, set()),
    ("je prends un anticoagulant", {"anticoagulants"}, set()),
    ("cellulite infectieuse", {"active-skin-infection"}, set()),
    # ---- German
    ("ich bin schwanger", {"pregnancy"}, set()),
    ("Fischallergie", {"fish-allergy"}, set()),
    ("Lidocain-Allergie", {"amide-anaesthetic-allergy"}, set()),
    ("allergisch gegen Soja", {"soy-allergy"}, set()),
    ("Eiallergie", {"egg-allergy"}, set()),
    ("ich nehme Marcumar", {"anticoagulants"}, set()),
    ("Zellulitis", {"active-skin-infection"}, set()),
    ("Phlegmone am Bein", {"active-skin-infection"}, set()),
    # ---- Italian
    ("sono incinta", {"pregnancy"}, set()),
    ("allergia al pesce", {"fish-allergy"}, set()),
    ("allergica alla lidocaina", {"amide-anaesthetic-allergy"}, set()),
    ("allergia alle uova", {"egg-allergy"}, set()),
    ("allergia all'acido ialuronico", {"hyaluronic-acid-allergy"}, set()),
    ("prendo anticoagulanti", {"anticoagulants"}, set()),
    ("cellulite infettiva", {"active-skin-infection"}, set()),
]


@pytest.mark.parametrize(("text", "conditions", "exclusions"), SCREENING_PHRASES)
def test_screening_phrases_in_six_languages(
    lexicon: Lexicon, text: str, conditions: set[str], exclusions: set[str]
) -> None:
    scan = lexicon.screening(text)
    assert {c.value for c in scan.conditions} == conditions
    assert set(scan.exclusions) == exclusions
    assert scan.phrases
    # What was read is never searched for, nor offered as "did you mean".
    assert not any(set(screen_words(p)) & set(screen_words(scan.rest)) for p in scan.phrases)


def test_the_table_covers_six_languages_and_forty_phrases() -> None:
    assert len(SCREENING_PHRASES) >= 40


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("pregnant client, hair loss", "hair loss"),
        ("hair loss and pregnant", "hair loss"),
        ("allergic to fish and hair loss", "hair loss"),
        ("taking warfarin for dark circles", "for dark circles"),
        ("embarazada y con caída del pelo", "caída del pelo"),
        ("Fischallergie und schwanger", ""),
        ("I'm on blood thinners", ""),
        ("pregnant, no lidocaine", "no lidocaine"),
        ("fish allergy and no lidocaine", "no lidocaine"),
        ("j'ai une allergie au poisson", ""),
    ],
)
def test_the_rest_is_what_is_left_to_search(lexicon: Lexicon, text: str, rest: str) -> None:
    assert lexicon.screening(text).rest == rest


@pytest.mark.parametrize(
    "text",
    [
        "I am not pregnant",
        "não estou grávida",
        "no estoy embarazada",
        "je ne suis pas enceinte",
        "nicht schwanger",
        "non sono incinta",
        "not allergic to fish",
    ],
)
def test_a_negated_phrase_is_read_and_set_aside(lexicon: Lexicon, text: str) -> None:
    scan = lexicon.screening(text)
    assert scan.conditions == () and scan.exclusions == ()
    assert scan.rest == "" and scan.phrases == (text,)


@pytest.mark.parametrize(
    ("text", "indication"),
    [
        ("pregnancy stretch marks", IndicationId.STRETCH_MARKS),
        ("pregnancy marks", IndicationId.STRETCH_MARKS),
        ("Schwangerschaftsstreifen", IndicationId.STRETCH_MARKS),
        ("mask of pregnancy", IndicationId.HYPERPIGMENTATION),
        ("minor wrinkles", IndicationId.SKIN_REJUVENATION),
    ],
)
def test_a_concern_holding_a_condition_word_stays_a_concern(
    lexicon: Lexicon, shipped: Reader, text: str, indication: IndicationId
) -> None:
    scan = lexicon.screening(text)
    assert (scan.conditions, scan.exclusions, scan.rest) == ((), (), text)
    assert indication in {c.indication_id for c in shipped.read(scan.rest).concerns}


def test_every_condition_synonym_is_read_as_its_condition(lexicon: Lexicon) -> None:
    for condition in reference.conditions():
        for word in condition.synonyms:
            scan = lexicon.screening(word)
            assert condition.id in scan.conditions, (condition.id, word, scan)
            assert scan.rest == "", (word, scan)


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Lidocaïne") == "lidocaine"
    assert fold("Hühnereiweiß") == "huhnereiweiss"
    assert screen_words("allergie à l'œuf") == ["allergie", "a", "l", "oeuf"]


# ---------------------------------------------------------------- near-words


NEAR_WORDS = reference.near_words()


@pytest.mark.parametrize("near", NEAR_WORDS, ids=[n.word for n in NEAR_WORDS])
def test_a_near_word_is_never_a_concern(
    lexicon: Lexicon, shipped: Reader, near: reference.NearWord
) -> None:
    scan = shipped.read(near.word)
    assert scan.concerns == ()  # neither exact nor fuzzy
    assert lexicon.did_you_mean(near.word) == []
    screened = lexicon.screening(near.word)
    if near.condition is None:
        assert screened.rest == near.word and screened.conditions == ()
    else:
        assert screened.conditions == (near.condition,) and screened.rest == ""
    # In a sentence too, and a typo of one is no concern either.
    assert shipped.read(f"{near.word} on the thighs").concerns == ()


@pytest.mark.parametrize("typo", ["cellulitus", "cellulitiss", "cellulitis,", "melanomma"])
def test_a_typo_of_a_near_word_is_no_concern(lexicon: Lexicon, shipped: Reader, typo: str) -> None:
    assert shipped.read(typo).concerns == ()
    assert lexicon.did_you_mean(typo) == []


def test_near_words_carry_sources_not_research_tags() -> None:
    for near in NEAR_WORDS:
        for source in near.sources:
            assert "[read" not in source and "[lookup" not in source and "[repo" not in source
            assert ".yaml" not in source and ".py" not in source


@pytest.mark.parametrize("text", ["celulite", "celulitis", "cellulite", "Cellulite", "cellulitte"])
def test_the_everyday_cellulite_words_stay_the_concern(
    lexicon: Lexicon, shipped: Reader, text: str
) -> None:
    assert lexicon.screening(text).conditions == ()
    assert {c.indication_id for c in shipped.read(text).concerns} == {IndicationId.CELLULITE}


# ---------------------------------------------------------------- the measured cases


def test_fish_allergy_screens_and_is_never_searched(lexicon: Lexicon) -> None:
    scan = lexicon.screening("fish allergy")
    assert [c.value for c in scan.conditions] == ["fish-allergy"] and scan.rest == ""
    assert lexicon.did_you_mean("fish allergy") == []


def test_lidocaine_allergy_never_offers_lidocaine(lexicon: Lexicon) -> None:
    scan = lexicon.screening("lidocaine allergy")
    assert [c.value for c in scan.conditions] == ["amide-anaesthetic-allergy"]
    assert scan.rest == ""
    assert lexicon.did_you_mean("lidocaine allergy") == []
    assert lexicon.did_you_mean("lidocaine allergy hair los") == lexicon.did_you_mean("hair los")


def test_cellulitis_is_the_infection_not_cellulite(lexicon: Lexicon, shipped: Reader) -> None:
    scan = lexicon.screening("cellulitis")
    assert [c.value for c in scan.conditions] == ["active-skin-infection"]
    assert shipped.read("cellulitis").concerns == ()
    assert lexicon.did_you_mean("cellulitis") == []


def test_a_catalogue_reads_the_same_words_as_the_shipped_data(
    lexicon: Lexicon, catalogue: Catalogue
) -> None:
    stored = Reader(catalogue.conn)
    for text, _conditions, _exclusions in SCREENING_PHRASES:
        assert stored.lexicon.screening(text) == lexicon.screening(text), text
    for near in NEAR_WORDS:
        assert stored.read(near.word).concerns == ()


def _search(meso: Meso, text: str) -> list[str]:
    result = meso("search", text, "--json")
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.stdout)]


def test_meso_search_hides_what_the_concern_box_rules_out(meso: Meso) -> None:
    assert POLYNUCLEOTIDES in _search(meso, "skin booster")
    assert POLYNUCLEOTIDES not in _search(meso, "fish allergy")
    assert LIDOCAINE_COCKTAIL in _search(meso, "cellulite")
    assert LIDOCAINE_COCKTAIL not in _search(meso, "lidocaine allergy")
    assert LIDOCAINE_COCKTAIL not in _search(meso, "cellulite, lidocaine allergy")
    # Every shipped cocktail lists active skin infection: nothing is left, and nothing
    # (no "did you mean") points to cellulite; it is named only in the list of what the
    # catalogue has cocktails for.
    result = meso("search", "cellulitis", "--json")
    assert result.exit_code == 1
    said = " ".join(result.output.lower().split())
    assert "did you mean" not in said
    covered = re.search(r"the catalogue has cocktails for: [^.]*\.", said)
    assert covered is not None and "cellulite" in covered.group()
    assert "cellulite" not in said.replace(covered.group(), "")
    assert "skin infection" in said


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "allergic",
                "to",
                "fish",
                "and",
                "hair",
                "loss",
                "pregnant",
                "not",
                "Fischallergie",
                "alergia",
                "a",
                "la",
                "lidocaína",
                ",",
                "soy",
                "allergy",
                "cellulitis",
                "l'œuf",
                "taking",
                "warfarin",
                "penicillin",
                "stretch",
                "marks",
                "pregnancy",
            ]
        )
    ).map(" ".join)
    | st.text(max_size=40)
)
def test_a_scan_only_ever_removes_words(lexicon: Lexicon, text: str) -> None:
    scan = lexicon.screening(text)
    typed = screen_words(text)
    left = screen_words(scan.rest)
    assert all(typed.count(w) >= left.count(w) for w in left)
    assert bool(scan.phrases) or scan.rest == " ".join(fts_words(text))
    assert not (scan.conditions or scan.exclusions) or scan.phrases
