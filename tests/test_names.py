"""One ingredient-name resolver and one suggest(): rules, import and search answer alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.lexicon import Lexicon
from meso_formulary.catalogue.store.dictionary import ReferenceData
from meso_formulary.catalogue.store.import_checks import check_document
from meso_formulary.errors import InvalidInput
from meso_formulary.model import CatalogueFile, Cocktail
from meso_formulary.names import (
    SUGGEST_LIMIT,
    NameMatch,
    NameResolver,
    Tier,
    suggest,
)
from meso_formulary.rules import build_context, validate

ROOT = Path(__file__).resolve().parents[1]
Factory = Callable[..., Any]


@dataclass(frozen=True)
class Entry:
    """A dictionary entry as the resolver sees one (it needs no pydantic model)."""

    id: str
    name: str
    synonyms: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.id, self.name, *self.synonyms)


# ---------------------------------------------------------------- the resolver's tiers


def test_ids_come_first_in_any_spelling_then_own_names_then_the_dictionary() -> None:
    dictionary = [Entry("biotin", "Biotin", ("vitamin B7",)), Entry("acme-x", "X", ("biotin",))]
    own = [Entry("acme-b7", "Acme B7", ("Vitamin B7",))]
    names = NameResolver.of(dictionary, own)
    assert names.resolve(" BIOTIN ") == NameMatch(" BIOTIN ", ("biotin",), Tier.ID)
    assert names.resolve("vitamin\u00a0b7") == NameMatch("vitamin\u00a0b7", ("acme-b7",), Tier.OWN)
    assert names.resolve("X") == NameMatch("X", ("acme-x",), Tier.DICTIONARY)
    unknown = names.resolve("mystery")
    assert (unknown.ids, unknown.tier, unknown.ingredient_id) == ((), None, None)


def test_two_entries_of_one_tier_sharing_a_name_make_it_ambiguous() -> None:
    names = NameResolver.of(
        [Entry("zinc", "Zinc", ("booster",)), Entry("abc", "Abc", ("booster",))]
    )
    match = names.resolve("Booster")
    assert (match.ids, match.ambiguous, match.ingredient_id) == (("abc", "zinc"), True, None)
    assert names.problem(match) == (
        "ingredient name 'Booster' is ambiguous: it names abc, zinc; use the id"
    )


def test_a_name_covers_every_tier_and_the_longer_names_it_starts() -> None:
    dictionary = [
        Entry("lidocaine-hcl", "Lidocaine hydrochloride", ("lidocaine",)),
        Entry("lidocaine-base", "Lidocaine base"),
        Entry("lidocainex", "Lidocainex"),
    ]
    own = [Entry("acme-numb", "Numb", ("lidocaine",))]
    names = NameResolver.of(dictionary, own)
    assert names.resolve("lidocaine").ids == ("acme-numb",)
    # What an exclusion hides: the resolver's answer first, then every other reading.
    assert names.covering("Lidocaine") == ("acme-numb", "lidocaine-hcl", "lidocaine-base")
    assert names.covering("nothing") == ()


def test_an_unknown_name_gets_the_closest_ingredients_in_one_wording() -> None:
    names = NameResolver.of([Entry("biotin", "Biotin", ("vitamin H",)), Entry("zinc", "Zinc")])
    assert names.suggest("biotinn") == ("biotin",)
    assert names.problem(names.resolve("biotinn")) == (
        "unknown ingredient 'biotinn'; did you mean 'biotin' (Biotin)?"
    )
    assert names.problem(names.resolve("zzqqxx")) == "unknown ingredient 'zzqqxx'"


# ---------------------------------------------------------------- suggest()


def test_suggest_has_one_cutoff_and_one_limit() -> None:
    assert suggest("lidocain", ["lidocaine", "xylitol", "procaine"]) == ["lidocaine"]
    close = [f"vitamin {letter}" for letter in "ABCDEK"]
    assert suggest("vitamn", close) == close[:SUGGEST_LIMIT]
    assert suggest("zzqqxx", close) == []


def test_suggest_offers_a_mapped_choice_once() -> None:
    choices = {"vitamin C": "ascorbic-acid", "vit C": "ascorbic-acid", "vitamin A": "retinol"}
    assert suggest("vitamin", choices) == ["ascorbic-acid", "retinol"]


def test_suggest_with_whole_compares_the_whole_texts() -> None:
    # WRatio finds a short choice inside a longer text ("TXA" in "tattoo removal"); with
    # ``whole`` only the plain edit distance of the two whole texts counts.
    assert suggest("tattoo removal", ["TXA"]) == ["TXA"]
    assert suggest("tattoo removal", ["TXA"], whole=80) == []
    assert suggest("dark circels", ["dark circles", "dark"], whole=80) == ["dark circles"]
    assert suggest("ab", ["ab"], whole=0) == []  # too little text, whatever the cutoff


@pytest.mark.parametrize("text", ["", "  ", "ab", "a-b", "%%%"])
def test_suggest_says_nothing_for_too_little_text(text: str) -> None:
    assert suggest(text, ["ab", "abc", "a b c"]) == []


def test_every_did_you_mean_goes_through_suggest() -> None:
    """rapidfuzz is imported by names.py (suggestions) and, for matching, not suggesting, by
    the search's reader (the typo pass, ``fuzz.ratio``) and lexicon (a typo of a near-word,
    ``fuzz.ratio``) only."""
    importers: dict[str, str] = {}
    for folder in ("meso_formulary", "catalogue", "cli", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"difflib|get_close_matches", text), path
            if re.search(r"^\s*(from|import) rapidfuzz", text, re.MULTILINE):
                importers[path.relative_to(ROOT).as_posix()] = text
    assert set(importers) == {
        "meso_formulary/names.py",
        "catalogue/search/lexicon.py",
        "catalogue/search/reading.py",
    }
    for matcher in ("catalogue/search/lexicon.py", "catalogue/search/reading.py"):
        text = importers[matcher]
        assert "fuzz.WRatio" not in text and "process.extract(" not in text, matcher


# ---------------------------------------------------------------- validate() and import agree


B7_OWN = {
    "id": "acme-b7",
    "name": "Acme B7 complex",
    "class": "vitamin",
    "synonyms": ["vitamin B7"],
    "source": "acme label",
}


def _one_line(make_document: Factory, make_cocktail: Factory, name: str, own: Any) -> Any:
    return make_document(
        "acme", [make_cocktail("acme", "a", [(name, None, None)])], ingredients=own
    )


def test_vitamin_b7_of_a_supplier_resolves_alike_in_validate_and_import(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    doc: CatalogueFile = _one_line(make_document, make_cocktail, "vitamin B7", [B7_OWN])
    (cocktail,) = doc.cocktails
    # The reference biotin is also "vitamin B7": the supplier's own entry wins, everywhere.
    assert validate(cocktail, own=doc.ingredients, select=["MF102"]) == []
    resolved = build_context(own=doc.ingredients).resolution(cocktail).resolved
    assert [ingredient.id for _, ingredient in resolved] == ["acme-b7"]
    assert check_document(doc, ReferenceData.shipped()) == []  # meso validate
    catalogue.import_catalogue(doc)
    assert catalogue.get("acme/a").composition[0].ingredient == "acme-b7"
    # Without the file's own entries there is only the reference's reading.
    assert validate(cocktail, select=["MF102"]) == []
    assert build_context().resolution(cocktail).resolved[0][1].id == "biotin"


@pytest.mark.parametrize(
    ("name", "own"),
    [
        ("vitamin B77", [B7_OWN]),  # unknown: the same suggestions
        ("vitamin B7", [B7_OWN, {**B7_OWN, "id": "acme-b7-forte", "name": "B7 forte"}]),
    ],
)
def test_validate_and_import_say_the_same_about_a_name_that_does_not_resolve(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory, name: str, own: Any
) -> None:
    doc: CatalogueFile = _one_line(make_document, make_cocktail, name, own)
    (finding,) = validate(doc.cocktails[0], own=doc.ingredients, select=["MF102"])
    with pytest.raises(InvalidInput) as refused:
        catalogue.import_catalogue(doc)
    (problem,) = refused.value.problems
    assert problem.path == "cocktails.0.composition.0.ingredient"
    assert problem.message == finding.message
    (checked,) = check_document(doc, ReferenceData.shipped())
    assert checked.message == finding.message


def test_own_entries_of_a_flat_dictionary_are_one_tier() -> None:
    """Given one flat dictionary, validate() cannot tell whose entry is whose: ambiguous."""
    doc = CatalogueFile.model_validate(
        {
            "supplier": {"id": "acme", "name": "Acme"},
            "version": 1,
            "ingredients": [B7_OWN],
            "cocktails": [],
        }
    )
    line = {"ingredient": "vitamin B7"}
    cocktail = Cocktail.model_validate(
        {
            "id": "acme/a",
            "name": "A",
            "supplier": "acme",
            "description": "A test cocktail.",
            "composition": [line],
            "indications": ["alopecia"],
            "areas": ["scalp"],
        }
    )
    flat = [*reference.ingredients(), *doc.ingredients]
    (finding,) = validate(cocktail, ingredients=flat, select=["MF102"])
    assert "ambiguous: it names acme-b7, biotin; use the id" in finding.message


# ---------------------------------------------------------------- one table, three readers


NAMES = [
    ("biotin", "biotin"),
    ("BIOTIN", "biotin"),
    ("vitamin B7", "biotin"),
    ("Vitamin\u00a0H", "biotin"),
    ("vitamin B₁₂", "cyanocobalamin"),
    ("lidocaine", "lidocaine-hcl"),
    ("Lidocaine HCl", "lidocaine-hcl"),
    ("SODIUM HYALURONATE", "sodium-hyaluronate"),
    ("hyaluronan", "hyaluronic-acid"),
    ("Vitamin C", "ascorbic-acid"),
]


def test_the_rules_the_importer_and_the_search_resolve_a_table_of_names_alike(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    cocktails = [
        make_cocktail("acme", f"c{k}", [(name, None, None)]) for k, (name, _) in enumerate(NAMES)
    ]
    doc: CatalogueFile = make_document("acme", cocktails)
    context = build_context()
    by_rules = [context.resolution(c).resolved[0][1].id for c in doc.cocktails]
    catalogue.import_catalogue(doc)
    by_import = [catalogue.get(f"acme/c{k}").composition[0].ingredient for k in range(len(NAMES))]
    lexicon = Lexicon.from_connection(catalogue.conn)
    by_search = [lexicon.resolve_ingredient(name).ids[0] for name, _ in NAMES]
    expected = [ingredient_id for _, ingredient_id in NAMES]
    assert by_rules == by_import == by_search == expected


def test_a_search_has_no_supplier_to_prefer_so_it_takes_every_reading(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    catalogue.import_catalogue(_one_line(make_document, make_cocktail, "vitamin B7", [B7_OWN]))
    lexicon = Lexicon.from_connection(catalogue.conn)
    # Included or excluded, "vitamin B7" is biotin and Acme's B7: an exclusion hides both.
    assert lexicon.resolve_ingredient("vitamin B7").ids == ("acme-b7", "biotin")
    assert lexicon.resolve_ingredient("biotin").ids[0] == "biotin"
