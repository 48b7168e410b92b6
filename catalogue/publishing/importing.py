"""The one way files get into a catalogue: every caller (``meso import``, the Python API,
the tests) imports through :func:`import_files`.

Each file is read and judged before the write lock is taken:

1. a signed bundle is verified completely (:func:`~.verify.verify_bundle`) and its rows
   belong to the verified signer;
2. a plain catalogue file is read with its line map; without ``unsigned`` it is refused
   (:func:`~.trust.check_plain_file`), and with it, it is still refused for a supplier that
   publishes signed bundles here (:meth:`~.trust.TrustStore.check_unsigned`);
3. every catalogue is checked against the catalogue it goes into (the checks of
   ``meso validate``, rules engine included, plus what only a catalogue can answer: a stale
   version, an ingredient id another supplier owns).

Every problem of every file is collected, each located in its file (line and field path);
if there is any, nothing is written. Otherwise all files are imported in one transaction:
all or nothing, and a refused import leaves the file byte-identical.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from meso_formulary.catalogue.publishing.bundle import bounds_problem, is_bundle
from meso_formulary.catalogue.publishing.trust import (
    TrustStore,
    catalogue_trust,
    check_plain_file,
)
from meso_formulary.catalogue.publishing.verify import verify_bundle
from meso_formulary.catalogue.store.import_checks import check_cocktails, check_document
from meso_formulary.catalogue.store.provenance import REFERENCE_SUPPLIER
from meso_formulary.errors import InvalidInput, Problem, TrustError, UnreadableInput
from meso_formulary.files import MAX_BYTES, Document, read_document
from meso_formulary.files.validate import split_document

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.catalogue_store import Catalogue
    from meso_formulary.catalogue.store.importer import ImportReport, ProgressCallback
    from meso_formulary.model import CatalogueFile


REFERENCE_NAME: Final = "shipped reference data"
"""The name of the :class:`ImportedFile` that reports the shipped reference cocktails
refreshed by an import into a clinic's own catalogue (a new data release, see
:func:`~meso_formulary.catalogue.store.importer.import_session`)."""


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """One file of an import: its name, what the import did, and who signed it."""

    name: str
    report: ImportReport
    signed_by: str | None
    """The fingerprint of the key that signed the bundle; ``None`` for an unsigned draft."""


@dataclass(frozen=True, slots=True)
class _Judged:
    """One file, read and judged: its catalogue, or the problems that keep it out."""

    name: str
    catalogue: CatalogueFile | None
    problems: list[Problem]
    document: Document | None
    signed_by: str | None
    cocktails: Iterable[Any] = ()
    """A large file's cocktails, read again from it as they are imported (memory)."""


def import_files(
    catalogue: Catalogue,
    sources: Iterable[str | os.PathLike[str]],
    *,
    fmt: str | None = None,
    unsigned: bool = False,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
    max_bytes: int = MAX_BYTES,
) -> list[ImportedFile]:
    """Import signed bundles (and, with ``unsigned``, plain catalogue files as drafts) into
    ``catalogue``, all in one transaction or none at all (see the module doc). Returns one
    :class:`ImportedFile` per file, in order, after one named :data:`REFERENCE_NAME` when
    the import first refreshed a clinic catalogue's shipped reference cocktails.

    ``fmt`` forces the format of plain files ("yaml", "json" or "csv"; default: from the
    extension, ``-`` reads stdin). ``now`` is the time bundles are checked at (their
    creation and expiry dates). ``progress`` is called with each report of the import
    session (:data:`~meso_formulary.catalogue.store.importer.ImportStage`). ``max_bytes``
    is the largest plain file read (raise it only for a trusted large file).

    Raises :class:`~meso_formulary.errors.TrustError` for a bundle that does not verify or
    a plain file that may not be imported, and
    :class:`~meso_formulary.errors.InvalidInput` listing every located problem of every
    file (:class:`~meso_formulary.errors.UnreadableInput`, its subclass, when a file cannot
    be read at all); in each case the catalogue is unchanged.

    A plain file imports only as a local draft, with ``unsigned`` (a signed bundle of
    ``meso publish`` needs no flag):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from meso_formulary.catalogue import Catalogue, import_files
    >>> text = '''
    ... format: meso-formulary/1
    ... supplier: {id: acme, name: Acme}
    ... cocktails:
    ...   - id: acme/hair
    ...     name: Hair booster
    ...     supplier: acme
    ...     description: Biotin for thinning hair.
    ...     composition: [{ingredient: biotin, strength: {value: 0.5, unit: mg/mL}}]
    ...     indications: [alopecia]
    ...     areas: [scalp]
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     draft = Path(folder) / "acme.yaml"
    ...     _ = draft.write_text(text, encoding="utf-8")
    ...     (imported,) = import_files(Catalogue.memory(), [draft], unsigned=True)
    >>> imported.report.added, imported.signed_by
    (('acme/hair',), None)
    """
    trust = catalogue_trust(catalogue)
    judged: list[_Judged] = []
    unreadable: list[UnreadableInput] = []
    for source in sources:
        try:
            judged.append(
                _judge(
                    catalogue,
                    str(source),
                    trust,
                    fmt=fmt,
                    unsigned=unsigned,
                    now=now,
                    max_bytes=max_bytes,
                )
            )
        except UnreadableInput as error:
            unreadable.append(error)
    problems = [problem for item in judged for problem in item.problems]
    if unreadable:  # a file that cannot be read at all outranks problems in the others
        if len(unreadable) == 1 and not problems:
            raise unreadable[0]
        unread = [p for e in unreadable for p in e.problems or [Problem(e.message)]]
        hint = "; ".join(dict.fromkeys(e.hint for e in unreadable if e.hint)) or None
        problems = [*unread, *problems]
        raise UnreadableInput(_not_imported(len(problems)), problems, hint=hint)
    if problems:
        raise InvalidInput(_not_imported(len(problems)), problems)
    reports: list[ImportedFile] = []
    try:
        # Checked above: the session runs the rules only for the findings it stores.
        with catalogue.importing(check_rules=False, progress=progress) as session:
            for item in judged:
                assert item.catalogue is not None  # no problems, so every file is valid
                report = session.add(
                    item.catalogue,
                    item.cocktails,
                    signed_by=item.signed_by,
                    verified=item.signed_by is not None,
                    source=item.name,
                )
                reports.append(ImportedFile(item.name, report, item.signed_by))
            if session.reference_report is not None:  # a new data release, refreshed first
                reports.insert(0, ImportedFile(REFERENCE_NAME, session.reference_report, None))
    except InvalidInput as error:
        located = [_locate(problem, judged) for problem in error.problems]
        raise InvalidInput(_not_imported(len(located)), located) from error
    return reports


def import_path(
    catalogue: Catalogue,
    path: str | os.PathLike[str],
    *,
    unsigned: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Import one file through :func:`import_files`; the report of what it did."""
    imported = import_files(catalogue, [path], unsigned=unsigned, now=now)
    return imported[-1].report  # after the reference data's, when the import refreshed it


def _judge(
    catalogue: Catalogue,
    source: str,
    trust: TrustStore,
    *,
    fmt: str | None,
    unsigned: bool,
    now: datetime | None,
    max_bytes: int = MAX_BYTES,
) -> _Judged:
    """Read ``source``, verify or admit it, and find every problem its import would meet.

    A plain file is read before it is refused for want of ``unsigned``, so that a file that
    cannot be read at all says so first, as ``meso validate`` does.
    """
    if source != "-" and is_bundle(Path(source)):
        verified = verify_bundle(source, trust, now=now)
        if verified.catalogue.supplier.id == REFERENCE_SUPPLIER:
            raise TrustError(f"{source}: {_RESERVED}", hint=_RESERVED_HINT)
        problems = check_document(
            verified.catalogue, catalogue.reference, source, conn=catalogue.conn
        )
        return _Judged(source, verified.catalogue, problems, None, verified.key.fingerprint)
    document = read_document(source, fmt=fmt, max_bytes=max_bytes)
    check_plain_file(document.filename, unsigned=unsigned)
    plain, cocktails, problems = split_document(document)  # a large file: one at a time
    if plain is not None:
        if plain.supplier.id == REFERENCE_SUPPLIER:
            raise TrustError(f"{document.filename}: {_RESERVED}", hint=_RESERVED_HINT)
        trust.check_unsigned(plain.supplier.id, document.filename)
        found = check_cocktails(
            plain,
            cocktails,
            catalogue.reference,
            document.filename,
            conn=catalogue.conn,
            locate=document.locate,
        )
        out_of_bounds = bounds_problem(plain.version)
        if out_of_bounds is not None:
            found.append(
                Problem(
                    out_of_bounds,
                    path="version",
                    file=document.filename,
                    value=plain.version,
                    code="version_bounds",
                )
            )
        problems = [document.locate(problem) for problem in found]
    return _Judged(document.filename, plain, problems, document, None, cocktails)


_RESERVED = (
    f"supplier id {REFERENCE_SUPPLIER!r} is reserved for the data shipped with "
    "meso-formulary; no imported catalogue may use it"
)
_RESERVED_HINT = "a supplier publishes under its own id (lowercase letters, digits, '-', '_')"


def _not_imported(count: int) -> str:
    problems = f"{count} problem{'' if count == 1 else 's'}"
    return f"nothing was imported ({problems}); the catalogue is unchanged"


def _locate(problem: Problem, judged: Sequence[_Judged]) -> Problem:
    """``problem`` with the source line of its field path, from the file it names."""
    for item in judged:
        if item.document is not None and item.name == problem.file:
            return item.document.locate(problem)
    return problem
