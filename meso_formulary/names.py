"""Ingredient names: the one resolver, and the one "did you mean" of the project.

A composition line, a search filter or an exclusion names an ingredient by its id, name,
INCI name or a synonym, in any Unicode spelling; names are compared by their
:func:`~meso_formulary.identifiers.name_key`. :class:`NameResolver` answers for the rules
engine (:class:`~meso_formulary.rules.IngredientIndex`), the importer and the search alike,
in tiers:

1. an ingredient id, in any spelling whose name key is the id (``Biotin`` is ``biotin``);
2. a name of one of the supplier's own ingredients (a catalogue file's ``ingredients``);
3. a name of the dictionary (the reference entries; for a search over a whole catalogue,
   every stored ingredient, since a search has no supplier of its own).

The first tier that knows a name answers. Two ingredients of that tier sharing the name make
it ambiguous: :class:`NameMatch` lists both and nothing is guessed. Ids come first so that
what a catalogue stores (ids) always reads back as the same ingredient; a supplier's own
names shadow the dictionary's so that its file means what its supplier wrote, whether it is
checked by :func:`meso_formulary.validate` (with ``own=``), ``meso validate`` or an import.

:func:`suggest` is behind every "did you mean" (unknown ingredients, cocktails, suppliers,
classes, areas, search words), with one cutoff (:data:`SUGGEST_CUTOFF`) and one limit
(:data:`SUGGEST_LIMIT`). A suggestion is only shown, never applied: prilocaine is not procaine.

Substance groups (the screening issue) plug into the same resolver. A *moiety group* holds
the ingredients that carry one active moiety (its salts, esters, acid and base forms:
"sodium hyaluronate" and "hyaluronic acid"); an *allergen group* the ingredients one allergy
rules out together ("fish-derived"). :meth:`NameResolver.resolve` answers every name with
the moiety groups of what it names (:attr:`NameMatch.moieties`), and
:meth:`NameResolver.exclusion` says what excluding a name must hide: everything the name
covers, every ingredient sharing a moiety group with any of it, and every member of a group
the name names (by the group's id, name or one of its names; "fish" for "fish-derived"),
certain or not. Safety over recall: an exclusion hides too much rather than too little.

Standard library only at import: rapidfuzz loads when a suggestion is asked for, so exact
look-ups (``meso search "hair loss"``, an import of ids) never pay for it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NamedTuple, Protocol

from meso_formulary.identifiers import name_key

SUGGEST_CUTOFF: Final = 70.0
"""Least rapidfuzz ``WRatio`` (0-100, after ``utils.default_process`` on both sides) for a
choice to be suggested: the cutoff the import's and the search's suggestions had. (The
cocktail and supplier ids had 60 and the rules 75, neither chosen for a reason; a wrong
suggestion costs a glance, a missing one a retyped name.)"""

SUGGEST_LIMIT: Final = 3
"""Most suggestions offered for one text."""

SUGGEST_MIN_CHARS: Final = 3
"""A text with fewer letters and digits than this gets no suggestion (two letters are
"close" to a great many names)."""

_CACHE_SIZE: Final = 65536
"""Most names one resolver remembers (an import resolves the same few names many times)."""

NameTable = Mapping[str, tuple[str, ...]]
"""Name key -> the ids of the ingredients known by a name with that key (first seen first)."""


class Shown(Protocol):
    """An ingredient as suggestions show it: by its name."""

    @property
    def name(self) -> str: ...


class Named(Shown, Protocol):
    """What the resolver needs of an ingredient (:class:`~meso_formulary.model.Ingredient`)."""

    @property
    def id(self) -> str: ...

    def names(self) -> tuple[str, ...]: ...


def name_table(entries: Iterable[Named]) -> dict[str, tuple[str, ...]]:
    """Every name key of ``entries`` and the ids it names (see :data:`NameTable`)."""
    return table_of_rows((name_key(name), entry.id) for entry in entries for name in entry.names())


def table_of_rows(rows: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """A :data:`NameTable` from ``(name key, ingredient id)`` rows (what a catalogue stores)."""
    table: dict[str, list[str]] = {}
    for key, ingredient_id in rows:
        if key:
            ids = table.setdefault(key, [])
            if ingredient_id not in ids:
                ids.append(ingredient_id)
    return {key: tuple(ids) for key, ids in table.items()}


_APOSTROPHES = re.compile(r"['’ʼ`]")
_WORD = re.compile(r"[^\W_]+")


def word_key(text: str) -> str:
    """The words of ``text`` as one key: :func:`name_key`, apostrophes dropped, punctuation out.

    ``"Crow's-feet"`` and ``"crows feet"`` share the key ``"crows feet"``; ``"B₁₂"`` is ``"b12"``.
    """
    return " ".join(_WORD.findall(_APOSTROPHES.sub("", name_key(text))))


class GroupKind(StrEnum):
    """What a substance group gathers (see the module doc)."""

    MOIETY = "moiety"
    ALLERGEN = "allergen"


_DERIVED: Final = "-derived"


class SubstanceGroup(NamedTuple):
    """A moiety or allergen group as the resolver uses it: its names and its members.

    ``names`` are every name the group answers to (its id, name and other names; an
    allergen group ``x-derived`` also answers to ``x``). ``members`` holds every ingredient
    of the group, certain or not: screening hides both. (The records of this module that
    ``meso search`` builds are ``NamedTuple`` classes: cheaper to create at import than
    dataclasses, see :mod:`meso_formulary.catalogue.search.runner`.)
    """

    kind: GroupKind
    id: str
    name: str
    names: tuple[str, ...]
    members: tuple[str, ...]

    @classmethod
    def of(
        cls, kind: GroupKind, id: str, name: str, names: Iterable[str], members: Iterable[str]
    ) -> SubstanceGroup:
        """A group answering to ``id``, ``name`` and ``names`` (and to ``x`` if its id is
        ``x-derived``: "fish" excludes the fish-derived)."""
        every = [id.replace("-", " "), name, *names]
        if kind is GroupKind.ALLERGEN and id.endswith(_DERIVED):
            every.append(id.removesuffix(_DERIVED).replace("-", " "))
        return cls(kind, id, name, tuple(dict.fromkeys(every)), tuple(dict.fromkeys(members)))


Declared = tuple[GroupKind, str, str]
"""``(kind, group id, ingredient id)``: an ingredient's own ``moieties`` or
``allergen_groups`` entry (a supplier's ingredient names its groups itself)."""


def with_declared(
    groups: Iterable[SubstanceGroup], declared: Iterable[Declared]
) -> tuple[SubstanceGroup, ...]:
    """``groups`` with the memberships ingredients declare added.

    A declared moiety names a moiety group or an ingredient: an ingredient's moiety groups
    then gain the declaring ingredient, and an ingredient in no group is a moiety of its own
    (a group of that ingredient and every ingredient declaring it, named by nothing). A
    declared group that is not known yet is created, empty of names, so that it still hides
    its members.
    """
    by_key = {(g.kind, g.id): g for g in groups}
    added: dict[tuple[GroupKind, str], list[str]] = {}
    moieties_of: dict[str, list[str]] = {}
    for group in by_key.values():
        if group.kind is GroupKind.MOIETY:
            for member in group.members:
                moieties_of.setdefault(member, []).append(group.id)
    for kind, group_id, ingredient_id in declared:
        targets = [group_id]
        if kind is GroupKind.MOIETY and (kind, group_id) not in by_key:
            # An ingredient: join its moiety groups, or share the moiety it is alone in.
            targets = moieties_of.get(group_id, [])
            if not targets:
                targets = [group_id]
                added.setdefault((kind, group_id), []).append(group_id)
        for target in targets:
            added.setdefault((kind, target), []).append(ingredient_id)
    result = dict(by_key)
    for (kind, group_id), members in added.items():
        known = result.get((kind, group_id)) or SubstanceGroup(kind, group_id, group_id, (), ())
        every = tuple(dict.fromkeys((*known.members, *members)))
        result[(kind, group_id)] = known._replace(members=every)
    return tuple(result.values())


class Exclusion(NamedTuple):
    """What excluding one name hides (see :meth:`NameResolver.exclusion`)."""

    text: str
    """The name as given."""
    ids: tuple[str, ...]
    """Every ingredient to hide: what the name covers first, then its moiety siblings and
    the members of the groups it names (none for a group no ingredient belongs to yet)."""
    groups: tuple[SubstanceGroup, ...]
    """The groups that widened it: the moiety groups of what it covers, and the groups it
    names."""

    @property
    def known(self) -> bool:
        """True when the name names an ingredient or a group; else the caller refuses it."""
        return bool(self.ids or self.groups)


_GroupIndex = dict[str, list[SubstanceGroup]]


class Tier(StrEnum):
    """Which tier of the resolver answered (see the module doc)."""

    ID = "id"
    OWN = "own"
    DICTIONARY = "dictionary"


@dataclass(frozen=True, slots=True)
class NameMatch:
    """What one name resolves to.

    ``ids`` holds the ingredients the answering tier knows by the name: none when the name
    is unknown, one when it resolves, several (sorted) when it is ambiguous. ``moieties``
    holds the ids of their moiety groups (a salt form and its parent, "sodium hyaluronate"
    and "hyaluronic acid", share one); an ingredient in none is its own moiety and adds none.
    """

    text: str
    """The name as given."""
    ids: tuple[str, ...]
    tier: Tier | None = None
    """The tier that answered; ``None`` when none knows the name."""
    moieties: tuple[str, ...] = ()
    """The moiety groups of ``ids`` (when the resolver knows the groups)."""

    @property
    def ingredient_id(self) -> str | None:
        """The one ingredient the name stands for; ``None`` when unknown or ambiguous."""
        return self.ids[0] if len(self.ids) == 1 else None

    @property
    def ambiguous(self) -> bool:
        """True when two or more ingredients of the answering tier share the name."""
        return len(self.ids) > 1


class NameResolver:
    """Ingredient ids, a supplier's own names and the dictionary's names (module doc).

    ``ingredients``: every ingredient the resolver knows, by id (anything with a ``name``:
    suggestions show it); ``dictionary`` and ``own``: the name tables of the two name tiers;
    ``groups``: the moiety and allergen groups (:func:`with_declared` adds the memberships
    ingredients declare). Build one with :meth:`of` from ingredient records, or directly,
    e.g. from a catalogue's stored name rows (:func:`table_of_rows`). Look-ups are
    remembered: build one, reuse it.
    """

    def __init__(
        self,
        ingredients: Mapping[str, Shown],
        dictionary: NameTable,
        own: NameTable | None = None,
        groups: Iterable[SubstanceGroup] = (),
    ) -> None:
        self._names = ingredients
        self.dictionary = dictionary
        """The dictionary tier's name table (reusable by other resolvers over it)."""
        self._tiers = ((Tier.OWN, own or {}), (Tier.DICTIONARY, dictionary))
        self._cache: dict[str, NameMatch] = {}
        self._keys: list[str] | None = None
        self._choices: dict[str, str] | None = None
        self._groups = tuple(groups)
        self._group_index: tuple[_GroupIndex, _GroupIndex] | None = None

    @classmethod
    def of(
        cls,
        dictionary: Iterable[Named],
        own: Iterable[Named] = (),
        *,
        dictionary_table: NameTable | None = None,
        groups: Iterable[SubstanceGroup] = (),
    ) -> NameResolver:
        """The resolver of ``dictionary`` entries under a supplier's ``own`` entries, with
        the substance ``groups``.

        ``dictionary_table`` is :func:`name_table` of ``dictionary``, for callers that build
        many resolvers over one dictionary (it is the costly part).
        """
        dictionary = tuple(dictionary)
        own = tuple(own)
        ingredients = {entry.id: entry for entry in (*dictionary, *own)}
        table = name_table(dictionary) if dictionary_table is None else dictionary_table
        return cls(ingredients, table, name_table(own), groups)

    # ------------------------------------------------------------------ resolving

    def resolve(self, text: str) -> NameMatch:
        """What ``text`` names: the first tier that knows it answers (see the module doc)."""
        found = self._cache.get(text)
        if found is None:
            found = self._resolve(text)
            if len(self._cache) < _CACHE_SIZE:
                self._cache[text] = found
        return found

    def _resolve(self, text: str) -> NameMatch:
        if text in self._names:
            return NameMatch(text, (text,), Tier.ID, self.moieties((text,)))
        key = name_key(text)
        if key in self._names:  # an id in another spelling ("Biotin", " BIOTIN ")
            return NameMatch(text, (key,), Tier.ID, self.moieties((key,)))
        for tier, table in self._tiers:
            ids = table.get(key)
            if ids:
                ids = ids if len(ids) == 1 else tuple(sorted(ids))
                return NameMatch(text, ids, tier, self.moieties(ids))
        return NameMatch(text, ())

    def _indexed_groups(self) -> tuple[_GroupIndex, _GroupIndex]:
        """The groups by name key, and the moiety groups by member (built on first use:
        ``meso search "hair loss"`` resolves no name)."""
        index = self._group_index
        if index is None:  # a race only builds the same index twice
            by_name: _GroupIndex = {}
            moieties_of: _GroupIndex = {}
            for group in self._groups:
                for name in group.names:
                    named = by_name.setdefault(word_key(name), [])
                    if group not in named:
                        named.append(group)
                if group.kind is GroupKind.MOIETY:
                    for member in group.members:
                        moieties_of.setdefault(member, []).append(group)
            index = self._group_index = (by_name, moieties_of)
        return index

    def moieties(self, ids: Iterable[str]) -> tuple[str, ...]:
        """The ids of the moiety groups of the ingredients ``ids``, each once."""
        moieties_of = self._indexed_groups()[1]
        return tuple(dict.fromkeys(group.id for i in ids for group in moieties_of.get(i, ())))

    def exclusion(self, text: str) -> Exclusion:
        """What excluding ``text`` hides (see the module doc): what it covers
        (:meth:`covering`), every ingredient sharing a moiety group with any of that, and
        every member of a moiety or allergen group it names. A name that names nothing is not
        :attr:`~Exclusion.known`: the caller refuses it, never drops it."""
        covered = self.covering(text)
        by_name, moieties_of = self._indexed_groups()
        groups = dict.fromkeys(g for i in covered for g in moieties_of.get(i, ()))
        groups.update(dict.fromkeys(by_name.get(word_key(text), ())))
        ids = dict.fromkeys(covered)
        for group in groups:
            ids.update(dict.fromkeys(group.members))
        return Exclusion(text, tuple(ids), tuple(groups))

    def covering(self, text: str) -> tuple[str, ...]:
        """Every ingredient ``text`` may stand for, in any tier, and every one a longer name
        starting with it names: what an exclusion must hide ("lidocaine" covers "lidocaine
        hydrochloride": a client who cannot have lidocaine cannot have its salt).

        :meth:`resolve`'s answer comes first. A name no tier answers to alone may still cover
        longer names; ``()`` means it names nothing at all.
        """
        key = name_key(text)
        ids = dict.fromkeys(self.resolve(text).ids)
        if key in self._names:
            ids[key] = None
        for _tier, table in self._tiers:
            ids.update(dict.fromkeys(table.get(key, ())))
        if key:
            keys = self._sorted_keys()
            start = bisect.bisect_left(keys, key + " ")
            end = bisect.bisect_left(keys, key + "!")  # "!" follows " ": every "key ..." is before
            for longer in keys[start:end]:
                for _tier, table in self._tiers:
                    ids.update(dict.fromkeys(table.get(longer, ())))
        return tuple(ids)

    def _sorted_keys(self) -> list[str]:
        keys = self._keys
        if keys is None:  # a race only sorts the same keys twice
            keys = self._keys = sorted({key for _tier, table in self._tiers for key in table})
        return keys

    # ------------------------------------------------------------------ when it does not resolve

    def suggest(self, text: str) -> tuple[str, ...]:
        """The ids of up to :data:`SUGGEST_LIMIT` ingredients with a name close to ``text``."""
        choices = self._choices
        if choices is None:
            choices = {}
            for _tier, table in self._tiers:
                for key, ids in table.items():
                    choices.setdefault(key, ids[0])
            self._choices = choices
        return tuple(suggest(text, choices))

    def hint(self, text: str) -> str | None:
        """``did you mean 'id' (Name)?`` for the closest ingredients, or ``None``."""
        shown = []
        for ingredient_id in self.suggest(text):
            name = self._names[ingredient_id].name
            shown.append(repr(ingredient_id) + (f" ({name})" if name != ingredient_id else ""))
        return f"did you mean {either(shown)}?" if shown else None

    def problem(self, match: NameMatch) -> str:
        """Why ``match`` (unknown or ambiguous) names no one ingredient, in one sentence.

        The rules engine (MF102), ``meso validate`` and an import all say it in these words.
        """
        if match.ambiguous:
            return (
                f"ingredient name {match.text!r} is ambiguous: it names "
                f"{', '.join(match.ids)}; use the id"
            )
        hint = self.hint(match.text)
        return f"unknown ingredient {match.text!r}" + (f"; {hint}" if hint else "")


def either(items: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def suggest(
    text: str, choices: Iterable[str] | Mapping[str, str], *, whole: float | None = None
) -> list[str]:
    """Up to :data:`SUGGEST_LIMIT` choices close to ``text``, closest first, each once.

    A choice is close when its ``WRatio`` with ``text`` is at least :data:`SUGGEST_CUTOFF`,
    case, accents-as-typed and punctuation aside (rapidfuzz's ``default_process``). With
    ``whole``, it is close when the plain edit-distance ``ratio`` of the two whole texts is
    at least ``whole`` instead: ``WRatio`` also scores a short choice found inside a longer
    text ("TXA" in "tattoo removal"), which suits a misspelt name but misleads on a
    sentence. With a mapping, its keys are compared and its values returned, each once: the
    several names of one ingredient make one suggestion. Nothing is suggested for a text
    with fewer than :data:`SUGGEST_MIN_CHARS` letters or digits.
    """
    if isinstance(choices, Mapping):
        compared, shown = list(choices), list(choices.values())
    else:
        compared = shown = list(choices)
    if not compared or sum(c.isalnum() for c in text) < SUGGEST_MIN_CHARS:
        return []
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        text,
        compared,
        scorer=fuzz.WRatio if whole is None else fuzz.ratio,
        processor=utils.default_process,
        score_cutoff=SUGGEST_CUTOFF if whole is None else whole,
        limit=None,
    )
    return list(dict.fromkeys(shown[index] for _choice, _score, index in found))[:SUGGEST_LIMIT]


__all__ = [
    "SUGGEST_CUTOFF",
    "SUGGEST_LIMIT",
    "SUGGEST_MIN_CHARS",
    "Declared",
    "Exclusion",
    "GroupKind",
    "NameMatch",
    "NameResolver",
    "NameTable",
    "Named",
    "Shown",
    "SubstanceGroup",
    "Tier",
    "either",
    "name_table",
    "suggest",
    "table_of_rows",
    "with_declared",
    "word_key",
]
