"""The screening engine: exclusions that cover the moiety and the group, client conditions
that hide what they rule out, and the counts the answer gives.

What each search should hide is computed here from the models (the shipped dictionary,
substance groups, conditions and cocktails), never from the ``cocktail_screening`` table
the import writes, so a mistake in the table cannot agree with itself. The front ends'
wording is tested in ``tests/test_screening_front_ends.py``.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso
from conftest import DocumentFactory, cocktail_data
from datasette.app import Datasette
from helpers_catalogue import undo_positions, undo_vocabulary
from hypothesis import given
from hypothesis import strategies as st

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.catalogue.search.runner import Answer, LexiconCache, Query, run
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.connect import open_readonly
from meso_formulary.catalogue.store.dictionary import ReferenceData
from meso_formulary.catalogue.store.screening import reference_groups
from meso_formulary.errors import CatalogueError, InvalidInput, SearchError
from meso_formulary.model import (
    AllergenGroup,
    Cocktail,
    Contraindication,
    GroupMember,
    MoietyGroup,
)
from meso_formulary.names import GroupKind, NameResolver, SubstanceGroup, with_declared
from meso_formulary.vocabulary import ConditionId
from meso_formulary.web.server import build_datasette

INGREDIENTS = {i.id: i for i in reference.ingredients()}
SUBSTANCES = reference.substances()
CONDITIONS = {c.id: c for c in reference.conditions()}
MOIETIES = {g.id: frozenset(m.ingredient for m in g.members) for g in SUBSTANCES.moieties}
ALLERGENS = {
    g.id.value: frozenset(m.ingredient for m in g.members) for g in SUBSTANCES.allergen_groups
}


def siblings(ingredient_id: str) -> frozenset[str]:
    """The ingredient and every ingredient sharing a moiety group with it."""
    found = {ingredient_id}
    for members in MOIETIES.values():
        if ingredient_id in members:
            found |= members
    return frozenset(found)


def names_a_condition(text: str, condition: ConditionId) -> bool:
    """``text`` holds the condition's name or a synonym as whole words (case aside)."""
    known = CONDITIONS[condition]
    return any(
        re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", text.casefold())
        for word in (known.name, *known.synonyms)
    )


def ruled_out(condition: ConditionId, cocktails: dict[str, Cocktail]) -> set[str]:
    """The cocktails ``condition`` rules out: listed by the cocktail (structured, or named
    in a plain-text entry), by one of its ingredients, or through a moiety or allergen group
    the condition rules out."""
    known = CONDITIONS[condition]
    targets: set[str] = set()
    for moiety in known.rules_out_moieties:
        targets |= MOIETIES.get(moiety) or siblings(moiety)
    for group in known.rules_out_groups:
        targets |= ALLERGENS[group.value]
    out = set()
    for cocktail_id, cocktail in cocktails.items():
        holds = {line.ingredient for line in cocktail.composition}
        listed = any(
            item.condition is condition
            if isinstance(item, Contraindication)
            else names_a_condition(item, condition)
            for item in cocktail.contraindications
        )
        by_ingredient = any(
            c.condition is condition for i in holds for c in INGREDIENTS[i].contraindications
        )
        if listed or by_ingredient or holds & targets:
            out.add(cocktail_id)
    return out


@pytest.fixture(scope="module")
def cat() -> Iterator[Catalogue]:
    """The shipped cocktails, in memory."""
    with Catalogue.memory() as catalogue:
        catalogue.import_catalogue(reference.reference_catalogue())
        yield catalogue


@pytest.fixture(scope="module")
def cocktails(cat: Catalogue) -> dict[str, Cocktail]:
    """Every stored cocktail (compositions by ingredient id)."""
    ids = [row[0] for row in cat.conn.execute("SELECT id FROM cocktails")]
    return {cocktail_id: cat.get(cocktail_id) for cocktail_id in ids}


LEXICONS: weakref.WeakKeyDictionary[Catalogue, LexiconCache] = weakref.WeakKeyDictionary()
"""One lexicon cache per catalogue (an in-memory catalogue's stamp is only its own)."""


def find(cat: Catalogue, **fields: object) -> Answer:
    query = Query.from_values({"limit": 500, "facets": False, **fields})
    return run(cat.conn, query, LEXICONS.setdefault(cat, LexiconCache()))


def holding(cocktails: dict[str, Cocktail], ids: frozenset[str]) -> set[str]:
    return {
        cocktail_id
        for cocktail_id, cocktail in cocktails.items()
        if ids & {line.ingredient for line in cocktail.composition}
    }


# ---------------------------------------------------------------- exclusions


def test_excluding_any_name_of_any_ingredient_hides_every_form_of_its_moiety(
    cat: Catalogue, cocktails: dict[str, Cocktail]
) -> None:
    checked = 0
    for ingredient in INGREDIENTS.values():
        forbidden = siblings(ingredient.id)
        hidden_at_least = holding(cocktails, forbidden)
        for name in ingredient.names():
            answer = find(cat, exclude=name)
            kept = {hit.id for hit in answer.hits}
            assert not kept & hidden_at_least, (name, kept & hidden_at_least)
            assert answer.total == len(kept) == len(cocktails) - answer.screening.hidden
            (excluded,) = answer.screening.excluded
            assert excluded.name == name
            assert excluded.cocktails_hidden == answer.screening.hidden >= len(hidden_at_least)
            assert {INGREDIENTS[i].name for i in forbidden} <= set(excluded.substances)
            checked += 1
    assert checked > len(INGREDIENTS)


@pytest.mark.parametrize("group", SUBSTANCES.moieties, ids=lambda g: g.id)
def test_excluding_a_moiety_group_by_any_name_hides_every_member(
    cat: Catalogue, cocktails: dict[str, Cocktail], group: MoietyGroup
) -> None:
    members = MOIETIES[group.id]
    for name in (group.id, group.name, *group.names):
        kept = {hit.id for hit in find(cat, exclude=name).hits}
        assert not kept & holding(cocktails, members), name


@pytest.mark.parametrize("group", SUBSTANCES.allergen_groups, ids=lambda g: g.id.value)
def test_excluding_an_allergen_group_by_id_or_name_hides_every_member(
    cat: Catalogue, cocktails: dict[str, Cocktail], group: AllergenGroup
) -> None:
    group_id = group.id.value
    members = ALLERGENS[group_id]
    names = [group_id, group.name, *group.names]
    if group_id.endswith("-derived"):
        names.append(group_id.removesuffix("-derived"))  # "fish" for fish-derived
    for name in names:
        answer = find(cat, exclude=name)
        kept = {hit.id for hit in answer.hits}
        # Members whose origin is only "may be" (certain: false) are hidden too.
        assert not kept & holding(cocktails, members), name
        assert answer.screening.hidden == len(cocktails) - len(kept)


def test_the_resolver_answers_every_name_with_its_moiety_group() -> None:
    groups = reference_groups(SUBSTANCES.moieties, SUBSTANCES.allergen_groups)
    names = NameResolver.of(INGREDIENTS.values(), groups=groups)
    assert names.resolve("sodium hyaluronate").moieties == ("hyaluronic-acid",)
    assert names.resolve("Aminophylline").moieties == ("theophylline",)
    assert names.resolve("biotin").moieties == ()  # in no group: its own moiety
    exclusion = names.exclusion("deoxycholic acid")
    assert set(exclusion.ids) == {"deoxycholic-acid", "sodium-deoxycholate"}
    assert [g.id for g in exclusion.groups] == ["deoxycholic-acid"]
    assert set(names.exclusion("fish").ids) == ALLERGENS["fish-derived"]
    assert names.exclusion("egg-derived").known and not names.exclusion("egg-derived").ids
    assert not names.exclusion("unobtainium").known


def test_declared_memberships_join_groups_or_make_a_moiety_of_their_own() -> None:
    ha = SubstanceGroup.of(GroupKind.MOIETY, "ha", "HA", (), ("hyaluronic-acid", "na-ha"))
    groups = with_declared(
        [ha],
        [
            (GroupKind.MOIETY, "na-ha", "own-ha"),  # an ingredient of a group: that group
            (GroupKind.MOIETY, "ha", "own-ha-2"),  # a group
            (GroupKind.MOIETY, "biotin", "own-biotin"),  # an ingredient alone: its moiety
            (GroupKind.ALLERGEN, "fish-derived", "own-fish"),
        ],
    )
    assert {(g.kind, g.id): g.members for g in groups} == {
        (GroupKind.MOIETY, "ha"): ("hyaluronic-acid", "na-ha", "own-ha", "own-ha-2"),
        (GroupKind.MOIETY, "biotin"): ("biotin", "own-biotin"),
        (GroupKind.ALLERGEN, "fish-derived"): ("own-fish",),
    }


def test_a_name_that_names_nothing_is_refused_with_suggestions(cat: Catalogue) -> None:
    with pytest.raises(SearchError) as caught:
        find(cat, exclude="hyaluronic acd")
    assert caught.value.message == "invalid search: exclude: unknown ingredient 'hyaluronic acd'"
    assert caught.value.hint is not None and "hyaluronic" in caught.value.hint.lower()


def test_the_answer_says_what_each_name_excluded(
    cat: Catalogue, cocktails: dict[str, Cocktail]
) -> None:
    unscreened = {hit.id for hit in find(cat, text="skin booster").hits}
    answer = find(cat, text="skin booster", exclude=("hyaluronic acid", "vitamin C"))
    ha, vitamin_c = answer.screening.excluded
    assert (ha.name, set(ha.substances)) == (
        "hyaluronic acid",
        {"Hyaluronic acid", "Sodium hyaluronate"},
    )
    assert set(vitamin_c.substances) == {
        "Ascorbic acid",
        "Sodium ascorbyl phosphate",
        "Magnesium ascorbyl phosphate",
    }
    with_ha = holding(cocktails, MOIETIES["hyaluronic-acid"]) & unscreened
    assert len(with_ha) >= 5  # every HA skin booster, archetype or product
    assert answer.screening.hidden == ha.cocktails_hidden == len(with_ha)
    assert {hit.id for hit in answer.hits} == unscreened - with_ha
    assert answer.hits
    assert all("no hyaluronic acid, in any form" in hit.why for hit in answer.hits)


def test_no_screening_reports_nothing(cat: Catalogue) -> None:
    screening = find(cat, text="hair loss").screening
    assert (screening.excluded, screening.conditions, screening.hidden) == ((), (), 0)


# ---------------------------------------------------------------- client conditions


@pytest.mark.parametrize("condition", list(ConditionId), ids=lambda c: c.value)
def test_a_client_condition_hides_exactly_what_it_rules_out(
    cat: Catalogue, cocktails: dict[str, Cocktail], condition: ConditionId
) -> None:
    expected = ruled_out(condition, cocktails)
    answer = find(cat, client=condition.value)
    assert set(cocktails) - {hit.id for hit in answer.hits} == expected
    (screened,) = answer.screening.conditions
    assert (screened.id, screened.name) == (condition, CONDITIONS[condition].name)
    assert screened.cocktails_hidden == answer.screening.hidden == len(expected)
    assert answer.total == len(cocktails) - len(expected)
    reason = f"not ruled out by {CONDITIONS[condition].name}"
    assert all(reason in hit.why for hit in answer.hits)


def test_the_shipped_data_rules_out_through_groups(
    cocktails: dict[str, Cocktail],
) -> None:
    # The shipped data exercises each way a condition rules a cocktail out.
    assert ruled_out(ConditionId.FISH_ALLERGY, cocktails) == {
        "reference/polynucleotides-20",
        "reference/plinest",
        "reference/plinest-eye",
        "reference/rejuran-healer",
        "reference/theraheal-pn",
    }
    assert ruled_out(ConditionId.HYALURONIC_ACID_ALLERGY, cocktails) >= holding(
        cocktails, MOIETIES["hyaluronic-acid"]
    )


@given(
    conditions=st.lists(st.sampled_from(list(ConditionId)), max_size=3, unique=True),
    names=st.lists(
        st.sampled_from(sorted({*MOIETIES, *ALLERGENS, *INGREDIENTS})), max_size=3, unique=True
    ),
    text=st.sampled_from([None, "skin booster", "hair loss", "double chin", "vitamin"]),
)
def test_screens_combine_and_each_hidden_cocktail_counts_once(
    cat: Catalogue,
    cocktails: dict[str, Cocktail],
    conditions: list[ConditionId],
    names: list[str],
    text: str | None,
) -> None:
    unscreened = {hit.id for hit in find(cat, text=text).hits} if text else set(cocktails)
    answer = find(cat, text=text, client=[c.value for c in conditions], exclude=names)
    kept = {hit.id for hit in answer.hits}
    by_condition = {c: ruled_out(c, cocktails) & unscreened for c in conditions}
    by_name = {
        n: holding(cocktails, MOIETIES.get(n) or ALLERGENS.get(n) or siblings(n)) & unscreened
        for n in names
    }
    assert not kept & set().union(*by_condition.values(), *by_name.values())
    assert kept <= unscreened
    assert answer.screening.hidden == len(unscreened) - len(kept) == len(unscreened - kept)
    assert [(c.id, c.cocktails_hidden) for c in answer.screening.conditions] == [
        (c, len(by_condition[c])) for c in conditions
    ]
    for excluded in answer.screening.excluded:
        assert excluded.cocktails_hidden >= len(by_name[excluded.name])


def test_an_unknown_condition_is_refused_with_the_closest_ids(cat: Catalogue) -> None:
    with pytest.raises(SearchError) as caught:
        find(cat, client="pregnacy")
    assert caught.value.message == "invalid search: client: unknown condition 'pregnacy'"
    assert caught.value.hint is not None and "pregnancy" in caught.value.hint


def test_condition_ids_are_read_forgivingly(cat: Catalogue) -> None:
    query = Query.parse(client=["Fish allergy", "amide anesthetic allergy", "fish-allergy"])
    assert query.clients == (ConditionId.FISH_ALLERGY, ConditionId.AMIDE_ANAESTHETIC_ALLERGY)


def test_screening_words_in_the_text_screen_instead_of_searching(cat: Catalogue) -> None:
    answer = find(cat, text="skin booster for a pregnant client")
    assert answer.total == 0
    assert [c.id for c in answer.screening.conditions] == [ConditionId.PREGNANCY]
    assert answer.screening.hidden == find(cat, text="skin booster").total >= 6
    fish = find(cat, text="fish allergy")
    assert "reference/polynucleotides-20" not in {hit.id for hit in fish.hits}
    assert [c.id for c in fish.screening.conditions] == [ConditionId.FISH_ALLERGY]


# ---------------------------------------------------------------- the measured cases


MEASURED = [
    ("skin booster", "hyaluronic acid", "sodium-hyaluronate"),
    ("skin booster", "hyaluronan", "sodium-hyaluronate"),
    ("double chin", "deoxycholic acid", "sodium-deoxycholate"),
    ("cellulite", "theophylline", "aminophylline"),
    (None, "theophylline", "aminophylline"),
]
"""Issue 11's searches that kept the same substance in another form: (text, excluded name,
the form that must go)."""


@pytest.mark.parametrize(("text", "name", "form"), MEASURED)
def test_measured_cases_through_the_api(
    cat: Catalogue, cocktails: dict[str, Cocktail], text: str | None, name: str, form: str
) -> None:
    fields = {"exclude": (name,), "limit": 500} | ({"text": text} if text else {})
    results = search(cat, SearchRequest.parse(fields))
    assert results.hits, "the measured search still finds something"
    assert not holding(cocktails, frozenset({form})) & {hit.id for hit in results.hits}
    (excluded,) = results.screening.excluded
    assert INGREDIENTS[form].name in excluded.substances
    assert excluded.cocktails_hidden == results.screening.hidden >= 1


@pytest.mark.parametrize(("text", "name", "form"), MEASURED)
def test_measured_cases_through_the_cli(
    meso: Meso, cocktails: dict[str, Cocktail], text: str | None, name: str, form: str
) -> None:
    result = meso("search", *([text] if text else []), "--exclude", name, "--json")
    assert result.exit_code == 0, result.output
    found = {hit["id"] for hit in json.loads(result.stdout)}
    assert found
    assert not holding(cocktails, frozenset({form})) & found


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    """The web app over a catalogue file of the shipped cocktails."""
    path = tmp_path_factory.mktemp("screening-web") / "catalogue.db"
    with Catalogue.open(path) as catalogue:
        catalogue.import_catalogue(reference.reference_catalogue())
    return build_datasette(path, immutable=True)


def web_json(web: Datasette, query: dict[str, str]) -> dict[str, Any]:
    response: httpx.Response = asyncio.run(web.client.get("/-/meso-search.json", params=query))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("text", "name", "form"), MEASURED)
def test_measured_cases_through_the_json_api(
    web: Datasette, cocktails: dict[str, Cocktail], text: str | None, name: str, form: str
) -> None:
    body = web_json(web, {"exclude": name, "limit": "500"} | ({"q": text} if text else {}))
    hits = body["hits"]
    assert isinstance(hits, list) and hits
    assert not holding(cocktails, frozenset({form})) & {hit["id"] for hit in hits}


# ---------------------------------------------------------------- the store


def test_a_supplier_ingredient_declares_its_moiety_and_allergen_groups(
    catalogue: Catalogue, make_document: DocumentFactory
) -> None:
    own = {
        "id": "acme-ha-gel",
        "name": "Acme cross-linked HA gel",
        "ingredient_class": "hyaluronic_acid",
        "moieties": ["hyaluronic-acid"],
        "allergen_groups": ["fish-derived"],
        "source": "Acme technical sheet",
    }
    document = make_document(
        "acme",
        [cocktail_data("acme", "gel", [("acme-ha-gel", None, None)]), cocktail_data("acme", "b")],
        ingredients=[own],
    )
    catalogue.import_catalogue(document)
    for fields in (
        {"exclude": "sodium hyaluronate"},
        {"exclude": "fish"},
        {"client": "fish-allergy"},
    ):
        kept = {hit.id for hit in find(catalogue, **fields).hits}
        assert "acme/gel" not in kept and "acme/b" in kept, fields


def test_plain_text_and_ingredient_contraindications_screen(
    catalogue: Catalogue, make_document: DocumentFactory
) -> None:
    own = {
        "id": "acme-retinoid",
        "name": "Acme retinoid",
        "ingredient_class": "other",
        "contraindications": [{"condition": "isotretinoin-recent", "note": "retinoid"}],
        "source": "Acme technical sheet",
    }
    document = make_document(
        "acme",
        [
            cocktail_data("acme", "old", contraindications=["Pregnancy or breast-feeding"]),
            cocktail_data("acme", "retinoid", [("acme-retinoid", None, None)]),
            cocktail_data("acme", "plain"),
        ],
        ingredients=[own],
    )
    catalogue.import_catalogue(document)
    hidden = {
        condition: {"acme/old", "acme/retinoid", "acme/plain"}
        - {hit.id for hit in find(catalogue, client=condition).hits}
        for condition in ("pregnancy", "breastfeeding", "isotretinoin-recent", "fish-allergy")
    }
    assert hidden == {
        "pregnancy": {"acme/old"},
        "breastfeeding": {"acme/old"},
        "isotretinoin-recent": {"acme/retinoid"},
        "fish-allergy": set(),
    }
    reasons = catalogue.conn.execute(
        "SELECT cocktail_id, condition_id, via, ingredient_id, detail FROM cocktail_screening "
        "ORDER BY cocktail_id, position"
    ).fetchall()
    assert reasons == [
        ("acme/old", "pregnancy", "text", None, "Pregnancy or breast-feeding"),
        ("acme/old", "breastfeeding", "text", None, "Pregnancy or breast-feeding"),
        ("acme/retinoid", "isotretinoin-recent", "ingredient", "acme-retinoid", "retinoid"),
    ]


def test_a_declared_moiety_must_name_a_group_or_an_ingredient(
    catalogue: Catalogue, make_document: DocumentFactory
) -> None:
    own = {
        "id": "acme-mystery",
        "name": "Acme mystery",
        "ingredient_class": "other",
        "moieties": ["hyaluronic-acd"],
        "source": "Acme technical sheet",
    }
    document = make_document(
        "acme", [cocktail_data("acme", "m", [("acme-mystery", None, None)])], ingredients=[own]
    )
    with pytest.raises(InvalidInput) as caught:
        catalogue.import_catalogue(document)
    (problem,) = caught.value.problems
    assert problem.code == "unknown_moiety"
    assert problem.path == "ingredients.0.moieties.0"
    assert "hyaluronic-acid" in problem.message


def test_screening_follows_a_new_dictionary(
    catalogue_path: Path, make_document: DocumentFactory
) -> None:
    shipped = ReferenceData.shipped()
    with Catalogue.open(catalogue_path, reference=shipped) as cat:
        cat.import_catalogue(make_document("acme", [cocktail_data("acme", "a")]))  # biotin
        assert find(cat, client="egg-allergy").total == 1

    def biotin_from_eggs(group: AllergenGroup) -> AllergenGroup:
        if group.id.value != "egg-derived":
            return group
        return group.model_copy(update={"members": (GroupMember(ingredient="biotin"),)})

    newer = replace(
        shipped,
        allergen_groups=tuple(map(biotin_from_eggs, shipped.allergen_groups)),
        digest="0" * 64,
    )
    with Catalogue.open(catalogue_path, reference=newer) as cat:
        cat.import_catalogue(make_document("bravo", [cocktail_data("bravo", "b")]))
        answer = find(cat, client="egg-allergy")
        assert (answer.total, answer.screening.hidden) == (0, 2)
        assert find(cat, exclude="egg").total == 0


def _as_schema_2(path: Path) -> None:
    """Turn a catalogue file of this release into one of schema version 2, as the release
    before screening wrote it: no screening tables nor search vocabulary, two migrations
    applied."""
    with closing(sqlite3.connect(path)) as conn, conn:
        undo_positions(conn)
        undo_vocabulary(conn)
        for table in schema.SCREENING_TABLE_NAMES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0003_screening'")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def test_a_schema_2_file_upgrades_when_opened_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Catalogue.open(path) as catalogue:
        catalogue.import_catalogue(reference.reference_catalogue())
    _as_schema_2(path)
    with pytest.raises(CatalogueError, match="older schema version 2"):
        open_readonly(path)
    with Catalogue.open(path) as catalogue:
        assert catalogue.stats().schema_version == schema.SCHEMA_VERSION == 5
        answer = find(catalogue, client="fish-allergy", exclude="hyaluronan")
        # Upgraded through 0004_vocabulary too: areas, brands and lay words are read.
        brand = find(catalogue, text="profhilo")
        assert brand.total and all("Profhilo" in hit.why for hit in brand.hits)
        assert find(catalogue, text="queda de cabelo").concerns
    kept = {hit.id for hit in answer.hits}
    assert "reference/polynucleotides-20" not in kept
    assert not kept & {"reference/ha-skin-booster-12"}
    assert answer.screening.hidden > 1
    with closing(open_readonly(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
