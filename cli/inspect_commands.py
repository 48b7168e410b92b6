"""Looking things up: ``meso show``, ``compare``, ``indications``, ``ingredients``, ``stats``
and ``history``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.cli.common import db_option, open_catalogue
from meso_formulary.cli.output import Format, cell, emit, new_table, output_options

if TYPE_CHECKING:
    from rich.console import Group, RenderableType
    from rich.table import Table
    from rich.text import Text

    from meso_formulary.catalogue import CocktailComparison, CompositionEntry, SupplierRecord
    from meso_formulary.model import Cocktail, Indication, Ingredient
    from meso_formulary.rules import Finding

_id_argument = click.argument("cocktail_id", metavar="ID")


# ---------------------------------------------------------------- show


@click.command()
@_id_argument
@output_options
@db_option
def show(cocktail_id: str, fmt: Format, db: Path | None) -> None:
    """Everything about cocktail ID: composition, protocol, aftercare, findings, sources.

    The composition lists each ingredient's strength as the supplier gives it, its class,
    and the strength in mg/mL where it can be converted. Findings are what the rules engine
    finds questionable (strengths above limits, areas not suited ...), each with its rule.
    The heading says whether the supplier's catalogue came from a signed bundle that
    verified, or is an unsigned draft (imported with meso import --unsigned).

    With --json or --nl: the cocktail as stored, its composition lines with name, class
    and mg_per_ml added, a "findings" list and a "provenance" object (catalogue_version,
    verified, signed_by). With --csv: the composition lines.
    """
    from meso_formulary.rules import validate

    with open_catalogue(db) as catalogue:
        cocktail = catalogue.get(cocktail_id)
        lines = composition_records(catalogue.composition(cocktail.id))
        supplier = catalogue.supplier(cocktail.supplier)
        dictionary = {ingredient.id: ingredient for ingredient in catalogue.ingredients()}
        indications = catalogue.indications()
    findings = validate(cocktail, ingredients=dictionary, indications=indications)
    record = {
        **cocktail.model_dump(mode="json", by_alias=True, exclude_none=True),
        "composition": lines,
        "findings": [finding.as_dict() for finding in findings],
        "provenance": {
            "catalogue_version": supplier.catalogue_version,
            "verified": supplier.verified,
            "signed_by": supplier.signed_by,
        },
    }
    provenance = "shipped reference data" if db is None else provenance_text(supplier)
    emit(
        [record],
        fmt,
        lambda: _show_view(cocktail, provenance, lines, findings),
        flat=lines,
        columns=COMPOSITION_FIELDS,
    )


COMPOSITION_FIELDS = ("position", "ingredient", "name", "class", "value", "unit", "mg_per_ml")


def composition_records(entries: Iterable[CompositionEntry]) -> list[dict[str, Any]]:
    """One record per composition line: the strength as written and in mg/mL when it
    converts (as the store computed it on import)."""
    return [
        {
            "position": entry.position,
            "ingredient": entry.ingredient_id,
            "name": entry.name,
            "class": entry.ingredient_class.value,
            "value": entry.strength.value if entry.strength else None,
            "unit": entry.strength.unit.value if entry.strength else None,
            "mg_per_ml": entry.mg_per_ml,
        }
        for entry in entries
    ]


def provenance_text(supplier: SupplierRecord) -> str:
    """How a supplier's catalogue came: "signed, verified" with the key, or unsigned."""
    if supplier.verified and supplier.signed_by:
        from meso_formulary.catalogue.publishing.keys import group_fingerprint

        return f"signed, verified (key {group_fingerprint(supplier.signed_by)[:19]} ...)"
    return "unsigned draft"


def _show_view(
    cocktail: Cocktail,
    provenance: str,
    lines: Sequence[Mapping[str, Any]],
    findings: Sequence[Finding],
) -> Group:
    from rich.console import Group

    parts: list[RenderableType] = [_heading(cocktail, provenance), cell(cocktail.description)]
    composition = new_table("#", "Ingredient", "Strength", "Class", "mg/mL", title="Composition")
    for line in lines:
        strength = "not disclosed" if line["value"] is None else f"{line['value']:g} {line['unit']}"
        mg = "-" if line["mg_per_ml"] is None else f"{line['mg_per_ml']:.4g}"
        composition.add_row(
            cell(line["position"]),
            cell(line["name"]),
            cell(strength),
            cell(line["class"]),
            cell(mg),
        )
    parts.append(composition)
    parts.append(_facts("Use", _use_facts(cocktail)))
    if cocktail.protocol is not None:
        parts.append(_facts("Protocol", _protocol_facts(cocktail)))
    if cocktail.aftercare:
        aftercare = new_table("After each session", "For", "Source", title="Aftercare")
        for item in cocktail.aftercare:
            hours = "" if item.hours is None else f"{item.hours:g} h"
            aftercare.add_row(cell(item.advice), cell(hours), cell(item.source))
        parts.append(aftercare)
    if cocktail.expected_effects:
        effects = new_table("Effect", "Settles within", "Note", title="Expected effects")
        for effect in cocktail.expected_effects:
            span = effect.settles_within_hours
            within = "" if span is None else f"{_span(span.min, span.max)} h"
            effects.add_row(
                cell(effect.effect.value.replace("_", " ")), cell(within), cell(effect.note)
            )
        parts.append(effects)
    parts.append(_bullets("Contraindications", cocktail.contraindications, "none listed"))
    parts.append(_findings_table(findings))
    parts.append(_bullets("Sources", cocktail.sources, "none given"))
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part, cell("")]
    return Group(*spaced[:-1])


def _heading(cocktail: Cocktail, provenance: str) -> Text:
    text = cell(cocktail.name, style="bold")
    status = cocktail.regulatory_status.value.replace("_", " ")
    details = (
        f"{cocktail.id} | supplier {cocktail.supplier} ({provenance}) | version {cocktail.version}"
    )
    text.append("\n")
    text.append_text(cell(f"{details} | {status}", style="dim"))
    return text


def _use_facts(cocktail: Cocktail) -> list[tuple[str, str]]:
    facts = [
        ("Indications", ", ".join(cocktail.indications) or "none listed"),
        ("Areas", ", ".join(cocktail.areas) or "none listed"),
    ]
    if cocktail.vial_volume_ml is not None:
        facts.append(("Vial", f"{cocktail.vial_volume_ml:g} mL"))
    if cocktail.ph is not None:
        facts.append(("pH", f"{cocktail.ph:g}"))
    if cocktail.osmolality_mosm_kg is not None:
        facts.append(("Osmolality", f"{cocktail.osmolality_mosm_kg:g} mOsm/kg"))
    given = cocktail.administration
    if given is not None:
        facts.append(("Techniques", ", ".join(t.replace("_", " ") for t in given.techniques)))
        if given.devices:
            facts.append(("Devices", ", ".join(d.replace("_", " ") for d in given.devices)))
        if given.depth_mm is not None:
            facts.append(("Depth", f"{_span(given.depth_mm.min, given.depth_mm.max)} mm"))
        if given.needle_gauge is not None:
            facts.append(("Needle", f"{given.needle_gauge} G"))
        if given.volume_per_session_ml is not None:
            facts.append(("Volume per session", f"{given.volume_per_session_ml:g} mL"))
    return facts


def _protocol_facts(cocktail: Cocktail) -> list[tuple[str, str]]:
    protocol = cocktail.protocol
    assert protocol is not None  # checked by the caller
    facts = [("Course", f"{protocol.sessions} sessions, every {protocol.interval_days} days")]
    if protocol.session_minutes is not None:
        facts.append(("Session", f"{protocol.session_minutes} minutes"))
    if protocol.topical_numbing:
        facts.append(("Numbing", "topical numbing cream before the session"))
    if protocol.results_last_months is not None:
        span = protocol.results_last_months
        facts.append(("Results last", f"{_span(span.min, span.max)} months"))
    if protocol.top_up_interval_months is not None:
        facts.append(("Top-up", f"every {protocol.top_up_interval_months} months"))
    facts.append(("Source", protocol.source))
    return facts


def _span(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def _facts(title: str, facts: Iterable[tuple[str, str]]) -> Table:
    table = new_table("", "", title=title)
    table.show_header = False
    for label, value in facts:
        table.add_row(cell(label, style="bold"), cell(value))
    return table


def _bullets(title: str, items: Sequence[str], empty: str) -> Text:
    text = cell(title, style="bold")
    for item in items or (empty,):
        text.append("\n  - ")
        text.append_text(cell(item))
    return text


def _findings_table(findings: Sequence[Finding]) -> RenderableType:
    if not findings:
        return cell("Findings: none (the rules engine finds nothing questionable)")
    table = new_table("Severity", "Rule", "Where", "Finding", title="Findings")
    table.expand = True
    for column, ratio in zip(table.columns, (None, None, 1, 3), strict=True):
        column.ratio = ratio
    for finding in findings:
        style = "red" if finding.severity == "error" else "yellow"
        table.add_row(
            cell(finding.severity.value, style=style),
            cell(finding.code),
            cell(finding.path),
            cell(finding.message),
        )
    return table


# ---------------------------------------------------------------- compare

COMPARE_FIELDS = ("field", "item", "name", "a", "b", "a_mg_per_ml", "b_mg_per_ml", "status")

_MARKS = {"same": "", "differs": "≠ differs", "only_a": "only in A", "only_b": "only in B"}


@click.command()
@click.argument("a", metavar="ID_A")
@click.argument("b", metavar="ID_B")
@output_options
@db_option
def compare(a: str, b: str, fmt: Format, db: Path | None) -> None:
    """Two cocktails side by side: composition, indications and areas, differences marked.

    Strengths compare in mg/mL where both convert, else as written. Each --json / --nl /
    --csv record is one row: field (composition, indication or area), item (an id), name,
    a and b (the strength or the item as each cocktail has it, or null), a_mg_per_ml,
    b_mg_per_ml and status (same, differs, only_a or only_b).
    """
    with open_catalogue(db) as catalogue:
        comparison = catalogue.compare(a, b)
    rows = comparison_records(comparison)
    emit(rows, fmt, lambda: _compare_table(comparison, rows), columns=COMPARE_FIELDS)


def comparison_records(comparison: CocktailComparison) -> list[dict[str, Any]]:
    """The comparison as one row per ingredient, indication and area (see ``compare``)."""
    rows: list[dict[str, Any]] = []
    lines = (*comparison.both, *comparison.only_a, *comparison.only_b)
    for line in lines:
        if line.a is None:
            status = "only_b"
        elif line.b is None:
            status = "only_a"
        else:
            status = "differs" if line.differs else "same"
        rows.append(
            {
                "field": "composition",
                "item": line.ingredient_id,
                "name": line.ingredient_name,
                "a": _strength(line.a),
                "b": _strength(line.b),
                "a_mg_per_ml": line.a.mg_per_ml if line.a else None,
                "b_mg_per_ml": line.b.mg_per_ml if line.b else None,
                "status": status,
            }
        )
    for field, diff in (("indication", comparison.indications), ("area", comparison.areas)):
        for items, status in (
            (diff.both, "same"),
            (diff.only_a, "only_a"),
            (diff.only_b, "only_b"),
        ):
            for item in items:
                rows.append(
                    {
                        "field": field,
                        "item": item.value,
                        "name": item.value.replace("_", " "),
                        "a": None if status == "only_b" else item.value,
                        "b": None if status == "only_a" else item.value,
                        "a_mg_per_ml": None,
                        "b_mg_per_ml": None,
                        "status": status,
                    }
                )
    return rows


def _strength(side: Any) -> str | None:
    if side is None:
        return None
    return "not disclosed" if side.strength is None else str(side.strength)


def _compare_table(comparison: CocktailComparison, rows: Sequence[Mapping[str, Any]]) -> Table:
    a, b = comparison.a, comparison.b
    table = new_table("", f"A: {a.name}\n{a.id}", f"B: {b.name}\n{b.id}", "")
    for field in ("composition", "indication", "area"):
        section = [row for row in rows if row["field"] == field]
        if not section:
            continue
        table.add_section()
        table.add_row(cell(field.capitalize(), style="bold"), cell(""), cell(""), cell(""))
        for row in section:
            style = "" if row["status"] == "same" else "bold"
            table.add_row(
                cell(row["name"]),
                cell(_side(row, "a"), style=style),
                cell(_side(row, "b"), style=style),
                cell(_MARKS[row["status"]], style="yellow"),
            )
    return table


def _side(row: Mapping[str, Any], side: str) -> str:
    if row[side] is None:
        return "-"
    if row["field"] != "composition":
        return "yes"
    mg = row[f"{side}_mg_per_ml"]
    return (
        str(row[side])
        if mg is None or row[side].endswith("mg/mL")
        else f"{row[side]} ({mg:.4g} mg/mL)"
    )


# ---------------------------------------------------------------- indications, ingredients

INDICATION_FIELDS = ("id", "name", "synonyms", "codes", "typical_areas", "description")


@click.command()
@output_options
@db_option
def indications(fmt: Format, db: Path | None) -> None:
    """The concerns the catalogue is organised by, their lay words and their codes.

    Search understands any of the lay words ("panda eyes" for dark circles). Codes are
    ICD-10 and SNOMED CT, each with its source in --json output.
    """
    with open_catalogue(db) as catalogue:
        found = catalogue.indications()
    records = [_indication_record(indication) for indication in found]
    emit(
        [indication.model_dump(mode="json", exclude_none=True) for indication in found],
        fmt,
        lambda: _indications_table(records),
        flat=records,
        columns=INDICATION_FIELDS,
    )


def _indication_record(indication: Indication) -> dict[str, Any]:
    return {
        "id": indication.id.value,
        "name": indication.name,
        "synonyms": list(indication.synonyms),
        "codes": [f"{code.system} {code.code}" for code in indication.codes],
        "typical_areas": [area.value for area in indication.typical_areas],
        "description": indication.description,
    }


def _indications_table(records: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("Indication", "Lay words", "Codes")
    for record in records:
        name = cell(record["name"], style="bold")
        name.append("\n")
        name.append_text(cell(record["id"], style="dim"))
        table.add_row(name, cell(", ".join(record["synonyms"])), cell(", ".join(record["codes"])))
    return table


INGREDIENT_FIELDS = ("id", "name", "inci", "class", "origin", "cas", "synonyms", "typical_range")


@click.command()
@click.argument("text", required=False)
@click.option(
    "--class",
    "ingredient_class",
    metavar="C",
    help="Only ingredients of class C (vitamin, peptide, anaesthetic ...).",
)
@output_options
@db_option
def ingredients(
    text: str | None, ingredient_class: str | None, fmt: Format, db: Path | None
) -> None:
    """The ingredient dictionary, or the entries whose names contain TEXT.

    TEXT is matched against every name, INCI name and synonym, ignoring case and accents.
    """
    with open_catalogue(db) as catalogue:
        found = catalogue.ingredients(ingredient_class, text)
    if not found:
        click.echo("No ingredients found.", err=True)
        raise SystemExit(1)
    records = [_ingredient_record(ingredient) for ingredient in found]
    emit(
        [
            ingredient.model_dump(mode="json", by_alias=True, exclude_none=True)
            for ingredient in found
        ],
        fmt,
        lambda: _ingredients_table(records),
        flat=records,
        columns=INGREDIENT_FIELDS,
    )


def _ingredient_record(ingredient: Ingredient) -> dict[str, Any]:
    span = ingredient.typical_range
    typical = None
    if span is not None:
        if span.min is None or span.max is None:
            bound = "from" if span.max is None else "up to"
            typical = f"{bound} {span.min or span.max:g} {span.unit}"
        else:
            typical = f"{_span(span.min, span.max)} {span.unit}"
    return {
        "id": ingredient.id,
        "name": ingredient.name,
        "inci": ingredient.inci,
        "class": ingredient.ingredient_class.value,
        "origin": ingredient.origin.value if ingredient.origin else None,
        "cas": ingredient.cas,
        "synonyms": list(ingredient.synonyms),
        "typical_range": typical,
    }


def _ingredients_table(records: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("Ingredient", "Class", "Origin", "CAS", "Typical", "Also known as")
    for record in records:
        name = cell(record["name"], style="bold")
        name.append("\n")
        name.append_text(cell(record["id"], style="dim"))
        table.add_row(
            name,
            cell(record["class"].replace("_", " ")),
            cell(record["origin"]),
            cell(record["cas"]),
            cell(record["typical_range"]),
            cell(", ".join(filter(None, [record["inci"], *record["synonyms"]]))),
        )
    return table


# ---------------------------------------------------------------- stats, history


@click.command()
@output_options
@db_option
def stats(fmt: Format, db: Path | None) -> None:
    """Counts of suppliers, cocktails and ingredients, cocktails per indication, when and
    from what the catalogue file was built, and which suppliers' catalogues are unsigned
    drafts rather than verified bundles."""
    with open_catalogue(db) as catalogue:
        found = asdict(catalogue.stats())
    unsigned = ", ".join(found["unsigned_suppliers"]) or "none"
    pairs = [
        (key, unsigned if key == "unsigned_suppliers" else value)
        for key, value in found.items()
        if key != "per_indication"
    ]
    pairs += [(f"cocktails for {key}", n) for key, n in found["per_indication"].items()]
    flat = [{"metric": key.replace("_", " "), "value": value} for key, value in pairs]
    emit([found], fmt, lambda: _pairs_table(flat), flat=flat, columns=("metric", "value"))


def _pairs_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("", "")
    table.show_header = False
    for row in rows:
        table.add_row(cell(row["metric"], style="bold"), cell(row["value"]))
    return table


HISTORY_FIELDS = (
    "cocktail_id",
    "version_no",
    "supplier",
    "catalogue_version",
    "digest",
    "imported_at",
)


@click.command()
@_id_argument
@output_options
@db_option
def history(cocktail_id: str, fmt: Format, db: Path | None) -> None:
    """Every version of cocktail ID ever imported, oldest first: in which catalogue version
    of its supplier, when, and its content digest (SHA-256, shortened in the table)."""
    with open_catalogue(db) as catalogue:
        versions = [asdict(version) for version in catalogue.history(cocktail_id)]
    emit(versions, fmt, lambda: _history_table(versions), columns=HISTORY_FIELDS)


def _history_table(versions: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("Version", "Catalogue version", "Imported (UTC)", "Digest")
    for version in versions:
        table.add_row(
            cell(version["version_no"]),
            cell(f"{version['supplier']} {version['catalogue_version']}"),
            cell(str(version["imported_at"])[:19].replace("T", " ")),
            cell(str(version["digest"])[:12]),
        )
    return table
