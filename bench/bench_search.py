"""Search benchmark: ``search()`` on a library-built catalogue against a naive Python scan.

Usage::

    python bench/bench_search.py 100000 [--seed 42] [--queries 200] [--kinds hostile,terms]

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
  - ``sentence``: a concern phrase inside ordinary words ("what can I do about my {concern}
    please", "{concern} on my {word}", ... :data:`SENTENCES`), the phrase drawn from the
    catalogue's ``search_phrases`` rows of kind 'indication', the words from descriptions:
    the search reads the concern (an indication filter) and ranks by the other words;
  - ``hostile``: texts of up to :data:`~meso_formulary.catalogue.search.runner.MAX_TEXT`
    characters built to be expensive (:func:`hostile_texts`: prefix words, 80 common
    words, 100 one-letter words, a concern and 60 prefix words, one word repeated), run
    under the search's default time budget. Each must return an answer or be refused
    with :class:`SearchError`; how many the budget stopped is printed (ideally 0), and
    any other failure makes the run exit non-zero.

  Words that are lay concerns ("firming", "glow"), areas or brands are left out of the
  ``word`` and ``two words`` kinds: the structured and sentence kinds cover concerns.

- **scan**: the same queries answered by a linear scan over the catalogue loaded once into
  Python lists (substring tests, a count-ranked top 20, the total, and, when the search
  computes facets, the same facets under the same policy: over every match up to
  ``FACET_LIMIT``, else over the best ``FACET_LIMIT``). For ``structured`` and
  ``sentence`` the scan asks the search's exact question (for a sentence: any of the
  indications the search read), so their totals must agree, or the run stops. Hostile
  texts have no scan: no ratio is printed for them;
- **terms**: :meth:`Lexicon.read` over 200 perturbed lay terms (typo, swapped letters,
  doubled letter, truncation, joined words), reporting p50/p99, how many land on the
  right indication, and how many of a list of words that are not
  concerns (plain words such as "hair" or "skin", and reference ingredient names) wrongly
  become one; the same terms are scored by ``fuzz.ratio`` (what
  :mod:`~meso_formulary.catalogue.search.reading` uses) and by ``WRatio`` for comparison.

The objects that exist once everything is loaded (the scan's rows above all) are frozen out
of the cyclic garbage collector (``gc.freeze``) before anything is timed, so that neither
side pays for walking the harness's heap. Each figure is printed as one line: p50 and p99 in
milliseconds, and for search the
ratio ``scan p50 / search p50`` (and p99), with how many answers had facets over the best
``FACET_LIMIT`` matches only and how many ranked a sample of a text's matches (more than
``RANK_LIMIT``; see :mod:`meso_formulary.catalogue.search.runner`). Hostile lines add how
many the time budget stopped, how many were refused otherwise, a line per pattern (p50,
p99, the slowest text) and the time of :meth:`Lexicon.read` alone over the same texts.
Every query is run once untimed first (warm cache). ``--kinds`` runs some of ``structured,
word, two words, sentence, hostile, terms`` only (the scan is loaded only for the first four).
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
from meso_formulary.catalogue.search.lexicon import Lexicon, word_key
from meso_formulary.catalogue.search.reading import FUZZY_CUTOFF, Reading
from meso_formulary.catalogue.search.runner import FACET_LIMIT, MAX_TEXT
from meso_formulary.errors import SearchError
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


@dataclass(frozen=True)
class Hostile:
    """A text built to be expensive (see :func:`hostile_texts`); it has no scan."""

    pattern: str
    text: str

    @property
    def request(self) -> SearchRequest:
        return SearchRequest(text=self.text)


def names_anything(reading: Reading) -> bool:
    return bool(reading.concerns or reading.areas or reading.brands)


def words_of(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]{3,}", text)


def description_words(
    conn: sqlite3.Connection, lex: Lexicon
) -> tuple[list[str], list[str], list[str]]:
    """Words of the first 5,000 descriptions: every distinct one the catalogue reads as
    nothing (no concern, area or brand), the 200 in the most descriptions, and the 200 in
    the most descriptions that it reads as nothing; most common first."""
    counts: Counter[str] = Counter()
    for (text,) in conn.execute("SELECT description FROM cocktails ORDER BY pk LIMIT 5000"):
        counts.update(set(words_of(text.casefold())))
    plain = [w for w in sorted(counts) if not names_anything(lex.read(conn, w))]
    kept = set(plain)
    common = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return plain, common[:200], [w for w in common if w in kept][:200]


def concern_phrases(conn: sqlite3.Connection, lex: Lexicon) -> list[tuple[str, frozenset[str]]]:
    """Every ``search_phrases`` row of kind 'indication' (as typed), with the indications the
    search reads it as (phrases it reads as nothing, or as a brand, left out)."""
    found = []
    for (phrase,) in conn.execute(
        "SELECT DISTINCT phrase FROM search_phrases WHERE kind = 'indication' ORDER BY phrase"
    ):
        reading = lex.read(conn, phrase)
        if reading.concerns and not reading.brands:
            found.append((phrase, frozenset(m.indication_id.value for m in reading.concerns)))
    return found


SENTENCES = (
    "what can I do about my {concern} please",
    "{concern} on my {word}",
    "my client has {concern} and asks about {word}",
    "is there anything for {concern} with {word}",
    "best cocktail for {concern}, {word} and {word2} if possible",
)
"""How a concern is typed inside ordinary words (``sentence`` queries)."""


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

    structured: list[Query] = []
    while len(structured) < count:
        _, synonym = rng.choice(synonyms)
        (_, include), (_, exclude) = rng.sample(names, 2)
        concern = {m.indication_id.value for m in lex.read(conn, synonym).concerns}
        plus = frozenset(lex.resolve_ingredient(include).ids)
        minus = frozenset(lex.resolve_ingredient(exclude).ids)
        if not concern or plus & minus:
            continue
        request = SearchRequest(text=synonym, include=(include,), exclude=(exclude,))
        structured.append(
            Query(request, partial(scan_structured, rows, frozenset(concern), plus, minus))
        )

    # Distinct words and word pairs, drawn uniformly (as perf.md 4a/4b drew theirs): half
    # from ingredient names, half from descriptions. A draw the catalogue reads as a
    # concern, area or brand is drawn again (uniform over the others).
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
        return list(found)

    def text_queries(size: int) -> list[Query]:
        pools = (grams(name_rows, size), grams(text_rows, size))
        picked: list[tuple[str, ...]] = []
        while len(picked) < count:
            gram = rng.choice(pools[len(picked) % 2])
            if not names_anything(lex.read(conn, " ".join(gram))):
                picked.append(gram)
        return [Query(SearchRequest(text=" ".join(p)), partial(scan_text, rows, p)) for p in picked]

    kinds = {"structured": structured, "word": text_queries(1), "two words": text_queries(2)}

    # A concern phrase inside ordinary words: the search reads the concern (an indication
    # filter) and ranks by the other words; the scan filters by the same indications and
    # ranks by how often the other words occur.
    plain, _, _ = description_words(conn, lex)
    phrases = concern_phrases(conn, lex)
    sentences: list[Query] = []
    while len(sentences) < count:
        phrase, _ = rng.choice(phrases)
        word, word2 = rng.sample(plain, 2)
        text = rng.choice(SENTENCES).format(concern=phrase, word=word, word2=word2)
        reading = lex.read(conn, text)
        if not reading.concerns or reading.brands:
            continue
        indications = frozenset(m.indication_id.value for m in reading.concerns)
        others = tuple(w.casefold() for w in reading.remainder)
        scan = partial(scan_sentence, rows, indications, others)
        sentences.append(Query(SearchRequest(text=text), scan))
    kinds["sentence"] = sentences
    return kinds


def scan_sentence(
    rows: Sequence[Row], indications: frozenset[str], words: Sequence[str], facets: bool
) -> int:
    matches = [r for r in rows if r.indications & indications]
    top = heapq.nlargest(
        wanted(facets),
        matches,
        key=lambda r: (len(r.indications & indications), sum(r.haystack.count(w) for w in words)),
    )
    if facets:
        scan_facets(top)
    return len(matches)


def fill(parts: Sequence[str], most: int | None = None) -> str:
    """``parts`` joined by spaces, as many as fit in :data:`MAX_TEXT` (and ``most``)."""
    text = ""
    for n, part in enumerate(parts):
        if most is not None and n == most:
            break
        longer = f"{text} {part}" if text else part
        if len(longer) > MAX_TEXT:
            break
        text = longer
    return text


HOSTILE = ("prefixes", "common words", "letters", "concern + prefixes", "one word repeated")
"""The hostile patterns, drawn in turn: (a) to (e) of issue 12."""


def hostile_texts(conn: sqlite3.Connection, lex: Lexicon, count: int, seed: int) -> list[Hostile]:
    """``count`` texts of at most :data:`MAX_TEXT` characters built to be expensive, the
    patterns of :data:`HOSTILE` in turn, each variant drawn with ``seed``:

    - ``prefixes``: prefix words of one letter ("a* q* ...", 166 of them: the text that took
      25 s at 200k cocktails) and of two letters ("ab* cd* ...", the 125 that fit), in turn;
    - ``common words``: 80 distinct words of at most six letters (so that 80 fit) among the
      200 in the most descriptions, in random order; every other variant only words read as
      nothing (free text only: all of them required), the ten most common first;
    - ``letters``: 100 one-letter words;
    - ``concern + prefixes``: a concern phrase, then 60 common words each with ``*`` (as
      many as fit);
    - ``one word repeated``: one word (a common description word, a concern phrase, or a
      common word with ``*``) repeated up to 500 characters.
    """
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    _, common, common_plain = description_words(conn, lex)
    short = [w for w in common if len(w) <= 6]
    short_plain = [w for w in common_plain if len(w) <= 6]
    phrases = [p for p, _ in concern_phrases(conn, lex)]
    texts: list[Hostile] = []
    for k in range(count):
        pattern = HOSTILE[k % len(HOSTILE)]
        variant = k // len(HOSTILE)
        if pattern == "prefixes":
            size = 1 + variant % 2
            parts = ["".join(rng.choices(letters, k=size)) + "*" for _ in range(166)]
            text = fill(parts)
        elif pattern == "common words":
            if variant % 2:  # free words only, the ten most common first
                rest = short_plain[10:]
                text = fill(short_plain[:10] + rng.sample(rest, len(rest)), 80)
            else:
                text = fill(rng.sample(short, len(short)), 80)
        elif pattern == "letters":
            text = fill(rng.choices(letters, k=100))
        elif pattern == "concern + prefixes":
            text = fill([rng.choice(phrases), *(w + "*" for w in rng.sample(short, 60))], 61)
        else:
            how = variant % 3
            word = rng.choice(common if how == 0 else phrases if how == 1 else short)
            text = fill([word + ("*" if how == 2 else "")] * MAX_TEXT)
        texts.append(Hostile(pattern, text))
    return texts


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


CHECKED = ("structured", "sentence")
"""Kinds whose scan asks exactly the search's question: their totals must agree."""


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
            if kind in CHECKED and found != totals:  # the same question, the same answer
                wrong = [
                    (r.text, f, t)
                    for r, f, t in zip(requests, found, totals, strict=True)
                    if f != t
                ]
                sys.exit(f"scan and search disagree on {kind} (text, scan, search): {wrong[:5]}")
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
                f"  | facets over best {FACET_LIMIT}: {partial_facets}, ranked a sample: {sampled}",
                flush=True,
            )


@dataclass
class Outcome:
    """One hostile search: its time, and its answer's total or how it was refused."""

    ms: float
    total: int | None = None
    stopped: bool = False
    """Refused because its SQL ran past the time budget."""
    refused: str | None = None
    """Any other :class:`SearchError` (or a failure: that is a bug)."""


def hostile_search(catalogue: Catalogue, request: SearchRequest) -> Outcome:
    start = time.perf_counter()
    try:
        total, stopped, refused = search(catalogue, request).total, False, None
    except SearchError as error:
        total, stopped = None, "took longer than" in error.message
        refused = None if stopped else f"SearchError: {error.message}"
    except Exception as error:
        total, stopped, refused = None, False, f"FAILED {type(error).__name__}: {error}"
    return Outcome((time.perf_counter() - start) * 1000, total, stopped, refused)


def bench_hostile(catalogue: Catalogue, lex: Lexicon, texts: Sequence[Hostile]) -> bool:
    """Each hostile text through :func:`search` (the default time budget), with facets and
    without; False when one failed other than by a :class:`SearchError`."""
    ok = True
    for facets in (True, False):
        requests = [h.request.model_copy(update={"facets": facets}) for h in texts]
        for request in requests:  # warm-up
            hostile_search(catalogue, request)
        outcomes = [hostile_search(catalogue, r) for r in requests]
        p50, p99 = p50_p99([o.ms for o in outcomes])
        totals = [o.total for o in outcomes if o.total is not None]
        stopped = sum(o.stopped for o in outcomes)
        refused = [o.refused for o in outcomes if o.refused]
        ok = ok and not any(r.startswith("FAILED") for r in refused)
        label = f"hostile ({'facets' if facets else 'no facets'})"
        hits = f"median {statistics.median(totals):.0f} max {max(totals)}" if totals else "none"
        print(
            f"search {label:26s} n={len(texts)}  search p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
            f"  | scan: none (texts built to be expensive, no scan answers them alike)"
            f"  | stopped by the time budget: {stopped}  | other refusals: {len(refused)}"
            f"  | answered {len(totals)}, hits {hits}",
            flush=True,
        )
        for pattern in HOSTILE:
            mine = [(h, o) for h, o in zip(texts, outcomes, strict=True) if h.pattern == pattern]
            slowest, worst = max(mine, key=lambda item: item[1].ms)
            pp50, pp99 = p50_p99([o.ms for _, o in mine])
            print(
                f"       {pattern:22s} n={len(mine):3d}  p50 {pp50:7.2f} ms  p99 {pp99:7.2f} ms"
                f"  max {worst.ms:7.2f} ms ({len(slowest.text)} chars: {slowest.text[:60]!r}...)"
            )
        for message in dict.fromkeys(refused):
            print(f"       refused: {message}")
    # The reading alone (Lexicon.read: its SQL lookups and its Python, which the time
    # budget cannot stop).
    conn = catalogue.conn
    for h in texts:
        lex.read(conn, h.text)
    reads = [timed(partial(lex.read, conn, h.text)) for h in texts]
    p50, p99 = p50_p99(reads)
    print(f"hostile Lexicon.read alone   n={len(texts)}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms")
    return ok


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
    conn = catalogue.conn
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
        lex.read(conn, term)
    times = [timed(partial(lex.read, conn, t)) for _, t in terms]
    p50, p99 = p50_p99(times)
    right = sum(
        any(m.indication_id.value == ind for m in lex.read(conn, term).concerns)
        for ind, term in terms
    )
    false = sum(bool(lex.read(conn, g).concerns) for g in garbage)
    print(
        f"terms  Lexicon.read over {len(terms)} perturbed lay terms  p50 {p50:6.3f} ms  "
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


KINDS = ("structured", "word", "two words", "sentence", "hostile", "terms")


def main() -> None:
    parser = argparse.ArgumentParser(description="search() against a naive scan")
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated, of: {', '.join(KINDS)} (default: all)",
    )
    args = parser.parse_args()
    chosen = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if unknown := [k for k in chosen if k not in KINDS]:
        parser.error(f"unknown kinds {unknown}; choose among {', '.join(KINDS)}")

    path = build(args.n, args.seed)
    ok = True
    with Catalogue.open(path, readonly=True) as catalogue:
        scanned = [k for k in chosen if k not in ("hostile", "terms")]
        rows: list[Row] = []
        if scanned:
            start = time.perf_counter()
            rows = load_rows(catalogue.conn)
            print(
                f"scan: {len(rows)} cocktails loaded into Python in "
                f"{time.perf_counter() - start:.1f} s"
            )
        lex = lexicon(catalogue)
        kinds = queries(catalogue.conn, rows, lex, args.queries, seed=7) if scanned else {}
        kinds = {k: v for k, v in kinds.items() if k in scanned}
        hostile = hostile_texts(catalogue.conn, lex, args.queries, seed=13)
        # The scan's copy of the catalogue is millions of objects; a cyclic collection that
        # a timed call happens to trigger would walk them all (tens of ms), charging the
        # harness's heap to whichever side was running. Freeze what exists now out of the
        # collector: both sides then collect only their own garbage.
        gc.collect()
        gc.freeze()
        bench_search(catalogue, kinds)
        if "hostile" in chosen:
            ok = bench_hostile(catalogue, lex, hostile)
        if "terms" in chosen:
            bench_terms(lex, catalogue, seed=11)
    if not ok:
        sys.exit("a hostile search failed other than by SearchError (see 'refused' above)")


if __name__ == "__main__":
    main()
