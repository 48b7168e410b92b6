"""YAML reading: YAML 1.2 core typing, every known PyYAML trap refused, lines right.

Also covers :func:`read_document` (paths, stdin, devices) since YAML is the default format.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import catalogue_files

from meso_formulary.errors import InvalidInput, UnreadableInput
from meso_formulary.files import (
    check_catalogue,
    dump_catalogue,
    parse_catalogue,
    parse_yaml,
    read_catalogue,
    read_document,
    validate_document,
)
from meso_formulary.model import CatalogueFile, Supplier

EXAMPLE = Path(__file__).parent.parent / "examples" / "acme-catalogue.yaml"


def refusal(text: str, **kwargs: int) -> UnreadableInput:
    """The error parse_yaml raises for ``text`` (failing the test if it does not)."""
    with pytest.raises(UnreadableInput) as caught:
        parse_yaml(text, "f.yaml", **kwargs)
    error = caught.value
    assert len(error.problems) == 1
    assert error.problems[0].file == "f.yaml"
    return error


def line_of_text(text: str, needle: str, start: int = 0) -> int:
    """The 1-based line of the first ``needle`` at or after character ``start``."""
    return text.count("\n", 0, text.index(needle, start)) + 1


# ---------------------------------------------------------------- YAML 1.2 core typing


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("NO", "NO"),  # the Norway problem: YAML 1.1 reads False
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("y", "y"),
        ("1:30", "1:30"),  # YAML 1.1 base 60 reads 90
        ("2025-12-31", "2025-12-31"),  # dates stay strings
        ("1_000", "1_000"),  # no underscores in 1.2 numbers
        ("0b101", "0b101"),
        ("12abc", "12abc"),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("tRUE", "tRUE"),
        ("null", None),
        ("Null", None),
        ("~", None),
        ("", None),
        ("012345", 12345),  # YAML 1.2: base 10, not octal (1.1 reads 5349)
        ("0777", 777),
        ("09", 9),
        ("+12", 12),
        ("-7", -7),
        ("0o17", 15),
        ("0x1F", 31),
        ("1e3", 1000.0),  # YAML 1.2 float; PyYAML 1.1 keeps the string
        ("1.0e+3", 1000.0),
        ("1.10", 1.1),
        (".5", 0.5),
        ("-.inf", -math.inf),
        (".Inf", math.inf),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(scalar: str, expected: object) -> None:
    value = parse_yaml(f"v: {scalar}\n", "f.yaml").data
    assert isinstance(value, dict)
    assert value == {"v": expected}
    assert type(value["v"]) is type(expected)


def test_nan_is_parsed_and_left_to_the_models_to_refuse() -> None:
    value = parse_yaml("v: .nan\n", "f.yaml").data
    assert isinstance(value, dict) and math.isnan(value["v"])


@pytest.mark.parametrize("scalar", ["'NO'", '"012345"', '"true"', "'1e3'", "|\n  12\n"])
def test_quoted_and_block_scalars_are_strings(scalar: str) -> None:
    value = parse_yaml(f"v: {scalar}", "f.yaml").data
    assert isinstance(value, dict) and isinstance(value["v"], str)


def test_norway_stays_a_country_code_in_a_catalogue() -> None:
    text = "supplier: {id: fjord, name: Fjord AS, jurisdiction: NO}\n"
    catalogue, problems = validate_document(parse_yaml(text, "f.yaml"))
    assert problems == []
    assert catalogue is not None and catalogue.supplier.jurisdiction == "NO"


def test_keys_are_their_source_text() -> None:
    assert parse_yaml("NO: 1\n012: 2\ntrue: 3\n", "f.yaml").data == {"NO": 1, "012": 2, "true": 3}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: !!str 12\n", "12"),
        ("v: !!int '12'\n", 12),
        ("v: !!float 3\n", 3.0),
        ("v: !!bool 'true'\n", True),
        ("v: !!null ''\n", None),
        ("v: ! 12\n", "12"),
        ("v: !!seq [1]\n", [1]),
        ("v: !!map {a: 1}\n", {"a": 1}),
    ],
)
def test_core_tags_are_allowed(text: str, expected: object) -> None:
    assert parse_yaml(text, "f.yaml").data == {"v": expected}


# ---------------------------------------------------------------- refused constructs


def test_duplicate_keys_are_refused_with_line_and_key() -> None:
    error = refusal("a: 1\nb:\n  c: 30\n  d: 1\n  c: 300\n")
    problem = error.problems[0]
    assert problem.line == 5
    assert problem.value == "c"
    assert "duplicate key 'c'" in problem.message and "line 3" in problem.message


def test_a_quoted_key_duplicates_a_plain_one() -> None:
    assert refusal('a: 1\n"a": 2\n').problems[0].line == 2


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    problem = refusal(BILLION_LAUGHS).problems[0]
    assert problem.line == 1
    assert "anchors (&a) are not allowed" in problem.message


def test_aliases_are_refused_with_their_line() -> None:
    # no anchor in the file: the alias itself is what is refused
    problem = refusal("a: 1\nb: *x\n").problems[0]
    assert problem.line == 2 and "aliases (*x) are not allowed" in problem.message


def test_anchor_and_alias_are_refused() -> None:
    problem = refusal("a: 1\nb: &x 2\nc: *x\n").problems[0]
    assert problem.line == 2 and "anchors" in problem.message


def test_merge_keys_are_refused() -> None:
    problem = refusal("base: {a: 1}\nchild:\n  <<: {a: 1}\n  b: 2\n").problems[0]
    assert problem.line == 3 and "merge keys" in problem.message


def test_python_tags_are_refused_and_never_executed(tmp_path: Path) -> None:
    target = tmp_path / "pwned.txt"
    text = f"v: !!python/object/apply:os.system ['touch {target}']\n"
    problem = refusal(text).problems[0]
    assert "!!python/object/apply:os.system" in problem.message
    assert problem.value == "!!python/object/apply:os.system"
    assert not target.exists()


@pytest.mark.parametrize(
    "text",
    [
        "v: !!python/name:os.system x\n",
        "v: !!binary aGk=\n",
        "v: !!timestamp 2025-01-01\n",
        "v: !!set {a}\n",
        "v: !custom 1\n",
        "!!python/tuple [1, 2]\n",
        "!!str k: 1\n!!python/str k2: 1\n",
    ],
)
def test_other_tags_are_refused(text: str) -> None:
    assert "is not allowed" in refusal(text).problems[0].message


@pytest.mark.parametrize(
    "text", ["v: !!int abc\n", "v: !!bool yes\n", "v: !!null x\n", "v: !!map [1]\n"]
)
def test_a_value_that_does_not_fit_its_tag_is_refused(text: str) -> None:
    assert refusal(text).problems[0].line == 1


def test_complex_keys_are_refused() -> None:
    assert "key must be a plain value" in refusal("? [a, b]\n: 1\n").problems[0].message


def test_multiple_documents_are_refused() -> None:
    problem = refusal("a: 1\n---\nb: 2\n").problems[0]
    assert problem.line == 2 and "more than one" in problem.message


def test_nesting_at_the_limit_is_read_and_one_deeper_is_refused() -> None:
    assert parse_yaml("[" * 64 + "]" * 64, "f.yaml").data is not None
    assert "deeper than 64" in refusal("[" * 65 + "]" * 65).problems[0].message


def test_deep_block_nesting_is_refused_with_its_line() -> None:
    text = "".join(f"{' ' * i}k{i}:\n" for i in range(70)) + " " * 70 + "leaf: 1\n"
    assert refusal(text).problems[0].line == 65


def test_very_deep_nesting_is_an_error_not_a_crash() -> None:
    refusal("[" * 100_000)
    refusal("- " * 20_000 + "x")


def test_an_oversized_document_is_refused_before_parsing() -> None:
    # the text is not even YAML: only the size check can produce this message
    error = refusal("{[: " * 300, max_bytes=1000)
    assert "larger than the 1,000 bytes allowed" in error.problems[0].message


def test_size_counts_utf8_bytes_not_characters() -> None:
    refusal("v: " + "é" * 400, max_bytes=600)
    assert parse_yaml("v: " + "é" * 250, "f.yaml", max_bytes=600).data == {"v": "é" * 250}


def test_huge_integers_are_refused_not_crashed_on() -> None:
    assert "cannot be read" in refusal("v: " + "9" * 5000 + "\n").problems[0].message


def test_syntax_errors_name_the_line() -> None:
    problem = refusal("a: 1\nb: [1, 2\nc: 3\n").problems[0]
    assert problem.line is not None and problem.line >= 2
    assert problem.message.startswith("YAML syntax error")


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("supplier:\n\tid: x\n", 2, 1),  # libyaml: "cannot start any token"
        ("supplier:\n  id: x\n  name: a\n\t\n", 4, 1),  # "a tab ... violates indentation"
        ("a:\n  b: 1\n \tc: 2\n", 3, 2),
    ],
)
def test_a_tab_is_named_with_its_line_column_and_a_hint(text: str, line: int, column: int) -> None:
    error = refusal(text)
    problem = error.problems[0]
    assert problem.line == line
    assert problem.message.startswith(f"YAML syntax error at column {column}: ")
    assert "tab" in problem.message
    assert error.hint == "YAML forbids tabs for indentation: use spaces"


def test_other_syntax_errors_give_a_column_and_no_tab_hint() -> None:
    error = refusal("a: 1\nb: [1, 2\nc: 3\n")
    assert "at column " in error.problems[0].message
    assert error.hint is None


def test_control_characters_are_refused_with_their_line() -> None:
    problem = refusal('a: 1\nb: "x\x01y"\n').problems[0]
    assert problem.line == 2 and "U+0001" in problem.message


def test_an_empty_document_reads_as_nothing() -> None:
    assert parse_yaml("# only a comment\n", "f.yaml").data is None
    _, problems = validate_document(parse_yaml("", "f.yaml"))
    assert "empty" in problems[0].message


# ---------------------------------------------------------------- line map


DEEP = """\
supplier:
  id: acme
  name: Acme
cocktails:
  - id: acme/one
    name: One
    supplier: acme
    description: First
    composition:
      - ingredient: biotin
        strength:
          value: 5
          unit: mg/mL
      - ingredient: niacinamide
        strength: {value: .nan, unit: mg/mL}
"""


def test_line_of_gives_the_deepest_known_node() -> None:
    document = parse_yaml(DEEP, "f.yaml")
    assert document.line_of(()) == 1
    assert document.line_of(("supplier", "name")) == 3
    assert document.line_of(("cocktails", 0)) == 5
    assert document.line_of(("cocktails", 0, "composition", 0, "strength", "value")) == 12
    assert document.line_of(("cocktails", 0, "composition", 1, "strength", "value")) == 15
    assert document.line_of(("cocktails", 0, "composition", 1, "strength", "nope", 3)) == 15
    assert document.line_of(("cocktails", 0, "composition", 9)) == 9
    assert document.line_of(("cocktails", 0, "missing")) == 5


def test_a_problem_deep_in_a_file_names_its_line_and_value() -> None:
    catalogue, problems = validate_document(parse_yaml(DEEP, "f.yaml"))
    assert catalogue is None
    [problem] = problems
    assert problem.path == "cocktails.0.composition.1.strength.value"
    assert problem.line == 15
    assert problem.file == "f.yaml"
    assert math.isnan(problem.value)  # type: ignore[arg-type]
    assert "finite number (got nan)" in problem.message
    assert "https://" not in problem.message
    assert str(problem).startswith("f.yaml:15: cocktails.0.composition.1.strength.value: ")


def test_problems_in_the_example_file_point_at_the_right_lines(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    third = text.index("id: acme/amino-boost")
    bad = text[:third] + text[third:].replace(
        "value: 3, unit: mg/mL", "value: 3, unit: furlongs", 1
    )
    bad = bad.replace("needle_gauge: 32", "needle_gauge: 99")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    catalogue, problems = check_catalogue(path)
    assert catalogue is None
    by_path = {problem.path: problem for problem in problems}
    unit = by_path["cocktails.2.composition.3.strength.unit"]
    assert unit.line == line_of_text(bad, "furlongs")
    assert unit.value == "furlongs" and unit.file == str(path)
    gauge = by_path["cocktails.0.administration.needle_gauge"]
    assert gauge.line == line_of_text(bad, "needle_gauge: 99") and gauge.value == 99


def test_file_level_rules_are_located_at_the_record_they_name() -> None:
    text = DEEP.replace("value: .nan", "value: 1") + "  - id: acme/one\n    name: Again\n"
    text += "    supplier: acme\n    description: Second\n"
    _, problems = validate_document(parse_yaml(text, "f.yaml"))
    [problem] = problems
    assert problem.path == "cocktails.1"
    assert problem.line == 16
    assert "duplicate cocktail id" in problem.message


def test_read_catalogue_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "two-problems.yaml"
    path.write_text(DEEP.replace("name: One", "name: One\n    colour: red"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_catalogue(path)
    assert not isinstance(caught.value, UnreadableInput)
    lines = {problem.path: problem.line for problem in caught.value.problems}
    assert lines == {"cocktails.0.colour": 7, "cocktails.0.composition.1.strength.value": 16}
    assert str(caught.value).startswith(f"{path} is not a valid catalogue (2 problems)")


# ---------------------------------------------------------------- writing YAML


def test_the_yaml_dump_quotes_what_yaml_would_misread() -> None:
    tricky = ["NO", "1:30", "012", "1e3", "0o17", "true", "null", "~", ".inf", "<<"]
    catalogue = CatalogueFile(
        supplier=Supplier(id="acme", name="Acme", contact=" | ".join(tricky), url="NO")
    )
    text = dump_catalogue(catalogue, "yaml")
    assert "url: 'NO'" in text
    assert validate_document(parse_yaml(text, "f.yaml"))[0] == catalogue
    for value in tricky:
        single = CatalogueFile(supplier=Supplier(id="acme", name=value))
        assert validate_document(parse_yaml(dump_catalogue(single, "yaml"), "f"))[0] == single


def test_the_yaml_dump_is_deterministic_and_starts_with_the_format() -> None:
    catalogue = read_catalogue(EXAMPLE)
    text = dump_catalogue(catalogue, "yaml")
    assert text == dump_catalogue(read_catalogue(EXAMPLE), "yaml")
    assert text.startswith("format: meso-formulary/1\nsupplier:\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue_files())
def test_yaml_round_trip_gives_an_equal_model(catalogue: CatalogueFile) -> None:
    text = dump_catalogue(catalogue, "yaml")
    back, problems = validate_document(parse_yaml(text, "round-trip.yaml"))
    assert problems == []
    assert back == catalogue


# ---------------------------------------------------------------- read_document


def test_read_document_takes_the_format_from_the_extension(tmp_path: Path) -> None:
    for name in ("a.yaml", "a.YML"):
        path = tmp_path / name
        path.write_text("v: NO\n", encoding="utf-8")
        document = read_document(path)
        assert (document.data, document.fmt, document.filename) == ({"v": "NO"}, "yaml", str(path))


def test_read_document_accepts_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfv: 1\n")
    assert read_document(path).data == {"v": 1}


def test_fmt_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.txt"
    path.write_text('{"v": 1}', encoding="utf-8")
    assert read_document(path, fmt="json").fmt == "json"
    with pytest.raises(UnreadableInput, match="format"):
        read_document(path)
    with pytest.raises(UnreadableInput, match="unknown format 'xml'"):
        read_document(path, fmt="xml")


def unreadable_message(source: str | Path, fmt: str | None = None) -> str:
    with pytest.raises(UnreadableInput) as caught:
        read_document(source, fmt=fmt)
    return str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert "no such file" in unreadable_message(tmp_path / "missing.yaml")


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert "directory" in unreadable_message(folder)


def test_a_device_is_refused_without_reading_it() -> None:
    assert "not a regular file" in unreadable_message("/dev/zero")
    assert "not a regular file" in unreadable_message("/dev/zero", fmt="yaml")


def test_permission_denied_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("v: 1\n", encoding="utf-8")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    assert "permission denied" in unreadable_message(path)


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"v: 1\n" * 300)
    with pytest.raises(UnreadableInput, match="larger than"):
        read_document(path, max_bytes=1000)


def test_latin1_bytes_are_refused_naming_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: ok\ndescription: crème\n".encode("latin-1"))
    with pytest.raises(UnreadableInput) as caught:
        read_document(path)
    problem = caught.value.problems[0]
    assert problem.line == 2
    offset = len(b"name: ok\ndescription: cr")
    assert f"byte 0xE8 at offset {offset}" in problem.message
    assert caught.value.hint is not None and "UTF-8" in caught.value.hint


def test_utf16_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("v: 1\n".encode("utf-16"))
    assert "UTF-16" in unreadable_message(path)


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_dash_reads_stdin_and_sniffs_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", FakeStdin(b"v: NO\n"))
    document = read_document("-")
    assert (document.data, document.fmt, document.filename) == ({"v": "NO"}, "yaml", "<stdin>")
    monkeypatch.setattr("sys.stdin", FakeStdin(b'\xef\xbb\xbf {"v": 1}'))
    assert read_document("-").fmt == "json"


def test_stdin_is_size_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", FakeStdin(b"v: 1\n" * 1000))
    with pytest.raises(UnreadableInput, match="larger than"):
        read_document("-", max_bytes=100)


# ---------------------------------------------------------------- bytes from elsewhere


def test_parse_catalogue_reads_bytes_in_a_given_format() -> None:
    raw = EXAMPLE.read_bytes()
    assert parse_catalogue(raw, "bundle.zip:catalogue.yaml", "yaml") == read_catalogue(EXAMPLE)
    with pytest.raises(UnreadableInput, match=r"cannot read bundle\.zip:catalogue\.json") as error:
        parse_catalogue(raw, "bundle.zip:catalogue.json", "json")
    assert error.value.problems[0].file == "bundle.zip:catalogue.json"
    with pytest.raises(UnreadableInput) as unknown:
        parse_catalogue(raw, "x.toml", "toml")
    assert "unknown format 'toml'" in unknown.value.problems[0].message
    invalid = raw.replace(b"version: 3", b"version: 0", 1)
    with pytest.raises(InvalidInput, match=r"x\.yaml is not a valid catalogue") as bad:
        parse_catalogue(invalid, "x.yaml", "yaml")
    (problem,) = bad.value.problems
    assert (problem.file, problem.path, problem.line) == ("x.yaml", "version", 18)
