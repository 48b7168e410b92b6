"""Identifiers and text keys: CAS RN, SNOMED CT, ICD-10, slugs, and name normalisation.

Check digits are computed here, never trusted from data.
"""

from __future__ import annotations

import re
import unicodedata

CAS_PLACEHOLDERS = frozenset({"999999-99-4"})
"""CAS-shaped values that pass the check digit but name no substance (CosIng uses this one)."""

_CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
_SNOMED_RE = re.compile(r"^[1-9]\d{5,17}$")
ICD10_RE = re.compile(r"^[A-Z]\d{2}(?:\.\d{1,2})?$")
"""WHO ICD-10 code shape: a letter, two digits, optionally a dot and one or two digits."""
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


def cas_check_digit(body: str) -> int:
    """The CAS check digit of the digits before it (weights 1, 2, 3 ... from the right)."""
    digits = [int(c) for c in body if c.isdigit()]
    return sum(i * d for i, d in enumerate(reversed(digits), start=1)) % 10


def is_valid_cas(value: str) -> bool:
    """True for a CAS RN with the right shape and check digit that is not a placeholder.

    >>> from meso_formulary import is_valid_cas
    >>> is_valid_cas("50-81-7")  # ascorbic acid
    True
    >>> is_valid_cas("50-81-8")  # one digit off: the check digit catches it
    False
    """
    match = _CAS_RE.match(value)
    if not match or value in CAS_PLACEHOLDERS:
        return False
    return cas_check_digit(match[1] + match[2]) == int(match[3])


def validate_cas(value: str) -> str:
    """Return ``value`` if it is a valid CAS RN, else raise ``ValueError`` saying why (without
    the value: the report it ends up in shows the value beside the message)."""
    match = _CAS_RE.match(value)
    if not match:
        raise ValueError("not shaped like a CAS number (e.g. 50-81-7)")
    if value in CAS_PLACEHOLDERS:
        raise ValueError("a placeholder, not a real CAS number")
    expected = cas_check_digit(match[1] + match[2])
    if expected != int(match[3]):
        raise ValueError(f"wrong CAS check digit (expected {expected})")
    return value


# Verhoeff tables (dihedral group D5), as used by SNOMED CT identifiers.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_ok(number: str) -> bool:
    """True when the last digit of ``number`` is its Verhoeff check digit."""
    check = 0
    for i, char in enumerate(reversed(number)):
        check = _D[check][_P[i % 8][int(char)]]
    return check == 0


def validate_snomed_concept(value: str) -> str:
    """Return ``value`` if it is a SNOMED CT concept id (shape, Verhoeff, partition), else raise."""
    if not _SNOMED_RE.match(value):
        raise ValueError(f"{value!r} is not a SNOMED CT id (6 to 18 digits)")
    if not verhoeff_ok(value):
        raise ValueError(f"{value!r} fails the SNOMED CT Verhoeff check digit")
    if value[-3:-1] not in ("00", "10"):
        raise ValueError(f"{value!r} is not a concept id (partition {value[-3:-1]})")
    return value


def validate_icd10(value: str) -> str:
    """Return ``value`` if it is shaped like a WHO ICD-10 code, else raise ``ValueError``."""
    if not ICD10_RE.match(value):
        raise ValueError(f"{value!r} is not shaped like a WHO ICD-10 code (e.g. L90.6)")
    return value


_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def clean_text(text: str) -> str:
    """NFKC-normalise, drop control and format characters, collapse white space."""
    if text.isascii() and text.isprintable():  # fast path: NFKC is the identity on ASCII
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(c) in _INVISIBLE else c for c in text)
    return " ".join(text.split())


def name_key(text: str) -> str:
    """The key one name is known by: ``clean_text`` then ``casefold``.

    ``"Vitamin B₁₂"``, ``"vitamin\u00a0b12"`` and ``"VITAMIN B12 "`` share the key
    ``"vitamin b12"``; NFC and NFD spellings of one accented name do too.

    >>> from meso_formulary import name_key
    >>> name_key("Vitamin B₁₂ ")
    'vitamin b12'
    """
    return clean_text(text).casefold()


_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Category ``Cc`` (U+0000-U+001F and U+007F-U+009F, fixed by Unicode) minus tab and newline."""


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds control characters other than newline and tab."""
    return _CONTROL_RE.search(text) is not None
