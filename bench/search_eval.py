"""Print the search's accuracy on the labelled evaluation set, per language and per kind.

    python bench/search_eval.py [--misses] [--set tests/data/search_holdout.yaml]

Runs every query of ``tests/data/search_eval.yaml`` through ``meso search``'s engine on the
embedded reference catalogue (see ``tests/search_evaluation.py`` for how each is scored) and
prints top-1 and top-3 accuracy per language, per kind and overall; ``--misses`` lists the
queries not right in the top 3, with what the search read. ``--set`` measures another file:
``tests/data/search_holdout.yaml`` is a second blind set that the vocabulary was never tuned
on (the main set was: its misses taught the vocabulary words), so it says how well the
search generalises.
"""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from search_evaluation import EVAL_FILE, Report, Tally, entries, evaluate

from meso_formulary.catalogue.store.default_connection import connect_default


def _rows(title: str, tallies: dict[str, Tally]) -> list[str]:
    lines = [f"{title:<12} {'n':>4} {'top-1':>7} {'top-3':>7}"]
    for name, tally in tallies.items():
        top1, top3 = tally.rates()
        lines.append(f"{name:<12} {tally.n:>4} {top1:>7.1%} {top3:>7.1%}")
    return lines


def main(argv: list[str]) -> int:
    path = Path(argv[argv.index("--set") + 1]) if "--set" in argv else EVAL_FILE
    with closing(connect_default()) as conn:
        report: Report = evaluate(conn, entries(path))
    total = report.total()
    top1, top3 = total.rates()
    print("\n".join(_rows("language", report.by("lang"))))
    print()
    print("\n".join(_rows("kind", report.by("kind"))))
    print()
    print(f"{'all':<12} {total.n:>4} {top1:>7.1%} {top3:>7.1%}")
    print(f"negatives read as a concern: {len(report.negatives_matched())}")
    if "--misses" in argv:
        print()
        for outcome in report.misses():
            entry = outcome.entry
            labels = ("concern", "area", "brand", "condition")
            expected = {k: entry[k] for k in labels if k in entry}
            where = f"[{entry['lang']} {entry['kind']}]"
            print(f"{where} {entry['q']!r} want {expected}: {outcome.read}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
