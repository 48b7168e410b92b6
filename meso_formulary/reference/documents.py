"""The shapes of the shipped data files, as pydantic models (loaded only with the data).

:mod:`meso_formulary.reference` imports this module inside its loaders, so that computing
:func:`~meso_formulary.reference.data_digest` (which ``meso search`` does on every start to
find the built reference catalogue) does not load pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from meso_formulary.identifiers import name_key
from meso_formulary.model import (
    AllergenGroup,
    ClientCondition,
    Coding,
    Indication,
    Ingredient,
    MoietyGroup,
    Record,
    TreatmentArea,
)
from meso_formulary.types import LongText, ShortText, SourceText
from meso_formulary.vocabulary import ConditionId, IndicationId, Language


class IngredientDictionary(Record):
    """The shape of ``ingredients.yaml``: one list of ingredients with unique ids."""

    ingredients: tuple[Ingredient, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> IngredientDictionary:
        _refuse_duplicates([ingredient.id for ingredient in self.ingredients], "ingredient id")
        return self


class IndicationList(Record):
    """The shape of ``indications.yaml``: one list of indications with unique ids."""

    indications: tuple[Indication, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> IndicationList:
        _refuse_duplicates([indication.id for indication in self.indications], "indication id")
        return self


class AreaList(Record):
    """The shape of ``areas.yaml``: every treatment area once, with its words."""

    areas: tuple[TreatmentArea, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> AreaList:
        _refuse_duplicates([area.id for area in self.areas], "area id")
        return self


class FunctionWords(Record):
    """The shape of ``function_words.yaml``: per language, the words a search never
    requires and never reads as a concern ("my", "para", "bitte"), and their sources."""

    sources: tuple[SourceText, ...] = Field(min_length=1)
    languages: dict[Language, tuple[ShortText, ...]]

    @model_validator(mode="after")
    def _single_lower_case_words(self) -> FunctionWords:
        for lang, words in self.languages.items():
            for word in words:
                if word != word.lower() or len(word.split()) != 1:
                    raise ValueError(f"{lang.value}: {word!r} is not one lower-case word")
        return self


class SubstanceGroups(Record):
    """The shape of ``substances.yaml``: the moiety groups and the allergen groups."""

    moieties: tuple[MoietyGroup, ...]
    allergen_groups: tuple[AllergenGroup, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> SubstanceGroups:
        _refuse_duplicates([group.id for group in self.moieties], "moiety group id")
        _refuse_duplicates([group.id for group in self.allergen_groups], "allergen group id")
        return self


class ConditionList(Record):
    """The shape of ``conditions.yaml``: the client conditions, each once."""

    conditions: tuple[ClientCondition, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> ConditionList:
        _refuse_duplicates([condition.id for condition in self.conditions], "condition id")
        return self


class NearWord(Record):
    """A medically distinct word that looks like a concern's words: never read as the
    concern, exactly or as a typo; read as ``condition`` when it names one."""

    word: ShortText
    languages: tuple[Language, ...] = Field(min_length=1)
    what: LongText
    """What the word names."""
    resembles: tuple[IndicationId, ...] = Field(min_length=1)
    """The concerns it could be taken for."""
    kind: Literal["spelling", "prefix", "shared-word", "semantic"]
    """How it resembles them: a letter or two apart, the same prefix, a concern word plus a
    qualifier, or another spelling with an easily confused meaning."""
    condition: ConditionId | None = None
    codes: tuple[Coding, ...] = ()
    note: LongText | None = None
    sources: tuple[SourceText, ...] = Field(min_length=1)


class NearWordList(Record):
    """The shape of ``near_words.yaml``: each word once (by its :func:`name_key`)."""

    near_words: tuple[NearWord, ...]

    @model_validator(mode="after")
    def _unique_words(self) -> NearWordList:
        _refuse_duplicates([name_key(n.word) for n in self.near_words], "near-word")
        return self


def _refuse_duplicates(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


__all__ = [
    "AreaList",
    "ConditionList",
    "FunctionWords",
    "IndicationList",
    "IngredientDictionary",
    "Language",
    "NearWord",
    "NearWordList",
    "SubstanceGroups",
]
