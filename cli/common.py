"""What every command family shares: the error type, ``--db``, and writing files safely."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, TypeVar

import click

if TYPE_CHECKING:
    import sqlite3

    from meso_formulary.catalogue import Catalogue, ImportReport

F = TypeVar("F", bound=Callable[..., Any])

_ANSI_ESCAPE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]"
)
"""ANSI/VT escape sequences: CSI (``ESC [ ... m``), OSC (``ESC ] ... BEL``) and 2-byte ones."""


def safe_text(text: str) -> str:
    """``text`` fit for a terminal: escape sequences, control and format characters removed.

    Catalogue text comes from suppliers; printed raw, an escape sequence could recolour or
    rewrite the terminal, and a right-to-left override could disguise a name. White space is
    collapsed to single spaces (tables lay text out themselves).
    """
    from meso_formulary.identifiers import clean_text

    return clean_text(_ANSI_ESCAPE.sub("", text))


class CliError(click.ClickException):
    """A user error: ``Error: <message>`` and ``Hint: <hint>`` on stderr, then exit 1."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file: IO[Any] | None = None) -> None:
        first, *rest = [safe_text(line) for line in self.format_message().splitlines()] or [""]
        lines = [f"Error: {first}", *(f"  {line}" for line in rest)]
        if self.hint:
            lines.append(f"Hint: {safe_text(self.hint)}")
        click.echo("\n".join(lines), file=file, err=file is None)


class BadInput(CliError):
    """Input that cannot be used at all (unreadable, a directory for a file): exit 2."""

    exit_code = 2


def change_counts(report: ImportReport) -> list[str]:
    """ "3 added", "1 changed", "0 unchanged" (and "2 removed" when any were): an import's
    or a reference refresh's counts, in the same words everywhere."""
    counts = [
        f"{len(report.added)} added",
        f"{len(report.changed)} changed",
        f"{len(report.unchanged)} unchanged",
    ]
    if report.removed:
        counts.append(f"{len(report.removed)} removed")
    return counts


def db_option(func: F) -> F:
    """``--db PATH`` (env ``MESO_DB``): the catalogue a command reads or writes."""
    option = click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="MESO_DB",
        show_envvar=True,
        help="Catalogue file to use. Default: the reference catalogue shipped with meso.",
    )
    return option(func)


def open_catalogue(db: Path | None, *, readonly: bool = True) -> Catalogue:
    """The catalogue at ``db``, or the embedded reference catalogue when ``db`` is None.

    Reading commands refuse a ``--db`` that does not exist (rather than create an empty
    catalogue and report that nothing matched); ``meso import`` creates it.
    """
    from meso_formulary.catalogue import Catalogue

    if db is None:
        return Catalogue.default()
    if readonly:
        _must_exist(db)
    catalogue = Catalogue.open(db, readonly=readonly)
    if readonly:
        note_outdated_reference(catalogue.conn, db)
    return catalogue


def connect_catalogue(db: Path | None) -> sqlite3.Connection:
    """A read-only connection to ``db`` or to the reference catalogue, for ``meso search``
    and the read commands (``show``, ``compare``, ``indications``, ``ingredients``,
    ``stats``, ``schedule``).

    Unlike :func:`open_catalogue` it does not load the store (sqlite-utils, pydantic): the
    search engine (:mod:`meso_formulary.catalogue.search.runner`) and the stored-row views
    (:mod:`meso_formulary.catalogue.store.cocktail_view`, :mod:`.listings
    <meso_formulary.catalogue.store.listings>`) need only the connection.
    """
    from meso_formulary.catalogue.store.connect import open_readonly
    from meso_formulary.catalogue.store.default_connection import connect_default

    if db is None:
        return connect_default()
    _must_exist(db)
    conn = open_readonly(db)
    note_outdated_reference(conn, db)
    return conn


def note_outdated_reference(conn: sqlite3.Connection, db: Path) -> None:
    """Say on stderr when the shipped reference cocktails in ``db`` (a clinic's own
    catalogue) are of an older data release than this package's: a read-only command
    writes nothing, so the note names the command that refreshes them."""
    from meso_formulary.catalogue.store.provenance import reference_outdated

    if reference_outdated(conn):
        click.echo(
            f"Note: {db} holds older reference data than this release of meso; "
            f"refresh it with: meso init {db}",
            err=True,
        )


def _must_exist(db: Path) -> None:
    if not db.exists():
        raise CliError(
            f"no catalogue at {db}",
            hint="check the path, or create one with: meso init PATH (the reference data "
            "to start from) or meso import FILE --db PATH",
        )


def refuse_overwrite(path: Path, *, force: bool) -> None:
    """Fail early, before any work, when ``path`` exists and ``--force`` was not given."""
    if path.is_dir():
        raise BadInput(f"{path} is a directory", hint="give a file name")
    if path.exists() and not force:
        raise CliError(f"{path} already exists", hint="use --force to overwrite it")


def write_file(path: Path, write: Callable[[TextIO], object], *, force: bool) -> None:
    """Create ``path`` with what ``write(stream)`` writes (UTF-8, newlines as written).

    Atomic: the text goes to a temporary file in the same folder, which then replaces
    ``path``, so a reader never sees half a file and a failure leaves any previous file as
    it was. An existing file is refused unless ``force``.
    """
    import tempfile

    refuse_overwrite(path, force=force)
    folder = path.parent
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CliError(f"cannot write to {folder}: {error.strerror}") from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from error
    finally:
        Path(temporary).unlink(missing_ok=True)


def _umask() -> int:
    """The process umask (``mkstemp`` makes files 0600; the result should honour the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


class IsoDate(click.ParamType):  # type: ignore[type-arg]
    """A calendar date as ``YYYY-MM-DD``, parsed into a :class:`datetime.datetime` at midnight
    (as ``click.DateTime`` does); an impossible date is reported as one ("February has no
    30th"), not as a format mismatch."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import calendar
        from datetime import datetime

        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
        if match is None:
            self.fail(
                f"{text!r} is not a date: write it as YYYY-MM-DD (e.g. 2026-03-02)", param, ctx
            )
        year, month, day = (int(part) for part in match.groups())
        if not 1 <= month <= 12:
            self.fail(f"{text!r} is not a date: there is no month {month}", param, ctx)
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            self.fail(
                f"{text!r} is not a date: {calendar.month_name[month]} {year} has no day {day}"
                f" (it has {days} days)",
                param,
                ctx,
            )
        return datetime(year, month, day)
