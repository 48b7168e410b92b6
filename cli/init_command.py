"""``meso init``: a clinic's own catalogue, starting from the shipped reference data.

The file holds the shipped reference cocktails under their own provenance (``reference``)
and takes the suppliers' signed bundles beside them (``meso trust add``, ``meso import``);
every command given ``--db`` and ``meso serve --db`` read both. Run again on the same file,
the command refreshes the reference cocktails when this release's data differs (a new
catalogue version of supplier ``reference``, so ``meso diff reference`` shows what changed);
``meso import`` into the file does the same first. It never overwrites another file.
"""

from __future__ import annotations

from pathlib import Path

import click

from meso_formulary.cli.common import BadInput, change_counts


@click.command()
@click.argument(
    "path",
    envvar="MESO_DB",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
)
def init(path: Path) -> None:
    """Create a clinic's own catalogue at PATH (or MESO_DB), starting from the shipped
    reference cocktails; run it again to refresh them.

    The file holds the reference data shipped with meso (shown as "reference") and takes
    the suppliers' signed bundles beside it (meso trust add SUPPLIER KEY --db PATH, then
    meso import BUNDLE --db PATH); search, show and serve given --db span both.

    \b
    Examples:
      meso init my-clinic.db
      meso search "hair loss" --db my-clinic.db
      meso serve --db my-clinic.db

    When this release's reference data differs from the file's, running it again (or the
    next meso import into the file) replaces the reference cocktails by the new ones in one
    transaction, as the next catalogue version of supplier "reference" (meso diff reference
    --from N --db PATH shows what changed); the suppliers' catalogues are not touched.
    Reading commands never write: they say when the file's reference data is older.

    An existing file that is not such a catalogue is refused and left as it is.
    """
    from meso_formulary.catalogue import Catalogue

    if path.is_dir():
        raise BadInput(f"{path} is a directory", hint="give a file name, e.g. clinic.db")
    if not path.exists() and not path.is_symlink():
        with Catalogue.create(path) as catalogue:
            stats = catalogue.stats()
            version = catalogue.supplier("reference").catalogue_version
        click.echo(
            f"Created {path}: {stats.cocktails} reference cocktails (the data shipped with "
            f"meso, catalogue version {version}), ready for the suppliers' signed bundles."
        )
        click.echo(
            f"Next: meso trust add SUPPLIER KEY --db {path}, then meso import BUNDLE --db {path}"
        )
        return
    with Catalogue.open_clinic(path) as catalogue:
        before = catalogue.supplier("reference").catalogue_version
        report = catalogue.refresh_reference()
    if report is None:
        click.echo(
            f"{path} already holds this release's reference data (catalogue version "
            f"{before}); nothing changed."
        )
        return
    counts = change_counts(report)
    click.echo(
        f"Refreshed the reference data in {path} to catalogue version "
        f"{report.catalogue_version}: {', '.join(counts)}; the suppliers' catalogues are "
        "unchanged."
    )
    click.echo(
        f"What changed: meso diff reference --from {before} --to {report.catalogue_version} "
        f"--db {path}"
    )
