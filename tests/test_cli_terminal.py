"""The terminal answers: ids whole at 80 and 120 columns, the one-line notice under every
answer drawn for a person (never in machine output), every value shown accepted back, and
plain messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import TESTCO, Meso, assert_fails

from meso_formulary.notice import NOT_MEDICAL_ADVICE_LINE

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


URL = re.compile(r"https?://[^\s)'\"]+")


def test_every_url_and_id_shows_whole_at_80_columns(meso: Meso) -> None:
    """Every source URL of every shipped cocktail and client condition, and every id a
    reader types back (conditions, ingredients), prints in one piece: a table cites a
    source as [n] and lists it below; a table too narrow for its ids is stacked."""
    env = {"COLUMNS": "80"}
    for cocktail in sorted(_ids(meso, "search")):
        shown = meso("show", cocktail, env=env).stdout
        record = json.loads(meso("show", cocktail, "--json").stdout)
        urls = set(URL.findall(json.dumps(record, ensure_ascii=False)))
        missing = sorted(url for url in urls if url not in shown)
        assert not missing, f"{cocktail}: {missing}"
    for listing in ("conditions", "ingredients"):
        shown = meso(listing, env=env).stdout
        records = json.loads(meso(listing, "--json").stdout)
        words = set(shown.split())
        assert {r["id"] for r in records} <= words | {w.rstrip(",") for w in words}, listing
        # The listing's own sources (a code's source is in --json only, as --help says).
        sources = [r.get("sources", ()) for r in records]
        urls = set(URL.findall(json.dumps(sources, ensure_ascii=False)))
        assert urls or listing == "ingredients", "the conditions cite URLs"
        assert not sorted(url for url in urls if url not in shown), listing


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


OLD = "reference/dutasteride-hair"
NEW = "reference/minoxidil-hair-cocktail"

HUMAN_ANSWERS: dict[str, tuple[str, ...]] = {
    "search": ("search", "hair loss"),
    "search, screened": ("search", "hair loss", "--client", "Fish allergy", "-x", "lidocaine"),
    "show": ("show", "reference/polynucleotides-20", "--client", "fish-allergy"),
    "compare": ("compare", OLD, NEW),
    "indications": ("indications",),
    "conditions": ("conditions",),
    "areas": ("areas",),
    "ingredients": ("ingredients",),
    "stats": ("stats",),
    "history": ("history", OLD),
    "schedule": ("schedule", OLD, "--start", "2026-03-02", "--time", "17:30"),
    "show, draft": ("show", "testco/eye-bright", "--db", "{db}"),
    "history, draft": ("history", "testco/scalp-boost", "--db", "{db}"),
    "drafts list": ("drafts", "list", "--db", "{db}"),
    "trust list": ("trust", "list", "--db", "{db}"),
    "diff": ("diff", "{old}", "{new}"),
    "validate": ("validate", "{new}"),
}
"""Every command that answers a person, with arguments (``{db}``: a catalogue holding
TESTCO's draft; ``{old}``/``{new}``: two versions of TESTCO's file)."""

MACHINE = ("--json", "--csv", "--nl")


@pytest.fixture(scope="module")
def files(db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("versions")
    old, new = folder / "old.yaml", folder / "new.yaml"
    old.write_text(TESTCO, encoding="utf-8")
    new.write_text(TESTCO.replace("version: 1\n", "version: 2\n", 1), encoding="utf-8")
    return {"db": str(db), "old": str(old), "new": str(new)}


@pytest.fixture(scope="module")
def every_id(meso: Meso, db: Path) -> frozenset[str]:
    """Every cocktail id of the reference catalogue and of TESTCO's."""
    return frozenset(_ids(meso, "search") | _ids(meso, "search", "--db", db))


def _runs_on(line: str) -> bool:
    """A line longer than the terminal only because it ends in a URL that is longer than
    the rest of the line has room for: printed whole (never folded), after an indent, a
    bullet or a label of a few characters (``  [3] https://…``, ``Source: https://…``)."""
    head, _, url = line.rstrip().rpartition(" ")
    return "://" in url and len(head) <= 12


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", list(HUMAN_ANSWERS))
def test_every_human_answer_fits_and_ends_with_the_one_line_notice(
    meso: Meso, files: dict[str, str], every_id: frozenset[str], name: str, width: int
) -> None:
    args = [arg.format(**files) for arg in HUMAN_ANSWERS[name]]
    result = meso(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = (result.stdout + result.stderr).splitlines()
    assert lines.count(NOT_MEDICAL_ADVICE_LINE) == 1, name
    assert sum("not medical advice" in line for line in lines) == 1, name
    # Last, under the answer (validate's answer, its problem lines, is stdout: the notice
    # ends stderr, after the summary).
    last = (result.stderr if name == "validate" else result.stdout).splitlines()[-1]
    assert last == NOT_MEDICAL_ADVICE_LINE
    assert len(NOT_MEDICAL_ADVICE_LINE) < 80
    if name == "validate":  # FILE:LINE: problem lines stay whole for editors and grep
        lines = [line for line in lines if not line.startswith(files["new"])]
    assert [line for line in lines if len(line) > width and not _runs_on(line)] == []
    # A broken id shows as a piece that is no id: "reference/dutasteride-", "ce/dutasteride-hair"
    # (or a line ending in "reference/").
    suppliers = {cocktail.split("/")[0] for cocktail in every_id}
    slugs = {cocktail.split("/")[1] for cocktail in every_id}
    for word in IDS.findall(result.output):
        supplier, slug = word.split("/", 1)
        if supplier in suppliers or slug in slugs:
            assert word in every_id, f"{word!r} is a broken id"
    assert not any(line.rstrip(" │").endswith(f"{s}/") for line in lines for s in suppliers)


@pytest.mark.parametrize("name", [n for n in HUMAN_ANSWERS if n != "search, screened"])
def test_machine_output_is_the_data_alone(meso: Meso, files: dict[str, str], name: str) -> None:
    """No notice in --json (nor in --csv or --nl of the commands that also write notes:
    every command prints its records through the one :func:`emit`)."""
    args = [arg.format(**files) for arg in HUMAN_ANSWERS[name]]
    for machine in MACHINE if args[0] in ("search", "schedule") else MACHINE[:1]:
        result = meso(*args, machine)
        assert result.exit_code == 0, (name, machine, result.output)
        assert "not medical advice" not in result.output, (name, machine)


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


def test_every_value_a_listing_shows_is_accepted_back(meso: Meso) -> None:
    """What ``meso areas``, ``conditions``, ``indications``, ``ingredients`` and ``show``
    print (ids, names, class, origin and technique words) reads back through the one
    parser of every option that takes it (:meth:`Query.parse`; ``--client`` of ``show``;
    ``ingredients --class``), forgiving case, spaces and underscores."""
    from meso_formulary.catalogue.search.runner import Query
    from meso_formulary.catalogue.search.screening_text import client_conditions
    from meso_formulary.catalogue.store.cocktail_card import words
    from meso_formulary.vocabulary import Technique

    def listed(command: str) -> list[dict[str, str]]:
        return list(json.loads(meso(command, "--json").stdout))

    for area in listed("areas"):
        for shown in (area["id"], area["name"], area["name"].upper()):
            assert Query.parse(area=shown).area == area["id"], shown
    for condition in listed("conditions"):
        for shown in (condition["id"], condition["name"], condition["name"].lower()):
            assert Query.parse(client=shown).clients == (condition["id"],), shown
            assert client_conditions([shown]) == (condition["id"],), shown
    for indication in listed("indications"):
        for shown in (indication["id"], indication["name"]):
            assert Query.parse(indication=shown).indication == indication["id"], shown
    ingredients = listed("ingredients")
    for ingredient_class in sorted({ingredient["class"] for ingredient in ingredients}):
        shown = ingredient_class.replace("_", " ")  # as the Class column prints it
        assert Query.parse(exclude_classes=shown).exclude_classes == (ingredient_class,)
        assert Query.parse(ingredient_class=shown).ingredient_class == ingredient_class
        found = json.loads(meso("ingredients", "--class", shown, "--json").stdout)
        assert {entry["class"] for entry in found} == {ingredient_class}, shown
    for origin in {ingredient["origin"] for ingredient in ingredients if "origin" in ingredient}:
        assert origin in Query.parse(exclude_origins=origin).exclude_origins
    for technique in Technique:  # show's Administration prints words(technique)
        assert Query.parse(technique=words(technique.value)).technique is technique
