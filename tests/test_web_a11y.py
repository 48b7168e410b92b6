"""What the pages give assistive technology, through Datasette's test client (no browser):
the page's language and one ``<main>`` landmark on the plugin's pages and Datasette's own
(the plugin's ``base.html``), a ``--template-dir`` still first, and the search's filters not
closed by Datasette's menu script. axe-core itself runs in ``tests/test_web_browser.py``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from datasette.app import Datasette

from meso_formulary.web.server import build_datasette

PAGES = {
    "search": "/-/meso-search",
    "results": "/-/meso-search?q=hair+loss",
    "cocktail": "/-/meso-cocktail/testco/scalp-boost",
    "compare": "/-/meso-compare?id=testco/scalp-boost&id=testco/eye-bright",
    "not found": "/-/meso-nothing-here",
    "Datasette's database page": "/testco",
    "Datasette's table page": "/testco/cocktails",
}
MENU_SCRIPT = "Close any open details elements"
"""Datasette's script (``_close_open_menus.html``) that closes every open ``<details>``."""


def get(ds: Datasette, path: str) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.get(path))
    return response


@pytest.fixture(scope="module")
def ds(db: Path) -> Iterator[Datasette]:
    yield build_datasette(db, immutable=True)


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_page_says_its_language_and_has_one_main_landmark(ds: Datasette, path: str) -> None:
    page = get(ds, path)
    assert page.status_code in (200, 404), page.text[:300]
    assert re.search(r"<!DOCTYPE html>\s*<html lang=\"en\">", page.text)
    assert page.text.count("<main") == 1
    assert page.text.count("</main>") == 1


def test_the_search_filters_stay_open_on_a_click_elsewhere(ds: Datasette) -> None:
    """Datasette's menu script would close the search's filters (a ``<details>``) on any
    click outside them, in the concern box too; the other pages keep it for the menu."""
    assert MENU_SCRIPT not in get(ds, PAGES["search"]).text
    assert MENU_SCRIPT not in get(ds, PAGES["results"]).text
    assert MENU_SCRIPT in get(ds, PAGES["cocktail"]).text


def test_a_template_dir_comes_before_the_plugins_base(db: Path, tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text(
        '<!DOCTYPE html>\n<html lang="pt"><body>{% block content %}{% endblock %}</body></html>',
        encoding="utf-8",
    )
    ds = Datasette([str(db)], template_dir=str(tmp_path))
    page = get(ds, PAGES["search"])
    assert page.status_code == 200
    assert '<html lang="pt">' in page.text
    assert "Find a cocktail by concern" in page.text
