"""The embedded reference catalogue: built once per data release, atomically, read-only."""

from __future__ import annotations

import multiprocessing
import sqlite3
from contextlib import closing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from meso_formulary import reference
from meso_formulary.catalogue import SCHEMA_VERSION, Catalogue
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.catalogue.store.embedded import default_file
from meso_formulary.errors import CatalogueError

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("MESO_DATA_DIR", str(folder))
    return folder


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_default_is_built_once_then_opened_read_only(data_dir: Path) -> None:
    expected = f"reference-{reference.data_checksum()}.db"
    with Catalogue.default() as cat:
        assert cat.readonly and cat.path == data_dir / expected
        stats = cat.stats()
        assert stats.source == "reference" and stats.suppliers == 1
        assert stats.cocktails == len(reference.reference_catalogue().cocktails)
        assert cat.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        with pytest.raises(CatalogueError, match="read-only"):
            cat.import_catalogue(reference.reference_catalogue())
    built = (data_dir / expected).stat().st_mtime_ns
    with Catalogue.default() as again:
        assert again.stats().cocktails == stats.cocktails
    assert (data_dir / expected).stat().st_mtime_ns == built
    assert files_in(data_dir) == [expected]  # no temporary, -wal or -shm files


def test_a_new_data_release_gets_a_new_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from meso_formulary.catalogue.store import dictionary

    Catalogue.default().close()
    monkeypatch.setattr(reference, "data_checksum", lambda: "f" * 8)
    monkeypatch.setattr(reference, "data_digest", lambda: "f" * 64)
    # The shipped data is loaded once per process: a new release is a new process.
    dictionary._shipped.cache_clear()
    request.addfinalizer(dictionary._shipped.cache_clear)
    with Catalogue.default() as cat:
        assert cat.path == default_file() == data_dir / f"reference-{'f' * 8}.db"
        assert cat.stats().reference_digest == "f" * 64
    assert files_in(data_dir) == [f"reference-{'f' * 8}.db"]  # the stale one is gone


def test_a_file_of_another_schema_version_is_built_again(data_dir: Path) -> None:
    Catalogue.default().close()
    with closing(sqlite3.connect(default_file())) as conn, conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with closing(connect_default()) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)


def test_a_damaged_file_is_built_again(data_dir: Path) -> None:
    data_dir.mkdir()
    default_file().write_bytes(b"not a database at all")
    with Catalogue.default() as cat:
        assert cat.stats().cocktails == len(reference.reference_catalogue().cocktails)


@pytest.mark.parametrize("where", ["under-a-file", "/proc/meso-formulary-test"])
def test_a_data_dir_that_cannot_be_made_is_an_error_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "under-a-file":
        (tmp_path / "file").write_text("x", encoding="utf-8")
        folder = tmp_path / "file" / "data"
    else:
        folder = Path(where)
    monkeypatch.setenv("MESO_DATA_DIR", str(folder))
    for opening in (Catalogue.default, connect_default):
        with pytest.raises(CatalogueError, match="cannot build the reference catalogue") as caught:
            opening()
        assert caught.value.hint is not None and "MESO_DATA_DIR" in caught.value.hint


def build_in_child(start: Barrier, results: Queue) -> None:  # type: ignore[type-arg]
    start.wait()
    with Catalogue.default() as cat:
        results.put(cat.stats().cocktails)


def test_two_processes_building_at_once_both_get_a_whole_file(data_dir: Path) -> None:
    start, results = SPAWN.Barrier(2), SPAWN.Queue()
    children = [SPAWN.Process(target=build_in_child, args=(start, results)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    expected = len(reference.reference_catalogue().cocktails)
    assert [results.get(timeout=10), results.get(timeout=10)] == [expected, expected]
    assert files_in(data_dir) == [f"reference-{reference.data_checksum()}.db"]


def test_new_memory_catalogues_start_from_one_image_and_stay_apart() -> None:
    """Later in-memory catalogues start from an image of the first (SQLite's serialize):
    each is a catalogue of its own, checked like any, in memory, with its own build time."""
    from meso_formulary.catalogue.search.runner import database_file

    shipped = reference.reference_catalogue()
    with Catalogue.memory() as first, Catalogue.memory() as second:
        assert database_file(second.conn) is None  # in memory, whatever SQLite names it
        assert first.stats().reference_digest == second.stats().reference_digest
        second.import_catalogue(shipped)  # the shipped catalogue, the one 'reference' may be
        with Catalogue.memory() as third:
            assert third.stats().cocktails == first.stats().cocktails == 0
            assert second.stats().cocktails == len(shipped.cocktails)
