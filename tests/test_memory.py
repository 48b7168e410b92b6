"""Bounded memory for large catalogue files: streamed reading, checking and importing.

A file of :data:`~meso_formulary.files.document.STREAM_BYTES` or more is read as a stream
(JSON, YAML and CSV alike): one pass checks it all, then its cocktails are checked and
imported one at a time, never all held as models. These tests check that the streamed
readers give exactly what the whole-file readers give (data, problems and their lines),
that a refused streamed import leaves the catalogue unchanged, that ``--max-size`` lets a
trusted large file through, and the peak memory of an import in its own process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml

from meso_formulary.files import MAX_BYTES, document, parse_csv, parse_json, parse_yaml, read
from meso_formulary.files.json_reader import JsonCocktails
from meso_formulary.files.read import read_document
from meso_formulary.files.source import CocktailStream
from tests.cli_support import Meso
from tests.helpers_catalogue import content_digest

POOL = ("sodium-hyaluronate", "biotin", "dexpanthenol", "niacinamide", "glycine", "proline")
DESCRIPTION = "A synthetic scalp cocktail for memory tests. " * 40  # some 1.8 kB


def cocktails(n: int, *, bad: int | None = None) -> list[dict[str, object]]:
    """``n`` valid cocktails of supplier acme; cocktail ``bad`` names an unknown ingredient."""
    return [
        {
            "id": f"acme/c-{k}",
            "name": f"Cocktail {k}",
            "supplier": "acme",
            "description": DESCRIPTION,
            "indications": ["alopecia"],
            "areas": ["scalp"],
            "composition": [
                {
                    "ingredient": "unobtainium" if (k == bad and m == 1) else name,
                    "strength": {"value": 0.5, "unit": "mg/mL"},
                }
                for m, name in enumerate(POOL[: 3 + k % 3])
            ],
        }
        for k in range(n)
    ]


HEADER = {"format": "meso-formulary/1", "supplier": {"id": "acme", "name": "Acme"}, "version": 1}


def write(path: Path, items: list[dict[str, object]]) -> Path:
    """``items`` as a catalogue in the format of ``path``'s extension."""
    data = {**HEADER, "cocktails": items}
    if path.suffix == ".json":
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    elif path.suffix == ".yaml":
        path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    else:
        out = io.StringIO()
        rows = csv.writer(out)
        rows.writerow(["supplier_id", "supplier_name", "catalogue_version", "cocktail_id",
                       "cocktail_name", "description", "indications", "areas", "ingredient",
                       "value", "unit"])  # fmt: skip
        for item in items:
            for m, line in enumerate(item["composition"]):  # type: ignore[arg-type]
                first = m == 0
                cells = [DESCRIPTION, "alopecia", "scalp"] if first else ["", "", ""]
                rows.writerow(["acme", "Acme", 1, item["id"], item["name"], *cells,
                               line["ingredient"], 0.5, "mg/mL"])  # fmt: skip
        path.write_text(out.getvalue(), encoding="utf-8")
    return path


N = 650  # over STREAM_BYTES (1 MiB) in every format
PARSERS = {".json": parse_json, ".yaml": parse_yaml, ".csv": parse_csv}


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".csv"])
def test_large_file_is_streamed_and_reads_as_the_whole_file_reader_reads_it(
    tmp_path: Path, suffix: str
) -> None:
    path = write(tmp_path / f"big{suffix}", cocktails(N))
    assert path.stat().st_size >= document.STREAM_BYTES
    streamed = read_document(path)
    stream = streamed.data["cocktails"]  # type: ignore[index]
    assert isinstance(stream, JsonCocktails | CocktailStream)
    whole = PARSERS[suffix](path.read_text(encoding="utf-8"), str(path))
    assert list(stream) == whole.data["cocktails"]  # type: ignore[index]
    assert list(stream) == whole.data["cocktails"]  # type: ignore[index]  # read again
    assert {k: v for k, v in streamed.data.items() if k != "cocktails"} == {  # type: ignore[union-attr]
        k: v
        for k, v in whole.data.items()
        if k != "cocktails"  # type: ignore[union-attr]
    }


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".csv"])
def test_streamed_problems_name_file_line_field_and_value(
    meso: Meso, tmp_path: Path, suffix: str
) -> None:
    path = write(tmp_path / f"bad{suffix}", cocktails(N, bad=N - 7))
    streamed = meso("validate", path)
    with mock.patch.object(read, "STREAM_BYTES", 10 * MAX_BYTES):  # the whole-file reader
        whole = meso("validate", path)
    assert streamed.exit_code == whole.exit_code == 1
    assert streamed.stdout == whole.stdout
    assert f"cocktails.{N - 7}.composition.1.ingredient" in streamed.stdout
    assert "'unobtainium'" in streamed.stdout
    assert streamed.stdout.startswith(f"{path}:")


def test_streamed_file_changed_between_passes_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "big.json", cocktails(N))
    stream = read_document(path).data["cocktails"]  # type: ignore[index]
    path.write_text(path.read_text(encoding="utf-8").replace("Cocktail 5", "Cocktail 6"))
    with pytest.raises(Exception, match="changed while it was being read"):
        list(stream)


def test_refused_streamed_import_leaves_the_catalogue_unchanged(
    meso: Meso, db: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.csv", cocktails(N, bad=N - 1))
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    before = content_digest(copy)
    result = meso("import", path, "--unsigned", "--db", copy)
    assert result.exit_code == 1
    assert f"cocktails.{N - 1}.composition.1.ingredient" in result.stderr
    assert content_digest(copy) == before


def test_max_size_lets_a_trusted_large_file_through(meso: Meso, tmp_path: Path) -> None:
    path = tmp_path / "padded.json"
    padding = " " * (MAX_BYTES + 1)  # white space inside the header: over the default limit
    text = json.dumps({**HEADER, "cocktails": cocktails(2)})
    path.write_text(text.replace('"name": "Acme"', f'"name":{padding}"Acme"', 1))
    refused = meso("validate", path)
    assert refused.exit_code == 2
    assert "is larger than the 20,971,520 bytes allowed" in refused.stdout
    imported = meso("import", path, "--unsigned", "--db", tmp_path / "new.db")
    assert imported.exit_code == 2
    assert "Hint: " in imported.stderr and "--max-size" in imported.stderr
    allowed = meso("validate", path, "--max-size", "30MB")
    assert allowed.exit_code == 0, allowed.output
    assert meso("validate", path, "--max-size", "lots").exit_code == 2


PEAK = """\
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout + done.stderr)
"""

IMPORT_BOUND_KIB = 160 * 1024
"""Peak RSS allowed for ``meso import`` of a few MB: a tiny file peaks at some 75-90 MB
(Python, pydantic, the reference dictionary, SQLite's import cache), a streamed 15 MB file
at 113-146 MB (bench/README.md); the whole-file readers took 250-500 MB for 13-15 MB."""


def test_import_of_a_few_megabytes_stays_in_bounded_memory(data_dir: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "big.json", cocktails(1500))
    assert path.stat().st_size > 2 * 1024 * 1024
    env = {**os.environ, "MESO_DATA_DIR": str(data_dir)}
    meso_script = Path(sys.executable).with_name("meso")
    command = [str(meso_script), "import", str(path), "--unsigned", "--db", str(tmp_path / "m.db")]
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    first, _, output = done.stdout.partition("\n")
    code, peak_kib = map(int, first.split())
    assert code == 0, output
    assert "1500 added" in output
    assert peak_kib < IMPORT_BOUND_KIB, f"peaked at {peak_kib} KiB"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
