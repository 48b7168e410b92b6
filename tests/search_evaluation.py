"""The search's labelled evaluation: how often the right concern is found in the top results.

``tests/data/search_eval.yaml`` holds queries written as clients say them, blind to the
project's word lists, in six languages and seven kinds (see its header). :func:`evaluate`
runs each through the one search (:func:`~meso_formulary.catalogue.search.runner.run`) on a
catalogue and scores it:

- an entry with a ``concern`` (an id or a list of acceptable ids) is right at k when one of
  the top k hits carries one of them; with an ``area`` too, the search must also have read
  that area; with a ``condition`` (screening), the search must have screened for it and read
  the concern (the screening may rightly hide every cocktail for the concern, so the hits
  are not asked for). When the search read the concern but screening words in the text
  ("after my pregnancy") hid every cocktail for it, and said so, that is right too: the
  search hides too much rather than too little by design, and the answer names the concern
  and what hid it. When the search read the concern and no cocktail in the catalogue treats
  it (active acne: the shipped data has no source for a cocktail), showing nothing and
  saying so is right: showing another concern's cocktails would not be;
- an entry with only an ``area`` or a ``brand`` is right at k when one of the top k hits
  treats that area or is known by that brand;
- a negative is right when the search read no concern at all.

``tests/test_search_eval.py`` holds the suite to it; ``python bench/search_eval.py``
prints the figures per language and per kind.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from meso_formulary.catalogue.search.runner import Answer, LexiconCache, Query, run
from meso_formulary.errors import SearchError
from meso_formulary.folding import fold_key

EVAL_FILE = Path(__file__).parent / "data" / "search_eval.yaml"
TOP = 3


@dataclass(frozen=True)
class Outcome:
    """One query's result: right at 1, right at :data:`TOP`, and what was read."""

    entry: Mapping[str, Any]
    top1: bool
    top3: bool
    read: str


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, outcome: Outcome) -> None:
        self.n += 1
        self.top1 += outcome.top1
        self.top3 += outcome.top3

    def rates(self) -> tuple[float, float]:
        return (self.top1 / self.n, self.top3 / self.n) if self.n else (0.0, 0.0)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def by(self, key: str) -> dict[str, Tally]:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for outcome in self.outcomes:
            tallies[str(outcome.entry[key])].add(outcome)
        return dict(sorted(tallies.items()))

    def total(self) -> Tally:
        tally = Tally()
        for outcome in self.outcomes:
            tally.add(outcome)
        return tally

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.top3]

    def negatives_matched(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.entry["kind"] == "negative" and not o.top3]


def entries(path: Path = EVAL_FILE) -> list[dict[str, Any]]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return loaded


def _wanted(entry: Mapping[str, Any]) -> set[str]:
    concern = entry.get("concern")
    if concern is None:
        return set()
    return {concern} if isinstance(concern, str) else set(concern)


def _areas(conn: sqlite3.Connection, cocktail_id: str) -> set[str]:
    rows = conn.execute("SELECT area FROM cocktail_areas WHERE cocktail_id = ?", (cocktail_id,))
    return {area for (area,) in rows}


def _brands(conn: sqlite3.Connection, cocktail_id: str) -> set[str]:
    rows = conn.execute("SELECT key FROM cocktail_brands WHERE cocktail_id = ?", (cocktail_id,))
    return {key for (key,) in rows}


def _read(answer: Answer) -> str:
    parts = [c.indication_id.value for c in answer.concerns]
    parts += [f"area:{a.area.value}" for a in answer.areas]
    parts += [f"brand:{b.brand}" for b in answer.brands]
    parts += [f"client:{c.id.value}" for c in answer.screening.conditions]
    hits = [h.id.split("/", 1)[-1] for h in answer.hits[:TOP]]
    return f"read {parts or 'nothing'}; top {hits}"


def score(conn: sqlite3.Connection, entry: Mapping[str, Any], answer: Answer) -> Outcome:
    """Whether ``answer`` is right for ``entry`` at 1 and at :data:`TOP` (module doc)."""
    read = _read(answer)
    concerns = {c.indication_id.value for c in answer.concerns}
    if entry["kind"] == "negative":
        right = not concerns
        return Outcome(entry, right, right, read)
    wanted = _wanted(entry)
    if wanted and entry.get("area") not in (None, *(a.area.value for a in answer.areas)):
        return Outcome(entry, False, False, read)
    if entry.get("condition") is not None:
        screened = {c.id.value for c in answer.screening.conditions}
        right = entry["condition"] in screened and bool(wanted & concerns or not wanted)
        return Outcome(entry, right, right, read)

    if wanted & concerns and not answer.hits and answer.screening.hidden:
        return Outcome(entry, True, True, read)
    if wanted & concerns and not answer.hits and answer.untreated:
        # the concern was read and no cocktail treats it ("pimples": active acne); showing
        # nothing, and saying so, is the right answer, never another concern's cocktails
        return Outcome(entry, True, True, read)

    def right_at(hit_index: int) -> bool:
        hit = answer.hits[hit_index]
        if wanted:
            return bool(wanted & {i.value for i in hit.indications})
        if entry.get("brand") is not None:
            return fold_key(entry["brand"]) in _brands(conn, hit.id)
        if entry.get("area") is not None:
            return entry["area"] in _areas(conn, hit.id)
        return False

    found = [right_at(i) for i in range(min(TOP, len(answer.hits)))]
    return Outcome(entry, bool(found[:1] and found[0]), any(found), read)


def evaluate(conn: sqlite3.Connection, items: Iterable[Mapping[str, Any]]) -> Report:
    """Run every entry through the search on ``conn`` and score it."""
    report = Report()
    lexicons = LexiconCache()
    for entry in items:
        try:
            answer = run(conn, Query.parse(text=entry["q"], limit=TOP, facets=False), lexicons)
        except SearchError as error:  # a refusal is a miss, never a crash of the evaluation
            report.outcomes.append(Outcome(entry, False, False, f"refused: {error.message}"))
            continue
        report.outcomes.append(score(conn, entry, answer))
    return report
