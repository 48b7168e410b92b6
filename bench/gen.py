"""Deterministic synthetic catalogues for benchmarks: N cocktails over 40 suppliers.

Every supplier publishes one ``CatalogueFile``-shaped document: a header (supplier block,
version, its own ingredient dictionary of 300 entries) and its cocktails. Cocktails are
generated lazily, one at a time, so a 100k catalogue never sits in memory.

- supplier sizes: zipf (s=0.8) over 40 suppliers, summing exactly to N;
- 10 to 60 distinct ingredients per cocktail (uniform count), drawn zipf-like (s=1.0) by
  popularity from the supplier's 300 ingredients; lines name an ingredient by its name,
  INCI name, a synonym or its id, in varied spellings (case, NBSP, NFD accents, ``B₁₂``), and
  one line in ten leaves the strength undisclosed;
- 1 to 4 indications, 1 to 3 areas, a protocol and an administration block.

``random.Random`` seeded from ``(seed, supplier)`` strings drives everything (no set
iteration, no hash order), so one seed always gives the same bytes. Usage::

    python bench/gen.py 10000 --seed 42 --out /tmp/gen-10000.jsonl   # prints sha256 and counts

The JSON Lines file holds, per supplier, a header line (it has the ``format`` key) followed
by that supplier's cocktail lines; :func:`read_jsonl` streams it back as documents.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import time
import unicodedata
from bisect import bisect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUPPLIERS = 40
INGREDIENTS_PER_SUPPLIER = 300
UNITS = ("mg/mL", "µg/mL", "% w/v", "IU/mL", "mmol/L")
UNIT_RANGES = {"mg/mL": 50.0, "µg/mL": 500.0, "% w/v": 5.0, "IU/mL": 1000.0, "mmol/L": 50.0}
CLASSES = (
    "vitamin", "mineral", "trace_element", "amino_acid", "hyaluronic_acid", "peptide",
    "antioxidant", "coenzyme", "nucleic_acid", "plant_extract", "lipolytic", "depigmenting",
    "vasoactive", "excipient",
)  # fmt: skip
INDICATIONS = (
    "skin_rejuvenation", "skin_laxity", "dark_circles", "acne_scarring", "stretch_marks",
    "cellulite", "skin_tightening", "hyperpigmentation", "alopecia", "localised_fat",
    "collagen_loss",
)  # fmt: skip
AREAS = ("face", "periorbital", "neck", "decolletage", "hands", "scalp", "abdomen", "thighs")
TECHNIQUES = ("epidermal", "nappage", "papule", "point_by_point", "microneedling")
STEMS = (
    "retinol", "biotin", "niacin", "cobalamin B₁₂", "ascorbyl", "tocopherol", "glycine", "lysine",
    "proline", "arginine", "zinc", "copper", "silicon", "magnesium", "hyaluronate", "glutathione",
    "lipoic", "coenzyme", "adenosine", "centella", "ginkgo", "melilot", "caffeine", "carnitine",
    "deoxycholate", "phosphatidyl", "tranexamic", "kojic", "arbutin", "éthyl crème", "peptide",
    "collagen", "elastin", "ornithine", "taurine", "inositol", "folate", "thiamine", "riboflavin",
    "pantothenate",
)  # fmt: skip
SYLLABLES = ("ka", "lo", "mi", "re", "su", "ta", "vi", "no", "pe", "dra", "sil", "mor", "quin")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def _vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    domain = ["skin", "hydration", "firming", "radiance", "elasticity", "glow", "volume",
              "texture", "collagen", "repair", "booster", "revitalising", "lifting"]  # fmt: skip
    return domain + [_word(rng) for _ in range(size - len(domain))]


def _zipf_cum(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def supplier_sizes(n: int) -> list[int]:
    """How many cocktails each of the 40 suppliers gets (zipf 0.8, summing to ``n``)."""
    weights = [1.0 / (rank**0.8) for rank in range(1, SUPPLIERS + 1)]
    total = sum(weights)
    raw = [n * w / total for w in weights]
    sizes = [int(x) for x in raw]
    by_remainder = sorted(range(SUPPLIERS), key=lambda i: (sizes[i] - raw[i], i))
    for i in by_remainder[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _spelling(rng: random.Random, name: str) -> str:
    """One of the spellings a supplier file might use for ``name``."""
    roll = rng.random()
    if roll < 0.70:
        return name
    if roll < 0.80:
        return name.upper()
    if roll < 0.88:
        return name.replace(" ", "\u00a0")
    if roll < 0.94:
        return unicodedata.normalize("NFD", name)
    return f"  {name.lower()} "


def _ingredients(rng: random.Random, supplier: str) -> list[dict[str, Any]]:
    items = []
    for k in range(INGREDIENTS_PER_SUPPLIER):
        stem = STEMS[k % len(STEMS)]
        name = f"{stem.capitalize()} {_word(rng)} {k}"
        item: dict[str, Any] = {
            "id": f"{supplier}-ing-{k}",
            "name": name,
            "inci": f"{stem.upper()} {k} {supplier.upper()}",
            "class": CLASSES[k % len(CLASSES)],
            "synonyms": [f"{_word(rng)} {k}"],
            "source": "synthetic benchmark data",
        }
        if rng.random() < 0.8:
            item["molecular_weight"] = round(rng.uniform(50, 900), 2)
        if rng.random() < 0.3:
            item["mg_per_iu"] = round(rng.uniform(1e-4, 0.1), 6)
        items.append(item)
    return items


def _cocktail(
    rng: random.Random,
    supplier: str,
    number: int,
    pool: list[dict[str, Any]],
    cum: list[float],
    vocabulary: list[str],
    vocab_cum: list[float],
) -> dict[str, Any]:
    wanted = rng.randint(10, 60)
    chosen: dict[int, None] = {}
    total = cum[-1]
    while len(chosen) < wanted:
        chosen[bisect(cum, rng.random() * total)] = None
    lines: list[dict[str, Any]] = []
    for index in chosen:
        ingredient = pool[index]
        how = rng.random()
        if how < 0.6:
            ref = _spelling(rng, ingredient["name"])
        elif how < 0.75:
            ref = ingredient["inci"]
        elif how < 0.9:
            ref = ingredient["synonyms"][0]
        else:
            ref = ingredient["id"]
        line: dict[str, Any] = {"ingredient": ref}
        if rng.random() >= 0.1:
            unit = rng.choice(UNITS)
            line["strength"] = {"value": round(rng.uniform(0.01, UNIT_RANGES[unit]), 3),
                                "unit": unit}  # fmt: skip
        lines.append(line)
    words = vocabulary
    description = " ".join(
        words[bisect(vocab_cum, rng.random() * vocab_cum[-1])] for _ in range(rng.randint(15, 50))
    )
    low = round(rng.uniform(0.1, 2.0), 1)
    return {
        "id": f"{supplier}/cocktail-{number}",
        "name": f"{_word(rng).capitalize()} {rng.choice(words)} {number}",
        "supplier": supplier,
        "description": description,
        "composition": lines,
        "vial_volume_ml": rng.choice((2.0, 5.0, 10.0)),
        "indications": rng.sample(INDICATIONS, rng.randint(1, 4)),
        "areas": rng.sample(AREAS, rng.randint(1, 3)),
        "administration": {
            "techniques": rng.sample(TECHNIQUES, rng.randint(1, 2)),
            "depth_mm": {"min": low, "max": round(low + rng.uniform(0.0, 2.0), 1)},
        },
        "protocol": {
            "sessions": rng.randint(1, 10),
            "interval_days": rng.choice((7, 14, 21, 28)),
            "source": "synthetic benchmark data",
        },
        "regulatory_status": rng.choice(("medical_device", "cosmetic", "unknown")),
        "sources": ["synthetic benchmark data"],
    }


def documents(n: int, seed: int = 42) -> Iterator[tuple[dict[str, Any], Iterator[dict[str, Any]]]]:
    """Per supplier with cocktails: its header and a lazy iterator of its cocktails.

    Consume each document's cocktails before asking for the next document.
    """
    for index, size in enumerate(supplier_sizes(n)):
        if size == 0:
            continue
        rng = random.Random(f"{seed}:{index}")
        supplier = f"supplier-{index:02d}"
        pool = _ingredients(rng, supplier)
        header = {
            "format": "meso-formulary/1",
            "supplier": {"id": supplier, "name": f"{_word(rng).capitalize()} Laboratories"},
            "version": 1,
            "ingredients": pool,
        }
        order = list(range(len(pool)))
        rng.shuffle(order)
        shuffled = [pool[i] for i in order]
        cum = _zipf_cum(len(pool), 1.0)
        vocabulary = _vocabulary(random.Random(f"{seed}:vocabulary"))
        vocab_cum = _zipf_cum(len(vocabulary), 1.05)
        cocktails = (
            _cocktail(rng, supplier, k, shuffled, cum, vocabulary, vocab_cum) for k in range(size)
        )
        yield header, cocktails


def write_jsonl(n: int, seed: int, path: Path) -> tuple[str, dict[str, int]]:
    """Write the catalogue to ``path`` as JSON Lines; return its sha256 and counts."""
    digest = hashlib.sha256()
    counts = {"suppliers": 0, "cocktails": 0, "lines": 0, "indication_links": 0}
    with path.open("w", encoding="utf-8") as out:
        for header, cocktails in documents(n, seed):
            counts["suppliers"] += 1
            for record in itertools.chain((header,), cocktails):
                text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                digest.update(text.encode())
                out.write(text)
                if "format" not in record:
                    counts["cocktails"] += 1
                    counts["lines"] += len(record["composition"])
                    counts["indication_links"] += len(record["indications"])
    return digest.hexdigest(), counts


def read_jsonl(path: Path) -> Iterator[tuple[dict[str, Any], Iterator[dict[str, Any]]]]:
    """Stream a file written by :func:`write_jsonl` back as ``(header, cocktails)`` documents.

    Like :func:`documents`, each document's cocktails must be consumed before the next.
    """
    with path.open(encoding="utf-8") as handle:
        lines = iter(handle)
        pending = next(lines, None)
        while pending is not None:
            header = json.loads(pending)
            pending = None

            def cocktails() -> Iterator[dict[str, Any]]:
                nonlocal pending
                for text in lines:
                    record = json.loads(text)
                    if "format" in record:
                        pending = text
                        return
                    yield record

            yield header, cocktails()


def cached(n: int, seed: int = 42, folder: Path | None = None) -> Path:
    """The JSON Lines file for ``(n, seed)``, written on first use under ``bench/.cache``."""
    folder = folder or Path(__file__).with_name(".cache")
    folder.mkdir(exist_ok=True)
    path = folder / f"gen-{n}-{seed}.jsonl"
    if not path.exists():
        temp = path.with_suffix(".tmp")
        write_jsonl(n, seed, temp)
        temp.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of cocktails (e.g. 1000, 10000, 100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="JSON Lines file (default: bench/.cache)")
    args = parser.parse_args()
    out = args.out or Path(__file__).with_name(".cache") / f"gen-{args.n}-{args.seed}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    sha, counts = write_jsonl(args.n, args.seed, out)
    elapsed = time.perf_counter() - start
    print(json.dumps({"n": args.n, "seed": args.seed, "sha256": sha, "seconds": round(elapsed, 2),
                      "file": str(out), **counts}))  # fmt: skip


if __name__ == "__main__":
    main()
