"""Every shipped word the search reads by, checked record by record (bioregistry-style):
six languages for every concern and every treatment area, clinical terms with a source a
reader can open, function words that never hide a concern, and the stored rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from meso_formulary import reference
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.catalogue.store.search_vocabulary import phrase_rows
from meso_formulary.folding import fold_key
from meso_formulary.model import Terms
from meso_formulary.vocabulary import Area, IndicationId, Language

INDICATIONS = {i.id: i for i in reference.indications()}
AREAS = {a.id: a for a in reference.areas()}
FUNCTION_WORDS = reference.function_words()
EVERY_LANGUAGE = list(Language)
INTERNAL_NOTE = re.compile(r"domain\.md|products\.yaml|research notes|domain research|§", re.I)
"""What an internal note looks like: a reader cannot open it."""


def blocks() -> Iterator[tuple[str, Terms]]:
    for indication in INDICATIONS.values():
        for block in indication.terms:
            yield f"indication {indication.id.value}", block
    for area in AREAS.values():
        for block in area.terms:
            yield f"area {area.id.value}", block


@pytest.mark.parametrize("indication", list(IndicationId), ids=str)
def test_every_concern_has_words_in_six_languages(indication: IndicationId) -> None:
    terms = INDICATIONS[indication].terms
    assert [block.lang for block in terms] == EVERY_LANGUAGE
    assert all(len(block.words) >= 5 for block in terms), indication


@pytest.mark.parametrize("area", list(Area), ids=str)
def test_every_area_has_a_plain_name_and_words_in_six_languages(area: Area) -> None:
    record = AREAS[area]
    assert record.name and record.description
    assert [block.lang for block in record.terms] == EVERY_LANGUAGE


@pytest.mark.parametrize(("owner", "block"), list(blocks()), ids=lambda v: str(v)[:40])
def test_clinical_terms_have_a_source_a_reader_can_open(owner: str, block: Terms) -> None:
    for word in (*block.words, *block.clinical):
        assert fold_key(word), (owner, word)
        assert len(word) <= 60 and len(word.split()) <= 6, (owner, word)
    if block.clinical:
        assert block.source is not None
        assert not INTERNAL_NOTE.search(block.source), (owner, block.source)
        assert re.search(r"https?://|ICD-10|CID-10|CIE-10|CIM-10|MeSH|DeCS|\d{4}", block.source)


def test_function_words_never_hide_a_concern_or_an_area_word() -> None:
    stop = {fold_key(w) for words in FUNCTION_WORDS.languages.values() for w in words}
    assert set(FUNCTION_WORDS.languages) == set(Language)
    single_words = {
        fold_key(word)
        for _owner, block in blocks()
        for word in (*block.words, *block.clinical)
        if len(fold_key(word).split()) == 1
    }
    assert not stop & single_words, sorted(stop & single_words)
    negations = {"no", "not", "sem", "sin", "sans", "ohne", "senza", "without", "nao", "nicht"}
    assert not stop & negations


def test_every_phrase_row_is_stored_and_found_by_its_key(data_dir: Path) -> None:
    rows = phrase_rows(INDICATIONS.values(), AREAS.values(), dict(FUNCTION_WORDS.languages))
    with closing(connect_default()) as conn:
        stored = set(
            conn.execute("SELECT key, kind, target, lang, stem, phrase FROM search_phrases")
        )
    assert set(rows) == stored
    assert {kind for _key, kind, *_ in rows} == {"indication", "area", "stop"}
    for key, kind, _target, lang, stem, _phrase in rows:
        assert key == fold_key(key)
        assert (stem is None) == (lang == "" or kind == "stop")


def test_every_shipped_brand_belongs_to_a_cocktail_that_stands_for_it() -> None:
    catalogue = reference.reference_catalogue()
    branded = [c for c in catalogue.cocktails if c.brands]
    assert len(branded) >= 7
    by_id = {c.id: c for c in catalogue.cocktails}
    for cocktail in branded:
        said = fold_key(" ".join((cocktail.name, cocktail.description, *cocktail.sources)))
        linked = {b for target in cocktail.stands_for for b in by_id[target].brands}
        for brand in cocktail.brands:  # its own words say it, or a product it stands for
            assert brand in linked or fold_key(brand.split()[0]) in said, (cocktail.id, brand)


def test_the_stored_catalogue_has_every_area(data_dir: Path) -> None:
    with closing(connect_default()) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM areas ORDER BY rowid")]
    assert ids == [a.value for a in Area]
