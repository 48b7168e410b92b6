"""Datasette metadata for a catalogue database, as data: titles, descriptions, units, facets.

The plugin hands this to Datasette (its ``get_metadata`` hook) for every attached file that
is a catalogue, so ``meso serve`` and a plain ``datasette -i catalogue.db`` show the same
descriptions, units, facets and full-text search. Supplier text is untrusted: it only ever
goes into plain-text fields, which Datasette's templates escape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from meso_formulary.notice import NOT_MEDICAL_ADVICE

TITLE = "meso-formulary"


@dataclass(frozen=True)
class SupplierNote:
    """Who publishes part of a catalogue, under which licence, and where it comes from."""

    id: str
    name: str
    licence: str | None
    url: str | None

    def describe(self) -> str:
        """One plain-text line: name, id, licence and source."""
        licence = f"licence {self.licence}" if self.licence else "licence not stated"
        source = f"source {self.url}" if self.url else "source not stated"
        return f"{self.name} ({self.id}): {licence}; {source}."


_COCKTAIL_COLUMNS = {
    "pk": "Row number (the full-text index's rowid).",
    "id": "Cocktail id: supplier/slug. Unique, and never reused for another cocktail.",
    "supplier_id": "The supplier that publishes the cocktail.",
    "name": "Name as the supplier gives it.",
    "description": "What the cocktail is, in the supplier's words.",
    "search_terms": "Extra words the full-text search matches (ingredient names, synonyms).",
    "n_actives": "Number of active ingredients (excipients not counted).",
    "indications": "Concerns the cocktail is for (JSON list of indication ids).",
    "areas": "Treatment areas (JSON list).",
    "techniques": "Injection techniques (JSON list).",
    "regulatory_status": "How the product is placed on the market.",
    "vial_volume_ml": "Volume of one vial, in millilitres.",
    "version": "The cocktail version: the supplier's own label for this cocktail.",
    "version_no": "The revision: which stored content of this cocktail (1 for the first, "
    "one more each time an import changed it; meso history lists them).",
    "digest": "SHA-256 of the canonical record: equal digests mean identical records.",
    "record": "The full cocktail record as canonical JSON.",
    "updated_at": "When this version was imported (UTC).",
}

_COMPOSITION_COLUMNS = {
    "cocktail_id": "The cocktail.",
    "position": "Order of the ingredient in the supplier's list (the first is 1).",
    "ingredient_id": "The ingredient.",
    "value": "Strength as the supplier gives it (empty when not disclosed), in unit.",
    "unit": "Unit of value: mg/mL, µg/mL, % w/v, IU/mL, mmol/L or mg/vial.",
    "mg_per_ml": (
        "Strength converted to mg/mL (empty when not disclosed or not convertible, e.g. "
        "IU without a factor)."
    ),
}

_INGREDIENT_COLUMNS = {
    "id": "Ingredient id.",
    "supplier_id": "Supplier that added it; empty for the reference dictionary.",
    "name": "Common name.",
    "inci": "INCI name.",
    "ingredient_class": "Kind of ingredient (vitamin, peptide, anaesthetic...).",
    "origin": "Where it comes from (synthetic, plant, fish...): some clients exclude some.",
    "cas": "CAS Registry Number (check digit verified).",
    "molecular_weight": "Molecular weight in g/mol (converts mmol/L to mg/mL).",
    "mg_per_iu": "mg of substance per International Unit (converts IU/mL to mg/mL).",
    "record": "The full ingredient record as JSON, with its sources.",
}

_SUPPLIER_COLUMNS = {
    "id": "Supplier id: the namespace of its cocktail ids.",
    "name": "Supplier name.",
    "catalogue_version": "Version of the supplier's catalogue currently imported.",
    "signed_by": "Key that signed the imported catalogue, if it was signed.",
    "verified": "1 when the signature was verified against a trusted key.",
    "record": "The supplier record as JSON: contact, jurisdiction, URL and licence.",
    "imported_at": "When the current catalogue version was imported (UTC).",
}

_INDICATION_COLUMNS = {
    "id": "Indication id.",
    "name": "Name of the concern.",
    "description": "What the concern is.",
    "record": "The full record as JSON: lay synonyms, ICD-10 and SNOMED CT codes, sources.",
}

_HIDDEN = ("meta", "_sqlite_migrations", "catalogue_version_cocktails")


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, fit for a link; else None.

    Supplier text is untrusted, and escaping does not stop a ``javascript:`` link.
    """
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+", re.IGNORECASE)


def linked_source(text: str | None) -> Markup:
    """A source as HTML: escaped text, each http(s) address in it a link.

    A source is a citation, an address, or an address with a note ("https://... (clinic
    page; low quality)"): only the address becomes the link, without the punctuation that
    ends a sentence after it. Everything else is escaped (supplier text is untrusted).
    """
    if not text:
        return Markup("")
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?")
        start, end = match.start(), match.start() + len(url)
        parts.append(escape(text[last:start]))
        parts.append(Markup('<a href="{}" rel="nofollow noopener">{}</a>').format(url, url))
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def database_metadata(suppliers: Sequence[SupplierNote]) -> dict[str, Any]:
    """Metadata for one catalogue database holding ``suppliers``' catalogues.

    With a single supplier (a published catalogue), its licence and source also go into
    Datasette's own licence and source fields, shown at the foot of every page.
    """
    listed = " ".join(supplier.describe() for supplier in suppliers) or "No supplier yet."
    footer: dict[str, str] = {}
    if len(suppliers) == 1:
        (only,) = suppliers
        footer["source"] = only.name
        if only.licence:
            footer["license"] = only.licence
        url = safe_url(only.url)
        if url:
            footer["source_url"] = url
    return {
        **footer,
        "title": "Mesotherapy cocktail catalogue",
        "description": f"{NOT_MEDICAL_ADVICE} Suppliers and their licences: {listed}",
        "tables": {
            "cocktails": {
                "description": (
                    "One row per cocktail (its current version). Search it with the box "
                    "above, or by concern on the search page."
                ),
                "fts_table": "cocktails_fts",
                "fts_pk": "pk",
                "label_column": "name",
                "sort": "name",
                "facets": [
                    {"array": "indications"},
                    "supplier_id",
                    {"array": "areas"},
                    {"array": "techniques"},
                ],
                "columns": _COCKTAIL_COLUMNS,
                "units": {"vial_volume_ml": "mL"},
            },
            "composition": {
                "description": "What each cocktail holds: one row per ingredient and strength.",
                "facets": ["ingredient_id", "unit"],
                "columns": _COMPOSITION_COLUMNS,
                "units": {"mg_per_ml": "mg/mL"},
            },
            "ingredients": {
                "description": "The ingredient dictionary: reference entries and suppliers' own.",
                "label_column": "name",
                "sort": "name",
                "facets": ["ingredient_class", "origin", "supplier_id"],
                "columns": _INGREDIENT_COLUMNS,
                "units": {"molecular_weight": "g/mol"},
            },
            "indications": {
                "description": "The concerns cocktails are catalogued by.",
                "label_column": "name",
                "columns": _INDICATION_COLUMNS,
            },
            "suppliers": {
                "description": "Who publishes each catalogue, and under which licence.",
                "label_column": "name",
                "columns": _SUPPLIER_COLUMNS,
            },
            "cocktail_indications": {"facets": ["indication_id"]},
            "cocktail_areas": {"facets": ["area"]},
            "cocktail_techniques": {"facets": ["technique"]},
            "cocktail_versions": {
                "description": "Every version of every cocktail ever imported (history)."
            },
            "catalogue_versions": {
                "description": "Every catalogue document ever imported, per supplier."
            },
            **{name: {"hidden": True} for name in _HIDDEN},
        },
    }


def instance_metadata(
    search_url: str, databases: Mapping[str, Sequence[SupplierNote]]
) -> dict[str, Any]:
    """Metadata for a Datasette serving the catalogue ``databases`` (name -> suppliers)."""
    link = Markup('<a href="{}">Search cocktails by concern</a>').format(search_url)
    return {
        "title": TITLE,
        "description_html": Markup(
            "<p>{}: type a concern such as “hair loss”.</p><p>{}</p>"
        ).format(link, escape(NOT_MEDICAL_ADVICE)),
        "databases": {name: database_metadata(notes) for name, notes in databases.items()},
    }
