"""What the cocktail page shows, computed in Python so that the template only lays it out.

Strengths in mg/mL are the ones the store computed on import (the ``composition`` table that
Datasette also shows), so the page, ``meso compare`` and the table never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from meso_formulary.catalogue import Catalogue
from meso_formulary.model import Cocktail, Range, Supplier
from meso_formulary.schedule import CourseSchedule, DateWindow, Milestone, plan_course
from meso_formulary.units import Strength


@dataclass(frozen=True)
class CompositionRow:
    """One line of the composition table."""

    ingredient_id: str
    name: str
    inci: str | None
    ingredient_class: str
    origin: str
    strength: str
    mg_per_ml: str


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


@dataclass(frozen=True)
class AftercareRow:
    """One piece of aftercare advice and how long it applies after each session."""

    advice: str
    duration: str
    source: str


@dataclass(frozen=True)
class EffectRow:
    """An expected effect of a session and how long it usually takes to settle."""

    effect: str
    within: str
    note: str
    source: str


@dataclass(frozen=True)
class CocktailPage:
    """Everything the cocktail page shows."""

    cocktail: Cocktail
    supplier: Supplier
    composition: tuple[CompositionRow, ...]
    indications: tuple[str, ...]

    @property
    def status(self) -> str:
        return words(self.cocktail.regulatory_status.value)

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(words(area.value) for area in self.cocktail.areas)

    @property
    def administration(self) -> tuple[str, ...]:
        """How it is injected, one fact per line (only the facts the record states)."""
        given = self.cocktail.administration
        if given is None:
            return ("Administration: not stated",)
        facts = ["Technique: " + ", ".join(words(t.value) for t in given.techniques)]
        if given.devices:
            facts.append("Device: " + ", ".join(words(d.value) for d in given.devices))
        if given.depth_mm is not None:
            facts.append(f"Depth: {_span(given.depth_mm)} mm")
        if given.needle_gauge is not None:
            facts.append(f"Needle: {given.needle_gauge} G")
        if given.volume_per_session_ml is not None:
            facts.append(f"Volume per session: {given.volume_per_session_ml:g} mL")
        if given.source:
            facts.append(f"Source: {given.source}")
        return tuple(facts)

    @property
    def aftercare(self) -> tuple[AftercareRow, ...]:
        return tuple(
            AftercareRow(
                item.advice,
                "not stated" if item.hours is None else hours(item.hours),
                item.source,
            )
            for item in self.cocktail.aftercare
        )

    @property
    def effects(self) -> tuple[EffectRow, ...]:
        return tuple(
            EffectRow(
                words(effect.effect.value),
                "not stated"
                if effect.settles_within_hours is None
                else hour_range(effect.settles_within_hours),
                effect.note or "",
                effect.source,
            )
            for effect in self.cocktail.expected_effects
        )


def load_page(catalogue: Catalogue, cocktail_id: str) -> CocktailPage:
    """The page of ``cocktail_id`` (raises :class:`~meso_formulary.errors.NotFound`)."""
    cocktail = catalogue.get(cocktail_id)
    rows = tuple(
        CompositionRow(
            ingredient_id=entry.ingredient_id,
            name=entry.name,
            inci=entry.inci,
            ingredient_class=words(entry.ingredient_class.value),
            origin=words(entry.origin.value) if entry.origin else "not stated",
            strength="not disclosed" if entry.strength is None else _strength(entry.strength),
            mg_per_ml=_mg_per_ml(entry.strength, entry.mg_per_ml),
        )
        for entry in catalogue.composition(cocktail.id)
    )
    names = {indication.id: indication.name for indication in catalogue.indications()}
    return CocktailPage(
        cocktail=cocktail,
        supplier=catalogue.supplier(cocktail.supplier).supplier,
        composition=rows,
        indications=tuple(names.get(i, words(i)) for i in cocktail.indications),
    )


def _strength(strength: Strength) -> str:
    return f"{strength.value:g} {strength.unit}"


def _mg_per_ml(strength: Strength | None, mg_per_ml: float | None) -> str:
    """Blank when the strength is not disclosed; "–" when it cannot be converted."""
    if strength is None:
        return ""
    return "–" if mg_per_ml is None else f"{mg_per_ml:.4g}"


def timeline(cocktail: Cocktail, start: date) -> Timeline | None:
    """The cocktail's course from ``start``, or None when it states no protocol.

    Raises :class:`~meso_formulary.errors.InvalidInput` when the course does not fit the
    calendar (a start date near the year 9999).
    """
    if cocktail.protocol is None:
        return None
    plan = plan_course(cocktail.protocol, start, aftercare=cocktail.aftercare)
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


def words(value: str) -> str:
    """A vocabulary value as words: ``point_by_point`` -> ``point by point``."""
    return value.replace("_", " ")


def hours(value: float) -> str:
    """A duration in hours, with days when it is a whole number of them (``48 h (2 days)``)."""
    text = f"{value:g} h"
    if value >= 24 and value % 24 == 0:
        days = int(value // 24)
        text += f" ({days} day{'s' if days != 1 else ''})"
    return text


def hour_range(span: Range) -> str:
    """A range of hours: ``24 to 72 h (3 days)`` (or ``24 h (1 day)`` when both ends are equal)."""
    if span.min == span.max:
        return hours(span.min)
    return f"{span.min:g} to {hours(span.max)}"


def _span(span: Range) -> str:
    return f"{span.min:g}" if span.min == span.max else f"{span.min:g} to {span.max:g}"
