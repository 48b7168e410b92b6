"""Importing catalogue documents: resolve, derive and write, all in one transaction.

An import session is one ``BEGIN IMMEDIATE`` transaction (:mod:`.transaction`): any error,
in any document of the session, rolls every document back, so the file is exactly as it
was. Inside it each document is handled cocktail by cocktail, one model alive at a time,
with the cyclic garbage collector paused (keeping thousands of fresh pydantic models alive
makes it run over and over: 36 s instead of 5 s for 100k cocktails), and rows written with
raw ``executemany`` in batches.

Into an empty catalogue (the bulk case) the secondary indexes and the FTS sync triggers are
dropped first and rebuilt once at the end, inside the same transaction.

A document replaces its supplier's part of the catalogue: cocktails it no longer lists are
removed from the current catalogue (their history stays), a changed cocktail gets a new
version, an unchanged one is left alone. Re-importing the version already stored with the
same content changes nothing; the same version with different content, or an older
version, is refused.

A ``progress`` callback (:class:`ImportProgress`) hears how far a session has got: the lock
taken, each batch written, each document checked, the commit about to run and done. It runs
in the importing thread, inside the transaction: it may show progress or stop the import by
raising (everything rolls back before ``committed``), and a process killed while it runs
leaves the file as the stage says (see :data:`ImportStage`).
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final, Literal

from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.derive import (
    CompositionRow,
    Deriver,
    brand_rows,
    disclosure,
)
from meso_formulary.catalogue.store.dictionary import Dictionary, ReferenceData
from meso_formulary.catalogue.store.drafts import purge_supplier
from meso_formulary.catalogue.store.import_checks import (
    Checker,
    CocktailInput,
    Prepared,
    Problems,
    RuleCheck,
    check_header,
    own_ingredients,
    owners_of,
)
from meso_formulary.catalogue.store.provenance import (
    REFERENCE_SUPPLIER,
    is_shipped_reference,
    shipped_reference,
)
from meso_formulary.catalogue.store.records import canonical_json, header_json, utc_now
from meso_formulary.catalogue.store.reference_sync import (
    SCREENING_INSERT,
    findings_json,
    reference_ingredients,
    refresh_derived,
    sync_reference,
    upsert_ingredient,
)
from meso_formulary.catalogue.store.screening import Screener, ScreeningRow, stored_screening
from meso_formulary.catalogue.store.transaction import write_transaction
from meso_formulary.errors import CatalogueError
from meso_formulary.model import CatalogueFile, Indication, Ingredient
from meso_formulary.names import name_table

BATCH: Final = 500
"""Cocktails per ``executemany`` batch."""

IMPORT_CACHE_KIB: Final = 65536
"""SQLite page cache during an import (KiB; 32x the default), restored afterwards."""


@dataclass(frozen=True)
class ImportReport:
    """What one imported document changed, by cocktail id."""

    supplier: str
    catalogue_version: int
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    ingredients_added: tuple[str, ...] = ()
    already_imported: bool = False
    """True when this very document (same version, same content) was already stored."""

    @property
    def cocktails(self) -> int:
        """How many cocktails the document holds."""
        return len(self.added) + len(self.changed) + len(self.unchanged)


_INSERT_COCKTAIL = """INSERT INTO cocktails(
    id, supplier_id, name, description, search_terms, n_actives, indications, areas,
    techniques, classes, regulatory_status, vial_volume_ml, version, version_no, digest,
    record, updated_at, findings, disclosure
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_UPDATE_COCKTAIL = """UPDATE cocktails SET
    supplier_id = ?, name = ?, description = ?, search_terms = ?, n_actives = ?,
    indications = ?, areas = ?, techniques = ?, classes = ?, regulatory_status = ?,
    vial_volume_ml = ?, version = ?, version_no = ?, digest = ?, record = ?, updated_at = ?,
    findings = ?, disclosure = ?
WHERE id = ?"""

_LINK_TABLES: Final = (
    "composition",
    "cocktail_indications",
    "cocktail_areas",
    "cocktail_techniques",
    "cocktail_screening",
    "cocktail_brands",
)

CocktailRow = tuple[Any, ...]

ImportStage = Literal["locked", "written", "checked", "committing", "committed"]
"""How far an import session has got, in the order the stages come:

- ``locked``: the write lock is taken; nothing is written yet (once per session);
- ``written``: a batch of a document's cocktails is written, uncommitted;
- ``checked``: every cocktail of a document passed its checks (its last batch, removals and
  history are written next, uncommitted);
- ``committing``: every document is written; the commit runs next (once per session);
- ``committed``: the commit is done: the new content is on disk (once per session).

Until ``committed`` the file holds the old content for every other reader, and a crash
leaves the old content; from ``committed`` on it holds the new content.
"""


@dataclass(frozen=True)
class ImportProgress:
    """One report of an import session's progress (see :data:`ImportStage`)."""

    stage: ImportStage
    cocktails: int
    """Cocktails of the session's documents stored so far (uncommitted before ``committed``)."""
    supplier: str | None = None
    """The supplier of the document being imported (``None`` for the session's own stages)."""


ProgressCallback = Callable[[ImportProgress], None]
"""Called with each :class:`ImportProgress` of an import session."""


@dataclass
class _Batch:
    """Rows waiting for one ``executemany`` per table."""

    replaced: list[tuple[str]] = field(default_factory=list)
    updates: list[CocktailRow] = field(default_factory=list)
    inserts: list[CocktailRow] = field(default_factory=list)
    composition: list[CompositionRow] = field(default_factory=list)
    indications: list[tuple[str, str]] = field(default_factory=list)
    areas: list[tuple[str, str]] = field(default_factory=list)
    techniques: list[tuple[str, str]] = field(default_factory=list)
    screening: list[ScreeningRow] = field(default_factory=list)
    brands: list[tuple[str, str, str]] = field(default_factory=list)
    versions: list[tuple[str, int, str, int, str, str]] = field(default_factory=list)
    members: list[tuple[str, int, int, str, int]] = field(default_factory=list)
    cocktails: int = 0

    def write(self, conn: sqlite3.Connection) -> None:
        for table in _LINK_TABLES:
            conn.executemany(f"DELETE FROM {table} WHERE cocktail_id = ?", self.replaced)
        conn.executemany(_UPDATE_COCKTAIL, self.updates)
        conn.executemany(_INSERT_COCKTAIL, self.inserts)
        conn.executemany("INSERT INTO composition VALUES (?, ?, ?, ?, ?, ?)", self.composition)
        conn.executemany("INSERT INTO cocktail_indications VALUES (?, ?)", self.indications)
        conn.executemany("INSERT INTO cocktail_areas VALUES (?, ?)", self.areas)
        conn.executemany("INSERT INTO cocktail_techniques VALUES (?, ?)", self.techniques)
        conn.executemany(SCREENING_INSERT, self.screening)
        conn.executemany("INSERT INTO cocktail_brands VALUES (?, ?, ?)", self.brands)
        conn.executemany(
            "INSERT INTO cocktail_versions(cocktail_id, version_no, supplier_id, "
            "catalogue_version, digest, imported_at) VALUES (?, ?, ?, ?, ?, ?)",
            self.versions,
        )
        conn.executemany(
            "INSERT INTO catalogue_version_cocktails VALUES (?, ?, ?, ?, ?)", self.members
        )


_Status = Literal["added", "changed", "unchanged", "restored"]
"""How a cocktail of a document compares with what is stored (``restored``: back unchanged
after a version that dropped it, so it keeps its last version number)."""

_Write = Literal["added", "changed", "restored", "rederive"]
"""What to write for a cocktail (``rederive``: same content, derived columns refreshed)."""


@dataclass(frozen=True)
class _Latest:
    """The latest stored document of a supplier."""

    version: int
    digest: str
    header: str

    @classmethod
    def of(cls, conn: sqlite3.Connection, supplier: str) -> _Latest | None:
        row = conn.execute(
            "SELECT catalogue_version, digest, header FROM catalogue_versions "
            "WHERE supplier_id = ? ORDER BY catalogue_version DESC LIMIT 1",
            (supplier,),
        ).fetchone()
        return None if row is None else cls(*row)


def _replace_draft(conn: sqlite3.Connection, supplier: str) -> None:
    """Remove ``supplier``'s unsigned draft, history included, before its verified catalogue
    is written: drafts and verified catalogues never share a version line."""
    row = conn.execute("SELECT verified FROM suppliers WHERE id = ?", (supplier,)).fetchone()
    if row is not None and not row[0]:
        purge_supplier(conn, supplier)


@dataclass(frozen=True)
class _SupplierState:
    """A supplier's current cocktails and the last version of every cocktail it ever had."""

    current: dict[str, tuple[str, int]]
    history: dict[str, tuple[str, int]]

    @classmethod
    def of(cls, conn: sqlite3.Connection, supplier: str) -> _SupplierState:
        current = conn.execute(
            "SELECT id, digest, version_no FROM cocktails WHERE supplier_id = ?", (supplier,)
        )
        history = conn.execute(
            "SELECT cocktail_id, digest, version_no FROM cocktail_versions "
            "WHERE supplier_id = ? ORDER BY cocktail_id, version_no",
            (supplier,),
        )
        return cls(
            current={row[0]: (row[1], row[2]) for row in current},
            history={row[0]: (row[1], row[2]) for row in history},  # the last version wins
        )

    def classify(self, cocktail_id: str, digest: str) -> tuple[_Status, int]:
        """The cocktail's status and the version number its row will carry."""
        now = self.current.get(cocktail_id)
        if now is not None and now[0] == digest:
            return "unchanged", now[1]
        last = self.history.get(cocktail_id)
        if now is None and last is not None and last[0] == digest:
            return "restored", last[1]
        return ("changed" if now is not None else "added"), (last[1] if last else 0) + 1


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ImportSession:
    """Imports documents into one open write transaction (see :func:`import_session`)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        where: str,
        reference: ReferenceData,
        *,
        check_rules: bool = True,
        progress: ProgressCallback | None = None,
    ) -> None:
        self._conn = conn
        self._where = where
        self._check_rules = check_rules
        self._progress = progress
        self._stored = 0
        """Cocktails stored so far by this session (uncommitted until the block ends)."""
        self._indications: dict[str, Indication] = {i.id.value: i for i in reference.indications}
        self.reference_report: ImportReport | None = None
        """What refreshing the shipped reference cocktails changed at the session's start
        (see :func:`import_session`), ``None`` when nothing."""
        self.bulk = conn.execute("SELECT 1 FROM cocktails LIMIT 1").fetchone() is None
        if self.bulk:
            schema.drop_secondary_indexes(conn)
            schema.drop_fts_triggers(conn)
        self.reference_changed = sync_reference(conn, reference)
        """Whether this session brought the dictionary up to ``reference`` (then the shipped
        reference cocktails are refreshed too: :meth:`refresh_reference`)."""
        if self.reference_changed and not self.bulk:
            refresh_derived(conn, reference.indications)
        self._reference = reference_ingredients(conn, reference)
        self._reference_by_id = {i.id: i for i in self._reference}
        self._reference_names = name_table(self._reference)
        self._moiety_groups = {g.id for g in reference.moieties}
        self._screening = stored_screening(conn)

    def finish(self) -> None:
        """Rebuild what a bulk load skipped (indexes, full-text index, statistics)."""
        if self.bulk:
            schema.create_secondary_indexes(self._conn)
            schema.rebuild_fts(self._conn)
            schema.create_fts_triggers(self._conn)
            schema.analyze(self._conn)

    def add(
        self,
        document: CatalogueFile,
        cocktails: Iterable[CocktailInput] = (),
        *,
        signed_by: str | None = None,
        verified: bool = False,
        source: str | None = None,
    ) -> ImportReport:
        """Import ``document``: its own cocktails, then ``cocktails`` (read once, in order).

        ``source`` names the file in problems. Raises :class:`InvalidInput` listing every
        problem found; the session must then be abandoned (its transaction rolls back).
        """
        conn = self._conn
        supplier, version = document.supplier.id, document.version
        problems = Problems(source)
        what = f"catalogue version {version} of supplier {supplier!r}"
        check_header(document, problems)
        if supplier == REFERENCE_SUPPLIER and not is_shipped_reference(document):
            problems.add(
                f"supplier id {supplier!r} is reserved for the data shipped with "
                "meso-formulary; a catalogue file may not use it",
                "supplier.id",
                supplier,
                "reserved_supplier",
            )
        if verified:  # a verified catalogue replaces the supplier's draft (see .drafts)
            _replace_draft(conn, supplier)
        latest = _Latest.of(conn, supplier)
        if latest is not None and version < latest.version:
            problems.add(
                f"version {version} is older than the stored version {latest.version} of "
                f"supplier {supplier!r} (each publication must raise the version)",
                "version",
                version,
                "stale_version",
            )
        same_version = latest is not None and version == latest.version
        header = header_json(document)
        # A changed header (supplier name, own ingredients) changes derived columns of
        # cocktails whose own content did not change: those rows are rewritten too.
        rederive = latest is None or latest.header != header

        owners = owners_of(conn, (i.id for i in document.ingredients))
        own = own_ingredients(
            document, self._reference_by_id, owners, problems, moiety_groups=self._moiety_groups
        )
        dictionary = Dictionary(self._reference, own, reference_names=self._reference_names)
        rules = RuleCheck(dictionary, self._indications.values(), warnings=True)
        checker = Checker(document, dictionary, problems)
        deriver = Deriver(dictionary, self._indications)
        screener = self._screening.screener(dictionary.ingredients)
        now = utc_now()
        writing = not problems.items and not same_version
        if writing:
            self._write_header(
                document, own, owners, signed_by=signed_by, verified=verified, now=now
            )
        state = _SupplierState.of(conn, supplier)
        statuses: dict[_Status, list[str]] = {"added": [], "changed": [], "unchanged": []}
        hasher = hashlib.sha256(header.encode())
        batch = _Batch()
        for index, item in enumerate(chain(document.cocktails, cocktails)):
            if problems.full:
                break
            prepared = checker.check(index, item)
            if prepared is None:
                writing = False
                continue
            status, version_no = state.classify(prepared.cocktail.id, prepared.digest)
            # Every cocktail written gets its findings stored (meso show reads them); with
            # check_rules an error-level finding keeps the document out.
            rewrite = status != "unchanged" or rederive
            findings = None
            if self._check_rules or (writing and rewrite):
                findings = rules.findings(prepared.cocktail)
            if self._check_rules and findings:
                before = len(problems.items)
                for finding in findings:
                    problems.add_finding(finding, index)
                if len(problems.items) > before:
                    writing = False
                    continue
            hasher.update(b"\n" + prepared.record.encode())
            statuses["added" if status == "restored" else status].append(prepared.cocktail.id)
            if not writing:
                continue
            if rewrite and findings is not None:
                write: _Write = "rederive" if status == "unchanged" else status
                self._queue(
                    batch,
                    prepared,
                    findings_json(findings),
                    document,
                    (deriver, screener),
                    version_no,
                    write,
                    now,
                )
            batch.members.append((supplier, version, index, prepared.cocktail.id, version_no))
            batch.cocktails += 1
            if batch.cocktails >= BATCH:
                self._flush(batch, what, supplier)
                batch = _Batch()
        problems.raise_if_any(what)
        self._report("checked", supplier)

        digest = hasher.hexdigest()
        if same_version and latest is not None:
            if digest != latest.digest:
                problems.add(
                    f"version {version} of supplier {supplier!r} was already imported with "
                    "different content (each publication must raise the version)",
                    "version",
                    version,
                    "version_reused",
                )
                problems.raise_if_any(what)
            conn.execute(
                "UPDATE suppliers SET signed_by = ?, verified = ? WHERE id = ? "
                "AND (signed_by IS NOT ? OR verified IS NOT ?)",
                (signed_by, int(verified), supplier, signed_by, int(verified)),
            )
            return ImportReport(
                supplier, version, unchanged=tuple(statuses["unchanged"]), already_imported=True
            )

        self._flush(batch, what, supplier)
        removed = sorted(set(state.current) - checker.seen)
        conn.executemany("DELETE FROM cocktails WHERE id = ?", [(i,) for i in removed])
        own_ids = {i.id for i in own}
        stale = [
            (row[0],)
            for row in conn.execute("SELECT id FROM ingredients WHERE supplier_id = ?", (supplier,))
            if row[0] not in own_ids
        ]
        conn.executemany("DELETE FROM ingredients WHERE id = ?", stale)
        conn.execute(
            "INSERT INTO catalogue_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (supplier, version, digest, header, len(checker.seen), signed_by, int(verified), now),
        )
        return ImportReport(
            supplier,
            version,
            added=tuple(statuses["added"]),
            changed=tuple(statuses["changed"]),
            unchanged=tuple(statuses["unchanged"]),
            removed=tuple(removed),
            ingredients_added=tuple(i.id for i in own if i.id not in owners),
        )

    def refresh_reference(self) -> ImportReport | None:
        """Bring the shipped reference cocktails this catalogue holds up to the package's
        data, in this session's transaction; ``None`` when it holds none, or holds them as
        shipped.

        Changed data is imported as the next catalogue version of supplier ``reference``
        (:func:`~.provenance.shipped_reference`), like a supplier's new release: changed
        cocktails get a new version, dropped ones leave the current catalogue, and
        ``meso history`` and ``meso diff reference`` show what changed. Other suppliers'
        rows are not touched.
        """
        from meso_formulary.catalogue.store.export import document

        stored = self._conn.execute(
            "SELECT 1 FROM suppliers WHERE id = ?", (REFERENCE_SUPPLIER,)
        ).fetchone()
        if stored is None:
            return None
        current = document(self._conn, REFERENCE_SUPPLIER)
        shipped = shipped_reference()
        as_stored = shipped.model_copy(update={"version": current.version})
        if canonical_json(current) == canonical_json(as_stored):
            return None
        version = max(shipped.version, current.version + 1)
        return self.add(shipped_reference(version), source="shipped reference data")

    def _write_header(
        self,
        document: CatalogueFile,
        own: Sequence[Ingredient],
        owners: Mapping[str, str | None],
        *,
        signed_by: str | None,
        verified: bool,
        now: str,
    ) -> None:
        conn = self._conn
        supplier = document.supplier
        conn.execute(
            "INSERT INTO suppliers VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "name = excluded.name, catalogue_version = excluded.catalogue_version, "
            "signed_by = excluded.signed_by, verified = excluded.verified, "
            "record = excluded.record, imported_at = excluded.imported_at",
            (
                supplier.id,
                supplier.name,
                document.version,
                signed_by,
                int(verified),
                canonical_json(supplier),
                now,
            ),
        )
        for ingredient in own:
            upsert_ingredient(conn, ingredient, supplier.id, existed=ingredient.id in owners)

    def _queue(
        self,
        batch: _Batch,
        prepared: Prepared,
        findings: str,
        document: CatalogueFile,
        derivers: tuple[Deriver, Screener],
        version_no: int,
        status: _Write,
        now: str,
    ) -> None:
        """Queue one cocktail's rows: ``added`` and ``restored`` insert, ``changed`` and
        ``rederive`` replace; only ``added`` and ``changed`` are new versions in history."""
        cocktail = prepared.cocktail
        deriver, screener = derivers
        derived = deriver.derive(cocktail, document.supplier.name)
        techniques = cocktail.administration.techniques if cocktail.administration else ()
        # StrEnum members are strings: json and sqlite3 take them as their values.
        indications = list(dict.fromkeys(cocktail.indications))
        areas = list(dict.fromkeys(cocktail.areas))
        technique_ids = list(dict.fromkeys(techniques))
        values = (
            cocktail.supplier,
            cocktail.name,
            cocktail.description,
            derived.search_terms,
            derived.n_actives,
            json.dumps(indications),
            json.dumps(areas),
            json.dumps(technique_ids),
            json.dumps(derived.classes),
            cocktail.regulatory_status.value,
            cocktail.vial_volume_ml,
            cocktail.version,
            version_no,
            prepared.digest,
            prepared.record,
            now,
            findings,
            disclosure(cocktail),
        )
        if status in ("changed", "rederive"):
            batch.replaced.append((cocktail.id,))
            batch.updates.append((*values, cocktail.id))
        else:
            batch.inserts.append((cocktail.id, *values))
        batch.composition.extend(derived.composition)
        batch.indications.extend((cocktail.id, i) for i in indications)
        batch.areas.extend((cocktail.id, a) for a in areas)
        batch.techniques.extend((cocktail.id, t) for t in technique_ids)
        batch.screening.extend(screener.rows(cocktail))
        batch.brands.extend(brand_rows(cocktail))
        if status in ("added", "changed"):
            batch.versions.append(
                (
                    cocktail.id,
                    version_no,
                    cocktail.supplier,
                    document.version,
                    prepared.digest,
                    now,
                )
            )  # its record is cocktails.record until a later version supersedes it

    def _flush(self, batch: _Batch, what: str, supplier: str) -> None:
        if not batch.cocktails:
            return
        try:
            batch.write(self._conn)
        except sqlite3.IntegrityError as error:
            raise CatalogueError(
                f"the database refused {what} ({error}); the catalogue is unchanged"
            ) from error
        self._stored += batch.cocktails
        self._report("written", supplier)

    def _report(self, stage: ImportStage, supplier: str | None = None) -> None:
        """Tell the session's ``progress`` callback, if any, that ``stage`` is reached."""
        if self._progress is not None:
            self._progress(ImportProgress(stage, self._stored, supplier))


@contextmanager
def import_session(
    conn: sqlite3.Connection,
    where: str,
    reference: ReferenceData,
    *,
    check_rules: bool = True,
    progress: ProgressCallback | None = None,
) -> Iterator[ImportSession]:
    """One write transaction to import documents into; committed when the block ends.

    Any exception in the block rolls back everything the session wrote. SQLite errors
    (disk full, read-only file) surface as :class:`CatalogueError`. ``check_rules=False``
    skips the rules engine (see :meth:`Catalogue.importing
    <meso_formulary.catalogue.store.catalogue_store.Catalogue.importing>`); ``progress``
    hears each :data:`ImportStage`.

    A session that brings the dictionary up to a new data release first refreshes the
    shipped reference cocktails of a catalogue holding them (a clinic's own catalogue:
    :meth:`ImportSession.refresh_reference`, its report in ``session.reference_report``),
    so they never lag the dictionary they were checked against.
    """
    previous_cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    try:
        with _gc_paused(), write_transaction(conn, where):
            conn.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB:d}")
            if progress is not None:
                progress(ImportProgress("locked", 0))
            session = ImportSession(
                conn, where, reference, check_rules=check_rules, progress=progress
            )
            if session.reference_changed:
                session.reference_report = session.refresh_reference()
            yield session
            session.finish()
            session._report("committing")
        session._report("committed")
    except sqlite3.Error as error:
        raise CatalogueError(f"{where}: import failed, nothing was changed: {error}") from error
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous_cache):d}")


__all__ = [
    "BATCH",
    "CocktailInput",
    "ImportProgress",
    "ImportReport",
    "ImportSession",
    "ImportStage",
    "ProgressCallback",
    "import_session",
]
