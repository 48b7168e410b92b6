"""The ``meso`` group: help, version, lazy commands, start-up imports, errors, completion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cli_support import Meso, assert_fails

from meso_formulary import __version__
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.cli import COMMANDS, cli

HEAVY = ("pydantic", "sqlite_utils", "rich", "rapidfuzz", "yaml", "icalendar")
"""Modules that ``meso --help`` and ``meso --version`` must not import (start-up time)."""


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_command_in_map_order(meso: Meso, flag: str) -> None:
    result = meso(flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: meso [OPTIONS] COMMAND [ARGS]...")
    listed = [
        line.split()[0]
        for line in result.stdout.split("Commands:\n", 1)[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    assert listed == list(COMMANDS)


def test_version(meso: Meso) -> None:
    for flag in ("--version", "-V"):
        result = meso(flag)
        assert result.exit_code == 0
        assert result.stdout == f"meso, version {__version__}\n"


def test_no_command_prints_usage(meso: Meso) -> None:
    result = meso()
    assert result.exit_code == 2
    assert "Usage: meso" in result.stderr


def test_unknown_command_is_a_usage_error(meso: Meso) -> None:
    assert_fails(meso("serch", "hair loss"), 2, "No such command 'serch'")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_lazy_command_loads_and_has_help(meso: Meso, name: str) -> None:
    """Lazy loading must not hide an import error: load each entry of the command map."""
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert isinstance(command, click.Command)
    assert command.help, f"{name} has no help text"
    result = meso(name, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: meso {name} ")


def test_unknown_name_is_not_a_command() -> None:
    with click.Context(cli) as ctx:
        assert cli.get_command(ctx, "no-such-command") is None


def _modules_loaded(args: list[str], tmp_path: Path) -> list[str]:
    probe = (
        "import json, sys\n"
        "from meso_formulary.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r}, prog_name='meso')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)),"
        " file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"MESO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    loaded: list[str] = json.loads(result.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["search", "--help"]])
def test_start_up_paths_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    assert _modules_loaded(args, tmp_path) == []


@pytest.fixture(scope="module")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the built reference catalogue (building it is the heavy
    path, taken once per data release; these tests look at every start after that)."""
    folder = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESO_DATA_DIR", str(folder))
        connect_default().close()
    return folder


def _top_level(modules: list[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


@pytest.mark.parametrize(
    "text", ["hair loss", "panda eyes", "double chin", "celulite", "--client=fish-allergy"]
)
@pytest.mark.parametrize("fmt", ["--json", "--nl"])
def test_search_imports_nothing_heavy(built_data_dir: Path, text: str, fmt: str) -> None:
    # meso search's start-up is measured against a bare python -c (bench/bench_cli.py):
    # it runs the engine on a plain connection, without pydantic, sqlite-utils or rich,
    # and an exact lay term needs no fuzzy matching (rapidfuzz).
    assert _modules_loaded(["search", text, fmt], built_data_dir) == []


def test_search_loads_rapidfuzz_for_a_typo_and_rich_for_a_table(built_data_dir: Path) -> None:
    assert _top_level(_modules_loaded(["search", "cellulitte", "--json"], built_data_dir)) == {
        "rapidfuzz"
    }
    assert _top_level(_modules_loaded(["search", "hair loss"], built_data_dir)) == {"rich"}


READ_COMMANDS = {
    "show": ["show", "reference/dutasteride-hair"],
    "show --client": ["show", "reference/dutasteride-hair", "--client", "pregnancy-planned"],
    "compare": ["compare", "reference/dutasteride-hair", "reference/minoxidil-hair-cocktail"],
    "indications": ["indications"],
    "conditions": ["conditions"],
    "ingredients": ["ingredients"],
    "ingredients TEXT": ["ingredients", "biotin"],
    "stats": ["stats"],
    "schedule": ["schedule", "reference/dutasteride-hair", "--start", "2026-03-02"],
}
"""Every read command, on the reference catalogue."""


@pytest.mark.parametrize("fmt", ["--json", "--nl"])
@pytest.mark.parametrize("args", list(READ_COMMANDS.values()), ids=list(READ_COMMANDS))
def test_read_commands_import_nothing_heavy(
    built_data_dir: Path, args: list[str], fmt: str
) -> None:
    # Each is measured against a bare python -c as search is (bench/bench_cli.py): they
    # render stored rows (the cocktail view, with the findings stored at import), so
    # neither pydantic nor the rules engine, sqlite-utils, rich or rapidfuzz loads.
    assert _modules_loaded([*args, fmt], built_data_dir) == []


@pytest.mark.parametrize(
    "args", [["search", "hair loss"], READ_COMMANDS["show"], READ_COMMANDS["conditions"]]
)
def test_csv_output_imports_nothing_heavy(built_data_dir: Path, args: list[str]) -> None:
    # The spreadsheet-safe writer is standard library only (meso_formulary.safe_csv): the
    # model, and pydantic with it, stays off the read path.
    assert _modules_loaded([*args, "--csv"], built_data_dir) == []


@pytest.mark.parametrize("args", list(READ_COMMANDS.values()), ids=list(READ_COMMANDS))
def test_read_command_tables_load_only_rich(built_data_dir: Path, args: list[str]) -> None:
    assert _top_level(_modules_loaded(args, built_data_dir)) == {"rich"}


def test_schedule_loads_icalendar_only_for_a_calendar(built_data_dir: Path) -> None:
    args = [*READ_COMMANDS["schedule"], "--ics", "-"]
    assert _top_level(_modules_loaded(args, built_data_dir)) == {"icalendar"}


def test_python_dash_m_runs_meso() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "meso_formulary", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f"meso, version {__version__}\n"


def test_library_error_becomes_error_and_hint_with_exit_1(meso: Meso) -> None:
    result = meso("show", "reference/no-such-cocktail")
    assert_fails(result, 1, "Error: no cocktail 'reference/no-such-cocktail'")
    assert result.stderr.count("Error:") == 1


def test_library_error_hint_is_printed(meso: Meso) -> None:
    result = meso("search", "--exclude", "lidocaiin")
    assert_fails(
        result,
        1,
        "Error: invalid search: exclude: unknown ingredient 'lidocaiin'",
        "Hint: did you mean",
    )


def test_unreadable_input_exits_2(meso: Meso, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = meso("import", missing, "--db", tmp_path / "x.db")
    assert_fails(result, 2, f"Error: cannot read {missing}", "no such file")


def test_bash_completion_script(meso: Meso) -> None:
    result = meso(env={"_MESO_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_meso_completion()" in result.stdout
    assert "_MESO_COMPLETE=bash_complete" in result.stdout


def test_completion_of_command_names(meso: Meso) -> None:
    result = meso(
        env={"_MESO_COMPLETE": "bash_complete", "COMP_WORDS": "meso sc", "COMP_CWORD": "1"}
    )
    assert result.exit_code == 0
    assert result.stdout.split() == ["plain,schedule", "plain,schema"]
