"""The terminal answers: ids whole at 80 and 120 columns, the notice, and plain messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import Meso, assert_fails

from meso_formulary.notice import NOT_MEDICAL_ADVICE

IDS = re.compile(r"\b[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_.-]*")


def _ids(meso: Meso, *args: str) -> set[str]:
    if args[0] == "search" and "--limit" not in args:
        args = (*args, "--limit", "100")
    return {hit["id"] for hit in json.loads(meso(*args, "--json").stdout)}


@pytest.mark.parametrize("width", [80, 120])
def test_search_keeps_every_id_whole(meso: Meso, width: int) -> None:
    shown = meso("search", "--limit", "12", env={"COLUMNS": str(width)}).stdout
    ids = _ids(meso, "search", "--limit", "12")
    assert ids and ids <= set(IDS.findall(shown))
    assert all(len(line) <= width for line in shown.splitlines())


@pytest.mark.parametrize("width", [80, 120])
def test_compare_indications_and_stats_keep_ids_whole(meso: Meso, width: int) -> None:
    env = {"COLUMNS": str(width)}
    a, b = "reference/dutasteride-hair", "reference/minoxidil-hair-cocktail"
    compared = meso("compare", a, b, env=env).stdout
    assert {a, b} <= set(IDS.findall(compared))
    listed = meso("indications", env=env).stdout
    words = set(listed.split())
    wanted = {row["id"] for row in json.loads(meso("indications", "--json").stdout)}
    assert wanted <= words
    stats = meso("stats", env=env).stdout
    assert all(len(line) <= width for line in (compared + listed + stats).splitlines())


def test_the_notice_is_under_tables_and_never_in_machine_output(meso: Meso) -> None:
    flat = " ".join(NOT_MEDICAL_ADVICE.split())
    cocktail = "reference/dutasteride-hair"
    for args in (
        ("search", "hair loss"),
        ("show", cocktail),
        ("compare", cocktail, "reference/minoxidil-hair-cocktail"),
        ("schedule", cocktail, "--start", "2026-03-02"),
    ):
        assert flat in " ".join(meso(*args).stdout.split()), args
        for machine in ("--json", "--csv", "--nl"):
            assert "not medical advice" not in meso(*args, machine).stdout, (args, machine)


def test_an_impossible_date_is_reported_as_such(meso: Meso) -> None:
    result = meso("schedule", "reference/dutasteride-hair", "--start", "2026-02-30")
    assert_fails(result, 2, "not a date: February 2026 has no day 30")


def test_trust_add_without_a_terminal_says_to_use_yes(meso: Meso, tmp_path: Path) -> None:
    from publish_support import make_signer

    signer = make_signer(tmp_path / "keys", "acme")
    result = meso("trust", "add", "acme", signer.files.public_path, "--db", tmp_path / "c.db")
    assert result.exit_code == 1
    assert signer.public.grouped_fingerprint in result.stdout  # shown before the question
    assert "no answer to confirm the fingerprint" in result.stderr
    assert "use --yes to confirm without a terminal" in result.stderr
    assert "Aborted" not in result.output


def test_class_names_are_accepted_as_shown(meso: Meso) -> None:
    shown = _ids(meso, "search", "--exclude-class", "hyaluronic acid")
    assert shown == _ids(meso, "search", "--exclude-class", "hyaluronic_acid")
    assert shown and shown < _ids(meso, "search")
