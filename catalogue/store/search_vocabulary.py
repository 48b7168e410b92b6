"""The words the search reads a text by, as rows of ``search_phrases``.

Every concern (indication) and treatment area answers to its id, its name, its synonyms and
its words per language (``terms``); the function words of each language ("my", "para",
"bitte") are never required of a match. Each phrase is stored by its folded key
(:func:`~meso_formulary.folding.fold_key`: no case, no accents) and, when its language is
known, by its Snowball stem in that language (:func:`~meso_formulary.folding.stem_key`), so
that the search looks a text's words up in the catalogue by index, in a fraction of a
millisecond, instead of loading thousands of phrases into every process.

Phrases come from the reference data, and are replaced with it (:func:`write_vocabulary`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Final, Literal

from meso_formulary.catalogue.store.records import canonical_json
from meso_formulary.folding import fold_key, stem_bag
from meso_formulary.model import Indication, Terms, TreatmentArea
from meso_formulary.vocabulary import Language

PhraseKind = Literal["indication", "area", "stop"]
PhraseRow = tuple[str, str, str, str, str | None, str]
"""``(key, kind, target, lang, stem, phrase)``: a row of ``search_phrases``."""

PHRASE_INSERT: Final = "INSERT INTO search_phrases VALUES (?, ?, ?, ?, ?, ?)"


FunctionWordSets = Mapping[Language, frozenset[str]]
"""Per language, the folded function words (left out of a phrase's stems)."""


def _term_rows(
    kind: PhraseKind, target: str, terms: Sequence[Terms], function_words: FunctionWordSets
) -> Iterator[PhraseRow]:
    for block in terms:
        stop = function_words.get(block.lang, frozenset())
        for phrase in (*block.words, *block.clinical):
            key = fold_key(phrase)
            if key:
                stem = stem_bag(block.lang, key.split(), stop)
                yield key, kind, target, block.lang.value, stem, phrase


def _plain_rows(kind: PhraseKind, target: str, phrases: Iterable[str]) -> Iterator[PhraseRow]:
    """Phrases of no stated language: found by their folded key only."""
    for phrase in phrases:
        key = fold_key(phrase)
        if key:
            yield key, kind, target, "", None, phrase


def indication_rows(
    indication: Indication, function_words: FunctionWordSets
) -> Iterator[PhraseRow]:
    """An indication's id (as words), name, synonyms and terms."""
    target = indication.id.value
    plain = (target.replace("_", " "), indication.name, *indication.synonyms)
    yield from _plain_rows("indication", target, plain)
    yield from _term_rows("indication", target, indication.terms, function_words)


def area_rows(area: TreatmentArea, function_words: FunctionWordSets) -> Iterator[PhraseRow]:
    """A treatment area's id and terms (its name is a label: "Belly (abdomen)")."""
    yield from _plain_rows("area", area.id.value, (area.id.value,))
    yield from _term_rows("area", area.id.value, area.terms, function_words)


def stop_rows(function_words: Mapping[Language, Sequence[str]]) -> Iterator[PhraseRow]:
    """The function words of each language."""
    for lang, words in function_words.items():
        for word in words:
            key = fold_key(word)
            if key:
                yield key, "stop", "", lang.value, None, word


def phrase_rows(
    indications: Iterable[Indication],
    areas: Iterable[TreatmentArea],
    function_words: Mapping[Language, Sequence[str]],
) -> list[PhraseRow]:
    """Every row of ``search_phrases``, each ``(key, kind, target, lang)`` once."""
    rows: dict[tuple[str, str, str, str], PhraseRow] = {}
    stop = {lang: frozenset(map(fold_key, words)) for lang, words in function_words.items()}
    every = (
        *(row for indication in indications for row in indication_rows(indication, stop)),
        *(row for area in areas for row in area_rows(area, stop)),
        *stop_rows(function_words),
    )
    for row in every:
        rows.setdefault(row[:4], row)
    return list(rows.values())


def write_vocabulary(
    conn: sqlite3.Connection, areas: Iterable[TreatmentArea], rows: Iterable[PhraseRow]
) -> None:
    """Replace the stored treatment areas, and every search phrase by ``rows`` (see
    :func:`phrase_rows`)."""
    areas = tuple(areas)
    conn.execute("DELETE FROM areas")
    conn.executemany(
        "INSERT INTO areas VALUES (?, ?, ?, ?)",
        [(a.id.value, a.name, a.description, canonical_json(a)) for a in areas],
    )
    conn.execute("DELETE FROM search_phrases")
    conn.executemany(PHRASE_INSERT, rows)


__all__ = [
    "PHRASE_INSERT",
    "FunctionWordSets",
    "PhraseKind",
    "PhraseRow",
    "area_rows",
    "indication_rows",
    "phrase_rows",
    "stop_rows",
    "write_vocabulary",
]
