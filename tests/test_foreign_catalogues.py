"""Catalogue files from elsewhere: a file people pass around may carry code (a trigger, a
view) or odd content; opening it must never run that code, hang, or end in a traceback.

The attacks are built for real on copies of a catalogue ``meso import`` made (the session's
``db``): a planted trigger that would pin a key during an import, a table replaced by a
recursive view, a schema version that passes ``str.isdigit()`` but is no number, records
that are not JSON or nest deeply, a missing table, garbage pages, a value over the length
limit. Then a mutation fuzzer drops, alters and adds schema objects and values at random
and runs the library (open, a search, an import) and the CLI (``meso show``, ``meso
search``) on each file, in one subprocess with a timeout (the hang detector).

``MESO_FUZZ_EXAMPLES=N`` sets the number of mutated files and draws new ones on every run;
without it :data:`DEFAULT_EXAMPLES` files, the same ones every time. The figures (tried,
refused cleanly, tracebacks, hangs) are reported at the end of the run.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from cli_support import TESTCO, Meso, assert_fails
from helpers_catalogue import report_line

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store import connect
from meso_formulary.catalogue.store.connect import SCHEMA_VERSION, open_readonly
from meso_formulary.errors import CatalogueError
from meso_formulary.files import read_catalogue

DEFAULT_EXAMPLES = 25
EXAMPLES = int(os.environ.get("MESO_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
SEED = 14 if "MESO_FUZZ_EXAMPLES" not in os.environ else random.SystemRandom().randrange(2**32)
HANG_TIMEOUT = 20.0
"""Seconds the subprocess running every fuzzed file may take: a hang detector, not a timing."""

SHOWN = "testco/scalp-boost"
PIN = (
    "INSERT OR REPLACE INTO trusted_keys VALUES "
    "('testco', '" + "a" * 64 + "', zeroblob(32), 'planted')"
)


@pytest.fixture(scope="session")
def base(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A consistent copy of the session's catalogue in one file (rollback journal)."""
    path = tmp_path_factory.mktemp("foreign") / "base.db"
    with closing(sqlite3.connect(db)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    return path


@pytest.fixture(scope="session")
def testco_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TESTCO as version 2 without its last cocktail: an import that writes and removes."""
    path = tmp_path_factory.mktemp("testco2") / "testco2.yaml"
    text = TESTCO.replace("version: 1", "version: 2")
    path.write_text(text[: text.index("  - id: testco/formula")], encoding="utf-8")
    return path


def _copy(base: Path, folder: Path, name: str = "foreign.db") -> Path:
    path = folder / name
    path.write_bytes(base.read_bytes())
    return path


def _edit(path: Path, *statements: str, writable_schema: bool = False) -> None:
    with closing(sqlite3.connect(path)) as conn:
        if writable_schema:
            conn.execute("PRAGMA writable_schema = ON")
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def _keys(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT * FROM trusted_keys ORDER BY 1, 2").fetchall()


# ---------------------------------------------------------------- the classes, one by one


def test_the_shipped_schema_constant_is_what_the_migrations_build(base: Path) -> None:
    with closing(open_readonly(base)) as conn:
        assert connect.schema_objects(connect.schema_rows(conn)) == connect.SCHEMA_OBJECTS


@pytest.mark.parametrize("when", ["INSERT ON cocktails", "DELETE ON cocktails"])
def test_a_planted_trigger_never_fires(
    base: Path, tmp_path: Path, testco_v2: Path, meso: Meso, when: str
) -> None:
    path = _copy(base, tmp_path)
    _edit(path, f"CREATE TRIGGER zz_pin AFTER {when} BEGIN {PIN}; END")
    before = _keys(path)
    words = "has a trigger meso did not create: 'zz_pin'; it may run code on import"
    with pytest.raises(CatalogueError, match=re.escape(words)) as caught, Catalogue.open(path) as c:
        c.import_catalogue(read_catalogue(testco_v2))
    assert caught.value.hint
    assert_fails(meso("import", testco_v2, "--unsigned", "--db", path), 1, words, "Hint:")
    assert_fails(meso("show", SHOWN, "--db", path), 1, words)
    assert _keys(path) == before == []


def test_a_trigger_that_re_pins_a_removed_key_never_fires(base: Path, tmp_path: Path) -> None:
    path = _copy(base, tmp_path)
    _edit(
        path,
        f"CREATE TRIGGER cocktails_fts_repin AFTER DELETE ON trusted_keys BEGIN {PIN}; END",
    )
    with pytest.raises(CatalogueError, match="trigger meso did not create"):
        Catalogue.open(path)
    assert _keys(path) == []


def test_a_meso_trigger_with_another_body_is_refused(base: Path, tmp_path: Path) -> None:
    path = _copy(base, tmp_path)
    _edit(
        path,
        "DROP TRIGGER cocktails_fts_insert",
        f"CREATE TRIGGER cocktails_fts_insert AFTER INSERT ON cocktails BEGIN {PIN}; END",
    )
    with pytest.raises(CatalogueError, match="trigger 'cocktails_fts_insert' meso did not"):
        open_readonly(path)


def test_a_table_replaced_by_a_recursive_view_is_refused(base: Path, tmp_path: Path) -> None:
    path = _copy(base, tmp_path)
    _edit(
        path,
        "ALTER TABLE cocktail_areas RENAME TO old_areas",
        "CREATE VIEW cocktail_areas AS WITH RECURSIVE n(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT 'x' AS cocktail_id, 'face' AS area "
        "FROM n",
    )
    with pytest.raises(CatalogueError, match="has a view 'cocktail_areas' where meso creates"):
        Catalogue.open(path, readonly=True)
    with pytest.raises(CatalogueError, match="view"):
        Catalogue.open(path)


def test_the_read_budget_stops_a_runaway_query(base: Path) -> None:
    with closing(open_readonly(base, budget=0.05)) as conn, pytest.raises(sqlite3.OperationalError):
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        ).fetchone()


@pytest.mark.parametrize("value", ["²", "١٢", "4 ", "", "-4", "9" * 30, "x" * 5000, "4.0"])
def test_a_schema_version_that_is_no_number_is_refused(
    base: Path, tmp_path: Path, meso: Meso, value: str
) -> None:
    path = _copy(base, tmp_path)
    _edit(path, f"UPDATE meta SET value = '{value}' WHERE key = 'schema_version'")
    with pytest.raises(CatalogueError, match=r"damaged catalogue: meta\.schema_version is") as got:
        Catalogue.open(path)
    assert len(got.value.message) < 200 + len(str(path))
    assert_fails(meso("search", "hair loss", "--db", path), 1, "meta.schema_version")


@pytest.mark.parametrize(
    "record", ["{not json", "[" * 100_000 + "]" * 100_000, "null", '{"id": 5}', "[]", "\x00"]
)
def test_a_record_that_is_not_a_cocktail_is_a_clean_error(
    base: Path, tmp_path: Path, meso: Meso, record: str
) -> None:
    path = _copy(base, tmp_path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE cocktails SET record = ? WHERE id = ?", (record, SHOWN))
    result = meso("show", SHOWN, "--db", path)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "Hint:" in result.stderr


def test_a_missing_table_is_refused(base: Path, tmp_path: Path, meso: Meso) -> None:
    path = _copy(base, tmp_path)
    _edit(path, "DROP TABLE cocktail_brands")
    words = "lacks the table 'cocktail_brands' that meso creates"
    assert_fails(meso("search", "hair loss", "--db", path), 1, words)
    with pytest.raises(CatalogueError, match=words):
        Catalogue.open(path)


def test_an_added_column_or_index_is_refused(base: Path, tmp_path: Path) -> None:
    path = _copy(base, tmp_path)
    _edit(path, "ALTER TABLE suppliers ADD COLUMN note TEXT")
    with pytest.raises(CatalogueError, match="table 'suppliers' meso did not create"):
        Catalogue.open(path)
    path = _copy(base, tmp_path, "index.db")
    _edit(path, "CREATE INDEX zz ON cocktails(name)")
    with pytest.raises(CatalogueError, match="index meso did not create: 'zz'"):
        Catalogue.open(path)


def test_garbage_pages_give_a_clean_error(base: Path, tmp_path: Path, meso: Meso) -> None:
    path = _copy(base, tmp_path)
    data = bytearray(path.read_bytes())
    rng = random.Random(3)
    page = 4096
    for start in range(2 * page, len(data) - page, page):  # every page but the schema's
        data[start : start + page] = rng.randbytes(page)
    path.write_bytes(bytes(data))
    for args in (("show", SHOWN), ("search", "hair loss"), ("stats",)):
        result = meso(*args, "--db", path)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: ")
    with pytest.raises(CatalogueError), Catalogue.open(path) as catalogue:
        catalogue.get(SHOWN)


def test_no_query_makes_a_value_over_the_length_limit(base: Path) -> None:
    with closing(open_readonly(base)) as conn, pytest.raises(sqlite3.DataError, match="too big"):
        conn.execute("SELECT zeroblob(?)", (connect.MAX_VALUE_BYTES + 1,)).fetchone()


def test_a_huge_record_is_a_clean_error(base: Path, tmp_path: Path, meso: Meso) -> None:
    path = _copy(base, tmp_path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "UPDATE cocktails SET record = printf('%.*c', 4000000, '[') WHERE id = ?", (SHOWN,)
        )
    assert_fails(meso("show", SHOWN, "--db", path), 1, "cannot be read")


@pytest.mark.parametrize("kind", ["under a file", "in /proc", "read-only open"])
def test_a_catalogue_that_cannot_be_created_is_a_clean_error(
    tmp_path: Path, meso: Meso, kind: str
) -> None:
    source = tmp_path / "testco.yaml"
    source.write_text(TESTCO, encoding="utf-8")
    if kind == "under a file":
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "new.db"
    elif kind == "in /proc":
        target = Path("/proc/meso-new.db")
    else:
        target = tmp_path / "new.db"
    if kind == "read-only open":
        with pytest.raises(CatalogueError, match="no catalogue at"):
            Catalogue.open(target, readonly=True)
        return
    with pytest.raises(CatalogueError, match="cannot"):
        Catalogue.open(target)
    result = meso("import", source, "--unsigned", "--db", target)
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("Error: ")
    assert not target.exists()


# ---------------------------------------------------------------- the mutation fuzzer

_TABLES = sorted(
    name
    for name, (kind, _) in connect.SCHEMA_OBJECTS.items()
    if kind == "table" and "_fts" not in name
)
_INDEXES = sorted(n for n, (k, _) in connect.SCHEMA_OBJECTS.items() if k == "index")
_TRIGGERS = sorted(n for n, (k, _) in connect.SCHEMA_OBJECTS.items() if k == "trigger")
_VERSIONS = ["²", "١٢", str(SCHEMA_VERSION), f" {SCHEMA_VERSION}", "0", "99", "", "1e3"]
_RECORDS = ["{", "[" * 5000, "null", '{"id": 1}', "[]", '"x"', '{"id": "testco/scalp-boost"}']


def _mutation(rng: random.Random) -> tuple[str, list[str], bool]:
    """A random mutation: its name, its statements, whether it needs writable_schema."""
    table, index, trigger = rng.choice(_TABLES), rng.choice(_INDEXES), rng.choice(_TRIGGERS)
    recursive = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n"
    choices: list[tuple[str, list[str], bool]] = [
        ("drop table", [f"DROP TABLE {table}"], False),
        ("drop index", [f"DROP INDEX {index}"], False),
        ("drop trigger", [f"DROP TRIGGER {trigger}"], False),
        ("add table", ["CREATE TABLE zz_extra (x)"], False),
        ("add column", [f"ALTER TABLE {table} ADD COLUMN zz TEXT"], False),
        ("add index", [f"CREATE INDEX zz_idx ON {table}(rowid)"], False),
        ("add trigger", [f"CREATE TRIGGER zz_t AFTER INSERT ON cocktails BEGIN {PIN}; END"], False),
        ("add view", [f"CREATE VIEW zz_v AS {recursive}"], False),
        (
            "table to view",
            [f"ALTER TABLE {table} RENAME TO zz_old", f"CREATE VIEW {table} AS {recursive}"],
            False,
        ),
        ("rename column", ["ALTER TABLE suppliers RENAME COLUMN name TO zz_name"], False),
        (
            "schema version",
            [f"UPDATE meta SET value = '{rng.choice(_VERSIONS)}' WHERE key = 'schema_version'"],
            False,
        ),
        ("delete version", ["DELETE FROM meta WHERE key = 'schema_version'"], False),
        (
            "record",
            [f"UPDATE cocktails SET record = '{rng.choice(_RECORDS)}' WHERE id = '{SHOWN}'"],
            False,
        ),
        ("findings", [f"UPDATE cocktails SET findings = '{rng.choice(_RECORDS)}'"], False),
        (
            "supplier record",
            [f"UPDATE suppliers SET record = '{rng.choice(_RECORDS)}'"],
            True,  # past the CHECK: writable_schema also turns off nothing; see below
        ),
        ("harmless value", ["UPDATE cocktails SET description = 'Changed.'"], False),
        ("application id", ["PRAGMA application_id = 7"], False),
        (
            "edited sql",
            [
                "UPDATE sqlite_master SET sql = replace(sql, 'CHECK', 'CHECK (1) OR') "
                f"WHERE name = '{table}'"
            ],
            True,
        ),
        ("truncate", [], False),
        ("garbage page", [], False),
    ]
    return rng.choice(choices)


def _build(base: Path, folder: Path, number: int, rng: random.Random) -> tuple[Path, str]:
    path = _copy(base, folder, f"fuzz-{number}.db")
    name, statements, writable = _mutation(rng)
    if name in ("truncate", "garbage page"):
        data = bytearray(path.read_bytes())
        if name == "truncate":
            del data[rng.randrange(100, len(data)) :]
        else:
            start = rng.randrange(0, len(data) - 512)
            data[start : start + rng.choice([16, 512, 4096])] = rng.randbytes(4096)[:512]
        path.write_bytes(bytes(data))
        return path, name
    try:
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA ignore_check_constraints = ON")
            if writable:
                conn.execute("PRAGMA writable_schema = ON")
            for statement in statements:
                conn.execute(statement)
            conn.commit()
    except sqlite3.Error:
        name += " (not applied)"
    return path, name


DRIVER = r"""
import json, sys, traceback
from click.testing import CliRunner
from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.cli import cli
from meso_formulary.errors import MesoError
from meso_formulary.files import read_catalogue

paths, document = json.loads(sys.argv[1]), read_catalogue(sys.argv[2])

def attempt(run):
    try:
        run()
        return "ok"
    except MesoError:
        return "refused"
    except Exception:
        return "traceback: " + traceback.format_exc()[-1500:]

def read(path):
    with Catalogue.open(path, readonly=True) as catalogue:
        search(catalogue, SearchRequest(text="hair loss"))
        catalogue.get("testco/scalp-boost")

def write(path):
    with Catalogue.open(path) as catalogue:
        catalogue.import_catalogue(document)

def command(path, *args):
    result = CliRunner().invoke(cli, [*args, "--db", path])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "traceback: " + "".join(traceback.format_exception(*result.exc_info))[-1500:]
    if "Traceback" in result.output:
        return "traceback: " + result.output[-1500:]
    return "ok" if result.exit_code == 0 else "refused"

for path in paths:
    outcomes = {
        "show": command(path, "show", "testco/scalp-boost"),
        "search": command(path, "search", "hair loss"),
        "read": attempt(lambda: read(path)),
        "import": attempt(lambda: write(path)),
    }
    print(json.dumps([path, outcomes]), flush=True)
"""


@pytest.mark.parametrize("share", [0, 1])
def test_mutated_catalogues_give_a_clean_error_in_bounded_time(
    base: Path,
    tmp_path: Path,
    testco_v2: Path,
    data_dir: Path,
    request: pytest.FixtureRequest,
    share: int,
) -> None:
    """Half of the examples each (two processes, so that no test runs long)."""
    rng = random.Random(SEED + share)
    mine = len(range(share, EXAMPLES, 2))
    built = [_build(base, tmp_path, number, rng) for number in range(mine)]
    names = {str(path): name for path, name in built}
    env = {**os.environ, "MESO_DATA_DIR": str(data_dir), "COLUMNS": "100"}
    env.pop("MESO_DB", None)
    try:
        run = subprocess.run(
            [sys.executable, "-c", DRIVER, json.dumps(list(names)), str(testco_v2)],
            capture_output=True,
            text=True,
            timeout=HANG_TIMEOUT * max(1, mine // 13),
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as error:  # pragma: no cover - a hang
        raise AssertionError(f"a mutated catalogue hung: {error.stdout!r}") from None
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("[")]
    assert len(results) == mine
    figures: Counter[str] = Counter()
    problems = []
    for path, outcomes in results:
        figures["tried"] += 1
        for step, outcome in outcomes.items():
            figures[f"{step} {outcome.split(':')[0]}"] += 1
            if outcome.startswith("traceback"):
                problems.append(f"{names[path]} / {step}: {outcome}")
        if all(outcome == "refused" for outcome in outcomes.values()):
            figures["refused cleanly"] += 1
        figures[f"mutation {names[path]}"] += 1
    report_line(
        request.config, f"foreign catalogues: seed {SEED + share}: {json.dumps(dict(figures))}"
    )
    assert not problems, "\n\n".join(problems)
