"""``meso schedule``: a cocktail's course on the calendar, and as an iCalendar file.

The calendar (RFC 5545) holds one VEVENT per session, one per aftercare milestone ("makeup
allowed from"), and an all-day event spanning the top-up window. Milestones are events
rather than alarms because calendar apps drop or rewrite imported alarms, while events
import everywhere; they are marked transparent so they do not show the time as busy.
Times are "floating" (local wall-clock time, no time zone), like the plan itself: a 09:00
session stays at 09:00 across a daylight-saving change. UIDs are derived from the cocktail,
the start date and the entry, so importing the same plan twice updates it instead of
duplicating it.
"""

from __future__ import annotations

import dataclasses
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary._version import __version__
from meso_formulary.cli.common import (
    CliError,
    connect_catalogue,
    db_option,
    refuse_overwrite,
    write_file,
)
from meso_formulary.cli.output import Format, cell, emit, new_table, output_options

if TYPE_CHECKING:
    from rich.table import Table

    from meso_formulary.catalogue.store.cocktail_view import CocktailView
    from meso_formulary.schedule import CourseSchedule, ProtocolLike

PRODID = f"-//meso-formulary//meso {__version__}//EN"
UID_DOMAIN = "meso-formulary"


@click.command()
@click.argument("cocktail_id", metavar="ID")
@click.option(
    "--start",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date of the first session.",
)
@click.option(
    "--time",
    "at",
    type=click.DateTime(formats=["%H:%M"]),
    default="09:00",
    show_default=True,
    metavar="HH:MM",
    help="Time of day of every session (local time).",
)
@click.option(
    "--sessions",
    type=click.IntRange(1, 52),
    metavar="N",
    help="Number of sessions, instead of the stored course's (with --interval, plans a "
    "cocktail that has no stored course).",
)
@click.option(
    "--interval",
    type=click.IntRange(1, 365),
    metavar="DAYS",
    help="Days between sessions, instead of the stored course's.",
)
@click.option(
    "--avoid-weekends",
    is_flag=True,
    help="Move a session that falls on a Saturday or Sunday to the Monday after (later "
    "sessions keep the interval from it).",
)
@click.option(
    "--ics",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    metavar="FILE",
    help="Also write the course as an iCalendar file ('-': print it instead of the table).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing --ics file.")
@output_options
@db_option
def schedule(
    cocktail_id: str,
    start: datetime,
    at: datetime,
    sessions: int | None,
    interval: int | None,
    avoid_weekends: bool,
    ics: Path | None,
    force: bool,
    fmt: Format,
    db: Path | None,
) -> None:
    """Plan a course of COCKTAIL ID from --start: dated sessions, aftercare milestones
    (such as when makeup is allowed again) and the top-up window.

    \b
    Examples:
      meso schedule reference/dutasteride-hair --start 2026-03-02
      meso schedule reference/dutasteride-hair --start 2026-03-02 --time 17:30 --ics course.ics
      meso schedule reference/dutasteride-hair --start 2026-03-02 --avoid-weekends
      meso schedule reference/dutasteride-hair --start 2026-03-02 --sessions 6 --interval 21

    Only figures a source states are used (the protocol's, else the cocktail's course facts,
    the most conservative when sources differ): an unknown session length, results span or
    top-up interval is reported as a note on stderr, never guessed. --sessions and
    --interval are the practitioner's own figures: they replace the stored course's, and
    plan a cocktail whose catalogue gives no course when both are given.
    """
    from meso_formulary.catalogue.store.cocktail_view import load_cocktail
    from meso_formulary.schedule import GivenCourse, lay_out

    if ics is not None and str(ics) != "-":
        refuse_overwrite(ics, force=force)
    with closing(connect_catalogue(db)) as conn:
        cocktail = load_cocktail(conn, cocktail_id)
    notes: list[str] = []
    protocol: ProtocolLike
    if cocktail.protocol is not None:
        protocol = cocktail.protocol
        if sessions is not None or interval is not None:
            protocol = dataclasses.replace(
                protocol,
                sessions=protocol.sessions if sessions is None else sessions,
                interval_days=protocol.interval_days if interval is None else interval,
            )
            notes.append(
                f"{protocol.sessions} sessions every {protocol.interval_days} days as given "
                f"(the stored course: {cocktail.protocol.sessions} sessions every "
                f"{cocktail.protocol.interval_days} days)"
            )
    elif sessions is not None and interval is not None:
        protocol = GivenCourse(sessions=sessions, interval_days=interval)
        notes.append(
            f"{cocktail.id} has no stored course: planned from the figures given, "
            f"{sessions} sessions every {interval} days"
        )
    else:
        raise CliError(
            f"{cocktail.id} has no protocol, so there is no course to plan",
            hint="its supplier's catalogue gives no sessions or interval: give your own "
            "with --sessions N --interval DAYS",
        )
    plan = lay_out(
        protocol,
        start.date(),
        aftercare=cocktail.aftercare,
        course_facts=cocktail.course_facts,
        session_time=at.time(),
        avoid_weekends=avoid_weekends,
    )
    if ics is not None:
        calendar = ics_calendar(cocktail, plan).decode()
        if str(ics) == "-":
            click.echo(calendar, nl=False)
            return
        write_file(ics, lambda stream: stream.write(calendar), force=force)
        click.echo(f"Wrote {len(plan.sessions)} sessions to {ics}", err=True)
    for note in (*notes, *plan.notes):
        click.echo(f"Note: {note}", err=True)
    emit(entries(plan), fmt, lambda: _table(cocktail, plan))


def entries(plan: CourseSchedule) -> list[dict[str, Any]]:
    """The plan as dated entries, in date order (what --json, --nl and --csv print).

    Fields: ``kind`` (``session``, ``milestone``, ``results`` or ``top_up``), ``session``
    (number, or null for the windows), ``starts`` and ``ends`` (ISO 8601; a window's first and
    last day, the same for a top-up date), ``what`` (a short label) and ``detail`` (advice,
    what a window rests on, or the date a session moved from).
    """
    rows: list[dict[str, Any]] = [
        {
            "kind": "session",
            "session": s.number,
            "starts": s.starts.isoformat(),
            "ends": s.ends.isoformat() if s.ends else None,
            "what": f"session {s.number} of {len(plan.sessions)}",
            "detail": "" if s.moved_from is None else f"moved from {s.moved_from:%A %Y-%m-%d}",
        }
        for s in plan.sessions
    ]
    rows += [
        {
            "kind": "milestone",
            "session": m.session,
            "starts": m.at.isoformat(),
            "ends": None,
            "what": m.label,
            "detail": m.advice,
        }
        for m in plan.milestones
    ]
    top_up = plan.top_up_window
    for kind, label, window in (
        ("results", "results expected to last until", plan.results_expected),
        ("top_up", "top-up date" if top_up and top_up.is_one_date else "top-up window", top_up),
    ):
        if window is not None:
            rows.append(
                {
                    "kind": kind,
                    "session": None,
                    "starts": window.earliest.isoformat(),
                    "ends": window.latest.isoformat(),
                    "what": label,
                    "detail": window.basis,
                }
            )
    rows.sort(key=lambda row: str(row["starts"]))
    return rows


def _table(cocktail: CocktailView, plan: CourseSchedule) -> Table:
    title = f"Course: {cocktail.name}"
    if cocktail.protocol is None:
        title += " (no stored course: from the figures given)"
    table = new_table("When", "Session", "What", "Details", title=title)
    for row in entries(plan):
        table.add_row(
            cell(_when(row["starts"], row["ends"])),
            cell(row["session"]),
            cell(row["what"], style="bold" if row["kind"] == "session" else ""),
            cell(row["detail"]),
        )
    return table


def _when(starts: str, ends: str | None) -> str:
    """``2026-03-02 09:00-09:30``, ``2026-03-03 09:00`` or ``2026-06-02 to 2026-09-02``."""
    first = datetime.fromisoformat(starts)
    if len(starts) == len("YYYY-MM-DD"):
        return starts if ends in (None, starts) else f"{starts} to {ends}"
    text = first.strftime("%Y-%m-%d %H:%M")
    if ends is not None:
        last = datetime.fromisoformat(ends)
        text += f"-{last:%H:%M}" if last.date() == first.date() else f" to {last:%Y-%m-%d %H:%M}"
    return text


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
        name=f"{cocktail.name} course",
        description=f"{cocktail.id}: a course planned by meso-formulary (information, "
        "not medical advice)",
        subcomponents=events,
    )
    data: bytes = calendar.to_ical()
    return data


def _session_description(cocktail: CocktailView) -> str:
    lines = [f"{cocktail.name} ({cocktail.id})"]
    lines += [f"Aftercare: {item.advice}" for item in cocktail.aftercare]
    return "\n".join(lines)
