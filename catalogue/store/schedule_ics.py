"""A stored cocktail's planned course as an iCalendar file (RFC 5545): the one calendar
``meso schedule --ics`` writes and the web cocktail page's ``.ics`` download serves.

The calendar holds one VEVENT per session, one per aftercare milestone ("makeup allowed
from"), and an all-day event spanning the top-up window. Milestones are events rather than
alarms because calendar apps drop or rewrite imported alarms, while events import
everywhere; they are marked transparent so they do not show the time as busy. Times are
"floating" (local wall-clock time, no time zone), like the plan itself: a 09:00 session
stays at 09:00 across a daylight-saving change. UIDs are derived from the cocktail, the
start date and the entry (the calendar's own UID from the cocktail and the start date), so
importing the same plan twice updates it instead of duplicating it, and the same inputs
give the same file. (``icalendar`` is imported only when a calendar is built.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from meso_formulary._version import __version__
from meso_formulary.notice import NOT_MEDICAL_ADVICE

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.cocktail_view import CocktailView
    from meso_formulary.schedule import CourseSchedule

PRODID = f"-//meso-formulary//meso {__version__}//EN"
UID_DOMAIN = "meso-formulary"


def ics_calendar(cocktail: CocktailView, plan: CourseSchedule) -> bytes:
    """The plan as an RFC 5545 calendar (see the module docstring for its shape)."""
    import icalendar

    first_day = plan.sessions[0].starts.date().isoformat()
    uid_base = f"{cocktail.id.replace('/', '.')}.{first_day}"
    transparent = icalendar.TRANSP.TRANSPARENT
    events = [
        icalendar.Event.new(
            uid=f"{uid_base}.session-{s.number}@{UID_DOMAIN}",
            summary=f"{cocktail.name}: session {s.number} of {len(plan.sessions)}",
            start=s.starts,
            end=s.ends,
            description=_session_description(cocktail),
        )
        for s in plan.sessions
    ]
    events += [
        icalendar.Event.new(
            uid=f"{uid_base}.session-{m.session}.{m.kind}@{UID_DOMAIN}",
            summary=f"{m.label.capitalize()} (session {m.session})",
            start=m.at,
            description=f"{m.advice}\nSource: {m.source}",
            transparency=transparent,
        )
        for m in plan.milestones
    ]
    if plan.top_up_window is not None:
        window = plan.top_up_window
        events.append(
            icalendar.Event.new(
                uid=f"{uid_base}.top-up@{UID_DOMAIN}",
                summary=f"{cocktail.name}: top-up {'date' if window.is_one_date else 'window'}",
                start=window.earliest,
                end=window.latest + timedelta(days=1),  # DTEND of an all-day event is exclusive
                description=window.basis,
                transparency=transparent,
            )
        )
    calendar = icalendar.Calendar.new(
        prodid=PRODID,
        uid=f"{uid_base}@{UID_DOMAIN}",
        name=f"{cocktail.name} course",
        description=f"{cocktail.id}: a course planned by meso-formulary. {NOT_MEDICAL_ADVICE}",
        subcomponents=events,
    )
    data: bytes = calendar.to_ical()
    return data


def _session_description(cocktail: CocktailView) -> str:
    lines = [f"{cocktail.name} ({cocktail.id})"]
    lines += [f"Aftercare: {item.advice}" for item in cocktail.aftercare]
    return "\n".join(lines)
