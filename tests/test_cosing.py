"""EU CosIng exports: the real shipped extracts, synthetic hostile files, and the import."""

from __future__ import annotations

import ast
import csv
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from publish_support import db_content, make_catalogue

from meso_formulary import reference
from meso_formulary.catalogue import cosing
from meso_formulary.catalogue.cosing import (
    CREDIT,
    CosingFile,
    annex_listings,
    cosing_substance,
    import_cosing,
    inventory_ingredients,
    is_valid_ec,
    parse_cas_cell,
    parse_cosing,
    parse_ec_cell,
    read_cosing,
    slug_for,
)
from meso_formulary.catalogue.store import importer
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.errors import CatalogueError, InvalidInput, UnreadableInput
from meso_formulary.identifiers import SLUG_RE, is_valid_cas
from meso_formulary.model import CatalogueFile, Ingredient, IngredientClass

DATA = Path(__file__).parent / "data" / "cosing"
"""Real CosIng extracts, byte for byte (see data/cosing/README.md: CosIng, © European Union)."""
INVENTORY = DATA / "inventory_sample.csv"
ANNEXES = {n: DATA / "annexes" / f"annex_{n}.csv" for n in ("II", "III", "IV", "V", "VI")}

needs_data = pytest.mark.skipif(
    not INVENTORY.exists(),
    reason=f"the CosIng extracts are not at {DATA}",
)

HEADER = "substanceId,inciName,casNo,ecNo,functionName,cosmeticRestriction\r\n"


def inventory(*rows: str) -> CosingFile:
    return parse_cosing(HEADER + "".join(row + "\r\n" for row in rows), "inv.csv")


def annex_text(annex: str, *rows: str) -> str:
    return (
        '"File creation date: 09/09/2026"\n'
        f'"ANNEX {annex}","Last update: 28/08/2026"\n'
        '"LIST OF SUBSTANCES"\n'
        '"Substance identification",Restrictions\n'
        '"Reference Number","Chemical name / INN","Name of Common Ingredients Glossary",'
        '"CAS Number","EC Number",Regulation,"Identified INGREDIENTS or substances e.g."\n'
        + "".join(row + "\n" for row in rows)
    )


@pytest.fixture
def catalogue() -> Iterator[Catalogue]:
    with Catalogue.memory() as catalogue:
        yield catalogue


# ---------------------------------------------------------------- identifier cells


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("50-00-0", ("50-00-0",)),
        ("", ()),
        ("-", ()),
        ("\u2014", ()),
        ("8024-06-4 / 84650-63-5", ("8024-06-4", "84650-63-5")),
        ("32440-50-9/63231-81-2", ("32440-50-9", "63231-81-2")),
        ("557-34-6/ 5970-45-6; 7646-85-7", ("557-34-6", "5970-45-6", "7646-85-7")),
        ("20859-38-5 -- 66115-19-3", ("20859-38-5", "66115-19-3")),
        ("8046-19-3 - 94891-28-8", ("8046-19-3", "94891-28-8")),
        ("90-43-7, 132-27-4", ("90-43-7", "132-27-4")),
        ("69-72-7[1]/ 824-35-1[2]", ("69-72-7", "824-35-1")),
        ("10043-35-3 [1] 11113-50-1 [2]", ("10043-35-3", "11113-50-1")),
        ("(1) 4471-41-4/(2) 67674-26-4", ("4471-41-4", "67674-26-4")),
        ("61791-28-4 (generic)", ("61791-28-4",)),
        ("90147-57-2 (Generic) / 223749-05-1", ("90147-57-2", "223749-05-1")),
        ("84041-77-0;", ("84041-77-0",)),
        ("- / 58-89-9 / -", ("58-89-9",)),
        ("\t 50-00-0\u00a0 ", ("50-00-0",)),
        ("50-00\u00ad-0", ("50-00-0",)),
        ("91648- 39-4", ("91648-39-4",)),
        ("50-00-0 / 50-00-0", ("50-00-0",)),
    ],
)
def test_cas_cells_in_every_layout_the_exports_use(cell: str, expected: tuple[str, ...]) -> None:
    parsed = parse_cas_cell(cell)
    assert parsed.valid == expected
    assert parsed.notes == ()
    assert all(is_valid_cas(cas) for cas in parsed.valid)


@pytest.mark.parametrize(
    ("cell", "note"),
    [
        ("999999-99-4", "placeholder CAS number 999999-99-4 skipped"),
        ("50-00-1", "'50-00-1' is not a valid CAS number"),
        ("80-43-", "'80-43-' is not a valid CAS number"),
        ("unknown", "'unknown' is not a valid CAS number"),
    ],
)
def test_bad_cas_numbers_are_reported_not_kept(cell: str, note: str) -> None:
    parsed = parse_cas_cell(f"50-00-0 / {cell}")
    assert parsed.valid == ("50-00-0",)
    assert parsed.notes == (note,)


def test_ec_cells() -> None:
    assert parse_ec_cell("*616-787-4").valid == ("616-787-4",)
    assert parse_ec_cell("- / 283-521-8").valid == ("283-521-8",)
    assert parse_ec_cell("200-864- 0").valid == ("200-864-0",)
    clp = parse_ec_cell("200-401-2 / 602-042-00-0")
    assert clp.valid == ("200-401-2",)
    assert clp.notes == ("'602-042-00-0' is a CLP index number, not an EC number",)
    assert parse_ec_cell("200-677-5").notes == ("'200-677-5' is not a valid EC number",)


def test_ec_check_digit_remainder_ten_is_written_as_one() -> None:
    assert is_valid_ec("418-210-1")  # an ELINCS number of annex II
    assert not is_valid_ec("418-210-0")
    assert is_valid_ec("200-677-4")
    assert not is_valid_ec("200-677")


def test_slugs_of_inci_names() -> None:
    assert slug_for("TEA-ACRYLATES/ETHYLHEXYL ACRYLATE COPOLYMER") == (
        "tea-acrylates-ethylhexyl-acrylate-copolymer"
    )
    assert slug_for("CI 77491") == "ci-77491"
    assert slug_for("ÉTHYL   Ü") == "ethyl-u"
    long = slug_for("X" * 40 + " " + "Y" * 40)
    assert len(long) <= 64 and SLUG_RE.match(long)


# ---------------------------------------------------------------- the real extracts


@needs_data
def test_the_inventory_sample() -> None:
    cosing = read_cosing(INVENTORY)
    assert cosing.kind == "inventory"
    assert len(cosing.inventory) == 305
    ids = [entry.substance_id for entry in cosing.inventory]
    assert ids == sorted(ids) and ids[0] == 60000
    by_id = {entry.substance_id: entry for entry in cosing.inventory}
    assert by_id[60014].cas == ("61791-28-4",)  # "(generic)"
    assert by_id[60034].cas == ("8024-06-4", "84650-63-5")
    assert by_id[60034].ec == ("283-521-8",)  # "- / 283-521-8"
    assert by_id[60069].ec == ("616-787-4",)  # "*616-787-4"
    assert by_id[60157].cas == ("32440-50-9", "63231-81-2")  # bare slash, EC "-/-"
    assert by_id[60157].ec == ()
    assert by_id[60216].cas == ("90147-57-2", "223749-05-1")  # "(Generic)", one EC only
    assert by_id[60122].restriction == ("III", "62")
    restrictions = {entry.restriction for entry in cosing.inventory}
    assert {("III", "200"), ("II", "1240"), ("II", "1618")} <= restrictions  # "Annex III/200"
    assert by_id[60224].restriction is None  # a paragraph, not a reference
    functions = {f for entry in cosing.inventory for f in entry.functions}
    assert "SKIN CONDITIONING - EMOLLIENT" in functions
    assert all("|" not in f for f in functions)
    noted = {(p.line, p.path, str(p.value)) for p in cosing.problems}
    assert (150, "casNo", "175893-71-1") in noted
    assert all(is_valid_cas(cas) for entry in cosing.inventory for cas in entry.cas)


@needs_data
def test_the_inventory_becomes_dictionary_entries_with_credit() -> None:
    cosing = read_cosing(INVENTORY)
    update = inventory_ingredients([cosing], [])
    assert len(update.ingredients) == 305
    ids = [ingredient.id for ingredient in update.ingredients]
    assert len(set(ids)) == len(ids)
    for ingredient, entry in zip(update.ingredients, cosing.inventory, strict=True):
        assert ingredient.source == f"{CREDIT}, substance {entry.substance_id}"
        assert cosing_substance(ingredient) == entry.substance_id
        assert ingredient.inci == entry.inci
        assert ingredient.cas == (entry.cas[0] if entry.cas else None)
    classes = {i.ingredient_class for i in update.ingredients}
    assert classes <= {
        IngredientClass.OTHER,
        IngredientClass.ANTIOXIDANT,
        IngredientClass.EXCIPIENT,
    }
    listed = [i for i in update.ingredients if i.eu_cosmetics is not None]
    assert listed and all(i.eu_cosmetics and i.eu_cosmetics.annex in ("II", "III") for i in listed)


@needs_data
@pytest.mark.parametrize(
    ("annex", "rows"), [("II", 1740), ("III", 379), ("IV", 154), ("V", 55), ("VI", 33)]
)
def test_each_annex_export(annex: str, rows: int) -> None:
    cosing = read_cosing(ANNEXES[annex])
    assert cosing.kind == "annex" and cosing.annex == annex
    assert len(cosing.annex_entries) == rows  # "Moved or deleted" rows left out
    for entry in cosing.annex_entries:
        text = entry.name + "".join(entry.inci_names)
        assert not any(c in text for c in "\u00ad\u00a0\t\r\n")
        assert entry.reference == entry.reference.strip() and " " not in entry.reference
        assert all(is_valid_cas(cas) for cas in entry.cas)
    lines = [entry.line for entry in cosing.annex_entries]
    assert lines == sorted(lines) and lines[0] == 6  # the 5th record is the header


@needs_data
def test_annex_quirks_are_read_as_the_regulation_means_them() -> None:
    annex_v = {e.reference: e for e in read_cosing(ANNEXES["V"]).annex_entries}
    assert "12a" in annex_v  # written "12 a"
    assert annex_v["3"].cas[:2] == ("69-72-7", "824-35-1")  # [1] markers
    assert len(annex_v["3"].cas) == 7
    annex_iii = {e.reference: e for e in read_cosing(ANNEXES["III"]).annex_entries}
    assert annex_iii["2a"].inci_names[:2] == ("THIOGLYCOLIC ACID", "AMMONIUM THIOGLYCOLATE")
    annex_ii = read_cosing(ANNEXES["II"])
    assert any(e.ec == ("200-864-0",) for e in annex_ii.annex_entries)  # "200-864- 0"
    assert any("CLP index" in p.message for p in annex_ii.problems)
    assert any("monomethyl ether" in e.name for e in annex_ii.annex_entries)  # soft hyphen


@needs_data
def test_the_real_files_import_into_a_catalogue(catalogue: Catalogue) -> None:
    report = import_cosing(catalogue, [INVENTORY, *ANNEXES.values()])
    assert len(report.added) > 250
    assert "riboflavin" in report.updated  # a shipped entry that gained its listing
    by_id = {i.id: i for i in catalogue.ingredients()}
    assert by_id["riboflavin"].eu_cosmetics is not None
    assert by_id["riboflavin"].eu_cosmetics.source.startswith(CREDIT)
    again = import_cosing(catalogue, [INVENTORY, *ANNEXES.values()])
    assert again.added == again.updated == ()


# ---------------------------------------------------------------- hostile files


def test_a_bom_and_lf_line_endings_are_fine() -> None:
    cosing = parse_cosing("\ufeff" + HEADER.replace("\r\n", "\n") + "1,ZZ ONE,50-00-0,,,\n", "x")
    assert [e.inci for e in cosing.inventory] == ["ZZ ONE"]


def test_ragged_rows_are_skipped_and_reported() -> None:
    cosing = inventory("1,ZZ ONE,50-00-0,,,", "2,ZZ TWO,50-00-0", "3,ZZ THREE,,,,,EXTRA")
    assert [e.substance_id for e in cosing.inventory] == [1]
    assert [p.line for p in cosing.problems] == [3, 4]
    assert all("cells where the header has 6" in p.message for p in cosing.problems)


def test_rows_without_an_id_or_name_are_skipped() -> None:
    cosing = inventory("x1,ZZ ONE,,,,", "2,,,,,", "3,ZZ THREE,,,,")
    assert [e.substance_id for e in cosing.inventory] == [3]
    assert len(cosing.problems) == 2


def test_latin_1_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "1,CR\xc8ME,,,,\r\n").encode("latin-1"))
    with pytest.raises(UnreadableInput):
        read_cosing(path)


def test_a_huge_cell_is_refused() -> None:
    # Refused by our cell limit, or first by the csv module's (a process-wide setting).
    with pytest.raises(UnreadableInput, match=r"inv\.csv:2: .*(a cell holds|field larger)"):
        inventory(f'1,"{"A" * 200_000}",,,,')


def test_our_cell_limit_holds_when_the_csv_module_allows_more() -> None:
    previous = csv.field_size_limit(1 << 21)
    try:
        with pytest.raises(UnreadableInput, match="a cell holds 200,000 characters"):
            inventory(f'1,"{"A" * 200_000}",,,,')
    finally:
        csv.field_size_limit(previous)


def test_a_broken_quote_is_refused_with_its_line() -> None:
    with pytest.raises(UnreadableInput, match="not valid CSV"):
        inventory('1,"ZZ ONE,,,,', "2,ZZ,,,,")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("name,value\nx,1\n", "not a CosIng export"),
        ('"File creation date: 1/1/2026"\n"NOT AN ANNEX"\n', "should name the annex"),
        ('"File creation date: 1/1/2026"\n"ANNEX II"\n"T"\n"G"\n', "ends before the header"),
        (
            '"File creation date: 1/1/2026"\n"ANNEX II"\n"T"\n"G"\n"Reference Number",Name\n',
            "lacks",
        ),
    ],
)
def test_files_that_are_not_cosing_exports(text: str, message: str) -> None:
    with pytest.raises(UnreadableInput, match=message):
        parse_cosing(text, "x.csv")


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput):
        read_cosing(tmp_path / "missing.csv")


def test_an_entry_the_model_refuses_is_skipped_with_a_note() -> None:
    update = inventory_ingredients([inventory(f"1,{'LONG ' * 70},,,,", "2,ZZ FINE,,,,")], [])
    assert [i.id for i in update.ingredients] == ["zz-fine"]
    assert [p.code for p in update.skipped] == ["cosing-invalid"]


def test_slug_clashes_take_the_substance_number() -> None:
    update = inventory_ingredients([inventory("1,PEG-8,,,,", "2,PEG 8,,,,")], [], taken_ids={"zz"})
    assert [i.id for i in update.ingredients] == ["peg-8", "peg-8-2"]
    taken = inventory_ingredients([inventory("7,ZZ,,,,")], [], taken_ids={"zz"})
    assert [i.id for i in taken.ingredients] == ["zz-7"]


def test_names_already_in_the_dictionary_are_left_to_it() -> None:
    known = make_catalogue().ingredients  # acme-peptide, named "Acme peptide complex"
    update = inventory_ingredients([inventory("1,ACME PEPTIDE COMPLEX,,,,")], known)
    assert update.ingredients == ()
    assert "already in the dictionary as 'acme-peptide'" in update.skipped[0].message


def test_annex_listings_match_by_cas_or_inci_and_prefer_prohibition() -> None:
    entries = inventory_ingredients(
        [inventory("1,ZZ ALPHA,50-00-0,,,", "2,ZZ BETA,,,,", "3,ZZ GAMMA,,,,")], []
    ).ingredients
    annex_vi = parse_cosing(annex_text("VI", '7,"Alpha",-,50-00-0,-,"(EU) 2020/1",'), "vi.csv")
    annex_ii = parse_cosing(
        annex_text("II", '12 a,"Beta","ZZ BETA",-,-,"(EU) 2021/2","ZZ GAMMA,,ZZ ALPHA,"'),
        "ii.csv",
    )
    update = annex_listings([annex_vi, annex_ii], entries)
    listed = {i.id: i.eu_cosmetics for i in update.ingredients}
    assert {k: (v.annex, v.reference) for k, v in listed.items() if v} == {
        "zz-alpha": ("II", "12a"),
        "zz-beta": ("II", "12a"),
        "zz-gamma": ("II", "12a"),
    }
    assert listed["zz-beta"] is not None
    assert listed["zz-beta"].source == (
        f"{CREDIT}, Regulation (EC) No 1223/2009 Annex II/12a (entry: (EU) 2021/2)"
    )


# ---------------------------------------------------------------- into a catalogue


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_import_adds_and_lists_and_is_idempotent(tmp_path: Path, catalogue: Catalogue) -> None:
    inv = _write(tmp_path, "inv.csv", HEADER + "70001,ZZTEST GLYCOSIDE,50-00-0,,ANTIOXIDANT,\r\n")
    annex = _write(
        tmp_path, "iii.csv", annex_text("III", '99,"Riboflavin","RIBOFLAVIN",83-88-5,-,"(EU) X",')
    )
    report = import_cosing(catalogue, [inv, annex])
    assert report.added == ("zztest-glycoside",)
    assert report.updated == ("riboflavin",)
    by_id = {i.id: i for i in catalogue.ingredients()}
    assert by_id["zztest-glycoside"].ingredient_class is IngredientClass.ANTIOXIDANT
    listing = by_id["riboflavin"].eu_cosmetics
    assert listing is not None and (listing.annex, listing.reference) == ("III", "99")
    assert catalogue.ingredients(text="ZZTEST GLYCOSIDE")[0].id == "zztest-glycoside"
    before = db_content(catalogue)
    again = import_cosing(catalogue, [inv, annex])
    assert again.added == again.updated == ()
    assert db_content(catalogue) == before


def test_a_curated_listing_is_kept_and_the_disagreement_noted(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    curated = next(i for i in catalogue.ingredients() if i.id == "hydroquinone").eu_cosmetics
    assert curated is not None and not curated.source.startswith(CREDIT)
    annex = _write(
        tmp_path, "vi.csv", annex_text("VI", '5,"Hydroquinone","HYDROQUINONE",123-31-9,-,"x",')
    )
    report = import_cosing(catalogue, [annex])
    assert report.updated == ()
    assert [p.code for p in report.problems] == ["cosing-listing"]
    assert (
        next(i for i in catalogue.ingredients() if i.id == "hydroquinone").eu_cosmetics == curated
    )


def test_suppliers_ingredients_are_never_touched(tmp_path: Path, catalogue: Catalogue) -> None:
    catalogue.import_catalogue(make_catalogue())
    own_before = catalogue.conn.execute(
        "SELECT record FROM ingredients WHERE supplier_id = 'acme'"
    ).fetchall()
    inv = _write(tmp_path, "inv.csv", HEADER + "70005,ACME PEPTIDE,,,,III/1\r\n")
    annex = _write(tmp_path, "ii.csv", annex_text("II", '1,"x","ACME PEPTIDE COMPLEX",-,-,"x",'))
    report = import_cosing(catalogue, [inv, annex])
    assert report.added == ("acme-peptide-70005",)  # the id acme uses is left to acme
    assert (
        catalogue.conn.execute(
            "SELECT record FROM ingredients WHERE supplier_id = 'acme'"
        ).fetchall()
        == own_before
    )


def test_nothing_is_written_when_one_file_is_unreadable(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    good = _write(tmp_path, "inv.csv", HEADER + "70001,ZZTEST GLYCOSIDE,,,,\r\n")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe" + "x".encode("utf-16-le"))
    before = db_content(catalogue)
    with pytest.raises(UnreadableInput):
        import_cosing(catalogue, [good, bad])
    assert db_content(catalogue) == before


def test_a_read_only_catalogue_is_refused(tmp_path: Path) -> None:
    Catalogue.open(tmp_path / "c.db").close()
    inv = _write(tmp_path, "inv.csv", HEADER + "70001,ZZTEST GLYCOSIDE,,,,\r\n")
    with (
        Catalogue.open(tmp_path / "c.db", readonly=True) as catalogue,
        pytest.raises(CatalogueError, match="read-only"),
    ):
        import_cosing(catalogue, [inv])


def test_a_suppliers_inci_name_resolves_once_cosing_is_imported(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    inv = _write(tmp_path, "inv.csv", HEADER + "70001,ZZTEST GLYCOSIDE,50-00-0,,,\r\n")
    import_cosing(catalogue, [inv])
    data = make_catalogue().model_dump(mode="json", by_alias=True)
    data["cocktails"][0]["composition"].append({"ingredient": "ZZTEST GLYCOSIDE"})
    try:
        catalogue.import_catalogue(CatalogueFile.model_validate(data))
    except InvalidInput as error:
        pytest.fail(str(error))
    stored = catalogue.get("acme/hair-revive")
    assert stored.composition[-1].ingredient == "zztest-glycoside"


def test_cosing_writes_through_the_stores_public_upsert() -> None:
    """No private name of another module is imported (the importer's old alias is gone)."""
    tree = ast.parse(Path(cosing.__file__).read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []
    assert not hasattr(importer, "_upsert_ingredient")


# ---------------------------------------------------------------- CAS numbers against CosIng


@functools.cache
def _all_extracts() -> list[cosing.CosingFile]:
    return [read_cosing(INVENTORY), *(read_cosing(path) for path in ANNEXES.values())]


def _melilot(cas: str | None) -> Ingredient:
    return Ingredient.model_validate(
        {
            "id": "melilot-extract",
            "name": "Melilot extract",
            "inci": "MELILOTUS OFFICINALIS EXTRACT",
            "class": "plant_extract",
            "cas": cas,
            "source": "fixture record",
        }
    )


@needs_data
def test_a_cas_that_cosing_gives_to_another_substance_is_refused() -> None:
    """The error the shipped data carried: melilot extract with peppermint's CAS number."""
    annex_iii = read_cosing(ANNEXES["III"])
    (problem,) = cosing.cas_conflicts([annex_iii], [_melilot("84082-70-2")])
    assert problem.code == "cosing-cas-conflict" and problem.severity == "error"
    assert "mentha piperita" in problem.message.lower() and "Annex III ref 361" in problem.message
    assert problem.value == "84082-70-2"
    update = annex_listings([annex_iii], [_melilot("84082-70-2")])
    assert update.ingredients == ()  # no listing taken from a CAS that names another substance
    assert [p.code for p in update.skipped] == ["cosing-cas-conflict"]


@needs_data
def test_a_cas_that_cosing_gives_to_the_same_substance_is_accepted() -> None:
    retinol = next(i for i in reference.ingredients() if i.id == "retinol")
    assert cosing.cas_conflicts(_all_extracts(), [retinol]) == []
    assert cosing.same_substance(retinol, ["RETINOL"])
    assert not cosing.same_substance(_melilot(None), ["MENTHA PIPERITA OIL"])  # "oil" is generic


@needs_data
def test_no_shipped_cas_number_is_another_substance_in_cosing() -> None:
    assert cosing.cas_conflicts(_all_extracts(), reference.ingredients()) == []


@needs_data
def test_a_shipped_cas_found_in_cosing_cites_cosing_and_the_others_say_where_theirs_is_from() -> (
    None
):
    in_cosing = {
        cas
        for extract in _all_extracts()
        for entry in (*extract.annex_entries, *extract.inventory)
        for cas in entry.cas
    }
    for ingredient in reference.ingredients():
        if ingredient.cas is None:
            continue
        cas_part = ingredient.source.split("; MW")[0]
        assert cas_part.startswith("CAS"), ingredient.id
        if ingredient.cas in in_cosing:
            assert "CosIng" in cas_part, ingredient.id
        else:
            assert "http" in cas_part or "CosIng" in cas_part, ingredient.id
