"""The words of screening every front end shares: what a search's screening hid and why,
and the client's conditions as typed (``meso show --client``, the cocktail page's
``client=``).

``meso search`` prints these lines under its table and the web page shows them above its
results, so a practitioner reads the same report wherever she searches::

    3 hidden because: Pregnancy (2), Fish allergy (1)
    excluded hyaluronic acid: sodium hyaluronate, hyaluronic acid (6 cocktails)

They are written from the answer's screening report (the runner's ``Screening`` and the
typed API's mirror of it alike, hence the protocols), with the standard library only;
reading a condition loads the search's lexicon, which ``meso show`` without ``--client``
does not need (start-up time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from meso_formulary.errors import SearchError
from meso_formulary.vocabulary import ConditionId


def client_conditions(values: Sequence[str]) -> tuple[ConditionId, ...]:
    """``values`` as conditions of the vocabulary, each once, in the order given, read as
    the search reads ``client`` (forgiving case and separators).

    Raises :class:`~meso_formulary.errors.SearchError` ``unknown condition 'x'`` with the
    closest ids, or a pointer to ``meso conditions`` when none is close.
    """
    if not values:
        return ()
    from meso_formulary.catalogue.search.lexicon import parse_choice  # see the module doc

    found: dict[ConditionId, None] = {}
    for value in values:
        try:
            found[parse_choice(value, ConditionId, "condition")] = None
        except SearchError as error:
            hint = error.hint or "meso conditions lists the conditions by id"
            raise SearchError(error.message, hint=hint) from None
    return tuple(found)


class _Excluded(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def substances(self) -> Sequence[str]: ...

    @property
    def cocktails_hidden(self) -> int: ...


class _Condition(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def cocktails_hidden(self) -> int: ...


class ScreeningReport(Protocol):
    """What the lines are written from: the answer's ``screening``."""

    @property
    def excluded(self) -> Sequence[_Excluded]: ...

    @property
    def conditions(self) -> Sequence[_Condition]: ...

    @property
    def hidden(self) -> int: ...


def _cocktails(n: int) -> str:
    """``1 cocktail``, ``6 cocktails``."""
    return f"{n} cocktail{'' if n == 1 else 's'}"


def hidden_line(screening: ScreeningReport) -> str | None:
    """``3 hidden because: Pregnancy (2), Fish allergy (1), excluded lidocaine (1)`` (each
    cocktail counted once in the total, under each reason that hides it in the parts);
    ``None`` when the search screened nothing out and was asked to screen nothing."""
    reasons = [f"{c.name} ({c.cocktails_hidden})" for c in screening.conditions] + [
        f"excluded {e.name} ({e.cocktails_hidden})" for e in screening.excluded
    ]
    if not reasons:
        return None
    if not screening.hidden:
        return "None hidden by: " + ", ".join(
            [c.name for c in screening.conditions]
            + [f"excluded {e.name}" for e in screening.excluded]
        )
    return f"{screening.hidden} hidden because: " + ", ".join(reasons)


def excluded_lines(screening: ScreeningReport) -> tuple[str, ...]:
    """One line per excluded name: what it covered and how many cocktails it hid
    (``excluded hyaluronic acid: sodium hyaluronate, hyaluronic acid (6 cocktails)``)."""
    return tuple(
        f"excluded {e.name}: {', '.join(e.substances)} ({_cocktails(e.cocktails_hidden)})"
        for e in screening.excluded
    )


def screening_lines(screening: ScreeningReport) -> tuple[str, ...]:
    """The whole report: the hidden line, then what each exclusion covered."""
    first = hidden_line(screening)
    return (*((first,) if first else ()), *excluded_lines(screening))
