"""The ingredient and indication dictionary of an import, and the shipped reference data.

A supplier file may name an ingredient by its id, name, INCI name or a synonym, in any
Unicode spelling (``"Vitamin B₁₂"``, ``"vitamin\u00a0b12"``, NFD accents, any case). Names
resolve as everywhere else in the project (:mod:`meso_formulary.names`): an ingredient id
first, then a name of the file's own ingredients, then a name of the reference dictionary,
so a supplier's own entries shadow the reference for that supplier's file. Two ingredients
of one tier sharing a name make it ambiguous; the importer reports it and asks for the id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from meso_formulary.identifiers import clean_text, name_key
from meso_formulary.model import (
    AllergenGroup,
    ClientCondition,
    Indication,
    Ingredient,
    IngredientClass,
    MoietyGroup,
    TreatmentArea,
)
from meso_formulary.names import NameMatch, NameResolver, NameTable
from meso_formulary.reference.documents import NearWord
from meso_formulary.rules import IngredientIndex
from meso_formulary.vocabulary import Language


@dataclass(frozen=True)
class ReferenceData:
    """The shipped dictionary every catalogue carries, and the digest of the files it came from.

    The screening data (moiety and allergen groups, client conditions, near-words) default
    to none, for a hand-made reference of a few ingredients.
    """

    ingredients: tuple[Ingredient, ...]
    indications: tuple[Indication, ...]
    digest: str
    moieties: tuple[MoietyGroup, ...] = ()
    allergen_groups: tuple[AllergenGroup, ...] = ()
    conditions: tuple[ClientCondition, ...] = ()
    near_words: tuple[NearWord, ...] = ()
    areas: tuple[TreatmentArea, ...] = ()
    function_words: tuple[tuple[Language, tuple[str, ...]], ...] = ()
    """Per language, the words a search never requires."""

    @classmethod
    def shipped(cls) -> ReferenceData:
        """The reference data installed with the package: one object per process, so that
        what is computed from it once (the search's phrase rows) is found again by identity."""
        return _shipped()

    @classmethod
    def _load_shipped(cls) -> ReferenceData:
        from meso_formulary import reference

        substances = reference.substances()
        return cls(
            ingredients=tuple(reference.ingredients()),
            indications=tuple(reference.indications()),
            digest=reference.data_digest(),
            moieties=substances.moieties,
            allergen_groups=substances.allergen_groups,
            conditions=tuple(reference.conditions()),
            near_words=tuple(reference.near_words()),
            areas=reference.areas(),
            function_words=tuple(reference.function_words().languages.items()),
        )


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


class Dictionary:
    """The ingredients one import may refer to, by id and by name (see module doc).

    ``reference_names`` is :func:`~meso_formulary.names.name_table` of ``reference``, for
    callers that build many dictionaries over one reference (it is the costly part). The own
    ingredients must not redefine reference ids with other facts (the importer refuses that
    before). The rules engine checks the import's cocktails against :attr:`index`, so rules
    and import resolve every name alike.
    """

    def __init__(
        self,
        reference: Iterable[Ingredient],
        own: Iterable[Ingredient] = (),
        *,
        reference_names: NameTable | None = None,
    ) -> None:
        self.index = IngredientIndex.build(reference, own=own, dictionary_table=reference_names)
        self.ingredients = self.index.by_id

    @property
    def names(self) -> NameResolver:
        """The import's name resolver."""
        return self.index.names

    def resolve(self, text: str) -> NameMatch:
        """What ``text`` names (see :class:`~meso_formulary.names.NameMatch`)."""
        return self.index.names.resolve(text)

    def is_active(self, ingredient_id: str) -> bool:
        """True unless the ingredient is an excipient (counted in ``n_actives``)."""
        return self.ingredients[ingredient_id].ingredient_class is not IngredientClass.EXCIPIENT


@cache
def _shipped() -> ReferenceData:
    return ReferenceData._load_shipped()
