"""``meso search``: cocktails by concern in everyday words, minus what a client cannot have."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.cli.common import db_option, open_catalogue, safe_text
from meso_formulary.cli.output import Format, cell, emit, new_table, output_options

if TYPE_CHECKING:
    from rich.console import Group

    from meso_formulary.catalogue.search import SearchResults

FIELDS = ("id", "name", "supplier", "indications", "score", "why", "key_actives", "n_actives")
"""The fields of each --json / --nl / --csv record, in order."""


@click.command()
@click.argument("text", required=False)
@click.option(
    "-i",
    "--ingredient",
    "include",
    multiple=True,
    metavar="X",
    help="Must contain ingredient X (id, name, INCI name or synonym). Repeatable.",
)
@click.option(
    "-x",
    "--exclude",
    multiple=True,
    metavar="X",
    help="Must not contain ingredient X (nor its salts: lidocaine covers lidocaine "
    "hydrochloride). Repeatable.",
)
@click.option(
    "--exclude-class",
    "exclude_classes",
    multiple=True,
    metavar="C",
    help="Must not contain any ingredient of class C (anaesthetic, peptide ...). Repeatable.",
)
@click.option(
    "--exclude-origin",
    "exclude_origins",
    multiple=True,
    metavar="O",
    help="Must not contain any ingredient of origin O (fish, bovine, animal ...). Repeatable.",
)
@click.option("--area", metavar="A", help="Only cocktails for treatment area A (scalp, face ...).")
@click.option("--supplier", metavar="S", help="Only cocktails of supplier S (its id).")
@click.option("--technique", metavar="T", help="Only cocktails given by technique T (nappage ...).")
@click.option(
    "--max-actives", type=click.IntRange(min=0), metavar="N", help="At most N active ingredients."
)
@click.option(
    "--limit",
    type=click.IntRange(1, 500),
    metavar="N",
    default=20,
    show_default=True,
    help="Show at most N results (1 to 500).",
)
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Skip the first N results.",
)
@output_options
@db_option
def search(fmt: Format, db: Path | None, **criteria: Any) -> None:
    """Find cocktails for a concern, in everyday words or clinical terms.

    TEXT may name concerns ("hair loss", "panda eyes", "orange peel skin"), ingredients or any
    words of a cocktail's name and description; typos in concerns are forgiven. Without TEXT
    or filters, every cocktail is listed by name.

    \b
    Examples:
      meso search "hair loss"
      meso search "panda eyes" --exclude lidocaine --exclude-origin fish
      meso search "cellulite" --area thighs --max-actives 4 --json

    With --json, --nl or --csv, each result has: id, name, supplier, indications (ids),
    score, why (the reasons it matched), key_actives and n_actives. When nothing matches,
    a message (with "did you mean" suggestions) goes to stderr and the exit status is 1.
    """
    from meso_formulary.catalogue.search import SearchRequest
    from meso_formulary.catalogue.search import search as run_search

    text = criteria["text"]
    if text is not None and not text.strip():
        raise click.BadParameter("the text is empty; leave it out to list every cocktail")
    given = {key: value for key, value in criteria.items() if value not in (None, ())}
    request = SearchRequest.parse(given)
    with open_catalogue(db) as catalogue:
        results = run_search(catalogue, request)
    if not results.hits:
        _nothing_found(results, criteria)
    records = [hit.model_dump(mode="json") for hit in results.hits]
    emit(records, fmt, lambda: _table(results, request.offset), columns=FIELDS)


def _nothing_found(results: SearchResults, criteria: dict[str, Any]) -> None:
    """Say that nothing matched (and why it may be) on stderr, then exit 1."""
    text = criteria.get("text")
    what = f"for {text!r}" if text else "for these filters"
    if results.total:
        message = f"No more cocktails {what}: all {results.total} are before --offset."
    else:
        message = f"No cocktails found {what}."
    lines = [message]
    if results.did_you_mean:
        lines.append(safe_text("Did you mean: " + ", ".join(results.did_you_mean) + "?"))
    click.echo("\n".join(lines), err=True)
    sys.exit(1)


def _table(results: SearchResults, offset: int) -> Group:
    from rich.console import Group
    from rich.text import Text

    table = new_table("Cocktail", "Supplier", "Indications", "Key actives", "Why")
    table.expand = True
    for column, ratio in zip(table.columns, (3, None, 2, 2, 3), strict=True):
        column.ratio = ratio
    for hit in results.hits:
        name = cell(hit.name, style="bold")
        name.append("\n")
        name.append_text(cell(hit.id, style="dim"))
        table.add_row(
            name,
            cell(hit.supplier),
            cell(", ".join(hit.indications)),
            cell(", ".join(hit.key_actives)),
            cell("; ".join(hit.why)),
        )
    first, last = offset + 1, offset + len(results.hits)
    footer = [Text(f"Showing {first}-{last} of {results.total}.")]
    for facet, counts in results.facets.items():
        if counts:
            counted = ", ".join(f"{key} {n}" for key, n in counts.items())
            footer.append(cell(f"{facet.replace('_', ' ').capitalize()}: {counted}"))
    return Group(table, *footer)
