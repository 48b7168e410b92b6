"""Round trips: what ``meso export`` writes, ``meso validate`` and ``meso import`` read back,
in every format, for one supplier or every one (a folder of files)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import Meso, assert_fails, import_testco
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_store_export import REFERENCE_IDS, importable

from meso_formulary.catalogue import Catalogue
from meso_formulary.errors import InvalidInput
from meso_formulary.files import parse_csv, parse_json, parse_yaml, validate_document
from meso_formulary.model import CatalogueFile, CompositionLine

PARSERS = {"json": parse_json, "yaml": parse_yaml, "csv": parse_csv}


def without_own_ingredients(document: CatalogueFile) -> CatalogueFile:
    """``document`` with its composition on reference ingredients only (the CSV layout has
    no columns for a supplier's own ingredients)."""
    own = {i.id for i in document.ingredients}
    spare = iter(i for i in REFERENCE_IDS[30:] if i not in own)
    cocktails = tuple(
        c.model_copy(
            update={
                "composition": tuple(
                    CompositionLine(
                        ingredient=next(spare) if line.ingredient in own else line.ingredient,
                        strength=line.strength,
                    )
                    for line in c.composition
                )
            }
        )
        for c in document.cocktails
    )
    return document.model_copy(update={"cocktails": cocktails})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=importable(), fmt=st.sampled_from(["json", "yaml", "csv"]))
def test_every_format_validates_and_imports_to_an_equal_export(
    document: CatalogueFile, fmt: str
) -> None:
    if fmt == "csv":  # a CSV of no rows has no supplier either: csv_export refuses it
        assume(document.cocktails)
        document = without_own_ingredients(document)
    with Catalogue.memory() as first:
        first.import_stream(document, [], check_rules=False)
        try:
            text = first.export(fmt)  # the catalogue's only supplier
        except InvalidInput as refused:  # a list item with '|' or ';' has no CSV cell
            assert fmt == "csv" and refused.hint is not None and "JSON or YAML" in refused.hint
            return
    catalogue, problems = validate_document(PARSERS[fmt](text, f"export.{fmt}"))
    assert catalogue is not None, problems
    assert not [p for p in problems if p.severity == "error"]
    with Catalogue.memory() as second:
        second.import_stream(catalogue, [], check_rules=False)
        assert second.export(fmt, supplier=document.supplier.id) == text


def test_cli_every_supplier_goes_to_a_folder_and_back(meso: Meso, tmp_path: Path) -> None:
    db = import_testco(meso, tmp_path)
    other = tmp_path / "other.json"
    exported = json.loads(meso("export", "--db", db).stdout)
    exported["supplier"]["id"] = "otherco"
    for cocktail in exported["cocktails"]:
        cocktail["id"] = cocktail["id"].replace("testco/", "otherco/")
        cocktail["supplier"] = "otherco"
    other.write_text(json.dumps(exported), encoding="utf-8")
    assert meso("import", other, "--unsigned", "--db", db).exit_code == 0
    assert_fails(meso("export", "--db", db), 1, "2 suppliers' catalogues", "-o FOLDER/")
    for fmt in ("json", "yaml", "csv"):
        folder = tmp_path / fmt
        result = meso("export", "--db", db, "-f", fmt, "-o", f"{folder}/")
        assert result.exit_code == 0, result.stderr
        files = sorted(folder.iterdir())
        assert [f.name for f in files] == [f"otherco.{fmt}", f"testco.{fmt}"]
        assert meso("validate", *files).exit_code in (0, 1)  # warnings from the rules only
        again = tmp_path / f"again-{fmt}.db"
        assert meso("import", *files, "--unsigned", "--db", again).exit_code == 0
        for supplier in ("otherco", "testco"):
            args = ("export", "-f", fmt, "--supplier", supplier)
            assert meso(*args, "--db", again).stdout == meso(*args, "--db", db).stdout


def test_cli_reference_export_says_it_is_reserved(meso: Meso) -> None:
    result = meso("export", "-f", "yaml")
    assert result.exit_code == 0
    assert "Note: supplier 'reference'" in result.stderr
    assert "meso import refuses it" in result.stderr
