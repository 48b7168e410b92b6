"""The cocktail page as a practitioner uses it: the summary box first, contraindications
before aftercare, the course planner (start date, time, avoid weekends), its ``.ics``
download (the calendar ``meso schedule --ics`` writes) and the printed client sheet."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import icalendar
import pytest
from cli_support import Meso
from datasette.app import Datasette

from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.web.server import build_datasette

PAGE = "/-/meso-cocktail/testco/scalp-boost"
SATURDAY = "2026-03-07"


@pytest.fixture(scope="module")
def ds(db: Path) -> Iterator[Datasette]:
    yield build_datasette(db, immutable=True)


def get(ds: Datasette, path: str) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.get(path))
    return response


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def session_dates(html: str) -> list[str]:
    return re.findall(r'<span class="meso-when">([^<]+)</span>', html)


def test_summary_box_comes_first_and_holds_the_facts(ds: Datasette) -> None:
    html = get(ds, PAGE).text
    box = html.index('id="meso-summary-box"')
    assert box < html.index("<h2>Composition</h2>") < html.index("<h2>Course</h2>")
    summary = text(html[box : html.index("</section>", box)])
    for fact in (
        "For Alopecia",
        "Areas Scalp",
        "Course 4 sessions, every 7 days",
        "Each session 30 minutes",
        "Numbing none stated",
        "Not for Pregnancy",
    ):
        assert fact in summary, (fact, summary)


def test_summary_box_names_an_anaesthetic(ds: Datasette) -> None:
    html = get(ds, "/-/meso-cocktail/testco/eye-bright").text
    box = html.index('id="meso-summary-box"')
    summary = text(html[box : html.index("</section>", box)])
    assert "anaesthetic" in summary and "Each session not stated" in summary


def test_contraindications_come_before_aftercare(ds: Datasette) -> None:
    html = get(ds, PAGE).text
    assert html.index("<h2>Contraindications</h2>") < html.index("<h2>Aftercare</h2>")
    assert html.index("<h2>Aftercare</h2>") < html.index("<h2>Sources</h2>")


def test_planner_time_and_weekends_change_the_dates(ds: Datasette) -> None:
    allowed = session_dates(get(ds, f"{PAGE}?start={SATURDAY}&time=17:30&avoid_weekends=0").text)
    assert allowed[0] == "Sat 7 Mar 2026, 17:30 to 18:00"
    avoided = session_dates(
        get(ds, f"{PAGE}?start={SATURDAY}&time=17:30&avoid_weekends=0&avoid_weekends=1").text
    )
    assert avoided[0] == "Mon 9 Mar 2026, 17:30 to 18:00"
    assert all(not day.startswith(("Sat", "Sun")) for day in avoided)


def test_weekends_are_avoided_by_default(ds: Datasette) -> None:
    html = get(ds, f"{PAGE}?start={SATURDAY}").text
    assert session_dates(html)[0].startswith("Mon 9 Mar 2026, 09:00")
    assert 'name="avoid_weekends" value="1" checked' in html
    assert 'type="time" id="time" name="time" value="09:00"' in html


@pytest.mark.parametrize("query", ["time=25:00", "time=noon", "avoid_weekends=maybe"])
def test_unreadable_planner_input_is_a_400(ds: Datasette, query: str) -> None:
    response = get(ds, f"{PAGE}?start={SATURDAY}&{query}")
    assert response.status_code == 400
    assert "Cannot plan this course" in response.text


def test_ics_download_equals_meso_schedule(ds: Datasette, meso: Meso, db: Path) -> None:
    html = get(ds, f"{PAGE}?start={SATURDAY}&time=17:30").text
    link = re.search(r'href="([^"]+\.ics\?[^"]+)" id="meso-ics"', html)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href == f"{PAGE}.ics?start={SATURDAY}&time=17%3A30&avoid_weekends=1"
    response = get(ds, href)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    args = ("schedule", "testco/scalp-boost", "--start", SATURDAY, "--time", "17:30")
    cli = meso(*args, "--avoid-weekends", "--db", db, "--ics", "-")
    assert cli.exit_code == 0, cli.output
    # The same calendar, line for line (the terminal's output ends lines with LF only).
    assert response.text.replace("\r\n", "\n") == cli.stdout.replace("\r\n", "\n")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar == icalendar.Calendar.from_ical(cli.stdout)
    sessions = [e for e in calendar.walk("VEVENT") if "session" in str(e["SUMMARY"])]
    assert str(sessions[0]["DTSTART"].dt) == "2026-03-09 17:30:00"


def test_ics_of_a_cocktail_without_course_or_unknown(ds: Datasette) -> None:
    assert get(ds, "/-/meso-cocktail/testco/formula.ics").status_code == 400
    assert get(ds, "/-/meso-cocktail/testco/no-such.ics").status_code == 404
    assert get(ds, f"{PAGE}.ics?start=2026-02-30").status_code == 400


def test_print_stylesheet_hides_the_form_and_keeps_the_sheet(ds: Datasette) -> None:
    html = get(ds, f"{PAGE}?start=2026-03-02").text
    css = get(ds, "/-/meso-static/meso.css").text
    rules = css[css.index("@media print") :]
    for selector in ("nav", "form", ".meso-screen-only", 'input[type="search"]'):
        assert re.search(rf"(?m)^\s*{re.escape(selector)}(,| \{{)$", rules), selector
    assert "display: none" in rules
    assert NOT_MEDICAL_ADVICE in unescape(html)
    assert "<style" not in html and "<script>" not in html.split("</footer>")[0]
    # What the sheet keeps is outside every block the print hides.
    hidden = hidden_ids(html)
    assert "meso-findings" in hidden or 'id="meso-findings"' not in html
    for kept in ("meso-summary-box", "meso-timeline", "meso-aftercare", "meso-effects"):
        assert kept not in hidden
    assert "meso-planner" in hidden and "meso-ics" in hidden


def hidden_ids(html: str) -> set[str]:
    """The ids of the elements inside a form or a ``meso-screen-only`` block."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[bool] = []
            self.ids: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            hides = tag == "form" or "meso-screen-only" in (found.get("class") or "").split()
            inside = any(self.stack) or hides
            if inside and found.get("id"):
                self.ids.add(str(found["id"]))
            if tag not in VOID:
                self.stack.append(hides)

        def handle_endtag(self, tag: str) -> None:
            if tag not in VOID and self.stack:
                self.stack.pop()

    reader = Reader()
    reader.feed(html)
    return reader.ids


VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "wbr"})
