"""What the cocktail page shows beyond the cocktail view: its course on the calendar.

The page renders the :class:`~meso_formulary.catalogue.store.cocktail_view.CocktailView`
that ``meso show`` prints (same wording, same findings, same provenance); this module only
lays the course out from a start date, as ``meso schedule`` does, with
:func:`~meso_formulary.schedule.lay_out` (the protocol, the aftercare and the course facts
that fill in what the protocol does not state).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from meso_formulary.catalogue.store.cocktail_view import CocktailView
from meso_formulary.catalogue.store.cocktail_view import words as words
from meso_formulary.schedule import CourseSchedule, DateWindow, Milestone, lay_out


@dataclass(frozen=True)
class SessionEntry:
    """One session of the course and the aftercare milestones that follow it."""

    title: str
    when: str
    milestones: tuple[str, ...]


@dataclass(frozen=True)
class Timeline:
    """The course on the calendar (see :func:`~meso_formulary.schedule.plan_course`)."""

    start: date
    sessions: tuple[SessionEntry, ...]
    results: str | None
    top_up: str | None
    notes: tuple[str, ...]


def timeline(cocktail: CocktailView, start: date) -> Timeline | None:
    """The cocktail's course from ``start``, or None when it states no protocol.

    Raises :class:`~meso_formulary.errors.InvalidInput` when the course does not fit the
    calendar (a start date near the year 9999).
    """
    if cocktail.protocol is None:
        return None
    plan = lay_out(
        cocktail.protocol,
        start,
        aftercare=cocktail.aftercare,
        course_facts=cocktail.course_facts,
    )
    return Timeline(
        start=start,
        sessions=tuple(_sessions(plan)),
        results=_window(plan.results_expected),
        top_up=_window(plan.top_up_window),
        notes=plan.notes,
    )


def _sessions(plan: CourseSchedule) -> list[SessionEntry]:
    by_session: dict[int, list[Milestone]] = {}
    for milestone in plan.milestones:
        by_session.setdefault(milestone.session, []).append(milestone)
    total = len(plan.sessions)
    entries = []
    for session in plan.sessions:
        when = _moment(session.starts)
        if session.ends is not None:
            when += f" to {session.ends:%H:%M}"
        milestones = tuple(
            f"{milestone.label} {_moment(milestone.at)}"
            for milestone in by_session.get(session.number, ())
        )
        entries.append(SessionEntry(f"Session {session.number} of {total}", when, milestones))
    return entries


def _moment(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"


def _window(window: DateWindow | None) -> str | None:
    if window is None:
        return None
    if window.earliest == window.latest:
        span = _day(window.earliest)
    else:
        span = f"{_day(window.earliest)} to {_day(window.latest)}"
    return f"{span} ({window.basis})"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"
