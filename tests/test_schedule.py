"""Planning a course: session dates, aftercare milestones, results and top-up windows."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meso_formulary.errors import InvalidInput
from meso_formulary.model import (
    AdviceBasis,
    AftercareItem,
    AftercareKind,
    CourseFact,
    CourseFactKind,
    Protocol,
)
from meso_formulary.schedule import add_month_span, add_months, milestone_label, plan_course


def protocol(**overrides: Any) -> Protocol:
    data: dict[str, Any] = {"sessions": 3, "interval_days": 14, "source": "leaflet (fixture)"}
    data.update(overrides)
    return Protocol.model_validate(data)


NO_MAKEUP = AftercareItem(
    kind=AftercareKind.NO_MAKEUP, advice="No makeup", hours=12, source="clinic page (fixture)"
)
NO_EXERCISE = AftercareItem(
    kind=AftercareKind.NO_EXERCISE,
    advice="No intense exercise",
    hours=24,
    source="clinic page (fixture)",
)
NO_SUN = AftercareItem(kind=AftercareKind.NO_SUN, advice="Avoid the sun", source="fixture")


# ---------------------------------------------------------------- month arithmetic


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # divisible by 100: not a leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # divisible by 400: a leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_fractional_months_add_average_month_days() -> None:
    # 1.5 months: one month (15 Feb), then half an average month (15.2 days -> 15)
    assert add_month_span(date(2026, 1, 15), 1.5) == date(2026, 3, 2)
    assert add_month_span(date(2026, 1, 31), 0) == date(2026, 1, 31)


def test_months_beyond_the_calendar_overflow() -> None:
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 1), 1)


# ---------------------------------------------------------------- sessions


def test_sessions_fall_every_interval_at_the_session_time() -> None:
    schedule = plan_course(protocol(session_minutes=30), date(2026, 1, 26))
    assert [s.starts for s in schedule.sessions] == [
        datetime(2026, 1, 26, 9, 0),
        datetime(2026, 2, 9, 9, 0),
        datetime(2026, 2, 23, 9, 0),
    ]
    assert [s.number for s in schedule.sessions] == [1, 2, 3]
    assert schedule.sessions[0].ends == datetime(2026, 1, 26, 9, 30)


def test_sessions_cross_the_leap_day() -> None:
    schedule = plan_course(protocol(sessions=2, interval_days=1), date(2028, 2, 28))
    assert [s.starts.date() for s in schedule.sessions] == [date(2028, 2, 28), date(2028, 2, 29)]


def test_an_unknown_duration_is_said_not_invented() -> None:
    schedule = plan_course(protocol(), date(2026, 1, 1))
    assert all(session.ends is None for session in schedule.sessions)
    assert any("session duration unknown" in note for note in schedule.notes)


def test_local_wall_clock_time_holds_across_daylight_saving() -> None:
    paris = ZoneInfo("Europe/Paris")
    schedule = plan_course(
        protocol(sessions=2, interval_days=7),
        date(2026, 3, 24),
        session_time=time(9, 0, tzinfo=paris),
    )
    first, second = schedule.sessions
    assert (first.starts.hour, second.starts.hour) == (9, 9)
    assert second.starts - first.starts == timedelta(days=7)  # same wall clock
    assert (second.starts.astimezone(UTC) - first.starts.astimezone(UTC)) == timedelta(
        days=7, hours=-1
    )


@given(
    sessions=st.integers(min_value=1, max_value=52),
    interval=st.integers(min_value=1, max_value=365),
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    at=st.times(),
)
def test_sessions_strictly_increase_by_the_interval(
    sessions: int, interval: int, start: date, at: time
) -> None:
    schedule = plan_course(
        protocol(sessions=sessions, interval_days=interval), start, session_time=at
    )
    starts = [s.starts for s in schedule.sessions]
    assert len(starts) == sessions
    assert starts[0] == datetime.combine(start, at)
    assert all(b - a == timedelta(days=interval) for a, b in itertools.pairwise(starts))
    assert all(a < b for a, b in itertools.pairwise(starts))


# ---------------------------------------------------------------- milestones


def test_makeup_is_allowed_twelve_hours_after_a_nine_o_clock_session() -> None:
    schedule = plan_course(protocol(sessions=1), date(2026, 5, 4), aftercare=[NO_MAKEUP])
    (milestone,) = schedule.milestones
    assert milestone.label == "makeup allowed from"
    assert milestone.at == datetime(2026, 5, 4, 21, 0)
    assert (milestone.session, milestone.kind) == (1, AftercareKind.NO_MAKEUP)
    assert milestone.source == "clinic page (fixture)"


def test_one_milestone_per_session_and_timed_item_in_time_order() -> None:
    schedule = plan_course(
        protocol(sessions=2, interval_days=1),
        date(2026, 5, 4),
        aftercare=[NO_EXERCISE, NO_MAKEUP, NO_SUN],
    )
    assert [(m.session, m.label, m.at) for m in schedule.milestones] == [
        (1, "makeup allowed from", datetime(2026, 5, 4, 21, 0)),
        (1, "no exercise until", datetime(2026, 5, 5, 9, 0)),
        (2, "makeup allowed from", datetime(2026, 5, 5, 21, 0)),
        (2, "no exercise until", datetime(2026, 5, 6, 9, 0)),
    ]
    assert any("without a duration" in note for note in schedule.notes)


@pytest.mark.parametrize(
    ("kind", "advice", "label"),
    [
        (AftercareKind.NO_HAIR_WASH, "Do not wash the hair on the day.", "no hair wash until"),
        (AftercareKind.NO_ACTIVE_SKINCARE, "No retinoids for 2 days.", "no active skincare until"),
        (AftercareKind.NO_MAKEUP, "No make-up until the evening.", "makeup allowed from"),
        (AftercareKind.OTHER, "Avoid swimming pools.", "aftercare advice ends"),
    ],
)
def test_milestone_labels_read_before_a_moment(
    kind: AftercareKind, advice: str, label: str
) -> None:
    """The label comes from the kind, not the advice ("... on the day. until" read badly)."""
    item = AftercareItem(kind=kind, advice=advice, hours=24, source="fixture")
    (milestone,) = plan_course(protocol(sessions=1), date(2026, 1, 5), aftercare=[item]).milestones
    assert milestone.label == label == milestone_label(kind)
    assert milestone.advice == advice


def test_every_kind_has_a_label_without_the_advice() -> None:
    labels = {kind: milestone_label(kind) for kind in AftercareKind}
    assert all(label.endswith((" until", " from", " ends")) for label in labels.values())
    assert len(set(labels.values())) == len(labels)


def test_milestones_count_elapsed_hours_across_a_clock_change() -> None:
    paris = ZoneInfo("Europe/Paris")
    # clocks go forward at 02:00 on 29 March 2026: 24 elapsed hours end at 10:00 local
    schedule = plan_course(
        protocol(sessions=1),
        date(2026, 3, 28),
        aftercare=[NO_EXERCISE],
        session_time=time(9, 0, tzinfo=paris),
    )
    assert schedule.milestones[0].at == datetime(2026, 3, 29, 10, 0, tzinfo=paris)


# ---------------------------------------------------------------- results and top-up


def test_results_window_counts_months_from_the_last_session() -> None:
    schedule = plan_course(
        protocol(sessions=3, interval_days=28, results_last_months={"min": 6, "max": 9}),
        date(2025, 11, 3),
    )
    # last session: 3 Nov + 56 days = 29 Dec 2025
    assert schedule.results_expected is not None
    assert (schedule.results_expected.earliest, schedule.results_expected.latest) == (
        date(2026, 6, 29),
        date(2026, 9, 29),
    )
    assert "6 to 9 months" in schedule.results_expected.basis
    assert "leaflet (fixture)" in schedule.results_expected.basis
    top_up = schedule.top_up_window
    assert top_up is not None and top_up.earliest == date(2026, 6, 29)
    assert "no top-up interval is given" in top_up.basis and "the protocol" in top_up.basis
    assert "_" not in top_up.basis.split("source:")[0]  # no field names in what people read


def test_the_top_up_interval_wins_and_clamps_to_the_month_end() -> None:
    schedule = plan_course(
        protocol(sessions=1, top_up_interval_months=1, results_last_months={"min": 6, "max": 9}),
        date(2027, 1, 31),
    )
    top_up = schedule.top_up_window
    assert top_up is not None
    assert (top_up.earliest, top_up.latest) == (date(2027, 2, 28), date(2027, 2, 28))
    assert "a top-up 1 months after the last session (the protocol" in top_up.basis


def test_without_figures_there_are_no_windows_and_notes_say_why() -> None:
    schedule = plan_course(protocol(), date(2026, 1, 1))
    assert schedule.results_expected is None and schedule.top_up_window is None
    assert any("how long results last is unknown" in note for note in schedule.notes)
    assert any("no top-up date" in note for note in schedule.notes)


def test_the_schedule_is_json_ready() -> None:
    schedule = plan_course(protocol(session_minutes=20), date(2026, 1, 1), aftercare=[NO_MAKEUP])
    data = schedule.as_dict()
    assert data["sessions"][0] == {
        "number": 1,
        "starts": "2026-01-01T09:00:00",
        "ends": "2026-01-01T09:20:00",
        "moved_from": None,
    }
    assert data["milestones"][0]["at"] == "2026-01-01T21:00:00"


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "says"),
    [
        # A caller's mistakes (wrong types) are TypeErrors ...
        (({"sessions": 3}, date(2026, 1, 1)), {}, TypeError, "needs a Protocol"),
        ((None, datetime(2026, 1, 1, 9)), {}, TypeError, "start must be a date"),
        ((None, "2026-01-01"), {}, TypeError, "start must be a date"),
        ((None, date(2026, 1, 1)), {"session_time": "09:00"}, TypeError, "must be a time"),
        ((None, date(2026, 1, 1)), {"aftercare": [{}]}, TypeError, "not an AftercareItem"),
        # ... a start date the calendar cannot hold is the user's: the library error.
        ((None, date(9999, 12, 1)), {}, InvalidInput, "does not fit the calendar"),
    ],
)
def test_bad_arguments_are_refused(
    args: tuple[Any, Any], kwargs: dict[str, Any], error: type[Exception], says: str
) -> None:
    given_protocol = protocol(sessions=52, interval_days=365) if args[0] is None else args[0]
    with pytest.raises(error, match=says):
        plan_course(given_protocol, args[1], **kwargs)


def test_a_window_past_year_9999_is_refused() -> None:
    late = protocol(sessions=1, top_up_interval_months=60)
    with pytest.raises(InvalidInput, match="does not fit the calendar"):
        plan_course(late, date(9996, 1, 1))


# ---------------------------------------------------------------- sources that differ


def makeup(hours: float, source: str, basis: AdviceBasis = AdviceBasis.GENERAL) -> AftercareItem:
    return AftercareItem(
        kind=AftercareKind.NO_MAKEUP,
        advice="no make-up on the treated area",
        hours=hours,
        basis=basis,
        source=source,
    )


def test_of_one_advice_from_several_sources_the_longest_is_planned() -> None:
    items = [makeup(4, "page A"), makeup(12, "page B"), makeup(24, "page C (next day)")]
    schedule = plan_course(protocol(sessions=1), date(2026, 1, 5), aftercare=items)
    (milestone,) = schedule.milestones
    assert milestone.at == datetime(2026, 1, 6, 9, 0)
    assert milestone.source == "page C (next day)"
    assert any("4, 12, 24 h" in note and "longest (24 h)" in note for note in schedule.notes)


def test_different_advice_of_one_kind_stays_apart() -> None:
    showers = AftercareItem(
        kind=AftercareKind.NO_HEAT, advice="no hot showers", hours=12, source="page a"
    )
    sauna = AftercareItem(kind=AftercareKind.NO_HEAT, advice="no sauna", hours=24, source="page b")
    schedule = plan_course(protocol(sessions=1), date(2026, 1, 5), aftercare=[showers, sauna])
    assert [m.advice for m in schedule.milestones] == ["no hot showers", "no sauna"]


def test_the_products_own_instructions_override_general_advice_of_their_kind() -> None:
    items = [makeup(24, "clinic page"), makeup(4, "IFU", AdviceBasis.PRODUCT_INSTRUCTIONS), NO_SUN]
    schedule = plan_course(protocol(sessions=1), date(2026, 1, 5), aftercare=items)
    makeups = [m for m in schedule.milestones if m.kind == "no_makeup"]
    assert [(m.at, m.source) for m in makeups] == [(datetime(2026, 1, 5, 13, 0), "IFU")]
    assert any("product's own instructions" in note for note in schedule.notes)


def test_course_facts_give_the_session_length_and_results_when_the_protocol_does_not() -> None:
    facts = [
        CourseFact(fact=CourseFactKind.SESSION_MINUTES, min=20, max=20, source="seed"),
        CourseFact(fact=CourseFactKind.SESSION_MINUTES, min=15, max=30, source="other page"),
        CourseFact(fact=CourseFactKind.RESULTS_LAST_MONTHS, min=3, max=5, source="seed"),
    ]
    schedule = plan_course(protocol(sessions=1), date(2026, 1, 5), course_facts=facts)
    assert schedule.sessions[0].ends == datetime(2026, 1, 5, 9, 30)
    assert any("30 min" in note and "other page" in note for note in schedule.notes)
    assert schedule.results_expected is not None
    assert schedule.results_expected.earliest == date(2026, 4, 5)
    assert schedule.results_expected.latest == date(2026, 6, 5)
    assert "source: seed" in schedule.results_expected.basis


def test_the_protocols_own_figures_win_over_course_facts() -> None:
    facts = [CourseFact(fact=CourseFactKind.SESSION_MINUTES, min=60, max=60, source="page x")]
    schedule = plan_course(
        protocol(sessions=1, session_minutes=20), date(2026, 1, 5), course_facts=facts
    )
    assert schedule.sessions[0].ends == datetime(2026, 1, 5, 9, 20)


def test_plan_course_refuses_what_is_not_a_course_fact() -> None:
    with pytest.raises(TypeError, match="CourseFact"):
        plan_course(protocol(), date(2026, 1, 5), course_facts=["20 min"])  # type: ignore[list-item]


# ---------------------------------------------------------------- weekends, top-up ranges


def test_avoid_weekends_moves_to_monday_and_keeps_the_interval_from_there() -> None:
    # Friday 6 March 2026, every 8 days: Sat 14 -> Mon 16, then 24 (Tue), then 1 Apr (Wed)
    plan = plan_course(protocol(sessions=4, interval_days=8), date(2026, 3, 6), avoid_weekends=True)
    days = [s.starts.date() for s in plan.sessions]
    assert days == [date(2026, 3, 6), date(2026, 3, 16), date(2026, 3, 24), date(2026, 4, 1)]
    assert [s.moved_from for s in plan.sessions] == [None, date(2026, 3, 14), None, None]
    assert any(
        "session 2 moved from Saturday 2026-03-14 to Monday 2026-03-16" in n for n in plan.notes
    )


def test_a_sunday_start_moves_too_and_weekdays_never_move() -> None:
    plan = plan_course(protocol(sessions=2, interval_days=7), date(2026, 3, 8), avoid_weekends=True)
    assert [s.starts.date() for s in plan.sessions] == [date(2026, 3, 9), date(2026, 3, 16)]
    plain = plan_course(protocol(sessions=2, interval_days=7), date(2026, 3, 8))
    assert plain.sessions[0].starts.date() == date(2026, 3, 8)  # off by default


@settings(max_examples=25)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    sessions=st.integers(1, 8),
    interval=st.integers(1, 40),
)
def test_avoid_weekends_never_plans_a_weekend(start: date, sessions: int, interval: int) -> None:
    plan = plan_course(
        protocol(sessions=sessions, interval_days=interval), start, avoid_weekends=True
    )
    assert all(s.starts.weekday() < 5 for s in plan.sessions)
    for before, after in itertools.pairwise(plan.sessions):
        moved = 0 if after.moved_from is None else (after.starts.date() - after.moved_from).days
        assert (after.starts.date() - before.starts.date()).days == interval + moved


def test_one_top_up_figure_is_one_date() -> None:
    plan = plan_course(protocol(top_up_interval_months=6), date(2026, 1, 5))
    window = plan.top_up_window
    assert window is not None and window.is_one_date
    assert window.earliest == date(2026, 8, 2)  # last session 2 Feb, plus 6 months


def test_top_up_range_spans_the_protocol_and_the_course_facts() -> None:
    facts = [CourseFact(fact=CourseFactKind.TOP_UPS, min=4, max=9, source="clinic page")]
    plan = plan_course(protocol(top_up_interval_months=6), date(2026, 1, 5), course_facts=facts)
    window = plan.top_up_window
    assert window is not None and not window.is_one_date
    assert (window.earliest, window.latest) == (date(2026, 6, 2), date(2026, 11, 2))
    assert window.basis.startswith("a top-up 4 to 9 months after the last session")
    assert "clinic page" in window.basis and "leaflet (fixture)" in window.basis


def test_given_course_plans_without_a_protocol() -> None:
    from meso_formulary.schedule import GivenCourse, lay_out

    plan = lay_out(GivenCourse(sessions=3, interval_days=10), date(2026, 3, 2))
    assert [s.starts.day for s in plan.sessions] == [2, 12, 22]
    assert plan.top_up_window is None
    with pytest.raises(InvalidInput, match="1 to 52 sessions"):
        GivenCourse(sessions=0, interval_days=10)
    with pytest.raises(InvalidInput, match="1 to 365 days"):
        GivenCourse(sessions=2, interval_days=400)
