"""Catalogue files: ``meso validate``, ``meso import``, ``meso export`` and ``meso schema``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO, cast

import click

from meso_formulary.cli.common import (
    CliError,
    db_option,
    open_catalogue,
    refuse_overwrite,
    safe_text,
    write_file,
)

if TYPE_CHECKING:
    from meso_formulary.catalogue import ImportReport
    from meso_formulary.catalogue.store.importer import ImportProgress, ProgressCallback
    from meso_formulary.errors import Problem

FILE_FORMATS = ("yaml", "json", "csv")


_UNITS: Final = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
                 "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3}  # fmt: skip


class _Size(click.ParamType):  # type: ignore[type-arg]
    """A file size: a number of bytes, or with a unit (``500MB``, ``1.5GiB``, ``800k``)."""

    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        import re

        text = str(value).strip().lower().replace(" ", "")
        match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([a-z]*)", text)
        unit = _UNITS.get(match[2]) if match else None
        if match is None or unit is None or float(match[1]) * unit < 1:
            self.fail(f"{value!r} is not a size (e.g. 500MB, 1GiB or a number of bytes)")
        return int(float(match[1]) * unit)


_max_size_option = click.option(
    "--max-size",
    "max_size",
    type=_Size(),
    default=None,
    metavar="SIZE",
    help="Read files of up to SIZE (e.g. 500MB; default 20 MiB, a guard against hostile "
    "files): for a trusted large catalogue. JSON and CSV are read as streams, in bounded memory.",
)

_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FILE_FORMATS),
    help="Read every FILE in this format (default: from the extension; stdin: JSON or YAML).",
)


# ---------------------------------------------------------------- validate


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@_format_option
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only errors.")
@_max_size_option
def validate(files: tuple[str, ...], fmt: str | None, strict: bool, max_size: int | None) -> None:
    """Check supplier catalogue files (YAML, JSON or CSV; '-' reads stdin).

    Prints every problem as FILE:LINE: FIELD.PATH: SEVERITY: MESSAGE: what makes a file
    invalid or, for a valid file, what the rules engine finds questionable in each cocktail
    ([MF...] names the rule); then a summary on stderr. These are the checks meso import
    runs (an error keeps a file out; warnings do not), less those only a catalogue can
    answer (a version older than the one stored, an ingredient id another supplier owns).

    \b
    Exit status: 0 when no errors (warnings allowed unless --strict),
                 1 when a file has errors (or warnings, with --strict),
                 2 when a file cannot be read at all.
    """
    from meso_formulary.files import MAX_BYTES

    counts: Counter[str] = Counter()
    unreadable = 0
    for source in files:
        problems, readable = _check_file(source, fmt, max_size or MAX_BYTES)
        unreadable += not readable
        for problem in problems:
            counts[problem.severity] += 1
            click.echo(_format_problem(problem))
    click.echo(_summary(len(files), counts, unreadable), err=True)
    if unreadable:
        sys.exit(2)
    if counts["error"] or (strict and counts["warning"]):
        sys.exit(1)


def _check_file(source: str, fmt: str | None, max_bytes: int) -> tuple[list[Problem], bool]:
    """Every problem of one file, and whether it could be read at all.

    A valid file goes through the very checks ``meso import`` runs (against the shipped
    dictionary: there is no catalogue here), rules engine included, so a file validate
    passes imports unless the catalogue itself objects (a stale version, an ingredient id
    another supplier owns).
    """
    from meso_formulary.catalogue import ReferenceData
    from meso_formulary.catalogue.store.import_checks import check_cocktails
    from meso_formulary.errors import UnreadableInput
    from meso_formulary.files import read_document
    from meso_formulary.files.validate import split_document

    try:
        document = read_document(source, fmt=fmt, max_bytes=max_bytes)
        catalogue, cocktails, problems = split_document(document)
        if catalogue is None:
            return problems, True
        reference = ReferenceData.shipped()
        found = check_cocktails(
            catalogue,
            cocktails,
            reference,
            document.filename,
            warnings=True,
            locate=document.locate,
        )
    except UnreadableInput as error:  # a streamed file is read as it is checked
        return list(error.problems), False
    located = [document.locate(problem) for problem in found]
    return sorted(located, key=lambda problem: problem.line or 0), True


def _format_problem(problem: Problem) -> str:
    """``FILE:LINE: PATH: SEVERITY: MESSAGE`` on one line, safe to print (keys and values in
    a hostile file could hold escape sequences)."""
    where = problem.location()
    text = f"{problem.severity}: {problem.message}"
    return safe_text(f"{where}: {text}" if where else text)


def _summary(files: int, counts: Counter[str], unreadable: int) -> str:
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["info"]:
        parts.append(_plural(counts["info"], "note"))
    if unreadable:
        parts.append(f"{unreadable} unreadable")
    return f"{_plural(files, 'file')} checked: {', '.join(parts)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- import


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, metavar="FILE...", type=click.Path(allow_dash=True)
)
@_format_option
@click.option(
    "--unsigned",
    is_flag=True,
    help="Also import plain catalogue files (not signed bundles), as unverified local drafts.",
)
@_max_size_option
@db_option
def import_(
    files: tuple[str, ...], fmt: str | None, unsigned: bool, max_size: int | None, db: Path | None
) -> None:
    """Import signed bundles, or with --unsigned catalogue files, into the catalogue --db
    (created if missing).

    All or nothing: every file is read and checked first (the checks of meso validate, an
    error-level rule finding included), and if any has a problem nothing is imported. A
    file replaces its supplier's part of the catalogue: cocktails it no longer lists are
    removed (their history stays), changed ones get a new version. Re-importing the same
    version with the same content changes nothing.

    A signed bundle (from meso publish) is verified against the keys pinned with meso
    trust; its catalogue is stored as verified. A plain file is refused unless --unsigned
    is given; it is then stored as an unverified draft (meso show and meso stats say so),
    and still refused for a supplier that publishes signed bundles here.

    The shipped reference catalogue is read-only: give --db (or set MESO_DB).
    """
    if db is None:
        raise CliError(
            "the reference catalogue is read-only; say which catalogue to import into",
            hint="meso import FILE --db my-catalogue.db (or set MESO_DB)",
        )
    from contextlib import suppress

    from meso_formulary.catalogue.publishing.importing import import_files
    from meso_formulary.files import MAX_BYTES

    created = not db.exists()
    try:
        with open_catalogue(db, readonly=False) as store, _progress() as progress:
            imported = import_files(
                store,
                files,
                fmt=fmt,
                unsigned=unsigned,
                progress=progress,
                max_bytes=max_size or MAX_BYTES,
            )
    except BaseException:
        if created:  # a failed import into a new file leaves no empty catalogue behind
            for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                with suppress(OSError):  # its folder is a file or unwritable: nothing made
                    leftover.unlink(missing_ok=True)
        raise
    for item in imported:
        signed = " (signed, verified)" if item.signed_by else " (unsigned draft)"
        click.echo(f"{item.name}{signed}: {_report_line(item.report)}")


def _report_line(report: ImportReport) -> str:
    what = f"supplier {report.supplier}, catalogue version {report.catalogue_version}"
    if report.already_imported:
        return f"{what}: already imported, nothing changed"
    counts = [
        f"{len(report.added)} added",
        f"{len(report.changed)} changed",
        f"{len(report.unchanged)} unchanged",
    ]
    if report.removed:
        counts.append(f"{len(report.removed)} removed")
    if report.ingredients_added:
        counts.append(_plural(len(report.ingredients_added), "new ingredient"))
    return f"{what}: {', '.join(counts)}"


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """What shows an import's progress on stderr: the count of cocktails stored, fed by the
    import session's own progress reports (:data:`ImportStage`), so it works as well for a
    streamed file whose length is not known in advance.

    Only on a terminal; piped or redirected, nothing is shown.
    """
    from rich.progress import BarColumn, Progress, TextColumn

    from meso_formulary.cli.output import console

    stderr = console(stderr=True)
    if not stderr.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} cocktails stored"),
    )
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("Importing", total=None)

        def report(progress: ImportProgress) -> None:
            if progress.supplier is not None:
                bar.update(task, description=f"Importing supplier {progress.supplier}")
            bar.update(task, completed=progress.cocktails)

        yield report


# ---------------------------------------------------------------- export


@click.command()
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("json", "yaml", "csv")),
    default="json",
    show_default=True,
    help="json and yaml: catalogue files as published; csv: one row per composition line, "
    "with mg/mL (formula-safe).",
)
@click.option("--supplier", metavar="S", help="Only supplier S's catalogue.")
@click.option(
    "--catalogue-version",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --supplier: its catalogue version N as imported, not the latest.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    metavar="FILE",
    help="Write to FILE instead of stdout.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@db_option
def export(
    fmt: str,
    supplier: str | None,
    catalogue_version: int | None,
    output: Path | None,
    force: bool,
    db: Path | None,
) -> None:
    """Export the catalogue, or one supplier's, as JSON, YAML or CSV.

    One supplier's export is its catalogue file as imported (ingredient names resolved to
    ids), ready to validate or import elsewhere. Every supplier: a JSON array of catalogue
    files, or a YAML stream of documents.
    """
    from meso_formulary.catalogue.store.export import ExportFormat

    if catalogue_version is not None and supplier is None:
        raise click.UsageError("--catalogue-version needs --supplier")
    if output is not None and str(output) != "-":
        refuse_overwrite(output, force=force)
    chosen = cast(ExportFormat, fmt)
    with open_catalogue(db) as catalogue:

        def write(stream: TextIO) -> None:
            catalogue.write_export(stream, chosen, supplier=supplier, version=catalogue_version)

        if output is None or str(output) == "-":
            write(sys.stdout)
        else:
            write_file(output, write, force=force)
            click.echo(f"Exported to {output}", err=True)


# ---------------------------------------------------------------- schema


@click.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of catalogue files, for editors and validators.

    Some rules need code (CAS check digits, ids in the supplier's namespace): check files
    with meso validate.
    """
    from meso_formulary.files import catalogue_json_schema

    click.echo(json.dumps(catalogue_json_schema(), indent=2, ensure_ascii=False))
