"""How a search text is read: the concerns, treatment areas and brands it names, and the rest.

A practitioner types what the client said: "what can I do about my dark circles", "tenho
muitas rugas na testa", "Cellulite an den Oberschenkeln", "does Profhilo work on the neck".
:meth:`TextReader.read` finds, in three passes over the typed words, each word read once:

1. **phrases**: every run of up to :data:`MAX_PHRASE_WORDS` words, folded (no case, no
   accents: :func:`~meso_formulary.folding.fold_key`), looked up among the catalogue's
   phrases (``search_phrases``: every indication's and area's name, synonyms and words in
   six languages; the function words of each language) and brand names
   (``cocktail_brands``), longest first;
2. **stems**: the words left, without function words, stemmed in each language in turn
   (Snowball: "cabelos caindo" is "cabel caind", "Falten" is "falt") and compared, as a bag,
   with the phrases of that language stemmed alike (``search_phrases.stem``): plurals,
   inflections and word order aside;
3. **typos**: the runs of up to :data:`MAX_FUZZY_WORDS` words still left, against every
   phrase and brand by ``fuzz.ratio`` (:data:`FUZZY_CUTOFF`), best first.

A near-word ("cellulitis", "melanoma") is never read as a concern, exactly or as a typo
(its words are left, see :mod:`.screening_words`). What is left, function words out, is
the remainder: the runner ranks by it when a concern, area or brand was read and searches
for it otherwise.

Lookups are SQL on indexed tables (one statement per pass), so the cost of a text follows
its words, not the size of the vocabulary; the fuzzy pass loads the phrases once per
catalogue state. A text of more than :data:`MAX_READ_WORDS` words is cut to its first
:data:`MAX_READ_WORDS` distinct words first.
"""

import json
import sqlite3
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Final, Literal, NamedTuple

from meso_formulary.catalogue.search.fts import words as fts_words
from meso_formulary.folding import fold_key, stem_words
from meso_formulary.vocabulary import Area, IndicationId, Language

MAX_READ_WORDS: Final = 40
"""Distinct typed words read at most; the others are dropped (a 500-character text of
one-letter words has some 250)."""

MAX_PHRASE_WORDS: Final = 6
"""Longest run of words compared with one phrase."""

MAX_FUZZY_WORDS: Final = 3
"""Longest run of words compared with a phrase for typos."""

MAX_FUZZY_WINDOWS: Final = 40
"""Runs of words compared for typos at most (the earliest ones): each costs some 0.1 ms."""

FUZZY_CUTOFF: Final = 85.0
"""Least ``fuzz.ratio`` for a typo of eight letters or more to count ("celullite" scores 89
against "cellulite", "pigmantation" 92; "Sonnenbaden" 83 against "Sonnenschäden" does not);
shorter runs have their own (:func:`_cutoff`)."""

MIN_FUZZY_CHARS: Final = 5
"""Runs shorter than this are never fuzzy-matched: one edit in four letters is another word."""

LANGUAGES: Final = tuple(Language)
"""The languages a text's words are stemmed in, in this order (a tie goes to the first)."""

How = Literal["phrase", "stem", "fuzzy"]

_INDICATIONS: Final = {i.value: i for i in IndicationId}
_AREAS: Final = {a.value: a for a in Area}


class Concern(NamedTuple):
    """An indication found in the typed text, and how."""

    indication_id: IndicationId
    term: str
    """The typed words that matched, folded ("Queda de Cabelo" -> "queda de cabelo")."""
    matched: str
    """The name, synonym or term they matched."""
    how: How
    score: float
    """100 for a phrase or a stem match, else the rapidfuzz ratio."""


class AreaMatch(NamedTuple):
    """A treatment area found in the typed text, and how."""

    area: Area
    term: str
    matched: str
    how: How


class BrandMatch(NamedTuple):
    """A brand name found in the typed text (the key of ``cocktail_brands``)."""

    key: str
    brand: str
    """The brand as a catalogue spells it."""
    term: str
    how: How


class Reading(NamedTuple):
    """What a text names, and the typed words left."""

    concerns: tuple[Concern, ...]
    areas: tuple[AreaMatch, ...]
    brands: tuple[BrandMatch, ...]
    remainder: tuple[str, ...]
    """Typed tokens (as typed) not read as anything, function words out. A token partly
    inside a phrase keeps its other words."""
    dropped: int
    """Typed words not read at all: repeats, and the words past :data:`MAX_READ_WORDS`."""


class _Hit(NamedTuple):
    kind: str
    target: str
    phrase: str


class _Words:
    """The typed words: folded, where each came from, and which are read."""

    def __init__(self, text: str) -> None:
        typed = [token for token in fts_words(text) if fold_key(token)]
        tokens = typed
        if len(typed) > MAX_READ_WORDS:  # a long text: each word once, the first ones
            seen: set[str] = set()
            tokens = []
            for token in typed:
                key = fold_key(token)
                if key not in seen and len(tokens) < MAX_READ_WORDS:
                    seen.add(key)
                    tokens.append(token)
        self.dropped = len(typed) - len(tokens)
        self.tokens = tokens
        self.words: list[str] = []
        self.spans: list[range] = []
        for token in tokens:
            own = fold_key(token).split()
            self.spans.append(range(len(self.words), len(self.words) + len(own)))
            self.words += own
        self.taken = [False] * len(self.words)
        self.stop = [False] * len(self.words)
        self.near = [False] * len(self.words)
        self.prefix = [False] * len(self.words)
        """Words of a token typed as a prefix ("gluta*"): searched as typed, never read."""
        for token, span in zip(tokens, self.spans, strict=True):
            if token.endswith("*"):
                for i in span:
                    self.prefix[i] = True
        self.soft = [False] * len(self.words)
        """Words read only as an area: a typo of a longer concern phrase may still take
        them ("dubble chin" is a typo of "double chin", though "chin" alone is an area)."""
        self.lone = [False] * len(self.words)
        """A word read alone as a concern: a typo of a longer concern phrase may still take
        it ("acne scaring" is a typo of "acne scarring", though "acne" alone is a concern)."""

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end]) and not any(
            self.near[i] or self.prefix[i] for i in range(start, end)
        )

    def content(self) -> list[int]:
        """Positions of the words not read, not function words, not near-words, not
        prefixes."""
        return [
            i
            for i in range(len(self.words))
            if not (self.taken[i] or self.stop[i] or self.near[i] or self.prefix[i])
        ]

    def joined(self, positions: Sequence[int]) -> bool:
        """True when only function words stand between ``positions``.

        The stem and typo passes compare runs of content words: function words between
        them are skipped ("queda *do* cabelo"); a word read as something else, or a
        near-word, ends a run."""
        return all(
            all(self.stop[i] and not self.taken[i] for i in range(a + 1, b))
            for a, b in pairwise(positions)
        )

    def remainder(self) -> tuple[str, ...]:
        left: list[str] = []
        for token, span in zip(self.tokens, self.spans, strict=True):
            skip = [self.taken[i] or self.stop[i] for i in span]
            if not any(skip):
                left.append(token)
            elif not all(skip):
                left += [self.words[i] for i in span if not skip[i - span.start]]
        return tuple(left)


class _Found:
    """The matches of a reading, in the order of the typed words."""

    def __init__(self) -> None:
        self.items: list[tuple[int, Concern | AreaMatch | BrandMatch]] = []

    def add(self, at: int, term: str, hits: Sequence[_Hit], how: How, score: float) -> bool:
        """Record ``hits`` for the words at ``at``; False when none is a concern, area or
        brand (function words only)."""
        content = False
        for kind, target, phrase in hits:
            if kind == "indication" and target in _INDICATIONS:
                self.items.append((at, Concern(_INDICATIONS[target], term, phrase, how, score)))
            elif kind == "area" and target in _AREAS:
                self.items.append((at, AreaMatch(_AREAS[target], term, phrase, how)))
            elif kind == "brand":
                self.items.append((at, BrandMatch(target, phrase, term, how)))
            else:
                continue
            content = True
        return content

    def drop(self, positions: range) -> None:
        """Forget the matches read at ``positions`` (a longer typo took their words)."""
        self.items = [item for item in self.items if item[0] not in positions]

    def reading(self, words: _Words) -> Reading:
        self.items.sort(key=lambda item: item[0])
        matches = [m for _, m in self.items]
        concerns: dict[IndicationId, Concern] = {}
        areas: dict[str, AreaMatch] = {}
        brands: dict[str, BrandMatch] = {}
        for m in matches:  # each concern, area and brand once, where first typed
            if isinstance(m, Concern):
                concerns.setdefault(m.indication_id, m)
            elif isinstance(m, AreaMatch):
                areas.setdefault(m.area, m)
            else:
                brands.setdefault(m.key, m)
        return Reading(
            concerns=tuple(concerns.values()),
            areas=tuple(areas.values()),
            brands=tuple(brands.values()),
            remainder=words.remainder(),
            dropped=words.dropped,
        )


class FuzzyChoice(NamedTuple):
    """A phrase or brand as the typo pass compares it."""

    key: str
    hits: tuple[_Hit, ...]


class TextReader:
    """Reads texts against one catalogue state (see the module doc).

    ``near_mask(words)`` marks the near-words among folded words; ``near_typo(text)`` says
    whether a run of words is as close to a near-word as a typo is to a phrase. The phrases
    the typo pass compares are read from the catalogue on first use and kept.
    """

    def __init__(
        self,
        near_mask: Callable[[Sequence[str]], list[bool]],
        near_typo: Callable[[str, float], bool],
    ) -> None:
        self._near_mask = near_mask
        self._near_typo = near_typo
        self._choices: list[FuzzyChoice] | None = None
        self._processed: list[str] = []

    def read(self, conn: sqlite3.Connection, text: str) -> Reading:
        """What ``text`` names in the catalogue on ``conn`` (see the module doc)."""
        words = _Words(text)
        found = _Found()
        if not words.words:
            return found.reading(words)
        words.near = self._near_mask(words.words)
        self._phrases(conn, words, found)
        self._stems(conn, words, found)
        self._typos(conn, words, found)
        return found.reading(words)

    # ------------------------------------------------------------------ passes

    def _phrases(self, conn: sqlite3.Connection, words: _Words, found: _Found) -> None:
        n = len(words.words)
        windows = {
            " ".join(words.words[s : s + size])
            for size in range(1, min(MAX_PHRASE_WORDS, n) + 1)
            for s in range(n - size + 1)
        }
        hits = _lookup(
            conn,
            "SELECT key, kind, target, phrase FROM search_phrases "
            "WHERE key IN (SELECT value FROM json_each(?)) "
            "UNION ALL SELECT key, 'brand', key, min(brand) FROM cocktail_brands "
            "WHERE key IN (SELECT value FROM json_each(?)) GROUP BY key",
            sorted(windows),
        )
        inside = [False] * n
        # Words of a concern or brand phrase that named no area (searched for areas next).
        for size in range(min(MAX_PHRASE_WORDS, n), 0, -1):
            for start in range(n - size + 1):
                end = start + size
                if not words.free(start, end):
                    continue
                key = " ".join(words.words[start:end])
                if key not in hits:
                    continue
                if found.add(start, key, hits[key], "phrase", 100.0):
                    words.taken[start:end] = [True] * size
                    words.stop[start:end] = [False] * size
                    kinds = {hit.kind for hit in hits[key]}
                    if "area" not in kinds:
                        inside[start:end] = [True] * size
                    elif kinds <= {"area", "stop"}:
                        words.soft[start:end] = [True] * size
                    if size == 1 and kinds <= {"indication", "stop"}:
                        words.lone[start] = True
                elif size == 1:
                    words.stop[start] = True
        # A concern phrase may hold an area ("celulitis en los muslos", "rugas na testa"):
        # the area is read too, so that it ranks.
        for size in range(min(MAX_PHRASE_WORDS, n), 0, -1):
            for start in range(n - size + 1):
                end = start + size
                if not all(inside[start:end]):
                    continue
                areas = [
                    h for h in hits.get(" ".join(words.words[start:end]), ()) if h.kind == "area"
                ]
                if areas and found.add(
                    start, " ".join(words.words[start:end]), areas, "phrase", 100.0
                ):
                    inside[start:end] = [False] * size

    def _stems(self, conn: sqlite3.Connection, words: _Words, found: _Found) -> None:
        content = words.content()
        if not content:
            return
        folded = [words.words[i] for i in content]
        stems = {lang: stem_words(lang, folded) for lang in LANGUAGES}
        n = len(content)
        sizes = range(min(MAX_PHRASE_WORDS, n), 0, -1)

        def bag(lang: Language, start: int, end: int) -> str:
            return " ".join(sorted(stems[lang][start:end]))

        keys = {
            bag(lang, s, s + size)
            for lang in LANGUAGES
            for size in sizes
            for s in range(n - size + 1)
        }
        rows = conn.execute(
            "SELECT stem, lang, kind, target, phrase FROM search_phrases "
            "WHERE stem IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(keys)),),
        ).fetchall()
        hits: dict[tuple[str, str], list[_Hit]] = {}
        for stem, lang, kind, target, phrase in rows:
            hits.setdefault((lang, stem), []).append(_Hit(kind, target, phrase))
        used = [False] * n
        for size in sizes:
            for start in range(n - size + 1):
                end = start + size
                if any(used[start:end]) or not words.joined(content[start:end]):
                    continue
                for lang in LANGUAGES:
                    got = hits.get((lang.value, bag(lang, start, end)))
                    if not got:
                        continue
                    term = " ".join(folded[start:end])
                    if found.add(content[start], term, got, "stem", 100.0):
                        used[start:end] = [True] * size
                        for i in content[start:end]:
                            words.taken[i] = True
                        break

    def _typos(self, conn: sqlite3.Connection, words: _Words, found: _Found) -> None:
        content = set(words.content())
        soft = {i for i, flag in enumerate(words.soft) if flag and not words.prefix[i]}
        lone = {i for i, flag in enumerate(words.lone) if flag}
        eligible = sorted(content | soft | lone)
        spans: list[tuple[int, int]] = []
        for size in range(1, min(MAX_FUZZY_WORDS, len(eligible)) + 1):
            for s in range(len(eligible) - size + 1):
                run = eligible[s : s + size]
                chars = sum(len(words.words[i]) for i in run)
                if content.intersection(run) and words.joined(run) and chars >= MIN_FUZZY_CHARS:
                    spans.append((run[0], run[-1] + 1))
        spans = spans[:MAX_FUZZY_WINDOWS]
        if not spans:
            return
        choices = self._fuzzy_choices(conn)
        if not choices:
            return
        from rapidfuzz import fuzz, process, utils

        candidates: list[tuple[float, int, int, int]] = []
        for w, (start, end) in enumerate(spans):
            window = utils.default_process(" ".join(words.words[start:end]))
            cutoff = _cutoff(len(window.replace(" ", "")))
            if cutoff is None:
                continue
            best = process.extractOne(
                window, self._processed, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff
            )
            if best is None:
                continue
            # A typo at least as close to a near-word ("cellulitus") is no concern: the run
            # is set aside (k = -1) and keeps its words from any other match.
            k = -1 if self._near_typo(window, float(best[1])) else best[2]
            candidates.append((float(best[1]), end - start, w, k))
        candidates.sort(key=lambda c: (-c[0], -c[1], spans[c[2]][0], c[3]))
        for score, _, w, k in candidates:
            start, end = spans[w]
            yielding = [
                t and (s or one)
                for t, s, one in zip(
                    words.taken[start:end],
                    words.soft[start:end],
                    words.lone[start:end],
                    strict=True,
                )
            ]
            if any(t and not y for t, y in zip(words.taken[start:end], yielding, strict=True)):
                continue
            if any(yielding) and (k < 0 or not any(hit.kind != "area" for hit in choices[k].hits)):
                continue  # an area's or a lone concern's word is given up only for a concern
            if any(words.lone[start:end]):
                found.drop(range(start, end))  # the longer phrase is what was meant
            words.taken[start:end] = [True] * (end - start)
            words.soft[start:end] = [False] * (end - start)
            words.lone[start:end] = [False] * (end - start)
            if k >= 0:
                term = " ".join(words.words[start:end])
                found.add(start, term, choices[k].hits, "fuzzy", round(score, 1))

    def _fuzzy_choices(self, conn: sqlite3.Connection) -> list[FuzzyChoice]:
        if self._choices is None:
            from rapidfuzz import utils

            by_key: dict[str, list[_Hit]] = {}
            rows = conn.execute(
                "SELECT key, kind, target, phrase FROM search_phrases "
                "WHERE kind IN ('indication', 'area') AND length(key) >= ? "
                "UNION ALL SELECT key, 'brand', key, min(brand) FROM cocktail_brands "
                "WHERE length(key) >= ? GROUP BY key",
                (MIN_FUZZY_CHARS, MIN_FUZZY_CHARS),
            )
            for key, kind, target, phrase in rows:
                by_key.setdefault(key, []).append(_Hit(kind, target, phrase))
            self._choices = [FuzzyChoice(k, tuple(h)) for k, h in sorted(by_key.items())]
            self._processed = [utils.default_process(c.key) for c in self._choices]
        return self._choices


def _cutoff(chars: int) -> float | None:
    """The least ``fuzz.ratio`` for a typo of a run of ``chars`` letters, or ``None``
    when so short a run is never read as a typo: one edit in five letters is often
    another word ("sento" and "seno"), in eight a typo ("pigmantation")."""
    if chars < MIN_FUZZY_CHARS:
        return None
    if chars < 6:
        return 90.0
    if chars < 8:
        return 83.0
    return FUZZY_CUTOFF


def _lookup(conn: sqlite3.Connection, sql: str, keys: list[str]) -> dict[str, list[_Hit]]:
    encoded = json.dumps(keys)
    hits: dict[str, list[_Hit]] = {}
    for key, kind, target, phrase in conn.execute(sql, (encoded, encoded)):
        hits.setdefault(key, []).append(_Hit(kind, target, phrase))
    return hits


__all__ = [
    "FUZZY_CUTOFF",
    "MAX_READ_WORDS",
    "AreaMatch",
    "BrandMatch",
    "Concern",
    "Reading",
    "TextReader",
]
