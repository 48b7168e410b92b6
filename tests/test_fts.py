"""fts_query: every hostile input of reliability.md 2.1 against a real FTS5 table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary.catalogue.search.fts import fts_query, words

DOCS = {
    1: ("Hair loss serum", "For hair-loss and thinning hair.", "biotin alopecia"),
    2: ("Anti-ageing glow", "Vitamin C booster, 2% DMAE (firming).", "ascorbic acid dmae"),
    3: ("Loss of hair", "Hair and loss are far apart here.", "dexpanthenol"),
    4: ("Réticulé", "O'Brien's C++ recipe AND NOT near", "vitamin b12 cyanocobalamin"),
    5: ("Fish-free rejuvenation", "name: rank:1 col:x", "hyaluronic acid"),
}


@pytest.fixture(scope="module")
def conn() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(name, description, search_terms, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    db.executemany(
        "INSERT INTO fts(rowid, name, description, search_terms) VALUES (?, ?, ?, ?)",
        [(rowid, *doc) for rowid, doc in DOCS.items()],
    )
    yield db
    db.close()


def hits(conn: sqlite3.Connection, text: str, *, prefix: bool = True) -> set[int] | None:
    query = fts_query(text, prefix=prefix)
    if query is None:
        return None
    rows = conn.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid", (query,))
    return {row[0] for row in rows}


# Every row of reliability.md 2.1's table, with the hits a practitioner would expect.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('vitamin "c', {2, 4}),
        ('hyaluronic"', {5}),
        ('a"b', set()),
        ("(firming", {2}),
        ("firming)", {2}),
        ("DMAE (2%)", {2}),
        ("C++", {2, 4}),
        ("o'brien", {4}),
        ("AND", {1, 3, 4}),
        ("OR", set()),
        ("NOT", {4}),
        ("vitamin AND", {4}),
        ("hair-loss", {1}),
        ("-hair", {1, 3}),
        ("anti-ageing", {2}),
        ("foo:bar", set()),
        ("rank:1", {5}),
        ("vitamin:", {2, 4}),
        ("dmae; DROP TABLE cocktails;--", set()),
        ("vita*", {2, 4}),
        ("name:vitamin", set()),
        ("{name notes}:glow", set()),
        ("NEAR(vitamin acid)", set()),
        ("^vitamin", {2, 4}),
        ("*vita", set()),
        ("reticule", {4}),
        ("B₁₂", {4}),
        ("ｖｉｔａｍｉｎ", {2, 4}),
    ],
)
def test_reliability_table(conn: sqlite3.Connection, text: str, expected: set[int]) -> None:
    assert hits(conn, text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "\x00", "*", "**", "-", '"', '""', "\n\t", "\u200b", "( ) % &", "\u0301"]
)
def test_nothing_searchable_is_none(text: str) -> None:
    assert fts_query(text) is None


def test_hyphenated_word_is_a_phrase_not_two_words(conn: sqlite3.Connection) -> None:
    # "hair-loss" must not match doc 3, where hair and loss are far apart.
    assert fts_query("hair-loss") == '"hair-loss"'
    assert hits(conn, "hair-loss") == {1}
    assert hits(conn, "hair loss") == {1, 3}


def test_quote_is_doubled_and_newline_cannot_break_out(conn: sqlite3.Connection) -> None:
    assert fts_query('a"b') == '"a""b"'
    assert fts_query('"a\nb:c') == '"""a" "b:c"'
    assert hits(conn, '"a\nb:c') == set()


def test_nul_splits_words() -> None:
    assert fts_query("hair\x00loss") == '"hair" "loss"'


def test_lone_surrogate_is_a_separator() -> None:
    assert fts_query("hair\udcffloss") == '"hair" "loss"'


def test_prefix_only_on_a_non_empty_word(conn: sqlite3.Connection) -> None:
    assert fts_query("vita*") == '"vita"*'
    assert fts_query("vita**") == '"vita"*'
    assert fts_query("hair-lo*") == '"hair-lo"*'
    assert hits(conn, "hair-lo*") == {1}
    assert fts_query("-* vita") == '"vita"'


def test_prefix_can_be_turned_off(conn: sqlite3.Connection) -> None:
    assert fts_query("vita*", prefix=False) == '"vita*"'
    assert hits(conn, "vita*", prefix=False) == set()
    assert hits(conn, "vitamin*", prefix=False) == {2, 4}


def test_operators_are_words(conn: sqlite3.Connection) -> None:
    assert fts_query("hair OR loss NOT x") == '"hair" "OR" "loss" "NOT" "x"'
    assert hits(conn, "hair OR biotin") == set()


def test_words_drop_punctuation_only_tokens() -> None:
    assert words("  hair -  loss % ") == ["hair", "loss"]


SEARCH_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]) | st.sampled_from('"*()-:^\n\x00 '),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(SEARCH_TEXT)
def test_match_never_raises(conn: sqlite3.Connection, text: str) -> None:
    query = fts_query(text)
    if query is None:
        assert words(text) == []
        return
    conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (query,)).fetchall()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_match_never_raises_with_surrogates(conn: sqlite3.Connection, text: str) -> None:
    query = fts_query(text)
    if query is not None:
        conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (query,)).fetchall()
