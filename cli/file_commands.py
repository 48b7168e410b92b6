"""Catalogue files: ``meso validate``, ``meso import``, ``meso export`` and ``meso schema``."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO, cast

import click

from meso_formulary.cli.common import (
    CliError,
    change_counts,
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
@click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="CODE",
    help="Leave out the warnings and notes of rule CODE (such as MF105; repeatable). "
    "Its errors still count: meso import refuses them.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the problems as a JSON array of objects (file, line, path, severity, code, "
    "message, value, source).",
)
@_max_size_option
def validate(
    files: tuple[str, ...],
    fmt: str | None,
    strict: bool,
    ignored: tuple[str, ...],
    as_json: bool,
    max_size: int | None,
) -> None:
    """Check supplier catalogue files (YAML, JSON or CSV; '-' reads stdin).

    Prints every problem as FILE:LINE: FIELD.PATH: SEVERITY: MESSAGE: what makes a file
    invalid or, for a valid file, what the rules engine finds questionable in each cocktail
    ([MF...] names the rule); then a summary on stderr. These are the checks meso import
    runs (an error keeps a file out; warnings do not), less those only a catalogue can
    answer (a version older than the one stored, an ingredient id another supplier owns).

    \b
    Examples:
      meso validate catalogue.yaml
      meso validate --json --ignore MF105 catalogue.yaml

    \b
    Exit status: 0 when no errors (warnings allowed unless --strict),
                 1 when a file has errors (or warnings, with --strict),
                 2 when a file cannot be read at all.
    """
    from meso_formulary.files import MAX_BYTES

    skipped = _rule_codes(ignored)
    counts: Counter[str] = Counter()
    unreadable = 0
    found: list[Problem] = []
    for source in files:
        problems, readable, hint = _check_file(source, fmt, max_size or MAX_BYTES)
        unreadable += not readable
        for problem in problems:
            if problem.code in skipped and problem.severity != "error":
                counts["ignored"] += 1
                continue
            counts[problem.severity] += 1
            found.append(problem)
            if not as_json:
                click.echo(format_problem(problem))
        if hint is not None:
            click.echo(f"Hint: {hint}", err=True)
    if as_json:
        click.echo(json.dumps([_problem_json(p) for p in found], indent=2, ensure_ascii=False))
    click.echo(_summary(len(files), counts, unreadable), err=True)
    if not as_json:
        from meso_formulary.cli.output import notice

        notice(stderr=True)  # stdout holds the problem lines alone
    if unreadable:
        sys.exit(2)
    if counts["error"] or (strict and counts["warning"]):
        sys.exit(1)


def _rule_codes(codes: tuple[str, ...]) -> frozenset[str]:
    """The rule codes given to --ignore (a code in any case, or a rule's name such as
    strength-outside-typical-range); an unknown one is a usage error."""
    if not codes:
        return frozenset()
    from meso_formulary.names import suggest
    from meso_formulary.rules import default_registry

    known: dict[str, str] = {}
    for rule in default_registry():
        known[rule.code] = known[rule.name] = rule.code
    wanted = set()
    for given in codes:
        code = known.get(given.strip().upper()) or known.get(given.strip().lower())
        if code is None:
            close = suggest(given, {rule: rule for rule in known if rule.startswith("MF")})
            raise click.BadParameter(
                f"{given!r} is not a rule code"
                + (f" (did you mean {' or '.join(close)}?)" if close else "")
                + "; the README's rules table lists them (MF100 to MF171)",
                param_hint="'--ignore'",
            )
        wanted.add(code)
    return frozenset(wanted)


def _problem_json(problem: Problem) -> dict[str, object]:
    """A problem as --json prints it: the message without the ``[MF105]`` the text line
    starts with (``code`` holds it), the value as read, bounded (json.dumps escapes control
    characters, so no escape sequence reaches a terminal)."""
    return {
        "file": problem.file,
        "line": problem.line,
        "path": problem.path,
        "severity": problem.severity,
        "code": problem.code,
        "message": problem.message.removeprefix(f"[{problem.code}] "),
        "value": problem.value,
        "source": problem.source,
    }


def check_file(source: str, fmt: str | None, max_bytes: int) -> list[Problem]:
    """Every problem ``meso validate`` reports for one file (see :func:`_check_file`)."""
    return _check_file(source, fmt, max_bytes)[0]


def _check_file(
    source: str, fmt: str | None, max_bytes: int
) -> tuple[list[Problem], bool, str | None]:
    """Every problem of one file, whether it could be read at all, and the reader's hint.

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
            return problems, True, None
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
        return list(error.problems), False, error.hint
    located = [document.locate(problem) for problem in found]
    return sorted(located, key=lambda problem: problem.line or 0), True, None


def format_problem(problem: Problem) -> str:
    """``FILE:LINE: PATH: SEVERITY: MESSAGE`` on one line, safe to print (keys and values in
    a hostile file could hold escape sequences)."""
    where = problem.location()
    text = f"{problem.severity}: {problem.message}"
    return safe_text(f"{where}: {text}" if where else text)


def _summary(files: int, counts: Counter[str], unreadable: int) -> str:
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["info"]:
        parts.append(_plural(counts["info"], "note"))
    if counts["ignored"]:
        parts.append(f"{counts['ignored']} ignored")
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
    removed (their history stays), changed ones get a new revision (meso history).

    A signed bundle (from meso publish) is verified against the keys pinned with meso
    trust; its catalogue is stored as verified. Its catalogue version must be newer than
    the one already imported from that supplier: the same or an older bundle is refused as
    a replay (nothing to do when it is the same one), so an old catalogue cannot be slipped
    back in. Re-importing an unsigned file of the version already stored, with the same
    content, changes nothing; with other content it is refused (raise its version). A
    plain file is refused unless --unsigned
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
    from meso_formulary.catalogue.store.provenance import REFERENCE_SUPPLIER
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
        if item.report.supplier == REFERENCE_SUPPLIER:  # no file may import it
            signed = " (refreshed: this release's data is newer)"
        else:
            signed = " (signed, verified)" if item.signed_by else " (unsigned draft)"
        click.echo(f"{item.name}{signed}: {_report_line(item.report)}")


def _report_line(report: ImportReport) -> str:
    what = f"supplier {report.supplier}, catalogue version {report.catalogue_version}"
    if report.already_imported:
        return f"{what}: already imported, nothing changed"
    counts = change_counts(report)
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
    type=click.Choice(("json", "yaml", "csv", "fhir")),
    default="json",
    show_default=True,
    help="json and yaml: the catalogue file as published; csv: the supplier CSV layout, "
    "one row per composition line (formula-safe; fields it has no column for are left "
    "out, with a note); fhir: one FHIR R5 Bundle of every supplier's cocktails (or "
    "--supplier S's), see docs/fhir.md.",
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
    type=click.Path(allow_dash=True),
    metavar="FILE|FOLDER/",
    help="Write to FILE instead of stdout; to a FOLDER (one that exists, or a path ending "
    "in /): one file per supplier, FOLDER/S.json (.yaml, .csv).",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@db_option
def export(
    fmt: str,
    supplier: str | None,
    catalogue_version: int | None,
    output: str | None,
    force: bool,
    db: Path | None,
) -> None:
    """Export a supplier's catalogue as a file meso import reads, or as a FHIR Bundle.

    The export is the catalogue file as imported (ingredient names resolved to ids):
    imported elsewhere with meso import --unsigned, it exports the same again. A file holds
    one supplier: without --supplier, a catalogue of one supplier exports it, one of several
    is refused unless -o names a FOLDER/, which gets one file per supplier
    (meso import --unsigned FOLDER/* reads them all back).

    Supplier 'reference' (the shipped data) exports with a note: its id is reserved, and
    meso import refuses it.

    --format fhir writes one FHIR R5 Bundle (not a file meso import reads): a
    MedicationKnowledge and a Medication per cocktail, its contraindications and warnings
    as ClinicalUseDefinitions, and a Provenance per supplier; every supplier's current
    catalogue without --supplier.
    """
    if fmt == "fhir":
        _export_fhir(supplier, catalogue_version, output, force, db)
        return
    from meso_formulary.catalogue.store.export import (
        EXTENSIONS,
        ExportFormat,
        exported_supplier,
        supplier_ids,
        write_export,
    )

    if catalogue_version is not None and supplier is None:
        raise click.UsageError("--catalogue-version needs --supplier")
    chosen = cast(ExportFormat, fmt)
    notes: list[str] = []
    with open_catalogue(db) as catalogue:
        conn = catalogue.conn

        def writer(of: str | None) -> Callable[[TextIO], None]:
            def write(stream: TextIO) -> None:
                notes.extend(
                    write_export(conn, stream, chosen, supplier=of, version=catalogue_version)
                )

            return write

        if output is None or output == "-":
            writer(supplier)(sys.stdout)
        elif Path(output).is_dir() or output.endswith(("/", os.sep)):
            folder = Path(output)
            suppliers = [supplier] if supplier else supplier_ids(conn)
            if not suppliers:
                exported_supplier(conn, None, None)  # says the catalogue is empty
            targets = {of: folder / f"{of}{EXTENSIONS[chosen]}" for of in suppliers}
            written = _write_files({target: writer(of) for of, target in targets.items()}, force)
            names = ", ".join(target.name for target in written)
            click.echo(f"Exported {_plural(len(written), 'file')} to {folder}: {names}", err=True)
        else:
            write_file(Path(output), writer(supplier), force=force)
            click.echo(f"Exported to {output}", err=True)
    for note in dict.fromkeys(notes):
        click.echo(safe_text(f"Note: {note}"), err=True)


def _export_fhir(
    supplier: str | None,
    catalogue_version: int | None,
    output: str | None,
    force: bool,
    db: Path | None,
) -> None:
    """``meso export --format fhir``: the Bundle, to stdout or to one file, atomically."""
    if catalogue_version is not None:
        raise CliError(
            "a FHIR export holds each supplier's current catalogue, not a past version",
            hint="leave out --catalogue-version (or export that version with --format json)",
        )
    if output is not None and (Path(output).is_dir() or output.endswith(("/", os.sep))):
        raise CliError(
            f"a FHIR export is one Bundle, one file: {output} is a folder",
            hint="give a file name (-o catalogue.fhir.json), with --supplier S for one supplier",
        )
    with open_catalogue(db) as catalogue:
        from meso_formulary.catalogue.store.fhir import bundle_json

        text = bundle_json(catalogue.fhir_bundle(supplier))
    if output is None or output == "-":
        sys.stdout.write(text)
    else:
        write_file(Path(output), lambda stream: stream.write(text), force=force)
        click.echo(f"Exported to {output}", err=True)


def _write_files(writers: dict[Path, Callable[[TextIO], None]], force: bool) -> list[Path]:
    """Write each file (its folder created if missing), all or nothing: a failure removes
    the files this call created."""
    for target in writers:
        refuse_overwrite(target, force=force)
    written: list[Path] = []
    created = [target for target in writers if not target.exists()]
    try:
        for target, write in writers.items():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise CliError(f"cannot create {target.parent}: {error.strerror}") from error
            write_file(target, write, force=force)
            written.append(target)
    except BaseException:
        for target in set(written) & set(created):
            target.unlink(missing_ok=True)
        raise
    return written


# ---------------------------------------------------------------- schema


@click.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of catalogue files, for editors and validators.

    Some rules need code (CAS check digits, ids in the supplier's namespace): check files
    with meso validate.
    """
    from meso_formulary.files import catalogue_json_schema

    click.echo(json.dumps(catalogue_json_schema(), indent=2, ensure_ascii=False))
