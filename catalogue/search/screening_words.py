"""Words of screening typed into the concern box, and the near-words no concern may take.

A practitioner types what she knows of her client where she types the concern: "hair loss,
pregnant", "allergic to fish", "Fischallergie", "alergia a la lidocaína y al huevo", "on
blood thinners". Read as a concern search, "fish allergy" would look *for* fish and find the
polynucleotide (salmon DNA) cocktail. :class:`ScreeningWords` reads such words first
(:meth:`ScreeningWords.scan`): a client condition (``pregnancy``, ``fish-allergy`` ...)
or a substance to exclude, never a search for it; the words left are searched as before.

Where the words come from:

- the synonyms of every client condition (``reference/conditions.yaml``), in en, pt, es,
  fr, de and it, matched as whole words, longest first, accents and case ignored;
- the allergy patterns below (:data:`ALLERGY_WORDS`, :data:`CONNECTORS`): "allergic to X",
  "X allergy", "allergy to X", "alergia a X", "alérgico al X", "allergie au X",
  "allergique aux X", "allergisch gegen X", "X-Allergie", "Xallergie", "allergia alla X",
  "allergico a X", and "hypersensitivity to X" in each language. X is a condition when a
  condition's synonyms name it that way (the allergens are learnt from the synonyms:
  "fish allergy" teaches "fish", "alergia al pescado" teaches "pescado"), else a substance
  to exclude, resolved later by the one resolver (:mod:`meso_formulary.names`). A list is
  read whole ("allergic to fish, soy and lidocaine");
- the near-words (``reference/near_words.yaml``): words that look like a concern but name
  something else ("cellulitis" is an infection, not cellulite); one that names a condition
  is read as it ("celulitis infecciosa": active skin infection).

Safety over recall, and no surprises either way:

- a concern phrase that holds a condition's word is a concern, not the condition ("pregnancy
  stretch marks", "mask of pregnancy"): the longer phrase wins;
- a negated phrase ("not pregnant", "no estoy embarazada", "keine Allergien") is read and
  set aside: it neither screens nor is searched;
- a word like "I am", "taking", "on", "estou", "je suis", "ich nehme" just before a phrase is
  part of it ("taking warfarin", "I'm on blood thinners").

The patterns are grammar, not vocabulary: they are kept here as documented constants (the
vocabulary is data). Standard library only, like the rest of the search path.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from meso_formulary.catalogue.search.fts import words as fts_words
from meso_formulary.identifiers import name_key
from meso_formulary.vocabulary import ConditionId

_ALLERGY_WORDS_TEXT = """
    allergy allergies allergic hypersensitivity hypersensitive
    alergia alergias alergico alergica alergicos alergicas hipersensibilidade
    hipersensibilidad
    allergie allergies allergique allergiques hypersensibilite
    allergisch allergische allergischen allergien uberempfindlichkeit
    allergia allergie allergico allergica allergici allergiche ipersensibilita
    """
ALLERGY_WORDS = frozenset(_ALLERGY_WORDS_TEXT.split())
"""Words that say "allergy" in en, pt, es, fr, de and it (accents folded)."""

COMPOUND_ALLERGY = "allergie"
"""German joins the allergen to the word: "Fischallergie", "Erdnussallergie"."""

_CONNECTORS_TEXT = """
    to against
    a ao aos as de do da dos das
    al la las los del
    au aux l
    gegen auf
    alla all alle ai agli allo ad di della
    """
CONNECTORS = frozenset(_CONNECTORS_TEXT.split())
"""Words between an allergy word and its allergen: "allergic *to* fish", "alergia *a la*
soja", "allergie *à l'*arachide", "allergisch *gegen* Fisch", "allergia *all'*uovo"."""

_CONJUNCTIONS_TEXT = "and or e ou y o et und oder ed u"
CONJUNCTIONS = frozenset(_CONJUNCTIONS_TEXT.split())
"""Words that join allergens in a list ("fish and soy", "peixe e soja", "Fisch und Soja")."""

_LEAD_INS_TEXT = """
    i im am is are she he they client patient my has have had with currently taking takes
    take on uses using a an um uma un une uno una ein eine einen m s re ve j
    eu sou estou esta tenho tem com toma tomo tomando ela ele
    yo soy estoy tengo tiene con ella el
    je suis elle il est ai sous prends prend
    ich bin sie er ist habe hat nehme nimmt mit
    sono ho ha prendo prende assumo assume in
    """
LEAD_INS = frozenset(_LEAD_INS_TEXT.split())
"""Words that may lead into a phrase and belong to it ("I am pregnant", "taking warfarin",
"estou grávida", "je suis enceinte", "ich nehme Marcumar", "sono incinta"), with what is
left of a contraction once its apostrophe splits it ("I'm", "she's", "j'ai")."""

_NEGATION_TEXT = "no not never nao nunca pas ne nicht kein keine keinen non mai"
NEGATION_WORDS = frozenset(_NEGATION_TEXT.split())
"""Words that negate the phrase they lead into ("not pregnant", "no estoy embarazada",
"je ne suis pas enceinte", "nicht schwanger", "non sono incinta")."""

_AGE_WORDS_TEXT = """
    year years yr yrs yo y anos ano anitos anos anos ans an jahre jahr jahrig jahrige
    jahriger anni anno enni
    """
AGE_WORDS = frozenset(_AGE_WORDS_TEXT.split())
"""Words that make a number an age: "16 years old", "17 anos", "16 ans", "17 Jahre",
"16 anni", "17yo" (read as "17", "yo")."""

_AGE_LEAD_TEXT = "im m am aged age bin edad idade age eta"
AGE_LEADS = frozenset(_AGE_LEAD_TEXT.split())
"""Words that make a number right after them an age: "I'm 16", "aged 17", "ich bin 16"."""

ADULT_AGE = 18
"""Below this age a stated age is read as the condition ``under-18``."""

MAX_ALLERGEN_WORDS = 4
"""Longest allergen read after an allergy word ("gram positive bacterial proteins")."""

MAX_UNKNOWN_WORDS = 3
"""Longest allergen read when nothing names it: words up to a comma or joining word."""

_CONDITION_IDS = {c.value: c for c in ConditionId}
_ELISIONS = re.compile(r"['’ʼ`]")
_WORD = re.compile(r"[^\W_]+")
_BOUNDARY = re.compile(r"[,;.:!?()/]")
_SPECIAL = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})


def fold(text: str) -> str:
    """``text`` as screening compares it: case folded, accents off ("Lidocaïne" -> "lidocaine",
    "Hühnereiweiß" -> "huhnereiweiss", "œuf" -> "oeuf")."""
    if text.isascii():  # most words: nothing to fold (and a lexicon folds hundreds)
        return text.lower()
    key = unicodedata.normalize("NFKD", name_key(text).translate(_SPECIAL))
    return "".join(c for c in key if not unicodedata.combining(c))


def screen_words(text: str) -> list[str]:
    """The folded words of ``text``; an elision splits ("l'œuf" -> "l", "oeuf")."""
    return _WORD.findall(fold(_ELISIONS.sub(" ", text)))


def _key(text: str) -> str:
    return " ".join(screen_words(text))


class ScreeningScan(NamedTuple):
    """What the concern box said about the client, and the text left to search."""

    conditions: tuple[ConditionId, ...]
    """The client conditions named, in the order typed."""
    exclusions: tuple[str, ...]
    """Substances (or groups) to exclude, as typed ("penicillin", "sodium hyaluronate"): the
    one resolver reads them; a name it does not know is refused with suggestions."""
    rest: str
    """The typed text without the screening words (typed tokens, as typed)."""
    phrases: tuple[str, ...]
    """What was read as screening, as typed, one phrase each ("allergic to fish", "not
    pregnant")."""


class _Words:
    """The typed text as words: folded for matching, as typed for showing."""

    def __init__(self, text: str) -> None:
        self.tokens = fts_words(text)
        self.folded: list[str] = []
        self.typed: list[str] = []
        self.spans: list[range] = []
        self.boundary: list[bool] = []
        """True after a word that ends a clause (a comma, a full stop ...)."""
        for token in self.tokens:
            start = len(self.folded)
            for part in _ELISIONS.sub(" ", token).split():
                typed = _WORD.findall(part)
                self.typed += typed
                self.folded += [fold(w) for w in typed]
                self.boundary += [False] * len(typed)
                if typed and _BOUNDARY.search(part[part.rfind(typed[-1]) :]):
                    self.boundary[-1] = True
            self.spans.append(range(start, len(self.folded)))
        self.taken = [False] * len(self.folded)
        """Words read as screening."""
        self.held = [False] * len(self.folded)
        """Words of a concern phrase that holds a screening word: not read, searched."""

    def __len__(self) -> int:
        return len(self.folded)

    def free(self, start: int, end: int) -> bool:
        """True when words ``start:end`` exist, are not taken and no clause ends inside."""
        if start < 0 or end > len(self.folded) or start >= end:
            return False
        return (
            not any(self.taken[start:end])
            and not any(self.held[start:end])
            and not any(self.boundary[start : end - 1])
        )

    def window(self, start: int, end: int) -> str:
        return " ".join(self.folded[start:end])

    def shown(self, start: int, end: int) -> str:
        """Words ``start:end`` as typed: whole tokens as they are ("l'arachide"), the
        clause mark after the last one off."""
        parts: list[str] = []
        for token, span in zip(self.tokens, self.spans, strict=True):
            inside = [i for i in span if start <= i < end]
            if inside and len(inside) == len(span):
                parts.append(token)
            else:
                parts += [self.typed[i] for i in inside]
        return _trimmed(parts)

    def take(self, start: int, end: int) -> None:
        self.taken[start:end] = [True] * (end - start)

    def tidy(self) -> None:
        """Take the joining and lead-in words left beside what was read, within a clause
        ("fish *and* hair loss"): searched alone they would find nothing ("und"). A
        negation stays: "pregnant, no lidocaine" still excludes lidocaine."""
        glue = (CONJUNCTIONS | CONNECTORS | LEAD_INS) - NEGATION_WORDS
        changed = True
        while changed:
            changed = False
            for i, word in enumerate(self.folded):
                if self.taken[i] or self.held[i] or word not in glue:
                    continue
                before = i > 0 and self.taken[i - 1] and not self.boundary[i - 1]
                after = i + 1 < len(self) and self.taken[i + 1] and not self.boundary[i]
                if before or after:
                    self.taken[i] = changed = True

    def rest(self) -> str:
        """The typed tokens outside every phrase (a token partly inside keeps its other words)."""
        left: list[str] = []
        for token, span in zip(self.tokens, self.spans, strict=True):
            if not any(self.taken[i] for i in span):
                left.append(token)
            else:
                left += [self.typed[i] for i in span if not self.taken[i]]
        return " ".join(left)


class ScreeningWords:
    """The condition phrases, the allergens they teach and the near-words, indexed by key.

    ``conditions``: ``(condition id, name or synonym)`` pairs; ``near_words``: ``(word,
    condition id or None)``; ``concern_phrases``: every concern name, synonym and term with
    its folded key, so that a concern phrase holding a condition's word stays a concern
    ("pregnancy stretch marks").
    """

    def __init__(
        self,
        conditions: Iterable[tuple[str, str]],
        near_words: Iterable[tuple[str, str | None]],
        concern_phrases: Iterable[tuple[str, str]],
    ) -> None:
        self._phrases: dict[str, list[ConditionId]] = {}
        """Every condition phrase and near-word naming a condition, by key."""
        self._allergens: dict[str, list[ConditionId]] = {}
        """Allergens the condition synonyms name ("fish", "pescado", "fisch"), by key."""
        for condition_id, text in conditions:
            condition = _CONDITION_IDS[condition_id]
            words = screen_words(text)
            allergen = _allergen_of(words)
            if 0 < len(allergen) <= MAX_ALLERGEN_WORDS:  # not a name ("Allergy to ... (...)")
                _add(self._allergens, " ".join(allergen), condition)
            if words:
                _add(self._phrases, " ".join(words), condition)
        self._near: set[str] = set()
        for word, routed in near_words:
            key = _key(word)
            self._near.add(key)
            if routed is not None:
                _add(self._phrases, key, _CONDITION_IDS[routed])
        self._longest = max((k.count(" ") + 1 for k in (*self._phrases, *self._near)), default=1)
        self._first_words = {k.split(" ", 1)[0] for k in self._phrases}
        """The first word of every phrase: a text holding none (and no allergy word) has
        nothing to read."""
        self._concern_phrases = tuple(concern_phrases)
        self._protected: set[str] | None = None

    @property
    def near_words(self) -> frozenset[str]:
        """Every near-word's key (folded words)."""
        return frozenset(self._near)

    def protected(self) -> set[str]:
        """The keys of concern phrases that hold a screening word (built on first use).

        A phrase comes with its folded key (``search_phrases.key``), which is its screening
        words but where an apostrophe joins ("crow's" is "crows"): only those phrases are
        folded again, so that a text holding a common word ("I", "on") does not fold
        thousands of phrases in six languages."""
        if self._protected is None:
            self._protected = set()
            for phrase, key in self._concern_phrases:
                words = screen_words(phrase) if _ELISIONS.search(phrase) else key.split()
                if self._holds_screening(words):
                    self._protected.add(" ".join(words))
        return self._protected

    def _holds_screening(self, words: Sequence[str]) -> bool:
        if ALLERGY_WORDS.isdisjoint(words) and self._first_words.isdisjoint(words):
            # Most phrases: neither an allergy word nor the start of a condition phrase
            # (two set look-ups in C), unless German joins the allergen ("Fischallergie").
            return any(_is_allergy_word(w) for w in words)
        if any(_is_allergy_word(w) for w in words):
            return True
        if self._first_words.isdisjoint(words):
            return False
        n = len(words)
        return any(
            " ".join(words[s:e]) in self._phrases
            for s in range(n)
            for e in range(s + 1, min(n, s + self._longest) + 1)
        )

    # ------------------------------------------------------------------ near-words

    def near_word_mask(self, words: Sequence[str]) -> list[bool]:
        """For typed words (any key form), True where a near-word stands (whole words)."""
        folded = [fold(w) for w in words]
        mask = [False] * len(folded)
        for size in range(min(self._longest, len(folded)), 0, -1):
            for start in range(len(folded) - size + 1):
                if " ".join(folded[start : start + size]) in self._near:
                    mask[start : start + size] = [True] * size
        return mask

    # ------------------------------------------------------------------ scanning

    def scan(self, text: str, known: Callable[[str], bool]) -> ScreeningScan:
        """The conditions and exclusions ``text`` states, and the words left to search.

        ``known(name)`` says whether the catalogue knows ``name`` (an ingredient, a group):
        it decides where an allergen in a list ends ("allergic to fish and hair loss" ends
        at "fish").
        """
        words = _Words(text)
        found = _Found()
        if any(w in self._first_words or _is_allergy_word(w) for w in words.folded):
            self._protect(words)
            self._allergy_phrases(words, found, plain=True)
            for i in range(len(words)):
                if not words.taken[i] and _is_allergy_word(words.folded[i]):
                    self._allergy(words, i, found, known)
            self._allergy_phrases(words, found, plain=False)
        _ages(words, found)  # after the phrases: "moins de 18 ans" is one
        if not found.phrases:
            return ScreeningScan((), (), words.rest(), ())  # most searches: nothing to read
        words.tidy()
        return ScreeningScan(
            conditions=tuple(dict.fromkeys(found.conditions)),
            exclusions=tuple(dict.fromkeys(found.exclusions)),
            rest=words.rest(),
            phrases=tuple(found.phrases),
        )

    def _protect(self, words: _Words) -> None:
        """Concern phrases holding a screening word are set aside, longest first."""
        protected = self.protected()
        if not protected:
            return
        longest = max(k.count(" ") + 1 for k in protected)
        for size in range(min(longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                end = start + size
                if words.free(start, end) and words.window(start, end) in protected:
                    words.held[start:end] = [True] * size

    def _allergy_phrases(self, words: _Words, found: "_Found", *, plain: bool) -> None:
        """Condition phrases, longest first: with ``plain``, only those holding an allergy
        word that name no allergen ("severe allergies"), before the allergy patterns."""
        for size in range(min(self._longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                end = start + size
                if not words.free(start, end):
                    continue
                conditions = self._phrases.get(words.window(start, end))
                if conditions is None:
                    continue
                phrase = words.folded[start:end]
                if plain and (not any(_is_allergy_word(w) for w in phrase) or _allergen_of(phrase)):
                    continue
                found.add(words, start, end, conditions=conditions)

    def _allergy(
        self, words: _Words, at: int, found: "_Found", known: Callable[[str], bool]
    ) -> None:
        """An allergy word at ``at`` and its allergens: after it (behind a connector, as a
        list) or else just before it ("fish allergy"), or a German compound."""
        word = words.folded[at]
        conditions: list[ConditionId] = []
        exclusions: list[str] = []
        start, end = at, at + 1
        if word not in ALLERGY_WORDS:  # a compound: "Fischallergie"
            stem = word.removesuffix(COMPOUND_ALLERGY)
            hit = self._allergens.get(stem)
            if hit:
                conditions += hit
            else:
                exclusions.append(words.typed[at][: len(stem)])
        else:
            after = self._after(words, at + 1, known)
            if after is not None:
                end, conditions, exclusions = after
            else:
                before = self._before(words, at, known)
                if before is not None:
                    start, conditions, exclusions = before
        found.add(words, start, end, conditions=conditions, exclusions=exclusions)

    def _allergen(
        self, words: _Words, start: int, known: Callable[[str], bool]
    ) -> tuple[int, list[ConditionId], str | None] | None:
        """The longest allergen starting at ``start`` that a condition or the catalogue
        knows: (its end, its conditions, or else its typed name to exclude)."""
        for size in range(MAX_ALLERGEN_WORDS, 0, -1):
            end = start + size
            if not words.free(start, end):
                continue
            key = words.window(start, end)
            conditions = self._allergens.get(key) or self._allergens.get(_singular(key))
            if conditions:
                return end, list(conditions), None
            if known(words.shown(start, end)):
                return end, [], words.shown(start, end)
        return None

    def _after(
        self, words: _Words, at: int, known: Callable[[str], bool]
    ) -> tuple[int, list[ConditionId], list[str]] | None:
        """Allergens after an allergy word: a connector, then a list; ``None`` if no
        connector follows."""
        i = self._skip_connectors(words, at)
        if i == at or (at > 0 and words.boundary[at - 1]):
            return None
        conditions: list[ConditionId] = []
        exclusions: list[str] = []
        end = i
        while True:
            item = self._allergen(words, i, known)
            if item is None and not conditions and not exclusions:
                unknown = self._unknown(words, i)
                item = None if unknown is None else (unknown, [], words.shown(i, unknown))
            if item is None:
                break
            end, item_conditions, excluded = item
            conditions += item_conditions
            exclusions += [excluded] if excluded else []
            following = end
            if following < len(words) and (
                words.boundary[end - 1] or words.folded[following] in CONJUNCTIONS
            ):
                if words.folded[following] in CONJUNCTIONS:
                    following += 1
                i = self._skip_connectors(words, following)
                if words.free(end, i + 1):
                    continue
            break
        return (end, conditions, exclusions) if end > at else None

    def _before(
        self, words: _Words, at: int, known: Callable[[str], bool]
    ) -> tuple[int, list[ConditionId], list[str]] | None:
        """The allergen just before an allergy word ("fish allergy"), known ones only."""
        for size in range(MAX_ALLERGEN_WORDS, 0, -1):
            start = at - size
            if not words.free(start, at + 1):
                continue
            item = self._allergen(words, start, known)
            if item is not None and item[0] == at:
                return start, item[1], [item[2]] if item[2] else []
        return None

    @staticmethod
    def _skip_connectors(words: _Words, at: int) -> int:
        i = at
        while i < len(words) and words.folded[i] in CONNECTORS and words.free(i, i + 1):
            if i > at and words.boundary[i - 1]:
                break
            i += 1
        return i

    @staticmethod
    def _unknown(words: _Words, start: int) -> int | None:
        """The end of an allergen nothing names: up to a clause end, joining word or
        another allergy word, at most :data:`MAX_UNKNOWN_WORDS`."""
        end = start
        while end < len(words) and end - start < MAX_UNKNOWN_WORDS and words.free(end, end + 1):
            word = words.folded[end]
            if word in CONJUNCTIONS or _is_allergy_word(word) or word in NEGATION_WORDS:
                break
            end += 1
            if words.boundary[end - 1]:
                break
        return end if end > start else None


class _Found:
    """What a scan has read so far."""

    def __init__(self) -> None:
        self.conditions: list[ConditionId] = []
        self.exclusions: list[str] = []
        self.phrases: list[str] = []

    def add(
        self,
        words: _Words,
        start: int,
        end: int,
        *,
        conditions: Iterable[ConditionId] = (),
        exclusions: Iterable[str] = (),
    ) -> None:
        """Words ``start:end`` read as screening, with the lead-in words before them; a
        negated phrase is read and set aside (it neither screens nor is searched)."""
        negated = False
        while start > 0 and words.free(start - 1, start) and not words.boundary[start - 1]:
            word = words.folded[start - 1]
            if word in NEGATION_WORDS:
                negated = True
            elif word not in LEAD_INS:
                break
            start -= 1
        words.take(start, end)
        self.phrases.append(words.shown(start, end))
        if not negated:
            self.conditions += conditions
            self.exclusions += exclusions


def _ages(words: _Words, found: _Found) -> None:
    """A stated age under :data:`ADULT_AGE` is the condition ``under-18`` ("I'm 16",
    "tengo 17 años", "16yo", "j'ai 16 ans"); an adult's age is read and set aside. A
    number is an age only beside an age word, never on its own ("3 sessions")."""
    for i, word in enumerate(words.folded):
        number = word.removesuffix("yo") if word.endswith("yo") else word
        if not number.isdigit() or len(number) > 3 or words.taken[i]:
            continue
        after = i + 1 < len(words) and words.folded[i + 1] in AGE_WORDS
        before = i > 0 and words.folded[i - 1] in AGE_LEADS
        if not (after or before or number != word):
            continue
        end = i + 2 if after else i + 1
        if after and end < len(words) and words.folded[end] == "old":
            end += 1
        start = i - 1 if before and not after else i
        minor = int(number) < ADULT_AGE
        found.add(words, start, end, conditions=(ConditionId.UNDER_18,) if minor else ())


def _trimmed(parts: list[str]) -> str:
    text = " ".join(parts)
    while text and _BOUNDARY.match(text[-1]):
        text = text[:-1]
    return text


def _is_allergy_word(word: str) -> bool:
    return word in ALLERGY_WORDS or (
        word.endswith(COMPOUND_ALLERGY) and len(word) > len(COMPOUND_ALLERGY)
    )


def _allergen_of(words: Sequence[str]) -> list[str]:
    """The allergen a condition synonym names ("alergia a la soja" -> ["soja"],
    "Fischallergie" -> ["fisch"]); empty when it names none ("severe allergies")."""
    for i, word in enumerate(words):
        if word in ALLERGY_WORDS:
            j = i + 1
            while j < len(words) and words[j] in CONNECTORS:
                j += 1
            if j > i + 1 and j < len(words):
                return list(words[j:])
            return list(words[:i]) if i > 0 and j == len(words) else []
        if word.endswith(COMPOUND_ALLERGY) and len(word) > len(COMPOUND_ALLERGY):
            return [word.removesuffix(COMPOUND_ALLERGY)]
    return []


def _singular(key: str) -> str:
    """``key`` with a plural ``-s`` off its last word ("peanuts" -> "peanut")."""
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


def _add(table: dict[str, list[ConditionId]], key: str, condition: ConditionId) -> None:
    bucket = table.setdefault(key, [])
    if condition not in bucket:
        bucket.append(condition)


__all__ = [
    "ALLERGY_WORDS",
    "CONJUNCTIONS",
    "CONNECTORS",
    "LEAD_INS",
    "NEGATION_WORDS",
    "ScreeningScan",
    "ScreeningWords",
    "fold",
    "screen_words",
]
