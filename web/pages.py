"""What the cocktail page shows beyond the cocktail view: its summary box and its course on
the calendar.

The page renders the :class:`~meso_formulary.catalogue.store.cocktail_view.CocktailView`
that ``meso show`` prints (same wording, same findings, same provenance); this module only
sums it up (:func:`summary_box`) and lays the course out from a start date, a time and
"avoid weekends", as ``meso schedule`` does, with :func:`~meso_formulary.schedule.lay_out`
(the protocol, the aftercare and the course facts that fill in what the protocol does not
state). :func:`session_options` reads the planner's time and "avoid weekends" from the
query string, for the page and for its ``.ics`` download alike.

Weekends are avoided unless the query says ``avoid_weekends=0``: a course planned from
today never puts a session on a Saturday or Sunday at 09:00 by default. (The planner's form
sends ``avoid_weekends=0`` before its checkbox's ``avoid_weekends=1``; the last value wins.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from meso_formulary.catalogue.store.cocktail_card import words as words
from meso_formulary.catalogue.store.cocktail_view import NO_CONTRAINDICATIONS, CocktailView, hours
from meso_formulary.errors import InvalidInput
from meso_formulary.schedule import CourseSchedule, DateWindow, lay_out

DEFAULT_TIME = time(9, 0)
"""The time of every session when the planner gives none (``meso schedule``'s default)."""

_HH_MM = re.compile(r"[0-9]{2}:[0-9]{2}")
_AVOID = {"1": True, "on": True, "0": False}


@dataclass(frozen=True)
class SessionOptions:
    """The planner's time of day and whether sessions move off weekends."""

    at: time = DEFAULT_TIME
    avoid_weekends: bool = True


def session_options(args: Any) -> SessionOptions:
    """``time=HH:MM`` and ``avoid_weekends=1|0`` of a query string (Datasette's
    ``request.args``, or any mapping with ``getlist``).

    Raises :class:`~meso_formulary.errors.InvalidInput` for a time or a flag it cannot read.
    """
    raw_time = (args.getlist("time") or [""])[-1]
    at = DEFAULT_TIME
    if raw_time:
        try:
            if not _HH_MM.fullmatch(raw_time):
                raise ValueError(raw_time)
            at = time.fromisoformat(raw_time)
        except ValueError:
            raise InvalidInput(
                "The time must be a time of day such as 17:30 (24-hour clock)."
            ) from None
    flags = args.getlist("avoid_weekends")
    avoid = True
    if flags:
        if flags[-1] not in _AVOID:
            raise InvalidInput("avoid_weekends must be 1 (avoid weekends) or 0 (allow them).")
        avoid = _AVOID[flags[-1]]
    return SessionOptions(at=at, avoid_weekends=avoid)


@dataclass(frozen=True)
class SummaryFact:
    """One line of the summary box: ``key`` names it for tests and styles."""

    key: str
    label: str
    value: str


def summary_box(cocktail: CocktailView) -> tuple[SummaryFact, ...]:
    """What the cocktail is for, its areas, sessions x interval, minutes per session,
    numbing and contraindications, in words (a fact no source states says so)."""
    protocol = cocktail.protocol
    facts_by_kind = {fact.fact: fact for fact in cocktail.course_facts}
    course = protocol.course if protocol is not None else "not stated by any source"
    if protocol is not None and protocol.session_minutes is not None:
        minutes = f"{protocol.session_minutes} minutes"
    elif "session_minutes" in facts_by_kind and facts_by_kind["session_minutes"].amount:
        minutes = facts_by_kind["session_minutes"].amount
    else:
        minutes = "not stated"
    anaesthetics = cocktail.card.anaesthetics
    numbing: list[str] = []
    if (protocol is not None and protocol.topical_numbing) or "topical_numbing" in facts_by_kind:
        numbing.append("topical numbing cream before the session")
    if anaesthetics:
        numbing.append(f"the cocktail contains an anaesthetic ({', '.join(anaesthetics)})")
    contraindications = [
        line.condition.name if line.condition is not None else (line.note or "")
        for line in cocktail.contraindications
    ]
    return (
        SummaryFact("for", "For", ", ".join(i.name for i in cocktail.indications) or "not stated"),
        SummaryFact("areas", "Areas", ", ".join(cocktail.area_names) or "not stated"),
        SummaryFact("course", "Course", course),
        SummaryFact("minutes", "Each session", minutes),
        SummaryFact("numbing", "Numbing", "; ".join(numbing) or "none stated"),
        SummaryFact(
            "contraindications",
            "Not for",
            ", ".join(c for c in contraindications if c) or NO_CONTRAINDICATIONS,
        ),
    )


@dataclass(frozen=True)
class SessionEntry:
    """One session of the course, on the calendar."""

    title: str
    when: str
    moved_from: str | None = None


@dataclass(frozen=True)
class Timeline:
    """The course on the calendar (see :func:`~meso_formulary.schedule.plan_course`)."""

    start: date
    options: SessionOptions
    sessions: tuple[SessionEntry, ...]
    after_each: tuple[str, ...]
    """The aftercare milestones of every session, said once: ``No hair wash until 48 h
    (2 days) after the session: <the advice>`` (the same after each, so not repeated
    under each)."""
    results: str | None
    top_up: str | None
    notes: tuple[str, ...]

    @property
    def time_text(self) -> str:
        """The sessions' time as the form's ``<input type="time">`` takes it."""
        return f"{self.options.at:%H:%M}"

    @property
    def ics_query(self) -> str:
        """The query string of this plan's ``.ics`` download."""
        return urlencode(
            {
                "start": self.start.isoformat(),
                "time": self.time_text,
                "avoid_weekends": "1" if self.options.avoid_weekends else "0",
            }
        )


def plan(cocktail: CocktailView, start: date, options: SessionOptions) -> CourseSchedule | None:
    """The cocktail's course from ``start`` (None when it states no protocol): the plan
    ``meso schedule ID --start START --time T [--avoid-weekends]`` lays out.

    Raises :class:`~meso_formulary.errors.InvalidInput` when the course does not fit the
    calendar (a start date near the year 9999).
    """
    if cocktail.protocol is None:
        return None
    return lay_out(
        cocktail.protocol,
        start,
        aftercare=cocktail.aftercare,
        course_facts=cocktail.course_facts,
        session_time=options.at,
        avoid_weekends=options.avoid_weekends,
    )


def timeline(
    cocktail: CocktailView, start: date, args: Mapping[str, Any] | Any = None
) -> Timeline | None:
    """The cocktail's course from ``start`` at the time and with the weekends the query
    string ``args`` asks for (:func:`session_options`), or None when it states no protocol.

    Raises :class:`~meso_formulary.errors.InvalidInput` for a time or flag it cannot read,
    or when the course does not fit the calendar (a start date near the year 9999).
    """
    options = SessionOptions() if args is None else session_options(args)
    course = plan(cocktail, start, options)
    if course is None:
        return None
    return Timeline(
        start=start,
        options=options,
        sessions=tuple(_sessions(course)),
        after_each=_after_each(course),
        results=_window(course.results_expected),
        top_up=_window(course.top_up_window),
        notes=course.notes,
    )


def _sessions(plan: CourseSchedule) -> list[SessionEntry]:
    total = len(plan.sessions)
    entries = []
    for session in plan.sessions:
        when = _moment(session.starts)
        if session.ends is not None:
            when += f" to {session.ends:%H:%M}"
        moved = None if session.moved_from is None else _day(session.moved_from)
        entries.append(SessionEntry(f"Session {session.number} of {total}", when, moved))
    return entries


def _after_each(plan: CourseSchedule) -> tuple[str, ...]:
    """The first session's milestones as time after the session: every session has the
    same ones, as long after its start (:func:`~meso_formulary.schedule.plan_course`)."""
    if not plan.sessions:
        return ()
    first = plan.sessions[0]
    lines = []
    for milestone in plan.milestones:
        if milestone.session != first.number:
            continue
        elapsed = (milestone.at - first.starts).total_seconds() / 3600
        label = milestone.label[:1].upper() + milestone.label[1:]
        lines.append(f"{label} {hours(elapsed)} after the session: {milestone.advice}")
    return tuple(lines)


def _moment(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"


def _window(window: DateWindow | None) -> str | None:
    if window is None:
        return None
    if window.earliest == window.latest:
        span = _day(window.earliest)
    else:
        span = f"{_day(window.earliest)} to {_day(window.latest)}"
    return f"{span}: {window.basis}"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"
