"""Lay words to catalogue vocabulary: concerns, ingredient names, classes and origins.

A client says "panda eyes", "celulite" or "biotin for hair loss on the scalp"; the catalogue
is organised by indication ids (``dark_circles``, ``cellulite``, ``alopecia``). A
:class:`Lexicon` holds every indication name and lay synonym and every ingredient name, and
answers, for the CLI and the web alike (both go through :mod:`.engine`):

- which concerns, treatment areas and brands a text names (:meth:`Lexicon.read`, by
  :mod:`.reading`: phrases, then stems in six languages, then typos);
- which ingredient ids a filter name means (:meth:`Lexicon.resolve_ingredient`), and what
  an exclusion hides (:meth:`Lexicon.resolve_exclusion`: the moiety groups and allergen
  groups too), by the project's one resolver (:mod:`meso_formulary.names`);
- what the user may have meant when nothing matched (:meth:`Lexicon.did_you_mean`, by the
  project's one :func:`~meso_formulary.names.suggest`);
- what the text says about the client (:meth:`Lexicon.screening`: "pregnant", "allergic to
  fish"), read before any concern, and the near-words no concern may take ("cellulitis"),
  both by :mod:`.screening_words`.

Class and origin names (:func:`parse_class`, :func:`parse_origins`) need no data: they are
checked against the model's enumerations, forgiving plurals, US spellings and "-derived".

Fuzzy matching uses ``fuzz.ratio`` over windows of typed words, not ``WRatio``: WRatio
mixes in partial scores, so a plain word found inside a longer synonym scores 90 ("hair" ->
"hair loss", "skin" -> "skin rejuvenation", "face" -> "non surgical facelift", "booster" ->
"skin booster"), and a concern read that way becomes an indication filter that silently
hides results. ``ratio`` only forgives edits.

Standard library only at import: rapidfuzz is imported by the fuzzy pass, which runs only
when typed words are left over after the phrase and stem lookups, and by :func:`suggest`, so
``meso search "hair loss"`` never loads it (start-up time, see ``bench/bench_cli.py``). For
the same reason the records are ``NamedTuple`` classes, and there is no ``from __future__
import annotations`` (see :mod:`.runner`).
"""

import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import cache, cached_property
from typing import NamedTuple, Self, TypeVar

from meso_formulary.catalogue.search.reading import FUZZY_CUTOFF, Reading, TextReader
from meso_formulary.catalogue.search.screening_words import ScreeningScan, ScreeningWords
from meso_formulary.errors import SearchError
from meso_formulary.names import (
    SUGGEST_LIMIT,
    Exclusion,
    GroupKind,
    NameResolver,
    SubstanceGroup,
    suggest,
    table_of_rows,
    with_declared,
    word_key,
)
from meso_formulary.vocabulary import Area, ConditionId, IndicationId, IngredientClass, Origin

SUGGEST_PHRASE_CUTOFF = 80.0
"""Least ``fuzz.ratio`` of a run of typed words and a concern or area phrase to offer it."""

SUGGEST_NAME_CUTOFF = 80.0
"""Least ``fuzz.ratio`` of a typed text and an ingredient name to offer the name."""

INGREDIENT_WORDS = 3
"""A text of more words is a sentence, never offered an ingredient name."""

NEGATIONS = frozenset({"no", "not", "without", "excluding", "exclude", "except"})
"""Words that turn what follows into an exclusion when it names an ingredient, class or
origin ("no lidocaine"); see :meth:`Lexicon.negations`."""


class Negation(NamedTuple):
    """An exclusion typed in the text ("no lidocaine", "without fish", "anaesthetic-free")."""

    term: str
    """What is excluded, as a word key ("lidocaine", "fish", "anaesthetic")."""
    ingredient_ids: tuple[str, ...]
    """The ingredients it names (for a class, every ingredient of the class)."""
    classes: tuple[IngredientClass, ...] = ()
    """The class it names, if it names one: the search excludes it by class."""


class NegationScan(NamedTuple):
    """The exclusions found among typed words, and the words left."""

    negations: tuple[Negation, ...]
    remainder: tuple[str, ...]


class ResolvedIngredient(NamedTuple):
    """A filter name and the ingredient ids it stands for."""

    term: str
    ids: tuple[str, ...]
    """What the one resolver makes of the name, then every other ingredient it covers (see
    :meth:`~meso_formulary.names.NameResolver.covering`: "lidocaine hydrochloride" too)."""


class IngredientFacts(NamedTuple):
    """What a search needs to know of one ingredient beyond its names."""

    name: str
    ingredient_class: IngredientClass
    origin: Origin | None


class Lexicon:
    """What a search knows of one catalogue state: its concern phrases, ingredient names,
    substance groups, client conditions and near-words.

    ``phrases``: ``(indication_id, phrase, folded key)``, every name, synonym and term of
    each indication (what screening must not take from a concern, and what a suggestion
    offers); ``ingredients``: ``(ingredient_id, name, class, origin or None)``;
    ``ingredient_names``: ``(key, ingredient_id, name)`` for every name (id, name, INCI,
    synonyms), the key being the name's :func:`name_key` (the catalogue stores it, so a
    large dictionary is not keyed again); ``groups``: the moiety and allergen groups
    (memberships ingredients declare included, :func:`~meso_formulary.names.with_declared`);
    ``conditions``: ``(condition id, name)`` of the screening vocabulary;
    ``condition_words``: ``(condition id, name or synonym)``, what the concern box reads as
    a condition; ``near_words``: ``(word, condition id or None)``, words no concern may take;
    ``names``: ``("indication:ID" or "area:ID", name)``, what a reason calls them;
    ``area_phrases``: ``(area id, phrase)``, what a suggestion may offer too.
    Build it once per catalogue state (:meth:`from_connection`); a text is read against the
    catalogue itself (:meth:`read`, see :mod:`.reading`).
    """

    def __init__(
        self,
        phrases: Iterable[tuple[str, str, str]],
        ingredients: Iterable[tuple[str, str, str, str | None]] = (),
        ingredient_names: Iterable[tuple[str, str, str]] = (),
        groups: Iterable[SubstanceGroup] = (),
        conditions: Iterable[tuple[str, str]] = (),
        condition_words: Iterable[tuple[str, str]] = (),
        near_words: Iterable[tuple[str, str | None]] = (),
        names: Iterable[tuple[str, str]] = (),
        area_phrases: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._phrase_rows = list(phrases)
        self._area_rows = list(area_phrases)
        self._display = dict(names)

        self._facts: dict[str, IngredientFacts] = {}
        self._by_class: dict[IngredientClass, list[str]] = {}
        self._by_origin: dict[Origin, list[str]] = {}
        classes = {c.value: c for c in IngredientClass}
        origins: dict[str | None, Origin | None] = {o.value: o for o in Origin}
        origins[None] = None
        for ingredient_id, name, cls, origin in ingredients:
            facts = IngredientFacts(name, classes[cls], origins[origin])
            self._facts[ingredient_id] = facts
            self._by_class.setdefault(facts.ingredient_class, []).append(ingredient_id)
            if facts.origin is not None:
                self._by_origin.setdefault(facts.origin, []).append(ingredient_id)

        # A search has no supplier of its own: every ingredient's names are the dictionary.
        self._name_rows = list(ingredient_names)
        groups = tuple(groups)
        self._names = NameResolver(
            self._facts, table_of_rows((key, i) for key, i, _name in self._name_rows), None, groups
        )
        self._allergens = {g.id: g for g in groups if g.kind is GroupKind.ALLERGEN}
        self._conditions = dict(conditions)
        self._condition_words = list(condition_words)
        self._near_word_rows = list(near_words)
        self._reader = TextReader(self._near_word_mask, self._near_typo_of)

    # What only the typo pass and the suggestions need is built on first use: most searches
    # never need it, and ``meso search`` builds a lexicon in every process.

    @cached_property
    def _screening_words(self) -> ScreeningWords:
        """The condition phrases and near-words, indexed (see :mod:`.screening_words`)."""
        return ScreeningWords(
            self._condition_words,
            self._near_word_rows,
            ((text, key) for _, text, key in self._phrase_rows),
        )

    @cached_property
    def _near_choices(self) -> list[str]:
        """The near-words as rapidfuzz compares them (see :meth:`_near_typo`)."""
        from rapidfuzz import utils

        return [utils.default_process(w) for w in self._screening_words.near_words]

    @cached_property
    def _suggestions(self) -> dict[str, str]:
        """What :meth:`did_you_mean` offers for concern-like text: each indication and area
        phrase, as itself."""
        texts = [text for _, text, _key in self._phrase_rows]
        texts += [text for _, text in self._area_rows]
        return {text: text for text in texts}

    @cached_property
    def _ingredient_suggestions(self) -> dict[str, str]:
        """What :meth:`did_you_mean` offers for ingredient-like text: each ingredient name
        as its ingredient's name (one suggestion per ingredient)."""
        choices: dict[str, str] = {}
        for _key, ingredient_id, name in self._name_rows:
            facts = self._facts.get(ingredient_id)
            choices.setdefault(name, name if facts is None else facts.name)
        return choices

    # ------------------------------------------------------------------ building

    @classmethod
    def from_connection(cls, conn: sqlite3.Connection) -> Self:
        """From a catalogue's indications and their phrases, ``ingredient_names``, substance
        groups, conditions and their words, and near-words (read as rows: no model is
        loaded)."""
        phrases: list[tuple[str, str, str]] = conn.execute(
            "SELECT target, phrase, key FROM search_phrases WHERE kind = 'indication'"
        ).fetchall()
        areas: list[tuple[str, str]] = conn.execute(
            "SELECT target, phrase FROM search_phrases WHERE kind = 'area'"
        ).fetchall()
        facts = conn.execute("SELECT id, name, ingredient_class, origin FROM ingredients")
        names = conn.execute("SELECT key, ingredient_id, name FROM ingredient_names")
        conditions = conn.execute("SELECT id, name FROM conditions ORDER BY rowid").fetchall()
        words = conn.execute("SELECT condition_id, word FROM condition_words").fetchall()
        near = conn.execute("SELECT word, condition_id FROM near_words").fetchall()
        display = conn.execute(
            "SELECT 'indication:' || id, name FROM indications "
            "UNION ALL SELECT 'area:' || id, name FROM areas"
        ).fetchall()
        return cls(
            phrases,
            facts.fetchall(),
            names.fetchall(),
            _stored_groups(conn),
            conditions,
            words,
            near,
            display,
            areas,
        )

    # ------------------------------------------------------------------ reading

    def read(self, conn: sqlite3.Connection, text: str) -> Reading:
        """The concerns, areas and brands ``text`` names in the catalogue on ``conn`` (the
        one this lexicon was built from), and the words left (see :mod:`.reading`)."""
        return self._reader.read(conn, text)

    def _near_word_mask(self, words: Sequence[str]) -> list[bool]:
        return self._screening_words.near_word_mask(words)

    def _near_typo_of(self, text: str, score: float) -> bool:
        """True when ``text`` is at least as close (``score``) to a near-word."""
        from rapidfuzz import fuzz, process

        nearer = process.extractOne(
            text, self._near_choices, scorer=fuzz.ratio, processor=None, score_cutoff=score
        )
        return nearer is not None

    # ------------------------------------------------------------------ ingredients

    def resolve_ingredient(self, name: str) -> ResolvedIngredient:
        """The ingredient ids ``name`` (an id, name, INCI or synonym) stands for.

        The one resolver's answer (:meth:`~meso_formulary.names.NameResolver.resolve`), then
        every ingredient the name covers: another the name also means (a search has no
        supplier to prefer, so a name two suppliers use means both) and those named by it
        plus more words, so that "lidocaine" covers "lidocaine hydrochloride": a client who
        cannot have lidocaine cannot have its salt, and an exclusion hides too much rather
        than too little. A name that matches nothing raises :class:`SearchError` with
        suggestions; a misspelt filter is never replaced by a look-alike.
        """
        ids = self._names.covering(name)
        if not ids:
            raise SearchError(f"unknown ingredient {name!r}", hint=self._names.hint(name))
        return ResolvedIngredient(term=name, ids=ids)

    def resolve_exclusion(self, name: str) -> Exclusion:
        """What excluding ``name`` hides: every ingredient it covers, every ingredient
        sharing a moiety group with one of them ("hyaluronic acid" hides sodium hyaluronate),
        and every member of a group it names ("vitamin C", "fish"), certain or not (see
        :meth:`~meso_formulary.names.NameResolver.exclusion`). A name that matches nothing
        raises :class:`SearchError` with suggestions: an exclusion is never dropped."""
        exclusion = self._names.exclusion(name)
        if not exclusion.known:
            raise SearchError(f"unknown ingredient {name!r}", hint=self._names.hint(name))
        return exclusion

    def ingredients_of(
        self, classes: Iterable[IngredientClass] = (), origins: Iterable[Origin] = ()
    ) -> tuple[str, ...]:
        """The ids of every ingredient of one of ``classes`` or one of ``origins``, sorted.

        An origin also covers the members of its allergen group (``fish`` the
        ``fish-derived`` group, members whose origin is not stated included)."""
        ids = [i for c in classes for i in self._by_class.get(c, ())]
        ids += [i for o in origins for i in self._by_origin.get(o, ())]
        for origin in origins:
            group = self._allergens.get(f"{origin.value}-derived")
            ids += group.members if group is not None else ()
        return tuple(sorted(set(ids)))

    def indication_name(self, indication_id: str) -> str:
        """The name of an indication (its id as words when the catalogue stores none)."""
        return self._display.get(f"indication:{indication_id}", indication_id.replace("_", " "))

    def area_name(self, area: str) -> str:
        """The plain name of a treatment area (its id when the catalogue stores none)."""
        return self._display.get(f"area:{area}", area)

    def condition_name(self, condition_id: str) -> str:
        """The name of a client condition (its id when the catalogue stores none)."""
        return self._conditions.get(condition_id, condition_id)

    def negations(self, tokens: Sequence[str]) -> NegationScan:
        """Exclusions typed as words, and the other words.

        "no X", "not X", "without X", "excluding X" and "X-free", where X (up to three words)
        names an ingredient, an ingredient class or an origin, exclude it: typed into a search
        box, "hair loss no lidocaine" must not look *for* lidocaine. Anything else stays a
        word to search for ("no downtime").
        """
        found: list[Negation] = []
        rest: list[str] = []
        i = 0
        while i < len(tokens):
            key = word_key(tokens[i])
            negation = None
            if key in NEGATIONS:
                for size in (3, 2, 1):
                    if i + size < len(tokens):
                        negation = self._negation(word_key(" ".join(tokens[i + 1 : i + 1 + size])))
                        if negation is not None:
                            i += 1 + size
                            break
            elif key.endswith(" free"):
                negation = self._negation(key.removesuffix(" free"))
                if negation is not None:
                    i += 1
            if negation is None:
                rest.append(tokens[i])
                i += 1
            else:
                found.append(negation)
        return NegationScan(tuple(found), tuple(rest))

    def _negation(self, term: str) -> Negation | None:
        """``term`` as an ingredient or a group (what :meth:`resolve_exclusion` hides), else
        a class, else an origin; ``None`` if none of them."""
        ids = self._names.exclusion(term).ids
        if ids:
            return Negation(term, ids)
        cls = _find_choice(term, IngredientClass)
        if cls is not None:
            return Negation(term, self.ingredients_of([cls]), (cls,))
        origins = _find_origins(term)
        if origins is not None:
            return Negation(term, self.ingredients_of(origins=origins))
        return None

    def facts(self, ingredient_id: str) -> IngredientFacts | None:
        """The name, class and origin of ``ingredient_id``, or ``None`` if it is unknown."""
        return self._facts.get(ingredient_id)

    # ------------------------------------------------------------------ suggestions

    def did_you_mean(self, text: str) -> list[str]:
        """What the user may have meant by ``text``, which found nothing (:func:`suggest`).

        Concern-like text gets the concern and area phrases closest to a run of its words
        (:data:`SUGGEST_PHRASE_CUTOFF`, plain edit distance: "dark circels" -> "dark
        circles"); text of at most :data:`INGREDIENT_WORDS` words that no phrase is close
        to gets the ingredient names close to the whole of it (:data:`SUGGEST_NAME_CUTOFF`:
        "biotine" -> "Biotin"). Below those, nothing: "tattoo removal" is offered no "TXA".
        Only for the words a search would look for, never the screening words ("lidocaine
        allergy" offers no "lidocaine": the client is allergic to it); and nothing for a
        text holding a near-word or a typo of one ("cellulitis", "lipedema thighs":
        offering "celulitis" or "dimpled thighs" would read an infection or a disease as
        cellulite).
        """
        left = self.screening(text).rest
        words = word_key(left).split()
        if not words or any(self._screening_words.near_word_mask(words)):
            return []
        if self._near_typo(" ".join(words)):
            return []
        found: dict[str, None] = {}
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                window = " ".join(words[start : start + size])
                for phrase in suggest(window, self._suggestions, whole=SUGGEST_PHRASE_CUTOFF):
                    found.setdefault(phrase)
        if found:
            return list(found)[:SUGGEST_LIMIT]
        if len(words) > INGREDIENT_WORDS:
            return []
        return suggest(left, self._ingredient_suggestions, whole=SUGGEST_NAME_CUTOFF)

    def _near_typo(self, text: str) -> bool:
        """True when ``text`` is as close to a near-word as a typo is to a concern
        ("cellulitus"): offering the concern would be a guess the other way."""
        from rapidfuzz import utils

        return self._near_typo_of(utils.default_process(text), FUZZY_CUTOFF)

    # ------------------------------------------------------------------ screening

    def screening(self, text: str) -> ScreeningScan:
        """The client conditions and exclusions ``text`` states ("pregnant", "allergic to
        fish", "Lidocain-Allergie", "taking warfarin", "celulitis infecciosa"), and the text
        left to search (see :mod:`.screening_words`). An allergen a condition names is that
        condition ("fish allergy": fish-allergy); any other one the catalogue knows (an
        ingredient or a group, by the one resolver) is an exclusion, as is the first one
        typed after "allergic to" even when nothing names it: the resolver refuses it with
        suggestions rather than the search looking for it."""
        return self._screening_words.scan(text, self._knows)

    def _knows(self, name: str) -> bool:
        return self._names.exclusion(name).known


def _stored_groups(conn: sqlite3.Connection) -> tuple[SubstanceGroup, ...]:
    """The substance groups a catalogue stores, with the memberships its ingredients
    declare (:func:`~meso_formulary.names.with_declared`)."""
    kinds = {k.value: k for k in GroupKind}
    names: dict[tuple[str, str], list[str]] = {}
    for kind, group_id, name in conn.execute(
        "SELECT kind, group_id, name FROM substance_group_names"
    ):
        names.setdefault((kind, group_id), []).append(name)
    members: dict[tuple[str, str], list[str]] = {}
    declared: list[tuple[GroupKind, str, str]] = []
    for kind, group_id, ingredient_id, own in conn.execute(
        "SELECT kind, group_id, ingredient_id, declared FROM substance_group_members"
    ):
        if own:
            declared.append((kinds[kind], group_id, ingredient_id))
        else:
            members.setdefault((kind, group_id), []).append(ingredient_id)
    groups = [
        SubstanceGroup(
            kinds[kind],
            group_id,
            name,
            tuple(names.get((kind, group_id), ())),
            tuple(members.get((kind, group_id), ())),
        )
        for kind, group_id, name in conn.execute("SELECT kind, id, name FROM substance_groups")
    ]
    return with_declared(groups, declared)


def _hint(suggestions: Sequence[str]) -> str | None:
    return "did you mean: " + ", ".join(suggestions) + "?" if suggestions else None


# ---------------------------------------------------------------- classes and origins


_Choice = TypeVar("_Choice", bound=StrEnum)


def _enum_key(text: str) -> str:
    """Spelling-insensitive key: no accents, US/UK ``ae``/``oe``, singular words, ``_`` joins."""
    text = unicodedata.normalize("NFKD", word_key(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ae", "e").replace("oe", "e")
    return "_".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in text.split())


_ANIMAL = (Origin.FISH, Origin.BOVINE, Origin.PORCINE, Origin.AVIAN, Origin.HUMAN)
_ORIGIN_ALIASES: dict[str, tuple[Origin, ...]] = {
    "animal": _ANIMAL,
    "marine": (Origin.FISH,),
    "salmon": (Origin.FISH,),
    "cow": (Origin.BOVINE,),
    "beef": (Origin.BOVINE,),
    "pig": (Origin.PORCINE,),
    "pork": (Origin.PORCINE,),
    "chicken": (Origin.AVIAN,),
    "bird": (Origin.AVIAN,),
    "poultry": (Origin.AVIAN,),
    "egg": (Origin.AVIAN,),
    "botanical": (Origin.PLANT,),
    "vegetable": (Origin.PLANT,),
}
_ORIGIN_SUFFIXES = ("_derived", "_based", "_origin", "_sourced", "_product")


@cache
def _origin_keys() -> dict[str, tuple[Origin, ...]]:
    """Every origin and alias by its :func:`_enum_key` (built on first use, not at import)."""
    return {
        **{_enum_key(o.value): (o,) for o in Origin},
        **{_enum_key(alias): origins for alias, origins in _ORIGIN_ALIASES.items()},
    }


@cache
def _choice_keys(choices: type[_Choice]) -> dict[str, _Choice]:
    return {_enum_key(member.value): member for member in choices}


@cache
def _name_keys(choices: type[StrEnum]) -> dict[str, StrEnum]:
    """The areas, client conditions and indications by the :func:`_enum_key` of the names
    the listings show for them (``Under the chin (submental)``), from the shipped reference
    data (loaded only when a text is no member's value)."""
    from meso_formulary import reference

    named: Iterable[tuple[StrEnum, str]] = ()
    if choices is Area:
        named = ((area.id, area.name) for area in reference.areas())
    elif choices is ConditionId:
        named = ((condition.id, condition.name) for condition in reference.conditions())
    elif choices is IndicationId:
        named = ((indication.id, indication.name) for indication in reference.indications())
    return {_enum_key(name): member for member, name in named}


def _find_choice(text: str, choices: type[_Choice]) -> _Choice | None:
    """The member of ``choices`` that ``text`` names (see :func:`parse_choice`), or ``None``."""
    key = _enum_key(text)
    found = _choice_keys(choices).get(key)
    if found is None:
        named = _name_keys(choices).get(key)
        found = named if isinstance(named, choices) else None
    return found


def _find_origins(text: str) -> tuple[Origin, ...] | None:
    """The origins ``text`` names (see :func:`parse_origins`), or ``None``."""
    key = _enum_key(text)
    for suffix in _ORIGIN_SUFFIXES:
        key = key.removesuffix(suffix)
    return _origin_keys().get(key)


def parse_choice(text: str | _Choice, choices: type[_Choice], what: str) -> _Choice:
    """The member of ``choices`` that ``text`` names, forgiving case, accents, plurals, US
    spellings and separators ("Anesthetics" -> anaesthetic, "thigh" -> thighs, "point by
    point" -> point_by_point); an area, condition or indication also by the name the
    listings show ("Under the chin (submental)", "Fish allergy"). Raises
    :class:`SearchError` naming the closest members."""
    if isinstance(text, choices):
        return text
    found = _find_choice(text, choices)
    if found is None:
        raise SearchError(
            f"unknown {what} {text!r}",
            hint=_hint(suggest(text, [member.value for member in choices])),
        )
    return found


def parse_class(text: str | IngredientClass) -> IngredientClass:
    """The ingredient class ``text`` names ("anaesthetics", "Anesthetic", "plant extracts")."""
    return parse_choice(text, IngredientClass, "ingredient class")


def parse_origins(text: str | Origin) -> tuple[Origin, ...]:
    """The origins ``text`` names: ``"fish-derived"``, ``"fish"``, ``"marine"``, ``"animal"``.

    ``"animal"`` means every animal origin, human included: an exclusion errs on the side of
    excluding. Raises :class:`SearchError` naming the closest origins otherwise.
    """
    if isinstance(text, Origin):
        return (text,)
    found = _find_origins(text)
    if found is None:
        raise SearchError(
            f"unknown ingredient origin {text!r}",
            hint=_hint(suggest(text, [*(o.value for o in Origin), *_ORIGIN_ALIASES])),
        )
    return found


__all__ = [
    "INGREDIENT_WORDS",
    "NEGATIONS",
    "SUGGEST_NAME_CUTOFF",
    "SUGGEST_PHRASE_CUTOFF",
    "IngredientFacts",
    "Lexicon",
    "Negation",
    "NegationScan",
    "Reading",
    "ResolvedIngredient",
    "ScreeningScan",
    "parse_choice",
    "parse_class",
    "parse_origins",
    "word_key",
]
