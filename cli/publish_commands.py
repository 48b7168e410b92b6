"""Signing and trust: ``meso keygen``, ``meso publish``, ``meso trust ...`` and ``meso diff``.

Suppliers make a key pair once and publish signed bundles; practitioners pin a supplier's
public key once (after checking its fingerprint) and then import its bundles with
``meso import``. ``meso diff`` shows what changed between two versions of a catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.cli.common import CliError, db_option, open_catalogue, safe_text
from meso_formulary.cli.output import Format, cell, emit, new_table, notice, output_options

if TYPE_CHECKING:
    from rich.table import Table

    from meso_formulary.catalogue.publishing.diff import CatalogueDiff
    from meso_formulary.catalogue.publishing.trust import TrustStore
    from meso_formulary.catalogue.store.catalogue_store import Catalogue


def writable_catalogue(db: Path | None) -> Catalogue:
    """The catalogue ``--db`` names, for writing; the shipped one is never written."""
    if db is None:
        raise CliError(
            "no catalogue given",
            hint="name the catalogue with --db PATH (or the MESO_DB environment variable)",
        )
    return open_catalogue(db, readonly=False)


def _trust(catalogue: Catalogue) -> TrustStore:
    from meso_formulary.catalogue.publishing.trust import catalogue_trust

    return catalogue_trust(catalogue)


# ---------------------------------------------------------------- keygen / publish


@click.command()
@click.argument("supplier")
@click.option(
    "-o",
    "--output",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write SUPPLIER.key and SUPPLIER.pub into.",
)
@click.option("--force", is_flag=True, help="Replace an existing key pair (the old one is lost).")
def keygen(supplier: str, directory: Path, force: bool) -> None:
    """Make an Ed25519 key pair for signing SUPPLIER's catalogues.

    SUPPLIER.key is the private key (readable by you only): keep it secret and backed up.
    SUPPLIER.pub is the public key to give practitioners, with its fingerprint, which they
    check with you before trusting it.
    """
    from meso_formulary.catalogue.publishing.keys import generate_keypair

    files = generate_keypair(supplier, directory, force=force)
    click.echo(f"private key: {files.private_path} (keep it secret)")
    click.echo(f"public key:  {files.public_path}")
    click.echo(f"fingerprint: {files.public_key.grouped_fingerprint}")
    click.echo(files.public_key.text())


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The supplier's private key (from meso keygen).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bundle to write (a .zip file).",
)
@click.option(
    "--expires-days",
    type=click.IntRange(1),
    default=365,
    show_default=True,
    help="How many days practitioners may import the bundle.",
)
@click.option("--force", is_flag=True, help="Replace an existing bundle.")
def publish(file: Path, key_path: Path, output: Path, expires_days: int, force: bool) -> None:
    """Validate catalogue FILE and sign it into a bundle for practitioners.

    The bundle holds FILE unchanged, a manifest (supplier, catalogue version, dates, SHA-256)
    and the signature over the manifest. Each publication must raise the catalogue version.
    """
    from meso_formulary.catalogue.publishing.signing import publish_catalogue

    published = publish_catalogue(
        file, key=key_path, output=output, expires_days=expires_days, force=force
    )
    manifest = published.manifest
    click.echo(
        f"signed catalogue version {manifest.catalogue_version} of supplier "
        f"{manifest.supplier} into {published.path}"
    )
    click.echo(f"key fingerprint: {published.key.grouped_fingerprint}")
    click.echo(f"valid until:     {manifest.expires:%Y-%m-%d %H:%M} UTC")
    _show_findings(file)


def _show_findings(file: Path) -> None:
    """What the rules engine finds in the file just signed, on stderr, as meso validate
    prints it: a signed warning reaches every practitioner who imports the bundle."""
    from meso_formulary.cli.file_commands import check_file, format_problem
    from meso_formulary.files import MAX_BYTES

    problems = check_file(str(file), None, MAX_BYTES)
    for problem in problems:
        click.echo(format_problem(problem), err=True)
    if problems:
        click.echo(
            f"{len(problems)} rule finding{'s' if len(problems) != 1 else ''} in what was "
            f"signed (meso validate {file} lists them too)",
            err=True,
        )


# ---------------------------------------------------------------- trust


@click.group()
def trust() -> None:
    """Pin, list and remove the supplier keys this catalogue trusts."""


@trust.command("add")
@click.argument("supplier")
@click.argument("public_key", metavar="PUBLIC_KEY_FILE_OR_STRING")
@db_option
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def trust_add(supplier: str, public_key: str, db: Path | None, yes: bool) -> None:
    """Trust a supplier's public key (a .pub file, or the meso-ed25519:... line itself).

    Check the fingerprint shown with the supplier (invoice, website, phone) before saying
    yes: anyone holding the matching private key can then publish as SUPPLIER.
    """
    from meso_formulary.catalogue.publishing.keys import check_supplier_id, load_public_key

    check_supplier_id(supplier)
    key = load_public_key(public_key)
    if key.supplier != supplier:
        raise CliError(
            f"this key is for supplier {key.supplier!r}, not {supplier!r}",
            hint="a key is pinned only for the supplier it names",
        )
    click.echo(f"supplier:    {supplier}")
    click.echo(f"fingerprint: {key.grouped_fingerprint}")
    if not yes:
        try:
            confirmed = click.confirm("Does this fingerprint match the one the supplier gave you?")
        except click.Abort:  # no answer: the input ended (no terminal) or Ctrl-C
            raise CliError(
                "no answer to confirm the fingerprint",
                hint="use --yes to confirm without a terminal, once you have compared it",
            ) from None
        if not confirmed:
            raise CliError("not pinned: the fingerprint was not confirmed")
    with writable_catalogue(db) as catalogue:
        added = _trust(catalogue).add(key)
    click.echo("key pinned" if added else "this key was already pinned")


@trust.command("list")
@db_option
@output_options
def trust_list(db: Path | None, fmt: Format) -> None:
    """List the pinned keys, with each supplier's imported catalogue version."""
    with open_catalogue(db, readonly=True) as catalogue:
        store = _trust(catalogue)
        records: list[dict[str, Any]] = []
        for pinned in store.pinned():
            state = store.supplier_state(pinned.supplier)
            records.append(
                {
                    "supplier": pinned.supplier,
                    "fingerprint": pinned.key.fingerprint,
                    "added_at": pinned.added_at,
                    "catalogue_version": None if state is None else state.catalogue_version,
                    "verified": None if state is None else state.verified,
                }
            )
    emit(records, fmt, lambda: _trust_table(records))


def _trust_table(records: list[dict[str, Any]]) -> Table:
    from meso_formulary.catalogue.publishing.keys import group_fingerprint

    table = new_table("Supplier", "Fingerprint (SHA-256)", "Pinned on", "Imported version")
    for record in records:
        version = record["catalogue_version"]
        unsigned = "" if record["verified"] else " (unsigned)"
        table.add_row(
            cell(record["supplier"], style="bold"),
            cell(group_fingerprint(record["fingerprint"])),
            cell(record["added_at"][:10]),
            cell("-" if version is None else f"{version}{unsigned}"),
        )
    return table


@trust.command("remove")
@click.argument("supplier")
@click.argument("fingerprint", required=False)
@db_option
def trust_remove(supplier: str, fingerprint: str | None, db: Path | None) -> None:
    """Stop trusting SUPPLIER's key with FINGERPRINT, or all of SUPPLIER's keys."""
    with writable_catalogue(db) as catalogue:
        removed = _trust(catalogue).remove(supplier, fingerprint)
    for pinned in removed:
        click.echo(f"removed {pinned.supplier} {pinned.key.grouped_fingerprint}")


# ---------------------------------------------------------------- diff


@click.command()
@click.argument("args", nargs=-1, required=True, metavar="SUPPLIER | OLD_FILE NEW_FILE")
@click.option("--from", "from_version", type=click.IntRange(1), help="Older catalogue version.")
@click.option(
    "--to", "to_version", type=click.IntRange(1), help="Newer catalogue version [default: latest]."
)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Output the diff as one JSON object.")
def diff(
    args: tuple[str, ...],
    from_version: int | None,
    to_version: int | None,
    db: Path | None,
    as_json: bool,
) -> None:
    """Show what changed between two versions of a supplier's catalogue.

    \b
    Examples:
      meso diff acme-v2.yaml acme-v3.yaml             # two catalogue files
      meso diff acme --from 2 --to 3 --db clinic.db   # two versions stored in a catalogue
    """
    from meso_formulary.catalogue.publishing.diff import diff_catalogues

    if from_version is not None or to_version is not None:
        if len(args) != 1 or from_version is None:
            raise click.UsageError("give one SUPPLIER with --from (and optionally --to)")
        from meso_formulary.catalogue.store.export import document

        with open_catalogue(db, readonly=True) as catalogue:
            old = document(catalogue.conn, args[0], from_version)
            new = document(catalogue.conn, args[0], to_version)
    elif len(args) == 2:
        from meso_formulary.files import read_catalogue

        old, new = read_catalogue(args[0]), read_catalogue(args[1])
    else:
        raise click.UsageError("give OLD_FILE NEW_FILE, or SUPPLIER --from V [--to V]")
    result = diff_catalogues(old, new)
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print_diff(result)
        notice()


def _print_diff(result: CatalogueDiff) -> None:
    from meso_formulary.catalogue.publishing.diff import diff_lines

    for line in diff_lines(result):
        text = line.lstrip(" ")
        click.echo(" " * (len(line) - len(text)) + safe_text(text))
