"""Importing catalogue documents: check, resolve, derive and write, all in one transaction.

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
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final, Literal

from pydantic import ValidationError

from meso_formulary.errors import CatalogueError, InvalidInput, Problem
from meso_formulary.model import CatalogueFile, Cocktail, Indication, Ingredient

from . import schema
from .derive import CompositionRow, Deriver
from .dictionary import (
    Ambiguous,
    Dictionary,
    ReferenceData,
    name_index,
    name_rows,
    synonym_rows,
)
from .records import canonical_json, header_json, sha256_hex, utc_now
from .transaction import write_transaction

CocktailInput = Cocktail | Mapping[str, Any]
"""A cocktail to import: a validated model, or plain data (validated on the way in)."""

MAX_PROBLEMS: Final = 1000
"""An import stops reading once it has found this many problems."""

BATCH: Final = 500
"""Cocktails per ``executemany`` batch."""

IMPORT_CACHE_KIB: Final = 65536
"""SQLite page cache during an import (KiB): enough to keep the composition B-tree warm."""

_SCALARS = (str, int, float, bool, type(None))


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


class _Problems:
    """Problems found so far, up to :data:`MAX_PROBLEMS`."""

    def __init__(self, source: str | None) -> None:
        self.items: list[Problem] = []
        self.source = source

    def add(self, message: str, path: str, value: object = None, code: str = "invalid") -> None:
        if len(self.items) < MAX_PROBLEMS:
            shown = value if isinstance(value, _SCALARS) else None
            self.items.append(Problem(message, path=path, file=self.source, value=shown, code=code))

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS

    def raise_if_any(self, what: str) -> None:
        if self.items:
            count = len(self.items)
            more = "+" if self.full else ""
            raise InvalidInput(
                f"{what} was not imported ({count}{more} problem{'s' if count != 1 else ''}); "
                "the catalogue is unchanged",
                self.items,
            )


def _validation_problems(error: ValidationError, prefix: str, problems: _Problems) -> None:
    for detail in error.errors(include_url=False):
        loc = ".".join(str(part) for part in detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        problems.add(
            message, f"{prefix}.{loc}" if loc else prefix, detail.get("input"), detail["type"]
        )


# ---------------------------------------------------------------- checking one document


@dataclass(slots=True)
class _Prepared:
    cocktail: Cocktail
    record: str
    digest: str


class _Checker:
    """Validates and resolves the cocktails of one document (no database access)."""

    def __init__(self, document: CatalogueFile, dictionary: Dictionary, problems: _Problems):
        self._supplier = document.supplier.id
        self._dictionary = dictionary
        self._problems = problems
        self.seen: set[str] = set()

    def check(self, index: int, item: CocktailInput) -> _Prepared | None:
        """The resolved cocktail ``item`` at ``cocktails.index``, or ``None`` (problems noted)."""
        before = len(self._problems.items)
        path = f"cocktails.{index}"
        if isinstance(item, Cocktail):
            cocktail: Cocktail | None = self._resolve_model(item, path)
        else:
            cocktail = self._validate_data(item, path)
        if cocktail is None:
            return None
        self._check_identity(cocktail, path)
        if len(self._problems.items) > before:
            return None
        record = canonical_json(cocktail)
        return _Prepared(cocktail, record, sha256_hex(record))

    def _lookup(self, text: str, path: str, line: int) -> str | None:
        """The id ``text`` names (composition line ``line`` of the cocktail at ``path``)."""
        found = self._dictionary.resolve(text)
        if isinstance(found, str):
            return found
        where = f"{path}.composition.{line}.ingredient"
        if isinstance(found, Ambiguous):
            names = ", ".join(found.candidates)
            self._problems.add(
                f"ingredient name {text!r} is ambiguous: it names {names}; use the id",
                where,
                text,
                "ambiguous_ingredient",
            )
        elif text.strip():  # blank names are left to the model's own message
            hint = self._dictionary.suggest(text)
            tail = f"; did you mean {' or '.join(repr(s) for s in hint)}?" if hint else ""
            self._problems.add(
                f"unknown ingredient {text!r}{tail}", where, text, "unknown_ingredient"
            )
        return None

    def _resolve_model(self, cocktail: Cocktail, path: str) -> Cocktail | None:
        lines = list(cocktail.composition)
        ok = True
        for m, line in enumerate(lines):
            found = self._lookup(line.ingredient, path, m)
            if found is None:
                ok = False
            elif found != line.ingredient:
                lines[m] = line.model_copy(update={"ingredient": found})
        if not ok:
            return None
        if all(a is b for a, b in zip(lines, cocktail.composition, strict=True)):
            return cocktail
        return cocktail.model_copy(update={"composition": tuple(lines)})

    def _validate_data(self, data: Mapping[str, Any], path: str) -> Cocktail | None:
        if not isinstance(data, Mapping):
            self._problems.add("a cocktail must be a mapping", path, data, "dict_type")
            return None
        before = len(self._problems.items)
        raw = data.get("composition")
        if isinstance(raw, list):
            lines: list[object] = []
            for m, line in enumerate(raw):
                text = line.get("ingredient") if isinstance(line, dict) else None
                if isinstance(text, str):
                    found = self._lookup(text, path, m)
                    if found is not None and found != text:
                        line = {**line, "ingredient": found}
                lines.append(line)
            data = {**data, "composition": lines}
        try:
            cocktail = Cocktail.model_validate(data)
        except ValidationError as error:
            _validation_problems(error, path, self._problems)
            return None
        if len(self._problems.items) > before:
            return None
        # Lines that were not plain dicts (any other mapping) are resolved here instead.
        return self._resolve_model(cocktail, path)

    def _check_identity(self, cocktail: Cocktail, path: str) -> None:
        if cocktail.supplier != self._supplier or not cocktail.id.startswith(self._supplier + "/"):
            self._problems.add(
                f"cocktail {cocktail.id!r} (supplier {cocktail.supplier!r}) is outside this "
                f"file's supplier namespace '{self._supplier}/'",
                f"{path}.id",
                cocktail.id,
                "namespace",
            )
        if cocktail.id in self.seen:
            self._problems.add(
                f"duplicate cocktail id {cocktail.id!r}", f"{path}.id", cocktail.id, "duplicate"
            )
        self.seen.add(cocktail.id)
        first: dict[str, int] = {}
        for m, line in enumerate(cocktail.composition):
            if line.ingredient in first:
                self._problems.add(
                    f"ingredient {line.ingredient!r} is listed twice (also line "
                    f"{first[line.ingredient]})",
                    f"{path}.composition.{m}.ingredient",
                    line.ingredient,
                    "duplicate_ingredient",
                )
            first.setdefault(line.ingredient, m)


def own_ingredients(
    document: CatalogueFile,
    reference: Mapping[str, Ingredient],
    owners: Mapping[str, str | None],
    problems: _Problems,
) -> list[Ingredient]:
    """The document's own ingredients (copies of reference entries left out).

    ``owners`` maps ingredient ids already stored to their supplier (``None``: reference).
    An id that belongs to someone else, or a reference id with different facts, is refused.
    """
    supplier = document.supplier.id
    own: list[Ingredient] = []
    for n, ingredient in enumerate(document.ingredients):
        ref = reference.get(ingredient.id)
        path = f"ingredients.{n}.id"
        if ref is not None:
            if ref != ingredient:
                problems.add(
                    f"ingredient id {ingredient.id!r} is a reference dictionary entry with "
                    "different facts; give the supplier's own ingredient its own id",
                    path,
                    ingredient.id,
                    "namespace",
                )
            continue
        if ingredient.id in owners and owners[ingredient.id] != supplier:
            owner = owners[ingredient.id]
            whose = "the reference dictionary" if owner is None else f"supplier {owner!r}"
            problems.add(
                f"ingredient id {ingredient.id!r} belongs to {whose}",
                path,
                ingredient.id,
                "namespace",
            )
            continue
        own.append(ingredient)
    return own


def _owners(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, str | None]:
    owners: dict[str, str | None] = {}
    for ingredient_id in ids:
        row = conn.execute(
            "SELECT supplier_id FROM ingredients WHERE id = ?", (ingredient_id,)
        ).fetchone()
        if row is not None:
            owners[ingredient_id] = row[0]
    return owners


def check_document(
    conn: sqlite3.Connection,
    document: CatalogueFile,
    reference: ReferenceData,
    source: str | None = None,
) -> list[Problem]:
    """Every problem the import of ``document`` would meet, found without writing anything."""
    problems = _Problems(source)
    ref = {i.id: i for i in reference.ingredients}
    owners = _owners(conn, (i.id for i in document.ingredients))
    own = own_ingredients(document, ref, owners, problems)
    checker = _Checker(document, Dictionary(reference.ingredients, own), problems)
    for index, cocktail in enumerate(document.cocktails):
        if problems.full:
            break
        checker.check(index, cocktail)
    return problems.items


# ---------------------------------------------------------------- writing

_INSERT_COCKTAIL = """INSERT INTO cocktails(
    id, supplier_id, name, description, search_terms, n_actives, indications, areas,
    techniques, regulatory_status, vial_volume_ml, version, version_no, digest, record,
    updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_UPDATE_COCKTAIL = """UPDATE cocktails SET
    supplier_id = ?, name = ?, description = ?, search_terms = ?, n_actives = ?,
    indications = ?, areas = ?, techniques = ?, regulatory_status = ?, vial_volume_ml = ?,
    version = ?, version_no = ?, digest = ?, record = ?, updated_at = ?
WHERE id = ?"""

_LINK_TABLES: Final = (
    "composition",
    "cocktail_indications",
    "cocktail_areas",
    "cocktail_techniques",
)

CocktailRow = tuple[Any, ...]


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
    versions: list[tuple[str, int, str, int, str, str, str]] = field(default_factory=list)
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
        conn.executemany(
            "INSERT INTO cocktail_versions VALUES (?, ?, ?, ?, ?, ?, ?)", self.versions
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

    def __init__(self, conn: sqlite3.Connection, where: str, reference: ReferenceData) -> None:
        self._conn = conn
        self._where = where
        self._reference = reference
        self._reference_by_id = {i.id: i for i in reference.ingredients}
        self._reference_index = name_index(reference.ingredients)
        self._indications: dict[str, Indication] = {i.id.value: i for i in reference.indications}
        self.bulk = conn.execute("SELECT 1 FROM cocktails LIMIT 1").fetchone() is None
        if self.bulk:
            schema.drop_secondary_indexes(conn)
            schema.drop_fts_triggers(conn)
        if sync_reference(conn, reference) and not self.bulk:
            refresh_derived(conn, reference)

    def finish(self) -> None:
        """Rebuild what a bulk load skipped (indexes, full-text index, statistics)."""
        if self.bulk:
            schema.create_secondary_indexes(self._conn)
            schema.rebuild_fts(self._conn)
            schema.create_fts_triggers(self._conn)
            self._conn.execute("ANALYZE")

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
        problems = _Problems(source)
        what = f"catalogue version {version} of supplier {supplier!r}"
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

        owners = _owners(conn, (i.id for i in document.ingredients))
        own = own_ingredients(document, self._reference_by_id, owners, problems)
        dictionary = Dictionary(
            self._reference.ingredients, own, reference_index=self._reference_index
        )
        checker = _Checker(document, dictionary, problems)
        deriver = Deriver(dictionary, self._indications)
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
            hasher.update(b"\n" + prepared.record.encode())
            status, version_no = state.classify(prepared.cocktail.id, prepared.digest)
            statuses["added" if status == "restored" else status].append(prepared.cocktail.id)
            if not writing:
                continue
            if status != "unchanged" or rederive:
                write: _Write = "rederive" if status == "unchanged" else status
                self._queue(batch, prepared, document, deriver, version_no, write, now)
            batch.members.append((supplier, version, index, prepared.cocktail.id, version_no))
            batch.cocktails += 1
            if batch.cocktails >= BATCH:
                self._flush(batch, what)
                batch = _Batch()
        problems.raise_if_any(what)

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

        self._flush(batch, what)
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
            _upsert_ingredient(conn, ingredient, supplier.id, existed=ingredient.id in owners)

    def _queue(
        self,
        batch: _Batch,
        prepared: _Prepared,
        document: CatalogueFile,
        deriver: Deriver,
        version_no: int,
        status: _Write,
        now: str,
    ) -> None:
        """Queue one cocktail's rows: ``added`` and ``restored`` insert, ``changed`` and
        ``rederive`` replace; only ``added`` and ``changed`` are new versions in history."""
        cocktail = prepared.cocktail
        derived = deriver.derive(cocktail, document.supplier.name)
        techniques = cocktail.administration.techniques if cocktail.administration else ()
        indications = list(dict.fromkeys(i.value for i in cocktail.indications))
        areas = list(dict.fromkeys(a.value for a in cocktail.areas))
        technique_ids = list(dict.fromkeys(t.value for t in techniques))
        values = (
            cocktail.supplier,
            cocktail.name,
            cocktail.description,
            derived.search_terms,
            derived.n_actives,
            json.dumps(indications),
            json.dumps(areas),
            json.dumps(technique_ids),
            cocktail.regulatory_status.value,
            cocktail.vial_volume_ml,
            cocktail.version,
            version_no,
            prepared.digest,
            prepared.record,
            now,
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
        if status in ("added", "changed"):
            batch.versions.append(
                (
                    cocktail.id,
                    version_no,
                    cocktail.supplier,
                    document.version,
                    prepared.digest,
                    prepared.record,
                    now,
                )
            )

    def _flush(self, batch: _Batch, what: str) -> None:
        try:
            batch.write(self._conn)
        except sqlite3.IntegrityError as error:
            raise CatalogueError(
                f"the database refused {what} ({error}); the catalogue is unchanged"
            ) from error


def _upsert_ingredient(
    conn: sqlite3.Connection, ingredient: Ingredient, supplier: str | None, *, existed: bool
) -> None:
    conn.execute(
        "INSERT INTO ingredients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
        "SET name = excluded.name, inci = excluded.inci, "
        "ingredient_class = excluded.ingredient_class, origin = excluded.origin, "
        "cas = excluded.cas, molecular_weight = excluded.molecular_weight, "
        "mg_per_iu = excluded.mg_per_iu, record = excluded.record",
        (
            ingredient.id,
            supplier,
            ingredient.name,
            ingredient.inci,
            ingredient.ingredient_class.value,
            ingredient.origin.value if ingredient.origin else None,
            ingredient.cas,
            ingredient.molecular_weight,
            ingredient.mg_per_iu,
            canonical_json(ingredient),
        ),
    )
    if existed:
        conn.execute("DELETE FROM ingredient_names WHERE ingredient_id = ?", (ingredient.id,))
    conn.executemany("INSERT INTO ingredient_names VALUES (?, ?, ?)", name_rows(ingredient))


# ---------------------------------------------------------------- the reference dictionary


def sync_reference(conn: sqlite3.Connection, reference: ReferenceData) -> bool:
    """Load ``reference`` into the dictionary tables unless it is there already.

    Returns True when something was written. Reference entries are added or updated, never
    removed (a stored cocktail may still use one a later release dropped).
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'reference_digest'").fetchone()
    if row is not None and row[0] == reference.digest:
        return False
    for ingredient in reference.ingredients:
        owner = conn.execute(
            "SELECT supplier_id FROM ingredients WHERE id = ? AND supplier_id IS NOT NULL",
            (ingredient.id,),
        ).fetchone()
        if owner is not None:
            raise CatalogueError(
                f"the reference dictionary now defines ingredient {ingredient.id!r}, which "
                f"supplier {owner[0]!r} also defines; re-import that supplier's catalogue with "
                "another id for it first"
            )
        _upsert_ingredient(conn, ingredient, None, existed=True)
    for indication in reference.indications:
        conn.execute(
            "INSERT INTO indications VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "name = excluded.name, description = excluded.description, record = excluded.record",
            (
                indication.id.value,
                indication.name,
                indication.description,
                canonical_json(indication),
            ),
        )
        conn.execute(
            "DELETE FROM indication_synonyms WHERE indication_id = ?", (indication.id.value,)
        )
        conn.executemany(
            "INSERT INTO indication_synonyms VALUES (?, ?, ?)", synonym_rows(indication)
        )
    conn.execute(
        "INSERT INTO meta VALUES ('reference_digest', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (reference.digest,),
    )
    return True


def refresh_derived(conn: sqlite3.Connection, reference: ReferenceData) -> None:
    """Recompute every cocktail's derived columns after the dictionary changed."""
    stored = [
        Ingredient.model_validate_json(row[0])
        for row in conn.execute("SELECT record FROM ingredients WHERE supplier_id IS NOT NULL")
    ]
    deriver = Deriver(
        Dictionary(reference.ingredients, stored), {i.id.value: i for i in reference.indications}
    )
    for record, supplier_name in _cocktail_records(conn):
        cocktail = Cocktail.model_validate_json(record)
        derived = deriver.derive(cocktail, supplier_name)
        conn.execute(
            "UPDATE cocktails SET search_terms = ?, n_actives = ? WHERE id = ? "
            "AND (search_terms IS NOT ? OR n_actives IS NOT ?)",
            (
                derived.search_terms,
                derived.n_actives,
                cocktail.id,
                derived.search_terms,
                derived.n_actives,
            ),
        )
        conn.executemany(
            "UPDATE composition SET mg_per_ml = ? WHERE cocktail_id = ? AND position = ? "
            "AND mg_per_ml IS NOT ?",
            [(row[5], row[0], row[1], row[5]) for row in derived.composition],
        )


def _cocktail_records(conn: sqlite3.Connection, chunk: int = 1000) -> Iterator[tuple[str, str]]:
    """Every cocktail's record and supplier name, read ``chunk`` rows at a time by ``pk``."""
    last = 0
    while True:
        rows = conn.execute(
            "SELECT c.pk, c.record, s.name FROM cocktails c "
            "JOIN suppliers s ON s.id = c.supplier_id WHERE c.pk > ? ORDER BY c.pk LIMIT ?",
            (last, chunk),
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield from ((record, name) for _pk, record, name in rows)


@contextmanager
def import_session(
    conn: sqlite3.Connection, where: str, reference: ReferenceData
) -> Iterator[ImportSession]:
    """One write transaction to import documents into; committed when the block ends.

    Any exception in the block rolls back everything the session wrote. SQLite errors
    (disk full, read-only file) surface as :class:`CatalogueError`.
    """
    previous_cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    try:
        with _gc_paused(), write_transaction(conn, where):
            conn.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB:d}")
            session = ImportSession(conn, where, reference)
            yield session
            session.finish()
    except sqlite3.Error as error:
        raise CatalogueError(f"{where}: import failed, nothing was changed: {error}") from error
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous_cache):d}")


__all__ = [
    "CocktailInput",
    "ImportReport",
    "ImportSession",
    "check_document",
    "import_session",
    "refresh_derived",
    "sync_reference",
]
