"""Crash safety: an import killed, failing part-way, out of disk, read-only or locked out.

After every fault the catalogue must pass SQLite's integrity checks and hold exactly the
old content or exactly the new content (content digests, see ``helpers_catalogue``), and
the library must have said what happened with one of its own error types.

- **SIGKILL** at every progress stage (``ImportStage`` of the importer) of an import of a
  generated catalogue (3 suppliers, 165 cocktails, written in batches of :data:`KILL_BATCH`)
  running in a child process, into a catalogue holding a supplier and into an empty one
  (the bulk path). The child reports each stage over a pipe
  and waits there, so every kill lands at a known stage, the same ones on every run: before
  ``committed`` the file must hold the old content exactly, from it on the new content.
- **Failure at record N**, for every N of a small document: a fault injected into the
  per-record derivation step, and invalid data at position N of a streamed import; the
  batch size is lowered so that earlier records have already been written when it fails.
- **An error at each progress stage**, raised by the ``progress`` callback itself: rolled
  back before ``committed``, already stored at it.
- **Disk full** (``PRAGMA max_page_count``), a **read-only file** (``chattr +i``, which
  stops root too, and the read-only API), and a **write lock held** by another process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from types import TracebackType
from typing import Any, get_args

import pytest
from cli_support import BAD_INPUTS, Meso
from helpers_catalogue import (
    child_command,
    cocktail_count,
    connect_readonly,
    content_digest,
    copy_catalogue,
    import_jsonl,
    integrity_problems,
    report_line,
    seed_catalogue,
    stepped_import,
    versioned_catalogue,
    write_generated,
)

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.catalogue.store import importer
from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.derive import Deriver
from meso_formulary.catalogue.store.importer import ImportProgress, ImportStage
from meso_formulary.errors import CatalogueBusy, CatalogueError, InvalidInput
from meso_formulary.model import CatalogueFile

GENERATED_COCKTAILS = 500
"""Cocktails shared out over the generator's 40 suppliers, of which the first
:data:`GENERATED_SUPPLIERS` are imported (83 + 48 + 34 cocktails, 300 own ingredients each)."""
GENERATED_SUPPLIERS = 3
KILL_BATCH = 25
"""The importer's batch size in the killed child: every document is written in 2 to 4 batches."""
CHILD_DEADLINE = 300.0
"""Seconds the parent waits for the child's next word or its end before it fails the test
(a safety net against a hang, not a measurement)."""

CHILDREN = multiprocessing.get_context("forkserver")
"""Children are forked from a server that has imported the library once (a new interpreter
per kill would spend more time importing than importing the catalogue)."""
CHILDREN.set_forkserver_preload(
    ["meso_formulary.catalogue.store.catalogue_store", "meso_formulary.files"]
)

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
    return write_generated(
        GENERATED_COCKTAILS,
        tmp_path_factory.mktemp("gen") / "gen.jsonl",
        suppliers=GENERATED_SUPPLIERS,
    )


class SteppedImport:
    """A child process running :func:`~helpers_catalogue.stepped_import`: it stops at every
    progress stage, reports it and goes on only when told to, so the parent can kill it at a
    stage of its choosing."""

    def __init__(self, db: Path, source: Path) -> None:
        self.channel, child_end = CHILDREN.Pipe()
        self.process = CHILDREN.Process(
            target=stepped_import, args=(str(db), str(source), KILL_BATCH, child_end)
        )
        self.process.start()
        child_end.close()  # the child's end: once it dies, reading here ends

    def __enter__(self) -> SteppedImport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.process.kill()
        self.process.join(CHILD_DEADLINE)
        self.process.close()
        self.channel.close()

    def next_word(self) -> str:
        """The next stage reported (``stage cocktails supplier``) or ``done``."""
        assert self.channel.poll(CHILD_DEADLINE), f"the child said nothing in {CHILD_DEADLINE} s"
        try:
            word = self.channel.recv()
        except EOFError:
            self.process.join(CHILD_DEADLINE)
            pytest.fail(f"the child ended without a word (exit code {self.process.exitcode})")
        assert isinstance(word, str)
        return word

    def go_on(self) -> None:
        self.channel.send("go")

    def kill(self) -> None:
        """SIGKILL the child where it waits, and reap it."""
        self.process.kill()
        self.process.join(CHILD_DEADLINE)
        assert self.process.exitcode == -signal.SIGKILL


def run_through(db: Path, source: Path) -> list[str]:
    """Import ``source`` into ``db`` in a stepped child, never stopping; the stages reported."""
    stages: list[str] = []
    with SteppedImport(db, source) as child:
        while (word := child.next_word()) != "done":
            stages.append(word)
            child.go_on()
        child.process.join(CHILD_DEADLINE)
        assert child.process.exitcode == 0
    return stages


def kill_at(db: Path, source: Path, stages: list[str], k: int) -> None:
    """Import ``source`` into ``db`` in a stepped child and SIGKILL it at ``stages[k]``.

    The child must report the same stages as the run through did, up to the kill.
    """
    with SteppedImport(db, source) as child:
        for expected in stages[:k]:
            assert child.next_word() == expected
            child.go_on()
        assert child.next_word() == stages[k]
        child.kill()


def generated_history(path: Path) -> tuple[int, int]:
    """Rows of history of the generated suppliers: cocktail versions, catalogue versions."""
    with closing(connect_readonly(path)) as conn:
        cocktails = conn.execute(
            "SELECT count(*) FROM cocktail_versions WHERE supplier_id LIKE 'supplier-%'"
        ).fetchone()[0]
        documents = conn.execute(
            "SELECT count(*) FROM catalogue_versions WHERE supplier_id LIKE 'supplier-%'"
        ).fetchone()[0]
    return int(cocktails), int(documents)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue holding only the reference dictionary (an import into it is a bulk load)."""
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    Catalogue.open(path).close()
    return path


@pytest.mark.slow
@pytest.mark.parametrize("start", ["seeded", "empty"])
def test_sigkill_at_every_stage_leaves_old_or_new_content(
    start: str,
    base: Path,
    empty: Path,
    generated: Path,
    tmp_path: Path,
    pytestconfig: pytest.Config,
) -> None:
    initial = base if start == "seeded" else empty
    old = content_digest(initial)

    # One run through gives the stages, in order, and the new content.
    reference = copy_catalogue(initial, tmp_path / "reference.db")
    stages = run_through(reference, generated)
    new = content_digest(reference, ignore_times=True)
    kinds = [line.split()[0] for line in stages]
    assert set(kinds) == set(get_args(ImportStage))
    assert kinds.count("written") > kinds.count("checked") == GENERATED_SUPPLIERS
    assert kinds[-2:] == ["committing", "committed"]
    cocktails = int(stages[-1].split()[1])
    assert generated_history(reference) == (cocktails, GENERATED_SUPPLIERS)

    for k, stage in enumerate(stages):
        db = copy_catalogue(initial, tmp_path / f"killed-{k}.db")
        kill_at(db, generated, stages, k)
        assert integrity_problems(db) == [], f"killed at {stage}"
        if kinds[k] == "committed":
            assert content_digest(db, ignore_times=True) == new, f"killed at {stage}: not new"
            assert generated_history(db) == (cocktails, GENERATED_SUPPLIERS)
        else:
            assert content_digest(db) == old, f"killed at {stage}: not old"
            assert generated_history(db) == (0, 0)
    report_line(
        pytestconfig,
        f"SIGKILL during an import of {cocktails} cocktails into the {start} catalogue: at "
        f"each of its {len(stages)} stages; {len(stages) - 1} left the old content, 1 (after "
        "the commit) the new, none anything else",
    )


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


@pytest.mark.parametrize("stage", get_args(ImportStage))
def test_an_error_at_a_stage_rolls_back_until_the_commit(
    target: Catalogue, stage: ImportStage
) -> None:
    """A ``progress`` callback that raises stops the import: before ``committed`` nothing
    is left of it; at ``committed`` it is already stored, and the error still reaches the
    caller."""
    assert target.path is not None
    before = content_digest(target.path)
    seen: list[ImportStage] = []

    def fail_at_stage(progress: ImportProgress) -> None:
        seen.append(progress.stage)
        if progress.stage == stage:
            raise InjectedFault(f"injected at {stage}")

    with pytest.raises(InjectedFault), target.importing(progress=fail_at_stage) as session:
        session.add(small_document())
    assert seen[-1] == stage
    assert integrity_problems(target.path) == []
    if stage == "committed":
        assert cocktail_count(target.path, "faulty") == RECORDS
    else:
        assert content_digest(target.path) == before


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
