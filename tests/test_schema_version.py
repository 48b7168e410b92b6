"""One schema-version check: every way into a catalogue file refuses a file of another
release with the same words (``connect.check_version``), and no way in reads it anyway."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from cli_support import Meso, assert_fails

from meso_formulary.catalogue import SCHEMA_VERSION, Catalogue
from meso_formulary.catalogue.store.connect import open_readonly
from meso_formulary.errors import CatalogueError
from meso_formulary.web.server import build_datasette

WORDS = {
    "newer": f"newer than this release reads ({SCHEMA_VERSION})",
    "older": f"older schema version {SCHEMA_VERSION - 1}",
}


@pytest.fixture(scope="module", params=sorted(WORDS))
def other_release(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """A catalogue file that says it was written by a newer or an older release."""
    kind: str = request.param
    path = tmp_path_factory.mktemp(kind) / "other.db"
    Catalogue.open(path).close()
    stored = SCHEMA_VERSION + 1 if kind == "newer" else SCHEMA_VERSION - 1
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(stored),))
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    return path, WORDS[kind]


def test_the_light_reader_refuses_it(other_release: tuple[Path, str]) -> None:
    path, words = other_release
    with pytest.raises(CatalogueError, match=re.escape(words)) as caught:
        open_readonly(path)
    assert str(path) in caught.value.message


def test_the_store_refuses_it_read_only(other_release: tuple[Path, str]) -> None:
    path, words = other_release
    with pytest.raises(CatalogueError, match=re.escape(words)):
        Catalogue.open(path, readonly=True)


def test_a_connection_opened_elsewhere_is_refused(other_release: tuple[Path, str]) -> None:
    path, words = other_release
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(CatalogueError, match=re.escape(words)):
            Catalogue.from_connection(conn, path)
    finally:
        conn.close()


def test_a_newer_file_is_refused_even_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Catalogue.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    conn.close()
    with pytest.raises(CatalogueError, match=re.escape(WORDS["newer"])) as caught:
        Catalogue.open(path)
    assert caught.value.hint == "upgrade meso-formulary to open this file"


@pytest.mark.parametrize(
    "args", [("search", "hair loss"), ("show", "reference/x"), ("stats",), ("indications",)]
)
def test_the_commands_refuse_it_with_the_same_words(
    meso: Meso, other_release: tuple[Path, str], args: tuple[str, ...]
) -> None:
    path, words = other_release
    assert_fails(meso(*args, "--db", path), 1, words)


def test_the_web_page_says_why_it_cannot_read_it(other_release: tuple[Path, str]) -> None:
    path, words = other_release
    datasette = build_datasette(path, immutable=True)

    async def search_page() -> tuple[int, str]:
        await datasette.invoke_startup()
        response = await datasette.client.get("/-/meso-search?q=hair")
        return response.status_code, response.text

    status, text = asyncio.run(search_page())
    assert status == 404
    assert words in text
