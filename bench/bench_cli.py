"""Start-up time of the ``meso`` command, measured as whole processes.

    python bench/bench_cli.py [--runs 21] [--warmups 3]

Compares ``meso search "hair loss" --json``, three searches in a client's words (a sentence,
Portuguese, a typo) and every read command (``show``, ``compare``,
``indications``, ``conditions``, ``ingredients``, ``stats``, ``schedule``, each with
``--json``) with a floor: a bare ``python -c "import sqlite3"``, the least any Python
command costs. For
reference it also times a ``python -c`` that opens the same catalogue with sqlite3 and
runs one full-text query (what a search cannot do with less), and ``meso --help`` and
``meso --version``. Runs alternate between the commands (A, B, C, ... A, B, C ...), so
that a noisy neighbour slows all of them alike; each figure is the median of ``--runs``
runs after ``--warmups`` discarded ones. The targets: search at most 2.5 times the floor,
each read command at most 3 times.

The reference catalogue is built first into a temporary MESO_DATA_DIR, so no run pays for
building it, and the package's modules are compiled to bytecode first, as ``pip install``
does: with ``PYTHONDONTWRITEBYTECODE`` set (as in some CI and container set-ups) an editable
install would otherwise compile every changed module again in every run.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = 'floor (python -c "import sqlite3")'
FTS_QUERY = "python -c sqlite3 open + one FTS query"

TARGETS = {"search": 2.5, "read": 3.0}
"""The most each kind of command may take, as a multiple of the floor."""

SHOWN = "reference/dutasteride-hair"
OTHER = "reference/minoxidil-hair-cocktail"

READ_COMMANDS: dict[str, list[str]] = {
    f"meso show {SHOWN} --json": ["show", SHOWN, "--json"],
    f"meso compare {SHOWN} {OTHER} --json": ["compare", SHOWN, OTHER, "--json"],
    "meso indications --json": ["indications", "--json"],
    "meso conditions --json": ["conditions", "--json"],
    "meso ingredients --json": ["ingredients", "--json"],
    "meso stats --json": ["stats", "--json"],
    f"meso schedule {SHOWN} --start 2026-03-02 --json": [
        "schedule",
        SHOWN,
        "--start",
        "2026-03-02",
        "--json",
    ],
}
"""The read commands, on the reference catalogue, by the name the report prints."""

SEARCH = 'meso search "hair loss" --json'

SENTENCES: dict[str, list[str]] = {
    'meso search "what can I do about my dark circles" --json': [
        "search",
        "what can I do about my dark circles",
        "--json",
    ],
    'meso search "tenho muitas rugas na testa" --json': [
        "search",
        "tenho muitas rugas na testa",
        "--json",
    ],
    'meso search "celullite on my thighs" --json': ["search", "celullite on my thighs", "--json"],
}
"""Searches in a client's words: function words, a Portuguese phrase and area, a typo (the
stem and typo passes load PyStemmer and rapidfuzz; ``"hair loss"`` loads neither)."""

FLOOR_QUERY = 'SELECT rowid FROM cocktails_fts WHERE cocktails_fts MATCH \'"hair" "loss"\''


def meso_command() -> list[str]:
    """The installed console script next to this interpreter (what users run)."""
    script = Path(sys.executable).with_name("meso")
    found = str(script) if script.exists() else shutil.which("meso")
    if found is None:
        sys.exit("the meso command is not installed (pip install -e .)")
    return [found]


def build_reference(data_dir: Path) -> Path:
    """Build the reference catalogue into ``data_dir``; return its file."""
    env = {**os.environ, "MESO_DATA_DIR": str(data_dir)}
    probe = (
        "from meso_formulary.catalogue import Catalogue\n"
        "with Catalogue.default() as c: print(c.path)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return Path(result.stdout.strip())


def compile_package() -> None:
    """Write up-to-date bytecode for every module of the package (see the module doc)."""
    for name in ("meso_formulary", "meso_formulary.catalogue", "meso_formulary.cli"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            sys.exit(f"{name} is not installed (pip install -e .)")
        for folder in spec.submodule_search_locations:
            if not compileall.compile_dir(folder, quiet=1):
                sys.exit(f"cannot compile {folder}")


def time_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per command (>= 15)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed runs first")
    args = parser.parse_args()
    if args.runs < 15:
        parser.error("--runs must be at least 15")

    compile_package()
    with tempfile.TemporaryDirectory(prefix="meso-bench-") as tmp:
        data_dir = Path(tmp)
        db = build_reference(data_dir)
        env = {**os.environ, "MESO_DATA_DIR": str(data_dir)}
        env.pop("MESO_DB", None)
        meso = meso_command()
        commands = {
            FLOOR: [sys.executable, "-c", "import sqlite3"],
            FTS_QUERY: [
                sys.executable,
                "-c",
                f"import sqlite3; c = sqlite3.connect({str(db)!r}); "
                f"c.execute({FLOOR_QUERY!r}).fetchall()",
            ],
            SEARCH: [*meso, "search", "hair loss", "--json"],
            **{name: [*meso, *args] for name, args in SENTENCES.items()},
            **{name: [*meso, *args] for name, args in READ_COMMANDS.items()},
            "meso --help": [*meso, "--help"],
            "meso --version": [*meso, "--version"],
        }
        for _ in range(args.warmups):
            for command in commands.values():
                time_once(command, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(time_once(command, env))

    medians = {name: statistics.median(times) for name, times in samples.items()}
    floor = medians[FLOOR]
    width = max(map(len, medians))
    print(f"{args.runs} runs each after {args.warmups} warm-ups (median, alternating):")
    for name, median in medians.items():
        print(f"  {name:<{width}} {median * 1000:7.1f} ms  {median / floor:4.2f}x floor")
    for kind, names in (("search", [SEARCH, *SENTENCES]), ("read", list(READ_COMMANDS))):
        target = TARGETS[kind]
        worst = max(medians[name] / floor for name in names)
        verdict = "meets" if worst <= target else "misses"
        print(f"{kind}: slowest / floor = {worst:.2f} ({verdict} the {target}x target)")


if __name__ == "__main__":
    main()
