"""The consultation's web steps through Datasette's own test client: the site root leads to
the search, two to four results side by side (``/-/meso-compare``, its JSON the rows of
``meso compare --json``), a friendly 404 for any other ``/-/meso-...`` address, and the
stylesheet cached and compressed."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso, import_testco
from datasette.app import Datasette

from meso_formulary.web.plugin import SECURITY_HEADERS
from meso_formulary.web.server import build_datasette
from meso_formulary.web.views import static_hash

COMPARE = "/-/meso-compare"
SCALP, EYES, GLOW = "testco/scalp-boost", "testco/eye-bright", "testco/formula"
FIRM = "testco/firm"

FOURTH = """\
  - id: testco/firm
    name: Firm
    supplier: testco
    description: Biotin at another strength, for the face.
    composition:
      - ingredient: biotin
        strength: {value: 1, unit: mg/mL}
    indications: [skin_rejuvenation]
    areas: [face]
    administration:
      techniques: [nappage]
"""


def get(ds: Datasette, path: str, **headers: str) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.get(path, headers=headers))
    return response


def ids(*cocktails: str) -> str:
    return "&".join(f"id={c}" for c in cocktails)


def columns(response: httpx.Response) -> list[str]:
    head = response.text.split("</thead>")[0]
    return re.findall(r'<th scope="col" data-cocktail-id="([^"]+)"', head)


@pytest.fixture(scope="module")
def db(meso: Meso, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:data:`TESTCO` and a fourth cocktail (biotin at another strength than Scalp Boost's)."""
    return import_testco(meso, tmp_path_factory.mktemp("consultation"), FOURTH)


@pytest.fixture(scope="module")
def ds(db: Path) -> Iterator[Datasette]:
    yield build_datasette(db, immutable=True)


def test_the_root_leads_to_the_search_and_datasette_pages_stay(ds: Datasette) -> None:
    root = get(ds, "/")
    assert root.status_code == 302
    assert root.headers["location"] == "/-/meso-search"
    assert get(ds, "/.json").status_code == 200  # Datasette's index, as JSON
    assert get(ds, "/testco").status_code == 200  # the database page


def test_results_can_be_ticked_for_comparison(ds: Datasette) -> None:
    page = get(ds, "/-/meso-search?q=hair+loss+dark+circles")
    assert page.status_code == 200
    assert f'action="{COMPARE}"' in page.text
    assert re.search(r'<input type="checkbox"[^>]* name="id" value="testco/', page.text)


@pytest.mark.parametrize("picked", [(SCALP, EYES), (SCALP, EYES, GLOW, SCALP, EYES)])
def test_two_cocktails_side_by_side(ds: Datasette, picked: tuple[str, ...]) -> None:
    """Repeated ids count once: five ticks of two cocktails compare two."""
    page = get(ds, f"{COMPARE}?{ids(*picked)}")
    assert page.status_code == 200, page.text
    assert columns(page) == list(dict.fromkeys(picked))
    for heading in ("Composition", "Areas", "Course", "Contraindications", "Aftercare"):
        assert f">{heading}</th>" in page.text
    for fact in ("0.5 mg/mL", "2 % w/v (20 mg/mL)", "Pregnancy", "Do not wash the hair"):
        assert fact in page.text
    assert "Rule warnings" in page.text and 'data-provenance="draft"' in page.text


def test_four_cocktails_side_by_side(ds: Datasette) -> None:
    page = get(ds, f"{COMPARE}?{ids(SCALP, EYES, GLOW, FIRM)}")
    assert page.status_code == 200, page.text
    assert columns(page) == [SCALP, EYES, GLOW, FIRM]
    biotin = re.search(
        r'(?s)<tr class="meso-differs"><th scope="row">Biotin</th>(.*?)</tr>', page.text
    )
    assert biotin is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", biotin.group(1))
    assert cells == ["0.5 mg/mL", "–", "–", "1 mg/mL", "not in every cocktail"]
    pair = get(ds, f"{COMPARE}?{ids(SCALP, FIRM)}")
    assert "strengths differ" in pair.text


@pytest.mark.parametrize("picked", [(), (SCALP,), (SCALP, EYES, GLOW, "testco/a", "testco/b")])
def test_fewer_than_two_or_more_than_four_is_a_friendly_400(
    ds: Datasette, picked: tuple[str, ...]
) -> None:
    page = get(ds, f"{COMPARE}?{ids(*picked)}")
    assert page.status_code == 400
    assert "Pick two to four cocktails" in page.text
    assert "Traceback" not in page.text
    answer = get(ds, f"{COMPARE}.json?{ids(*picked)}")
    assert answer.status_code == 400
    assert answer.json()["ok"] is False and "2 to 4" in answer.json()["error"]


def test_an_unknown_cocktail_is_a_404_naming_it_with_a_close_match(ds: Datasette) -> None:
    page = get(ds, f"{COMPARE}?{ids(SCALP, 'testco/eye-brigt')}")
    assert page.status_code == 404
    assert "testco/eye-brigt" in page.text and "did you mean testco/eye-bright" in page.text.lower()
    answer = get(ds, f"{COMPARE}.json?{ids(SCALP, 'nobody/at-all')}")
    assert answer.status_code == 404
    assert "nobody/at-all" in answer.json()["error"]
    assert get(ds, f"{COMPARE}?{ids(SCALP, '../etc')}").status_code == 404


def test_the_json_holds_what_meso_compare_prints(ds: Datasette, meso: Meso, db: Path) -> None:
    answer = get(ds, f"{COMPARE}.json?{ids(SCALP, EYES, FIRM)}")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    assert body["ids"] == [SCALP, EYES, FIRM]
    for pair, other in zip(body["comparisons"], (EYES, FIRM), strict=True):
        printed = meso("compare", SCALP, other, "--json", "--db", db)
        assert printed.exit_code == 0, printed.output
        assert pair == {"a": SCALP, "b": other, "rows": json.loads(printed.stdout)}


@pytest.mark.parametrize("path", ["/-/meso-nowhere", "/-/meso-search/extra", "/-/meso-static/x.js"])
def test_any_other_meso_address_is_a_friendly_404(ds: Datasette, path: str) -> None:
    page = get(ds, path)
    assert page.status_code == 404
    assert "Page not found" in page.text and 'href="/-/meso-search"' in page.text
    assert "Traceback" not in page.text
    assert get(ds, f"{path}.json").json()["ok"] is False


def test_the_stylesheet_is_cached_and_compressed(ds: Datasette) -> None:
    page = get(ds, "/-/meso-search")
    link = re.search(r'href="(/-/meso-static/meso\.css\?v=[0-9a-f]{12})"', page.text)
    assert link is not None and link.group(1).endswith(static_hash("meso.css"))
    hashed = get(ds, link.group(1), **{"accept-encoding": "gzip"})
    assert hashed.status_code == 200
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert hashed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in hashed.headers["vary"].lower()
    assert ".meso-note" in hashed.text  # httpx decompresses
    for name, value in SECURITY_HEADERS:  # the security headers stay
        assert hashed.headers[name.decode()] == value.decode()
    plain = get(ds, "/-/meso-static/meso.css", **{"accept-encoding": "identity"})
    assert plain.headers["cache-control"] == "public, max-age=86400"
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert ".meso-note" in plain.text


def test_pages_are_compressed_when_the_client_accepts_gzip(ds: Datasette) -> None:
    raw = asyncio.run(
        ds.client.get("/-/meso-search?q=hair+loss", headers={"accept-encoding": "gzip"})
    )
    assert raw.headers["content-encoding"] == "gzip"
    assert int(raw.headers["content-length"]) < len(raw.text)
    assert "cache-control" not in raw.headers or "immutable" not in raw.headers["cache-control"]
    refused = get(ds, "/-/meso-search?q=hair+loss", **{"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
