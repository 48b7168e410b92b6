"""The catalogue as one FHIR R5 ``Bundle`` (type ``collection``), as plain JSON-ready dicts.

For each supplier (by id) and each of its cocktails (by id) the Bundle holds:

- a ``MedicationKnowledge``: the cocktail id as an identifier (system :data:`COCKTAIL_SYSTEM`),
  its name and brands, ``status`` active, ``productType`` compound (and the product type
  when stated), the jurisdictions of its regulatory claims (else its supplier's), one
  ``indicationGuideline`` with the indications coded in ICD-10 and SNOMED CT where the data
  has codes and the course as a dosing guideline where a protocol is stored, the regulatory
  status and claims as ``medicineClassification`` (with their sources), the cocktail's
  sources as ``monograph`` references, and references to its Medication and its
  ClinicalUseDefinitions;
- a ``Medication``: the composition, one ``ingredient`` per line (the ingredient by its id,
  its CAS Registry Number as the identifier of a logical reference where known, its INCI
  name as that reference's display), ``isActive`` (every class but excipient, as
  ``n_actives`` counts), and the strength as a UCUM ``strengthRatio`` (:data:`UCUM`); a
  strength not disclosed is left out, never zero;
- a ``ClinicalUseDefinition`` of type ``contraindication`` per client condition that rules
  the cocktail out (the stored screening: the cocktail lists it, an ingredient lists it, an
  ingredient carries a moiety or belongs to an allergen group it rules out, or a plain-text
  contraindication names it; the reasons in its narrative), the condition coded where the
  data has codes, and one of type ``warning`` per rule finding of severity warning;
- and per supplier one ``Provenance``: the supplier as author, its catalogue version and
  signature status (verified, draft or reference) as the source entity, targeting every
  resource above (a supplier without cocktails has nothing in the Bundle, so no
  Provenance). Each resource's ``meta`` carries the same: ``meta.source`` names the
  supplier's catalogue version, a ``meta.tag`` its signature status.

The Bundle's ``issues`` (an ``OperationOutcome`` of severity information) carries the
not-medical-advice notice. ``fullUrl`` values are ``urn:uuid:`` UUIDs derived (uuid5) from
the cocktail id and version, so the same catalogue gives byte-identical output
(:func:`bundle_json`); nothing in the Bundle records when it was made.

Standard library only: the mapping reads the stored rows through
:func:`~.cocktail_view.load_cocktail`, the view every front end shows. ``docs/fhir.md`` has
the mapping table and a worked example.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Final

from meso_formulary.catalogue.store.cocktail_card import (
    CompositionLine,
    FindingLine,
    ProtocolFacts,
    words,
)
from meso_formulary.catalogue.store.cocktail_view import CocktailView, RuledOutBy, load_cocktail
from meso_formulary.catalogue.store.connect import reads_stored_rows
from meso_formulary.catalogue.store.provenance import Provenance, provenance
from meso_formulary.errors import NotFound
from meso_formulary.names import suggest
from meso_formulary.notice import NOT_MEDICAL_ADVICE

Json = dict[str, Any]

COCKTAIL_SYSTEM: Final = "urn:meso-formulary:cocktail"
"""The identifier system of a cocktail id (``acme/hair-booster``)."""
SUPPLIER_SYSTEM: Final = "urn:meso-formulary:supplier"
INGREDIENT_SYSTEM: Final = "urn:meso-formulary:ingredient"
INDICATION_SYSTEM: Final = "urn:meso-formulary:indication"
CONDITION_SYSTEM: Final = "urn:meso-formulary:condition"
PRODUCT_TYPE_SYSTEM: Final = "urn:meso-formulary:product-type"
REGULATORY_STATUS_SYSTEM: Final = "urn:meso-formulary:regulatory-status"
PROVENANCE_SYSTEM: Final = "urn:meso-formulary:provenance"
"""The ``meta.tag`` system of the signature status: ``verified``, ``draft``, ``reference``."""
RULE_SYSTEM: Final = "urn:meso-formulary:rule"
"""The code system of a rule finding's code (``meso_formulary.rules``)."""
CATALOGUE_SYSTEM: Final = "urn:meso-formulary:catalogue"
"""The identifier system of a supplier's catalogue version (``acme@3``)."""

ICD10_SYSTEM: Final = "http://hl7.org/fhir/sid/icd-10"
SNOMED_SYSTEM: Final = "http://snomed.info/sct"
CAS_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/CAS"
"""The preferred URI of HL7's CAS naming system (terminology.hl7.org, NamingSystem CAS)."""
UCUM_SYSTEM: Final = "http://unitsofmeasure.org"
ISO3166_SYSTEM: Final = "urn:iso:std:iso:3166"
PARTICIPANT_TYPE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

CODE_SYSTEMS: Final = {"ICD-10": ICD10_SYSTEM, "SNOMED CT": SNOMED_SYSTEM}
"""Our :class:`~meso_formulary.model.Coding` systems and their FHIR URIs."""

UCUM: Final[dict[str, tuple[str, str, float, str, str]]] = {
    "mg/mL": ("mg", "mg", 1, "mL", "mL"),
    "µg/mL": ("ug", "µg", 1, "mL", "mL"),
    "% w/v": ("g", "g", 100, "mL", "mL"),
    "IU/mL": ("[iU]", "IU", 1, "mL", "mL"),
    "mmol/L": ("mmol", "mmol", 1, "L", "L"),
}
"""Each unit (:class:`~meso_formulary.units.Unit` value) with a UCUM ratio: numerator code
and unit text, denominator value, code and unit text. ``mg/vial`` has none (a vial is no
UCUM unit): it is written as mg per the vial's volume in mL where the cocktail states one,
else as text (``strengthCodeableConcept``), never as a guessed ratio."""

PER_VIAL: Final = "mg/vial"

_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:meso-formulary")
_NARRATIVE: Final = '<div xmlns="http://www.w3.org/1999/xhtml">{}</div>'


def resource_uuid(*parts: str) -> str:
    """The UUID (version 5, so the same parts always give the same one) of a resource."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _url(resource: Json) -> str:
    return f"urn:uuid:{resource['id']}"


def _ref(resource: Json) -> Json:
    return {"reference": _url(resource)}


def _number(value: float) -> float | int:
    """``30.0`` as ``30``: a FHIR decimal keeps the precision it is written with."""
    return int(value) if float(value).is_integer() else value


def _quantity(value: float, code: str, unit: str) -> Json:
    return {"value": _number(value), "unit": unit, "system": UCUM_SYSTEM, "code": code}


def strength_ratio(value: float, unit: str, vial_volume_ml: float | None) -> Json | None:
    """The UCUM ``Ratio`` of a strength (:data:`UCUM`), or ``None`` when its unit has none."""
    if unit == PER_VIAL:
        if vial_volume_ml is None:
            return None
        return {
            "numerator": _quantity(value, "mg", "mg"),
            "denominator": _quantity(vial_volume_ml, "mL", "mL"),
        }
    mapped = UCUM.get(unit)
    if mapped is None:
        return None
    code, text, per, per_code, per_text = mapped
    return {
        "numerator": _quantity(value, code, text),
        "denominator": _quantity(per, per_code, per_text),
    }


def _coding(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(text: str, codings: Iterable[Json] = ()) -> Json:
    listed = list(codings)
    return {"coding": listed, "text": text} if listed else {"text": text}


def _codings(codes: Iterable[dict[str, Any]]) -> list[Json]:
    """Our stored codings (ICD-10, SNOMED CT) as FHIR codings."""
    return [
        _coding(CODE_SYSTEMS[code["system"]], code["code"], code.get("display"))
        for code in codes
        if code.get("system") in CODE_SYSTEMS
    ]


def _narrative(paragraphs: Iterable[str]) -> Json:
    body = "".join(f"<p>{escape(text, quote=False)}</p>" for text in paragraphs)
    return {"status": "generated", "div": _NARRATIVE.format(body)}


def _jurisdiction(code: str) -> Json:
    """An ISO 3166-1 alpha-2 code as a concept; ``EU`` (no ISO 3166-1 country) as text."""
    if code == "EU":
        return {"text": "European Union"}
    return _concept(code, [_coding(ISO3166_SYSTEM, code)])


class _Facts:
    """What the mapping reads besides each cocktail's view: codes and CAS numbers by id."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.indication_codes = {
            row[0]: json.loads(row[1]).get("codes", ())
            for row in conn.execute("SELECT id, record FROM indications")
        }
        self.condition_codes = {
            row[0]: json.loads(row[1]).get("codes", ())
            for row in conn.execute("SELECT id, record FROM conditions")
        }
        self.cas = dict(conn.execute("SELECT id, cas FROM ingredients WHERE cas IS NOT NULL"))


def _meta(provenance: Provenance, supplier: str) -> Json:
    return {
        "source": f"{CATALOGUE_SYSTEM}:{supplier}@{provenance.catalogue_version}",
        "tag": [_coding(PROVENANCE_SYSTEM, provenance.kind, provenance.text)],
    }


def _ingredient(line: CompositionLine, cas: str | None, vial_volume_ml: float | None) -> Json:
    item: Json = {
        "concept": _concept(line.name, [_coding(INGREDIENT_SYSTEM, line.ingredient_id, line.name)])
    }
    if cas is not None or line.inci:
        reference: Json = {"type": "Substance"}
        if cas is not None:
            reference["identifier"] = {"system": CAS_SYSTEM, "value": cas}
        reference["display"] = line.inci or line.name
        item["reference"] = reference
    ingredient: Json = {"item": item, "isActive": line.ingredient_class != "excipient"}
    if line.value is not None and line.unit is not None:
        ratio = strength_ratio(line.value, line.unit, vial_volume_ml)
        if ratio is not None:
            ingredient["strengthRatio"] = ratio
        else:
            ingredient["strengthCodeableConcept"] = {"text": line.strength}
    return ingredient


def _medication(view: CocktailView, facts: _Facts, meta: Json, knowledge: Json) -> Json:
    vial = view.record.get("vial_volume_ml")
    medication: Json = {
        "resourceType": "Medication",
        "id": resource_uuid("Medication", view.id, view.version),
        "meta": meta,
        "identifier": knowledge["identifier"],
        "code": {"text": view.name},
        "status": "active",
        "definition": _ref(knowledge),
    }
    if vial is not None:
        medication["totalVolume"] = _quantity(vial, "mL", "mL")
    if view.composition:
        medication["ingredient"] = [
            _ingredient(line, facts.cas.get(line.ingredient_id), vial) for line in view.composition
        ]
    return medication


def _course_text(protocol: ProtocolFacts) -> str:
    return "; ".join(f"{label}: {value}" for label, value in protocol.facts)


def _dosing(protocol: ProtocolFacts, techniques: Sequence[str]) -> Json:
    repeat: Json = {
        "count": protocol.sessions,
        "frequency": 1,
        "period": protocol.interval_days,
        "periodUnit": "d",
    }
    if protocol.session_minutes is not None:
        repeat["duration"] = protocol.session_minutes
        repeat["durationUnit"] = "min"
    dosage: Json = {"text": _course_text(protocol), "timing": {"repeat": repeat}}
    if techniques:
        dosage["method"] = {"text": ", ".join(words(t) for t in techniques)}
    return {"dosage": [{"type": {"text": "course of sessions"}, "dosage": [dosage]}]}


def _indication_guideline(view: CocktailView, facts: _Facts) -> list[Json]:
    guideline: Json = {}
    if view.indications:
        guideline["indication"] = [
            {
                "concept": _concept(
                    named.name,
                    [
                        _coding(INDICATION_SYSTEM, named.id, named.name),
                        *_codings(facts.indication_codes.get(named.id, ())),
                    ],
                )
            }
            for named in view.indications
        ]
    if view.protocol is not None:
        administration = view.record.get("administration") or {}
        guideline["dosingGuideline"] = [
            _dosing(view.protocol, administration.get("techniques", ()))
        ]
    return [guideline] if guideline else []


def _classifications(view: CocktailView) -> list[Json]:
    """The regulatory status (when stated) and each sourced claim, as classifications."""
    found: list[Json] = []
    if view.regulatory_status != "unknown":
        found.append(
            {
                "type": {"text": "regulatory status"},
                "classification": [
                    _concept(
                        view.status,
                        [_coding(REGULATORY_STATUS_SYSTEM, view.regulatory_status, view.status)],
                    )
                ],
            }
        )
    for claim in view.regulatory:
        status = _coding(REGULATORY_STATUS_SYSTEM, claim.status, words(claim.status))
        found.append(
            {
                "type": {"text": f"regulatory status in {claim.jurisdiction}"},
                "classification": [_concept(claim.text, [status])],
                "sourceString": claim.source,
            }
        )
    return found


def _knowledge(view: CocktailView, meta: Json) -> Json:
    names = list(dict.fromkeys([view.name, *view.brands]))
    jurisdictions = [claim.jurisdiction for claim in view.regulatory]
    if not jurisdictions and view.supplier.jurisdiction:
        jurisdictions = [view.supplier.jurisdiction]
    product_types = [{"text": "compound"}]
    if view.product_type is not None:
        text = words(view.product_type)
        product_types.append(
            _concept(text, [_coding(PRODUCT_TYPE_SYSTEM, view.product_type, text)])
        )
    knowledge: Json = {
        "resourceType": "MedicationKnowledge",
        "id": resource_uuid("MedicationKnowledge", view.id, view.version),
        "meta": meta,
        "identifier": [{"system": COCKTAIL_SYSTEM, "value": view.id}],
        "code": {"text": view.name},
        "status": "active",
        "author": {
            "identifier": {"system": SUPPLIER_SYSTEM, "value": view.supplier.id},
            "display": view.supplier.name,
        },
        "intendedJurisdiction": [_jurisdiction(j) for j in dict.fromkeys(jurisdictions)],
        "name": names,
        "productType": product_types,
    }
    if not knowledge["intendedJurisdiction"]:
        del knowledge["intendedJurisdiction"]
    return knowledge


def _contraindication(
    view: CocktailView, reasons: Sequence[RuledOutBy], facts: _Facts, meta: Json, subject: Json
) -> Json:
    condition = reasons[0].condition
    listed = [c for c in view.contraindications if c.condition == condition and c.source]
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": resource_uuid("ClinicalUseDefinition", view.id, view.version, condition.id),
        "meta": meta,
        "text": _narrative(
            [
                f"{view.name} is ruled out for {condition.name}: "
                + "; ".join(reason.why for reason in reasons)
                + ".",
                *(f"Source: {c.source}" for c in listed),
            ]
        ),
        "type": "contraindication",
        "subject": [_ref(subject)],
        "contraindication": {
            "diseaseSymptomProcedure": {
                "concept": _concept(
                    condition.name,
                    [
                        _coding(CONDITION_SYSTEM, condition.id, condition.name),
                        *_codings(facts.condition_codes.get(condition.id, ())),
                    ],
                )
            }
        },
    }


def _warning(view: CocktailView, finding: FindingLine, meta: Json, subject: Json) -> Json:
    description = finding.message + (f" (source: {finding.source})" if finding.source else "")
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": resource_uuid(
            "ClinicalUseDefinition", view.id, view.version, finding.code, finding.path
        ),
        "meta": meta,
        "type": "warning",
        "subject": [_ref(subject)],
        "warning": {
            "description": description,
            "code": _concept(finding.rule, [_coding(RULE_SYSTEM, finding.code)]),
        },
    }


def _cocktail_resources(view: CocktailView, facts: _Facts) -> list[Json]:
    """The MedicationKnowledge, Medication and ClinicalUseDefinitions of one cocktail."""
    meta = _meta(view.provenance, view.supplier.id)
    knowledge = _knowledge(view, meta)
    medication = _medication(view, facts, meta, knowledge)
    by_condition: dict[str, list[RuledOutBy]] = {}
    for reason in view.ruled_out_by:
        by_condition.setdefault(reason.condition.id, []).append(reason)
    uses = [
        _contraindication(view, reasons, facts, meta, knowledge)
        for reasons in by_condition.values()
    ]
    uses += [
        _warning(view, finding, meta, knowledge)
        for finding in view.findings or ()
        if finding.severity == "warning"
    ]
    knowledge["associatedMedication"] = [_ref(medication)]
    if uses:
        knowledge["clinicalUseIssue"] = [_ref(use) for use in uses]
    guideline = _indication_guideline(view, facts)
    if guideline:
        knowledge["indicationGuideline"] = guideline
    classifications = _classifications(view)
    if classifications:
        knowledge["medicineClassification"] = classifications
    if view.sources:
        knowledge["monograph"] = [{"source": {"display": source}} for source in view.sources]
    return [knowledge, medication, *uses]


def _provenance(supplier: str, name: str, provenance: Provenance, targets: Sequence[Json]) -> Json:
    version = provenance.catalogue_version
    return {
        "resourceType": "Provenance",
        "id": resource_uuid("Provenance", supplier, str(version)),
        "meta": _meta(provenance, supplier),
        "target": [_ref(target) for target in targets],
        "agent": [
            {
                "type": _concept("Author", [_coding(PARTICIPANT_TYPE_SYSTEM, "author", "Author")]),
                "who": {
                    "identifier": {"system": SUPPLIER_SYSTEM, "value": supplier},
                    "display": name,
                },
            }
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {"system": CATALOGUE_SYSTEM, "value": f"{supplier}@{version}"},
                    "display": f"{name}'s catalogue, version {version}: {provenance.text}",
                },
            }
        ],
    }


def _suppliers(conn: sqlite3.Connection, supplier: str | None) -> list[str]:
    stored = [row[0] for row in conn.execute("SELECT id FROM suppliers ORDER BY id")]
    if supplier is None:
        return stored
    if supplier not in stored:
        close = suggest(supplier, stored)
        hint = f"did you mean {', '.join(close)}?" if close else None
        if hint is None and stored:
            hint = f"the catalogue's suppliers: {', '.join(stored)}"
        raise NotFound(f"no supplier {supplier!r} in the catalogue", hint=hint)
    return [supplier]


@reads_stored_rows
def fhir_bundle(conn: sqlite3.Connection, supplier: str | None = None) -> Json:
    """The FHIR R5 Bundle of the catalogue on ``conn`` (module doc): every supplier's
    cocktails, or only ``supplier``'s (raises :class:`~meso_formulary.errors.NotFound`, with
    close ids as a hint, for a supplier the catalogue does not hold)."""
    facts = _Facts(conn)
    entries: list[Json] = []
    versions: list[str] = []
    for supplier_id in _suppliers(conn, supplier):
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM cocktails WHERE supplier_id = ? ORDER BY id", (supplier_id,)
            )
        ]
        if not ids:  # a Provenance needs a target
            continue
        resources = [r for i in ids for r in _cocktail_resources(load_cocktail(conn, i), facts)]
        version, verified, signed_by, record = conn.execute(
            "SELECT catalogue_version, verified, signed_by, record FROM suppliers WHERE id = ?",
            (supplier_id,),
        ).fetchone()
        stated = provenance(supplier_id, int(version), bool(verified), signed_by)
        name = json.loads(record)["name"]
        resources.append(_provenance(supplier_id, name, stated, resources))
        versions.append(f"{supplier_id}@{version}")
        entries += [{"fullUrl": _url(r), "resource": r} for r in resources]
    bundle: Json = {
        "resourceType": "Bundle",
        "id": resource_uuid("Bundle", *versions),
        "type": "collection",
        **({"entry": entries} if entries else {}),  # FHIR JSON has no empty arrays
        "issues": {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": NOT_MEDICAL_ADVICE,
                }
            ],
        },
    }
    return bundle


def bundle_json(bundle: Json) -> str:
    """The Bundle as the JSON text ``meso export --format fhir`` writes (two-space indent,
    UTF-8 characters as they are, one final newline): the same Bundle, the same bytes."""
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "CAS_SYSTEM",
    "COCKTAIL_SYSTEM",
    "UCUM",
    "bundle_json",
    "fhir_bundle",
    "resource_uuid",
    "strength_ratio",
]
