"""The committed JSON Schema matches the models, and an independent validator agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meso_formulary.files import catalogue_json_schema, read_catalogue
from meso_formulary.files.json_schema import SCHEMA_ID, schema_text

ROOT = Path(__file__).parent.parent
SCHEMA = ROOT / "schema" / "catalogue.schema.json"
EXAMPLES = (ROOT / "examples" / "acme-catalogue.json", ROOT / "examples" / "acme-catalogue.yaml")
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
REGENERATE = "python -m meso_formulary.files > schema/catalogue.schema.json"


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = SCHEMA.read_text(encoding="utf-8")
    assert committed == schema_text(), f"schema/catalogue.schema.json is stale: run `{REGENERATE}`"


def test_the_schema_says_what_it_is() -> None:
    schema = catalogue_json_schema()
    assert schema["$id"] == SCHEMA_ID
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False
    assert {"supplier"} <= set(schema["required"])


def test_the_examples_are_valid_catalogues_and_agree() -> None:
    from_json, from_yaml = (read_catalogue(path) for path in EXAMPLES)
    assert from_json == from_yaml
    assert len(from_json.cocktails) == 3


def check_jsonschema(instance: Path) -> subprocess.CompletedProcess[str]:
    if not CHECK_JSONSCHEMA.exists():
        pytest.fail(f"check-jsonschema is not installed next to {sys.executable}")
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--schemafile", str(SCHEMA), str(instance)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_check_jsonschema_accepts_the_examples(example: Path) -> None:
    result = check_jsonschema(example)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: data["cocktails"][0].update(colour="red"), "colour"),
        (lambda data: data["cocktails"][0]["composition"][0]["strength"].update(value=-1), "-1"),
        (lambda data: data["cocktails"][1].update(areas=["moon"]), "moon"),
        (lambda data: data["supplier"].pop("id"), "id"),
    ],
    ids=["extra-key", "negative-strength", "unknown-area", "missing-id"],
)
def test_check_jsonschema_refuses_invalid_files(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    data = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = check_jsonschema(bad)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout
