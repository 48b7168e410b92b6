"""The notice every answer a person reads carries: information, not medical advice.

One wording for the web pages, ``--help``, the calendar file and the docs, and its one-line
form for the terminal (standard library only: the read commands print it without loading
anything else).
"""

from __future__ import annotations

from typing import Final

NOT_MEDICAL_ADVICE: Final = (
    "Information, not medical advice. Every figure says where it comes from; where no source "
    "gives a figure, the field is left empty. Nothing here replaces a qualified practitioner's "
    "judgement, the product's labelling or local law."
)

NOT_MEDICAL_ADVICE_LINE: Final = (
    "Information, not medical advice: see the label and a practitioner's judgement."
)
"""The notice on one line of a terminal 80 columns wide (at most 79 characters): under every
answer the command line draws for a person, where the full wording would wrap to three."""

__all__ = ["NOT_MEDICAL_ADVICE", "NOT_MEDICAL_ADVICE_LINE"]
