"""Two processes at once: a second writer waits or gets CatalogueBusy; readers never see a mix.

The child processes (``multiprocessing``, spawn) import through the library like any user,
streaming slowly so that the parent can act while the child holds the write lock.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from meso_formulary.catalogue import Catalogue
from meso_formulary.errors import CatalogueBusy
from meso_formulary.model import CatalogueFile

SPAWN = multiprocessing.get_context("spawn")
WAIT = 60.0
"""Upper bound on any wait in these tests (seconds); reached only if something is broken."""


def header(supplier: str, version: int = 1) -> CatalogueFile:
    return CatalogueFile.model_validate(
        {"supplier": {"id": supplier, "name": supplier.title()}, "version": version}
    )


def cocktail(supplier: str, slug: str) -> dict[str, Any]:
    return {
        "id": f"{supplier}/{slug}",
        "name": f"Cocktail {slug}",
        "supplier": supplier,
        "description": f"{slug} for the concurrency tests",
        "composition": [{"ingredient": "biotin", "strength": {"value": 0.5, "unit": "mg/mL"}}],
        "indications": ["alopecia"],
    }


def slow_import(
    path: str,
    supplier: str,
    version: int,
    slugs: list[str],
    pause: float,
    holding: Event,
    release: Event | None,
) -> None:
    """Child: import ``slugs`` one by one, setting ``holding`` once the write lock is held."""

    def stream() -> Any:
        for k, slug in enumerate(slugs):
            if k == 1:
                holding.set()  # the first cocktail is written: the transaction is open
                if release is not None and not release.wait(WAIT):
                    raise TimeoutError("never released")
            time.sleep(pause)
            yield cocktail(supplier, slug)

    with Catalogue.open(path, busy_timeout=WAIT) as cat:
        cat.import_stream(header(supplier, version), stream())


def start(*args: Any) -> multiprocessing.process.BaseProcess:
    process = SPAWN.Process(target=slow_import, args=args)
    process.start()
    return process


def current_ids(cat: Catalogue, supplier: str) -> set[str]:
    rows = cat.conn.execute("SELECT id FROM cocktails WHERE supplier_id = ?", (supplier,))
    return {row[0] for row in rows}


@pytest.fixture
def seeded(catalogue_path: Path) -> Path:
    with Catalogue.open(catalogue_path) as cat:
        cat.import_stream(header("acme"), [cocktail("acme", f"v1-{k}") for k in range(8)])
    return catalogue_path


def test_a_second_import_waits_for_the_first(seeded: Path) -> None:
    holding = SPAWN.Event()
    child = start(str(seeded), "bravo", 1, [f"b{k}" for k in range(6)], 0.2, holding, None)
    try:
        assert holding.wait(WAIT)
        with Catalogue.open(seeded, busy_timeout=WAIT) as cat:
            report = cat.import_stream(header("charlie"), [cocktail("charlie", "c")])
            assert report.added == ("charlie/c",)
            # charlie's transaction could only begin once bravo's had committed
            assert len(current_ids(cat, "bravo")) == 6
    finally:
        child.join(WAIT)
    assert child.exitcode == 0


def test_an_import_that_waits_too_long_is_busy_and_loses_nothing(seeded: Path) -> None:
    holding, release = SPAWN.Event(), SPAWN.Event()
    child = start(str(seeded), "bravo", 1, ["b0", "b1", "b2"], 0.0, holding, release)
    try:
        assert holding.wait(WAIT)
        with Catalogue.open(seeded, busy_timeout=0.2) as cat:
            before = cat.export()
            with pytest.raises(CatalogueBusy, match="import in progress") as error:
                cat.import_stream(header("charlie"), [cocktail("charlie", "c")])
            assert str(seeded) in str(error.value)
            assert error.value.hint and "try again" in error.value.hint
            assert cat.export() == before
        release.set()
        child.join(WAIT)
        assert child.exitcode == 0
        with Catalogue.open(seeded) as cat:
            cat.import_stream(header("charlie"), [cocktail("charlie", "c")])
            assert current_ids(cat, "bravo") == {"bravo/b0", "bravo/b1", "bravo/b2"}
            assert current_ids(cat, "charlie") == {"charlie/c"}
            assert len(current_ids(cat, "acme")) == 8
    finally:
        release.set()
        child.join(WAIT)


def test_a_reader_sees_the_old_or_the_new_catalogue_never_a_mix(seeded: Path) -> None:
    old = {f"acme/v1-{k}" for k in range(8)}
    new_slugs = [f"v2-{k}" for k in range(8)]
    new = {f"acme/{slug}" for slug in new_slugs}
    holding, release = SPAWN.Event(), SPAWN.Event()
    child = start(str(seeded), "acme", 2, new_slugs, 0.05, holding, release)
    seen: list[str] = []
    with Catalogue.open(seeded, readonly=True) as reader:
        assert holding.wait(WAIT)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            alive = child.is_alive()
            reader.conn.execute("BEGIN")  # one snapshot for all the reads below
            try:
                ids = current_ids(reader, "acme")
                fts = reader.conn.execute("SELECT count(*) FROM cocktails_fts").fetchone()[0]
                total = reader.conn.execute("SELECT count(*) FROM cocktails").fetchone()[0]
                exported = json.loads(reader.export(supplier="acme"))
            finally:
                reader.conn.commit()
            assert ids in (old, new), sorted(ids)
            assert fts == total
            assert {c["id"] for c in exported["cocktails"]} == ids
            assert exported.get("version", 1) == (1 if ids == old else 2)  # 1 is the default
            seen.append("old" if ids == old else "new")
            release.set()  # the first read ran while the child waited inside its transaction
            if not alive:
                break
            time.sleep(0.02)
    release.set()
    child.join(WAIT)
    assert child.exitcode == 0
    assert seen[0] == "old" and seen[-1] == "new"
