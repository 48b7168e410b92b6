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

Standard library only at import: rapidfuzz loads when a suggestion is asked for, so exact
look-ups (``meso search "hair loss"``, an import of ids) never pay for it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

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


class Tier(StrEnum):
    """Which tier of the resolver answered (see the module doc)."""

    ID = "id"
    OWN = "own"
    DICTIONARY = "dictionary"


@dataclass(frozen=True, slots=True)
class NameMatch:
    """What one name resolves to.

    ``ids`` holds the ingredients the answering tier knows by the name: none when the name
    is unknown, one when it resolves, several (sorted) when it is ambiguous. The screening
    issue adds the ingredient's active-moiety and allergen groups to this record (a salt form
    and its parent, "sodium hyaluronate" and "hyaluronic acid", share one), as a field with
    a default: callers read fields by name, so an added field changes none of them.
    """

    text: str
    """The name as given."""
    ids: tuple[str, ...]
    tier: Tier | None = None
    """The tier that answered; ``None`` when none knows the name."""

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
    suggestions show it); ``dictionary`` and ``own``: the name tables of the two name tiers.
    Build one with :meth:`of` from ingredient records, or directly, e.g. from a catalogue's
    stored name rows (:func:`table_of_rows`). Look-ups are remembered: build one, reuse it.
    """

    def __init__(
        self,
        ingredients: Mapping[str, Shown],
        dictionary: NameTable,
        own: NameTable | None = None,
    ) -> None:
        self._names = ingredients
        self.dictionary = dictionary
        """The dictionary tier's name table (reusable by other resolvers over it)."""
        self._tiers = ((Tier.OWN, own or {}), (Tier.DICTIONARY, dictionary))
        self._cache: dict[str, NameMatch] = {}
        self._keys: list[str] | None = None
        self._choices: dict[str, str] | None = None

    @classmethod
    def of(
        cls,
        dictionary: Iterable[Named],
        own: Iterable[Named] = (),
        *,
        dictionary_table: NameTable | None = None,
    ) -> NameResolver:
        """The resolver of ``dictionary`` entries under a supplier's ``own`` entries.

        ``dictionary_table`` is :func:`name_table` of ``dictionary``, for callers that build
        many resolvers over one dictionary (it is the costly part).
        """
        dictionary = tuple(dictionary)
        own = tuple(own)
        ingredients = {entry.id: entry for entry in (*dictionary, *own)}
        table = name_table(dictionary) if dictionary_table is None else dictionary_table
        return cls(ingredients, table, name_table(own))

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
            return NameMatch(text, (text,), Tier.ID)
        key = name_key(text)
        if key in self._names:  # an id in another spelling ("Biotin", " BIOTIN ")
            return NameMatch(text, (key,), Tier.ID)
        for tier, table in self._tiers:
            ids = table.get(key)
            if ids:
                return NameMatch(text, ids if len(ids) == 1 else tuple(sorted(ids)), tier)
        return NameMatch(text, ())

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


def suggest(text: str, choices: Iterable[str] | Mapping[str, str]) -> list[str]:
    """Up to :data:`SUGGEST_LIMIT` choices close to ``text``, closest first, each once.

    A choice is close when its ``WRatio`` with ``text`` is at least :data:`SUGGEST_CUTOFF`,
    case, accents-as-typed and punctuation aside (rapidfuzz's ``default_process``). With a
    mapping, its keys are compared and its values returned, each once: the several names
    of one ingredient make one suggestion. Nothing is suggested for a text with fewer than
    :data:`SUGGEST_MIN_CHARS` letters or digits.
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
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=SUGGEST_CUTOFF,
        limit=None,
    )
    return list(dict.fromkeys(shown[index] for _choice, _score, index in found))[:SUGGEST_LIMIT]


__all__ = [
    "SUGGEST_CUTOFF",
    "SUGGEST_LIMIT",
    "SUGGEST_MIN_CHARS",
    "NameMatch",
    "NameResolver",
    "NameTable",
    "Named",
    "Shown",
    "Tier",
    "either",
    "name_table",
    "suggest",
    "table_of_rows",
]
