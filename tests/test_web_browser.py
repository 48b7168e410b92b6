"""End to end in a real browser: ``meso serve`` in a subprocess, driven by Debian's Chromium.

- A practitioner's search: "hair loss", leave lidocaine out, open a cocktail.
- The whole consultation (issue #15), by keyboard alone (TAB, SPACE, ENTER and typing) and by
  mouse, at a desktop (1366x900) and a phone (390x844) width: the concern, a client
  condition and an exclusion, search, tick two results, compare them, open one, plan the
  course (start date, time, avoid weekends), the ``.ics`` it serves, the printed sheet.
- axe-core (from the npm registry, pinned by version and sha256) on the search, results,
  cocktail, compare and print pages at both widths: no violation of impact serious or
  critical. Without axe-core the test skips, saying how to get it; under ``CI`` it fails.

One server and one Chromium for the module (each test sets its viewport and media). The
server listens on 127.0.0.1 only and is always stopped. ``MESO_UPDATE_SCREENSHOT=1`` also
writes the screenshots of ``docs/web.md`` (:data:`SCREENSHOTS`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers_catalogue import published_catalogue
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--lang=en-US",  # the date field's segments in month, day, year order
    "--window-size=1366,900",
)
DESKTOP = (1366, 900)
PHONE = (390, 844)
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCREENSHOTS = {
    "search": DOCS / "screenshot-search.png",
    "results-phone": DOCS / "screenshot-results-phone.png",
    "compare": DOCS / "screenshot-compare.png",
    "cocktail": DOCS / "screenshot-cocktail.png",
    "print": DOCS / "screenshot-print.png",
}
"""What ``MESO_UPDATE_SCREENSHOT=1`` writes (the pages of docs/web.md)."""

AXE_VERSION = "4.10.3"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
AXE_JS = Path(
    os.environ.get("MESO_AXE_JS")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / f"meso-formulary/axe-core-{AXE_VERSION}/node_modules/axe-core/axe.min.js"
)
"""axe-core's browser build, as ``.ci/run`` installs it (``MESO_AXE_JS`` names another)."""
AXE_INSTALL = (
    f"npm install --prefix {AXE_JS.parents[2]} --no-save --ignore-scripts axe-core@{AXE_VERSION}"
)
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
"""The rules axe runs: WCAG 2.2 A and AA (target size included) and Deque's best practices."""
BLOCKING = frozenset({"serious", "critical"})

ALOPECIA = {"reference/dutasteride-hair", "reference/minoxidil-hair-cocktail"}
WITH_LIDOCAINE = "acme/hair-booster"
STARTUP_SECONDS = 60

CONCERN = "skin rejuvenation"
CONDITION = 'input[name="client"][value="fish-allergy"]'
EXCLUSION = 'input[name="exclude_class"][value="anaesthetic"]'
START = ("03", "06", "2027")
"""The first session asked for: Saturday 6 March 2027 (month, day, year as typed)."""
FIRST_SESSION = "Mon 8 Mar 2027, 10:30"
"""Where "avoid weekends" puts it, at the time typed."""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium "
        "(apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``meso serve --immutable`` on a free 127.0.0.1 port; yields its base URL.

    One server for the module: it serves an immutable file, so no test can change what
    another sees.
    """
    tmp_path = tmp_path_factory.mktemp("serve")
    data_dir = tmp_path / "data"  # MESO_DATA_DIR: the reference catalogue is built here
    database = published_catalogue(tmp_path / "catalogue.db")
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "meso_formulary", "serve", "--db", str(database)]
    command += ["--immutable", "--host", "127.0.0.1", "--port", "0"]
    env = {**os.environ, "MESO_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        yield _wait_until_it_answers(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_until_it_answers(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    base: str | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"meso serve exited with {process.returncode}:\n{log.read_text()}")
        if base is None:
            found = re.search(r"at (http://127\.0\.0\.1:\d+)/-/meso-search", log.read_text())
            base = found.group(1) if found else None
        if base is not None:
            try:
                with urllib.request.urlopen(f"{base}/-/meso-search", timeout=5) as response:
                    if response.status == 200:
                        return base
            except (urllib.error.URLError, ConnectionError):
                pass
        time.sleep(0.2)
    pytest.fail(f"meso serve did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the module; each test sets its viewport and media."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options.add_argument(f"--user-data-dir={profile}")
    # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's source, checked against its pinned version and digest."""
    if not AXE_JS.is_file():
        message = f"axe-core {AXE_VERSION} is not at {AXE_JS}; get it with: {AXE_INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    source = AXE_JS.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_JS} is not axe-core {AXE_VERSION} (sha256 {digest})"
    return source.decode("utf-8")


def _viewport(driver: WebDriver, width: int, height: int, media: str = "") -> None:
    """Lay the page out at ``width`` x ``height`` CSS pixels (a phone's viewport below 600:
    no scroll bar, ``<meta name=viewport>`` honoured) for ``media`` ("print", or "" for the
    screen)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})


def _print_media(driver: WebDriver, on: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print" if on else ""})


def _violations(driver: WebDriver, axe: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (injected once per page load)."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe)
    script = (
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
        " resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))), e => done(String(e)))"
    )
    found = driver.execute_async_script(script, list(AXE_TAGS))
    assert isinstance(found, list), f"axe-core failed: {found}"
    return found


def _assert_accessible(driver: WebDriver, axe: str, page: str) -> None:
    found = _violations(driver, axe)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    listing = "\n".join(
        f"  {v['impact']} {v['id']} ({v['help']}): {', '.join(v['nodes'][:5])}" for v in found
    )
    assert not blocking, f"axe-core on the {page} page ({driver.current_url}):\n{listing}"


def _assert_fits(driver: WebDriver, page: str) -> None:
    """Nothing is wider than a phone's screen: no sideways scrolling."""
    wide = driver.execute_script("return document.documentElement.scrollWidth")
    assert wide <= PHONE[0], f"the {page} page is {wide} px wide on a {PHONE[0]} px phone"


def _screenshot(driver: WebDriver, name: str) -> None:
    if os.environ.get("MESO_UPDATE_SCREENSHOT") == "1":
        assert driver.save_screenshot(str(SCREENSHOTS[name]))


def _active(driver: WebDriver) -> WebElement:
    return driver.switch_to.active_element


FOCUS = """
const element = document.activeElement;
if (!element.matches(arguments[0])) return [element, null];
const box = element.getBoundingClientRect();
return [element, {
  outline: getComputedStyle(element).outlineStyle,
  onPage: box.width > 0 && box.bottom + scrollY > 0 && box.right + scrollX > 0,
}];
"""
"""The focused element and, when it matches the selector, whether its focus shows."""


def _tab_to(driver: WebDriver, selector: str, limit: int = 200) -> WebElement:
    """Press TAB until the focus is on ``selector``; the focus must be visible there."""
    for _ in range(limit):
        element, focus = driver.execute_script(FOCUS, selector)
        assert isinstance(element, WebElement)
        if focus is not None:
            assert focus["outline"] != "none", f"no visible focus on {selector}"
            assert focus["onPage"], f"{selector} has the focus off the page, out of sight"
            return element
        element.send_keys(Keys.TAB)
    pytest.fail(f"{limit} presses of TAB never reached {selector} on {driver.current_url}")


class Hands:
    """The practitioner's hands: by keyboard (TAB to reach, SPACE to tick, ENTER to follow
    or send, typing in text fields) or by mouse (click, then type)."""

    def __init__(self, driver: WebDriver, keyboard: bool) -> None:
        self.driver = driver
        self.keyboard = keyboard

    def type(self, selector: str, text: str) -> None:
        if self.keyboard:
            _tab_to(self.driver, selector)
        else:
            field = self.driver.find_element(By.CSS_SELECTOR, selector)
            # The field's left end: a date or time field's first part (month, hour).
            left = -field.size["width"] // 2 + 4
            ActionChains(self.driver).move_to_element_with_offset(field, left, 0).click().perform()
        _active(self.driver).send_keys(text)

    def tick(self, selector: str) -> None:
        """Tick the box at ``selector`` unless it is ticked already."""
        if self.driver.find_element(By.CSS_SELECTOR, selector).is_selected():
            return
        if self.keyboard:
            _tab_to(self.driver, selector).send_keys(Keys.SPACE)
        else:
            self.driver.find_element(By.CSS_SELECTOR, selector).click()
        box = self.driver.find_element(By.CSS_SELECTOR, selector)
        assert box.is_selected(), f"{selector} is not ticked"

    def go(self, selector: str) -> None:
        """Follow a link or send a form, and wait for the next page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        if self.keyboard:
            _tab_to(self.driver, selector).send_keys(Keys.ENTER)
        else:
            self.driver.find_element(By.CSS_SELECTOR, selector).click()
        # Mid-navigation, Chromium may answer "node does not belong to the document":
        # asked again, the old page is stale.
        # Asked every 50 ms (Selenium's default, 500 ms, idles up to half a second a page).
        wait = WebDriverWait(
            self.driver, 30, poll_frequency=0.05, ignored_exceptions=[WebDriverException]
        )
        wait.until(expected_conditions.staleness_of(old))
        wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")


def _submit(driver: WebDriver) -> None:
    Hands(driver, keyboard=False).go("#meso-submit")


def _result_ids(driver: WebDriver) -> list[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "#meso-results [data-cocktail-id]")
    return [str(item.get_attribute("data-cocktail-id")) for item in items]


def _no_alert(driver: WebDriver) -> bool:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    alert.dismiss()
    return False


def test_search_by_concern_exclude_lidocaine_and_open_a_cocktail(
    server: str, browser: WebDriver, tmp_path: Path
) -> None:
    _viewport(browser, *DESKTOP)
    browser.get(f"{server}/-/meso-search")
    assert "Find a cocktail by concern" in browser.title
    browser.find_element(By.ID, "q").send_keys("hair loss")
    _submit(browser)
    assert set(_result_ids(browser)) == {*ALOPECIA, WITH_LIDOCAINE}
    assert _no_alert(browser), "supplier text ran as script"

    filters = browser.find_element(By.ID, "meso-filters")
    if filters.get_attribute("open") is None:  # closed after a search, the results first
        filters.find_element(By.TAG_NAME, "summary").click()
    browser.find_element(By.ID, "exclude").send_keys("lidocaine")
    _submit(browser)
    assert set(_result_ids(browser)) == ALOPECIA
    assert browser.find_element(By.ID, "q").get_attribute("value") == "hair loss"
    assert browser.find_element(By.ID, "exclude").get_attribute("value") == "lidocaine"
    why = browser.find_element(By.ID, "meso-results").text
    assert "for Alopecia, as 'hair loss'" in why
    assert "no lidocaine, in any form" in why
    assert "Alopecia (2)" in browser.find_element(By.ID, "meso-facets").text

    screenshot = tmp_path / "search.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    _screenshot(browser, "search")

    Hands(browser, keyboard=False).go('[data-cocktail-id="reference/dutasteride-hair"] a')
    assert browser.current_url == f"{server}/-/meso-cocktail/reference/dutasteride-hair"
    composition = browser.find_element(By.ID, "meso-composition")
    headers = [cell.text for cell in composition.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["#", "Ingredient", "Class", "Origin", "Strength as given", "mg/mL"]
    rows = composition.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert rows
    assert "Dutasteride" in rows[0].text
    assert browser.find_elements(By.CSS_SELECTOR, "#meso-timeline li")
    assert "Information, not medical advice." in browser.page_source


def test_hostile_supplier_text_stays_text_in_the_browser(server: str, browser: WebDriver) -> None:
    _viewport(browser, *DESKTOP)
    browser.get(f"{server}/-/meso-cocktail/acme/hair-booster")
    heading = browser.find_element(By.ID, "meso-cocktail-name").text
    assert heading == "Hair booster <script>alert('name')</script>"
    assert _no_alert(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")


@pytest.mark.parametrize(
    ("width", "keyboard"),
    [("desktop", True), ("phone", False)],
    ids=["desktop-keyboard", "phone-mouse"],
)
def test_the_consultation(
    server: str, browser: WebDriver, request: pytest.FixtureRequest, width: str, keyboard: bool
) -> None:
    """Concern, a client condition and an exclusion, search, compare two, open one, plan
    its course, its calendar file, its printed sheet: by keyboard at desktop width, by mouse
    (a finger) at phone width. axe-core checks each page at both widths; at phone width
    nothing is wider than the screen and the first result shows without scrolling."""
    phone = width == "phone"
    axe: str = request.getfixturevalue("axe")
    hands = Hands(browser, keyboard)
    _viewport(browser, *WIDTHS[width])

    def check(page: str) -> None:
        if phone:
            _assert_fits(browser, page)
        _assert_accessible(browser, axe, f"{page} ({width})")

    browser.get(f"{server}/-/meso-search")
    check("search")
    hands.type("#q", CONCERN)
    hands.tick(CONDITION)
    hands.tick(EXCLUSION)
    hands.go("#meso-submit")

    picks = _result_ids(browser)[:2]
    assert len(picks) == 2, browser.find_element(By.TAG_NAME, "main").text
    assert "Fish allergy" in browser.find_element(By.ID, "meso-screening").text
    assert browser.find_element(By.CSS_SELECTOR, CONDITION).is_selected()
    assert browser.find_element(By.CSS_SELECTOR, EXCLUSION).is_selected()
    if phone:
        first = browser.find_element(By.CSS_SELECTOR, "#meso-results [data-cocktail-id] a")
        bottom = browser.execute_script("return arguments[0].getBoundingClientRect().bottom", first)
        assert bottom <= PHONE[1], (
            f"the first result ends {bottom:.0f} px down a {PHONE[1]} px screen"
        )
        _screenshot(browser, "results-phone")
    check("results")

    hands.tick(f'#meso-results [data-cocktail-id="{picks[0]}"] input[name="id"]')
    hands.tick(f'#meso-results [data-cocktail-id="{picks[1]}"] input[name="id"]')
    hands.go("button#meso-compare")
    columns = "table#meso-compare thead th[data-cocktail-id]"
    compared = browser.find_elements(By.CSS_SELECTOR, columns)
    assert [cell.get_attribute("data-cocktail-id") for cell in compared] == picks
    check("compare")
    if not phone:
        _screenshot(browser, "compare")

    hands.go(f'table#meso-compare th[data-cocktail-id="{picks[1]}"] a')
    assert browser.current_url.startswith(f"{server}/-/meso-cocktail/{picks[1]}")
    hands.type("#start", "".join(START))
    hands.type("#time", "1030AM")
    hands.tick("#avoid_weekends")
    hands.go('#meso-planner [type="submit"]')
    assert browser.find_element(By.ID, "start").get_attribute("value") == "2027-03-06"
    assert browser.find_element(By.ID, "avoid_weekends").is_selected()
    timeline = browser.find_element(By.ID, "meso-timeline").text
    assert FIRST_SESSION in timeline, timeline
    check("cocktail")
    if not phone:
        browser.execute_script("document.getElementById('meso-planner-title').scrollIntoView()")
        _screenshot(browser, "cocktail")

    calendar = str(browser.find_element(By.ID, "meso-ics").get_attribute("href"))
    assert "start=2027-03-06" in calendar and "avoid_weekends=1" in calendar
    with urllib.request.urlopen(calendar, timeout=30) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/calendar"
        body = response.read().decode("utf-8")
    assert body.splitlines()[0] == "BEGIN:VCALENDAR"
    assert "DTSTART" in body and "20270308T1030" in body

    _print_media(browser, True)
    try:
        for hidden in ("header", "footer", "#meso-planner-title", "#meso-planner", "#meso-ics"):
            shown = browser.find_element(By.CSS_SELECTOR, hidden).is_displayed()
            assert not shown, f"{hidden} is printed"
        for printed in ("#meso-cocktail-name", "#meso-timeline", "#meso-aftercare", ".meso-note"):
            shown = browser.find_element(By.CSS_SELECTOR, printed).is_displayed()
            assert shown, f"{printed} is not printed"
        assert FIRST_SESSION in browser.find_element(By.ID, "meso-timeline").text
        note = browser.find_element(By.CSS_SELECTOR, ".meso-note").text
        assert "not medical advice" in note.lower()
        _assert_accessible(browser, axe, f"print ({width})")
        if not phone:
            browser.execute_script("window.scrollTo(0, 0)")
            _screenshot(browser, "print")
    finally:
        _print_media(browser, False)
