"""Exports: formats, one supplier per file, past versions, spreadsheet safety, the CSV layout,
and export -> import -> export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import catalogue_files

from meso_formulary.catalogue import Catalogue, ReferenceData
from meso_formulary.catalogue.store.export import (
    CSV_FIELDS,
    RESERVED_NOTE,
    csv_export,
    write_export,
)
from meso_formulary.errors import InvalidInput, MesoError, NotFound
from meso_formulary.files import parse_json, parse_yaml, validate_document
from meso_formulary.files.csv_reader import KNOWN
from meso_formulary.model import CatalogueFile, CompositionLine

Factory = Callable[..., Any]
REFERENCE_IDS = sorted(i.id for i in ReferenceData.shipped().ingredients)


def read_back(text: str, fmt: str) -> CatalogueFile:
    """An exported document read through the hardened readers, as ``meso import`` would."""
    document = parse_json(text, "export.json") if fmt == "json" else parse_yaml(text, "export.yaml")
    catalogue, problems = validate_document(document)
    assert catalogue is not None, problems
    return catalogue


@pytest.fixture
def two_suppliers(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> Catalogue:
    catalogue.import_catalogue(make_document("bravo", [make_cocktail("bravo", "b")]))
    catalogue.import_catalogue(
        make_document("acme", [make_cocktail("acme", "a", [("Biotin", 1, "mg/mL")])])
    )
    return catalogue


def test_a_supplier_export_is_its_document_with_ids(two_suppliers: Catalogue) -> None:
    for fmt in ("json", "yaml"):
        document = read_back(two_suppliers.export(fmt, supplier="acme"), fmt)
        assert document.supplier.id == "acme" and document.version == 1
        assert document.cocktails[0].composition[0].ingredient == "biotin"  # resolved
        assert document.cocktails[0] == two_suppliers.get("acme/a")


def test_a_catalogue_of_one_supplier_exports_it(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    catalogue.import_catalogue(make_document("bravo", [make_cocktail("bravo", "b")]))
    for fmt in ("json", "yaml", "csv"):
        assert catalogue.export(fmt) == catalogue.export(fmt, supplier="bravo")


def test_several_suppliers_are_exported_one_by_one(two_suppliers: Catalogue) -> None:
    with pytest.raises(InvalidInput, match=r"2 suppliers' catalogues \(acme, bravo\)") as many:
        two_suppliers.export("json")
    assert many.value.hint is not None and "--supplier" in many.value.hint
    assert "-o FOLDER/" in many.value.hint


def test_an_empty_catalogue_has_nothing_to_export(catalogue: Catalogue) -> None:
    for fmt in ("json", "yaml", "csv"):
        with pytest.raises(NotFound, match="no supplier's catalogue") as empty:
            catalogue.export(fmt)
        assert empty.value.hint is not None and "meso import" in empty.value.hint


def test_write_export_streams_the_same_text(two_suppliers: Catalogue) -> None:
    for fmt in ("json", "yaml", "csv"):
        stream = io.StringIO()
        two_suppliers.write_export(stream, fmt, supplier="acme")
        assert stream.getvalue() == two_suppliers.export(fmt, supplier="acme")


def test_the_reference_supplier_exports_with_a_note() -> None:
    reference = Catalogue.default()
    notes = write_export(reference.conn, io.StringIO(), "json")
    assert notes == [RESERVED_NOTE] and "meso import refuses it" in RESERVED_NOTE


def test_unknown_suppliers_versions_and_formats(two_suppliers: Catalogue) -> None:
    with pytest.raises(NotFound, match="no supplier 'acm'") as missing:
        two_suppliers.export(supplier="acm")
    assert missing.value.hint is not None and "acme" in missing.value.hint
    with pytest.raises(NotFound, match="no catalogue version 3") as version:
        two_suppliers.export(supplier="acme", version=3)
    assert version.value.hint == "stored versions: 1"
    with pytest.raises(InvalidInput, match="belongs to one supplier"):
        two_suppliers.export(version=1)
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        two_suppliers.export("xml", supplier="acme")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown export format 'xml'") as fmt:
        two_suppliers.export("xml")  # type: ignore[arg-type]
    assert not isinstance(fmt.value, MesoError)  # a caller's mistake, not a user's


def test_csv_has_the_reader_columns_one_row_per_line_and_no_formulas(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    hostile = make_cocktail(
        "acme",
        "x",
        [("biotin", 0.5, "mg/mL"), ("dexpanthenol", 2, "% w/v"), ("sodium-chloride", None, None)],
        name='=HYPERLINK("http://evil.example","click")',
    )
    catalogue.import_catalogue(make_document("acme", [hostile]))
    rows = list(csv.DictReader(io.StringIO(catalogue.export("csv"))))
    assert set(rows[0]) == KNOWN and tuple(rows[0]) == CSV_FIELDS
    assert [r["ingredient"] for r in rows] == ["biotin", "dexpanthenol", "sodium-chloride"]
    assert rows[0]["cocktail_name"].startswith("'=")
    assert (rows[0]["value"], rows[0]["unit"]) == ("0.5", "mg/mL")
    assert (rows[2]["value"], rows[2]["unit"]) == ("", "")
    assert {r["supplier_id"] for r in rows} == {"acme"}


def test_csv_refuses_own_ingredients_and_names_what_it_leaves_out(
    catalogue: Catalogue, make_document: Factory, make_cocktail: Factory
) -> None:
    document = make_document("acme", [make_cocktail("acme", "a", [("biotin", 1, "mg/mL")])])
    catalogue.import_catalogue(document)
    notes = write_export(catalogue.conn, io.StringIO(), "csv")
    stored = catalogue.get("acme/a")
    lost = [f"cocktails.{key}" for key in ("protocol", "aftercare") if getattr(stored, key)]
    assert not lost or ("the CSV layout has no columns for" in notes[0] and lost[0] in notes[0])
    own = {"id": "acme-peptide", "name": "Acme peptide", "class": "peptide", "source": "acme"}
    doc = make_document(
        "acme", [make_cocktail("acme", "a", [("acme-peptide", 1, "mg/mL")])], ingredients=[own]
    )
    with pytest.raises(InvalidInput, match=r"own ingredients \(acme-peptide\)") as refused:
        csv_export(doc)
    assert refused.value.hint is not None and "JSON or YAML" in refused.value.hint


# ---------------------------------------------------------------- round trip


@st.composite
def importable(draw: st.DrawFn) -> CatalogueFile:
    """A valid catalogue whose composition names known ingredients, each once per cocktail."""
    document = draw(catalogue_files(max_cocktails=3, max_ingredients=2))
    own = [i.id for i in document.ingredients]
    assume(not set(own) & set(REFERENCE_IDS))
    pool = REFERENCE_IDS[:30] + own
    cocktails = []
    for cocktail in document.cocktails:
        names = draw(st.permutations(pool))[: len(cocktail.composition)]
        lines = tuple(
            CompositionLine(ingredient=name, strength=line.strength)
            for line, name in zip(cocktail.composition, names, strict=False)
        )
        cocktails.append(cocktail.model_copy(update={"composition": lines}))
    return document.model_copy(update={"cocktails": tuple(cocktails)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=importable(), fmt=st.sampled_from(["json", "yaml"]))
def test_export_then_import_gives_the_same_export(document: CatalogueFile, fmt: str) -> None:
    # Export fidelity holds for whatever the store holds: the rules engine (whose errors the
    # generated strengths, pH and units often trip) is left out.
    with Catalogue.memory() as first:
        first.import_stream(document, [], check_rules=False)
        exported = {f: first.export(f) for f in ("json", "yaml")}
        text = first.export(fmt, supplier=document.supplier.id)
    with Catalogue.memory() as second:
        second.import_stream(read_back(text, fmt), [], check_rules=False)
        assert {f: second.export(f) for f in ("json", "yaml")} == exported
