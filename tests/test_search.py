"""search(): concerns, free text, filters, facets, reasons, paging and hostile input."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search import runner as engine
from meso_formulary.catalogue.search.api import SearchRequest, SearchResults, lexicon, search
from meso_formulary.catalogue.search.runner import Query
from meso_formulary.catalogue.search.runner import run as run_engine
from meso_formulary.errors import CatalogueError, MesoError, SearchError
from meso_formulary.model import Area, CatalogueFile, IngredientClass, Origin, Technique


def cocktail(
    slug: str,
    name: str,
    description: str,
    ingredients: list[str],
    indications: list[str],
    areas: list[str],
    techniques: list[str],
    supplier: str = "acme",
) -> dict[str, Any]:
    return {
        "id": f"{supplier}/{slug}",
        "name": name,
        "supplier": supplier,
        "description": description,
        "composition": [{"ingredient": i} for i in ingredients],
        "indications": indications,
        "areas": areas,
        "administration": {"techniques": techniques},
    }


ACME = [
    cocktail(
        "hair-biotin",
        "Hair Biotin Booster",
        "Biotin and dexpanthenol for the scalp, with lidocaine for comfort.",
        ["biotin", "dexpanthenol", "Lidocaine HCl", "water"],
        ["alopecia"],
        ["scalp"],
        ["nappage"],
    ),
    cocktail(
        "scalp-revive",
        "Scalp Revive",
        "Biotin, zinc and copper peptide for thinning hair on the scalp.",
        ["biotin", "zinc gluconate", "GHK-Cu"],
        ["alopecia"],
        ["scalp"],
        ["point_by_point"],
    ),
    cocktail(
        "pn-scalp",
        "PN Scalp",
        "Polynucleotides from salmon DNA with biotin, for the scalp.",
        ["PDRN", "biotin"],
        ["alopecia"],
        ["scalp"],
        ["papule"],
    ),
    cocktail(
        "chin-contour",
        "Chin Contour",
        "Deoxycholic acid and phosphatidylcholine under the chin.",
        ["deoxycholic acid", "phosphatidylcholine"],
        ["localised_fat"],
        ["submental"],
        ["subcutaneous"],
    ),
    cocktail(
        "smooth-legs",
        "Smooth Legs",
        "Caffeine, carnitine and procaine for thighs and buttocks.",
        ["caffeine", "L-carnitine", "procaine"],
        ["cellulite", "localised_fat"],
        ["thighs", "buttocks"],
        ["nappage"],
    ),
]

BLOOM = [
    cocktail(
        "bright-eyes",
        "Bright Eyes",
        "Vitamin C, glutathione and hyaluronic acid around the eyes.",
        ["vitamin C", "glutathione", "hyaluronic acid"],
        ["dark_circles", "hyperpigmentation"],
        ["periorbital"],
        ["papule"],
        supplier="bloom",
    ),
    cocktail(
        "glow",
        "Glow Cocktail",
        "A vitamin c glow booster of hyaluronate and amino acids.",
        ["sodium hyaluronate", "vitamin C", "glycine", "L-proline", "water"],
        ["skin_rejuvenation"],
        ["face", "neck"],
        ["nappage", "microneedling"],
        supplier="bloom",
    ),
    cocktail(
        "stretch-repair",
        "Stretch Repair",
        "Centella and EGF with lidocaine for stretch marks.",
        ["centella", "EGF", "lidocaine"],
        ["stretch_marks"],
        ["abdomen", "thighs"],
        ["linear_retrograde"],
        supplier="bloom",
    ),
    cocktail(
        "hair-lite",
        "Hair Lite",
        "A hair-loss formula: biotin alone.",
        ["biotin"],
        ["alopecia"],
        ["scalp"],
        ["nappage"],
        supplier="bloom",
    ),
    cocktail(
        "hair-lite-2",
        "Hair Lite",
        "The same name as bloom/hair-lite, to test the order of equal names.",
        ["biotin", "dexpanthenol"],
        ["alopecia"],
        ["scalp"],
        ["nappage"],
        supplier="bloom",
    ),
]

ALL_IDS = {c["id"] for c in ACME + BLOOM}


@pytest.fixture(scope="module")
def cat() -> Iterator[Catalogue]:
    catalogue = Catalogue.memory()
    for supplier, cocktails in (("acme", ACME), ("bloom", BLOOM)):
        catalogue.import_catalogue(
            CatalogueFile.model_validate(
                {"supplier": {"id": supplier, "name": supplier.title()}, "cocktails": cocktails}
            )
        )
    yield catalogue
    catalogue.close()


def run(cat: Catalogue, **request: Any) -> SearchResults:
    return search(cat, SearchRequest(**request))


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


ALOPECIA = {
    "acme/hair-biotin",
    "acme/scalp-revive",
    "acme/pn-scalp",
    "bloom/hair-lite",
    "bloom/hair-lite-2",
}


# ---------------------------------------------------------------- concerns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hair loss", ALOPECIA),
        ("thinning hair", ALOPECIA),
        ("alopesia", ALOPECIA),
        ("panda eyes", {"bloom/bright-eyes"}),
        ("dark circels", {"bloom/bright-eyes"}),
        ("orange peel skin", {"acme/smooth-legs"}),
        ("celulite", {"acme/smooth-legs"}),
        ("double chin", {"acme/chin-contour", "acme/smooth-legs"}),
        ("stretchmraks", {"bloom/stretch-repair"}),
    ],
)
def test_lay_terms_find_their_cocktails(cat: Catalogue, text: str, expected: set[str]) -> None:
    results = run(cat, text=text)
    assert set(ids(results)) == expected
    assert results.total == len(expected)
    assert results.concerns


def test_concern_needs_no_text_match(cat: Catalogue) -> None:
    # "panda eyes" is nowhere in Bright Eyes' text: the indication alone finds it.
    results = run(cat, text="panda eyes")
    assert ids(results) == ["bloom/bright-eyes"]
    # (An area the phrase holds, "eyes", may be read too: it ranks, it never filters.)
    assert results.hits[0].why[0] == "for Dark circles, as 'panda eyes'"
    assert not any(reason.startswith("mentions") for reason in results.hits[0].why)


def test_fuzzy_concern_says_how_it_was_read(cat: Catalogue) -> None:
    results = run(cat, text="cellulitte")
    (concern,) = results.concerns
    assert (concern.how, concern.matched) == ("fuzzy", "cellulite")
    assert results.hits[0].why == ("for Cellulite, as 'cellulitte' (read as 'cellulite')",)


def test_a_named_concern_drives_and_the_other_words_rank(cat: Catalogue) -> None:
    # The concern finds every alopecia cocktail; "copper" no longer filters, it ranks the
    # one holding it first, and the area named ("scalp") ranks too.
    results = run(cat, text="copper for hair loss on the scalp")
    assert set(ids(results)) == ALOPECIA
    assert ids(results)[0] == "acme/scalp-revive"
    assert results.hits[0].score > results.hits[1].score
    assert results.hits[0].why == ("for Alopecia, as 'hair loss'", "treats Scalp")
    assert [a.area for a in results.areas] == [Area.SCALP]
    assert results.relaxed == []
    assert not any(reason.startswith("mentions") for hit in results.hits for reason in hit.why)


def test_an_area_named_alone_drives(cat: Catalogue) -> None:
    results = run(cat, text="scalp")
    assert set(ids(results)) == ALOPECIA
    assert results.concerns == []
    assert all(hit.why == ("treats Scalp",) for hit in results.hits)


def test_free_words_that_find_nothing_together_relax_to_any(cat: Catalogue) -> None:
    # Nothing holds both copper and centella: the search shows what holds either, and
    # says so; an explicit filter still applies.
    results = run(cat, text="copper centella")
    assert set(ids(results)) == {"acme/scalp-revive", "bloom/stretch-repair"}
    (said,) = results.relaxed
    assert "'copper'" in said and "'centella'" in said
    assert ids(run(cat, text="copper centella", area="scalp")) == ["acme/scalp-revive"]
    nothing = run(cat, text="copper centella", area="scalp", supplier="bloom")
    assert (nothing.total, nothing.relaxed) == (0, [])


def test_nothing_found_says_what_the_catalogue_covers(cat: Catalogue) -> None:
    results = run(cat, text="dna-salmon")
    assert results.total == 0
    assert "Alopecia" in results.covered and "Stretch marks" in results.covered
    assert run(cat, text="hair loss").covered == []


def test_two_concerns_rank_cocktails_answering_both_first(cat: Catalogue) -> None:
    results = run(cat, text="double chin and cellulite")
    assert ids(results) == ["acme/smooth-legs", "acme/chin-contour"]
    assert results.hits[0].score > results.hits[1].score


def test_free_text_without_concern_uses_full_text(cat: Catalogue) -> None:
    results = run(cat, text="glutathione")
    assert ids(results) == ["bloom/bright-eyes"]
    assert results.concerns == []
    assert results.hits[0].why == ("mentions 'glutathione'",)


def test_hyphenated_text_is_a_phrase(cat: Catalogue) -> None:
    assert ids(run(cat, text="salmon-DNA")) == ["acme/pn-scalp"]
    assert ids(run(cat, text="DNA-salmon")) == []
    # "hair-loss" is read as the concern: "formula" ranks the cocktail saying it first.
    results = run(cat, text="hair-loss formula")
    assert set(ids(results)) == ALOPECIA
    assert ids(results)[0] == "bloom/hair-lite"


def test_prefix_search(cat: Catalogue) -> None:
    assert set(ids(run(cat, text="gluta*"))) == {"bloom/bright-eyes"}


def test_name_weighs_more_than_description(cat: Catalogue) -> None:
    # "glow" is a lay synonym, so use a word only in text: "booster" is in one name
    # (Hair Biotin Booster) and in another's description (Glow Cocktail).
    results = run(cat, text="booster")
    assert ids(results) == ["acme/hair-biotin", "bloom/glow"]


def test_nothing_found_suggests(cat: Catalogue) -> None:
    results = run(cat, text="dexpantenol")
    assert results.total == 0
    assert results.hits == []
    assert "Dexpanthenol" in results.did_you_mean


# ---------------------------------------------------------------- filters


def test_exclude_ingredient_by_any_name(cat: Catalogue) -> None:
    for name in ("lidocaine", "Lidocaine HCl", "LIGNOCAINE"):
        results = run(cat, text="hair loss", exclude=(name,))
        assert set(ids(results)) == ALOPECIA - {"acme/hair-biotin"}
        assert f"no {name}, in any form" in results.hits[0].why


def test_exclude_class_no_anaesthetics(cat: Catalogue) -> None:
    results = run(cat, exclude_classes=("anaesthetics",))
    assert set(ids(results)) == ALL_IDS - {
        "acme/hair-biotin",
        "acme/smooth-legs",
        "bloom/stretch-repair",
    }
    assert "no anaesthetic ingredients" in results.hits[0].why
    assert SearchRequest(exclude_classes="anesthetic").exclude_classes == (
        IngredientClass.ANAESTHETIC,
    )


def test_exclude_origin_no_fish_derived(cat: Catalogue) -> None:
    results = run(cat, text="hair loss", exclude_origins=("fish-derived",))
    assert set(ids(results)) == ALOPECIA - {"acme/pn-scalp"}
    assert "no fish-derived ingredients" in results.hits[0].why
    assert SearchRequest(exclude_origins=("fish",)).exclude_origins == (Origin.FISH,)


def test_origin_not_stated_is_said(cat: Catalogue) -> None:
    # The dictionary states no origin for glutathione or hyaluronic acid: "no fish" cannot
    # vouch for them, and the reasons say so.
    (hit,) = run(cat, text="panda eyes", exclude_origins=("fish",)).hits
    assert hit.why[-1] == "origin not stated for Glutathione (reduced), Hyaluronic acid"
    (hit,) = run(cat, text="panda eyes").hits
    assert not any(reason.startswith("origin not stated") for reason in hit.why)


def test_exclusions_naming_many_ingredients(cat: Catalogue) -> None:
    # "vitamins" is some 25 ingredients: the membership test reads each cocktail's lines
    # instead of seeking every vitamin (see engine.SEEK_LIMIT); the answer must not change.
    results = run(cat, exclude_classes=("vitamins",))
    assert set(ids(results)) == {"acme/chin-contour", "acme/smooth-legs", "bloom/stretch-repair"}


def test_a_name_naming_many_ingredients(cat: Catalogue) -> None:
    # "sodium" covers every "sodium ..." name: sodium hyaluronate, chloride, selenite, and
    # "sodium DNA" (polynucleotides).
    assert ids(run(cat, include=("sodium",))) == ["bloom/glow", "acme/pn-scalp"]
    assert set(ids(run(cat, text="glow", exclude=("sodium",)))) == set()
    assert ids(run(cat, text="vitamin c", include=("sodium", "glycine"))) == ["bloom/glow"]


@pytest.mark.parametrize(
    "text",
    [
        "hair loss no lidocaine",
        "hair loss without lignocaine",
        "lidocaine-free hair loss",
        "hair loss, not anaesthetics",
    ],
)
def test_exclusion_typed_in_the_text(cat: Catalogue, text: str) -> None:
    # Typed into a search box, "no lidocaine" must never look *for* lidocaine.
    results = run(cat, text=text)
    assert set(ids(results)) == ALOPECIA - {"acme/hair-biotin"}
    assert results.hits[0].why[0] == "for Alopecia, as 'hair loss'"
    assert results.hits[0].why[-1].startswith("no ")
    assert results.hits[0].why[-1].endswith(" (as typed)")
    assert not any(reason.startswith("mentions") for reason in results.hits[0].why)


def test_exclusion_alone_lists_the_rest(cat: Catalogue) -> None:
    results = run(cat, text="no fish")
    assert set(ids(results)) == ALL_IDS - {"acme/pn-scalp"}
    assert results.hits[0].why == ("no fish (as typed)",)


def test_no_and_an_unknown_word_is_text(cat: Catalogue) -> None:
    results = run(cat, text="no downtime")
    assert results.total == 0
    assert results.concerns == []


def test_include_means_all_of(cat: Catalogue) -> None:
    results = run(cat, include=("biotin", "zinc gluconate"))
    assert ids(results) == ["acme/scalp-revive"]
    assert results.hits[0].why == ("contains biotin", "contains zinc gluconate")
    assert set(ids(run(cat, include=("biotin",)))) == ALOPECIA


def test_include_and_exclude_with_a_concern(cat: Catalogue) -> None:
    results = run(cat, text="hair loss", include=("biotin",), exclude=("dexpanthenol",))
    assert set(ids(results)) == {"acme/scalp-revive", "acme/pn-scalp", "bloom/hair-lite"}
    assert results.hits[0].why == (
        "for Alopecia, as 'hair loss'",
        "contains biotin",
        "no dexpanthenol, in any form",
    )


def test_no_suggestions_when_a_concern_was_understood(cat: Catalogue) -> None:
    results = run(cat, text="stretch marks", include=("biotin",))
    assert (results.total, results.did_you_mean) == (0, [])
    assert [c.indication_id.value for c in results.concerns] == ["stretch_marks"]


def test_unknown_ingredient_is_an_error(cat: Catalogue) -> None:
    for field in ("include", "exclude"):
        with pytest.raises(SearchError) as caught:
            run(cat, **{field: ("lidocain",)})
        assert caught.value.hint is not None
        assert "lidocaine" in caught.value.hint.lower()


def test_unknown_class_or_origin_is_refused() -> None:
    with pytest.raises(SearchError, match="exclude_classes: unknown ingredient class") as caught:
        SearchRequest(exclude_classes=("anaestetics",))
    assert caught.value.hint == "did you mean: anaesthetic?"
    with pytest.raises(SearchError, match="exclude_origins: unknown origin 'alien'") as caught:
        SearchRequest(exclude_origins=("alien",))
    assert caught.value.hint == "one of: " + ", ".join(o.value for o in Origin)


def test_area_supplier_technique_filters(cat: Catalogue) -> None:
    assert set(ids(run(cat, area="thighs"))) == {"acme/smooth-legs", "bloom/stretch-repair"}
    assert set(ids(run(cat, area="Décolletage"))) == set()
    assert set(ids(run(cat, supplier="bloom"))) == {c["id"] for c in BLOOM}
    assert set(ids(run(cat, technique="point by point"))) == {"acme/scalp-revive"}
    results = run(cat, text="hair loss", area=Area.SCALP, supplier="acme", technique="nappage")
    assert ids(results) == ["acme/hair-biotin"]
    assert results.hits[0].why[-3:] == ("treats Scalp", "given by nappage", "from supplier Acme")
    assert SearchRequest(technique="Point-by-point").technique is Technique.POINT_BY_POINT


def test_max_actives(cat: Catalogue) -> None:
    results = run(cat, text="hair loss", max_actives=1)
    assert ids(results) == ["bloom/hair-lite"]
    assert results.hits[0].n_actives == 1
    assert "1 actives (at most 1)" in results.hits[0].why


# ---------------------------------------------------------------- results


def test_hit_fields(cat: Catalogue) -> None:
    (hit,) = run(cat, text="deoxycholic").hits
    assert hit.id == "acme/chin-contour"
    assert hit.name == "Chin Contour"
    assert hit.supplier == "acme"
    assert [i.value for i in hit.indications] == ["localised_fat"]
    assert hit.key_actives == ("Deoxycholic acid", "Phosphatidylcholine (soy lecithin)")
    assert hit.n_actives == 2
    assert 0 < hit.score < 1


def test_key_actives_skip_excipients_and_stop_at_three(cat: Catalogue) -> None:
    (glow,) = run(cat, text="glow cocktail").hits
    assert glow.key_actives == ("Sodium hyaluronate", "Ascorbic acid", "Glycine")


def test_facets_count_every_match_not_the_page(cat: Catalogue) -> None:
    results = run(cat, text="hair loss", limit=1)
    assert len(results.hits) == 1
    assert results.total == 5
    assert results.facets["indication"] == {"alopecia": 5}
    assert results.facets["supplier"] == {"acme": 3, "bloom": 2}
    classes = results.facets["ingredient_class"]
    assert classes["vitamin"] == 5
    assert classes["anaesthetic"] == 1
    assert classes["nucleic_acid"] == 1


def test_facets_can_be_skipped(cat: Catalogue) -> None:
    results = run(cat, text="hair loss", facets=False)
    assert results.facets == {}
    assert results.total == 5


def test_empty_request_lists_everything_by_name(cat: Catalogue) -> None:
    results = run(cat, limit=500)
    assert results.total == len(ALL_IDS)
    names = [(h.name, h.id) for h in results.hits]
    assert names == sorted(names)
    assert all(h.score == 0 and h.why == () for h in results.hits)


def test_equal_scores_order_by_name_then_id(cat: Catalogue) -> None:
    results = run(cat, text="hair loss")
    assert ids(results) == [
        "acme/hair-biotin",
        "bloom/hair-lite",
        "bloom/hair-lite-2",
        "acme/pn-scalp",
        "acme/scalp-revive",
    ]


def test_pages_are_stable_and_complete(cat: Catalogue) -> None:
    everything = ids(run(cat, limit=500))
    paged: list[str] = []
    for offset in range(0, len(everything), 3):
        page = run(cat, limit=3, offset=offset)
        assert page.total == len(everything)
        paged += ids(page)
    assert paged == everything
    assert run(cat, offset=100_000).hits == []


BOUNDS: list[dict[str, Any]] = [
    {"limit": 0},
    {"limit": 501},
    {"offset": -1},
    {"offset": 100_001},
    {"max_actives": -1},
    {"max_actives": 251},
    {"text": "x" * 501},
    {"text": "hair\udcffloss"},  # a command-line byte that is not UTF-8: a lone surrogate
    {"include": ("",)},
    {"include": ("  ",)},
    {"include": ("x" * 301,)},
    {"include": ("biotin",) * 21},
    {"exclude": ("biotin",) * 51},
    {"exclude_classes": ("anaestetics",)},
    {"exclude_origins": ("alien",)},
    {"supplier": "../etc"},
    {"area": "moon"},
    {"technique": "laser"},
]
"""Requests out of bounds: refused alike by SearchRequest and by the engine's Query.parse."""


@pytest.mark.parametrize(
    "values",
    [
        *BOUNDS,
        {"sort": "name"},
        {"limit": "20; DROP TABLE"},
        {"exclude_classes": [{}]},  # not hashable: refused as not a name, not a TypeError
        {"exclude_origins": [[1]]},
    ],
)
def test_request_bounds(values: dict[str, Any]) -> None:
    with pytest.raises(SearchError, match="invalid search") as built:
        SearchRequest(**values)
    with pytest.raises(SearchError, match="invalid search") as parsed:
        SearchRequest.parse(values)
    assert str(built.value) == str(parsed.value)
    assert not NOT_OURS.search(str(parsed.value))


NOT_OURS = re.compile(r"Input should|Value error|Invalid value for|is not in the range|pydantic")
"""pydantic's and click's wording, which a refused search never shows."""


def test_a_request_made_without_its_checks_is_checked_when_searched(cat: Catalogue) -> None:
    with pytest.raises(SearchError, match="invalid search: limit: must be a whole number"):
        search(cat, SearchRequest.model_construct(limit=501))


@pytest.mark.parametrize("values", BOUNDS)
def test_query_parse_refuses_what_the_request_refuses(values: dict[str, Any]) -> None:
    with pytest.raises(SearchError, match="invalid search") as caught:
        Query.parse(**values)
    assert str(caught.value).startswith(f"invalid search: {next(iter(values))}: ")


def test_query_parse_reads_names_as_the_request_does() -> None:
    values: dict[str, Any] = {
        "text": "hair loss",
        "include": ["Biotin "],
        "exclude_classes": ["anaesthetics", "Anesthetic"],
        "exclude_origins": ["animal-derived", "fish"],
        "area": "Décolletage",
        "technique": "point by point",
        "supplier": "acme",
        "max_actives": 3,
        "limit": 5,
        "offset": 2,
    }
    assert Query.parse(**values) == SearchRequest(**values).query()
    assert Query.parse(exclude_origins=["fish", "marine"]).exclude_origins == (Origin.FISH,)


def test_parse_accepts_query_string_values() -> None:
    request = SearchRequest.parse({"text": "hair loss", "limit": "5", "exclude": "lidocaine"})
    assert (request.limit, request.exclude) == (5, ("lidocaine",))


def test_results_serialise(cat: Catalogue) -> None:
    data = run(cat, text="hair loss", exclude=("lidocaine",)).model_dump(mode="json")
    assert data["concerns"][0]["indication_id"] == "alopecia"
    assert data["hits"][0]["indications"] == ["alopecia"]


# ---------------------------------------------------------------- one engine, every plan


@pytest.mark.parametrize(
    "values",
    [
        {"text": "hair loss"},
        {"text": "copper for hair loss on the scalp", "exclude_origins": ("fish",)},
        {"exclude_classes": ("anaesthetics",), "limit": 3, "offset": 1},
        {"text": "booster", "area": "scalp"},
        {"text": "double chin and cellulite"},
        {},
    ],
)
def test_the_typed_api_is_the_engine(cat: Catalogue, values: dict[str, Any]) -> None:
    results = search(cat, SearchRequest(**values))
    answer = run_engine(cat.conn, Query.parse(**values))
    assert [found.record() for found in answer.hits] == [
        hit.model_dump(mode="json") for hit in results.hits
    ]
    assert (answer.total, answer.facets) == (results.total, results.facets)
    assert [c._asdict() for c in answer.concerns] == [c.model_dump() for c in results.concerns]


TEXTS = ["biotin", "scalp", "hair", "vitamin c", "booster", "copper for hair loss", "glow"]
FILTERS: list[dict[str, Any]] = [
    {"area": "scalp"},
    {"include": ("biotin",)},
    {"exclude": ("lidocaine",)},
    {"exclude_classes": ("vitamin",)},
    {"supplier": "bloom", "max_actives": 2},
    {"max_actives": 2},
    {"exclude_origins": ("fish",)},
    {"include": ("biotin",), "exclude": ("dexpanthenol",), "technique": "nappage"},
]


@pytest.mark.parametrize("driver", ["full text", "smallest filter"])
def test_text_with_filters_is_the_intersection(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    # A text with filters is computed from whichever the estimates say is smaller; rig the
    # estimates so that each test runs one plan, and check both against the set algebra.
    smallest = engine._smallest

    def rigged(conn: Any, links: Any) -> tuple[Any, int]:
        link, _ = smallest(conn, links)
        return link, (10**9 if driver == "full text" else -1)

    monkeypatch.setattr(engine, "_smallest", rigged)
    for text in TEXTS:
        by_text = set(ids(run(cat, text=text, limit=500)))
        for filters in FILTERS:
            both = run(cat, text=text, limit=500, **filters)
            filtered = set(ids(run(cat, limit=500, **filters)))
            expected = by_text & filtered
            if both.relaxed:
                # Free words that all together find nothing within the filters relax to any
                # of them (the filters never relax), and the answer says so.
                assert not expected, (text, filters)
                any_word = set().union(*(ids(run(cat, text=w, limit=500)) for w in text.split()))
                expected = any_word & filtered
            assert set(ids(both)) == expected, (text, filters)
            assert both.total == len(expected)


@pytest.mark.parametrize("name", ["biotin", "lidocaine", "vitamin C", "sodium", "water"])
def test_exclude_and_include_split_the_catalogue(cat: Catalogue, name: str) -> None:
    # Without a required set the matches are read in name order from an index; with one,
    # they are collected and sorted: two plans that must agree.
    # An exclusion hides what the name names and, beyond it, the same moieties in other
    # forms ("sodium" covers sodium hyaluronate, so hyaluronic acid goes too).
    kept = run(cat, exclude=(name,), limit=500)
    found = run(cat, include=(name,), limit=500)
    assert set(ids(found)) <= ALL_IDS - set(ids(kept))
    assert kept.screening.hidden == len(ALL_IDS - set(ids(kept))) == len(ALL_IDS) - kept.total
    names = [(h.name, h.id) for h in kept.hits]
    assert names == sorted(names)


def test_facets_over_many_matches_count_the_best(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "FACET_LIMIT", 2)
    results = run(cat, text="hair loss")  # hair-biotin (acme), hair-lite (bloom) first
    assert (results.total, results.facets_complete) == (5, False)
    assert results.facets["supplier"] == {"acme": 1, "bloom": 1}
    assert results.facets["indication"] == {"alopecia": 2}
    assert len(results.hits) == 5
    assert run(cat, text="panda eyes").facets_complete
    assert run(cat, text="hair loss", facets=False).facets == {}


def test_a_text_matching_very_many_ranks_a_sample_first(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = run(cat, text="biotin", limit=500)
    assert everything.total == 5 and everything.ranking_complete
    monkeypatch.setattr(engine, "RANK_LIMIT", 2)
    sampled = run(cat, text="biotin", limit=500)
    assert (sampled.total, sampled.ranking_complete) == (5, False)
    # Every match is still there; the one with the word in its name is always ranked.
    assert set(ids(sampled)) == set(ids(everything))
    assert sampled.hits[0].id == "acme/hair-biotin"
    ranked = [hit for hit in sampled.hits if hit.score > 0]
    unranked = sampled.hits[len(ranked) :]
    assert ranked and unranked and all(hit.score == 0 for hit in unranked)
    paged = [
        hit.id
        for offset in range(5)
        for hit in run(cat, text="biotin", limit=1, offset=offset).hits
    ]
    assert paged == ids(sampled)
    assert run(cat, text="biotin", area="scalp", limit=500).ranking_complete is False


def test_text_ties_keep_catalogue_order() -> None:
    # Equal relevance in a text search keeps the order of import (reading every match's
    # name to order ties would cost as much as the search); other searches order by name.
    twins = [
        cocktail(slug, name, "The same twin.", ["biotin"], ["alopecia"], ["scalp"], ["nappage"])
        for slug, name in (("zeta", "Zeta Twin"), ("alpha", "Alpha Twin"))
    ]
    with Catalogue.memory() as catalogue:
        catalogue.import_catalogue(
            CatalogueFile.model_validate(
                {"supplier": {"id": "acme", "name": "Acme"}, "cocktails": twins}
            )
        )
        by_text = search(catalogue, SearchRequest(text="twin"))
        assert by_text.hits[0].score == by_text.hits[1].score
        assert ids(by_text) == ["acme/zeta", "acme/alpha"]
        assert ids(search(catalogue, SearchRequest(text="hair loss"))) == [
            "acme/alpha",
            "acme/zeta",
        ]


def test_a_brand_named_in_the_text_drives_and_is_the_reason() -> None:
    fat = (["deoxycholic acid"], ["localised_fat"], ["submental"], ["subcutaneous"])
    branded = cocktail("lipo", "Lipo One", "Deoxycholic acid.", *fat)
    plain = cocktail("plain", "Plain", "Deoxycholic acid too.", *fat)
    with Catalogue.memory() as catalogue:
        catalogue.import_catalogue(
            CatalogueFile.model_validate(
                {
                    "supplier": {"id": "acme", "name": "Acme"},
                    "cocktails": [{**branded, "brands": ["LipoLab PPC"]}, plain],
                }
            )
        )
        for text in ("lipolab ppc", "LipoLab-PPC", "lipolab pcc"):
            results = search(catalogue, SearchRequest(text=text))
            assert ids(results) == ["acme/lipo"], text
            assert results.hits[0].why == ("LipoLab PPC",)
            assert [b.brand for b in results.brands] == ["LipoLab PPC"]


# ---------------------------------------------------------------- hostile text


@pytest.mark.parametrize(
    "text",
    [
        'vitamin "c',
        "(firming",
        "DMAE (2%)",
        "C++",
        "o'brien",
        "AND",
        "NOT",
        "vitamin AND",
        "*vita",
        "-hair",
        "foo:bar",
        "rank:1",
        "NEAR(vitamin acid)",
        "dmae; DROP TABLE cocktails;--",
        '"a\nb:c',
        "hair\x00loss",
        "ｈａｉｒ ｌｏｓｓ",
        "the",
    ],
)
def test_hostile_text_never_fails(cat: Catalogue, text: str) -> None:
    results = run(cat, text=text)
    assert results.total == len(results.hits)


@pytest.mark.parametrize("text", ["*", '"', "-", "%%", "\u200b?", "?\x00!"])
def test_text_with_nothing_to_search_is_an_error(cat: Catalogue, text: str) -> None:
    with pytest.raises(SearchError, match="nothing to search for"):
        run(cat, text=text)


@pytest.mark.parametrize("text", ["", "   ", "\x00", "\n\u200b"])
def test_blank_text_is_no_text_beside_a_filter_and_refused_alone(cat: Catalogue, text: str) -> None:
    assert run(cat, text=text, exclude_classes=("excipient",)).total == len(
        ids(run(cat, exclude_classes=("excipient",), limit=500))
    )
    with pytest.raises(SearchError, match="invalid search: text: empty") as caught:
        run(cat, text=text)
    assert caught.value.hint == (
        "type a concern or a word, or leave the text out to list every cocktail"
    )


def test_no_text_lists_every_cocktail(cat: Catalogue) -> None:
    assert run(cat, text=None).total == len(ALL_IDS)


FILTER_NAMES = st.sampled_from(["biotin", "lidocaine", "vitamin C", "zinc", "sodium"]) | st.text(
    max_size=12
)


def mostly(*choices: str) -> st.SearchStrategy[str]:
    """Known words, and now and then arbitrary text in their place."""
    return st.one_of(*[st.just(c) for c in choices], st.text(max_size=12))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.none() | st.text(max_size=40) | mostly("hair loss", "celulite", "biotin*", "the"),
    include=st.lists(FILTER_NAMES, max_size=2),
    exclude=st.lists(FILTER_NAMES, max_size=2),
    classes=st.lists(mostly("anaesthetics", "vitamin", "Plant extracts"), max_size=2),
    origins=st.lists(mostly("fish-derived", "animal", "plant"), max_size=2),
    area=st.none() | mostly("scalp", "Décolletage", "thigh"),
    technique=st.none() | mostly("nappage", "point by point"),
    supplier=st.none() | st.sampled_from(["acme", "bloom", "nobody"]),
    max_actives=st.none() | st.integers(0, 250),
    limit=st.integers(1, 500),
    offset=st.integers(0, 5) | st.integers(0, 100_000),
    facets=st.booleans(),
)
def test_search_raises_only_library_errors(cat: Catalogue, **values: Any) -> None:
    values["exclude_classes"] = values.pop("classes")
    values["exclude_origins"] = values.pop("origins")
    try:
        results = search(cat, SearchRequest.parse(values))
    except MesoError as error:
        event(f"refused: {type(error).__name__}")  # see --hypothesis-show-statistics
        return
    event("searched")
    assert len(results.hits) <= values["limit"]
    assert results.total >= len(results.hits)
    assert set(ids(results)) <= ALL_IDS


# ---------------------------------------------------------------- the lexicon cache


MOON = CatalogueFile.model_validate(
    {
        "supplier": {"id": "luna", "name": "Luna"},
        "ingredients": [
            {
                "id": "moonstone",
                "name": "Moonstone dust",
                "class": "other",
                "source": "supplier label",
            }
        ],
        "cocktails": [
            cocktail(
                "m", "Moon", "Moonstone.", ["moonstone"], [], ["face"], ["nappage"], supplier="luna"
            )
        ],
    }
)
"""A supplier whose ingredient no lexicon knows before it is imported."""


def test_lexicon_follows_the_catalogue() -> None:
    with Catalogue.memory() as catalogue:
        first = lexicon(catalogue)
        assert lexicon(catalogue) is first
        with pytest.raises(SearchError):
            search(catalogue, SearchRequest(include=("moonstone dust",)))
        catalogue.import_catalogue(MOON)
        assert lexicon(catalogue) is not first
        results = search(catalogue, SearchRequest(include=("moonstone dust",)))
        assert ids(results) == ["luna/m"]


def test_one_lexicon_per_file_follows_every_writer(tmp_path: Path) -> None:
    """Catalogue objects on one file share its lexicon (the web wraps each request in a new
    one); a commit through any connection is seen by the next search through every other."""
    path = tmp_path / "moon.db"
    with Catalogue.open(path) as writer, Catalogue.open(path, readonly=True) as reader:
        first = lexicon(reader)
        with Catalogue.open(path, readonly=True) as another:
            assert lexicon(another) is first
        with pytest.raises(SearchError, match="unknown ingredient 'moonstone dust'"):
            search(reader, SearchRequest(include=("moonstone dust",)))
        writer.import_catalogue(MOON)
        results = search(reader, SearchRequest(include=("moonstone dust",)))
        assert ids(results) == ["luna/m"]
        assert lexicon(reader) is not first
        assert lexicon(writer) is lexicon(reader)


def _failing_run(*errors: str) -> tuple[list[int], object]:
    """A stand-in for one search run: raises each of ``errors`` in turn, then answers."""
    calls: list[int] = []
    answer = object()

    def fake(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) <= len(errors):
            cause = sqlite3.DatabaseError(errors[len(calls) - 1])
            raise CatalogueError(f"the search could not be run: {cause}") from cause
        return answer

    return calls, fake


@pytest.mark.parametrize(
    ("errors", "runs", "answered"),
    [
        (("database disk image is malformed",), 2, True),  # FTS5 met its index mid-import
        (("database disk image is malformed",) * 2, 2, False),  # really damaged: refused
        (("no such table: cocktails",), 1, False),  # anything else: never retried
    ],
)
def test_a_search_that_meets_a_page_mid_import_is_run_once_more(
    monkeypatch: pytest.MonkeyPatch, errors: tuple[str, ...], runs: int, answered: bool
) -> None:
    from meso_formulary.catalogue.search import runner

    calls, fake = _failing_run(*errors)
    monkeypatch.setattr(runner, "_run", fake)
    with sqlite3.connect(":memory:") as conn:
        if answered:
            assert runner.run(conn, runner.Query.parse(text="hair loss")) is not None
        else:
            with pytest.raises(CatalogueError):
                runner.run(conn, runner.Query.parse(text="hair loss"))
    assert len(calls) == runs
