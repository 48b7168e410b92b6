"""JSON reading and writing: duplicate keys, NaN/Infinity, overflow, depth, BOM, lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import catalogue_files

from meso_formulary.errors import UnreadableInput
from meso_formulary.files import (
    check_catalogue,
    dump_catalogue,
    parse_json,
    read_catalogue,
    read_document,
    validate_document,
)
from meso_formulary.model import CatalogueFile, Supplier

EXAMPLE = Path(__file__).parent.parent / "examples" / "acme-catalogue.json"


def refusal(text: str, **kwargs: int) -> UnreadableInput:
    with pytest.raises(UnreadableInput) as caught:
        parse_json(text, "f.json", **kwargs)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].file == "f.json"
    return caught.value


def test_valid_json_reads_as_plain_data() -> None:
    document = parse_json('{"a": [1, 2.5, "NO", true, null], "b": {"c": "1:30"}}', "f.json")
    assert document.data == {"a": [1, 2.5, "NO", True, None], "b": {"c": "1:30"}}
    assert (document.fmt, document.filename) == ("json", "f.json")


def test_duplicate_keys_are_refused_with_line_and_key() -> None:
    problem = refusal('{\n  "a": 1,\n  "b": {\n    "c": 30,\n    "c": 300\n  }\n}').problems[0]
    assert problem.line == 5
    assert problem.value == "c"
    assert "duplicate key 'c' (first given on line 4)" in problem.message


def test_keys_are_compared_after_unescaping() -> None:
    problem = refusal('{"id": 1,\n"\\u0069d": 2}').problems[0]
    assert problem.line == 2 and problem.value == "id"


def test_equal_keys_in_different_objects_are_fine() -> None:
    assert parse_json('[{"a": 1}, {"a": 2}]', "f.json").data == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_with_their_line(constant: str) -> None:
    problem = refusal(f'{{"a": 1,\n "b": [1,\n {constant}]}}').problems[0]
    assert problem.line == 3
    assert problem.value == constant
    assert "not a JSON number" in problem.message


@pytest.mark.parametrize("number", ["1e400", "-1E+999", "1.5e309"])
def test_numbers_overflowing_to_infinity_are_refused(number: str) -> None:
    problem = refusal(f'{{\n"v": {number}}}').problems[0]
    assert problem.line == 2 and "too large" in problem.message and problem.value == number


def test_small_exponents_are_fine() -> None:
    assert parse_json('{"v": 1e-400, "w": 1.5e300}', "f.json").data == {"v": 0.0, "w": 1.5e300}


def test_huge_integers_are_refused_not_crashed_on() -> None:
    assert "cannot be read" in refusal('{"v": ' + "9" * 5000 + "}").problems[0].message


def test_nesting_at_the_limit_is_read_and_one_deeper_is_refused() -> None:
    assert parse_json("[" * 64 + "]" * 64, "f.json").data is not None
    problem = refusal('{"a":\n' + "[" * 64 + "]" * 64 + "}").problems[0]
    assert problem.line == 2 and "deeper than 64" in problem.message


def test_very_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    assert "deeper than" in refusal("[" * 100_000 + "]" * 100_000).problems[0].message
    refusal('{"a":' * 100_000)


def test_an_oversized_document_is_refused_before_parsing() -> None:
    error = refusal("{{{{" * 300, max_bytes=1000)
    assert "larger than the 1,000 bytes allowed" in error.problems[0].message


def test_syntax_errors_name_line_and_column() -> None:
    problem = refusal('{\n  "a": 1,\n  "b": }').problems[0]
    assert problem.line == 3 and "column 8" in problem.message


def test_a_bom_is_accepted_in_text_and_in_files(tmp_path: Path) -> None:
    assert parse_json('\ufeff{"a": 1}', "f.json").data == {"a": 1}
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": "\xc3\xa9"}')
    assert read_document(path).data == {"a": "é"}


def test_latin1_bytes_are_refused_naming_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    raw = '{"name":\n "crème"}'.encode("latin-1")
    path.write_bytes(raw)
    with pytest.raises(UnreadableInput) as caught:
        read_document(path)
    problem = caught.value.problems[0]
    assert problem.line == 2
    assert f"byte 0xE8 at offset {raw.index(0xE8)}" in problem.message


def test_a_device_given_as_json_is_refused() -> None:
    with pytest.raises(UnreadableInput, match="not a regular file"):
        read_document("/dev/zero", fmt="json")


# ---------------------------------------------------------------- line map


DEEP = """{
  "supplier": {"id": "acme", "name": "Acme"},
  "ingredients": [],
  "cocktails": [
    {
      "id": "acme/one",
      "name": "One",
      "supplier": "acme",
      "description": "First",
      "protocol": {"sessions": 3, "interval_days": 14, "topical_numbing": false,
                   "session_minutes": null, "results_last_months": {"min": 1e0, "max": 2.5E+1},
                   "source": "Acme leaflet"},
      "composition": [
        {"ingredient": "biotin", "strength": {"value": 5, "unit": "mg/mL"}},
        {
          "ingredient": "niacinamide",
          "strength": {
            "value": -1,
            "unit": "mg/mL"
          }
        }
      ]
    }
  ]
}
"""


def test_line_of_gives_the_deepest_known_node() -> None:
    document = parse_json(DEEP, "f.json")
    assert document.line_of(()) == 1
    assert document.line_of(("supplier", "name")) == 2
    assert document.line_of(("ingredients", 0)) == 3
    assert document.line_of(("cocktails", 0)) == 5
    assert document.line_of(("cocktails", 0, "protocol", "topical_numbing")) == 10
    assert document.line_of(("cocktails", 0, "protocol", "results_last_months", "max")) == 11
    assert document.line_of(("cocktails", 0, "protocol", "source")) == 12
    assert document.line_of(("cocktails", 0, "composition", 0, "strength", "value")) == 14
    assert document.line_of(("cocktails", 0, "composition", 1)) == 15
    assert document.line_of(("cocktails", 0, "composition", 1, "strength", "value")) == 18
    assert document.line_of(("cocktails", 0, "composition", 1, "strength", "x", 2)) == 17
    assert document.line_of(("cocktails", 5)) == 4


def test_a_problem_deep_in_a_file_names_its_line_and_value() -> None:
    catalogue, problems = validate_document(parse_json(DEEP, "f.json"))
    assert catalogue is None
    [problem] = problems
    assert problem.path == "cocktails.0.composition.1.strength.value"
    assert problem.line == 18
    assert problem.value == -1
    assert problem.message == "Input should be greater than 0 (got -1)"


def test_a_problem_in_the_example_json_points_at_its_line(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    bad = text.replace('"ph": 7.0', '"ph": 17.5', 1)
    assert bad != text
    path = tmp_path / "bad.json"
    path.write_text(bad, encoding="utf-8")
    catalogue, problems = check_catalogue(path)
    assert catalogue is None
    [problem] = problems
    assert problem.path == "cocktails.1.ph"
    assert problem.line == bad.count("\n", 0, bad.index('"ph": 17.5')) + 1
    assert problem.value == 17.5


def test_check_catalogue_returns_reading_problems_instead_of_raising(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"supplier": {"id": "a", "name": "A"},\n"supplier": {}}', encoding="utf-8")
    catalogue, problems = check_catalogue(path)
    assert catalogue is None
    assert [(p.line, p.value) for p in problems] == [(2, "supplier")]


def test_a_non_object_document_is_a_validation_problem() -> None:
    _, problems = validate_document(parse_json("[1, 2]", "f.json"))
    assert problems[0].path == "" and "valid dictionary" in problems[0].message


# ---------------------------------------------------------------- writing JSON


def test_the_json_dump_is_canonical() -> None:
    catalogue = read_catalogue(EXAMPLE)
    text = dump_catalogue(catalogue, "json")
    assert text == EXAMPLE.read_text(encoding="utf-8")  # the committed example is a dump
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data)[:3] == ["format", "supplier", "version"]
    assert list(data["cocktails"][0])[:3] == ["id", "name", "supplier"]
    assert "décolletage" in text  # ensure_ascii=False


def test_the_json_dump_keeps_text_exactly() -> None:
    catalogue = CatalogueFile(supplier=Supplier(id="acme", name='NO "1:30" 012 \\ é ＝'))
    back, _ = validate_document(parse_json(dump_catalogue(catalogue, "json"), "f.json"))
    assert back == catalogue


def test_an_unknown_dump_format_is_refused() -> None:
    catalogue = CatalogueFile(supplier=Supplier(id="acme", name="Acme"))
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        dump_catalogue(catalogue, "xml")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue_files())
def test_json_round_trip_gives_an_equal_model(catalogue: CatalogueFile) -> None:
    text = dump_catalogue(catalogue, "json")
    back, problems = validate_document(parse_json(text, "round-trip.json"))
    assert problems == []
    assert back == catalogue
