"""How a search read its text, in the words every front end shares.

``meso search`` prints these lines under its table (and the relaxation on stderr with
``--json``), and the web page shows them above its results::

    Read as: 'queda de cabelo' -> concern alopecia; 'testa' -> area forehead
    No cocktail holds all of 'xyz', 'biotin': showing those that hold any of them.

Written from the runner's ``Answer`` and the typed API's ``SearchResults`` alike (hence the
protocols), with the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol


class _Concern(Protocol):
    @property
    def indication_id(self) -> StrEnum: ...
    @property
    def term(self) -> str: ...


class _Area(Protocol):
    @property
    def area(self) -> StrEnum: ...
    @property
    def term(self) -> str: ...


class _Brand(Protocol):
    @property
    def brand(self) -> str: ...
    @property
    def term(self) -> str: ...


class _Answer(Protocol):
    @property
    def concerns(self) -> Sequence[_Concern]: ...
    @property
    def areas(self) -> Sequence[_Area]: ...
    @property
    def brands(self) -> Sequence[_Brand]: ...
    @property
    def relaxed(self) -> Sequence[str]: ...
    @property
    def unread(self) -> int: ...


def reading_lines(answer: _Answer) -> tuple[str, ...]:
    """What the text was read as, what was relaxed to find anything, and what was not read."""
    read = [
        *(
            f"'{c.term}' -> concern {c.indication_id.value.replace('_', ' ')}"
            for c in answer.concerns
        ),
        *(f"'{a.term}' -> area {a.area.value}" for a in answer.areas),
        *(f"'{b.term}' -> brand {b.brand}" for b in answer.brands),
    ]
    lines = ["Read as: " + "; ".join(dict.fromkeys(read))] if read else []
    lines += relaxation_lines(answer)
    if answer.unread:
        lines.append(f"{answer.unread} repeated or extra words were not read.")
    return tuple(lines)


def relaxation_lines(answer: _Answer) -> tuple[str, ...]:
    """Only what was relaxed (what a reader of ``--json`` output must still be told)."""
    return tuple(text[0].upper() + text[1:] + "." for text in answer.relaxed)


__all__ = ["reading_lines", "relaxation_lines"]
