"""The notice every answer a person reads carries: information, not medical advice.

One wording for the web pages, the command line and the docs (standard library only: the
read commands print it without loading anything else).
"""

from __future__ import annotations

from typing import Final

NOT_MEDICAL_ADVICE: Final = (
    "Information, not medical advice. Every figure says where it comes from; where no source "
    "gives a figure, the field is left empty. Nothing here replaces a qualified practitioner's "
    "judgement, the product's labelling or local law."
)

__all__ = ["NOT_MEDICAL_ADVICE"]
