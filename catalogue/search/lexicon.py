"""Lay words to catalogue vocabulary: concerns, ingredient names, classes and origins.

A client says "panda eyes", "celulite" or "biotin for hair loss on the scalp"; the catalogue
is organised by indication ids (``dark_circles``, ``cellulite``, ``alopecia``). A
:class:`Lexicon` holds every indication name and lay synonym and every ingredient name, and
answers, for the CLI and the web alike (both go through :mod:`.engine`):

- which indications a text names (:meth:`Lexicon.concerns`): whole phrases by their word key
  first, longest first, anywhere in the text; then typos by rapidfuzz;
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
hides results. ``ratio`` only forgives edits. ``bench/bench_search.py`` measures both on
perturbed lay terms and on such plain words: same recall, no plain word matched by
``ratio``, and ``ratio`` about 10x faster.

Standard library only at import: rapidfuzz is imported by the fuzzy pass, which runs only
when typed words are left over after the exact phrase lookup, and by :func:`suggest`, so
``meso search "hair loss"`` never loads it (start-up time, see ``bench/bench_cli.py``). For
the same reason the records are ``NamedTuple`` classes, and there is no ``from __future__
import annotations`` (see :mod:`.engine`).
"""

import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import cache, cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple, Self, TypeVar

from meso_formulary.catalogue.search.fts import words as fts_words
from meso_formulary.catalogue.search.screening_words import ScreeningScan, ScreeningWords
from meso_formulary.errors import SearchError
from meso_formulary.identifiers import name_key
from meso_formulary.names import (
    Exclusion,
    GroupKind,
    NameResolver,
    SubstanceGroup,
    suggest,
    table_of_rows,
    with_declared,
    word_key,
)
from meso_formulary.vocabulary import IndicationId, IngredientClass, Origin

if TYPE_CHECKING:
    from meso_formulary.model import ClientCondition, Indication, Ingredient
    from meso_formulary.reference.documents import NearWord

FUZZY_CUTOFF = 85.0
"""Least ``fuzz.ratio`` for a typo to count as a concern (tuned in bench/bench_search.py)."""

MIN_FUZZY_CHARS = 4
"""Windows shorter than this are never fuzzy-matched: one edit in three letters is another word."""

MAX_WINDOW_WORDS = 6
"""Longest run of typed words compared with one phrase (the longest synonyms have five)."""

_STOPWORD_TEXT = """
a an and any are as at be best by can do does for from get good help how i in into is it me my
of on or our please some that the their them this to treat treatment treatments what which with
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Function words: never a concern on their own, never required of a full-text match."""

NEGATIONS = frozenset({"no", "not", "without", "excluding", "exclude", "except"})
"""Words that turn what follows into an exclusion when it names an ingredient, class or
origin ("no lidocaine"); see :meth:`Lexicon.negations`."""


class Concern(NamedTuple):
    """An indication found in the typed text, and how.

    (:class:`~.search.ConcernMatch` is the same as a pydantic model, for the typed API.)
    """

    indication_id: IndicationId
    term: str
    """The typed words that matched, as a word key ("Hair-Loss" -> "hair loss")."""
    matched: str
    """The indication name or lay synonym they matched."""
    how: Literal["synonym", "fuzzy"]
    score: float
    """100 for a whole-phrase match, else the rapidfuzz ratio."""


class ConcernScan(NamedTuple):
    """The concerns found in a text and the words left over for full-text search."""

    concerns: tuple[Concern, ...]
    remainder: tuple[str, ...]
    """Typed words (as typed: ``hair-loss``, ``vita*``) not part of a concern, stop words out.

    A typed word only partly inside a concern keeps its other parts ("biotin/hair" in
    "biotin/hair loss" leaves "biotin").
    """


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


class _Phrase(NamedTuple):
    indication_id: IndicationId
    text: str


_INDICATION_IDS = {i.value: i for i in IndicationId}


class Lexicon:
    """Concern phrases and ingredient names, indexed for exact and fuzzy lookup.

    ``phrases``: ``(indication_id, name or synonym)`` pairs; ``ingredients``:
    ``(ingredient_id, name, class, origin or None)``; ``ingredient_names``: ``(key,
    ingredient_id, name)`` for every name (id, name, INCI, synonyms), the key being the
    name's :func:`name_key` (the catalogue stores it, so a large dictionary is not keyed
    again); ``groups``: the moiety and allergen groups (memberships ingredients declare
    included, :func:`~meso_formulary.names.with_declared`); ``conditions``: ``(condition
    id, name)`` of the screening vocabulary; ``condition_words``: ``(condition id, name or
    synonym)``, what the concern box reads as a condition; ``near_words``: ``(word,
    condition id or None)``, words no concern may take. Build it once per catalogue state
    (:meth:`from_connection`) or from the shipped reference data (:meth:`from_reference`).
    """

    def __init__(
        self,
        phrases: Iterable[tuple[str, str]],
        ingredients: Iterable[tuple[str, str, str, str | None]] = (),
        ingredient_names: Iterable[tuple[str, str, str]] = (),
        groups: Iterable[SubstanceGroup] = (),
        conditions: Iterable[tuple[str, str]] = (),
        condition_words: Iterable[tuple[str, str]] = (),
        near_words: Iterable[tuple[str, str | None]] = (),
    ) -> None:
        self._phrases: dict[str, list[_Phrase]] = {}
        indications = _INDICATION_IDS  # a dict look-up: calling the enum costs 5x as much
        for indication_id, text in phrases:
            key = word_key(text)
            if not key:
                continue
            entry = _Phrase(indications[indication_id], text)
            bucket = self._phrases.setdefault(key, [])
            if all(p.indication_id != entry.indication_id for p in bucket):
                bucket.append(entry)
        self._phrase_keys = list(self._phrases)
        self._longest = max((k.count(" ") + 1 for k in self._phrase_keys), default=1)

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

    # What only the fuzzy pass and the suggestions need is built on first use: most searches
    # never need it, and ``meso search`` builds a lexicon in every process.

    @cached_property
    def _screening_words(self) -> ScreeningWords:
        """The condition phrases and near-words, indexed (see :mod:`.screening_words`)."""
        return ScreeningWords(
            self._condition_words,
            self._near_word_rows,
            (p.text for bucket in self._phrases.values() for p in bucket),
        )

    @cached_property
    def _near_choices(self) -> list[str]:
        """The near-words as rapidfuzz compares them (see :meth:`_fuzzy`)."""
        from rapidfuzz import utils

        return [utils.default_process(w) for w in self._screening_words.near_words]

    @cached_property
    def _fuzzy_choices(self) -> list[str]:
        """The phrase keys as rapidfuzz compares them, processed once (perf.md 6b: 25x)."""
        from rapidfuzz import utils

        return [utils.default_process(k) for k in self._phrase_keys]

    @cached_property
    def _suggestions(self) -> dict[str, str]:
        """What :meth:`did_you_mean` compares -> what it offers: each indication phrase as
        itself, each ingredient name as its ingredient's name (one suggestion per ingredient)."""
        choices = {p.text: p.text for bucket in self._phrases.values() for p in bucket}
        for _key, ingredient_id, name in self._name_rows:
            facts = self._facts.get(ingredient_id)
            choices.setdefault(name, name if facts is None else facts.name)
        return choices

    # ------------------------------------------------------------------ building

    @classmethod
    def from_models(
        cls,
        indications: "Iterable[Indication]",
        ingredients: "Iterable[Ingredient]" = (),
        groups: Iterable[SubstanceGroup] = (),
        conditions: "Iterable[ClientCondition]" = (),
        near_words: "Iterable[NearWord]" = (),
    ) -> Self:
        """From model objects: each indication's id, name and synonyms; each ingredient's
        names; the groups (:func:`~meso_formulary.names.with_declared` adds the memberships
        ``ingredients`` declare); the conditions' names and synonyms; the near-words."""
        conditions = tuple(conditions)
        phrases = [
            (ind.id.value, text)
            for ind in indications
            for text in (ind.id.value.replace("_", " "), ind.name, *ind.synonyms)
        ]
        ingredients = tuple(ingredients)
        facts = [
            (ing.id, ing.name, ing.ingredient_class.value, ing.origin and ing.origin.value)
            for ing in ingredients
        ]
        names = [
            (name_key(name), ing.id, name)
            for ing in ingredients
            for name in (ing.name, *ing.names())
            if name_key(name)
        ]
        declared = [
            *((GroupKind.MOIETY, m, ing.id) for ing in ingredients for m in ing.moieties),
            *(
                (GroupKind.ALLERGEN, g.value, ing.id)
                for ing in ingredients
                for g in ing.allergen_groups
            ),
        ]
        return cls(
            phrases,
            facts,
            names,
            with_declared(groups, declared),
            ((c.id.value, c.name) for c in conditions),
            ((c.id.value, word) for c in conditions for word in (c.name, *c.synonyms)),
            ((n.word, n.condition and n.condition.value) for n in near_words),
        )

    @classmethod
    def from_reference(cls) -> Self:
        """From the shipped reference data, for lookups without a catalogue."""
        from meso_formulary import reference
        from meso_formulary.catalogue.store.screening import reference_groups

        substances = reference.substances()
        return cls.from_models(
            reference.indications(),
            reference.ingredients(),
            reference_groups(substances.moieties, substances.allergen_groups),
            reference.conditions(),
            reference.near_words(),
        )

    @classmethod
    def from_connection(cls, conn: sqlite3.Connection) -> Self:
        """From a catalogue's ``indications``, ``indication_synonyms``, ``ingredient_names``,
        substance groups, conditions and their words, and near-words (read as rows: no
        model is loaded)."""
        phrases: list[tuple[str, str]] = [
            (ind_id, text)
            for ind_id, name in conn.execute("SELECT id, name FROM indications")
            for text in (ind_id.replace("_", " "), name)
        ]
        phrases += conn.execute("SELECT indication_id, synonym FROM indication_synonyms").fetchall()
        facts = conn.execute("SELECT id, name, ingredient_class, origin FROM ingredients")
        names = conn.execute("SELECT key, ingredient_id, name FROM ingredient_names")
        conditions = conn.execute("SELECT id, name FROM conditions ORDER BY rowid").fetchall()
        words = conn.execute("SELECT condition_id, word FROM condition_words").fetchall()
        near = conn.execute("SELECT word, condition_id FROM near_words").fetchall()
        return cls(
            phrases,
            facts.fetchall(),
            names.fetchall(),
            _stored_groups(conn),
            conditions,
            words,
            near,
        )

    # ------------------------------------------------------------------ concerns

    def concerns(self, text: str) -> ConcernScan:
        """The indications ``text`` names, and the typed words left over.

        Exact phrases are taken longest first, anywhere in the text ("biotin for hair loss
        on the scalp" -> alopecia via "hair loss"); the words left then get one fuzzy pass,
        best score first, over windows of up to a few words that neither start nor end with
        a stop word. A window never overlaps another match. A near-word ("cellulitis",
        "melanoma") is never a concern: its words are left over, and a typo closer to a
        near-word than to any concern phrase is left too.
        """
        tokens = fts_words(text)
        words: list[str] = []
        spans: list[range] = []
        for token in tokens:
            own = word_key(token).split()
            spans.append(range(len(words), len(words) + len(own)))
            words += own
        near = self._screening_words.near_word_mask(words)
        taken = list(near)
        found: list[tuple[int, Concern]] = []

        for size in range(min(self._longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                if any(taken[start : start + size]):
                    continue
                window = " ".join(words[start : start + size])
                for phrase in self._phrases.get(window, ()):
                    found.append((start, self._match(window, phrase, "synonym", 100.0)))
                    taken[start : start + size] = [True] * size

        found += self._fuzzy(words, taken)
        found.sort(key=lambda item: item[0])
        matched = [t and not n for t, n in zip(taken, near, strict=True)]
        return ConcernScan(
            tuple(match for _, match in found), _remainder(tokens, spans, words, matched)
        )

    def _fuzzy(self, words: list[str], taken: list[bool]) -> list[tuple[int, Concern]]:
        spans: list[tuple[int, int]] = []
        for size in range(1, min(MAX_WINDOW_WORDS, len(words)) + 1):
            for start in range(len(words) - size + 1):
                end = start + size
                if any(taken[start:end]):
                    continue
                if words[start] in STOPWORDS or words[end - 1] in STOPWORDS:
                    continue
                if sum(len(w) for w in words[start:end]) >= MIN_FUZZY_CHARS:
                    spans.append((start, end))
        if not spans or not self._phrase_keys:
            return []
        from rapidfuzz import fuzz, process, utils

        windows = [" ".join(words[s:e]) for s, e in spans]
        candidates: list[tuple[float, int, int, int]] = []
        for w, window in enumerate(windows):
            processed = utils.default_process(window)
            best = process.extractOne(
                processed,
                self._fuzzy_choices,
                scorer=fuzz.ratio,
                processor=None,  # both sides went through utils.default_process already
                score_cutoff=FUZZY_CUTOFF,
            )
            if best is None:
                continue
            # A typo at least as close to a near-word ("cellulitus") is no concern: the
            # window is set aside (k = -1) and keeps its words from any other match.
            nearer = process.extractOne(
                processed,
                self._near_choices,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=float(best[1]),
            )
            k = -1 if nearer is not None else best[2]
            candidates.append((float(best[1]), spans[w][1] - spans[w][0], w, k))
        # Best score first; on a tie the longer window, then the earlier one (deterministic).
        keys = self._phrase_keys
        candidates.sort(
            key=lambda c: (-c[0], -c[1], spans[c[2]][0], keys[c[3]] if c[3] >= 0 else "")
        )
        found: list[tuple[int, Concern]] = []
        for score, _, w, k in candidates:
            start, end = spans[w]
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            if k < 0:
                continue
            for phrase in self._phrases[self._phrase_keys[k]]:
                found.append((start, self._match(windows[w], phrase, "fuzzy", round(score, 1))))
        return found

    @staticmethod
    def _match(
        term: str, phrase: _Phrase, how: Literal["synonym", "fuzzy"], score: float
    ) -> Concern:
        return Concern(
            indication_id=phrase.indication_id, term=term, matched=phrase.text, how=how, score=score
        )

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
        """Indication names and synonyms or ingredient names close to ``text`` (:func:`suggest`).

        Only for the words a search would look for, never the screening words ("lidocaine
        allergy" offers no "lidocaine": the client is allergic to it); and nothing for a text
        holding a near-word or a typo of one ("cellulitis", "lipedema thighs": offering
        "celulitis" or "dimpled thighs" would read an infection or a disease as cellulite).
        """
        left = self.screening(text).rest
        words = word_key(left).split()
        if not words or any(self._screening_words.near_word_mask(words)):
            return []
        if self._near_typo(" ".join(words)):
            return []
        return suggest(left, self._suggestions)

    def _near_typo(self, text: str) -> bool:
        """True when ``text`` is as close to a near-word as a typo is to a concern
        ("cellulitus"): offering the concern would be a guess the other way."""
        from rapidfuzz import fuzz, process, utils

        nearer = process.extractOne(
            utils.default_process(text),
            self._near_choices,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=FUZZY_CUTOFF,
        )
        return nearer is not None

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


def _remainder(
    tokens: Sequence[str], spans: Sequence[range], words: Sequence[str], taken: Sequence[bool]
) -> tuple[str, ...]:
    """The typed tokens outside every concern (a token partly inside keeps its other words)."""
    left: list[str] = []
    for token, span in zip(tokens, spans, strict=True):
        if not any(taken[i] for i in span):
            left.append(token)
        else:
            left += [words[i] for i in span if not taken[i]]
    return tuple(t for t in left if word_key(t) not in STOPWORDS)


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


def _find_choice(text: str, choices: type[_Choice]) -> _Choice | None:
    """The member of ``choices`` that ``text`` names (see :func:`parse_choice`), or ``None``."""
    return _choice_keys(choices).get(_enum_key(text))


def _find_origins(text: str) -> tuple[Origin, ...] | None:
    """The origins ``text`` names (see :func:`parse_origins`), or ``None``."""
    key = _enum_key(text)
    for suffix in _ORIGIN_SUFFIXES:
        key = key.removesuffix(suffix)
    return _origin_keys().get(key)


def parse_choice(text: str | _Choice, choices: type[_Choice], what: str) -> _Choice:
    """The member of ``choices`` that ``text`` names, forgiving case, accents, plurals, US
    spellings and separators ("Anesthetics" -> anaesthetic, "thigh" -> thighs, "point by
    point" -> point_by_point). Raises :class:`SearchError` naming the closest members."""
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
    "FUZZY_CUTOFF",
    "NEGATIONS",
    "STOPWORDS",
    "Concern",
    "ConcernScan",
    "IngredientFacts",
    "Lexicon",
    "Negation",
    "NegationScan",
    "ResolvedIngredient",
    "ScreeningScan",
    "parse_choice",
    "parse_class",
    "parse_origins",
    "word_key",
]
