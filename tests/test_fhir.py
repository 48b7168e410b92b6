"""The FHIR R5 export (``meso export --format fhir``, ``Catalogue.fhir_bundle``): every
Bundle parses with the R5 model classes of ``fhir.resources``, its resources count what
the catalogue holds, and every disclosed strength is there once, in UCUM."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import TESTCO, Meso, assert_fails
from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from test_fhir_docs import DOCS, INPUT_MARKER, block
from test_store_export import importable

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store.fhir import (
    CAS_SYSTEM,
    COCKTAIL_SYSTEM,
    UCUM,
    bundle_json,
    strength_ratio,
)
from meso_formulary.errors import NotFound
from meso_formulary.files import parse_yaml, require_catalogue
from meso_formulary.model import CatalogueFile, Cocktail
from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.reference import reference_catalogue
from meso_formulary.units import Unit

Json = dict[str, Any]

EXAMPLE = block(DOCS.read_text(encoding="utf-8"), INPUT_MARKER)["body"]
"""docs/fhir.md's example catalogue (supplier ``acme``)."""


def validate(bundle: Json) -> None:
    """Parse ``bundle`` with the R5 models (unknown elements, malformed codes, decimals and
    references refused), and check the codes whose binding is required."""
    assert __fhir_version__.startswith("5.")
    Bundle.model_validate(bundle)
    assert not list(_empty(bundle)), "FHIR JSON has no empty arrays, objects or strings"
    urls = [entry["fullUrl"] for entry in bundle.get("entry", ())]
    assert len(set(urls)) == len(urls)
    for entry in bundle.get("entry", ()):
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        if resource["resourceType"] == "ClinicalUseDefinition":
            assert resource["type"] in ("contraindication", "warning")
        references = [ref for ref in _references(resource) if ref.startswith("urn:uuid:")]
        assert set(references) <= set(urls), "a reference to no entry of the Bundle"


def _empty(value: Any, path: str = "") -> Iterator[str]:
    """The paths of the empty arrays, objects and strings in ``value``."""
    if isinstance(value, (dict, list, str)) and not value:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _empty(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _empty(item, f"{path}.{index}")


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def resources(bundle: Json, kind: str) -> list[Json]:
    entries = bundle.get("entry", ())
    return [e["resource"] for e in entries if e["resource"]["resourceType"] == kind]


def medications_by_cocktail(bundle: Json) -> dict[str, Json]:
    by_id = {r["id"]: r for r in resources(bundle, "Medication")}
    found = {}
    for knowledge in resources(bundle, "MedicationKnowledge"):
        [identifier] = knowledge["identifier"]
        assert identifier["system"] == COCKTAIL_SYSTEM
        [link] = knowledge["associatedMedication"]
        medication = by_id[link["reference"].removeprefix("urn:uuid:")]
        assert medication["identifier"] == knowledge["identifier"]
        found[identifier["value"]] = medication
    return found


def expected_ratio(value: float, unit: Unit, vial_volume_ml: float | None) -> Json | None:
    """The ratio a strength must have, written out from docs/fhir.md's unit table."""
    codes = {
        Unit.MG_PER_ML: ("mg", 1, "mL"),
        Unit.UG_PER_ML: ("ug", 1, "mL"),
        Unit.PERCENT_WV: ("g", 100, "mL"),
        Unit.IU_PER_ML: ("[iU]", 1, "mL"),
        Unit.MMOL_PER_L: ("mmol", 1, "L"),
    }
    if unit is Unit.MG_PER_VIAL:
        if vial_volume_ml is None:
            return None
        code, per, per_code = "mg", vial_volume_ml, "mL"
    else:
        code, per, per_code = codes[unit]
    return {"numerator": (value, code), "denominator": (per, per_code)}


def check_strengths(bundle: Json, cocktails: list[Cocktail]) -> int:
    """Every composition line of ``cocktails`` is one ingredient of its Medication, in
    order; a disclosed strength is its one ratio (or, for mg/vial without a vial volume,
    its text), an undisclosed one has no strength at all. Returns the ratios seen."""
    medications = medications_by_cocktail(bundle)
    assert sorted(medications) == sorted(c.id for c in cocktails)
    ratios = 0
    for cocktail in cocktails:
        lines = medications[cocktail.id].get("ingredient", [])
        assert len(lines) == len(cocktail.composition)
        for stated, line in zip(cocktail.composition, lines, strict=True):
            [coding, *_] = line["item"]["concept"]["coding"]
            assert coding["code"] == stated.ingredient
            strengths = [key for key in line if key.startswith("strength")]
            if stated.strength is None:
                assert strengths == []
                continue
            assert len(strengths) == 1
            expected = expected_ratio(
                stated.strength.value, stated.strength.unit, cocktail.vial_volume_ml
            )
            if expected is None:
                assert line["strengthCodeableConcept"] == {"text": str(stated.strength)}
                continue
            ratio = line["strengthRatio"]
            for part in ("numerator", "denominator"):
                quantity = ratio[part]
                assert quantity["system"] == "http://unitsofmeasure.org"
                assert (quantity["value"], quantity["code"]) == expected[part]
                assert quantity["value"] > 0
            ratios += 1
    return ratios


def counts(bundle: Json) -> Counter[str]:
    kinds = Counter(e["resource"]["resourceType"] for e in bundle.get("entry", ()))
    for use in resources(bundle, "ClinicalUseDefinition"):
        kinds[use["type"]] += 1
    return kinds


def expected_counts(catalogue: Catalogue) -> Counter[str]:
    """What the Bundle of every supplier must hold, counted from the stored rows (a
    Provenance per supplier with cocktails: one with none has nothing to attribute)."""
    conn = catalogue.conn
    suppliers = conn.execute("SELECT count(DISTINCT supplier_id) FROM cocktails").fetchone()[0]
    cocktails = conn.execute("SELECT count(*) FROM cocktails").fetchone()[0]
    ruled_out = conn.execute(
        "SELECT count(*) FROM (SELECT DISTINCT cocktail_id, condition_id FROM cocktail_screening)"
    ).fetchone()[0]
    warnings = sum(
        finding["severity"] == "warning"
        for (findings,) in conn.execute("SELECT findings FROM cocktails")
        for finding in json.loads(findings or "[]")
    )
    return Counter(
        {
            "MedicationKnowledge": cocktails,
            "Medication": cocktails,
            "ClinicalUseDefinition": ruled_out + warnings,
            "contraindication": ruled_out,
            "warning": warnings,
            "Provenance": suppliers,
        }
    )


# ---------------------------------------------------------------- the reference catalogue


@pytest.fixture(scope="module")
def reference_text(meso: Meso) -> str:
    """What ``meso export --format fhir --supplier reference`` writes."""
    result = meso("export", "--format", "fhir", "--supplier", "reference")
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def reference(reference_text: str) -> Json:
    """The reference Bundle, parsed."""
    bundle: Json = json.loads(reference_text)
    return bundle


def test_the_reference_export_validates_against_the_r5_models(reference: Json) -> None:
    validate(reference)
    assert reference["type"] == "collection"
    [notice] = reference["issues"]["issue"]
    assert notice["diagnostics"] == NOT_MEDICAL_ADVICE


def test_the_reference_export_counts_what_the_catalogue_holds(reference: Json) -> None:
    with Catalogue.default() as catalogue:
        expected = expected_counts(catalogue)
    assert expected["MedicationKnowledge"] == len(reference_catalogue().cocktails)
    assert expected["warning"] > 0 and expected["contraindication"] > 0
    assert {k: v for k, v in counts(reference).items() if v} == {
        k: v for k, v in expected.items() if v
    }


def test_every_reference_strength_is_one_ucum_ratio(reference: Json) -> None:
    cocktails = list(reference_catalogue().cocktails)
    with Catalogue.default() as catalogue:  # the composition as stored: ingredient ids
        stored = [catalogue.get(c.id) for c in cocktails]
    disclosed = sum(line.strength is not None for c in stored for line in c.composition)
    assert check_strengths(reference, stored) == disclosed > 0


def test_the_reference_export_carries_codes_cas_and_provenance(reference: Json) -> None:
    text = json.dumps(reference)
    for system in ("http://hl7.org/fhir/sid/icd-10", "http://snomed.info/sct", CAS_SYSTEM):
        assert f'"system": "{system}"' in text
    [provenance] = resources(reference, "Provenance")
    assert len(provenance["target"]) == len(reference["entry"]) - 1
    for entry in reference["entry"]:
        assert entry["resource"]["meta"]["tag"][0]["code"] == "reference"


def test_the_same_catalogue_gives_the_same_bytes(reference_text: str) -> None:
    # the embedded file against a catalogue built afresh in memory (other files, other
    # import times): the same bytes as the command wrote
    with Catalogue.memory() as catalogue:
        catalogue.import_catalogue(reference_catalogue())
        assert bundle_json(catalogue.fhir_bundle()) == reference_text


# ---------------------------------------------------------------- random catalogues


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=importable())
def test_random_catalogues_export_valid_bundles(document: CatalogueFile) -> None:
    with Catalogue.memory() as catalogue:
        catalogue.import_stream(document, [], check_rules=False)
        bundle = catalogue.fhir_bundle(document.supplier.id)
        validate(bundle)
        assert counts(bundle) == expected_counts(catalogue)
        stored = [catalogue.get(c.id) for c in document.cocktails]
    check_strengths(bundle, stored)


def test_every_unit_but_mg_per_vial_has_a_ucum_ratio() -> None:
    assert set(UCUM) == {unit.value for unit in Unit} - {Unit.MG_PER_VIAL.value}
    assert strength_ratio(10, Unit.MG_PER_VIAL, None) is None
    ratio = strength_ratio(10, Unit.MG_PER_VIAL, 2.5)
    assert ratio is not None and ratio["denominator"]["value"] == 2.5


# ---------------------------------------------------------------- the command and the API


def test_cli_writes_a_file_equal_to_the_api(meso: Meso, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "testco.fhir.json"
    result = meso("export", "--format", "fhir", "--db", db, "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    with Catalogue.open(db, readonly=True) as catalogue:
        assert target.read_text(encoding="utf-8") == bundle_json(catalogue.fhir_bundle())
        bundle = catalogue.fhir_bundle()
        validate(bundle)
        assert counts(bundle)["MedicationKnowledge"] == 3
        assert {e["resource"]["meta"]["tag"][0]["code"] for e in bundle["entry"]} == {"draft"}
    assert_fails(meso("export", "-f", "fhir", "--db", db, "-o", target), 1, "exists")


def test_cli_refuses_an_unknown_supplier_with_a_hint(meso: Meso) -> None:
    result = meso("export", "--format", "fhir", "--supplier", "referense")
    assert_fails(result, 1, "Error: no supplier 'referense'", "Hint: did you mean reference?")
    with Catalogue.default() as catalogue, pytest.raises(NotFound):
        catalogue.fhir_bundle("nobody")


def test_cli_refuses_a_folder_and_a_past_version(meso: Meso, tmp_path: Path) -> None:
    assert_fails(meso("export", "-f", "fhir", "-o", f"{tmp_path}/"), 1, "one Bundle", "Hint:")
    result = meso("export", "-f", "fhir", "--supplier", "reference", "--catalogue-version", "1")
    assert_fails(result, 1, "current catalogue", "Hint:")


def test_without_a_supplier_every_supplier_is_in_the_one_bundle() -> None:
    with Catalogue.memory() as catalogue:
        for text, name in ((TESTCO, "testco.yaml"), (EXAMPLE, "acme.yaml")):
            catalogue.import_catalogue(require_catalogue(parse_yaml(text, name)))
        bundle = catalogue.fhir_bundle()
        validate(bundle)
        assert counts(bundle) == expected_counts(catalogue)
    authors = [p["agent"][0]["who"]["identifier"]["value"] for p in resources(bundle, "Provenance")]
    assert authors == ["acme", "testco"]
    sources = [e["resource"]["meta"]["source"] for e in bundle["entry"]]
    assert sources == sorted(sources)  # by supplier, each supplier's resources together
