"""The ingredient and indication dictionary: name resolution and the shipped reference data.

A supplier file may name an ingredient by its id, name, INCI name or a synonym, in any
Unicode spelling (``"Vitamin B₁₂"``, ``"vitamin\u00a0b12"``, NFD accents, any case): every
name is looked up by :func:`~meso_formulary.identifiers.name_key`. Resolution is tiered so a
supplier's own dictionary entries shadow the reference dictionary for that supplier's file:

1. an ingredient id (in any spelling whose name key is the id: ``Biotin`` is ``biotin``);
2. a name key of one of the file's own ingredients;
3. a name key of a reference ingredient.

Ids come first so that what the store writes (ids) always reads back as the same ingredient,
whatever synonyms a supplier gives its own ingredients.

Two ingredients sharing a name key in the same tier make that name ambiguous; the importer
reports it and asks for the id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process, utils

from meso_formulary.identifiers import clean_text, name_key
from meso_formulary.model import Indication, Ingredient, IngredientClass

MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 70.0
"""Smallest rapidfuzz WRatio (0-100) worth offering as "did you mean"."""


@dataclass(frozen=True)
class ReferenceData:
    """The shipped dictionary every catalogue carries, and the digest of the files it came from."""

    ingredients: tuple[Ingredient, ...]
    indications: tuple[Indication, ...]
    digest: str

    @classmethod
    def shipped(cls) -> ReferenceData:
        """The reference data installed with the package (loaded once per process)."""
        from meso_formulary import reference

        return cls(
            ingredients=tuple(reference.ingredients()),
            indications=tuple(reference.indications()),
            digest=reference.data_digest(),
        )


@dataclass(frozen=True)
class Ambiguous:
    """A name that two or more ingredients of one tier answer to."""

    candidates: tuple[str, ...]


def ingredient_terms(ingredient: Ingredient) -> str:
    """What the full-text index holds for one ingredient: its names, NFKC-cleaned."""
    return _unique_terms(ingredient.names()[1:])


def indication_terms(indication: Indication) -> str:
    """What the full-text index holds for one indication: its name and lay synonyms."""
    return _unique_terms((indication.name, *indication.synonyms))


def _unique_terms(names: Iterable[str]) -> str:
    seen: dict[str, str] = {}
    for name in names:
        text = clean_text(name)
        seen.setdefault(text.casefold(), text)
    return " ".join(seen.values())


def name_rows(ingredient: Ingredient) -> list[tuple[str, str, str]]:
    """``(key, ingredient_id, name)`` rows of ``ingredient_names`` for one ingredient."""
    rows: dict[str, tuple[str, str, str]] = {}
    for name in ingredient.names():
        key = name_key(name)
        if key:
            rows.setdefault(key, (key, ingredient.id, name))
    return list(rows.values())


def synonym_rows(indication: Indication) -> list[tuple[str, str, str]]:
    """``(key, indication_id, synonym)`` rows of ``indication_synonyms`` for one indication."""
    rows: dict[str, tuple[str, str, str]] = {}
    for synonym in (indication.name, *indication.synonyms):
        key = name_key(synonym)
        if key:
            rows.setdefault(key, (key, indication.id.value, synonym))
    return list(rows.values())


NameIndex = Mapping[str, list[str]]
"""Name key -> the ids of the ingredients known by it."""


def name_index(ingredients: Iterable[Ingredient]) -> NameIndex:
    """Every name key of ``ingredients`` and the ids it names (see :func:`name_rows`)."""
    index: dict[str, list[str]] = {}
    for ingredient in ingredients:
        for key, ingredient_id, _name in name_rows(ingredient):
            ids = index.setdefault(key, [])
            if ingredient_id not in ids:
                ids.append(ingredient_id)
    return index


class Dictionary:
    """The ingredients one import may refer to, by id and by name key (see module doc).

    ``reference_index`` is :func:`name_index` of ``reference``, for callers that build many
    dictionaries over one reference (it is the costly part). The own ingredients must not
    redefine reference ids with other facts (the importer refuses that before).
    """

    def __init__(
        self,
        reference: Iterable[Ingredient],
        own: Iterable[Ingredient] = (),
        *,
        reference_index: NameIndex | None = None,
    ) -> None:
        own = tuple(own)
        self.ingredients: dict[str, Ingredient] = {i.id: i for i in reference}
        if reference_index is None:
            reference_index = name_index(self.ingredients.values())
        self.ingredients.update((i.id, i) for i in own)
        self._tiers = (name_index(own), reference_index)
        self._cache: dict[str, str | Ambiguous | None] = {}

    def resolve(self, text: str) -> str | Ambiguous | None:
        """The ingredient id ``text`` names, :class:`Ambiguous`, or ``None`` when unknown."""
        if text in self._cache:
            return self._cache[text]
        result = self._resolve(text)
        self._cache[text] = result
        return result

    def _resolve(self, text: str) -> str | Ambiguous | None:
        if text in self.ingredients:
            return text
        key = name_key(text)
        if key in self.ingredients:  # an id in another spelling ("Biotin", " BIOTIN ")
            return key
        for tier in self._tiers:
            ids = tier.get(key)
            if ids:
                return ids[0] if len(ids) == 1 else Ambiguous(tuple(sorted(ids)))
        return None

    def suggest(self, text: str) -> list[str]:
        """Up to three ingredients with a name close to ``text``, as ``Name (id)``."""
        matches = process.extract(
            name_key(text),
            self._choices,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=MAX_SUGGESTIONS * 3,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        found: dict[str, None] = {}
        for key, _score, _index in matches:
            found.update(dict.fromkeys(self._ids_by_key[key]))
        shown = []
        for ingredient_id in list(found)[:MAX_SUGGESTIONS]:
            name = self.ingredients[ingredient_id].name
            shown.append(f"{name} ({ingredient_id})" if name != ingredient_id else name)
        return shown

    @cached_property
    def _ids_by_key(self) -> dict[str, list[str]]:
        merged: dict[str, list[str]] = {}
        for tier in self._tiers:
            for key, ids in tier.items():
                known = merged.setdefault(key, [])
                known.extend(i for i in ids if i not in known)
        return merged

    @cached_property
    def _choices(self) -> list[str]:
        return list(self._ids_by_key)

    def is_active(self, ingredient_id: str) -> bool:
        """True unless the ingredient is an excipient (counted in ``n_actives``)."""
        return self.ingredients[ingredient_id].ingredient_class is not IngredientClass.EXCIPIENT
