"""``meso ingredients import-cosing``: the EU CosIng exports into a catalogue's dictionary."""

from __future__ import annotations

from pathlib import Path

import click

from meso_formulary.cli.common import db_option, safe_text
from meso_formulary.cli.publish_commands import writable_catalogue


@click.command("import-cosing")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.option("-q", "--quiet", is_flag=True, help="Do not list the notes about the files.")
def import_cosing(files: tuple[Path, ...], db: Path | None, quiet: bool) -> None:
    """Add EU CosIng ingredients and annex listings to the catalogue's dictionary.

    FILES are CSV exports of the CosIng ingredient inventory (each substance becomes a
    dictionary entry, so suppliers' INCI names resolve) and of the annexes of Regulation
    (EC) No 1223/2009 (each named ingredient gets its annex and reference number). Give
    the inventory and the annexes together to list the new entries too.

    Records: CosIng, © European Union (reuse under Decision 2011/833/EU).
    """
    from meso_formulary.catalogue.cosing import import_cosing as run_import

    with writable_catalogue(db) as catalogue:
        report = run_import(catalogue, files)
    if not quiet:
        for problem in report.problems:
            click.echo(f"{safe_text(str(problem))} [{problem.severity}]", err=True)
    click.echo(
        f"{len(report.added)} ingredients added, {len(report.updated)} updated, "
        f"{len(report.problems)} notes"
    )
