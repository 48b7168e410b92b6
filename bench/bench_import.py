"""Import benchmark: the library import against the raw ``executemany`` floor, in one run.

Usage::

    python bench/bench_import.py 100000 [--seed 42] [--rounds 1] [--dir /tmp]

For the same synthetic catalogue (``bench/gen.py``, cached as JSON Lines), each mode runs
in its own fresh process on a fresh file, and the parent prints one line per figure:

- ``read``: only reading the JSON Lines file (``json.loads`` per record), the input cost
  both other modes include;
- ``raw``: stdlib ``sqlite3`` in one transaction (WAL, ``synchronous=NORMAL``) writing the
  same rows into the same tables with the least Python possible (names resolved through a
  plain dict, no validation), then the same post-load work as the library (secondary
  indexes, FTS5 rebuild, triggers, sampled ``ANALYZE``), shown as rows + post-load;
- ``library``: :meth:`Catalogue.importing` with every document streamed into it
  (validation, name resolution, mg/mL, digests, history, FTS and indexes included), its
  wall time and the peak RSS of its process.

The ratio ``library / raw`` compares two ways to the same database; ``library / raw rows
only`` is shown too. Both files are checked to hold the same number of rows per table.
Creating the empty schema and loading the reference dictionary is outside every timer.

Peak memory against file size::

    python bench/bench_import.py --files [--mib 4 20] [--big]

writes one supplier's catalogue as CSV, JSON and YAML of about each size (``--big``: also
200,000 cocktails as JSON, imported with ``--max-size``), runs ``meso validate`` and
``meso import --unsigned`` on each in a fresh process, and prints each process's peak RSS
next to the floor measured in the same run: the peak RSS of ``python -c "import sqlite3"``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import gen

TABLES = (
    "suppliers", "ingredients", "ingredient_names", "cocktails", "composition",
    "cocktail_indications", "cocktail_areas", "cocktail_techniques", "cocktail_versions",
    "catalogue_versions", "catalogue_version_cocktails", "cocktails_fts",
)  # fmt: skip
FACTORS = {"mg/mL": 1.0, "µg/mL": 1e-3, "% w/v": 10.0}
BATCH = 500


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _create(path: Path) -> None:
    """An empty catalogue with the reference dictionary (untimed set-up, same for both)."""
    from meso_formulary.catalogue import Catalogue

    _fresh(path)
    Catalogue.open(path).close()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- modes (child processes)


def run_read(source: Path) -> dict[str, Any]:
    start = time.perf_counter()
    count = 0
    for _header, cocktails in gen.read_jsonl(source):
        for _cocktail in cocktails:
            count += 1
    return {"seconds": time.perf_counter() - start, "cocktails": count}


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _indication_terms(conn: sqlite3.Connection) -> dict[str, str]:
    """Each indication's name and lay synonyms, as the library indexes them."""
    terms: dict[str, list[str]] = {}
    for indication, synonym in conn.execute(
        "SELECT indication_id, synonym FROM indication_synonyms ORDER BY indication_id, key"
    ):
        terms.setdefault(indication, []).append(synonym)
    return {key: " ".join(words) for key, words in terms.items()}


def _raw_document(
    conn: sqlite3.Connection,
    header: dict[str, Any],
    lines: Iterator[str],
    now: str,
    indication_terms: dict[str, str],
) -> None:
    supplier = header["supplier"]["id"]
    conn.execute(
        "INSERT INTO suppliers VALUES (?, ?, 1, NULL, 0, ?, ?)",
        (supplier, header["supplier"]["name"], json.dumps(header["supplier"]), now),
    )
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    weights: dict[str, float | None] = {}
    per_iu: dict[str, float | None] = {}
    classes: dict[str, str] = {}
    for item in header["ingredients"]:
        conn.execute(
            "INSERT INTO ingredients VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
            (item["id"], supplier, item["name"], item["inci"], item["class"],
             item.get("molecular_weight"), item.get("mg_per_iu"), json.dumps(item)),
        )  # fmt: skip
        keys = {_key(n): n for n in (item["id"], item["name"], item["inci"], *item["synonyms"])}
        conn.executemany(
            "INSERT INTO ingredient_names VALUES (?, ?, ?)",
            [(k, item["id"], n) for k, n in keys.items()],
        )
        ids.update((k, item["id"]) for k in keys)
        names[item["id"]] = " ".join(n for n in keys.values() if n != item["id"])
        weights[item["id"]] = item.get("molecular_weight")
        classes[item["id"]] = item["class"]
        per_iu[item["id"]] = item.get("mg_per_iu")
    resolved: dict[str, str] = {}
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    position = 0
    for text in lines:
        c = json.loads(text)
        cid = c["id"]
        digest = hashlib.sha256(text.encode()).hexdigest()
        terms = [header["supplier"]["name"]]
        kinds: set[str] = set()
        for pos, line in enumerate(c["composition"], start=1):
            raw = line["ingredient"]
            iid = resolved.get(raw) or resolved.setdefault(raw, ids[_key(raw)])
            terms.append(names[iid])
            kinds.add(classes[iid])
            strength = line.get("strength")
            if strength is None:
                rows["composition"].append((cid, pos, iid, None, None, None))
                continue
            value, unit = strength["value"], strength["unit"]
            factor = FACTORS.get(unit)
            if unit == "mmol/L" and weights[iid]:
                factor = weights[iid] / 1000
            elif unit == "IU/mL":
                factor = per_iu[iid]
            mg = value * factor if factor else None
            rows["composition"].append((cid, pos, iid, value, unit, mg))
        terms.extend(indication_terms[i] for i in c["indications"])
        techniques = c["administration"]["techniques"]
        rows["cocktails"].append((
            cid, supplier, c["name"], c["description"], " ".join(terms),
            len(c["composition"]), json.dumps(c["indications"]), json.dumps(c["areas"]),
            json.dumps(techniques), json.dumps(sorted(kinds)), c["regulatory_status"],
            c["vial_volume_ml"], "1", 1, digest, text, now,
        ))  # fmt: skip
        rows["cocktail_indications"].extend((cid, i) for i in c["indications"])
        rows["cocktail_areas"].extend((cid, a) for a in c["areas"])
        rows["cocktail_techniques"].extend((cid, t) for t in techniques)
        rows["cocktail_versions"].append((cid, 1, supplier, 1, digest, None, now))
        rows["catalogue_version_cocktails"].append((supplier, 1, position, cid, 1))
        position += 1
        if position % BATCH == 0:
            _raw_flush(conn, rows)
    _raw_flush(conn, rows)
    conn.execute(
        "INSERT INTO catalogue_versions VALUES (?, 1, ?, ?, ?, NULL, 0, ?)",
        (supplier, "0" * 64, json.dumps(header), position, now),
    )


COCKTAIL_COLUMNS = (
    "(id, supplier_id, name, description, search_terms, n_actives, indications, areas, "
    "techniques, classes, regulatory_status, vial_volume_ml, version, version_no, digest, "
    "record, updated_at)"
)


def _raw_flush(conn: sqlite3.Connection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    for table, batch in rows.items():
        if batch:
            marks = ", ".join("?" * len(batch[0]))
            columns = COCKTAIL_COLUMNS if table == "cocktails" else ""
            conn.executemany(f"INSERT INTO {table}{columns} VALUES ({marks})", batch)
            batch.clear()


def run_raw(source: Path, db: Path) -> dict[str, Any]:
    from meso_formulary.catalogue.store import sql_schema as schema

    _create(db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -65536")
    schema.drop_secondary_indexes(conn)
    schema.drop_fts_triggers(conn)
    now = "2026-01-01T00:00:00+00:00"
    indication_terms = _indication_terms(conn)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    with source.open(encoding="utf-8") as handle:
        pending = handle.readline()
        while pending:
            header = json.loads(pending)

            def lines() -> Iterator[str]:
                nonlocal pending
                for text in handle:
                    if text.startswith('{"format"'):
                        pending = text
                        return
                    yield text
                pending = ""

            _raw_document(conn, header, lines(), now, indication_terms)
    conn.execute("COMMIT")
    loaded = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    schema.create_secondary_indexes(conn)
    schema.rebuild_fts(conn)
    schema.create_fts_triggers(conn)
    schema.analyze(conn)
    conn.execute("COMMIT")
    done = time.perf_counter()
    conn.close()
    return {"load": loaded - start, "seconds": done - start, "peak_rss_mb": _peak_rss_mb()}


def run_library(source: Path, db: Path) -> dict[str, Any]:
    from meso_formulary.catalogue import Catalogue
    from meso_formulary.model import CatalogueFile

    _create(db)
    with Catalogue.open(db) as catalogue:
        assert catalogue.reference.digest  # load the shipped dictionary outside the timer
        start = time.perf_counter()
        with catalogue.importing() as session:
            for header, cocktails in gen.read_jsonl(source):
                session.add(CatalogueFile.model_validate(header), cocktails)
            loaded = time.perf_counter()
        done = time.perf_counter()
    return {"load": loaded - start, "seconds": done - start, "peak_rss_mb": _peak_rss_mb()}


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


# ---------------------------------------------------------------- orchestration


def _child(mode: str, source: Path, db: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--source", str(source), "--db", str(db)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        sys.exit(f"{mode} run failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


POOL = ("sodium-hyaluronate", "biotin", "dexpanthenol", "niacinamide", "glycine", "proline")
COLUMNS = (
    "supplier_id", "supplier_name", "catalogue_version", "cocktail_id", "cocktail_name",
    "description", "indications", "areas", "ingredient", "value", "unit",
)  # fmt: skip


def _supplier_cocktails(n: int) -> Iterator[dict[str, Any]]:
    for k in range(n):
        yield {
            "id": f"acme/c-{k}",
            "name": f"Cocktail {k}",
            "supplier": "acme",
            "description": f"A synthetic scalp cocktail number {k} for the memory bench. " * 12,
            "indications": ["alopecia"],
            "areas": ["scalp"],
            "composition": [
                {"ingredient": name, "strength": {"value": 0.5, "unit": "mg/mL"}}
                for name in POOL[: 3 + k % 3]
            ],
        }


def write_supplier_file(path: Path, n: int) -> None:
    """One supplier's ``n`` cocktails as a catalogue file in ``path``'s format."""
    header = {"format": "meso-formulary/1", "supplier": {"id": "acme", "name": "Acme"}}
    with path.open("w", encoding="utf-8", newline="") as out:
        if path.suffix == ".csv":
            import csv

            rows = csv.writer(out)
            rows.writerow(COLUMNS)
            for item in _supplier_cocktails(n):
                for m, line in enumerate(item["composition"]):
                    cells = [item["description"], "alopecia", "scalp"] if m == 0 else ["", "", ""]
                    rows.writerow(["acme", "Acme", 1, item["id"], item["name"], *cells,
                                   line["ingredient"], 0.5, "mg/mL"])  # fmt: skip
        elif path.suffix == ".json":
            out.write(json.dumps({**header, "version": 1})[:-1] + ', "cocktails": [\n')
            for k, item in enumerate(_supplier_cocktails(n)):
                out.write(("," if k else "") + json.dumps(item) + "\n")
            out.write("]}\n")
        else:
            out.write("format: meso-formulary/1\nsupplier: {id: acme, name: Acme}\n")
            out.write("version: 1\ncocktails:\n")
            for item in _supplier_cocktails(n):
                out.write("- " + json.dumps(item) + "\n")  # JSON is YAML 1.2 flow style


def _cocktails_for(mib: float, suffix: str, directory: Path) -> int:
    """How many cocktails make a file of about ``mib`` MiB in this format."""
    probe = directory / f"probe{suffix}"
    write_supplier_file(probe, 1000)
    per = probe.stat().st_size / 1000
    probe.unlink()
    return max(1, int(mib * 2**20 * 0.97 / per))


def _peak_of(command: list[str]) -> tuple[float, int]:
    """Peak RSS (MB) of ``command`` run in a fresh process, and its exit code."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True)
    kib, code = out.stdout.split()
    return int(kib) / 1024, int(code)


def run_files(mibs: list[float], big: bool, directory: Path) -> None:
    """Print the peak RSS of validating and importing files of each size and format."""
    meso = [sys.executable, "-m", "meso_formulary"]
    floor, _ = _peak_of([sys.executable, "-c", "import sqlite3"])
    print(f"floor: python -c 'import sqlite3' peaks at {floor:.0f} MB")
    print(f"{'file':>28} {'size':>9} {'validate':>16} {'import':>16}")
    cases = [(mib, suffix, None) for mib in mibs for suffix in (".csv", ".json", ".yaml")]
    if big:
        cases.append((0, ".json", 200_000))
    for mib, suffix, count in cases:
        n = count or _cocktails_for(mib, suffix, directory)
        path = directory / f"bench-memory-{n}{suffix}"
        write_supplier_file(path, n)
        size = path.stat().st_size / 2**20
        limit = ["--max-size", f"{int(size) + 10}MiB"] if size > 20 else []
        db = directory / f"bench-memory-{n}.db"
        _fresh(db)
        validate, code_v = _peak_of([*meso, "validate", *limit, str(path)])
        imported, code_i = _peak_of(
            [*meso, "import", "--unsigned", *limit, "--db", str(db), str(path)]
        )
        flag = "" if code_v == code_i == 0 else f"  (exit codes {code_v}, {code_i})"
        print(
            f"{path.name:>28} {size:7.1f}MiB {validate:6.0f} MB {validate / floor:5.1f}x "
            f"{imported:6.0f} MB {imported / floor:5.1f}x{flag}"
        )
        path.unlink()
        _fresh(db)


def main() -> None:
    parser = argparse.ArgumentParser(description="library import vs raw executemany")
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")))
    parser.add_argument("--child", choices=("read", "raw", "library"), help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--files", action="store_true", help="peak RSS against file size")
    parser.add_argument("--mib", type=float, nargs="*", default=[4.0, 20.0])
    parser.add_argument("--big", action="store_true", help="with --files: 200,000 cocktails too")
    args = parser.parse_args()
    if args.files:
        run_files(args.mib, args.big, args.dir)
        return
    if args.child:
        if args.child == "read":
            print(json.dumps(run_read(args.source)))
        elif args.child == "raw":
            print(json.dumps(run_raw(args.source, args.db)))
        else:
            print(json.dumps(run_library(args.source, args.db)))
        return

    start = time.perf_counter()
    source = gen.cached(args.n, args.seed)
    size = source.stat().st_size / 1e6
    print(f"catalogue {source} ({size:.0f} MB, ready in {time.perf_counter() - start:.1f} s)")
    raw_db, lib_db = args.dir / f"bench-raw-{args.n}.db", args.dir / f"bench-lib-{args.n}.db"
    results: dict[str, list[dict[str, Any]]] = {"read": [], "raw": [], "library": []}
    for _ in range(args.rounds):  # interleaved rounds
        results["read"].append(_child("read", source, raw_db))
        results["raw"].append(_child("raw", source, raw_db))
        results["library"].append(_child("library", source, lib_db))
    report(results, args.n, counts(raw_db), counts(lib_db))
    print(f"(N={args.n}, seed={args.seed}, rounds={args.rounds}, medians; {raw_db}, {lib_db})")


def report(
    results: dict[str, list[dict[str, Any]]],
    n: int,
    raw_rows: dict[str, int],
    lib_rows: dict[str, int],
) -> None:
    """Print one line per figure, the ratios, and whether both files hold the same rows."""

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    read = median("read", "seconds")
    raw_load, raw = median("raw", "load"), median("raw", "seconds")
    lib_load, lib = median("library", "load"), median("library", "seconds")
    rss, raw_rss = median("library", "peak_rss_mb"), median("raw", "peak_rss_mb")
    print(f"read     {read:7.2f} s  reading the JSON Lines input only (json.loads)")
    print(
        f"raw      {raw:7.2f} s  = {raw_load:.2f} s rows + {raw - raw_load:.2f} s indexes/FTS"
        f"  ({n / raw:,.0f} cocktails/s)"
    )
    print(
        f"library  {lib:7.2f} s  = {lib_load:.2f} s documents + {lib - lib_load:.2f} s "
        f"indexes/FTS/commit  ({n / lib:,.0f} cocktails/s)"
    )
    print(
        f"ratio    library / raw = {lib / raw:.2f}x (target <= 2x); "
        f"library / raw rows only = {lib / raw_load:.2f}x"
    )
    print(f"memory   library peak RSS {rss:.0f} MB (target < 400 MB); raw {raw_rss:.0f} MB")
    if raw_rows != lib_rows:
        sys.exit(f"rows     DIFFERENT: raw {raw_rows}, library {lib_rows}")
    print(f"rows     same in both files: {lib_rows}")


if __name__ == "__main__":
    main()
