"""Looking things up: ``meso show``, ``compare``, ``indications``, ``conditions``,
``ingredients``, ``stats`` and ``history``.

All but ``history`` render stored rows without the models: the cocktail view
(:mod:`meso_formulary.catalogue.store.cocktail_view`, which the web page renders too) and
the listings (:mod:`meso_formulary.catalogue.store.listings`). Start-up time is measured
against a bare ``python -c`` by ``bench/bench_cli.py``; ``tests/test_cli_main.py`` checks
which heavy modules each command loads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.cli.common import connect_catalogue, db_option, open_catalogue
from meso_formulary.cli.output import (
    Footnotes,
    Format,
    Unfolded,
    cell,
    emit,
    id_cell,
    new_table,
    output_options,
)

if TYPE_CHECKING:
    from rich.console import Group, RenderableType
    from rich.table import Table
    from rich.text import Text

    from meso_formulary.catalogue.store.catalogue_store import CocktailVersion
    from meso_formulary.catalogue.store.cocktail_view import CocktailView, Fact, Linked

_id_argument = click.argument("cocktail_id", metavar="ID")

TABLE_SOURCES = "Sources cited in the tables above"


# ---------------------------------------------------------------- show


@click.command()
@_id_argument
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="ID",
    help="Mark what applies to a client with condition ID (pregnancy, fish-allergy ...; "
    "meso conditions lists them by id and name, and either is accepted). Repeatable.",
)
@output_options
@db_option
def show(cocktail_id: str, clients: tuple[str, ...], fmt: Format, db: Path | None) -> None:
    """Everything about cocktail ID: composition, product, protocol, course facts,
    aftercare, safety, contraindications, findings, sources.

    The composition lists each ingredient's strength as the supplier gives it, its class,
    and the strength in mg/mL where it can be converted. The product section gives the
    maker, brands, type, pack and regulatory claims (each with its source), the products
    an archetype stands for and the archetypes that stand for a product. Course facts and
    safety figures each carry their source. Findings are what the rules engine found
    questionable when the cocktail was imported (strengths above limits, areas not suited
    ...), each with its rule and the source of what it compares with. The heading says
    where the supplier's catalogue came from: the shipped reference data, a signed bundle
    that verified, or an unsigned draft (imported with meso import --unsigned), and which
    versions are shown: the supplier's catalogue version it came in, the cocktail version
    (the supplier's own label for the cocktail) and the revision (which stored content of
    the cocktail this is; meso history lists them). The web page of a cocktail shows the
    same.

    Contraindications name a client condition of the vocabulary (meso conditions), the
    source's words and the source; "Also ruled out for" lists the conditions that rule the
    cocktail out through its ingredients (one lists the condition, or the condition rules
    out what it holds: fish allergy, fish-derived ingredients) or through the words of a
    plain-text contraindication. With --client, the client's conditions that apply are
    marked ("applies: Pregnancy").

    With --json or --nl: the cocktail as stored (fields at their default left out; its
    "version" is the cocktail version), "revision", its composition lines (position 1 for
    the first) with name, class and mg_per_ml added, a "ruled_out_by" list of
    every reason (condition, name, via, ingredient, detail, why, applies), "applies" (the
    --client conditions that rule it out; null without --client), a "findings" list (each
    with its "source"), an "archetypes" list (id, name: the archetypes that stand for this
    product) and a "provenance" object (catalogue_version, verified, signed_by, status).
    With --csv: the composition lines.
    """
    from meso_formulary.catalogue.search.screening_text import client_conditions
    from meso_formulary.catalogue.store.cocktail_view import load_cocktail

    with closing(connect_catalogue(db)) as conn:
        view = load_cocktail(conn, cocktail_id, client_conditions(clients))
    lines = [line.as_dict() for line in view.composition]
    emit(
        [view.as_dict()],
        fmt,
        lambda: _show_view(view),
        flat=lines,
        columns=COMPOSITION_FIELDS,
    )


COMPOSITION_FIELDS = ("position", "ingredient", "name", "class", "value", "unit", "mg_per_ml")


def _show_view(view: CocktailView) -> Group:
    from rich.console import Group

    from meso_formulary.catalogue.store.cocktail_card import words
    from meso_formulary.catalogue.store.cocktail_view import (
        ALSO_RULED_OUT,
        NO_CONTRAINDICATIONS,
        NO_SOURCES,
    )

    heading = cell(view.name, style="bold")
    heading.append("\n")
    heading.append_text(cell(" | ".join(view.summary), style="dim"))
    parts: list[RenderableType] = [heading, cell(view.description)]
    if view.client_summary is not None:
        names = ", ".join(condition.name for condition in view.clients)
        summary = cell(f"For this client ({names}):", style="bold")
        summary.append(" ")
        summary.append_text(cell(view.client_summary, style="red" if view.applies else ""))
        parts.append(summary)
    composition = new_table("#", "Ingredient", "Strength", "Class", "mg/mL", title="Composition")
    for line in view.composition:
        composition.add_row(
            cell(line.position),
            cell(line.name),
            cell(line.strength),
            cell(words(line.ingredient_class)),
            cell(line.mg_per_ml_text),
        )
    parts.append(composition)
    cited = Footnotes()
    if view.product:
        parts.append(_sourced_facts("Product", view.product, cited))
    if view.stands_for:
        parts.append(_bullets("Stands for", _linked(view.stands_for), ""))
    if view.archetypes:
        parts.append(_bullets("Archetype", _linked(view.archetypes), ""))
    parts.append(_facts("Use", view.use))
    if view.protocol is not None:
        parts.append(_facts("Protocol", view.protocol.facts))
    if view.course_facts:
        course = new_table("Fact", "Amount", "Note", "Source", title="Course facts")
        for fact in view.course_facts:
            course.add_row(
                cell(fact.label), cell(fact.amount), cell(fact.note), cell(cited.mark(fact.source))
            )
        parts.append(course)
    if view.aftercare:
        aftercare = new_table("After each session", "For", "Source", title="Aftercare")
        for item in view.aftercare:
            advice = cell(item.advice)
            if item.basis_text:
                advice.append("\n")
                advice.append_text(cell(f"({item.basis_text})", style="dim"))
            aftercare.add_row(advice, cell(item.duration), cell(cited.mark(item.source)))
        parts.append(aftercare)
    if view.effects:
        effects = new_table(
            "Effect", "Usually settles within", "Note", "Source", title="Expected effects"
        )
        for effect in view.effects:
            effects.add_row(
                cell(effect.effect),
                cell(effect.within),
                cell(effect.note),
                cell(cited.mark(effect.source)),
            )
        parts.append(effects)
    if view.safety:
        safety = new_table("Event", "How often", "Among", "Note", "Source", title="Safety")
        for figure in view.safety:
            safety.add_row(
                cell(figure.event),
                cell(figure.frequency),
                cell(figure.among),
                cell(figure.note),
                cell(cited.mark(figure.source)),
            )
        parts.append(safety)
    listed = [_marked(line.text, line.mark) for line in view.contraindications]
    parts.append(_bullets("Contraindications", listed, NO_CONTRAINDICATIONS))
    if view.also_ruled_out_by:
        reasons = [
            _marked(reason.text, "applies" if reason.applies else "")
            for reason in view.also_ruled_out_by
        ]
        parts.append(_bullets(ALSO_RULED_OUT, reasons, ""))
    parts.append(_findings_table(view, cited))
    if cited:
        parts.append(cited.listing(TABLE_SOURCES))
    parts.append(Unfolded("Sources", [("  - ", s) for s in view.sources or (NO_SOURCES,)]))
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part, cell("")]
    return Group(*spaced[:-1])


def _facts(title: str, facts: Iterable[tuple[str, str]]) -> Table:
    table = new_table("", "", title=title)
    table.show_header = False
    for label, value in facts:
        table.add_row(cell(label, style="bold"), cell(value))
    return table


def _sourced_facts(title: str, facts: Iterable[Fact], cited: Footnotes) -> Table:
    """Labelled facts, each with a dim ``source: [n]`` line when it has its own source."""
    table = new_table("", "", title=title)
    table.show_header = False
    for fact in facts:
        value = cell(fact.value)
        if fact.source:
            value.append("\n")
            value.append_text(cell(f"source: {cited.mark(fact.source)}", style="dim"))
        table.add_row(cell(fact.label, style="bold"), value)
    return table


def _linked(records: Iterable[Linked]) -> list[str]:
    """Linked records by name and id, an unknown id as it is (marked as not found)."""
    return [
        record.text if record.known else f"{record.text} (not in this catalogue)"
        for record in records
    ]


def _bullets(title: str, items: Sequence[str | Text], empty: str) -> Text:
    text = cell(title, style="bold")
    for item in items or (empty,):
        text.append("\n  - ")
        text.append_text(item if not isinstance(item, str) else cell(item))
    return text


def _marked(text: str, mark: str) -> Text:
    """``text``, then ``mark`` in red between brackets when there is one."""
    line = cell(text)
    if mark:
        line.append("  ")
        line.append_text(cell(f"[{mark}]", style="bold red"))
    return line


def _findings_table(view: CocktailView, cited: Footnotes) -> RenderableType:
    from meso_formulary.catalogue.store.cocktail_view import FINDINGS_NOT_COMPUTED, NO_FINDINGS

    if not view.findings:
        return cell(
            f"Findings: {NO_FINDINGS if view.findings is not None else FINDINGS_NOT_COMPUTED}"
        )
    table = new_table("Severity", "Rule", "Where", "Finding", title="Findings")
    table.expand = True
    for column, ratio in zip(table.columns, (None, None, 1, 3), strict=True):
        column.ratio = ratio
    for finding in view.findings:
        style = "red" if finding.severity == "error" else "yellow"
        message = cell(finding.message)
        if finding.source:
            message.append("\n")
            message.append_text(cell(f"source: {cited.mark(finding.source)}", style="dim"))
        table.add_row(
            cell(finding.severity, style=style),
            cell(finding.code),
            cell(finding.path),
            message,
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
    from meso_formulary.catalogue.store.cocktail_view import load_cocktail
    from meso_formulary.catalogue.store.compare import comparison_records

    with closing(connect_catalogue(db)) as conn:
        first, second = load_cocktail(conn, a), load_cocktail(conn, b)
    rows = comparison_records(first, second)
    emit(rows, fmt, lambda: _compare_table(first, second, rows), columns=COMPARE_FIELDS)


def _compare_table(
    a: CocktailView, b: CocktailView, rows: Sequence[Mapping[str, Any]]
) -> RenderableType:
    """The cocktails named above as A and B (their names and ids, whole), then the table."""
    from rich.console import Group

    legend = Unfolded("Compared", [("  A: ", f"{a.name} {a.id}"), ("  B: ", f"{b.name} {b.id}")])
    table = new_table("", "A", "B", "")
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
    return Group(legend, cell(""), table)


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
    ICD-10 and SNOMED CT, each with its source in --json output (the entries as stored:
    fields at their default left out).
    """
    from meso_formulary.catalogue.store.listings import indication_records

    with closing(connect_catalogue(db)) as conn:
        found = [json.loads(record) for record in indication_records(conn)]
    records = [_indication_record(indication) for indication in found]
    emit(found, fmt, lambda: _indications_table(records), flat=records, columns=INDICATION_FIELDS)


def _indication_record(indication: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": indication["id"],
        "name": indication["name"],
        "synonyms": list(indication.get("synonyms", ())),
        "codes": [f"{code['system']} {code['code']}" for code in indication.get("codes", ())],
        "typical_areas": list(indication.get("typical_areas", ())),
        "description": indication["description"],
    }


def _indications_table(records: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("Indication", "Lay words", "Codes")
    for record in records:
        name = cell(record["name"], style="bold")
        name.append("\n")
        name.append_text(id_cell(record["id"]))
        table.add_row(name, cell(", ".join(record["synonyms"])), cell(", ".join(record["codes"])))
    return table


AREA_FIELDS = ("id", "name", "description", "cocktails", "words")


@click.command()
@output_options
@db_option
def areas(fmt: Format, db: Path | None) -> None:
    """The treatment areas: ids, plain names, how many cocktails treat each, and the words
    clients use for them in six languages.

    Give an id to meso search --area (scalp, submental ...). Search also reads the words in
    the text ("double chin", "papada", "Oberschenkel"): a cocktail that treats the area
    ranks first. With --json or --nl: each area as stored, with its cocktail count.
    """
    from meso_formulary.catalogue.store.listings import area_records

    with closing(connect_catalogue(db)) as conn:
        found = [{**json.loads(record), "cocktails": n} for record, n in area_records(conn)]
    records = [_area_record(area) for area in found]
    emit(found, fmt, lambda: _areas_table(records), flat=records, columns=AREA_FIELDS)


def _area_record(area: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": area["id"],
        "name": area["name"],
        "description": area["description"],
        "cocktails": area["cocktails"],
        "words": [
            f"{block['lang']}: {', '.join(block['words'])}" for block in area.get("terms", ())
        ],
    }


def _areas_table(records: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("Area", "Cocktails", "Words")
    table.expand = True
    for column, ratio in zip(table.columns, (2, None, 5), strict=True):
        column.ratio = ratio
    for record in records:
        name = cell(record["name"], style="bold")
        name.append("\n")
        name.append_text(id_cell(record["id"]))
        table.add_row(name, cell(str(record["cocktails"])), cell("\n".join(record["words"])))
    return table


CONDITION_FIELDS = ("id", "name", "synonyms", "codes", "rules_out", "note", "sources")


@click.command()
@output_options
@db_option
def conditions(fmt: Format, db: Path | None) -> None:
    """The client conditions screening knows: ids, names, words, codes, what each rules out.

    Give an id to meso search --client or meso show --client (pregnancy, fish-allergy ...).
    A condition rules out every cocktail that lists it, directly or through one of its
    ingredients, and every cocktail holding what the condition rules out: the active
    moieties (in any salt or ester form) and allergen groups under "rules out". Search also
    understands the words ("pregnant", "allergic to fish") in six languages. Codes are
    SNOMED CT where a source gives one. With --json or --nl: the entries as stored (fields
    at their default left out).
    """
    from meso_formulary.catalogue.store.listings import condition_records

    with closing(connect_catalogue(db)) as conn:
        found = [json.loads(record) for record in condition_records(conn)]
    records = [_condition_record(condition) for condition in found]
    emit(found, fmt, lambda: _conditions_table(records), flat=records, columns=CONDITION_FIELDS)


def _condition_record(condition: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": condition["id"],
        "name": condition["name"],
        "synonyms": list(condition.get("synonyms", ())),
        "codes": [f"{code['system']} {code['code']}" for code in condition.get("codes", ())],
        "rules_out": [
            *condition.get("rules_out_moieties", ()),
            *condition.get("rules_out_groups", ()),
        ],
        "note": condition.get("note"),
        "sources": list(condition.get("sources", ())),
    }


def _ids(ids: Sequence[str]) -> Text:
    """``ids`` separated by commas, each kept whole by the table (:func:`id_cell`)."""
    text = cell("")
    for number, one in enumerate(ids):
        text.append_text(cell(", " if number else "").append_text(id_cell(one)))
    return text


def _conditions_table(records: Sequence[Mapping[str, Any]]) -> RenderableType:
    from rich.console import Group

    cited = Footnotes()
    table = new_table("Condition", "Words", "Codes", "Also rules out", "Sources")
    table.expand = True
    for column, ratio in zip(table.columns, (2, 3, None, 2, 3), strict=True):
        column.ratio = ratio
    table.columns[2].no_wrap = True  # a code split over two lines reads as two
    for record in records:
        name = cell(record["name"], style="bold")
        name.append("\n")
        name.append_text(id_cell(record["id"]))
        table.add_row(
            name,
            cell(", ".join(record["synonyms"])),
            cell("\n".join(record["codes"])),
            _ids(record["rules_out"]),
            cell(" ".join(cited.mark(source) for source in record["sources"])),
        )
    return Group(table, cell(""), cited.listing(TABLE_SOURCES))


INGREDIENT_FIELDS = ("id", "name", "inci", "class", "origin", "cas", "synonyms", "typical_range")


@click.command()
@click.argument("text", required=False)
@click.option(
    "--class",
    "ingredient_class",
    metavar="C",
    help="Only ingredients of class C (vitamin, peptide, anaesthetic, hair growth drug ...; "
    "as the Class column shows it, or its id).",
)
@output_options
@db_option
def ingredients(
    text: str | None, ingredient_class: str | None, fmt: Format, db: Path | None
) -> None:
    """The ingredient dictionary, or the entries whose names contain TEXT.

    TEXT is matched against every name, INCI name and synonym, ignoring case and accents.
    With --json or --nl: the entries as stored (fields at their default left out).
    """
    from meso_formulary.catalogue.search.lexicon import parse_class
    from meso_formulary.catalogue.store.listings import ingredient_records

    wanted = None if ingredient_class is None else parse_class(ingredient_class).value
    with closing(connect_catalogue(db)) as conn:
        found = [json.loads(r) for r in ingredient_records(conn, wanted, text)]
    if not found:
        click.echo("No ingredients found.", err=True)
        raise SystemExit(1)
    records = [_ingredient_record(ingredient) for ingredient in found]
    emit(found, fmt, lambda: _ingredients_table(records), flat=records, columns=INGREDIENT_FIELDS)


def _ingredient_record(ingredient: Mapping[str, Any]) -> dict[str, Any]:
    span = ingredient.get("typical_range")
    typical = None
    if span is not None:
        low, high, unit = span.get("min"), span.get("max"), span["unit"]
        if low is None or high is None:
            bound = "from" if high is None else "up to"
            typical = f"{bound} {low if high is None else high:g} {unit}"
        else:
            typical = f"{_span(low, high)} {unit}"
    return {
        "id": ingredient["id"],
        "name": ingredient["name"],
        "inci": ingredient.get("inci"),
        "class": ingredient["class"],
        "origin": ingredient.get("origin"),
        "cas": ingredient.get("cas"),
        "synonyms": list(ingredient.get("synonyms", ())),
        "typical_range": typical,
    }


def _span(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def _ingredients_table(records: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("Ingredient", "Class", "Origin", "CAS", "Typical", "Also known as")
    for record in records:
        name = cell(record["name"], style="bold")
        name.append("\n")
        name.append_text(id_cell(record["id"]))
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
    from meso_formulary.catalogue.store.listings import catalogue_stats

    with closing(connect_catalogue(db)) as conn:
        found = asdict(catalogue_stats(conn, _database_file(conn)))
    unsigned = ", ".join(found["unsigned_suppliers"]) or "none"
    pairs = [
        (key, unsigned if key == "unsigned_suppliers" else value)
        for key, value in found.items()
        if key != "per_indication"
    ]
    pairs += [(f"cocktails for {key}", n) for key, n in found["per_indication"].items()]
    flat = [{"metric": key.replace("_", " "), "value": value} for key, value in pairs]
    emit([found], fmt, lambda: _pairs_table(flat), flat=flat, columns=("metric", "value"))


def _database_file(conn: sqlite3.Connection) -> Path | None:
    """The file of ``conn``'s main database (``None`` in memory)."""
    from meso_formulary.catalogue.search.runner import database_file

    name = database_file(conn)
    return Path(name) if name else None


def _pairs_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table("", "")
    table.show_header = False
    for row in rows:
        table.add_row(cell(row["metric"], style="bold"), cell(row["value"]))
    return table


HISTORY_FIELDS = (
    "cocktail_id",
    "revision",
    "cocktail_version",
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
    """Every revision of cocktail ID ever imported, oldest first: its cocktail version (the
    supplier's own label for the cocktail), the supplier's catalogue version it came in,
    when, and its content digest (SHA-256, shortened in the table).

    The revision counts the contents stored: 1 for the first, one more each time an import
    changes the cocktail (meso show names the current one). With --json, --nl or --csv:
    cocktail_id, revision, cocktail_version, supplier, catalogue_version, digest and
    imported_at.
    """
    with open_catalogue(db) as catalogue:
        versions = [_history_record(version) for version in catalogue.history(cocktail_id)]
    emit(versions, fmt, lambda: _history_table(versions), columns=HISTORY_FIELDS)


def _history_record(version: CocktailVersion) -> dict[str, Any]:
    return {
        "cocktail_id": version.cocktail_id,
        "revision": version.version_no,
        "cocktail_version": version.cocktail_version,
        "supplier": version.supplier,
        "catalogue_version": version.catalogue_version,
        "digest": version.digest,
        "imported_at": version.imported_at,
    }


def _history_table(versions: Sequence[Mapping[str, Any]]) -> Table:
    table = new_table(
        "Revision", "Cocktail version", "Catalogue version", "Imported (UTC)", "Digest"
    )
    table.columns[3].no_wrap = True  # a time split over two lines reads as two
    for version in versions:
        table.add_row(
            cell(version["revision"]),
            cell(version["cocktail_version"]),
            cell(version["catalogue_version"]),  # the supplier's: the id's first part
            cell(str(version["imported_at"])[:19].replace("T", " ")),
            cell(str(version["digest"])[:12]),
        )
    return table
