"""Search benchmark: ``search()`` on a library-built catalogue against a naive Python scan.

Usage::

    python bench/bench_search.py 100000 [--seed 42] [--queries 200]

The catalogue comes from ``bench/gen.py`` (seeded) and is imported by the library into
``bench/.cache/search-N-SEED.db`` on first use (the import is not timed here). Then, in one
run, on the same machine state:

- **search**: :func:`search` for ``--queries`` queries of each kind, with facets (what the web
  page asks for) and without (what the CLI's table asks for):

  - ``structured``: a lay concern + ``include`` one ingredient + ``exclude`` another, the
    ingredients drawn uniformly from the catalogue's names (name, INCI or synonym);
  - ``word``: one word, drawn uniformly from the distinct words of ingredient names (half)
    and of descriptions (half), as perf.md 4a drew its anchor queries;
  - ``two words``: two consecutive words of an ingredient name or a description, drawn the
    same way (the search requires both words, as a user typing two words expects);

  Words that are lay concerns ("firming", "glow") are left out: the structured kind covers
  concerns.

- **scan**: the same queries answered by a linear scan over the catalogue loaded once into
  Python lists (substring tests, a count-ranked top 20, the total, and, when the search
  computes facets, the same facets under the same policy: over every match up to
  ``FACET_LIMIT``, else over the best ``FACET_LIMIT``);
- **terms**: :meth:`Lexicon.concerns` over 200 perturbed lay terms (typo, swapped letters,
  doubled letter, truncation, joined words), reporting p50/p99, how many land on the
  right indication, and how many of a list of words that are not
  concerns (plain words such as "hair" or "skin", and reference ingredient names) wrongly
  become one; the same terms are scored by ``fuzz.ratio`` (what
  :mod:`~meso_formulary.catalogue.search.lexicon` uses) and by ``WRatio`` for comparison.

The objects that exist once everything is loaded (the scan's rows above all) are frozen out
of the cyclic garbage collector (``gc.freeze``) before anything is timed, so that neither
side pays for walking the harness's heap. Each figure is printed as one line: p50 and p99 in
milliseconds, and for search the
ratio ``scan p50 / search p50`` (and p99), with how many answers had facets over the best
``FACET_LIMIT`` matches only and how many ranked a sample of a text's matches (more than
``RANK_LIMIT``; see :mod:`meso_formulary.catalogue.search.runner`). Every query is run once
untimed first (warm cache).
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import random
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import gen
from rapidfuzz import fuzz, process, utils

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, lexicon, search
from meso_formulary.catalogue.search.lexicon import FUZZY_CUTOFF, Lexicon, word_key
from meso_formulary.catalogue.search.runner import FACET_LIMIT
from meso_formulary.model import CatalogueFile

CACHE = Path(__file__).with_name(".cache")


# ---------------------------------------------------------------- the catalogue


def build(n: int, seed: int) -> Path:
    """The library-built catalogue for ``(n, seed)``, imported on first use."""
    path = CACHE / f"search-{n}-{seed}.db"
    if path.exists():
        return path
    source = gen.cached(n, seed)
    temp = path.with_suffix(".tmp.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{temp}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    with Catalogue.open(temp) as catalogue, catalogue.importing() as session:
        for header, cocktails in gen.read_jsonl(source):
            session.add(CatalogueFile.model_validate(header), cocktails)
    print(f"built {path.name} in {time.perf_counter() - start:.1f} s")
    temp.replace(path)
    return path


# ---------------------------------------------------------------- the naive scan


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    supplier: str
    haystack: str
    indications: frozenset[str]
    ingredients: frozenset[str]
    classes: frozenset[str]


def load_rows(conn: sqlite3.Connection) -> list[Row]:
    """Every cocktail as a plain Python row: what a scan needs, loaded once."""
    classes = dict(conn.execute("SELECT id, ingredient_class FROM ingredients"))
    lines: dict[str, set[str]] = {}
    for cocktail_id, ingredient_id in conn.execute(
        "SELECT cocktail_id, ingredient_id FROM composition"
    ):
        lines.setdefault(cocktail_id, set()).add(ingredient_id)
    rows = []
    for cid, name, supplier, description, terms, indications in conn.execute(
        "SELECT id, name, supplier_id, description, search_terms, indications FROM cocktails"
    ):
        ingredients = frozenset(lines.get(cid, ()))
        rows.append(
            Row(
                cid,
                name,
                supplier,
                f"{name} {description} {terms}".casefold(),
                frozenset(json.loads(indications)),
                ingredients,
                frozenset(classes[i] for i in ingredients),
            )
        )
    return rows


def scan_facets(matches: Sequence[Row]) -> dict[str, Counter[str]]:
    facets: dict[str, Counter[str]] = {
        "indication": Counter(),
        "supplier": Counter(),
        "ingredient_class": Counter(),
    }
    for row in matches:
        facets["supplier"][row.supplier] += 1
        facets["indication"].update(row.indications)
        facets["ingredient_class"].update(row.classes)
    return facets


def wanted(facets: bool) -> int:
    """How many of the best matches a search reads: the page, or what its facets count."""
    return FACET_LIMIT if facets else 20


def scan_text(rows: Sequence[Row], words: Sequence[str], facets: bool) -> int:
    needles = [w.casefold() for w in words]
    matches = [r for r in rows if all(n in r.haystack for n in needles)]
    top = heapq.nlargest(
        wanted(facets), matches, key=lambda r: sum(r.haystack.count(n) for n in needles)
    )
    if facets:
        scan_facets(top)
    return len(matches)


def scan_structured(
    rows: Sequence[Row],
    indications: frozenset[str],
    include: frozenset[str],
    exclude: frozenset[str],
    facets: bool,
) -> int:
    matches = [
        r
        for r in rows
        if r.indications & indications and r.ingredients & include and not r.ingredients & exclude
    ]
    top = heapq.nsmallest(wanted(facets), matches, key=lambda r: (r.name, r.id))
    if facets:
        scan_facets(top)
    return len(matches)


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    request: SearchRequest
    scan: Callable[[bool], int]


def queries(
    conn: sqlite3.Connection, rows: Sequence[Row], lex: Lexicon, count: int, seed: int
) -> dict[str, list[Query]]:
    rng = random.Random(seed)
    synonyms = conn.execute(
        "SELECT indication_id, synonym FROM indication_synonyms ORDER BY key, indication_id"
    ).fetchall()
    names = conn.execute(
        "SELECT ingredient_id, name FROM ingredient_names WHERE ingredient_id IN "
        "(SELECT id FROM ingredients WHERE supplier_id IS NOT NULL) ORDER BY key, ingredient_id"
    ).fetchall()

    def words_of(text: str) -> list[str]:
        return re.findall(r"[^\W\d_]{3,}", text)

    structured: list[Query] = []
    while len(structured) < count:
        _, synonym = rng.choice(synonyms)
        (_, include), (_, exclude) = rng.sample(names, 2)
        concern = {m.indication_id.value for m in lex.concerns(synonym).concerns}
        plus = frozenset(lex.resolve_ingredient(include).ids)
        minus = frozenset(lex.resolve_ingredient(exclude).ids)
        if not concern or plus & minus:
            continue
        request = SearchRequest(text=synonym, include=(include,), exclude=(exclude,))
        structured.append(
            Query(request, partial(scan_structured, rows, frozenset(concern), plus, minus))
        )

    # Distinct words and word pairs, drawn uniformly (as perf.md 4a/4b drew theirs): half
    # from ingredient names, half from descriptions.
    name_rows = conn.execute(
        "SELECT name FROM ingredients WHERE supplier_id IS NOT NULL ORDER BY id"
    ).fetchall()
    text_rows = conn.execute("SELECT description FROM cocktails ORDER BY pk LIMIT 5000").fetchall()

    def grams(texts: list[tuple[str]], size: int) -> list[tuple[str, ...]]:
        found: dict[tuple[str, ...], None] = {}
        for (text,) in texts:
            words = words_of(text.casefold())
            for start in range(len(words) - size + 1):
                found[tuple(words[start : start + size])] = None
        return [g for g in found if not lex.concerns(" ".join(g)).concerns]

    def text_queries(size: int) -> list[Query]:
        pools = (grams(name_rows, size), grams(text_rows, size))
        picked = [rng.choice(pools[k % 2]) for k in range(count)]
        return [Query(SearchRequest(text=" ".join(p)), partial(scan_text, rows, p)) for p in picked]

    return {"structured": structured, "word": text_queries(1), "two words": text_queries(2)}


# ---------------------------------------------------------------- timing


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def p50_p99(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)
    ]


def bench_search(catalogue: Catalogue, kinds: dict[str, list[Query]]) -> None:
    for kind, items in kinds.items():
        for facets in (True, False):
            requests = [q.request.model_copy(update={"facets": facets}) for q in items]
            scan = [partial(q.scan, facets) for q in items]
            answers = [search(catalogue, r) for r in requests]  # warm-up
            totals = [a.total for a in answers]
            partial_facets = sum(facets and not a.facets_complete for a in answers)
            sampled = sum(not a.ranking_complete for a in answers)
            found = [call() for call in scan]
            if kind == "structured" and found != totals:  # the same question, the same answer
                sys.exit(f"scan and search disagree on {kind}: {found} != {totals}")
            lib = [timed(partial(search, catalogue, r)) for r in requests]
            naive = [timed(call) for call in scan]
            (lp50, lp99), (sp50, sp99) = p50_p99(lib), p50_p99(naive)
            label = f"{kind} ({'facets' if facets else 'no facets'})"
            print(
                f"search {label:26s} n={len(items)}  search p50 {lp50:7.2f} ms  p99 {lp99:7.2f} ms"
                f"  | scan p50 {sp50:7.2f} ms  p99 {sp99:7.2f} ms"
                f"  | scan/search p50 {sp50 / lp50:5.1f}x  p99 {sp99 / lp99:5.1f}x"
                f"  | hits median {statistics.median(totals):.0f} max {max(totals)}"
                f" (scan {statistics.median(found):.0f} / {max(found)})"
                f"  | facets over best {FACET_LIMIT}: {partial_facets}, ranked a sample: {sampled}"
            )


# ---------------------------------------------------------------- terms


PLAIN_WORDS = (
    "skin", "hair", "eyes", "fat", "face", "neck", "booster", "spots", "marks", "serum",
    "vitamin", "scalp", "cocktail", "injection", "body", "lips", "acid", "peptide", "chin",
    "thighs", "the", "a", "xqzt",
)  # fmt: skip
"""Words typed next to a concern that are not one ("hair" alone is not "hair loss")."""


def perturb(rng: random.Random, term: str) -> str:
    letters = list(term)
    inner = [i for i in range(1, len(letters) - 1) if letters[i].isalpha()]
    how = rng.randrange(5)
    if how == 0 and inner:  # a wrong letter
        letters[rng.choice(inner)] = rng.choice("aeiourstln")
    elif how == 1 and len(inner) > 1:  # two letters swapped
        i = rng.choice(inner[:-1])
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    elif how == 2 and inner:  # a doubled letter
        i = rng.choice(inner)
        letters.insert(i, letters[i])
    elif how == 3 and len(letters) > 8:  # the last letter missing
        letters.pop()
    else:  # words run together
        return term.replace(" ", "")
    return "".join(letters)


def bench_terms(lex: Lexicon, catalogue: Catalogue, seed: int) -> None:
    rng = random.Random(seed)
    rows = catalogue.conn.execute(
        "SELECT indication_id, synonym FROM indication_synonyms "
        "WHERE length(synonym) >= 8 ORDER BY key, indication_id"
    ).fetchall()
    terms = [(ind, perturb(rng, synonym)) for ind, synonym in rng.sample(rows, 200)]
    # Not concerns: plain words typed around a concern, and reference ingredient names.
    garbage = [*PLAIN_WORDS]
    garbage += [name for (name,) in catalogue.conn.execute(
        "SELECT name FROM ingredients WHERE supplier_id IS NULL ORDER BY id LIMIT 100"
    )]  # fmt: skip

    for term in (t for _, t in terms):
        lex.concerns(term)
    times = [timed(partial(lex.concerns, t)) for _, t in terms]
    p50, p99 = p50_p99(times)
    right = sum(
        any(m.indication_id.value == ind for m in lex.concerns(term).concerns)
        for ind, term in terms
    )
    false = sum(bool(lex.concerns(g).concerns) for g in garbage)
    print(
        f"terms  Lexicon.concerns over {len(terms)} perturbed lay terms  p50 {p50:6.3f} ms  "
        f"p99 {p99:6.3f} ms  | right indication {right}/{len(terms)}  "
        f"| not-concerns matched {false}/{len(garbage)}"
    )

    phrases = catalogue.conn.execute("SELECT synonym, indication_id FROM indication_synonyms")
    choices: list[str] = []
    owner: list[str] = []
    for synonym, ind in phrases:
        choices.append(utils.default_process(word_key(synonym)))
        owner.append(ind)
    for label, scorer in (("fuzz.ratio", fuzz.ratio), ("fuzz.WRatio", fuzz.WRatio)):
        hit = miss = 0
        samples = []
        for ind, term in terms:
            query = utils.default_process(word_key(term))
            start = time.perf_counter()
            best = process.extractOne(query, choices, scorer=scorer, processor=None,
                                      score_cutoff=FUZZY_CUTOFF)  # fmt: skip
            samples.append((time.perf_counter() - start) * 1000)
            hit += best is not None and owner[best[2]] == ind
        for word in garbage:
            query = utils.default_process(word_key(word))
            best = process.extractOne(query, choices, scorer=scorer, processor=None,
                                      score_cutoff=FUZZY_CUTOFF)  # fmt: skip
            miss += best is not None
        p50, p99 = p50_p99(samples)
        print(
            f"terms  scorer {label:12s} cutoff {FUZZY_CUTOFF:.0f}, whole term, {len(choices)} "
            f"synonyms  p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  | right {hit}/{len(terms)}  "
            f"| not-concerns matched {miss}/{len(garbage)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="search() against a naive scan")
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    path = build(args.n, args.seed)
    with Catalogue.open(path, readonly=True) as catalogue:
        start = time.perf_counter()
        rows = load_rows(catalogue.conn)
        print(
            f"scan: {len(rows)} cocktails loaded into Python in {time.perf_counter() - start:.1f} s"
        )
        lex = lexicon(catalogue)
        kinds = queries(catalogue.conn, rows, lex, args.queries, seed=7)
        # The scan's copy of the catalogue is millions of objects; a cyclic collection that
        # a timed call happens to trigger would walk them all (tens of ms), charging the
        # harness's heap to whichever side was running. Freeze what exists now out of the
        # collector: both sides then collect only their own garbage.
        gc.collect()
        gc.freeze()
        bench_search(catalogue, kinds)
        bench_terms(lex, catalogue, seed=11)


if __name__ == "__main__":
    main()
