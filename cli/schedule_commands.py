"""``meso schedule``: a cocktail's course on the calendar, and as an iCalendar file.

The calendar is :func:`meso_formulary.catalogue.store.schedule_ics.ics_calendar`'s, the
one the web cocktail page's ``.ics`` download serves (see its module for its shape).
"""

from __future__ import annotations

import dataclasses
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.cli.common import (
    CliError,
    IsoDate,
    connect_catalogue,
    db_option,
    refuse_overwrite,
    write_file,
)
from meso_formulary.cli.output import Format, cell, emit, new_table, output_options, wrapped

if TYPE_CHECKING:
    from rich.table import Table

    from meso_formulary.catalogue.store.cocktail_view import CocktailView
    from meso_formulary.schedule import CourseSchedule, ProtocolLike


@click.command()
@click.argument("cocktail_id", metavar="ID")
@click.option(
    "--start",
    required=True,
    type=IsoDate(),
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
    from meso_formulary.catalogue.store.schedule_ics import ics_calendar
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
        click.echo(wrapped(f"Note: {note}"), err=True)
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
