"""Searches while imports run: 4 reader processes, 2 importer processes, one catalogue file.

Each importer publishes :data:`VERSIONS` successive versions of its own supplier. Version
``v`` of a supplier holds exactly ``size(v)`` cocktails whose ids carry ``v``, and replaces
the previous version completely, so any result set tells which version a reader saw. The
checks:

- every result set of a reader is exactly one whole version (one version tag in its ids,
  and as many hits as that version holds), or empty before the first version lands: no
  reader ever sees half an import;
- readers never fail: no ``database is locked`` or any other error reaches them;
- every import either lands whole (the importer reads its supplier back right after) or is
  refused with :class:`~meso_formulary.errors.CatalogueBusy` and retried; nothing else.

Importers use a short busy timeout so that refusals happen. One reader goes through the
``meso search`` command (in-process), the others through the library. Everything is
bounded: a fixed number of imports, readers stop when the importers are done, and the test
gives the processes :data:`DEADLINE` seconds.
"""

from __future__ import annotations

import json
import multiprocessing
import traceback
from pathlib import Path
from typing import Any

import pytest
from helpers_catalogue import (
    cocktail_count,
    copy_catalogue,
    integrity_problems,
    report_line,
    seed_catalogue,
    versioned_catalogue,
)

SUPPLIERS = ("conc-a", "conc-b")
VERSIONS = 6
READERS = 4
DEADLINE = 180.0
"""Seconds the processes get in all (they need a few; this only stops a hang)."""

IMPORTER_BUSY_TIMEOUT = 0.05
"""Seconds an importer waits for the other one's lock before it gets CatalogueBusy."""


def size(version: int) -> int:
    """How many cocktails version ``version`` holds (all different)."""
    return 20 + 7 * version


def version_seen(supplier: str, ids: list[str]) -> int | None:
    """The one version the ids belong to (``None`` for no ids); raise if they mix versions."""
    tags = {cocktail_id.removeprefix(f"{supplier}/v").split("-")[0] for cocktail_id in ids}
    if len(tags) > 1:
        raise AssertionError(f"{supplier}: one result set mixes versions {sorted(tags)}")
    return int(tags.pop()) if tags else None


def check_result_set(supplier: str, ids: list[str], total: int) -> int:
    """The version a result set shows, after checking that it is whole (0: none yet)."""
    version = version_seen(supplier, ids)
    expected = 0 if version is None else size(version)
    if total != expected or len(ids) != expected:
        raise AssertionError(
            f"{supplier}: {len(ids)} hits, total {total}, for version {version} "
            f"which holds {expected}: a half import"
        )
    return version or 0


def test_result_set_check_catches_half_imports() -> None:
    """The readers' check can fail: mixed versions and partial versions are caught."""
    whole = [f"conc-a/v2-{k}" for k in range(size(2))]
    assert check_result_set("conc-a", whole, size(2)) == 2
    assert check_result_set("conc-a", [], 0) == 0
    with pytest.raises(AssertionError, match="mixes versions"):
        check_result_set("conc-a", [*whole[:-1], "conc-a/v3-0"], size(2))
    with pytest.raises(AssertionError, match="a half import"):
        check_result_set("conc-a", whole[:-1], size(2) - 1)


# ---------------------------------------------------------------- worker processes


def importer(db: str, supplier: str, results: Any) -> None:
    """Publish every version of ``supplier``; report what landed and what was refused."""
    from meso_formulary.catalogue import Catalogue
    from meso_formulary.errors import CatalogueBusy
    from meso_formulary.model import CatalogueFile

    report: dict[str, Any] = {"role": "importer", "supplier": supplier, "landed": 0, "busy": 0}
    try:
        with Catalogue.open(Path(db), busy_timeout=IMPORTER_BUSY_TIMEOUT) as catalogue:
            for version in range(1, VERSIONS + 1):
                document = CatalogueFile.model_validate(
                    versioned_catalogue(supplier, version, size(version))
                )
                while True:
                    try:
                        imported = catalogue.import_catalogue(document)
                    except CatalogueBusy:
                        report["busy"] += 1
                        continue
                    break
                landed = cocktail_count(Path(db), supplier)
                if len(imported.added) != size(version) or landed != size(version):
                    raise AssertionError(
                        f"{supplier} v{version}: {len(imported.added)} added, {landed} stored"
                    )
                report["landed"] += 1
    except BaseException:
        report["error"] = traceback.format_exc()
    results.put(report)


def reader(db: str, number: int, done: Any, results: Any) -> None:
    """Search until the importers are done (and once more); check every result set."""
    from meso_formulary.catalogue import Catalogue
    from meso_formulary.catalogue.search.api import SearchRequest, search

    report: dict[str, Any] = {"role": "reader", "number": number, "searches": 0, "seen": []}
    seen: set[tuple[str, int]] = set()
    try:
        with Catalogue.open(Path(db), readonly=True) as catalogue:
            last = False
            while not last:
                last = done.is_set()
                for supplier in SUPPLIERS:
                    text = "cocktail" if report["searches"] % 2 else None
                    request = SearchRequest(text=text, supplier=supplier, limit=500)
                    results_ = search(catalogue, request)
                    ids = [hit.id for hit in results_.hits]
                    seen.add((supplier, check_result_set(supplier, ids, results_.total)))
                    report["searches"] += 1
    except BaseException:
        report["error"] = traceback.format_exc()
    report["seen"] = sorted(seen)
    results.put(report)


def cli_reader(db: str, number: int, done: Any, results: Any) -> None:
    """Like :func:`reader`, through ``meso search --json`` (click's runner, in-process)."""
    from click.testing import CliRunner

    from meso_formulary.cli import cli

    report: dict[str, Any] = {"role": "reader", "number": number, "searches": 0, "seen": []}
    seen: set[tuple[str, int]] = set()
    runner = CliRunner()
    try:
        last = False
        while not last:
            last = done.is_set()
            for supplier in SUPPLIERS:
                result = runner.invoke(
                    cli, ["search", "--supplier", supplier, "--limit", "500", "--json", "--db", db]
                )
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    raise result.exception
                if "Traceback" in result.output:
                    raise AssertionError(result.output)
                if result.exit_code == 1 and "No cocktails found" in result.stderr:
                    ids: list[str] = []  # nothing imported for this supplier yet
                elif result.exit_code == 0:
                    ids = [hit["id"] for hit in json.loads(result.stdout)]
                else:
                    raise AssertionError(f"exit {result.exit_code}: {result.output}")
                seen.add((supplier, check_result_set(supplier, ids, len(ids))))
                report["searches"] += 1
    except BaseException:
        report["error"] = traceback.format_exc()
    report["seen"] = sorted(seen)
    results.put(report)


# ---------------------------------------------------------------- the test


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    base = seed_catalogue(tmp_path / "base.db")
    return copy_catalogue(base, tmp_path / "shared.db")


@pytest.mark.slow
def test_searches_during_imports_see_whole_versions(
    shared: Path, pytestconfig: pytest.Config
) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    done = context.Event()
    importers = [
        context.Process(target=importer, args=(str(shared), supplier, results))
        for supplier in SUPPLIERS
    ]
    readers = [
        context.Process(
            target=cli_reader if n == 0 else reader, args=(str(shared), n, done, results)
        )
        for n in range(READERS)
    ]
    for process in readers + importers:
        process.start()
    reports = []
    try:
        reports += [results.get(timeout=DEADLINE) for _ in importers]
        done.set()
        reports += [results.get(timeout=DEADLINE) for _ in readers]
    finally:
        done.set()
        for process in readers + importers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()

    errors = [report["error"] for report in reports if "error" in report]
    assert errors == [], "\n".join(errors)
    imports = [r for r in reports if r["role"] == "importer"]
    assert sorted(r["supplier"] for r in imports) == sorted(SUPPLIERS)
    assert all(r["landed"] == VERSIONS for r in imports)
    searches = [r for r in reports if r["role"] == "reader"]
    assert len(searches) == READERS
    assert all(r["searches"] >= 2 * len(SUPPLIERS) for r in searches)
    # Every reader's last look (after the importers finished) is the final version.
    final = {(supplier, VERSIONS) for supplier in SUPPLIERS}
    assert all(final <= {tuple(s) for s in report["seen"]} for report in searches)
    for supplier in SUPPLIERS:
        assert cocktail_count(shared, supplier) == size(VERSIONS)
    assert cocktail_count(shared, "acme") == 3
    assert integrity_problems(shared) == []
    busy = sum(r["busy"] for r in imports)
    seen = sum(len(r["seen"]) for r in searches)
    report_line(
        pytestconfig,
        f"concurrency: {sum(r['searches'] for r in searches)} searches by {READERS} readers "
        f"saw {seen} (supplier, version) states, all whole; "
        f"{VERSIONS * len(SUPPLIERS)} imports landed, {busy} refused as busy and retried",
    )
