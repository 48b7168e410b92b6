"""The bad-input corpus (``tests/bad_inputs/``) run through the real ``meso`` command.

Every file listed in ``tests/bad_inputs/cases.toml`` goes through ``meso validate FILE`` and
``meso import FILE --unsigned --db CATALOGUE`` (the corpus files are plain catalogue files,
which import only as unsigned drafts), where the catalogue already holds the example supplier
catalogue: the exit codes and the located message are the ones the case lists, no traceback
is printed, the catalogue passes SQLite's integrity checks afterwards and, when the import is
refused, its content digest has not changed. The cases marked ``subprocess`` also run in a
real ``meso`` process (a traceback printed by the interpreter is caught there too).

Inputs that are not files of the corpus follow: a directory, ``/dev/zero``, a FIFO, a
missing file, standard input, a file over the size limit (made at test time, sparse), the
Python tag that would run a command, and the CSV export of a formula-like name.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_support import BAD_INPUTS, Meso
from click.testing import Result
from helpers_catalogue import (
    EXAMPLE,
    connect_readonly,
    content_digest,
    copy_catalogue,
    integrity_problems,
    seed_catalogue,
)

from meso_formulary.files import MAX_BYTES

MESO_SCRIPT = Path(sys.executable).with_name("meso")
"""The installed console script (the venv's ``bin/meso``)."""

TAG_SENTINEL = "meso-tag-command-ran"
"""The file that ``yaml-python-tag.yaml``'s shell command would create in the working folder."""

MEMORY_BOUND_KIB = 256 * 1024
"""Peak resident memory allowed for refusing an oversized input (the limit is 20 MiB)."""


@dataclass(frozen=True)
class Case:
    """One entry of ``cases.toml`` (see the comments at the top of that file)."""

    file: str
    about: str
    validate: int
    import_: int
    message: str
    where: str | None = None
    validate_message: str | None = None
    after: Mapping[str, Any] | None = None
    bug: str | None = None
    subprocess: bool = False

    @property
    def path(self) -> Path:
        return BAD_INPUTS / self.file

    def expected(self, command: str) -> str:
        """The message ``command`` (``validate`` or ``import``) must print."""
        if command == "validate" and self.validate_message is not None:
            return self.validate_message
        return self.message

    def check(self, command: str, exit_code: int, output: str) -> None:
        """``command`` ended with its expected code and printed its message (located)."""
        expected = self.validate if command == "validate" else self.import_
        assert exit_code == expected, output
        assert "Traceback" not in output
        message = self.expected(command)
        if expected == 0:
            assert "Error:" not in output
        if expected == 0 or self.where is None:
            assert message in output, (message, output)
            return
        assert any(located(line, self.where, message) for line in output.splitlines()), (
            self.where,
            message,
            output,
        )


def located(line: str, where: str, message: str) -> bool:
    """``line`` reports ``message`` at ``where`` (``FILE:LINE: PATH``, file named by its path)."""
    at = line.find(f"{os.sep}{where}: ")
    return at >= 0 and message in line[at + len(where) :]


def load_cases() -> list[Case]:
    with (BAD_INPUTS / "cases.toml").open("rb") as stream:
        entries = tomllib.load(stream)["case"]
    return [Case(**{("import_" if k == "import" else k): v for k, v in e.items()}) for e in entries]


CASES = load_cases()


def as_params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.file,
            marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [],
        )
        for case in cases
    ]


@pytest.fixture(scope="module")
def seeded(meso: Meso, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue holding the example catalogue, imported by ``meso import`` itself."""
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    result = meso("import", EXAMPLE, "--unsigned", "--db", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def catalogue(seeded: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded catalogue."""
    return copy_catalogue(seeded, tmp_path / "catalogue.db")


def check(result: Result, exit_code: int, fragment: str) -> None:
    """Exit code and message as expected (``Meso`` has already refused any traceback)."""
    assert result.exit_code == exit_code, result.output
    assert fragment in result.output, (fragment, result.output)


def query(path: Path, sql: str) -> list[list[Any]]:
    with closing(connect_readonly(path)) as conn:
        return [list(row) for row in conn.execute(sql)]


# ---------------------------------------------------------------- the corpus


def test_every_corpus_file_has_a_case() -> None:
    listed = sorted(case.file for case in CASES)
    assert listed == sorted(p.name for p in BAD_INPUTS.iterdir() if p.name != "cases.toml")
    assert len(listed) == len(set(listed))


def test_nothing_validate_rejects_imports() -> None:
    """The corpus holds no case that ``meso validate`` rejects and ``meso import`` takes."""
    assert [case.file for case in CASES if case.validate != 0 and case.import_ == 0] == []
    assert any(case.validate == 0 and case.import_ != 0 for case in CASES)  # the reverse may


@pytest.mark.parametrize("case", as_params(CASES))
def test_corpus_case(case: Case, meso: Meso, catalogue: Path) -> None:
    validated = meso("validate", case.path)
    case.check("validate", validated.exit_code, validated.output)

    before = content_digest(catalogue)
    imported = meso("import", case.path, "--unsigned", "--db", catalogue)
    case.check("import", imported.exit_code, imported.output)
    assert integrity_problems(catalogue) == []
    if case.import_ != 0:
        assert content_digest(catalogue) == before
        return
    assert content_digest(catalogue) != before
    if case.after is not None:
        assert query(catalogue, case.after["sql"]) == case.after["rows"]


def run_meso(
    *args: object, cwd: Path, data_dir: Path, stdin: Any = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``meso ARGS...`` as a real process (its own interpreter, its own stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "MESO_DB"}
    env["MESO_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [str(MESO_SCRIPT), *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("case", as_params([c for c in CASES if c.subprocess]))
def test_corpus_case_in_a_real_process(
    case: Case, catalogue: Path, data_dir: Path, tmp_path: Path
) -> None:
    before = content_digest(catalogue)
    for command in ("validate", "import"):
        extra = ("--unsigned", "--db", catalogue) if command == "import" else ()
        done = run_meso(command, case.path, *extra, cwd=tmp_path, data_dir=data_dir)
        case.check(command, done.returncode, done.stdout + done.stderr)
    if case.import_ != 0:
        assert content_digest(catalogue) == before
    assert not (tmp_path / TAG_SENTINEL).exists()


def test_a_plain_file_needs_unsigned(meso: Meso, catalogue: Path) -> None:
    """A plain catalogue file is refused unless ``--unsigned`` asks for an unverified draft."""
    source = BAD_INPUTS / "valid-bravo.yaml"
    before = content_digest(catalogue)
    refused = meso("import", source, "--db", catalogue)
    check(refused, 1, f"Error: {source} is an unsigned catalogue file, not a signed bundle")
    assert "Hint: import the supplier's signed bundle (made by `meso publish`)" in refused.stderr
    assert "--unsigned" in refused.stderr
    assert content_digest(catalogue) == before
    imported = meso("import", source, "--unsigned", "--db", catalogue)
    check(imported, 0, f"{source} (unsigned draft): supplier bravo, catalogue version 1: 1 added")
    sql = "SELECT verified, signed_by FROM suppliers WHERE id = 'bravo'"
    assert query(catalogue, sql) == [[0, None]]


def test_python_tag_runs_no_command(catalogue: Path, data_dir: Path, tmp_path: Path) -> None:
    source = BAD_INPUTS / "yaml-python-tag.yaml"
    for args in (("validate", source), ("import", source, "--unsigned", "--db", catalogue)):
        assert run_meso(*args, cwd=tmp_path, data_dir=data_dir).returncode == 2
    assert not (tmp_path / TAG_SENTINEL).exists()
    # The sentinel does work: PyYAML's unsafe loader runs the command and creates it.
    control = tmp_path / "control"
    control.mkdir()
    subprocess.run(
        [sys.executable, "-c", f"import yaml; yaml.unsafe_load(open({str(source)!r}))"],
        cwd=control,
        check=True,
        capture_output=True,
    )
    assert (control / TAG_SENTINEL).exists()


# ---------------------------------------------------------------- inputs that are not files


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("directory", "this is a directory, not a file"),
        ("dev-zero", "this is not a regular file"),
        ("missing", "no such file"),
    ],
)
def test_not_a_file(meso: Meso, catalogue: Path, tmp_path: Path, make: str, message: str) -> None:
    if make == "directory":
        source = tmp_path / "folder.yaml"
        source.mkdir()
    elif make == "dev-zero":
        source = Path("/dev/zero")
    else:
        source = tmp_path / "missing.yaml"
    check(meso("validate", source), 2, message)
    before = content_digest(catalogue)
    check(meso("import", source, "--db", catalogue), 2, message)
    assert content_digest(catalogue) == before


def test_validate_refuses_a_fifo(meso: Meso, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    check(meso("validate", fifo), 2, "this is not a regular file")


def test_import_refuses_a_fifo(catalogue: Path, data_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    try:
        done = run_meso(
            "import", fifo, "--db", catalogue, cwd=tmp_path, data_dir=data_dir, timeout=5
        )
    except subprocess.TimeoutExpired:
        pytest.fail("meso import hung on a FIFO")
    assert done.returncode == 2
    assert "this is not a regular file" in done.stderr


@pytest.mark.parametrize(
    ("name", "validate", "import_", "message"),
    [
        ("valid-bravo.yaml", 0, 0, "<stdin> (unsigned draft): supplier bravo, catalogue version 1"),
        ("utf8-bom.yaml", 0, 0, "<stdin> (unsigned draft): supplier bravo, catalogue version 1"),
        ("strength-nan.json", 2, 2, "<stdin>:11: NaN is not a JSON number"),
        ("duplicate-key.yaml", 2, 2, "<stdin>:14: duplicate key 'strength'"),
        ("strength-negative.yaml", 1, 1, "<stdin>:13: cocktails.0.composition.0.strength.value"),
    ],
)
def test_stdin(
    meso: Meso, catalogue: Path, name: str, validate: int, import_: int, message: str
) -> None:
    data = (BAD_INPUTS / name).read_bytes()
    result = meso("validate", "-", input=data)
    assert result.exit_code == validate, result.output
    before = content_digest(catalogue)
    check(meso("import", "-", "--unsigned", "--db", catalogue, input=data), import_, message)
    assert (content_digest(catalogue) == before) is (import_ != 0)


# ---------------------------------------------------------------- size limit, bounded memory


@pytest.fixture
def oversized(tmp_path: Path) -> Path:
    """A 2 GiB file, far over the 20 MiB limit (sparse: it takes no disk space)."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        stream.truncate(2 * 1024**3)
    return path


def test_oversized_file_is_refused(meso: Meso, catalogue: Path, oversized: Path) -> None:
    message = f"the file is larger than the {MAX_BYTES:,} bytes allowed"
    check(meso("validate", oversized), 2, message)
    before = content_digest(catalogue)
    imported = meso("import", oversized, "--db", catalogue)
    check(imported, 2, message)
    assert "Hint: the limit guards against hostile files: save the catalogue as JSON " in (
        imported.stderr
    )
    assert content_digest(catalogue) == before


PEAK_MEMORY = """\
import resource, subprocess, sys
stdin = open(sys.argv[1], "rb") if sys.argv[1] != "-" else subprocess.DEVNULL
done = subprocess.run(sys.argv[2:], stdin=stdin, capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout + done.stderr)
"""
"""Run a command and print its exit code and its peak resident memory (KiB, Linux)."""


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_oversized_input_is_refused_in_bounded_memory(
    oversized: Path, catalogue: Path, data_dir: Path, source: str
) -> None:
    if source == "file":
        stdin, argument = "-", oversized
    else:  # an endless stream: only MAX_BYTES + 1 bytes may ever be read
        stdin, argument = "/dev/zero", Path("-")
    env = {**os.environ, "MESO_DATA_DIR": str(data_dir)}
    for command in (["validate", argument], ["import", argument, "--db", catalogue]):
        done = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY, stdin, str(MESO_SCRIPT), *map(str, command)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        first, _, output = done.stdout.partition("\n")
        code, peak_kib = map(int, first.split())
        assert code == 2, output
        assert "is larger than the" in output
        assert "Traceback" not in output
        assert peak_kib < MEMORY_BOUND_KIB, f"{command[0]} peaked at {peak_kib} KiB"


# ---------------------------------------------------------------- formula cells on the way out


def test_formula_names_are_neutralised_in_csv_output(meso: Meso, catalogue: Path) -> None:
    source = BAD_INPUTS / "csv-formula-cells.csv"
    assert meso("import", source, "--unsigned", "--db", catalogue).exit_code == 0
    name = query(catalogue, "SELECT name FROM cocktails WHERE id = 'bravo/glow'")[0][0]
    assert name.startswith("=HYPERLINK(")

    exported = meso("export", "--format", "csv", "--supplier", "bravo", "--db", catalogue)
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows
    assert {row["cocktail_name"] for row in rows} == {"'" + name}

    found = meso("search", "--supplier", "bravo", "--csv", "--db", catalogue)
    assert found.exit_code == 0, found.output
    cells = {cell for row in csv.reader(io.StringIO(found.stdout)) for cell in row}
    assert "'" + name in cells
    assert name not in cells

    # JSON is data, not a spreadsheet: the name stays exactly as the supplier wrote it.
    as_json = meso("export", "--format", "json", "--supplier", "bravo", "--db", catalogue)
    assert json.loads(as_json.stdout)["cocktails"][0]["name"] == name


# ---------------------------------------------------------------- side effects of a refusal


def test_refused_import_creates_no_catalogue(meso: Meso, tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    result = meso("import", BAD_INPUTS / "latin1.yaml", "--db", target)
    assert result.exit_code == 2
    assert not target.exists()


def test_refused_import_leaves_a_library_made_catalogue_unchanged(
    meso: Meso, tmp_path: Path
) -> None:
    """Nothing is set up on the side either (``meso import`` used to add the trust store)."""
    target = seed_catalogue(tmp_path / "library.db")
    before = content_digest(target)
    result = meso("import", BAD_INPUTS / "ingredient-typo.yaml", "--unsigned", "--db", target)
    assert result.exit_code == 1
    assert "the catalogue is unchanged" in result.output
    assert content_digest(target) == before


def test_digest_sees_a_one_row_change(catalogue: Path) -> None:
    """The unchanged-content checks above can fail: one changed value changes the digest."""
    before = content_digest(catalogue)
    with closing(sqlite3.connect(catalogue)) as conn, conn:
        conn.execute(
            "UPDATE composition SET mg_per_ml = mg_per_ml * 2 "
            "WHERE (cocktail_id, position) = (SELECT cocktail_id, position FROM composition "
            "WHERE mg_per_ml IS NOT NULL LIMIT 1)"
        )
    assert content_digest(catalogue) != before
