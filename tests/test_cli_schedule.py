"""``meso schedule``: dated sessions, aftercare milestones, the top-up window, iCalendar."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from cli_support import Meso, assert_fails

START = "2026-03-02"


def entries(meso: Meso, db: Path, *args: str) -> list[dict[str, Any]]:
    result = meso("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--json", *args)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_sessions_milestones_and_top_up(meso: Meso, db: Path) -> None:
    found = entries(meso, db)
    sessions = [e for e in found if e["kind"] == "session"]
    assert [e["starts"] for e in sessions] == [
        "2026-03-02T09:00:00",
        "2026-03-09T09:00:00",
        "2026-03-16T09:00:00",
        "2026-03-23T09:00:00",
    ]
    assert sessions[0]["ends"] == "2026-03-02T09:30:00"
    makeup = [e for e in found if e["what"] == "makeup allowed from"]
    assert [e["starts"] for e in makeup][:1] == ["2026-03-02T21:00:00"]
    assert len(makeup) == 4
    assert any(e["what"] == "no hair wash until" for e in found)
    (top_up,) = [e for e in found if e["kind"] == "top_up"]
    assert (top_up["starts"], top_up["ends"]) == ("2026-06-23", "2026-06-23")
    assert top_up["what"] == "top-up date"  # one figure: a date, not a one-day window
    assert "a top-up 3 months after the last session (the protocol" in top_up["detail"]
    assert [e["starts"] for e in found] == sorted(e["starts"] for e in found)


def test_time_option_moves_every_session(meso: Meso, db: Path) -> None:
    found = entries(meso, db, "--time", "17:30")
    assert {e["starts"][11:] for e in found if e["kind"] == "session"} == {"17:30:00"}


def test_unknown_figures_are_notes_on_stderr(meso: Meso, db: Path) -> None:
    result = meso("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--json")
    assert "Note: how long results last is unknown" in result.stderr
    json.loads(result.stdout)


def test_table(meso: Meso, db: Path) -> None:
    result = meso("schedule", "testco/scalp-boost", "--start", START, "--db", db)
    assert result.exit_code == 0
    assert "Course: Scalp Boost" in result.stdout
    assert "2026-03-02 09:00-09:30" in result.stdout
    assert "session 4 of 4" in result.stdout
    assert "makeup allowed from" in result.stdout
    assert "top-up date" in result.stdout
    assert "top-up window" not in result.stdout


def test_csv(meso: Meso, db: Path) -> None:
    result = meso("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--csv")
    assert result.stdout.splitlines()[0] == '"kind","session","starts","ends","what","detail"'


def _calendar(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def test_ics_parses_back_with_one_event_per_session(meso: Meso, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "course.ics"
    result = meso("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--ics", target)
    assert result.exit_code == 0
    assert f"Wrote 4 sessions to {target}" in result.stderr
    assert b"\r\n" in target.read_bytes()
    calendar = _calendar(target)
    assert calendar["VERSION"] == "2.0"
    assert "meso-formulary" in str(calendar["PRODID"])
    events = list(calendar.walk("VEVENT"))
    sessions = [e for e in events if "session" in str(e["UID"]) and str(e["UID"]).count(".") == 3]
    assert len(sessions) == 4
    first = min(sessions, key=lambda e: e.decoded("DTSTART"))
    assert first.decoded("DTSTART") == datetime(2026, 3, 2, 9, 0)
    assert first.decoded("DTEND") == datetime(2026, 3, 2, 9, 30)
    assert str(first["SUMMARY"]) == "Scalp Boost: session 1 of 4"
    for event in events:
        assert "UID" in event
        assert "DTSTAMP" in event
    assert len({str(e["UID"]) for e in events}) == len(events)
    milestones = [
        e for e in events if str(e.get("TRANSP")) == "TRANSPARENT" and "top-up" not in str(e["UID"])
    ]
    assert len(milestones) == 8  # two aftercare items with hours, four sessions
    (top_up,) = [e for e in events if "top-up" in str(e["UID"])]
    assert top_up.decoded("DTSTART") == date(2026, 6, 23)
    assert top_up.decoded("DTEND") == date(2026, 6, 24)  # exclusive end of an all-day event


def test_ics_uids_are_stable_so_reimport_updates(meso: Meso, db: Path, tmp_path: Path) -> None:
    uids = []
    for name in ("a.ics", "b.ics"):
        target = tmp_path / name
        meso("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--ics", target)
        uids.append(sorted(str(e["UID"]) for e in _calendar(target).walk("VEVENT")))
    assert uids[0] == uids[1]


def test_ics_to_stdout(meso: Meso, db: Path) -> None:
    args = ("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--ics", "-")
    result = meso(*args)
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")  # RFC 5545
    calendar = icalendar.Calendar.from_ical(result.stdout_bytes)
    assert len(list(calendar.walk("VEVENT"))) == 13


def test_ics_refuses_to_overwrite(meso: Meso, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "course.ics"
    target.write_text("mine", encoding="utf-8")
    args = ("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--ics", target)
    assert_fails(meso(*args), 1, "already exists", "--force")
    assert target.read_text(encoding="utf-8") == "mine"
    assert meso(*args, "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_cocktail_without_protocol(meso: Meso, db: Path) -> None:
    result = meso("schedule", "testco/formula", "--start", START, "--db", db)
    assert_fails(result, 1, "Error: testco/formula has no protocol")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--start", "2026-02-30"), ("--start", "02/03/2026"), ("--start", ""), ("--time", "25:00")],
)
def test_bad_dates_and_times_are_usage_errors(
    meso: Meso, db: Path, option: str, value: str
) -> None:
    args = ["schedule", "testco/scalp-boost", "--start", START, "--db", str(db), option, value]
    assert_fails(meso(*args), 2, f"Invalid value for '{option}'")


def test_start_is_required(meso: Meso, db: Path) -> None:
    assert_fails(meso("schedule", "testco/scalp-boost", "--db", db), 2, "Missing option '--start'")


def test_course_beyond_the_calendar(meso: Meso, db: Path) -> None:
    result = meso("schedule", "testco/scalp-boost", "--start", "9999-12-01", "--db", db)
    assert_fails(result, 1, "Error: the course does not fit the calendar")


def test_unknown_cocktail(meso: Meso, db: Path) -> None:
    assert_fails(meso("schedule", "testco/nope", "--start", START, "--db", db), 1, "Error:")


def test_sessions_and_interval_plan_a_cocktail_without_a_course(meso: Meso, db: Path) -> None:
    args = ("schedule", "testco/formula", "--start", START, "--db", db)
    result = meso(*args, "--sessions", "3", "--interval", "10", "--json")
    assert result.exit_code == 0, result.output
    sessions = [e for e in json.loads(result.stdout) if e["kind"] == "session"]
    assert [e["starts"][:10] for e in sessions] == ["2026-03-02", "2026-03-12", "2026-03-22"]
    assert "testco/formula has no stored course: planned from the figures given" in result.stderr
    table = meso(*args, "--sessions", "3", "--interval", "10")
    assert "(no stored course" in table.stdout
    only_one = meso(*args, "--sessions", "3")
    assert_fails(only_one, 1, "has no protocol", "--sessions N --interval DAYS")


def test_sessions_and_interval_replace_the_stored_course(meso: Meso, db: Path) -> None:
    result = meso(
        "schedule", "testco/scalp-boost", "--start", START, "--db", db, "--json",
        "--sessions", "2", "--interval", "21",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    sessions = [e for e in found if e["kind"] == "session"]
    assert [e["starts"][:10] for e in sessions] == ["2026-03-02", "2026-03-23"]
    assert sessions[0]["ends"] == "2026-03-02T09:30:00"  # the stored session length stays
    assert "2 sessions every 21 days as given (the stored course: 4 sessions" in result.stderr


@pytest.mark.parametrize(("option", "value"), [("--sessions", "0"), ("--interval", "400")])
def test_sessions_and_interval_are_bounded(meso: Meso, db: Path, option: str, value: str) -> None:
    args = ["schedule", "testco/scalp-boost", "--start", START, "--db", str(db), option, value]
    assert_fails(meso(*args), 2, f"Invalid value for '{option}'")


def test_avoid_weekends_moves_sessions_and_says_so(meso: Meso, db: Path) -> None:
    # Friday 6 March, weekly: every session would fall on a Friday; every 8 days, session 2
    # falls on Saturday 14 March and moves to Monday 16, session 3 then falls on 24 March
    args = ("schedule", "testco/scalp-boost", "--start", "2026-03-06", "--db", db)
    result = meso(*args, "--interval", "8", "--avoid-weekends", "--json")
    assert result.exit_code == 0, result.output
    sessions = [e for e in json.loads(result.stdout) if e["kind"] == "session"]
    assert [e["starts"][:10] for e in sessions] == [
        "2026-03-06",
        "2026-03-16",
        "2026-03-24",
        "2026-04-01",
    ]
    assert sessions[1]["detail"] == "moved from Saturday 2026-03-14"
    assert "session 2 moved from Saturday 2026-03-14 to Monday 2026-03-16" in result.stderr
    plain = meso(*args, "--interval", "8", "--json")
    starts = [e["starts"][:10] for e in json.loads(plain.stdout) if e["kind"] == "session"]
    assert starts[1] == "2026-03-14"


def test_top_up_date_in_the_calendar(meso: Meso, db: Path) -> None:
    result = meso("schedule", "testco/scalp-boost", "--start", START, "--db", db, "--ics", "-")
    calendar = icalendar.Calendar.from_ical(result.stdout_bytes)
    (top_up,) = [e for e in calendar.walk("VEVENT") if "top-up" in str(e["UID"])]
    assert str(top_up["SUMMARY"]) == "Scalp Boost: top-up date"
