"""Unsigned drafts: ``meso drafts list`` and ``meso drafts remove``.

A draft is a supplier's catalogue imported from an unsigned file (``meso import
--unsigned``). It never blocks the supplier's signed catalogue (a signed bundle that
verifies replaces it), and ``meso drafts remove`` takes it out of a catalogue: its
cocktails, their history and its own ingredients. A verified catalogue is not a draft and
is refused here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.cli.common import db_option, open_catalogue
from meso_formulary.cli.output import Format, cell, emit, new_table, output_options
from meso_formulary.cli.publish_commands import writable_catalogue

if TYPE_CHECKING:
    from rich.table import Table


@click.group()
def drafts() -> None:
    """List and remove unsigned draft catalogues (imported with --unsigned)."""


@drafts.command("list")
@db_option
@output_options
def drafts_list(db: Path | None, fmt: Format) -> None:
    """List the suppliers whose catalogue is an unsigned draft."""
    with open_catalogue(db, readonly=True) as catalogue:
        records: list[dict[str, Any]] = [
            {
                "supplier": draft.supplier,
                "name": draft.name,
                "catalogue_version": draft.catalogue_version,
                "cocktails": draft.cocktails,
                "imported_at": draft.imported_at,
                "key_pinned": draft.key_pinned,
            }
            for draft in catalogue.drafts()
        ]
    emit(records, fmt, lambda: _drafts_table(records))


_PINNED = "yes: its next signed bundle replaces the draft"


def _drafts_table(records: list[dict[str, Any]]) -> Table:
    table = new_table(
        "Supplier", "Name", "Catalogue version", "Cocktails", "Imported", "Key pinned"
    )
    for record in records:
        table.add_row(
            cell(record["supplier"], style="bold"),
            cell(record["name"]),
            cell(record["catalogue_version"]),
            cell(record["cocktails"]),
            cell(record["imported_at"][:10]),
            cell(
                "yes: its next signed bundle replaces the draft" if record["key_pinned"] else "no"
            ),
        )
    if not records:
        table.caption = "No unsigned drafts."
    return table


@drafts.command("remove")
@click.argument("supplier")
@db_option
def drafts_remove(supplier: str, db: Path | None) -> None:
    """Remove SUPPLIER's unsigned draft: its cocktails, their history, its own ingredients.

    Only an unsigned draft is removed; a catalogue that came from a verified signed bundle
    is refused (the supplier's next bundle replaces it).
    """
    with writable_catalogue(db) as catalogue:
        removed = catalogue.remove_draft(supplier)
    cocktails = f"{removed.cocktails} cocktail{'' if removed.cocktails == 1 else 's'}"
    versions = f"{removed.versions} stored revision{'' if removed.versions == 1 else 's'}"
    click.echo(
        f"removed the unsigned draft of supplier {removed.supplier} "
        f"(catalogue version {removed.catalogue_version}): {cocktails}, {versions}, "
        f"{removed.ingredients} own ingredient{'' if removed.ingredients == 1 else 's'}"
    )
