"""How the search reads a client's words (issue 12): sentences, six languages, areas,
brands, ranking, relaxation, suggestions and bounded cost, on the embedded catalogue."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from cli_support import Meso

from meso_formulary.catalogue.search.lexicon import Lexicon
from meso_formulary.catalogue.search.reading import MAX_READ_WORDS
from meso_formulary.catalogue.search.runner import MAX_FTS_WORDS, Answer, Query, run
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.errors import SearchError
from meso_formulary.folding import fold_key, stem_bag
from meso_formulary.vocabulary import Language


@pytest.fixture(scope="module")
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    with closing(connect_default()) as conn:
        yield conn


def search(conn: sqlite3.Connection, text: str, **filters: object) -> Answer:
    return run(conn, Query.parse(text=text, **filters))  # type: ignore[arg-type]


def concerns(answer: Answer) -> list[str]:
    return [c.indication_id.value for c in answer.concerns]


def ids(answer: Answer) -> list[str]:
    return [hit.id for hit in answer.hits]


# ---------------------------------------------------------------- keys


def test_folding_ignores_case_accents_and_special_letters() -> None:
    assert fold_key("Calvície") == fold_key("calvicie") == "calvicie"
    assert fold_key("CŒUR Straße") == "coeur strasse"
    assert fold_key("crow's-feet") == "crows feet"


def test_a_stem_bag_ignores_inflection_order_and_function_words() -> None:
    spanish = frozenset({"se", "me", "el", "mi"})
    assert stem_bag(Language.ES, ["se", "me", "cae", "el", "pelo"], spanish) == stem_bag(
        Language.ES, ["mi", "pelo", "se", "cae"], spanish
    )
    assert stem_bag(Language.PT, ["rugas"]) == stem_bag(Language.PT, ["ruga"])


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("text", "indication"),
    [
        ("what can I do about my dark circles", "dark_circles"),
        ("what can I do about my acne scarring please", "acne_scarring"),
        ("treatment for dark circles", "dark_circles"),
        ("HAIR LOSS", "alopecia"),
        ("celullite", "cellulite"),
    ],
)
def test_extra_words_never_sink_a_concern(
    conn: sqlite3.Connection, text: str, indication: str
) -> None:
    answer = search(conn, text)
    assert indication in concerns(answer)
    assert answer.hits and all(
        indication in {i.value for i in hit.indications} for hit in answer.hits
    )


def test_the_other_words_rank_but_do_not_filter(conn: sqlite3.Connection) -> None:
    plain = search(conn, "hair loss")
    with_word = search(conn, "hair loss dutasteride")
    assert with_word.total == plain.total
    assert ids(with_word)[0] == "reference/dutasteride-hair"


def test_an_area_alone_drives_and_is_said_in_plain_words(conn: sqlite3.Connection) -> None:
    answer = search(conn, "scalp")
    assert [a.area.value for a in answer.areas] == ["scalp"]
    assert answer.hits
    for hit in answer.hits:
        assert any(reason.startswith("treats ") for reason in hit.why), hit.why


def test_an_area_ranks_the_cocktails_that_treat_it_first(conn: sqlite3.Connection) -> None:
    answer = search(conn, "double chin")
    assert "localised_fat" in concerns(answer)
    assert "submental" in {a.area.value for a in answer.areas}
    first = conn.execute(
        "SELECT area FROM cocktail_areas WHERE cocktail_id = ?", (answer.hits[0].id,)
    ).fetchall()
    assert ("submental",) in first
    assert answer.hits[0].score > answer.hits[-1].score


@pytest.mark.parametrize(
    ("brand", "cocktail"),
    [
        ("Profhilo", "reference/ha-hybrid-complex-32"),
        ("profhilo structura", "reference/ha-hybrid-complex-45"),
        ("NCTF", "reference/polyrevitalising-complex"),
        ("plinest", "reference/polynucleotides-20"),
        ("Rejuran", "reference/polynucleotides-20"),
        ("Kybella", "reference/deoxycholic-acid-10-submental"),
        ("does Jalupro work on the neck", "reference/amino-acid-ha-biorevitaliser"),
    ],
)
def test_a_brand_finds_the_cocktail_that_stands_for_it(
    conn: sqlite3.Connection, brand: str, cocktail: str
) -> None:
    """The brand's own product record and the archetype that stands for it are both found,
    each saying it was found by the brand."""
    answer = search(conn, brand)
    assert answer.brands
    assert cocktail in ids(answer)
    branded = [hit for hit in answer.hits if any(b.brand in hit.why for b in answer.brands)]
    assert cocktail in [hit.id for hit in branded]
    assert branded[0] is answer.hits[0]


def test_every_shipped_brand_is_searchable(conn: sqlite3.Connection) -> None:
    brands = conn.execute("SELECT DISTINCT brand, cocktail_id FROM cocktail_brands").fetchall()
    assert len(brands) >= 9
    for brand, cocktail_id in brands:
        assert cocktail_id in ids(search(conn, brand)), brand


@pytest.mark.parametrize("text", ["cellulitis", "cellulitis on my leg", "tattoo removal"])
def test_near_words_and_unrelated_requests_are_no_concern(
    conn: sqlite3.Connection, text: str
) -> None:
    assert concerns(search(conn, text)) == []


def test_repeated_and_extra_words_are_capped_and_said(conn: sqlite3.Connection) -> None:
    lexicon = Lexicon.from_connection(conn)
    text = " ".join(f"w{i}x" for i in range(MAX_READ_WORDS + 10)) + " hair loss hair loss"
    reading = lexicon.read(conn, text)
    assert reading.dropped >= 10
    answer = search(conn, ("hair loss " * 60)[:490])
    assert concerns(answer) == ["alopecia"] and answer.unread > 0


# ---------------------------------------------------------------- when nothing matches


def test_nothing_found_relaxes_the_free_words_and_says_so(conn: sqlite3.Connection) -> None:
    answer = search(conn, "dutasteride qwertyzz")
    assert answer.total >= 1
    assert answer.relaxed and "any of them" in answer.relaxed[0]


def test_relaxing_never_drops_a_filter(conn: sqlite3.Connection) -> None:
    answer = search(conn, "dutasteride qwertyzz", area="thighs")
    assert answer.total == 0 and not answer.relaxed
    assert answer.covered  # the concerns the catalogue has, to start again from


def test_nothing_found_lists_the_concerns_covered(conn: sqlite3.Connection) -> None:
    answer = search(conn, "qwertyzz")
    assert answer.total == 0
    assert "Alopecia" in answer.covered


@pytest.mark.parametrize("text", ["tattoo removal", "bingo wings are horrible", "xqzt"])
def test_did_you_mean_offers_nothing_far_fetched(conn: sqlite3.Connection, text: str) -> None:
    answer = search(conn, text)
    assert "TXA" not in answer.did_you_mean and "GSH" not in answer.did_you_mean
    assert not any("Sodium" in s for s in answer.did_you_mean)


def test_did_you_mean_offers_an_ingredient_for_a_misspelt_name(conn: sqlite3.Connection) -> None:
    assert "Dutasteride" in search(conn, "dutasterid").did_you_mean + tuple(
        hit.name.split()[0] for hit in search(conn, "dutasterid").hits
    )


# ---------------------------------------------------------------- bounded cost


def test_a_hostile_text_is_bounded(conn: sqlite3.Connection) -> None:
    text = " ".join(f"{a}{b}*" for a in "abcdefghijklm" for b in "nopqrstuvwxyz")[:500]
    answer = search(conn, text)  # answers (or refuses), never runs away
    assert answer.unread > 0


def test_the_time_budget_stops_a_search(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meso_formulary.catalogue.search import runner

    monkeypatch.setattr(runner, "PROGRESS_STEPS", 1)  # look at the clock at every step
    with pytest.raises(SearchError, match="longer than"):
        run(conn, Query.parse(text="vitamin*"), budget=0.0)
    # The connection is left as it was: the next search runs, with no handler left behind.
    assert run(conn, Query.parse(text="hair loss")).total >= 2


def test_free_words_are_capped(conn: sqlite3.Connection) -> None:
    words = [f"zz{i}q" for i in range(MAX_FTS_WORDS + 5)]
    answer = search(conn, " ".join(words))
    assert answer.total == 0


# ---------------------------------------------------------------- front ends


def test_meso_search_takes_the_words_unquoted(meso: Meso) -> None:
    result = meso("search", "hair", "loss", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {hit["id"] for hit in found} == {
        "reference/dutasteride-hair",
        "reference/minoxidil-hair-cocktail",
    }


def test_meso_search_says_how_it_read_the_text(meso: Meso) -> None:
    result = meso("search", "double", "chin")
    assert result.exit_code == 0, result.output
    assert "Read as:" in result.stdout and "area submental" in result.stdout


def test_meso_areas_lists_every_area_with_its_words(meso: Meso) -> None:
    result = meso("areas", "--json")
    assert result.exit_code == 0, result.output
    found = {area["id"]: area for area in json.loads(result.stdout)}
    assert "scalp" in found and found["scalp"]["cocktails"] >= 2
    assert all(area["terms"] for area in found.values())


def test_an_unknown_area_lists_the_valid_ones(meso: Meso) -> None:
    result = meso("search", "--area", "chin")
    assert result.exit_code != 0
    assert "submental" in result.output and "scalp" in result.output


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("hair loss", {}),
        ("cellulite", {"exclude": ["lidocaine"]}),
        ("Profhilo", {}),
        ("localised fat", {"client": ["pregnancy"], "limit": 2, "offset": 1}),
        ("skin rejuvenation", {"area": "neck", "max_actives": 20}),
        ("hair loss dutasteride", {}),
        ("what can I do about my cellulite, caffeine maybe", {"exclude": ["aminophylline"]}),
        ("skin booster hyaluronic", {"limit": 3, "offset": 2}),
        ("double chin", {}),
        ("cellulite on my thighs", {"client": ["pregnancy"]}),
        ("manchas en la cara", {"limit": 1}),
        ("rides du front", {"exclude": ["tranexamic acid"]}),
        ("double chin deoxycholic", {}),
        ("manchas en la cara acid* tranexamic", {"limit": 4}),
        ("hair loss on my scalp, minoxidil maybe", {"facets": False}),
    ],
)
@pytest.mark.parametrize("walk_from", [0, 3])
def test_walking_the_tie_break_order_finds_what_sorting_finds(
    conn: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    filters: dict[str, object],
    walk_from: int,
) -> None:
    """A large evenly scored search walks ``idx_cocktails_by_rank`` instead of sorting
    (``runner.WALK_FROM``; at 3, an area level of two cocktails is read from its own index
    instead); the ways must give the same page and total."""
    from meso_formulary.catalogue.search import runner

    sorted_answer = search(conn, text, **filters)
    monkeypatch.setattr(runner, "WALK_FROM", walk_from)
    walked = search(conn, text, **filters)
    assert [(h.id, h.score) for h in walked.hits] == [(h.id, h.score) for h in sorted_answer.hits]
    assert walked.total == sorted_answer.total
    assert walked.facets == sorted_answer.facets
