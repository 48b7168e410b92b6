"""Screening: the substance groups and client conditions a catalogue stores, and why each
condition rules a cocktail out.

A client condition rules a cocktail out (one ``cocktail_screening`` row per reason, written
when the cocktail is imported and again whenever the dictionary changes, as its findings
are) when:

- the cocktail lists it (``via = 'cocktail'``: a structured contraindication);
- an ingredient of its composition lists it (``'ingredient'``: the ingredient's own
  contraindications apply to every cocktail that holds it);
- the condition rules out a moiety one of its ingredients carries (``'moiety'``: a moiety
  group, or an ingredient and every ingredient sharing a moiety group with it) or an
  allergen group one of its ingredients belongs to, certain or not (``'group'``);
- one of its plain-text contraindications (files written before conditions were a
  vocabulary) names the condition (``'text'``): the text holds the condition's name or one
  of its synonyms as whole words, wherever they stand ("pregnancy or breast-feeding" names
  pregnancy and breastfeeding). Whole words, never a look-alike; and a synonym counts even
  where the sentence may mean otherwise: a screen hides too much rather than too little.

The search (:mod:`meso_formulary.catalogue.search.runner`) reads the rows through an index
and never runs this module.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Final, Literal, NamedTuple

from meso_formulary.catalogue.store.records import canonical_json
from meso_formulary.model import (
    AllergenGroup,
    ClientCondition,
    Cocktail,
    Contraindication,
    Ingredient,
    MoietyGroup,
)
from meso_formulary.names import Declared, GroupKind, SubstanceGroup, with_declared, word_key
from meso_formulary.reference.documents import NearWord

Via = Literal["cocktail", "ingredient", "moiety", "group", "text"]
"""Why a condition rules a cocktail out (the module doc)."""

VIAS: Final[tuple[Via, ...]] = ("cocktail", "ingredient", "moiety", "group", "text")

ScreeningRow = tuple[str, int, str, str, str | None, str | None]
"""``(cocktail_id, position, condition_id, via, ingredient_id, detail)``: one row of
``cocktail_screening``; ``detail`` is the note, the group id or the plain text."""


def reference_groups(
    moieties: Iterable[MoietyGroup], allergen_groups: Iterable[AllergenGroup]
) -> tuple[SubstanceGroup, ...]:
    """The shipped groups as the resolver uses them (every member, certain or not)."""
    groups = [
        SubstanceGroup.of(
            GroupKind.MOIETY, g.id, g.name, g.names, (m.ingredient for m in g.members)
        )
        for g in moieties
    ]
    groups += [
        SubstanceGroup.of(
            GroupKind.ALLERGEN, g.id.value, g.name, g.names, (m.ingredient for m in g.members)
        )
        for g in allergen_groups
    ]
    return tuple(groups)


def declared(ingredients: Iterable[Ingredient]) -> Iterator[Declared]:
    """The group memberships ``ingredients`` declare themselves (``moieties``,
    ``allergen_groups``), as :func:`~meso_formulary.names.with_declared` takes them."""
    for ingredient in ingredients:
        for moiety in ingredient.moieties:
            yield GroupKind.MOIETY, moiety, ingredient.id
        for group in ingredient.allergen_groups:
            yield GroupKind.ALLERGEN, group.value, ingredient.id


class _Reason(NamedTuple):
    condition: str
    via: Via
    detail: str | None


class Screener:
    """Why each condition rules a cocktail out (the module doc), for many cocktails.

    ``ingredients``: every ingredient the cocktails may hold, by id; ``groups``: the
    moiety and allergen groups, memberships ingredients declare included
    (:func:`~meso_formulary.names.with_declared`); ``conditions``: the vocabulary.
    """

    def __init__(
        self,
        ingredients: Mapping[str, Ingredient],
        groups: Iterable[SubstanceGroup],
        conditions: Iterable[ClientCondition],
    ) -> None:
        self._ingredients = ingredients
        groups = tuple(groups)
        moieties = {g.id: g for g in groups if g.kind is GroupKind.MOIETY}
        allergens = {g.id: g for g in groups if g.kind is GroupKind.ALLERGEN}
        moieties_of: dict[str, list[SubstanceGroup]] = {}
        for group in moieties.values():
            for member in group.members:
                moieties_of.setdefault(member, []).append(group)
        self._ruled_out: dict[str, list[_Reason]] = {}
        self._phrases: dict[tuple[str, ...], list[str]] = {}
        """Each condition name and synonym, as words, and the conditions it names."""
        for condition in conditions:
            cid = condition.id.value
            for target in condition.rules_out_moieties:
                named = moieties.get(target)
                if named is not None:
                    members: Sequence[str] = named.members
                else:  # an ingredient id: it, and every ingredient sharing a moiety with it
                    members = [target, *(m for g in moieties_of.get(target, ()) for m in g.members)]
                for member in members:
                    self._rule_out(member, _Reason(cid, "moiety", target))
            for group_id in condition.rules_out_groups:
                allergen = allergens.get(group_id.value)
                for member in allergen.members if allergen is not None else ():
                    self._rule_out(member, _Reason(cid, "group", group_id.value))
            for text in (condition.name, *condition.synonyms):
                key = tuple(word_key(text).split())
                if key and cid not in self._phrases.setdefault(key, []):
                    self._phrases[key].append(cid)
        self._longest = max(map(len, self._phrases), default=0)
        self._order = {c.id.value: n for n, c in enumerate(conditions)}
        self._about: dict[str, tuple[_Reason, ...]] = {}
        self._named: dict[str, tuple[str, ...]] = {}

    def _rule_out(self, ingredient_id: str, reason: _Reason) -> None:
        reasons = self._ruled_out.setdefault(ingredient_id, [])
        if reason not in reasons:
            reasons.append(reason)

    def rows(self, cocktail: Cocktail) -> list[ScreeningRow]:
        """The ``cocktail_screening`` rows of ``cocktail`` (its composition holds ids)."""
        found: dict[tuple[str, Via, str | None, str | None], None] = {}
        for item in cocktail.contraindications:
            if isinstance(item, Contraindication):
                found[(item.condition.value, "cocktail", None, item.note)] = None
            else:
                for condition in self.named_in(item):
                    found[(condition, "text", None, item)] = None
        for line in cocktail.composition:
            for reason in self._reasons(line.ingredient):
                found[(reason.condition, reason.via, line.ingredient, reason.detail)] = None
        return [
            (cocktail.id, position, condition, via, ingredient_id, detail)
            for position, (condition, via, ingredient_id, detail) in enumerate(found)
        ]

    def _reasons(self, ingredient_id: str) -> tuple[_Reason, ...]:
        """The conditions that rule out every cocktail holding ``ingredient_id``."""
        reasons = self._about.get(ingredient_id)
        if reasons is None:
            ingredient = self._ingredients.get(ingredient_id)
            own = ingredient.contraindications if ingredient is not None else ()
            reasons = tuple(
                dict.fromkeys(
                    [
                        *(_Reason(c.condition.value, "ingredient", c.note) for c in own),
                        *self._ruled_out.get(ingredient_id, ()),
                    ]
                )
            )
            self._about[ingredient_id] = reasons
        return reasons

    def named_in(self, text: str) -> tuple[str, ...]:
        """The conditions whose name or a synonym ``text`` holds as whole words, in
        vocabulary order (many cocktails share a text: each is read once)."""
        named = self._named.get(text)
        if named is None:
            words = word_key(text).split()
            found = {
                condition
                for start in range(len(words))
                for end in range(start + 1, min(start + self._longest, len(words)) + 1)
                for condition in self._phrases.get(tuple(words[start:end]), ())
            }
            named = self._named[text] = tuple(sorted(found, key=self._order.__getitem__))
        return named


# ---------------------------------------------------------------- the tables


def write_reference(
    conn: sqlite3.Connection,
    moieties: Sequence[MoietyGroup],
    allergen_groups: Sequence[AllergenGroup],
    conditions: Sequence[ClientCondition],
    near_words: Sequence[NearWord],
) -> None:
    """Replace the shipped groups and near-words, and upsert the conditions (never removed:
    a stored row may name one a later release dropped), with their names and words."""
    conn.execute("DELETE FROM substance_groups")
    conn.execute("DELETE FROM substance_group_members WHERE declared = 0")
    models: list[tuple[GroupKind, MoietyGroup | AllergenGroup]] = [
        *((GroupKind.MOIETY, g) for g in moieties),
        *((GroupKind.ALLERGEN, g) for g in allergen_groups),
    ]
    for (kind, model), group in zip(
        models, reference_groups(moieties, allergen_groups), strict=True
    ):
        conn.execute(
            "INSERT INTO substance_groups VALUES (?, ?, ?, ?)",
            (kind.value, group.id, group.name, canonical_json(model)),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO substance_group_names VALUES (?, ?, ?, ?)",
            [
                (word_key(name), kind.value, group.id, name)
                for name in group.names
                if word_key(name)
            ],
        )
        # A member the catalogue does not hold (a custom reference) has nothing to hide.
        conn.executemany(
            "INSERT INTO substance_group_members SELECT ?, ?, ?, 0, ? WHERE EXISTS "
            "(SELECT 1 FROM ingredients WHERE id = ?) ON CONFLICT DO NOTHING",
            [
                (kind.value, group.id, m.ingredient, int(m.certain), m.ingredient)
                for m in model.members
            ],
        )
    for condition in conditions:
        cid = condition.id.value
        conn.execute(
            "INSERT INTO conditions VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "name = excluded.name, record = excluded.record",
            (cid, condition.name, canonical_json(condition)),
        )
        conn.execute("DELETE FROM condition_words WHERE condition_id = ?", (cid,))
        words = {word_key(w): w for w in (condition.name, *condition.synonyms) if word_key(w)}
        conn.executemany(
            "INSERT INTO condition_words VALUES (?, ?, ?)",
            [(key, cid, word) for key, word in words.items()],
        )
    conn.execute("DELETE FROM near_words")
    conn.executemany(
        "INSERT OR IGNORE INTO near_words VALUES (?, ?, ?, ?)",
        [
            (word_key(n.word), n.word, n.condition and n.condition.value, canonical_json(n))
            for n in near_words
            if word_key(n.word)
        ],
    )


def write_declared(conn: sqlite3.Connection, ingredient: Ingredient, *, existed: bool) -> None:
    """Store the group memberships ``ingredient`` declares, replacing its earlier ones (if
    it ``existed``: a new one has none)."""
    if existed:
        conn.execute(
            "DELETE FROM substance_group_members WHERE ingredient_id = ? AND declared = 1",
            (ingredient.id,),
        )
    rows = [(kind.value, group, i) for kind, group, i in declared((ingredient,))]
    if rows:
        conn.executemany(
            "INSERT OR IGNORE INTO substance_group_members VALUES (?, ?, ?, 1, 1)", rows
        )


class StoredScreening(NamedTuple):
    """The groups and conditions a catalogue stores, read once for many screeners."""

    groups: tuple[SubstanceGroup, ...]
    conditions: tuple[ClientCondition, ...]

    def screener(self, ingredients: Mapping[str, Ingredient]) -> Screener:
        """The :class:`Screener` over ``ingredients`` (their declared memberships count)."""
        groups = with_declared(self.groups, declared(ingredients.values()))
        return Screener(ingredients, groups, self.conditions)


def stored_screening(conn: sqlite3.Connection) -> StoredScreening:
    """The groups and conditions stored on ``conn``."""
    moieties = [
        MoietyGroup.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM substance_groups WHERE kind = 'moiety'")
    ]
    allergens = [
        AllergenGroup.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM substance_groups WHERE kind = 'allergen'")
    ]
    conditions = tuple(
        ClientCondition.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM conditions ORDER BY rowid")
    )
    return StoredScreening(reference_groups(moieties, allergens), conditions)


__all__ = [
    "VIAS",
    "Screener",
    "ScreeningRow",
    "StoredScreening",
    "Via",
    "declared",
    "reference_groups",
    "stored_screening",
    "write_declared",
    "write_reference",
]
