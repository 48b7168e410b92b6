"""Search keys for words typed in six languages: folded, then stemmed in one language.

A client types "Calvície", "calvicie" or "CALVÍCIE"; "rides" or "ride"; "cabelos caindo"
for the phrase "cabelo caindo". :func:`fold_key` makes the first three one key (the words
of :func:`~meso_formulary.names.word_key`, which case-folds, without accents: a search box
is typed on phones and foreign keyboards). :func:`stem_key` then reduces each word of a
folded key to its Snowball stem in one language (``rid``, ``cabel cai``), so that plurals
and inflections of a phrase match it. A phrase is stemmed in its own language only, and a
typed text in each language in turn: a stem is compared with stems of its language.

Stems come from PyStemmer, the Snowball project's own C implementation (about 0.3 us a
word; the pure-Python ``snowballstemmer`` takes some 40 us, and 15 ms to import).
Stemming a folded word rather than the accented one keeps the two sides alike: whatever
the stemmer makes of "calvicie", it makes of both spellings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from functools import cache
from typing import TYPE_CHECKING, Final

from meso_formulary.names import word_key
from meso_formulary.vocabulary import Language

if TYPE_CHECKING:
    import Stemmer

SNOWBALL_NAMES: Final[dict[Language, str]] = {
    Language.EN: "english",
    Language.PT: "portuguese",
    Language.ES: "spanish",
    Language.FR: "french",
    Language.DE: "german",
    Language.IT: "italian",
}
"""The Snowball algorithm of each search language."""


_SPECIAL: Final = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})
"""Letters that Unicode does not decompose into a base letter and an accent."""


_ELISION: Final = re.compile(
    r"(?<![^\W_])(?:[^\W\d_]|qu|un|dell|dall|nell|sull|all|quell|quand|lorsqu|puisqu|jusqu)"
    r"['’ʼ`](?=[^\W_])",
    re.IGNORECASE,
)
"""An elided article or preposition and its apostrophe ("l'", "d'", "dell'", "qu'")."""


def fold_key(text: str) -> str:
    """The words of ``text`` as one key, case-folded and without accents.

    ``"Calvície"`` and ``"calvicie"`` share the key ``"calvicie"``; ``"Straße"`` is
    ``"strasse"``; ``"œdème"`` is ``"oedeme"``. An elided article stands apart
    (``"l'acné"`` is ``"l acne"``, ``"dell'acne"`` ``"dell acne"``); any other apostrophe
    joins (``"crow's-feet"`` is ``"crows feet"``, see :func:`word_key`).
    """
    key = word_key(_ELISION.sub(lambda m: m.group(0)[:-1] + " ", text))
    if key.isascii():
        return key
    decomposed = unicodedata.normalize("NFKD", key.translate(_SPECIAL))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


@cache
def _stemmer(lang: Language) -> Stemmer.Stemmer:
    import Stemmer

    return Stemmer.Stemmer(SNOWBALL_NAMES[lang])


MAX_SUFFIX: Final = 3
"""Most letters a stem may cut from a word and still stand for it (see :func:`stem_words`)."""


def stem_words(lang: Language, words: list[str]) -> list[str]:
    """The Snowball stem in ``lang`` of each folded word of ``words``, or the word itself
    where the stemmer cut more than :data:`MAX_SUFFIX` letters: inflections are short, a
    long cut makes another word ("handfuls" is not "hand"). Phrases and typed words are
    stemmed alike, so both sides keep or lose the same words."""
    stems: list[str] = _stemmer(lang).stemWords(words)
    return [
        stem if len(word) - len(stem) <= MAX_SUFFIX else word
        for word, stem in zip(words, stems, strict=True)
    ]


def stem_bag(lang: Language, words: list[str], function_words: Container[str] = ()) -> str:
    """The stems in ``lang`` of the folded ``words`` that are not ``function_words``, sorted:
    the key by which a phrase and a run of typed words are compared when their exact words
    differ. ``"se me cae el pelo"`` and ``"mi pelo se cae"`` are both ``"cae pel"`` in
    Spanish: the words that carry the meaning, inflections and order aside."""
    content = [w for w in words if w not in function_words] or words
    return " ".join(sorted(stem_words(lang, content)))


__all__ = ["MAX_SUFFIX", "SNOWBALL_NAMES", "fold_key", "stem_bag", "stem_words"]
