"""Server response time of the web pages (``meso serve``), against a floor in the same run.

    python bench/bench_web.py [--runs 31] [--warmups 3] [--no-browser]

Starts ``meso serve --immutable`` on the reference catalogue (built first into a temporary
MESO_DATA_DIR) on a free 127.0.0.1 port and times each page of the consultation: the search
page, its results (a concern, a client condition, an exclusion), the same as JSON, a
cocktail page with its planned course, a comparison of two cocktails, the course's ``.ics``
and the stylesheet (gzipped). The floor is Datasette's ``/favicon.ico`` (208 bytes from
memory): the least a request through the same server, its plugin hooks and security
headers costs; Datasette's ``/-/versions.json`` is shown for scale.

One connection per request, as on a browser's first visit: on one kept-alive connection
every request here took 40 ms more, the floor too (the client's delayed ACK meeting the
server's separate writes of head and body), which says nothing about the pages. Rounds
alternate between the pages (A, B, C, ... A, B, C ...) so that a noisy neighbour slows all
of them alike; each figure is the median of ``--runs`` requests after ``--warmups``
discarded rounds, from connecting to the last byte read. Each page is asked for the same
way every time, so the figures include whatever the server keeps between requests (the
search's parsed vocabulary, the static files' gzip), as on a practitioner's second visit.

Then, when Debian's Chromium is installed (unless ``--no-browser``), one browser view per
HTML page: the median over 5 loads of the Navigation Timing API's
``performance.getEntriesByType('navigation')`` (time to the first byte, to
DOMContentLoaded, to the load event), in a headless Chromium at 1366x900.

It prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FLOOR = "floor: /favicon.ico"
COCKTAIL = "reference/ha-skin-booster-18"
OTHER = "reference/ha-hybrid-complex-32"
PLAN = "start=2027-03-06&time=10%3A30&avoid_weekends=1"
RESULTS = "q=skin+rejuvenation&client=fish-allergy&exclude_class=anaesthetic"

PAGES: dict[str, str] = {
    FLOOR: "/favicon.ico",
    "Datasette /-/versions.json": "/-/versions.json",
    "search": "/-/meso-search",
    "results": f"/-/meso-search?{RESULTS}",
    "results .json": f"/-/meso-search.json?{RESULTS}",
    "cocktail": f"/-/meso-cocktail/{COCKTAIL}?{PLAN}",
    "compare": f"/-/meso-compare?id={OTHER}&id={COCKTAIL}",
    ".ics": f"/-/meso-cocktail/{COCKTAIL}.ics?{PLAN}",
    "CSS (gzip)": "",  # the address the pages link to, read from the search page
}
"""The pages by the name the report prints, and their addresses."""

HTML_PAGES = ("search", "results", "cocktail", "compare")
BROWSER_LOADS = 5
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NAVIGATION = """
const entry = performance.getEntriesByType('navigation')[0];
return [entry.responseStart - entry.requestStart, entry.domContentLoadedEventEnd,
        entry.loadEventEnd, entry.transferSize];
"""


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``meso serve --immutable`` on the reference catalogue; its process and base URL."""
    env = {**os.environ, "MESO_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("MESO_DB", None)
    build = "from meso_formulary.catalogue import Catalogue\nwith Catalogue.default() as c: pass"
    subprocess.run([sys.executable, "-c", build], env=env, check=True)
    log = data_dir / "serve.log"
    command = [sys.executable, "-m", "meso_formulary", "serve", "--immutable", "--port", "0"]
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"meso serve exited with {process.returncode}:\n{log.read_text()}")
        found = re.search(r"at (http://127\.0\.0\.1:\d+)/-/meso-search", log.read_text())
        if found:
            return process, found.group(1)
        time.sleep(0.1)
    process.kill()
    sys.exit(f"meso serve did not start within 60 s:\n{log.read_text()}")


def fetch(base: str, path: str, encoding: str = "gzip") -> tuple[float, bytes]:
    """One GET on a new connection (the body compressed, as browsers ask for it with
    ``encoding="gzip"``): seconds from connecting to the last byte, and the body as sent."""
    address = urlsplit(base)
    headers = {"Accept-Encoding": encoding}
    start = time.perf_counter()
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        sys.exit(f"GET {path} answered {response.status}: {body[:300]!r}")
    return elapsed, body


def server_times(base: str, runs: int, warmups: int) -> dict[str, float]:
    """The median seconds of each page, rounds alternating between the pages."""
    _, search = fetch(base, PAGES["search"], encoding="identity")
    css = re.search(rb'href="(/-/meso-static/meso\.css[^"]*)"', search)
    if css is None:
        sys.exit("the search page links no meso.css")
    pages = {**PAGES, "CSS (gzip)": css.group(1).decode("ascii")}
    for _ in range(warmups):
        for path in pages.values():
            fetch(base, path)
    samples: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(runs):
        for name, path in pages.items():
            samples[name].append(fetch(base, path)[0])
    return {name: statistics.median(times) for name, times in samples.items()}


def browser_times(base: str) -> dict[str, list[float]]:
    """Per HTML page, the medians of [first byte, DOMContentLoaded, load] in milliseconds
    and the bytes transferred, over :data:`BROWSER_LOADS` loads in headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1366,900"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="meso-bench-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        try:
            figures: dict[str, list[float]] = {}
            for name in HTML_PAGES:
                loads: list[list[Any]] = []
                for _ in range(BROWSER_LOADS + 1):  # the first load warms the cache
                    driver.get(base + PAGES[name])
                    loads.append(driver.execute_script(NAVIGATION))
                figures[name] = [
                    statistics.median(column) for column in zip(*loads[1:], strict=True)
                ]
            return figures
        finally:
            driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31, help="timed requests per page (>= 15)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    args = parser.parse_args()
    if args.runs < 15:
        parser.error("--runs must be at least 15")

    with tempfile.TemporaryDirectory(prefix="meso-bench-web-") as tmp:
        process, base = start_server(Path(tmp))
        try:
            medians = server_times(base, args.runs, args.warmups)
            browser = None
            if not args.no_browser and CHROMIUM.exists() and CHROMEDRIVER.exists():
                browser = browser_times(base)
        finally:
            process.terminate()
            process.wait(timeout=15)

    floor = medians[FLOOR]
    width = max(map(len, medians))
    print(f"Server: {args.runs} requests per page after {args.warmups} warm-up rounds")
    print("(median, alternating, one connection per request):")
    for name, median in medians.items():
        print(f"  {name:<{width}} {median * 1000:7.2f} ms  {median / floor:6.2f}x floor")
    if browser is None:
        print("Browser: skipped (--no-browser, or no /usr/bin/chromium)")
        return
    print(f"Browser: Navigation Timing, headless Chromium 1366x900, median of {BROWSER_LOADS}:")
    print(f"  {'page':<10} {'first byte':>11} {'DOM ready':>10} {'loaded':>8} {'bytes':>8}")
    for name, (first, ready, loaded, size) in browser.items():
        print(f"  {name:<10} {first:8.1f} ms {ready:7.1f} ms {loaded:5.1f} ms {size:8.0f}")


if __name__ == "__main__":
    main()
