"""The :class:`Catalogue`: one SQLite file of cocktails, its dictionary, history and exports.

Open one with :meth:`Catalogue.open` (a file), :meth:`Catalogue.memory` (tests) or
:meth:`Catalogue.default` (the shipped reference catalogue, built once per data release).
Every connection runs with foreign keys on and a busy timeout; a writable file is in WAL
mode so searches keep working while an import runs.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from sqlite_utils import Database

from meso_formulary.catalogue.store import sql_schema as schema
from meso_formulary.catalogue.store.cocktail_card import COMPOSITION_SQL
from meso_formulary.catalogue.store.compare import CocktailComparison, compare
from meso_formulary.catalogue.store.connect import (
    check_version,
    connect_file,
    reads_stored_rows,
)
from meso_formulary.catalogue.store.dictionary import ReferenceData
from meso_formulary.catalogue.store.drafts import DraftRecord as DraftRecord
from meso_formulary.catalogue.store.drafts import RemovedSupplier as RemovedSupplier
from meso_formulary.catalogue.store.drafts import list_drafts, purge_supplier
from meso_formulary.catalogue.store.export import ExportFormat, write_export
from meso_formulary.catalogue.store.fhir import fhir_bundle
from meso_formulary.catalogue.store.import_checks import CocktailInput, check_document
from meso_formulary.catalogue.store.importer import (
    ImportReport,
    ImportSession,
    ProgressCallback,
    import_session,
)
from meso_formulary.catalogue.store.listings import CatalogueStats as CatalogueStats
from meso_formulary.catalogue.store.listings import (
    catalogue_stats,
    indication_records,
    ingredient_records,
)
from meso_formulary.catalogue.store.provenance import REFERENCE_SUPPLIER, shipped_reference
from meso_formulary.catalogue.store.records import utc_now
from meso_formulary.catalogue.store.reference_sync import sync_reference
from meso_formulary.catalogue.store.transaction import write_transaction
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound, Problem, TrustError
from meso_formulary.model import (
    CatalogueFile,
    Cocktail,
    Indication,
    Ingredient,
    IngredientClass,
    Origin,
    Supplier,
)
from meso_formulary.names import suggest
from meso_formulary.units import Strength, Unit

DEFAULT_BUSY_TIMEOUT = schema.BUSY_TIMEOUT_MS / 1000

CLINIC_SOURCE: Final = "clinic"
"""``meta.source`` of a clinic's own catalogue (:meth:`Catalogue.create`: what ``meso stats``
shows); the embedded reference catalogue's is ``reference``, any other catalogue's ``user``.
What makes a clinic's catalogue is holding the shipped reference cocktails."""

_CLINIC_SQL: Final = (
    "SELECT (SELECT value FROM meta WHERE key = 'source'), "
    f"EXISTS (SELECT 1 FROM suppliers WHERE id = '{REFERENCE_SUPPLIER}')"
)
"""A catalogue's ``meta.source`` and whether it holds the shipped reference cocktails."""

_CREATE_HINT: Final = "give a new file name in a folder you can write to"
_NOT_CLINIC_HINT: Final = (
    "start a clinic's own catalogue in a new file (meso init NEW.db), then import the "
    "suppliers' bundles into it"
)


@dataclass(frozen=True)
class CocktailVersion:
    """One stored version of a cocktail (see :meth:`Catalogue.history`)."""

    cocktail_id: str
    version_no: int
    """The revision: 1 for the first content stored, one more each time an import changes it."""
    supplier: str
    catalogue_version: int
    """The supplier's catalogue version it was imported in."""
    digest: str
    imported_at: str
    cocktail_version: str
    """The supplier's own label for the cocktail (its record's ``version``)."""


@dataclass(frozen=True)
class SupplierRecord:
    """A supplier as stored: its record, the catalogue version imported, and how it came.

    ``verified`` is true when that catalogue came from a signed bundle that verified against
    a pinned key (``signed_by`` is the key's fingerprint); an unsigned draft has neither.
    """

    supplier: Supplier
    catalogue_version: int
    verified: bool
    signed_by: str | None
    imported_at: str

    @property
    def id(self) -> str:
        """The supplier's id."""
        return self.supplier.id


@dataclass(frozen=True)
class CompositionEntry:
    """One composition line of a stored cocktail, with its ingredient's dictionary facts.

    ``mg_per_ml`` is the strength in mg/mL as computed on import (what search sorts by and
    Datasette shows); ``None`` when the strength is undisclosed or does not convert.
    """

    position: int
    """1 for the first line."""
    ingredient_id: str
    name: str
    inci: str | None
    ingredient_class: IngredientClass
    origin: Origin | None
    strength: Strength | None
    mg_per_ml: float | None


_SUPPLIER_SQL = "SELECT record, catalogue_version, verified, signed_by, imported_at FROM suppliers"


def _suggest(text: str, choices: Iterable[str]) -> str | None:
    close = suggest(text, choices)
    return f"did you mean {', '.join(close)}?" if close else None


MAX_FRESH_IMAGES: Final = 4
"""New in-memory catalogues kept as images, one per reference data set (by identity)."""

_FRESH_IMAGES: dict[int, tuple[ReferenceData, bytes]] = {}
"""Per reference data set (its id, the set kept alive beside the image so that the id is
never reused): the image of a new in-memory catalogue built from it."""


class Catalogue:
    """A catalogue file (see the module doc); use the class methods to open one."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None,
        *,
        readonly: bool,
        reference: ReferenceData | None,
    ) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly
        self.db = Database(conn, execute_plugins=False)
        self._reference = reference

    # ------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        create: bool = True,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        reference: ReferenceData | None = None,
    ) -> Catalogue:
        """Open the catalogue at ``path``, creating it when it does not exist and ``create``.

        ``busy_timeout`` (seconds) is how long a write waits for another process's import.
        ``reference`` replaces the shipped dictionary (for tests and custom dictionaries).
        Raises :class:`CatalogueError` for a file that is not a catalogue, was written by a
        newer release, or cannot be opened.
        """
        file = Path(path)
        conn = connect_file(
            file, readonly=readonly, create=create, busy_timeout_ms=int(busy_timeout * 1000)
        )
        catalogue = cls(conn, file, readonly=readonly, reference=reference)
        try:
            catalogue._prepare(busy_timeout)
        except BaseException:
            conn.close()
            raise
        return catalogue

    @classmethod
    def memory(cls, *, reference: ReferenceData | None = None) -> Catalogue:
        """A new, empty in-memory catalogue (with the dictionary loaded).

        Building one writes the whole dictionary and the search's vocabulary (some 70 ms);
        the first one built for a reference data set is kept as an image (SQLite's
        serialize), and later ones start from a copy of it, checked like any catalogue.
        """
        data = reference if reference is not None else ReferenceData.shipped()
        image = _FRESH_IMAGES.get(id(data))
        conn = sqlite3.connect(":memory:")
        if image is not None and image[0] is data:
            conn.deserialize(image[1])
        catalogue = cls(conn, None, readonly=False, reference=data)
        catalogue._prepare(DEFAULT_BUSY_TIMEOUT)
        if image is None or image[0] is not data:
            while len(_FRESH_IMAGES) >= MAX_FRESH_IMAGES:  # custom reference data sets
                _FRESH_IMAGES.pop(next(iter(_FRESH_IMAGES)))
            _FRESH_IMAGES[id(data)] = (data, conn.serialize())
        else:
            with write_transaction(conn, ":memory:"):
                catalogue._set_meta("built_at", utc_now())
        return catalogue

    @classmethod
    def from_connection(
        cls,
        conn: sqlite3.Connection,
        path: str | os.PathLike[str] | None = None,
        *,
        readonly: bool = True,
        reference: ReferenceData | None = None,
    ) -> Catalogue:
        """A catalogue over a connection opened elsewhere (Datasette's, for the web pages).

        Nothing is created or upgraded: ``conn`` must hold a catalogue of this release's
        schema version (:class:`CatalogueError` otherwise). ``path`` names the file in
        messages. A read-only catalogue refuses imports and leaves the connection's settings
        alone; a writable one gets the settings every connection needs (foreign keys, busy
        timeout). :meth:`close` closes ``conn``: leave it open if the connection is shared.
        """
        file = None if path is None else Path(path)
        where = str(file) if file is not None else ":memory:"
        try:
            check_version(conn, upgradable=False)
            if not readonly:
                schema.configure(conn, readonly=False)
        except CatalogueError as error:
            raise CatalogueError(f"{where}: {error.message}", hint=error.hint) from error
        except sqlite3.Error as error:
            raise CatalogueError(f"{where}: cannot read the catalogue: {error}") from error
        return cls(conn, file, readonly=readonly, reference=reference)

    @classmethod
    def default(cls) -> Catalogue:
        """The shipped reference catalogue, opened read-only (built on first use, atomically:
        see :mod:`.embedded`, which finds and replaces the file; this fills it)."""
        from meso_formulary.catalogue.store.embedded import build, default_file, open_built

        path = default_file()
        built = open_built(path)
        if built is None:
            build(path, lambda temp: cls._fill_reference(temp, "reference"))
        else:
            built.close()
        return cls.open(path, readonly=True)

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> Catalogue:
        """A new catalogue file at ``path`` that starts from the shipped reference cocktails:
        a clinic's own catalogue (``meso init``), opened for writing.

        The reference cocktails are kept as the shipped data (provenance ``reference``) beside
        the suppliers' signed bundles imported later, and refreshed when the package's data
        changes (:meth:`refresh_reference`, which every import runs first when the data
        changed). The file is written beside ``path`` and then takes its name, so no reader
        sees half of it. Raises :class:`CatalogueError` when ``path`` exists (nothing is
        overwritten) or its folder cannot be written.
        """
        from meso_formulary.catalogue.store.embedded import write_atomically

        file = Path(path)
        if file.exists() or file.is_symlink():
            raise CatalogueError(f"{file} already exists", hint=_CREATE_HINT)
        write_atomically(
            file,
            lambda temp: cls._fill_reference(temp, CLINIC_SOURCE),
            what="a catalogue",
            hint=_CREATE_HINT,
            replace=False,
        )
        return cls.open(file, create=False)

    @classmethod
    def open_clinic(cls, path: str | os.PathLike[str]) -> Catalogue:
        """The clinic's own catalogue at ``path`` (one holding the shipped reference
        cocktails, as :meth:`create` makes it), opened for writing; any other file is refused
        before anything is written to it.

        Raises :class:`CatalogueError` for a missing file, a file that is not a catalogue, a
        catalogue of a newer release, a catalogue without the shipped reference cocktails
        (made by ``meso import``) and the embedded reference catalogue (the library's own,
        rebuilt rather than refreshed).
        """
        file = Path(path)
        try:
            conn = connect_file(file, readonly=True)
            try:
                version = check_version(conn, upgradable=True)
                row = None if version is None else conn.execute(_CLINIC_SQL).fetchone()
            finally:
                conn.close()
        except CatalogueError as error:
            message = error.message if str(file) in error.message else f"{file}: {error.message}"
            raise CatalogueError(
                f"{message}; it was left as it is", hint=error.hint or _NOT_CLINIC_HINT
            ) from error
        except sqlite3.Error as error:
            raise CatalogueError(
                f"{file} is not a catalogue ({error}); it was left as it is",
                hint=_NOT_CLINIC_HINT,
            ) from error
        if row is None or not row[1] or row[0] == "reference":
            what = (
                "holds no catalogue"
                if row is None
                else "is the embedded reference catalogue"
                if row[0] == "reference"
                else "holds a catalogue of its own"
            )
            raise CatalogueError(
                f"{file} {what}, not one started from the shipped reference data; it was "
                "left as it is",
                hint=_NOT_CLINIC_HINT,
            )
        return cls.open(file, create=False)

    @classmethod
    def _fill_reference(cls, temp: Path, source: str) -> None:
        """Write the shipped reference catalogue into the new file ``temp``, marked as
        ``source`` (``reference``: the embedded catalogue; ``clinic``: a clinic's own): the
        one way a file starts from the shipped cocktails."""
        with cls.open(temp) as catalogue:
            catalogue.import_catalogue(shipped_reference())
            with write_transaction(catalogue.conn, str(temp)):
                catalogue._set_meta("source", source)
            catalogue.conn.execute("PRAGMA journal_mode = DELETE")

    def refresh_reference(self) -> ImportReport | None:
        """Bring this catalogue's shipped reference cocktails up to the package's data, in
        one transaction: the changed data becomes the next catalogue version of supplier
        ``reference`` (``meso history`` and ``meso diff reference`` show what changed), the
        other suppliers are not touched. Returns that version's report, or ``None`` when the
        cocktails are already the package's.

        Raises :class:`CatalogueError` for a catalogue holding no reference cocktails.
        """
        self._writable()
        if not self.conn.execute(_CLINIC_SQL).fetchone()[1]:
            raise CatalogueError(
                f"{self._where} does not start from the shipped reference data",
                hint=_NOT_CLINIC_HINT,
            )
        with self.importing() as session:
            if session.reference_changed:  # the session's start refreshed them already
                return session.reference_report
            return session.refresh_reference()

    def _prepare(self, busy_timeout: float) -> None:
        where = self._where
        try:
            schema.configure(
                self.conn, readonly=self.readonly, busy_timeout_ms=int(busy_timeout * 1000)
            )
            # A writable file may be new or older: it is created or upgraded below.
            version = check_version(self.conn, upgradable=not self.readonly)
            if self.readonly:
                return
            if self.path is not None:
                schema.enable_wal(self.conn)
            if version != schema.SCHEMA_VERSION:
                with write_transaction(self.conn, where):
                    if schema.upgrade(self.db) == 0:
                        self._set_meta("built_at", utc_now())
                        self._set_meta("source", "user")
                        sync_reference(self.conn, self.reference)
        except CatalogueError as error:
            raise CatalogueError(f"{where}: {error.message}", hint=error.hint) from error
        except sqlite3.Error as error:
            raise CatalogueError(f"{where}: cannot open the catalogue: {error}") from error

    @property
    def _where(self) -> str:
        return str(self.path) if self.path is not None else ":memory:"

    @property
    def reference(self) -> ReferenceData:
        """The reference dictionary this catalogue is kept in step with."""
        if self._reference is None:
            self._reference = ReferenceData.shipped()
        return self._reference

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Close the connection (the catalogue cannot be used afterwards)."""
        self.conn.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = " read-only" if self.readonly else ""
        return f"<Catalogue {self._where}{mode}>"

    # ------------------------------------------------------------ importing

    def _writable(self) -> None:
        if self.readonly:
            raise CatalogueError(f"{self._where} is open read-only; nothing can be imported")

    @contextmanager
    def importing(
        self, *, check_rules: bool = True, progress: ProgressCallback | None = None
    ) -> Iterator[ImportSession]:
        """One transaction to import several documents or streams into (all or nothing).

        ``session.add(document, cocktails, signed_by=..., verified=...)`` imports one
        document; the block's end commits. Raises :class:`CatalogueBusy` when another
        process's import holds the file longer than the busy timeout.

        Every cocktail also goes through the rules engine, and an error-level finding keeps
        its document out, as ``meso validate`` would. ``check_rules=False`` skips that, for
        trusted bulk loads only (documents already validated): the rules cost about as much
        as the rest of an import of large cocktails.

        ``progress``, if given, is called at each stage of the session (the lock taken,
        each batch written, each document checked, before and after the commit; see
        :data:`~meso_formulary.catalogue.store.importer.ImportStage`).
        """
        self._writable()
        with import_session(
            self.conn, self._where, self.reference, check_rules=check_rules, progress=progress
        ) as session:
            yield session

    def import_catalogue(
        self, cat: CatalogueFile, *, signed_by: str | None = None, verified: bool = False
    ) -> ImportReport:
        """Check ``cat`` completely, then import it in one transaction (see :mod:`.importer`).

        The check runs the rules engine, so the import does not run it again.
        """
        self._writable()
        problems = check_document(cat, self.reference, conn=self.conn)
        if problems:
            raise _invalid(f"catalogue of supplier {cat.supplier.id!r}", problems)
        with self.importing(check_rules=False) as session:
            return session.add(cat, signed_by=signed_by, verified=verified)

    def import_stream(
        self,
        header: CatalogueFile,
        cocktails: Iterable[CocktailInput],
        *,
        signed_by: str | None = None,
        verified: bool = False,
        check_rules: bool = True,
    ) -> ImportReport:
        """Import a large document cocktail by cocktail: ``header`` then ``cocktails``.

        The stream is read once, each cocktail checked as it is written; any problem rolls
        the whole import back (every problem found is reported). ``check_rules`` is as for
        :meth:`importing`.
        """
        with self.importing(check_rules=check_rules) as session:
            return session.add(header, cocktails, signed_by=signed_by, verified=verified)

    # ------------------------------------------------------------ drafts

    def drafts(self) -> list[DraftRecord]:
        """Every supplier whose stored catalogue is an unsigned draft, by id."""
        return list_drafts(self.conn)

    def remove_draft(self, supplier: str) -> RemovedSupplier:
        """Remove ``supplier``'s unsigned draft: its cocktails, their history, its own
        ingredients and the supplier itself, in one transaction (see :mod:`.drafts`).

        Raises :class:`NotFound` for a supplier not stored and :class:`TrustError` for one
        whose catalogue came from a verified bundle (only drafts are removed here).
        """
        self._writable()
        try:
            with write_transaction(self.conn, self._where):
                record = self.supplier(supplier)
                if record.verified:
                    raise TrustError(
                        f"supplier {supplier!r} holds a verified catalogue (signed bundle, "
                        f"version {record.catalogue_version}); only unsigned drafts can be "
                        "removed",
                        hint="a verified catalogue is replaced by the supplier's next signed "
                        "bundle; `meso trust remove` stops trusting its key",
                    )
                removed = purge_supplier(self.conn, supplier)
        except sqlite3.Error as error:
            raise CatalogueError(f"{self._where}: cannot remove the draft: {error}") from error
        assert removed is not None  # the supplier was read in this transaction
        return removed

    # ------------------------------------------------------------ exporting

    def write_export(
        self,
        stream: IO[str],
        fmt: ExportFormat = "json",
        *,
        supplier: str | None = None,
        version: int | None = None,
    ) -> None:
        """Write an export to ``stream`` (see :mod:`.export` for the formats)."""
        write_export(self.conn, stream, fmt, supplier=supplier, version=version)

    def export(
        self, fmt: ExportFormat = "json", *, supplier: str | None = None, version: int | None = None
    ) -> str:
        """The export as text (see :meth:`write_export`)."""
        buffer = io.StringIO()
        self.write_export(buffer, fmt, supplier=supplier, version=version)
        return buffer.getvalue()

    def fhir_bundle(self, supplier: str | None = None) -> dict[str, Any]:
        """The catalogue (or supplier ``supplier``'s part) as one FHIR R5 ``Bundle`` of type
        ``collection``, as plain JSON-ready dicts: what ``meso export --format fhir`` writes
        (see :mod:`.fhir` and ``docs/fhir.md``). Raises :class:`NotFound` for an unknown
        supplier.

        >>> bundle = Catalogue.default().fhir_bundle(supplier="reference")
        >>> bundle["type"], bundle["entry"][0]["resource"]["resourceType"]
        ('collection', 'MedicationKnowledge')
        """
        return fhir_bundle(self.conn, supplier)

    # ------------------------------------------------------------ lookups

    @reads_stored_rows
    def get(self, cocktail_id: str) -> Cocktail:
        """The current version of cocktail ``cocktail_id`` (ingredient ids in its composition)."""
        row = self.conn.execute(
            "SELECT record FROM cocktails WHERE id = ?", (cocktail_id,)
        ).fetchone()
        if row is None:
            ids = (r[0] for r in self.conn.execute("SELECT id FROM cocktails"))
            raise NotFound(
                f"no cocktail {cocktail_id!r} in the catalogue", hint=_suggest(cocktail_id, ids)
            )
        return Cocktail.model_validate_json(row[0])

    def composition(self, cocktail_id: str) -> list[CompositionEntry]:
        """The composition lines of cocktail ``cocktail_id``, in order, with names, classes,
        strengths and mg/mL (raises :class:`NotFound` for an unknown cocktail)."""
        rows = self.conn.execute(COMPOSITION_SQL, (cocktail_id,)).fetchall()
        if not rows:
            self.get(cocktail_id)  # NotFound for an unknown id; else it has no composition
        return [_composition_entry(*row) for row in rows]

    def suppliers(self) -> list[SupplierRecord]:
        """Every supplier, by id, with its catalogue version and whether it was verified."""
        return [
            self._supplier_record(row) for row in self.conn.execute(_SUPPLIER_SQL + " ORDER BY id")
        ]

    def supplier(self, supplier_id: str) -> SupplierRecord:
        """Supplier ``supplier_id`` (raises :class:`NotFound`)."""
        row = self.conn.execute(_SUPPLIER_SQL + " WHERE id = ?", (supplier_id,)).fetchone()
        if row is None:
            ids = (r[0] for r in self.conn.execute("SELECT id FROM suppliers"))
            raise NotFound(
                f"no supplier {supplier_id!r} in the catalogue", hint=_suggest(supplier_id, ids)
            )
        return self._supplier_record(row)

    @staticmethod
    def _supplier_record(row: tuple[str, int, int, str | None, str]) -> SupplierRecord:
        record, version, verified, signed_by, imported_at = row
        return SupplierRecord(
            Supplier.model_validate_json(record), version, bool(verified), signed_by, imported_at
        )

    def history(self, cocktail_id: str) -> list[CocktailVersion]:
        """Every stored version of ``cocktail_id``, oldest first."""
        versions = [
            CocktailVersion(*row)
            for row in self.conn.execute(
                "SELECT v.cocktail_id, v.version_no, v.supplier_id, v.catalogue_version, "
                "v.digest, v.imported_at, "
                "COALESCE(json_extract(COALESCE(v.record, c.record), '$.version'), '1') "
                "FROM cocktail_versions AS v LEFT JOIN cocktails AS c "
                "ON c.id = v.cocktail_id AND c.version_no = v.version_no "
                "WHERE v.cocktail_id = ? ORDER BY v.version_no",
                (cocktail_id,),
            )
        ]
        if not versions:
            ids = (
                r[0]
                for r in self.conn.execute("SELECT DISTINCT cocktail_id FROM cocktail_versions")
            )
            raise NotFound(
                f"no history for cocktail {cocktail_id!r}", hint=_suggest(cocktail_id, ids)
            )
        return versions

    def indications(self) -> list[Indication]:
        """Every indication, with its lay synonyms, by id."""
        return [Indication.model_validate_json(record) for record in indication_records(self.conn)]

    def ingredients(
        self, ingredient_class: IngredientClass | str | None = None, text: str | None = None
    ) -> list[Ingredient]:
        """Dictionary entries, by id: of one class, and/or with a name containing ``text``.

        ``text`` is matched against every name, INCI name and synonym by
        :func:`~meso_formulary.identifiers.name_key`, so spelling variants match.
        """
        return [
            Ingredient.model_validate_json(record)
            for record in ingredient_records(self.conn, ingredient_class, text)
        ]

    def compare(self, a_id: str, b_id: str) -> CocktailComparison:
        """How cocktails ``a_id`` and ``b_id`` differ (composition, indications, areas)."""
        a, b = self.get(a_id), self.get(b_id)
        mg_per_ml = {
            (row[0], row[1]): row[2]
            for row in self.conn.execute(
                "SELECT cocktail_id, position, mg_per_ml FROM composition "
                "WHERE cocktail_id IN (?, ?)",
                (a.id, b.id),
            )
        }
        names = {
            row[0]: row[1]
            for row in self.conn.execute(
                "SELECT id, name FROM ingredients WHERE id IN "
                "(SELECT ingredient_id FROM composition WHERE cocktail_id IN (?, ?))",
                (a.id, b.id),
            )
        }
        return compare(a, b, mg_per_ml, names)

    def stats(self) -> CatalogueStats:
        """Counts of everything, the schema version and when the file was built."""
        return catalogue_stats(self.conn, self.path)


def _composition_entry(
    position: int,
    ingredient_id: str,
    name: str,
    inci: str | None,
    ingredient_class: str,
    origin: str | None,
    value: float | None,
    unit: str | None,
    mg_per_ml: float | None,
) -> CompositionEntry:
    """A row of :data:`COMPOSITION_SQL` as typed data."""
    return CompositionEntry(
        position=position,
        ingredient_id=ingredient_id,
        name=name,
        inci=inci,
        ingredient_class=IngredientClass(ingredient_class),
        origin=None if origin is None else Origin(origin),
        strength=None if value is None or unit is None else Strength(value=value, unit=Unit(unit)),
        mg_per_ml=mg_per_ml,
    )


def _invalid(what: str, problems: list[Problem]) -> InvalidInput:
    count = len(problems)
    return InvalidInput(
        f"{what} could not be imported ({count} problem{'s' if count != 1 else ''}); "
        "the catalogue is unchanged",
        problems,
    )
