"""A course of sessions on the calendar: dated sessions, aftercare milestones, what follows.

:func:`plan_course` is pure: the same protocol, aftercare and start give the same schedule.
Nothing here is invented: a duration, a results window or a top-up date appears only when
the protocol states the figure it rests on; otherwise the schedule says it is unknown.

Standard library only at import (the models load when :func:`plan_course` checks its
arguments): :func:`lay_out` plans from anything shaped like a protocol and its aftercare,
such as the stored cocktail view that ``meso schedule`` and the web page read, so planning
a stored cocktail's course needs no pydantic. The schedule is plain frozen dataclasses;
:meth:`CourseSchedule.as_dict` is its JSON-ready form.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from meso_formulary.errors import InvalidInput

if TYPE_CHECKING:
    from meso_formulary.model import AftercareItem
    from meso_formulary.model import Protocol as CourseProtocol

AVERAGE_MONTH_DAYS = 365.2425 / 12
"""Days in an average Gregorian month, for the fractional part of a month count."""


class SpanLike(Protocol):
    """A closed range of numbers (:class:`~meso_formulary.model.Range` or a stored one)."""

    @property
    def min(self) -> float: ...

    @property
    def max(self) -> float: ...


class ProtocolLike(Protocol):
    """What :func:`lay_out` reads of a protocol (:class:`~meso_formulary.model.Protocol`)."""

    @property
    def sessions(self) -> int: ...

    @property
    def interval_days(self) -> int: ...

    @property
    def session_minutes(self) -> int | None: ...

    @property
    def results_last_months(self) -> SpanLike | None: ...

    @property
    def top_up_interval_months(self) -> int | None: ...

    @property
    def source(self) -> str: ...


class AftercareLike(Protocol):
    """What :func:`lay_out` reads of an aftercare item
    (:class:`~meso_formulary.model.AftercareItem`)."""

    @property
    def kind(self) -> str: ...

    @property
    def advice(self) -> str: ...

    @property
    def hours(self) -> float | None: ...

    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class PlannedSession:
    """One session: its number (from 1), start, and end when the protocol gives a duration."""

    number: int
    starts: datetime
    ends: datetime | None = None


@dataclass(frozen=True)
class Milestone:
    """A moment after a session when an aftercare restriction ends.

    ``label`` reads before the moment: "makeup allowed from" 21:00, "no hair wash until"
    09:00; ``advice`` is the supplier's own wording.
    """

    session: int
    kind: str
    """The aftercare kind (an :class:`~meso_formulary.model.AftercareKind` value)."""
    label: str
    at: datetime
    advice: str
    source: str


@dataclass(frozen=True)
class DateWindow:
    """A span of dates and the protocol figure it is based on."""

    earliest: date
    latest: date
    basis: str


@dataclass(frozen=True)
class CourseSchedule:
    """A planned course: sessions, aftercare milestones, results and top-up windows, notes."""

    sessions: tuple[PlannedSession, ...]
    milestones: tuple[Milestone, ...] = ()
    results_expected: DateWindow | None = None
    top_up_window: DateWindow | None = None
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The schedule as JSON-ready data: dates and times in ISO 8601, tuples as lists."""
        data: dict[str, Any] = _json_ready(dataclasses.asdict(self))
        return data


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def add_months(day: date, months: int) -> date:
    """``day`` plus whole ``months``, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(f"{day.isoformat()} plus {months} months is outside years 1 to 9999")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_month_span(day: date, months: float) -> date:
    """``day`` plus ``months`` that may be fractional (``1.5``): whole months by
    :func:`add_months`, the fraction as average-month days rounded to the nearest day."""
    whole = math.floor(months)
    return add_months(day, whole) + timedelta(days=round((months - whole) * AVERAGE_MONTH_DAYS))


def _after(moment: datetime, hours: float) -> datetime:
    """``hours`` of elapsed time after ``moment`` (through UTC when it has a time zone)."""
    if moment.tzinfo is None:
        return moment + timedelta(hours=hours)
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(moment.tzinfo)


def milestone_label(kind: str) -> str:
    """What a milestone of ``kind`` (an :class:`~meso_formulary.model.AftercareKind`) says,
    put before its moment.

    Built from the kind, never from the advice: the advice is the supplier's sentence
    ("Do not wash the hair on the day."), which reads badly with "until" after it.
    """
    if kind == "no_makeup":
        return "makeup allowed from"
    if kind == "other":
        return "aftercare advice ends"
    return f"{kind.replace('_', ' ')} until"  # "no hair wash until"


def _months(span: SpanLike) -> str:
    return f"{span.min:g} to {span.max:g}" if span.min != span.max else f"{span.min:g}"


def plan_course(
    protocol: CourseProtocol,
    start: date,
    *,
    aftercare: Sequence[AftercareItem] = (),
    session_time: time = time(9, 0),
) -> CourseSchedule:
    """Lay ``protocol`` out on the calendar from ``start`` (the first session's date).

    Sessions fall every ``interval_days`` at ``session_time`` (local wall-clock time, so a
    course across a daylight-saving change stays at 09:00). Each aftercare item with
    ``hours`` gives one milestone per session, counted from the session's start. The results
    and top-up windows count months from the last session, clamped to the month's end.
    """
    from meso_formulary.model import AftercareItem
    from meso_formulary.model import Protocol as CourseProtocol

    if not isinstance(protocol, CourseProtocol):
        raise TypeError(f"plan_course() needs a Protocol, not {type(protocol).__name__}")
    items = tuple(aftercare)
    for item in items:
        if not isinstance(item, AftercareItem):
            raise TypeError(f"aftercare holds a {type(item).__name__}, not an AftercareItem")
    return lay_out(protocol, start, aftercare=items, session_time=session_time)


def lay_out(
    protocol: ProtocolLike,
    start: date,
    *,
    aftercare: Sequence[AftercareLike] = (),
    session_time: time = time(9, 0),
) -> CourseSchedule:
    """:func:`plan_course` for a protocol and aftercare already validated (a stored
    cocktail's): the same schedule, without loading the models."""
    if isinstance(start, datetime) or not isinstance(start, date):
        raise TypeError(
            f"start must be a date (the time goes in session_time), not {type(start).__name__}"
        )
    if not isinstance(session_time, time):
        raise TypeError(f"session_time must be a time, not {type(session_time).__name__}")
    try:
        return _plan(protocol, start, tuple(aftercare), session_time)
    except OverflowError as exc:
        raise InvalidInput(f"the course does not fit the calendar: {exc}") from None


def _plan(
    protocol: ProtocolLike, start: date, aftercare: tuple[AftercareLike, ...], session_time: time
) -> CourseSchedule:
    notes: list[str] = []
    duration = None
    if protocol.session_minutes is None:
        notes.append("session duration unknown: the protocol gives no session_minutes")
    else:
        duration = timedelta(minutes=protocol.session_minutes)
    sessions = []
    for number in range(1, protocol.sessions + 1):
        day = start + timedelta(days=(number - 1) * protocol.interval_days)
        starts = datetime.combine(day, session_time)
        ends = None if duration is None else _after(starts, duration.total_seconds() / 3600)
        sessions.append(PlannedSession(number=number, starts=starts, ends=ends))

    milestones = [
        Milestone(
            session=session.number,
            kind=str(item.kind),
            label=milestone_label(item.kind),
            at=_after(session.starts, item.hours),
            advice=item.advice,
            source=item.source,
        )
        for session in sessions
        for item in aftercare
        if item.hours is not None
    ]
    milestones.sort(key=lambda m: (m.at, m.session))
    if any(item.hours is None for item in aftercare):
        notes.append("aftercare without a duration (hours) gives no milestone")

    last = sessions[-1].starts.date()
    span = protocol.results_last_months
    results = None
    if span is None:
        notes.append("how long results last is unknown: the protocol gives no results_last_months")
    else:
        results = DateWindow(
            earliest=add_month_span(last, span.min),
            latest=add_month_span(last, span.max),
            basis=f"results last {_months(span)} months after the last session "
            f"(protocol.results_last_months; source: {protocol.source})",
        )

    top_up = None
    if protocol.top_up_interval_months is not None:
        due = add_months(last, protocol.top_up_interval_months)
        top_up = DateWindow(
            earliest=due,
            latest=due,
            basis=f"a top-up {protocol.top_up_interval_months} months after the last session "
            f"(protocol.top_up_interval_months; source: {protocol.source})",
        )
    elif results is not None and span is not None:
        top_up = dataclasses.replace(
            results,
            basis=f"when results wear off, {_months(span)} months after the last session "
            "(protocol.results_last_months: the protocol gives no top_up_interval_months; "
            f"source: {protocol.source})",
        )
    else:
        notes.append(
            "no top-up date: the protocol gives neither top_up_interval_months "
            "nor results_last_months"
        )

    return CourseSchedule(
        sessions=tuple(sessions),
        milestones=tuple(milestones),
        results_expected=results,
        top_up_window=top_up,
        notes=tuple(notes),
    )


__all__ = [
    "CourseSchedule",
    "DateWindow",
    "Milestone",
    "PlannedSession",
    "add_month_span",
    "add_months",
    "lay_out",
    "milestone_label",
    "plan_course",
]
