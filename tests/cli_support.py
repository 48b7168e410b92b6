"""Helpers for the ``meso`` command tests (``tests/`` is on ``sys.path`` under pytest).

Every test runs the real command through click's :class:`CliRunner` with a private
``MESO_DATA_DIR`` (so the reference catalogue is built in a temporary folder, never in the
user's data directory), no ``MESO_DB``, no ``NO_COLOR`` and a fixed terminal width. Tests
take the ``meso`` fixture (a :class:`Meso` over the session's data directory) and the
``db`` fixture (:data:`TESTCO`, imported once) from ``conftest.py``.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner, Result
from helpers_catalogue import REPO

from meso_formulary.cli import cli

BAD_INPUTS = REPO / "tests" / "bad_inputs"
WIDTH = 100

RLO = "\u202e"
"""RIGHT-TO-LEFT OVERRIDE: a format character that passes validation and could disguise text."""

TESTCO = f"""\
format: meso-formulary/1
supplier:
  id: testco
  name: Test Co
version: 1
cocktails:
  - id: testco/scalp-boost
    name: Scalp Boost
    supplier: testco
    description: Biotin and dexpanthenol for thinning hair.
    composition:
      - ingredient: biotin
        strength: {{value: 0.5, unit: mg/mL}}
      - ingredient: dexpanthenol
        strength: {{value: 2, unit: "% w/v"}}
    indications: [alopecia]
    areas: [scalp]
    administration:
      techniques: [nappage]
    protocol:
      sessions: 4
      interval_days: 7
      session_minutes: 30
      top_up_interval_months: 3
      source: Test Co protocol sheet
    aftercare:
      - kind: no_hair_wash
        advice: Do not wash the hair on the day.
        hours: 24
        source: Test Co leaflet
      - kind: no_makeup
        advice: No make-up until the evening.
        hours: 12
        source: Test Co leaflet
    contraindications: [Pregnancy]
    sources: [Test Co product sheet]
  - id: testco/eye-bright
    name: Eye Bright
    supplier: testco
    description: Hyaluronic acid with lidocaine and polynucleotides under the eyes.
    composition:
      - ingredient: sodium-hyaluronate
        strength: {{value: 10, unit: mg/mL}}
      - ingredient: lidocaine-hcl
        strength: {{value: 3, unit: mg/mL}}
      - ingredient: polynucleotides
    indications: [dark_circles]
    areas: [periorbital]
    administration:
      techniques: [papule]
    protocol:
      sessions: 3
      interval_days: 14
      source: Test Co protocol sheet
  - id: testco/formula
    name: "=1+1 Glow {RLO}wolG"
    supplier: testco
    description: Glycine for dull skin.
    composition:
      - ingredient: glycine
        strength: {{value: 10, unit: mg/mL}}
    indications: [skin_rejuvenation]
    areas: [face]
    administration:
      techniques: [nappage]
"""
"""A small catalogue of supplier ``testco``: one cocktail with a full protocol, one with an
anaesthetic and a fish-derived ingredient, and one whose name is a spreadsheet formula
holding a right-to-left override (for the CSV and terminal safety tests)."""


def environment(data_dir: Path) -> dict[str, str | None]:
    """The environment every command runs in (``None`` removes a variable)."""
    return {
        "MESO_DATA_DIR": str(data_dir),
        "MESO_DB": None,
        "NO_COLOR": None,
        "FORCE_COLOR": None,
        "COLUMNS": str(WIDTH),
        "LINES": "50",
    }


class Meso:
    """Runs ``meso ARGS...`` in-process and checks that no traceback escaped."""

    def __init__(self, env: Mapping[str, str | None]) -> None:
        self.env = dict(env)

    def __call__(
        self, *args: object, input: str | bytes | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        result = CliRunner().invoke(
            cli,
            [str(arg) for arg in args],
            input=input,
            env={**self.env, **(env or {})},
            prog_name="meso",
            terminal_width=WIDTH,
        )
        assert_no_traceback(result)
        return result


def assert_no_traceback(result: Result) -> None:
    """The command ended on purpose: no Python traceback, only ``SystemExit`` if anything."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        details = "".join(traceback.format_exception(*result.exc_info))
        raise AssertionError(f"the command raised instead of exiting cleanly:\n{details}")
    assert "Traceback" not in result.output


def assert_fails(result: Result, exit_code: int, *fragments: str) -> None:
    """A clean failure: ``exit_code``, nothing on stdout, each fragment on stderr."""
    assert result.exit_code == exit_code, (result.exit_code, result.output)
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def import_testco(meso: Meso, folder: Path, more: str = "") -> Path:
    """A catalogue file holding :data:`TESTCO` (and the cocktails of ``more``, YAML list
    items), imported through ``meso import --unsigned``."""
    source = folder / "testco.yaml"
    source.write_text(TESTCO + more, encoding="utf-8")
    db = folder / "testco.db"
    result = meso("import", source, "--unsigned", "--db", db)
    assert result.exit_code == 0, result.output
    return db
