"""``meso serve`` under a hostile visitor: raw SQL off (and capped when a developer turns it
on), security headers and a CSP the pages satisfy, writes answered 405, a search past its
budget answered 503, nothing of the server's file system shown; and the catalogue served
from read-only storage and from folders whose names hold ``?``, ``#`` or ``%``."""

from __future__ import annotations

import asyncio
import re
import resource
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Meso
from datasette.app import Datasette
from helpers_catalogue import published_catalogue

from meso_formulary.web import plugin
from meso_formulary.web.server import (
    BudgetedConnection,
    build_datasette,
    catalogue_uri,
    check_catalogue,
)

SEARCH = "/-/meso-search"
COCKTAIL = "/-/meso-cocktail/acme/hair-booster"
BOMBS = [
    "select length(printf('%.*c', 2000000000, 'x'))",
    "select length(zeroblob(2e9))",
    "select length(replace(printf('%.*c', 900000, 'x'), 'x', 'xxxxxxxxxx'))",
]
POINTER = re.compile(r"\b0x[0-9a-f]{9,}\b")  # a memory address (not a compile option)


def request(ds: Datasette, method: str, path: str, **kwargs: Any) -> httpx.Response:
    response: httpx.Response = asyncio.run(ds.client.request(method, path, **kwargs))
    return response


def get(ds: Datasette, path: str) -> httpx.Response:
    return request(ds, "GET", path)


@pytest.fixture(scope="module")
def catalogue_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_catalogue(tmp_path_factory.mktemp("hostile") / "catalogue.db")


@pytest.fixture(scope="module")
def ds(catalogue_path: Path) -> Datasette:
    return build_datasette(catalogue_path, immutable=True)


@pytest.fixture(scope="module")
def sql_ds(catalogue_path: Path) -> Datasette:
    return build_datasette(catalogue_path, immutable=True, enable_sql=True)


def sql_path(name: str, sql: str, *, as_json: bool = True) -> str:
    return f"/{name}{'.json' if as_json else ''}?{httpx.QueryParams({'sql': sql})}"


# ---------------------------------------------------------------- raw SQL


def test_raw_sql_is_off_by_default(ds: Datasette, catalogue_path: Path) -> None:
    name = catalogue_path.stem
    where = httpx.QueryParams({"_where": BOMBS[0].removeprefix("select ")})
    for path in [
        *(sql_path(name, bomb) for bomb in BOMBS),
        sql_path(name, BOMBS[0], as_json=False),
        f"/{name}/cocktails?{where}",
        f"/{name}/cocktails.json?{where}",
        "/_memory?sql=select+1",
    ]:
        response = get(ds, path)
        assert response.status_code in (400, 403, 404), path
    assert asyncio.run(ds.permission_allowed(None, "execute-sql", name, default=True)) is False
    assert "View and edit SQL" not in get(ds, f"/{name}/cocktails").text


def test_string_bombs_fail_fast_when_sql_is_on(sql_ds: Datasette, catalogue_path: Path) -> None:
    name = catalogue_path.stem
    assert get(sql_ds, sql_path(name, "select 1 + 1")).json()["rows"] == [[2]]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for bomb in BOMBS:
        response = get(sql_ds, sql_path(name, bomb))
        assert response.status_code == 400, bomb
        assert re.search("too big|not authorized", response.json()["error"]), bomb
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100_000, f"peak memory grew by {grown_kib} KiB"


def test_many_rows_of_long_values_stop_at_the_result_budget(
    sql_ds: Datasette, catalogue_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin, "RESULT_BUDGET", 2_000_000)
    rows = (
        "with recursive n(i) as (select 1 union all select i + 1 from n limit 100) "
        "select replace(hex(zeroblob(50000)), '0', 'a') from n"
    )
    response = get(sql_ds, sql_path(catalogue_path.stem, rows))
    assert response.status_code == 400
    assert "result too large" in response.json()["error"]


def test_every_statement_has_a_budget_even_after_a_handler_is_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backstop under Datasette's limit: a statement run with no time limit of its own
    (or after one was removed) is still stopped."""
    monkeypatch.setattr(BudgetedConnection, "budget", 0.02)
    endless = (
        "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    )
    conn = sqlite3.connect(":memory:", factory=BudgetedConnection)
    try:
        for _ in range(2):
            with pytest.raises(sqlite3.OperationalError, match="interrupted"):
                conn.execute(endless).fetchone()
            conn.set_progress_handler(lambda: 0, 1)
            conn.set_progress_handler(None, 0)
        assert conn.execute("select 1").fetchone() == (1,)  # the clock restarts per statement
    finally:
        conn.close()


def test_sql_needs_a_loopback_host(meso: Meso, catalogue_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.1", "::", "example.org"):
        result = meso(
            "serve", "--db", catalogue_path, "--enable-sql", "--host", host, "--port", "0"
        )
        assert result.exit_code == 1, host
        assert "--enable-sql" in result.stderr and "loopback" in result.stderr
        assert "Traceback" not in result.stderr


def test_no_page_shows_the_file_path_or_a_memory_address(
    ds: Datasette, sql_ds: Datasette, catalogue_path: Path
) -> None:
    name = catalogue_path.stem
    folder = str(catalogue_path.parent)
    pages = [
        "/",
        f"/{name}",
        f"/{name}.json",
        "/-/databases",
        "/-/databases.json",
        "/-/versions.json",
        "/-/settings.json",
        "/-/threads.json",
        "/no/such/page",
        f"/{name}/no_such_table",
        f"{SEARCH}?limit=0",
    ]
    sql_pages = [
        sql_path(name, "select * from pragma_database_list"),
        sql_path(name, "select no_such_column", as_json=False),
    ]
    for server, paths in ((ds, pages), (sql_ds, sql_pages)):
        for path in paths:
            response = get(server, path)
            assert response.status_code < 500, path
            assert folder not in response.text, path
            assert not POINTER.search(response.text), path


# ---------------------------------------------------------------- headers and CSP


class InlineCode(HTMLParser):
    """The inline scripts, inline styles, style attributes and event-handler attributes of a
    page: what a CSP without 'unsafe-inline' blocks unless hashed."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.attributes: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for attribute, _ in attrs:
            if attribute == "style" or attribute.startswith("on"):
                self.attributes.append(f"{tag} {attribute}")
        if tag in ("script", "style") and not dict(attrs).get("src"):
            self._open = tag
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.blocks[-1] += data


def allowed_hashes(policy: str) -> set[str]:
    return set(re.findall(r"'(sha256-[A-Za-z0-9+/=]+)'", policy))


@pytest.mark.parametrize(
    "path",
    [
        SEARCH,
        f"{SEARCH}?q=hair+loss&exclude=lidocaine",
        f"{SEARCH}?limit=0",
        COCKTAIL,
        "/-/meso-cocktail/acme/no-such",
        "/no/such/page",
    ],
)
def test_the_pages_hold_no_inline_code_the_csp_blocks(ds: Datasette, path: str) -> None:
    response = get(ds, path)
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    parser = InlineCode()
    parser.feed(response.text)
    assert parser.attributes == []
    for block in parser.blocks:
        assert plugin._csp_hash(block).strip("'") in allowed_hashes(policy), block[:60]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (SEARCH, 200),
        (COCKTAIL, 200),
        (f"{SEARCH}.json?q=hair+loss", 200),
        ("/catalogue/cocktails.json", 200),
        ("/no/such/page", 404),
        ("/-/meso-static/meso.css", 200),
        ("/-/static/app.css", 200),
    ],
)
def test_every_response_carries_the_security_headers(ds: Datasette, path: str, status: int) -> None:
    response = get(ds, path)
    assert response.status_code == status
    headers = response.headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


# ---------------------------------------------------------------- writes


ROUTES = [
    "/",
    "/catalogue",
    "/catalogue.json",
    "/catalogue/cocktails",
    "/catalogue/cocktails.json",
    "/catalogue/cocktails/acme~2Fhair-booster",
    "/catalogue/cocktails/-/insert",
    "/catalogue/-/create",
    SEARCH,
    f"{SEARCH}.json",
    COCKTAIL,
    "/-/messages",
    "/-/permissions",
    "/-/allow-debug",
    "/-/logout",
    "/-/databases.json",
    "/no/such/page",
]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_every_write_is_answered_405(
    ds: Datasette, method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in ROUTES:
        response = request(ds, method, path, data={"sql": "delete from cocktails"})
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
        assert response.headers["x-content-type-options"] == "nosniff"
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


# ---------------------------------------------------------------- the search budget


def test_a_hostile_search_past_its_budget_is_a_503(
    ds: Datasette, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meso_formulary.catalogue.search import runner
    from meso_formulary.web import views

    monkeypatch.setattr(views, "WEB_SEARCH_BUDGET", 0.0)
    monkeypatch.setattr(runner, "PROGRESS_STEPS", 1)
    hostile = "+".join(f"{a}{b}%2A" for a in "abcdefgh" for b in "nopqrstu")
    response = get(ds, f"{SEARCH}.json?q={hostile}")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert "took longer than 0 s" in body["error"] and "fewer words" in body["hint"]
    page = get(ds, f"{SEARCH}?q={hostile}")
    assert page.status_code == 503
    assert "took longer than 0 s" in page.text and 'id="meso-search-form"' in page.text


# ---------------------------------------------------------------- where the file lives


@pytest.mark.parametrize("folder", ["a?b", "c#d", "e%20f", "g h"])
def test_a_catalogue_in_a_folder_with_uri_characters(
    catalogue_path: Path, tmp_path: Path, folder: str
) -> None:
    home = tmp_path / folder
    home.mkdir()
    path = home / "catalogue.db"
    shutil.copyfile(catalogue_path, path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for immutable in (True, False):
        check_catalogue(path, immutable=immutable)
        server = build_datasette(path, immutable=immutable)
        assert get(server, f"{SEARCH}.json?q=hair+loss").json()["total"] == 3
        assert get(server, "/catalogue/cocktails.json?_shape=array&_size=1").status_code == 200
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no stray file anywhere
    assert not list(Path.cwd().glob("*catalogue.db*"))


def test_read_only_storage_is_served_immutable(catalogue_path: Path, tmp_path: Path) -> None:
    """A WAL catalogue in a read-only folder: ``immutable=1`` reads it without creating its
    ``-wal`` or ``-shm`` file. (The tests run as root, whom permission bits do not stop: the
    check is that no file appears and that the URI says immutable.)"""
    folder = tmp_path / "readonly"
    folder.mkdir()
    path = folder / "catalogue.db"
    shutil.copyfile(catalogue_path, path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["catalogue.db"]
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        assert catalogue_uri(path, immutable=True).endswith("/catalogue.db?immutable=1")
        check_catalogue(path, immutable=True)
        server = build_datasette(path, immutable=True)
        assert get(server, f"{SEARCH}.json?q=hair+loss").json()["total"] == 3
        assert get(server, COCKTAIL).status_code == 200
        assert sorted(p.name for p in folder.iterdir()) == ["catalogue.db"]
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_unreadable_storage_without_immutable_is_a_clear_error(
    meso: Meso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read-only storage that SQLite cannot read in ``mode=ro`` (it cannot create the ``-shm``
    file of a WAL catalogue): a clear error with the --immutable hint, never a traceback."""
    from meso_formulary.catalogue import Catalogue

    def refuse(*_: Any, **__: Any) -> Catalogue:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(Catalogue, "open", refuse)
    path = tmp_path / "catalogue.db"
    path.write_bytes(b"")
    result = meso("serve", "--db", path, "--port", "0")
    assert result.exit_code == 1
    assert "Error: cannot read the catalogue" in result.stderr
    assert "--immutable" in result.stderr
    assert "Traceback" not in result.stderr
