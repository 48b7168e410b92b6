"""Reusable annotated field types shared by every model (pydantic's annotated pattern)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict, StringConstraints

from meso_formulary.identifiers import (
    SLUG_RE,
    has_control_characters,
    validate_cas,
)


def _no_control_characters(text: str) -> str:
    if has_control_characters(text):
        raise ValueError("text holds control characters (only newline and tab are allowed)")
    return text


PositiveFinite = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
"""A finite number above zero. ``True``, ``"30"``, NaN and infinities are refused."""

FiniteFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]
"""A finite number (strict: no strings or booleans)."""

Count = Annotated[int, Strict(), Field(ge=1, le=1000)]
"""A whole number of things (sessions, minutes...), at least one."""

Slug = Annotated[str, StringConstraints(pattern=SLUG_RE.pattern)]
"""A lowercase ASCII identifier: letters, digits, ``-`` and ``_`` (no path separators)."""

CocktailId = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?/[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$"
    ),
]
"""``supplier/slug``: a cocktail id lives in its supplier's namespace."""

ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(_no_control_characters),
]
"""A name or short phrase."""

LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_characters),
]
"""A description or note."""

SourceText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=1_000),
    AfterValidator(_no_control_characters),
]
"""Where a fact comes from: a citation, a label, a URL."""

CasNumber = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(validate_cas)]
"""A CAS Registry Number whose check digit is right (placeholders refused)."""

VersionText = Annotated[str, StringConstraints(pattern=r"^\d{1,6}(?:\.\d{1,6}){0,3}$")]
"""A dotted version such as ``1``, ``2.1`` or ``2026.3.1``."""
