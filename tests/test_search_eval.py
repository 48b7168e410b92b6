"""The search, measured on the labelled evaluation set (``tests/data/search_eval.yaml``).

The set is queries written as clients say them, blind to the project's word lists, in six
languages: short lay terms, sentences, typos, areas, brands, screening words, and negatives
that must not be read as a concern. ``tests/search_evaluation.py`` scores each;
``python bench/search_eval.py`` prints the figures per language and per kind.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from search_evaluation import TOP, entries, evaluate

from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.vocabulary import Area, ConditionId, IndicationId, Language

LANGUAGES = {lang.value for lang in Language}
KINDS = {"lay", "sentence", "typo", "area", "brand", "screening", "negative"}
TOP3_FLOOR = 0.97
HOLDOUT_FLOOR = 0.93
"""The held-out set (never tuned on) measured 95.0% top-3 when it was written; the floor
catches a regression without pinning noise."""
HOLDOUT_FILE = Path(__file__).parent / "data" / "search_holdout.yaml"


@pytest.fixture(scope="module")
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    with closing(connect_default()) as conn:
        yield conn


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return entries()


def test_the_set_is_large_balanced_and_well_labelled(items: list[dict[str, Any]]) -> None:
    assert len(items) >= 300
    langs = Counter(item["lang"] for item in items)
    kinds = Counter(item["kind"] for item in items)
    assert set(langs) == LANGUAGES and min(langs.values()) >= 40, langs
    assert set(kinds) == KINDS and min(kinds.values()) >= 20, kinds
    _well_labelled(items)


def test_the_held_out_set_is_well_labelled() -> None:
    held_out = entries(HOLDOUT_FILE)
    assert len(held_out) >= 150
    assert {item["lang"] for item in held_out} == LANGUAGES
    assert {item["kind"] for item in held_out} == KINDS
    _well_labelled(held_out)


def _well_labelled(items: list[dict[str, Any]]) -> None:
    # Case aside; accents count ("calvicie" and "calvície" test the folding).
    assert len({item["q"].casefold() for item in items}) == len(items), "duplicate queries"
    for item in items:
        concern = item.get("concern")
        for value in [concern] if isinstance(concern, str) else concern or []:
            IndicationId(value)
        if item.get("area") is not None:
            Area(item["area"])
        if item.get("condition") is not None:
            ConditionId(item["condition"])
        if item["kind"] == "negative":
            assert concern is None, item
        else:
            assert concern or item.get("area") or item.get("brand"), item


def test_the_right_concern_is_in_the_top_three(
    conn: sqlite3.Connection, items: list[dict[str, Any]]
) -> None:
    report = evaluate(conn, items)
    top1, top3 = report.total().rates()
    misses = "\n".join(
        f"  [{o.entry['lang']} {o.entry['kind']}] {o.entry['q']!r}: {o.read}"
        for o in report.misses()
    )
    assert not report.negatives_matched(), f"negatives read as a concern:\n{misses}"
    assert top3 >= TOP3_FLOOR, f"top-{TOP} {top3:.1%} (top-1 {top1:.1%}); misses:\n{misses}"


def test_the_search_generalises_to_the_held_out_set(conn: sqlite3.Connection) -> None:
    report = evaluate(conn, entries(HOLDOUT_FILE))
    top1, top3 = report.total().rates()
    misses = "\n".join(f"  {o.entry['q']!r}: {o.read}" for o in report.misses())
    assert not report.negatives_matched(), f"negatives read as a concern:\n{misses}"
    assert top3 >= HOLDOUT_FLOOR, f"top-{TOP} {top3:.1%} (top-1 {top1:.1%}); misses:\n{misses}"
