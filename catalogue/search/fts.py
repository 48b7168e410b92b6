"""Turn practitioner-typed text into an FTS5 query that cannot fail.

Raw text in ``MATCH`` is parsed as the FTS5 query language: ``hair-loss`` means "column
hair, minus loss" (``no such column: loss``), a stray ``"`` is an unterminated string,
``AND``/``NOT``/``NEAR(``/``col:`` are operators, and a NUL byte cuts the query short.
sqlite-utils' ``quote=True`` still fails on empty text, NUL, and ``"`` followed by a
newline (reliability.md 2.1). :func:`fts_query` is the only way user text reaches ``MATCH``.

Each white-space separated word becomes one FTS5 string (``"..."`` with ``"`` doubled), so
the query language never sees user syntax. Inside a string the ``unicode61`` tokenizer
splits on punctuation, so ``"hair-loss"`` is the phrase *hair loss*: it matches "hair-loss"
and "hair loss" but not "loss of hair". The words are ANDed (FTS5's implicit operator).
"""

from __future__ import annotations

import unicodedata

from meso_formulary.identifiers import clean_text

_TOKEN_CATEGORIES = ("L", "N")
"""General-category prefixes ``unicode61`` treats as token characters (with ``Co``)."""


def _has_token_character(word: str) -> bool:
    """True when ``unicode61`` finds at least one token in ``word``.

    A word made only of punctuation or symbols (``-``, ``%``, ``&``) tokenizes to nothing;
    it would be an empty phrase, which FTS5 accepts but which searches for nothing, so it
    is dropped instead (and text made only of such words is "nothing to search").
    """
    for char in word:
        category = unicodedata.category(char)
        if category[0] in _TOKEN_CATEGORIES or category == "Co":
            return True
    return False


def words(text: str) -> list[str]:
    """The searchable white-space separated words of ``text`` after :func:`clean_text`.

    Lone surrogates (``Cs``, e.g. from an undecodable command-line byte) cannot be encoded
    for SQLite, so they separate words like control characters do.
    """
    text = "".join(" " if unicodedata.category(c) == "Cs" else c for c in text)
    return [word for word in clean_text(text).split() if _has_token_character(word)]


def fts_query(text: str, *, prefix: bool = True, any_word: bool = False) -> str | None:
    """The FTS5 query for ``text``, or ``None`` when nothing searchable is left.

    ``prefix``: a word ending in ``*`` (``vita*``) becomes a prefix query (``"vita"*``);
    with ``prefix=False`` the ``*`` is searched literally, which ``unicode61`` ignores.
    The words are all required, or any of them with ``any_word`` (joined by ``OR``).
    No other syntax is honoured: ``AND``, ``OR``, ``NOT``, ``NEAR(``, ``^`` and ``col:``
    are searched as the words they are.
    """
    parts: list[str] = []
    for word in words(text):
        stem = word.rstrip("*")
        is_prefix = prefix and stem != word and _has_token_character(stem)
        body = stem if is_prefix else word
        quoted = '"' + body.replace('"', '""') + '"'
        parts.append(quoted + "*" if is_prefix else quoted)
    return (" OR " if any_word else " ").join(parts) or None


__all__ = ["fts_query", "words"]
