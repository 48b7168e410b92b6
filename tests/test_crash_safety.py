"""Crash safety: an import killed, failing part-way, out of disk, read-only or locked out.

After every fault the catalogue must pass SQLite's integrity checks and hold exactly the
old content or exactly the new content (content digests, see ``helpers_catalogue``), and
the library must have said what happened with one of its own error types.

- **SIGKILL** at :data:`KILL_POINTS` moments spread over an import of a generated
  2000-cocktail catalogue (40 suppliers) running in a child process.
  ``MESO_KILL_POINTS=N`` runs more.
- **Failure at record N**, for every N of a small document: a fault injected into the
  per-record derivation step, and invalid data at position N of a streamed import; the
  batch size is lowered so that earlier records have already been written when it fails.
- **Disk full** (``PRAGMA max_page_count``), a **read-only file** (``chattr +i``, which
  stops root too, and the read-only API), and a **write lock held** by another process.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import BAD_INPUTS, Meso, environment
from helpers_catalogue import (
    child_command,
    cocktail_count,
    content_digest,
    copy_catalogue,
    import_jsonl,
    integrity_problems,
    report_line,
    seed_catalogue,
    versioned_catalogue,
    write_generated,
)

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.catalogue.store import importer
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.derive import Deriver
from meso_formulary.errors import CatalogueBusy, CatalogueError, InvalidInput
from meso_formulary.model import CatalogueFile

KILL_POINTS = int(os.environ.get("MESO_KILL_POINTS", "20"))
"""How many SIGKILL moments the crash test tries."""

GENERATED_COCKTAILS = 2000
RECORDS = 8
"""Cocktails in the document of the fail-at-record-N loop."""


class InjectedFault(Exception):
    """The fault the tests inject (not a library error: it stands for a bug or a crash)."""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue holding the example catalogue (supplier acme), made by the library."""
    return seed_catalogue(tmp_path_factory.mktemp("base") / "base.db")


@pytest.fixture
def catalogue(base: Path, tmp_path: Path) -> Path:
    return copy_catalogue(base, tmp_path / "catalogue.db")


# ---------------------------------------------------------------- SIGKILL


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_generated(GENERATED_COCKTAILS, tmp_path_factory.mktemp("gen") / "gen.jsonl")


def start_import(db: Path, source: Path) -> subprocess.Popen[str]:
    """The child importer, once it has opened the catalogue and is about to import."""
    child = subprocess.Popen(
        child_command("import-stream", db, source),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "importing"
    return child


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_old_or_new_content(
    base: Path, generated: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    old = content_digest(base)

    # One complete run gives the new content and how long an import takes here.
    reference = copy_catalogue(base, tmp_path / "reference.db")
    child = start_import(reference, generated)
    assert child.stdout is not None
    started = time.monotonic()
    assert child.stdout.readline().strip() == "committed"
    duration = time.monotonic() - started
    _, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    new = content_digest(reference, ignore_times=True)
    assert cocktail_count(reference, "supplier-00") > 0

    rng = random.Random(20261124)
    outcomes = {"old": 0, "new": 0}
    for point in range(KILL_POINTS):
        db = copy_catalogue(base, tmp_path / f"killed-{point}.db")
        # Stratified over the import and a little after it, so the whole run is covered.
        delay = duration * 1.05 * (point + rng.random()) / KILL_POINTS
        child = start_import(db, generated)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=60)
        assert integrity_problems(db) == [], f"kill point {point} ({delay:.2f} s)"
        if content_digest(db) == old:
            assert "committed" not in out, f"kill point {point}: committed but old content"
            outcomes["old"] += 1
        else:
            assert content_digest(db, ignore_times=True) == new, f"kill point {point}: mixed"
            outcomes["new"] += 1
        db.unlink()
    report_line(
        pytestconfig,
        f"SIGKILL during the import of {GENERATED_COCKTAILS} cocktails: {KILL_POINTS} kill "
        f"points, {outcomes['old']} left the old content, {outcomes['new']} the new, "
        "none anything else",
    )
    assert outcomes["old"] > 0  # kills did land inside the import


# ---------------------------------------------------------------- failure at record N


def small_document(supplier: str = "faulty", version: int = 1) -> CatalogueFile:
    return CatalogueFile.model_validate(versioned_catalogue(supplier, version, RECORDS))


FaultInjector = Callable[[int, Catalogue], list[int]]


@pytest.fixture
def fail_at(monkeypatch: pytest.MonkeyPatch) -> FaultInjector:
    """``fail_at(n, store)``: the n-th cocktail derived (0-based) raises :class:`InjectedFault`.

    Returns a list that receives, at the fault, how many of the document's cocktails the
    import had already written (uncommitted) to ``store``.
    """
    monkeypatch.setattr(importer, "BATCH", 2)  # earlier records are written before the fault
    original = Deriver.derive

    def arm(n: int, store: Catalogue) -> list[int]:
        calls = iter(range(10**6))
        written: list[int] = []

        def derive(self: Deriver, *args: Any, **kwargs: Any) -> Any:
            if next(calls) == n:
                row = store.conn.execute(
                    "SELECT count(*) FROM cocktails WHERE supplier_id = 'faulty'"
                ).fetchone()
                written.append(row[0])
                raise InjectedFault(f"injected at record {n}")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Deriver, "derive", derive)
        return written

    return arm


@pytest.fixture(params=["seeded", "empty"])
def target(request: pytest.FixtureRequest, base: Path, tmp_path: Path) -> Iterator[Catalogue]:
    """A catalogue holding acme (an update path) or nothing yet (the bulk-load path)."""
    path = tmp_path / "target.db"
    if request.param == "seeded":
        copy_catalogue(base, path)
    with Catalogue.open(path) as catalogue:
        yield catalogue


@pytest.mark.parametrize("n", range(RECORDS))
def test_fault_at_record_n_leaves_content_unchanged(
    target: Catalogue, fail_at: FaultInjector, n: int
) -> None:
    assert target.path is not None
    before = content_digest(target.path)
    written = fail_at(n, target)
    with pytest.raises(InjectedFault):
        target.import_catalogue(small_document())
    assert len(written) == 1
    assert (written[0] > 0) is (n >= 2)  # from the second batch on, rows were rolled back
    assert content_digest(target.path) == before
    assert integrity_problems(target.path) == []


def test_unarmed_fault_lets_the_import_through(target: Catalogue, fail_at: FaultInjector) -> None:
    """Control: armed past the last record, the same import goes through."""
    assert target.path is not None
    before = content_digest(target.path)
    written = fail_at(RECORDS, target)
    report = target.import_catalogue(small_document())
    assert written == []  # never fired
    assert len(report.added) == RECORDS
    assert content_digest(target.path) != before


@pytest.mark.parametrize("n", range(RECORDS))
def test_invalid_record_n_of_a_stream_leaves_content_unchanged(
    catalogue: Path, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    data = versioned_catalogue("acme", 4, RECORDS)  # replaces acme's three cocktails
    cocktails = data.pop("cocktails")
    cocktails[n]["composition"][0]["ingredient"] = "no-such-ingredient"
    before = content_digest(catalogue)
    with Catalogue.open(catalogue) as store, pytest.raises(InvalidInput) as raised:
        store.import_stream(CatalogueFile.model_validate(data), iter(cocktails))
    assert [p.path for p in raised.value.problems] == [f"cocktails.{n}.composition.0.ingredient"]
    assert content_digest(catalogue) == before
    assert integrity_problems(catalogue) == []


# ---------------------------------------------------------------- disk full


def test_disk_full_is_a_catalogue_error_and_loses_nothing(catalogue: Path, generated: Path) -> None:
    with Catalogue.open(catalogue) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 20}")
        with pytest.raises(CatalogueError, match="full"):
            import_jsonl(store, generated)
        # The connection is still usable, for reading and (with room again) for writing.
        assert search(store, SearchRequest(supplier="acme")).total == 3
        store.conn.execute("PRAGMA max_page_count = 1073741823")
        store.import_catalogue(small_document())
    assert integrity_problems(catalogue) == []
    assert cocktail_count(catalogue, "faulty") == RECORDS
    assert cocktail_count(catalogue, "supplier-00") == 0


@pytest.fixture
def meso(tmp_path: Path) -> Meso:
    return Meso(environment(tmp_path / "data"))


def test_disk_full_through_the_cli(
    meso: Meso, catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "big.json"
    source.write_text(json.dumps(versioned_catalogue("bulky", 1, 400)), encoding="utf-8")
    original = schema.configure

    def configure(conn: Any, *, readonly: bool, busy_timeout_ms: int) -> None:
        original(conn, readonly=readonly, busy_timeout_ms=busy_timeout_ms)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 5}")

    monkeypatch.setattr(schema, "configure", configure)
    before = content_digest(catalogue)
    result = meso("import", source, "--unsigned", "--db", catalogue)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert "full" in result.stderr
    assert content_digest(catalogue) == before
    assert integrity_problems(catalogue) == []


# ---------------------------------------------------------------- read-only


def test_readonly_catalogue_refuses_imports(catalogue: Path) -> None:
    before = content_digest(catalogue)
    with Catalogue.open(catalogue, readonly=True) as store:
        with pytest.raises(CatalogueError, match="read-only"):
            store.import_catalogue(small_document())
        assert search(store, SearchRequest(supplier="acme")).total == 3
    assert content_digest(catalogue) == before


@pytest.fixture
def unwritable() -> Iterator[Callable[[Path], None]]:
    """``unwritable(path)``: make a file or folder unwritable, for root too.

    ``chmod`` does not stop root, and the tests often run as root: then the path is made
    immutable (``chattr +i``) instead, or the test is skipped where that is not possible.
    """
    undo: list[Callable[[], None]] = []

    def mark(path: Path) -> None:
        if os.geteuid() != 0:
            mode = path.stat().st_mode
            path.chmod(0o555 if path.is_dir() else 0o444)
            undo.append(lambda: path.chmod(mode))
            return
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"running as root and chattr +i fails: {done.stderr.decode().strip()}")

        def release() -> None:
            subprocess.run(["chattr", "-i", str(path)], check=True)

        undo.append(release)

    yield mark
    for step in reversed(undo):
        step()


@pytest.mark.parametrize("what", ["file", "file and folder"])
def test_unwritable_catalogue(
    meso: Meso, catalogue: Path, unwritable: Callable[[Path], None], what: str
) -> None:
    """A catalogue that cannot be written: ``Error:``, exit 1, nothing lost.

    (An unwritable folder alone does not stop SQLite writing to a file and its ``-wal``
    that exist already, rightly: "file and folder" makes everything unwritable.)
    """
    before = content_digest(catalogue)
    if what == "file and folder":
        for sidecar in (Path(f"{catalogue}-wal"), Path(f"{catalogue}-shm")):
            if sidecar.exists():
                unwritable(sidecar)
        unwritable(catalogue.parent)
    unwritable(catalogue)
    result = meso("import", BAD_INPUTS / "valid-bravo.yaml", "--unsigned", "--db", catalogue)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert "readonly" in result.stderr or "unable to open" in result.stderr
    with pytest.raises(CatalogueError), Catalogue.open(catalogue) as store:
        store.import_catalogue(small_document())
    assert content_digest(catalogue) == before


# ---------------------------------------------------------------- locked


@pytest.fixture
def lock_holder(catalogue: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the catalogue's write lock (``BEGIN IMMEDIATE``)."""
    holder = subprocess.Popen(
        child_command("hold-lock", catalogue),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    yield holder
    if holder.poll() is None:
        holder.communicate("", timeout=30)


def test_locked_catalogue_raises_catalogue_busy(
    catalogue: Path, lock_holder: subprocess.Popen[str]
) -> None:
    before = content_digest(catalogue)
    with Catalogue.open(catalogue, busy_timeout=0.2) as store:
        with pytest.raises(CatalogueBusy) as raised:
            store.import_catalogue(small_document())
        assert raised.value.hint is not None
        assert search(store, SearchRequest(supplier="acme")).total == 3  # readers go on
        lock_holder.communicate("", timeout=30)
        assert content_digest(catalogue) == before
        store.import_catalogue(small_document())  # the lock is free again
    assert cocktail_count(catalogue, "faulty") == RECORDS


def test_locked_catalogue_through_the_cli(
    meso: Meso,
    catalogue: Path,
    lock_holder: subprocess.Popen[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = schema.configure

    def configure(conn: Any, *, readonly: bool, busy_timeout_ms: int) -> None:
        original(conn, readonly=readonly, busy_timeout_ms=200)  # not the 5 s default

    monkeypatch.setattr(schema, "configure", configure)
    before = content_digest(catalogue)
    result = meso("import", BAD_INPUTS / "valid-bravo.yaml", "--unsigned", "--db", catalogue)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert "import in progress" in result.stderr
    assert "Hint: another import is in progress" in result.stderr
    lock_holder.communicate("", timeout=30)
    assert content_digest(catalogue) == before
