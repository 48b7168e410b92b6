"""A course of sessions on the calendar: dated sessions, aftercare milestones, what follows.

:func:`plan_course` is pure: the same protocol, aftercare and start give the same schedule.
Nothing here is invented: a duration, a results window or a top-up date appears only when
the protocol (or, failing it, a sourced course fact) states the figure it rests on;
otherwise the schedule says it is unknown.

Where sources differ the plan takes the most conservative value and says so: of several
items of the same aftercare advice (make-up after 4 h, 12 h or the next day) it keeps the
longest; a product's own instructions override general advice of the same kind; of
several session lengths, the longest; of several results spans, the widest.

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
    from meso_formulary.model import AftercareItem, CourseFact
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
    def basis(self) -> str:
        """``general`` or ``product_instructions`` (:class:`~meso_formulary.model.AdviceBasis`)."""
        ...

    @property
    def source(self) -> str: ...


class CourseFactLike(Protocol):
    """What :func:`lay_out` reads of a course fact (:class:`~meso_formulary.model.CourseFact`)."""

    @property
    def fact(self) -> str: ...

    @property
    def min(self) -> float | None: ...

    @property
    def max(self) -> float | None: ...

    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class GivenCourse:
    """A course the practitioner states (``meso schedule --sessions 4 --interval 14``), for a
    cocktail whose catalogue gives none: a :class:`ProtocolLike` with only those figures."""

    sessions: int
    interval_days: int
    session_minutes: int | None = None
    results_last_months: SpanLike | None = None
    top_up_interval_months: int | None = None
    source: str = "the practitioner's own figures"

    def __post_init__(self) -> None:
        if not 1 <= self.sessions <= MAX_SESSIONS:
            raise InvalidInput(f"a course has 1 to {MAX_SESSIONS} sessions, not {self.sessions}")
        if not 1 <= self.interval_days <= MAX_INTERVAL_DAYS:
            raise InvalidInput(
                f"sessions are 1 to {MAX_INTERVAL_DAYS} days apart, not {self.interval_days}"
            )


MAX_SESSIONS = 52
"""The most sessions a course has (as :class:`~meso_formulary.model.Protocol` allows)."""
MAX_INTERVAL_DAYS = 365
"""The longest interval between sessions (as :class:`~meso_formulary.model.Protocol` allows)."""


@dataclass(frozen=True)
class PlannedSession:
    """One session: its number (from 1), start, and end when the protocol gives a duration.

    ``moved_from`` is the date it would have fallen on, when the plan avoids weekends and
    moved it to the Monday after."""

    number: int
    starts: datetime
    ends: datetime | None = None
    moved_from: date | None = None


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
    """A span of dates and the protocol figure it is based on (one date when the sources
    give one figure: then :attr:`is_one_date`)."""

    earliest: date
    latest: date
    basis: str

    @property
    def is_one_date(self) -> bool:
        """Whether the window is a single date (a date to name as such, not a window)."""
        return self.earliest == self.latest


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
    course_facts: Sequence[CourseFact] = (),
    session_time: time = time(9, 0),
    avoid_weekends: bool = False,
) -> CourseSchedule:
    """Lay ``protocol`` out on the calendar from ``start`` (the first session's date).

    Sessions fall every ``interval_days`` at ``session_time`` (local wall-clock time, so a
    course across a daylight-saving change stays at 09:00). Each aftercare item with
    ``hours`` gives one milestone per session, counted from the session's start (of items
    that repeat one piece of advice, the longest; see the module doc). The results and
    top-up windows count months from the last session, clamped to the month's end.
    ``course_facts`` (the cocktail's) give the session length and the results span when
    the protocol does not, and top-up spans beside the protocol's top-up interval.

    With ``avoid_weekends``, a session falling on a Saturday or a Sunday moves to the Monday
    after, and the later sessions keep the interval from the moved one; a note says what
    moved.

    >>> from datetime import date
    >>> import meso_formulary as mf
    >>> protocol = mf.Protocol(sessions=4, interval_days=14, source="acme leaflet 2026")
    >>> plan = mf.plan_course(protocol, date(2026, 1, 5))
    >>> [session.starts.date().isoformat() for session in plan.sessions]
    ['2026-01-05', '2026-01-19', '2026-02-02', '2026-02-16']
    """
    from meso_formulary.model import AftercareItem, CourseFact
    from meso_formulary.model import Protocol as CourseProtocol

    if not isinstance(protocol, CourseProtocol):
        raise TypeError(f"plan_course() needs a Protocol, not {type(protocol).__name__}")
    items = tuple(aftercare)
    for item in items:
        if not isinstance(item, AftercareItem):
            raise TypeError(f"aftercare holds a {type(item).__name__}, not an AftercareItem")
    facts = tuple(course_facts)
    for fact in facts:
        if not isinstance(fact, CourseFact):
            raise TypeError(f"course_facts holds a {type(fact).__name__}, not a CourseFact")
    return lay_out(
        protocol,
        start,
        aftercare=items,
        course_facts=facts,
        session_time=session_time,
        avoid_weekends=avoid_weekends,
    )


def lay_out(
    protocol: ProtocolLike,
    start: date,
    *,
    aftercare: Sequence[AftercareLike] = (),
    course_facts: Sequence[CourseFactLike] = (),
    session_time: time = time(9, 0),
    avoid_weekends: bool = False,
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
        return _plan(
            protocol,
            start,
            tuple(aftercare),
            tuple(course_facts),
            session_time,
            avoid_weekends=avoid_weekends,
        )
    except OverflowError as exc:
        raise InvalidInput(f"the course does not fit the calendar: {exc}") from None


def effective_aftercare(
    aftercare: Sequence[AftercareLike],
) -> tuple[tuple[AftercareLike, ...], tuple[str, ...]]:
    """The aftercare a plan follows, and notes saying what was set aside and why.

    Where the product's own instructions give advice of a kind, general advice of that kind
    is set aside. Items with the same kind and advice are one piece of advice from several
    sources: the longest is kept (an item without hours counts as the shortest).
    """
    instructed = {str(item.kind) for item in aftercare if str(item.basis) == "product_instructions"}
    notes: list[str] = []
    overridden = sorted(
        {str(item.kind) for item in aftercare if str(item.kind) in instructed}
        & {str(item.kind) for item in aftercare if str(item.basis) != "product_instructions"}
    )
    for kind in overridden:
        notes.append(
            f"{kind.replace('_', ' ')}: the product's own instructions are followed, "
            "not general advice"
        )
    groups: dict[tuple[str, str], list[AftercareLike]] = {}
    for item in aftercare:
        kind = str(item.kind)
        if kind in instructed and str(item.basis) != "product_instructions":
            continue
        groups.setdefault((kind, " ".join(item.advice.casefold().split())), []).append(item)
    kept = []
    for items in groups.values():
        longest = max(items, key=lambda item: -1.0 if item.hours is None else item.hours)
        kept.append(longest)
        spans = sorted({item.hours for item in items if item.hours is not None})
        if len(spans) > 1:
            notes.append(
                f"{longest.advice}: sources give {', '.join(f'{h:g}' for h in spans)} h; "
                f"the longest ({longest.hours:g} h) is used"
            )
    return tuple(kept), tuple(notes)


def _longest_session(facts: Sequence[CourseFactLike]) -> CourseFactLike | None:
    timed = [f for f in facts if str(f.fact) == "session_minutes"]
    return max(timed, key=_upper, default=None)


def _upper(fact: CourseFactLike) -> float:
    value = fact.max if fact.max is not None else fact.min
    assert value is not None  # a session_minutes or results fact has a min or a max
    return value


@dataclass(frozen=True)
class _Span:
    min: float
    max: float


def _results_span(facts: Sequence[CourseFactLike]) -> tuple[_Span, str] | None:
    """The widest span the course facts give for how long results last, and its sources."""
    spans = [f for f in facts if str(f.fact) == "results_last_months"]
    if not spans:
        return None
    low = min(f.min if f.min is not None else _upper(f) for f in spans)
    high = max(_upper(f) for f in spans)
    return _Span(low, high), "; ".join(dict.fromkeys(f.source for f in spans))


_SATURDAY = 5
"""``date.weekday()`` of Saturday (Sunday is 6)."""


def _top_up(
    protocol: ProtocolLike, course_facts: Sequence[CourseFactLike], last: date
) -> DateWindow | None:
    """When a top-up falls: from the earliest to the latest number of months after the last
    session that the protocol's top-up interval and the course facts' top-up spans give
    (one date when they give one figure); ``None`` when none gives a figure."""
    months: list[float] = []
    sources: list[str] = []
    if protocol.top_up_interval_months is not None:
        months.append(protocol.top_up_interval_months)
        sources.append(f"the protocol; source: {protocol.source}")
    for fact in course_facts:
        if str(fact.fact) == "top_ups" and (fact.min is not None or fact.max is not None):
            months += [value for value in (fact.min, fact.max) if value is not None]
            sources.append(f"a course fact; source: {fact.source}")
    if not months:
        return None
    low, high = min(months), max(months)
    figure = _months(_Span(low, high))
    return DateWindow(
        earliest=add_month_span(last, low),
        latest=add_month_span(last, high),
        basis=f"a top-up {figure} months after the last session ({'; '.join(sources)})",
    )


def _plan(
    protocol: ProtocolLike,
    start: date,
    aftercare: tuple[AftercareLike, ...],
    course_facts: tuple[CourseFactLike, ...],
    session_time: time,
    *,
    avoid_weekends: bool = False,
) -> CourseSchedule:
    notes: list[str] = []
    duration = None
    minutes: float | None = protocol.session_minutes
    if minutes is None:
        longest = _longest_session(course_facts)
        if longest is not None:
            minutes = _upper(longest)
            notes.append(
                f"session length {minutes:g} min from the course facts, the longest any "
                f"source gives (source: {longest.source})"
            )
    if minutes is None:
        notes.append("session duration unknown: the protocol gives no session_minutes")
    else:
        duration = timedelta(minutes=minutes)
    sessions = []
    day = start
    for number in range(1, protocol.sessions + 1):
        if number > 1:
            day += timedelta(days=protocol.interval_days)  # from the last, moved or not
        moved_from = None
        if avoid_weekends and day.weekday() >= _SATURDAY:
            moved_from, day = day, day + timedelta(days=7 - day.weekday())
            notes.append(
                f"session {number} moved from {moved_from:%A %Y-%m-%d} to {day:%A %Y-%m-%d} "
                "(weekends avoided); later sessions keep the interval from it"
            )
        starts = datetime.combine(day, session_time)
        ends = None if duration is None else _after(starts, duration.total_seconds() / 3600)
        sessions.append(
            PlannedSession(number=number, starts=starts, ends=ends, moved_from=moved_from)
        )

    followed, aftercare_notes = effective_aftercare(aftercare)
    notes.extend(aftercare_notes)
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
        for item in followed
        if item.hours is not None
    ]
    milestones.sort(key=lambda m: (m.at, m.session))
    if any(item.hours is None for item in followed):
        notes.append("aftercare without a duration (hours) gives no milestone")

    last = sessions[-1].starts.date()
    span: SpanLike | None = protocol.results_last_months
    span_basis = f"the protocol; source: {protocol.source}"
    if span is None and (from_facts := _results_span(course_facts)) is not None:
        span, facts_source = from_facts
        span_basis = f"the course facts, the widest span given; source: {facts_source}"
    results = None
    if span is None:
        notes.append("how long results last is unknown: no source gives it")
    else:
        results = DateWindow(
            earliest=add_month_span(last, span.min),
            latest=add_month_span(last, span.max),
            basis=f"results last {_months(span)} months after the last session ({span_basis})",
        )

    top_up = _top_up(protocol, course_facts, last)
    if top_up is None and results is not None and span is not None:
        top_up = dataclasses.replace(
            results,
            basis=f"when results wear off, {_months(span)} months after the last session "
            f"(no top-up interval is given; {span_basis})",
        )
    elif top_up is None:
        notes.append("no top-up date: no source gives a top-up interval or how long results last")

    return CourseSchedule(
        sessions=tuple(sessions),
        milestones=tuple(milestones),
        results_expected=results,
        top_up_window=top_up,
        notes=tuple(notes),
    )


__all__ = [
    "CourseFactLike",
    "CourseSchedule",
    "DateWindow",
    "GivenCourse",
    "Milestone",
    "PlannedSession",
    "add_month_span",
    "add_months",
    "effective_aftercare",
    "lay_out",
    "milestone_label",
    "plan_course",
]
