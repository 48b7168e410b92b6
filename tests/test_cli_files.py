"""``meso validate``, ``meso import``, ``meso export`` and ``meso schema``."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from cli_support import BAD_INPUTS, TESTCO, Meso, assert_fails, import_testco
from helpers_catalogue import EXAMPLE

LOCATED = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): (?P<path>[\w.]+): (?P<severity>error|warning|info): "
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- validate


def test_validate_clean_file(meso: Meso, tmp_path: Path) -> None:
    source = write(tmp_path, "testco.yaml", TESTCO)
    result = meso("validate", source)
    assert result.exit_code == 0
    assert result.stderr.strip().startswith("1 file checked: 0 errors")


WARNED = Path(__file__).parent / "bad_inputs" / "rule-warning-only.yaml"
"""A skin booster with hyaluronate below the typical range measured on skin boosters."""


def test_validate_rule_findings_are_located_in_the_source(meso: Meso) -> None:
    result = meso("validate", WARNED)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines
    for line in lines:
        match = LOCATED.match(line)
        assert match, line
        assert match["file"] == str(WARNED)
        assert match["path"].startswith("cocktails.")
    first = LOCATED.match(lines[0])
    assert first is not None
    source_line = WARNED.read_text(encoding="utf-8").splitlines()[int(first["line"]) - 1]
    assert "strength" in source_line  # cocktails.0.composition.0.strength
    assert "[MF105]" in lines[0] and "skin boosters" in lines[0]
    assert re.search(r"\d+ warnings?", result.stderr)


def test_validate_strict_fails_on_warnings(meso: Meso) -> None:
    result = meso("validate", "--strict", WARNED)
    assert result.exit_code == 1
    assert "warning" in result.stdout


@pytest.mark.parametrize("example", [EXAMPLE, EXAMPLE.with_suffix(".json")], ids=str)
def test_the_shipped_example_validates_cleanly_under_strict(meso: Meso, example: Path) -> None:
    result = meso("validate", "--strict", example)
    assert result.exit_code == 0, result.stdout
    assert " error" not in result.stdout and "warning" not in result.stdout


def test_validate_json_lists_problems_as_objects(meso: Meso) -> None:
    result = meso("validate", "--json", WARNED)
    assert result.exit_code == 0
    (problem,) = json.loads(result.stdout)
    assert set(problem) == {
        "file", "line", "path", "severity", "code", "message", "value", "source",
    }  # fmt: skip
    assert problem["file"] == str(WARNED)
    assert problem["code"] == "MF105" and problem["severity"] == "warning"
    assert problem["path"] == "cocktails.0.composition.0.strength"
    assert problem["message"].startswith("5 mg/mL of Sodium hyaluronate is below")
    assert problem["source"]  # where the typical range comes from
    assert "1 warning" in result.stderr


def test_validate_json_of_a_clean_file_holds_only_notes(meso: Meso) -> None:
    result = meso("validate", "--json", EXAMPLE)
    assert result.exit_code == 0
    assert {problem["severity"] for problem in json.loads(result.stdout)} <= {"info"}


@pytest.mark.parametrize("code", ["MF105", "mf105", "strength-outside-typical-range"])
def test_validate_ignore_leaves_a_rule_out(meso: Meso, code: str) -> None:
    result = meso("validate", "--strict", "--ignore", code, "--ignore", "MF100", WARNED)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "0 warnings, 1 ignored" in result.stderr
    shown = meso("validate", "--json", "--ignore", code, WARNED)
    assert json.loads(shown.stdout) == []


def test_validate_ignore_refuses_an_unknown_code(meso: Meso) -> None:
    result = meso("validate", "--ignore", "MF15", WARNED)
    assert_fails(result, 2, "Invalid value for '--ignore'", "'MF15' is not a rule code", "MF105")


def test_validate_tab_error_has_column_and_hint(meso: Meso, tmp_path: Path) -> None:
    source = write(tmp_path, "tabbed.yaml", "supplier:\n\tid: x\n")
    result = meso("validate", source)
    assert result.exit_code == 2
    assert f"{source}:2: error: YAML syntax error at column 1:" in result.stdout
    assert "Hint: YAML forbids tabs for indentation: use spaces" in result.stderr
    as_json = meso("validate", "--json", source)
    (problem,) = json.loads(as_json.stdout)
    assert (problem["line"], problem["code"]) == (2, "unreadable")


def test_publish_prints_the_rule_warnings_of_what_it_signs(meso: Meso, tmp_path: Path) -> None:
    meso("keygen", "bravo", "-o", tmp_path / "keys")
    result = meso(
        "publish", WARNED, "--key", tmp_path / "keys" / "bravo.key", "-o", tmp_path / "b.zip"
    )
    assert result.exit_code == 0, result.output
    assert "signed catalogue version 1 of supplier bravo" in result.stdout
    assert "[MF105]" not in result.stdout
    assert f"{WARNED}:14: cocktails.0.composition.0.strength: warning: [MF105]" in result.stderr
    assert "1 rule finding in what was signed" in result.stderr


def test_validate_model_errors_with_lines(meso: Meso, tmp_path: Path) -> None:
    broken = TESTCO.replace("value: 0.5, unit: mg/mL", "value: -1, unit: mg/mL")
    source = write(tmp_path, "broken.yaml", broken)
    result = meso("validate", source)
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    match = LOCATED.match(line)
    assert match, line
    assert match["path"] == "cocktails.0.composition.0.strength.value"
    assert match["severity"] == "error"
    assert "(got -1)" in line
    assert (
        int(match["line"])
        == broken.splitlines().index("        strength: {value: -1, unit: mg/mL}") + 1
    )
    assert "1 error" in result.stderr


def test_validate_several_files_counts_them_all(meso: Meso, tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", TESTCO)
    bad = write(tmp_path, "bad.json", json.dumps({"format": "meso-formulary/1"}))
    result = meso("validate", good, bad)
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert errors == [f"{bad}:1: supplier: error: Field required"]
    assert any(line.startswith(f"{good}:") for line in result.stdout.splitlines())
    assert result.stderr.startswith("2 files checked: 1 error, ")


def test_validate_reads_stdin(meso: Meso) -> None:
    result = meso("validate", "-", input=TESTCO)
    assert result.exit_code == 0
    assert meso("validate", "-", input="format: [").exit_code == 2


def test_validate_csv_from_stdin_needs_format(meso: Meso, tmp_path: Path) -> None:
    csv_text = (BAD_INPUTS / "csv-valid.csv").read_text(encoding="utf-8")
    assert meso("validate", "--format", "csv", "-", input=csv_text).exit_code == 0


@pytest.mark.parametrize("make", ["missing", "directory", "extension"])
def test_validate_unreadable_input_exits_2(meso: Meso, tmp_path: Path, make: str) -> None:
    target = {
        "missing": tmp_path / "missing.yaml",
        "directory": tmp_path,
        "extension": write(tmp_path, "catalogue.txt", TESTCO),
    }[make]
    result = meso("validate", target)
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{target}")
    assert "1 unreadable" in result.stderr


def test_validate_output_cannot_carry_escape_sequences(meso: Meso, tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "escape.yaml",
        'format: meso-formulary/1\nsupplier: {id: x, name: X, "\\e[2Jevil\\e]0;title\\a": 1}\n',
    )
    result = meso("validate", source)
    assert result.exit_code == 1
    assert (
        result.stdout
        == f"{source}:2: supplier.evil: error: Extra inputs are not permitted (got 1)\n"
    )


def test_validate_needs_a_file(meso: Meso) -> None:
    assert_fails(meso("validate"), 2, "Missing argument 'FILE...'")


@pytest.mark.parametrize("bad", sorted(BAD_INPUTS.iterdir()), ids=lambda p: p.name)
def test_validate_hostile_files_never_crash(meso: Meso, bad: Path) -> None:
    result = meso("validate", bad)
    assert result.exit_code in (0, 1, 2)
    for line in result.stdout.splitlines():
        assert line.startswith(f"{bad}"), line
        assert "\x1b" not in line
    assert "checked:" in result.stderr


# ---------------------------------------------------------------- import


def test_import_reports_added_changed_unchanged(meso: Meso, tmp_path: Path) -> None:
    db = tmp_path / "cat.db"
    source = write(tmp_path, "testco.yaml", TESTCO)
    first = meso("import", source, "--unsigned", "--db", db)
    assert first.exit_code == 0
    assert first.stdout == (
        f"{source} (unsigned draft): supplier testco, catalogue version 1: "
        "3 added, 0 changed, 0 unchanged\n"
    )
    again = meso("import", source, "--unsigned", "--db", db)
    assert again.stdout == (
        f"{source} (unsigned draft): supplier testco, catalogue version 1: "
        "already imported, nothing changed\n"
    )
    newer = TESTCO.replace("version: 1\n", "version: 2\n", 1).replace(
        "Scalp Boost", "Scalp Boost 2"
    )
    write(tmp_path, "testco.yaml", newer)
    second = meso("import", source, "--unsigned", "--db", db)
    assert second.stdout.endswith("catalogue version 2: 0 added, 1 changed, 2 unchanged\n")


def test_import_is_all_or_nothing(meso: Meso, tmp_path: Path) -> None:
    db = tmp_path / "cat.db"
    good = write(tmp_path, "good.yaml", TESTCO)
    bad = write(
        tmp_path, "bad.yaml", TESTCO.replace("testco", "badco").replace("biotin", "biotinn")
    )
    result = meso("import", good, bad, "--unsigned", "--db", db)
    assert_fails(result, 1, "nothing was imported", "the catalogue is unchanged")
    assert re.search(
        rf"{re.escape(str(bad))}:\d+: cocktails\.0\.composition\.0\.ingredient: ", result.stderr
    )
    assert "unknown ingredient 'biotinn'" in result.stderr
    assert not db.exists()  # a failed import into a new file leaves nothing behind
    existing = import_testco(meso, tmp_path)
    before = meso("export", "--db", existing).stdout
    assert meso("import", good, bad, "--unsigned", "--db", existing).exit_code == 1
    assert meso("export", "--db", existing).stdout == before


def test_import_model_errors_are_located(meso: Meso, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", TESTCO.replace("sessions: 4", "sessions: 0"))
    result = meso("import", bad, "--unsigned", "--db", tmp_path / "cat.db")
    assert_fails(result, 1, f"{bad}:", "cocktails.0.protocol.sessions")


def _bulk_catalogue(folder: Path, count: int) -> Path:
    lines = ["format: meso-formulary/1", "supplier: {id: bulk, name: Bulk}", "cocktails:"]
    for i in range(count):
        lines += [
            f"  - id: bulk/c{i}",
            f"    name: Cocktail {i}",
            "    supplier: bulk",
            "    description: One of many.",
            "    composition: [{ingredient: biotin, strength: {value: 0.5, unit: mg/mL}}]",
        ]
    return write(folder, "bulk.yaml", "\n".join(lines) + "\n")


def test_import_progress_bar_only_on_a_terminal(meso: Meso, tmp_path: Path) -> None:
    source = _bulk_catalogue(tmp_path, 200)
    piped = meso("import", source, "--unsigned", "--db", tmp_path / "piped.db")
    assert piped.exit_code == 0
    assert piped.stderr == ""
    terminal = meso(
        "import", source, "--unsigned", "--db", tmp_path / "tty.db", env={"FORCE_COLOR": "1"}
    )
    assert terminal.exit_code == 0
    assert "Importing supplier bulk" in terminal.stderr
    assert "200 cocktails stored" in terminal.stderr
    assert terminal.stdout.endswith("200 added, 0 changed, 0 unchanged\n")


def test_import_needs_a_db(meso: Meso) -> None:
    assert_fails(meso("import", EXAMPLE), 1, "the reference catalogue is read-only", "Hint:")


def test_import_unreadable_file_exits_2(meso: Meso, tmp_path: Path) -> None:
    assert_fails(meso("import", tmp_path, "--db", tmp_path / "x.db"), 2, "directory")


def test_import_reads_stdin(meso: Meso, tmp_path: Path) -> None:
    result = meso("import", "-", "--unsigned", "--db", tmp_path / "cat.db", input=TESTCO)
    assert result.exit_code == 0
    assert result.stdout.startswith("<stdin> (unsigned draft): supplier testco")


@pytest.mark.parametrize(
    "bad", [p for p in sorted(BAD_INPUTS.iterdir()) if p.suffix != ".csv"], ids=lambda p: p.name
)
def test_import_hostile_files_never_crash(meso: Meso, tmp_path: Path, bad: Path) -> None:
    result = meso("import", bad, "--unsigned", "--db", tmp_path / "cat.db")
    assert result.exit_code in (0, 1, 2)


# ---------------------------------------------------------------- export


def test_export_json_round_trips_through_validate_and_import(
    meso: Meso, db: Path, tmp_path: Path
) -> None:
    result = meso("export", "--db", db, "--supplier", "testco")
    assert result.exit_code == 0
    exported = json.loads(result.stdout)
    assert exported["supplier"]["id"] == "testco"
    source = write(tmp_path, "exported.json", result.stdout)
    assert meso("validate", source).exit_code == 0
    other = tmp_path / "other.db"
    assert meso("import", source, "--unsigned", "--db", other).exit_code == 0
    assert meso("export", "--db", other, "--supplier", "testco").stdout == result.stdout


def test_export_the_only_supplier_as_yaml(meso: Meso, db: Path) -> None:
    result = meso("export", "--db", db, "--format", "yaml")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["supplier"]["id"] == "testco"


def test_export_csv_is_formula_safe(meso: Meso, db: Path) -> None:
    result = meso("export", "--db", db, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    formula = next(row for row in rows if row["cocktail_id"] == "testco/formula")
    assert formula["cocktail_name"].startswith("'=")


def test_export_to_file_refuses_to_overwrite(meso: Meso, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    first = meso("export", "--db", db, "-o", target)
    assert first.exit_code == 0
    assert first.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["supplier"]["id"] == "testco"
    target.write_text("keep me", encoding="utf-8")
    assert_fails(meso("export", "--db", db, "-o", target), 1, "already exists", "--force")
    assert target.read_text(encoding="utf-8") == "keep me"
    assert meso("export", "--db", db, "-o", target, "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary left


def test_export_file_honours_umask(meso: Meso, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    previous = os.umask(0o022)
    try:
        assert meso("export", "--db", db, "-f", "yaml", "-o", target).exit_code == 0
    finally:
        os.umask(previous)
    assert target.stat().st_mode & 0o777 == 0o644


def test_export_to_directory_or_unwritable_place(meso: Meso, db: Path, tmp_path: Path) -> None:
    assert meso("export", "--db", db, "-o", tmp_path).exit_code == 0  # a folder: one file each
    assert (tmp_path / "testco.json").is_file()
    missing = tmp_path / "no" / "such" / "folder" / "out.json"
    assert_fails(meso("export", "--db", db, "-o", missing), 1, "Error: cannot write")


def test_export_below_a_file_is_unwritable(meso: Meso, db: Path, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    result = meso("export", "--db", db, "-o", not_a_folder / "out.json")
    assert_fails(result, 1, f"Error: cannot write to {not_a_folder}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_export_to_read_only_folder(meso: Meso, db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert_fails(meso("export", "--db", db, "-o", folder / "x.json"), 1, "cannot write")
    finally:
        folder.chmod(0o700)


def test_export_unknown_supplier_and_version(meso: Meso, db: Path, tmp_path: Path) -> None:
    assert_fails(
        meso("export", "--db", db, "--supplier", "testc"), 1, "Error: no supplier", "Hint:"
    )
    result = meso("export", "--db", db, "--supplier", "testco", "--catalogue-version", "9")
    assert_fails(result, 1, "has no catalogue version 9")
    target = tmp_path / "never.json"
    assert meso("export", "--db", db, "--supplier", "nope", "-o", target).exit_code == 1
    assert list(tmp_path.iterdir()) == []


def test_export_catalogue_version_needs_supplier(meso: Meso, db: Path) -> None:
    assert_fails(meso("export", "--db", db, "--catalogue-version", "1"), 2, "needs --supplier")


# ---------------------------------------------------------------- schema


def test_schema_is_json_schema(meso: Meso) -> None:
    result = meso("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "cocktails" in schema["properties"]


# ---------------------------------------------------------------- signed bundles


def test_import_verifies_signed_bundles(meso: Meso, tmp_path: Path) -> None:
    source = write(tmp_path, "testco.yaml", TESTCO)
    assert meso("keygen", "testco", "-o", tmp_path).exit_code == 0
    bundle = tmp_path / "testco.zip"
    key = tmp_path / "testco.key"
    assert meso("publish", source, "--key", key, "-o", bundle).exit_code == 0
    db = tmp_path / "clinic.db"
    unpinned = meso("import", bundle, "--db", db)
    assert_fails(unpinned, 1, "no key is pinned")
    assert not db.exists()
    assert (
        meso("trust", "add", "testco", tmp_path / "testco.pub", "--db", db, "--yes").exit_code == 0
    )
    result = meso("import", bundle, "--db", db)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{bundle} (signed, verified): supplier testco")
    plain = meso("import", source, "--unsigned", "--db", db)
    assert_fails(plain, 1, "supplier 'testco' publishes signed bundles here")
