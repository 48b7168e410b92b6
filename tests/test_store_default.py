"""The embedded reference catalogue: built once per data release, atomically, read-only."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue, ReferenceData
from meso_formulary.catalogue.default import default_path
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
    expected = f"reference-{reference.data_digest()[:12]}.db"
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
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Catalogue.default().close()
    shipped = ReferenceData.shipped()
    newer = replace(shipped, digest="f" * 64)
    monkeypatch.setattr(ReferenceData, "shipped", classmethod(lambda cls: newer))
    with Catalogue.default() as cat:
        assert cat.path == default_path(newer) == data_dir / f"reference-{'f' * 12}.db"
        assert cat.stats().reference_digest == "f" * 64
    assert files_in(data_dir) == [f"reference-{'f' * 12}.db"]  # the stale one is gone


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
    assert files_in(data_dir) == [f"reference-{reference.data_digest()[:12]}.db"]
