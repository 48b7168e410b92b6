"""End to end in a real browser: ``meso serve`` in a subprocess, driven by Debian's Chromium.

A practitioner's path: open the search page, type "hair loss", see the alopecia cocktails
(one of them with lidocaine), leave lidocaine out, see it gone, open a cocktail and read its
composition. The server listens on 127.0.0.1 only and is always stopped.

``MESO_UPDATE_SCREENSHOT=1`` also writes the search page to ``docs/screenshot-search.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_catalogue import published_catalogue
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
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
    "--window-size=1280,1500",
)
DOCS_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshot-search.png"
ALOPECIA = {"reference/dutasteride-hair", "reference/minoxidil-hair-cocktail"}
WITH_LIDOCAINE = "acme/hair-booster"
STARTUP_SECONDS = 60

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


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _submit(driver: WebDriver) -> None:
    old = driver.find_element(By.ID, "meso-search-form")
    driver.find_element(By.ID, "meso-submit").click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "meso-total"))
    )


def _result_ids(driver: WebDriver) -> set[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "#meso-results li[data-cocktail-id]")
    return {str(item.get_attribute("data-cocktail-id")) for item in items}


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
    browser.get(f"{server}/-/meso-search")
    assert "Find a cocktail by concern" in browser.title
    browser.find_element(By.ID, "q").send_keys("hair loss")
    _submit(browser)
    assert _result_ids(browser) == {*ALOPECIA, WITH_LIDOCAINE}
    assert _no_alert(browser), "supplier text ran as script"

    browser.find_element(By.ID, "exclude").send_keys("lidocaine")
    _submit(browser)
    assert _result_ids(browser) == ALOPECIA
    assert browser.find_element(By.ID, "q").get_attribute("value") == "hair loss"
    assert browser.find_element(By.ID, "exclude").get_attribute("value") == "lidocaine"
    why = browser.find_element(By.ID, "meso-results").text
    assert "for Alopecia, as 'hair loss'" in why
    assert "no lidocaine, in any form" in why
    assert "Alopecia (2)" in browser.find_element(By.ID, "meso-facets").text

    screenshot = tmp_path / "search.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("MESO_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)

    browser.find_element(
        By.CSS_SELECTOR, '[data-cocktail-id="reference/dutasteride-hair"] a'
    ).click()
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "meso-composition"))
    )
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
    browser.get(f"{server}/-/meso-cocktail/acme/hair-booster")
    heading = browser.find_element(By.ID, "meso-cocktail-name").text
    assert heading == "Hair booster <script>alert('name')</script>"
    assert _no_alert(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")
