"""Connection settings, the schema version check, and opening a catalogue file to read it.

Standard library only: ``meso search`` opens its catalogue through :func:`open_readonly`
without loading the store (:mod:`.store` imports sqlite-utils and pydantic, some 100 ms of
start-up). :mod:`.schema` re-exports everything here, and :class:`~.store.Catalogue` opens
files with the same settings and the same version check.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from meso_formulary.errors import CatalogueError, MesoError

APPLICATION_ID: Final = 0x4D45534F
"""``PRAGMA application_id`` of a catalogue file ("MESO"), so ``file(1)`` and we can tell."""

BUSY_TIMEOUT_MS: Final = 5000
"""How long a connection waits for another writer before giving up (milliseconds)."""

CACHE_KIB: Final = 32768
"""Page cache per connection (KiB; SQLite's default is 2 MiB). The search reads covering
indexes of some 30 MB at 100k cocktails; with the default, most of its reads are system
calls. The cache only grows as pages are read, so a small catalogue never uses it all."""

MIGRATION_NAMES: Final[tuple[str, ...]] = (
    "0001_initial",
    "0002_findings",
    "0003_screening",
    "0004_vocabulary",
    "0005_positions_from_one",
)
"""Every migration step, oldest first; a new release appends here and to
:data:`.schema.MIGRATIONS`."""

SCHEMA_VERSION: Final = len(MIGRATION_NAMES)
"""The schema version this release writes: the number of migration steps."""

CATALOGUE_TABLES: Final = frozenset({"meta", "suppliers", "cocktails", "ingredients"})
"""Tables whose presence (with ``meta.schema_version``) marks a file as a catalogue."""

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""

MAX_VALUE_BYTES: Final = 32 * 1024 * 1024
"""The longest string, blob or row a connection reads or writes (``SQLITE_LIMIT_LENGTH``):
a stored record is kilobytes, a document's header at most the size of a supplier file (20
MiB by default); a file that holds a bigger value is refused when the value is read
instead of filling memory."""

READ_BUDGET: Final = 10.0
"""Seconds the SQL of a one-shot read connection (:func:`open_readonly`) may take in all:
past it SQLite is interrupted. The exact schema check (:func:`check_schema`) keeps out
what could run long (a recursive view); this is the second line of defence."""

PROGRESS_STEPS: Final = 10_000
"""SQLite virtual-machine steps between two looks at the read budget's clock."""

META_SQL: Final = """CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT"""
"""The ``meta`` table as every schema version has it (:data:`.sql_schema.TABLES` starts
with it): the schema version is read from it only when the file's ``meta`` is this table."""

SQLITE_OWN: Final[dict[str, str]] = {
    "sqlite_stat1": "CREATE TABLE sqlite_stat1(tbl,idx,stat)",
    "sqlite_stat4": "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)",
}
"""Tables SQLite itself may add to any catalogue (``ANALYZE``'s statistics), as it makes
them: they hold no code and are allowed beside the schema meso creates."""

SCHEMA_OBJECTS: Final[dict[str, tuple[str, str]]] = {
    "_sqlite_migrations": ("table", "a90864783c631f935af0340df6e53b05"),
    "areas": ("table", "1c27eb92cc4d48164c7b8708c8c6863f"),
    "catalogue_version_cocktails": ("table", "355dfce6b47a533513126a013c45466a"),
    "catalogue_versions": ("table", "2598079b15a1c7725357730c75a96f65"),
    "cocktail_areas": ("table", "02dd934ca98c3a20097abb60c88ca561"),
    "cocktail_brands": ("table", "6b03cc86e276f8ccf037e0d27f31ad37"),
    "cocktail_indications": ("table", "800e66508a415acd69a49e7ae72e57db"),
    "cocktail_screening": ("table", "f87f2efaec86b1ece152cbfb814243d2"),
    "cocktail_techniques": ("table", "f5f79948a615d7002b3e9a9b6cc16725"),
    "cocktail_versions": ("table", "e36429974b32f5c68713ff6a51865020"),
    "cocktails": ("table", "015740111482b7721ec0542b1af45084"),
    "cocktails_fts": ("table", "df3f3e785f4dc00cf440f18978a9b9e1"),
    "cocktails_fts_config": ("table", "ef4420927392b4959a225878631e4167"),
    "cocktails_fts_data": ("table", "309c6c2fffed4c0d899016ad03675e36"),
    "cocktails_fts_delete": ("trigger", "f6bc2a0794bdf1ad0f24dd312d4a0927"),
    "cocktails_fts_docsize": ("table", "e83831abd9c5c6a3e0c3fde4a0df43d3"),
    "cocktails_fts_idx": ("table", "e4443649a1705e894f165dfead9270f4"),
    "cocktails_fts_insert": ("trigger", "55cc9db527aa842a0ac88b432e2f1bed"),
    "cocktails_fts_update": ("trigger", "1c713b81a977da02672b60550e7338a4"),
    "cocktails_history_delete": ("trigger", "1469b288c58bc9ee3ef02e0b74d96d64"),
    "cocktails_history_update": ("trigger", "730c47749bac07d110ea36bcf8f228aa"),
    "cocktails_id_immutable": ("trigger", "fe376cc469fd4ee81145d40ee08c5c64"),
    "cocktails_supplier_immutable": ("trigger", "e8bfe13a83641e796c09dfb603403de8"),
    "composition": ("table", "a7ded8b5b8a234dfb3505ebd50406edc"),
    "condition_words": ("table", "0c951cff0919cb83d8fc33df30fb58a2"),
    "conditions": ("table", "1a10089816965afa01d8e2cd5f9fe9e2"),
    "idx__sqlite_migrations_migration_set_name": ("index", "1865d10bac90007a037b561f2a50be23"),
    "idx_catalogue_version_cocktails_cocktail": ("index", "826adc765c616e9cfa65713e114b1b2e"),
    "idx_cocktail_areas_area": ("index", "068f105da4b5c80ccecc4a6eae06d67d"),
    "idx_cocktail_brands_key": ("index", "616ef7b25b553fbaabd75e3f7990bc97"),
    "idx_cocktail_indications_indication": ("index", "4751dd79d7c297fb54853b883d3d7f85"),
    "idx_cocktail_screening_condition": ("index", "8eb91f86d93ab95aecc4ae6a33fb8713"),
    "idx_cocktail_techniques_technique": ("index", "19b113e86e48e852f5235f133780be07"),
    "idx_cocktails_by_id": ("index", "93622257e85776af599d1b6a7f8eacc0"),
    "idx_cocktails_by_name": ("index", "fa99dd2699f10bf53e3adf6965b25175"),
    "idx_cocktails_by_pk": ("index", "d4147987771679c11e2ec4cfb61f69ce"),
    "idx_cocktails_by_rank": ("index", "e9ca356ed1dc0ed49dd1eabb413e3bb3"),
    "idx_cocktails_supplier": ("index", "69aa1a798da55adcae026b8688bce49c"),
    "idx_composition_ingredient": ("index", "ef4fc944565e2be77331c78b5242e762"),
    "idx_condition_words_condition": ("index", "32b30c7735f72df79a5524d941fac4ec"),
    "idx_indication_synonyms_indication": ("index", "a9a383be6003c0eb04f4a24ec62d8a81"),
    "idx_ingredient_names_ingredient": ("index", "9b15b4d94ff769efa881cb61ecbefe00"),
    "idx_ingredients_supplier": ("index", "5b9a16fcbc21a3f75130de74bf643c7a"),
    "idx_search_phrases_stem": ("index", "5f27a1a38e463cbafdadee267979a616"),
    "idx_substance_group_members_ingredient": ("index", "c456947159b96cab4514e7c25752dc71"),
    "indication_synonyms": ("table", "a5d993d011a778e78f601d75b054bf73"),
    "indications": ("table", "75c6a9ad70ced0685d65f8e985680e53"),
    "ingredient_names": ("table", "7ec74f63a0a6e21c23354b755c52184d"),
    "ingredients": ("table", "a5cde947309268bd0b7e0040f291756e"),
    "ingredients_supplier_immutable": ("trigger", "7bd32e624556dae579656775dae217bb"),
    "meta": ("table", "a998ca3d87157bdfc20412936cc4470f"),
    "near_words": ("table", "f060854ce51b7f9b30a0e8db7da9fbe7"),
    "search_phrases": ("table", "99987fd1488d5a503520bfd14910fde1"),
    "sqlite_autoindex_areas_1": ("index", "77bd0d76cb5a1367302f812527d10522"),
    "sqlite_autoindex_catalogue_versions_1": ("index", "214e902116079fb5ef9ce6e6112b7d1d"),
    "sqlite_autoindex_cocktail_versions_1": ("index", "39eb72c5944c5be1b876b1e554bd80c1"),
    "sqlite_autoindex_cocktails_1": ("index", "bcfe34ec249bc4379756f23d24a027f6"),
    "sqlite_autoindex_conditions_1": ("index", "e80adc39774686ca64f69d81f7670b09"),
    "sqlite_autoindex_indications_1": ("index", "40e61c3826735870fe0ab045ceb14e54"),
    "sqlite_autoindex_ingredients_1": ("index", "daf38449b6a70c67962fb3b7cdab95f0"),
    "sqlite_autoindex_meta_1": ("index", "f8c6acba7c3c8636fd83c84f7fc0ddaa"),
    "sqlite_autoindex_suppliers_1": ("index", "ecaec60f0c44a658365986291ed39236"),
    "sqlite_autoindex_trusted_keys_1": ("index", "4dd88767de615e3a298a90acaaea7204"),
    "substance_group_members": ("table", "e43a748e93e49137ef702582a667478b"),
    "substance_group_names": ("table", "f3984200ef8a9860685ccad4af07bafa"),
    "substance_groups": ("table", "1187dfad9846aa7116f4aacd55d4a7b1"),
    "suppliers": ("table", "ce31a4a58b5cb96c71eae6a16cdee9c3"),
    "suppliers_verified_is_sticky": ("trigger", "be20d72291dfc84f0cebd9a009574850"),
    "trusted_keys": ("table", "4860cb3617b4373ffd3fa3104f2a3c20"),
}
"""Every schema object a catalogue of :data:`SCHEMA_VERSION` holds, as
:func:`schema_objects` reads it: name -> (type, digest of its table name and SQL).

Generated from the migrations (``tests/test_store_schema.py`` checks it against a catalogue
they build, and prints the new value when a migration changed the schema): a constant, so
that ``meso search`` checks a file's schema for the cost of one read of ``sqlite_master``."""

SCHEMA_OBJECTS_VERSION: Final = 5
"""The schema version :data:`SCHEMA_OBJECTS` describes."""


def configure(
    conn: sqlite3.Connection, *, readonly: bool, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> None:
    """Apply the settings every connection needs: foreign keys, busy timeout, page cache,
    sync level, and the limits that keep a foreign file's content from running or growing
    (:data:`MAX_VALUE_BYTES`; ``trusted_schema=OFF`` where this SQLite allows it with
    meso's schema, and ``SQLITE_DBCONFIG_DEFENSIVE`` where Python offers it).

    (WAL is a property of the file, set once by :func:`.schema.enable_wal` when it is opened
    for writing; a read-only connection keeps whatever journal mode the file has.)
    """
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    setconfig = getattr(conn, "setconfig", None)  # Python 3.12+
    defensive = getattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE", None)
    if setconfig is not None and defensive is not None:
        setconfig(defensive, True)
    if _schema_trust_can_be_off():
        conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
        return
    conn.execute("PRAGMA synchronous = NORMAL")


_TRUST_OFF: list[bool] = []


def _schema_trust_can_be_off() -> bool:
    """Whether ``PRAGMA trusted_schema = OFF`` leaves meso's schema usable with this SQLite.

    Off, a schema may call only functions SQLite marks innocuous; the JSON functions of
    meso's CHECK constraints are not in every release (3.40 refuses ``json_valid`` then), so
    it is tried once per process in memory. The exact schema check (:func:`check_schema`)
    keeps foreign schema code out either way.
    """
    if not _TRUST_OFF:
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute("PRAGMA trusted_schema = OFF")
            probe.execute(
                "CREATE TABLE t (x TEXT CHECK (json_valid(x) AND json_type(x) = 'array'))"
            )
            probe.execute("INSERT INTO t VALUES ('[]')")
            _TRUST_OFF.append(True)
        except sqlite3.Error:
            _TRUST_OFF.append(False)
        finally:
            probe.close()
    return _TRUST_OFF[0]


SchemaRow = tuple[str, str, str, str | None]
"""A row of ``sqlite_master``: type, name, table name, SQL."""

_SCHEMA_SQL: Final = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"


_SHA512: list[Callable[[bytes], Any]] = []


def _sha512_hex(data: bytes) -> str:
    """SHA-512 of ``data`` in hex, without :mod:`hashlib` (which loads OpenSSL, some ms of
    every start-up): the built-in module :mod:`random` already loaded."""
    if not _SHA512:
        import importlib

        for name in ("_sha2", "_sha512", "hashlib"):  # Python 3.12+, 3.11, elsewhere
            try:
                _SHA512.append(importlib.import_module(name).sha512)
                break
            except (ImportError, AttributeError):
                continue
    return cast(str, _SHA512[0](data).hexdigest())


def schema_objects(rows: Iterable[SchemaRow]) -> dict[str, tuple[str, str]]:
    """The schema objects of ``sqlite_master`` ``rows``: name -> (type, digest of table name
    and SQL), without the tables SQLite itself adds (:data:`SQLITE_OWN`) as it makes them."""
    objects: dict[str, tuple[str, str]] = {}
    for kind, name, table, sql in rows:
        if SQLITE_OWN.get(name) == sql and kind == "table":
            continue
        text = f"{kind}\x00{name}\x00{table}\x00{'' if sql is None else sql}\x01{sql is None}"
        objects[name] = (kind, _sha512_hex(text.encode("utf-8", "surrogatepass"))[:32])
    return objects


_REFUSE_HINT: Final = (
    "a catalogue file holds data only; get the file again from where it came from, "
    "or build a new one with meso import FILE --db NEW.db"
)


def _shown(name: str) -> str:
    """A schema object's name fit for a message (bounded, quoted)."""
    return repr(name if len(name) <= 64 else name[:64] + "...")


def schema_difference(
    found: dict[str, tuple[str, str]], expected: dict[str, tuple[str, str]]
) -> str | None:
    """How the schema objects ``found`` differ from ``expected`` (the first difference, in
    words), or ``None`` when they are the same. Code first: a trigger or view meso did not
    create is named before a table or index that is missing, added or changed."""
    if found == expected:
        return None
    differences: list[tuple[bool, str, str]] = []
    for name in sorted(set(found) | set(expected)):
        kind = found[name][0] if name in found else expected[name][0]
        if name not in found:
            words = f"lacks the {kind} {_shown(name)} that meso creates"
        elif name not in expected:
            words = f"has a {kind} meso did not create: {_shown(name)}"
        elif kind != expected[name][0]:
            words = f"has a {kind} {_shown(name)} where meso creates a {expected[name][0]}"
        elif found[name] != expected[name]:
            words = f"has a {kind} {_shown(name)} meso did not create"
        else:
            continue
        runs = _CODE.get(kind) if name in found else None
        differences.append(
            (runs is None, name, words + (f"; it may run code {runs}" if runs else ""))
        )
    return "this catalogue file " + min(differences)[2]


_CODE: Final = {"trigger": "on import", "view": "when it is read"}
"""The schema objects that run code, and when."""


def check_schema(
    rows: Iterable[SchemaRow], expected: dict[str, tuple[str, str]] | None = None
) -> None:
    """Refuse, with :class:`CatalogueError`, a catalogue whose schema (every table, column,
    index, trigger and view in ``sqlite_master`` ``rows``) is not exactly what meso creates
    (``expected``: :data:`SCHEMA_OBJECTS` by default, the current version's)."""
    if expected is None:
        if SCHEMA_OBJECTS_VERSION != SCHEMA_VERSION:  # pragma: no cover - a new migration
            raise RuntimeError(
                "connect.SCHEMA_OBJECTS describes another schema version; "
                "regenerate it (tests/test_store_schema.py prints it)"
            )
        expected = SCHEMA_OBJECTS
    difference = schema_difference(schema_objects(rows), expected)
    if difference is not None:
        raise CatalogueError(f"{difference}; refusing to open it", hint=_REFUSE_HINT)


def _parse_version(value: object) -> int:
    """The schema version stored as ``value`` (ASCII digits only: ``"²"`` and ``"١٢"`` pass
    :meth:`str.isdigit` but are no version)."""
    text = value if isinstance(value, str) else None
    if text is None or not (0 < len(text) <= 9 and text.isascii() and text.isdigit()):
        shown = repr(value)
        if len(shown) > 40:
            shown = shown[:40] + "..."
        raise CatalogueError(
            f"damaged catalogue: meta.schema_version is {shown}", hint=_REFUSE_HINT
        )
    return int(text)


def _read_version(conn: sqlite3.Connection) -> tuple[list[SchemaRow], int | None]:
    """The file's ``sqlite_master`` rows and the schema version stored in ``meta`` (``None``
    for an empty file); ``meta`` is read only once it is known to be meso's table."""
    rows = schema_rows(conn)
    tables = {name for kind, name, _, _ in rows if kind in ("table", "view")}
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if not tables and app_id == 0:
        return rows, None
    if app_id != APPLICATION_ID or not tables >= CATALOGUE_TABLES:
        raise CatalogueError(
            "not a meso-formulary catalogue: the file is an SQLite database of something else",
            hint="open a catalogue file, or give a new file name to create one",
        )
    if ("table", "meta", "meta", META_SQL) not in rows:
        raise CatalogueError(
            "this catalogue file's meta table is not the one meso creates; refusing to open it",
            hint=_REFUSE_HINT,
        )
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise CatalogueError("damaged catalogue: meta.schema_version is None", hint=_REFUSE_HINT)
    return rows, _parse_version(row[0])


def stored_version(conn: sqlite3.Connection) -> int | None:
    """The schema version stored in ``meta``, or ``None`` for an empty (new) file.

    Raises :class:`CatalogueError` for an SQLite file that is not a catalogue (or whose
    ``meta`` table or version is not meso's).
    """
    return _read_version(conn)[1]


def check_version(conn: sqlite3.Connection, *, upgradable: bool) -> int | None:
    """The one schema check: the version stored in ``conn``'s catalogue, if this release may
    use it, and its schema exactly what meso creates for it.

    Every way of opening a catalogue goes through here (:func:`open_readonly`,
    :class:`~meso_formulary.catalogue.store.catalogue_store.Catalogue`, the schema upgrade,
    the web pages), so each refuses the same files with the same words. ``upgradable`` is
    true for a connection that may write: an empty file (``None`` is returned) or an older
    schema is then accepted, to be created or upgraded; a newer schema never is. Raises
    :class:`CatalogueError` with the reason (and a hint when there is something to do).

    A file of this release's version must hold exactly the schema objects meso creates
    (:func:`check_schema`; no trigger, view, table, column, index or constraint more, less
    or other), checked before anything else is read from it. An older one is checked the
    same way, against the schema of its own version, by :func:`.sql_schema.upgrade` before
    it writes anything.
    """
    rows, version = _read_version(conn)
    if version is None:
        if upgradable:
            return None
        raise CatalogueError(
            f"holds no catalogue; this release reads schema version {SCHEMA_VERSION}",
            hint="import a catalogue into it first (meso import FILE --db ...)",
        )
    if version > SCHEMA_VERSION:
        raise CatalogueError(
            f"the catalogue has schema version {version}, newer than this release "
            f"reads ({SCHEMA_VERSION})",
            hint="upgrade meso-formulary to open this file",
        )
    if version < SCHEMA_VERSION and not upgradable:
        raise CatalogueError(
            f"the catalogue has the older schema version {version}; "
            "open it once for writing to upgrade it",
            hint="meso import --db FILE upgrades it, or rebuild it with this release",
        )
    if version == SCHEMA_VERSION:
        check_schema(rows)
    return version


def schema_rows(conn: sqlite3.Connection) -> list[SchemaRow]:
    """Every row of ``conn``'s ``sqlite_master`` (type, name, table name, SQL), by name."""
    # tuple(): a connection may have a row factory (Datasette's gives sqlite3.Row).
    return [
        (str(k), str(n), str(t), None if q is None else str(q))
        for k, n, t, q in map(tuple, conn.execute(_SCHEMA_SQL))
    ]


def read_error(error: sqlite3.Error, where: str | None = None) -> CatalogueError:
    """A :class:`CatalogueError` that says why reading a catalogue failed with ``error`` (a
    damaged page, a value over :data:`MAX_VALUE_BYTES`, the read budget spent ...)."""
    text = str(error)
    prefix = f"{where}: " if where else ""
    if "interrupt" in text:
        return CatalogueError(
            f"{prefix}reading the catalogue took too long and was stopped",
            hint="the file may be damaged or not made by meso; " + _REFUSE_HINT,
        )
    return CatalogueError(
        f"{prefix}cannot read the catalogue: {text}",
        hint="the file may be damaged or not made by meso; " + _REFUSE_HINT,
    )


_F = TypeVar("_F", bound=Callable[..., Any])

_DAMAGED_ROW: Final = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    sqlite3.DatabaseError,
)


def reads_stored_rows(func: _F) -> _F:
    """Decorate a function that interprets a catalogue's stored rows: a row it cannot
    interpret (a record that is not JSON, nests too deep, or has another shape; a damaged
    page) becomes a :class:`CatalogueError` that says so, not a traceback. The library's
    own errors (``NotFound`` ...) pass through."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MesoError:
            raise
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as error:
            raise read_error(error) from error
        except _DAMAGED_ROW as error:
            kind = type(error).__name__
            raise CatalogueError(
                f"a stored row of the catalogue cannot be read ({kind})",
                hint="the file may be damaged or not made by meso; " + _REFUSE_HINT,
            ) from error

    return cast(_F, wrapper)


def read_budget(conn: sqlite3.Connection, seconds: float) -> None:
    """Interrupt every statement on ``conn`` once ``seconds`` have passed from now (a
    progress handler; SQLite then raises ``OperationalError: interrupted``)."""
    deadline = time.monotonic() + seconds
    handler: Callable[[], bool] = lambda: time.monotonic() > deadline  # noqa: E731
    conn.set_progress_handler(handler, PROGRESS_STEPS)


def connect_file(
    path: Path,
    *,
    readonly: bool,
    create: bool = True,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> sqlite3.Connection:
    """A raw connection to the catalogue file at ``path``: the one place a file is opened.

    Refuses, naming the file, a directory, a missing file (unless ``create`` and not
    ``readonly``) and a file that is not an SQLite database, before SQLite touches it. The
    caller applies :func:`configure` and :func:`check_version`.
    """
    where = str(path)
    if path.is_dir():
        raise CatalogueError(f"{where} is a directory, not a catalogue file")
    exists = path.exists()
    if not exists and (readonly or not create):
        raise CatalogueError(f"no catalogue at {where}")
    try:
        if exists:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
            if head and head != SQLITE_MAGIC:
                raise CatalogueError(f"{where} is not a catalogue: it is not an SQLite database")
        if readonly:
            return sqlite3.connect(
                path.resolve().as_uri() + "?mode=ro", uri=True, timeout=busy_timeout_ms / 1000
            )
        return sqlite3.connect(where, timeout=busy_timeout_ms / 1000)
    except FileNotFoundError:
        raise CatalogueError(f"no catalogue at {where}") from None
    except OSError as error:
        raise CatalogueError(f"cannot open {where}: {error.strerror or error}") from error
    except sqlite3.Error as error:
        raise CatalogueError(f"cannot open {where}: {error}") from error


def open_readonly(
    path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, budget: float | None = READ_BUDGET
) -> sqlite3.Connection:
    """A read-only connection to the catalogue at ``path``, configured and checked (its
    version and its exact schema, :func:`check_version`).

    Raises :class:`CatalogueError`, naming the file, when it is missing, a directory, not a
    catalogue, of a schema version this release does not read, or of a schema meso did not
    create. (A file in WAL mode needs its folder to be writable or its ``-shm`` file
    present, as with any SQLite reader.) ``budget``: the seconds its SQL may take in all
    (:func:`read_budget`; a one-shot command's connection), ``None`` for no limit.
    """
    conn = connect_file(path, readonly=True, busy_timeout_ms=busy_timeout_ms)
    try:
        if budget is not None:
            read_budget(conn, budget)
        configure(conn, readonly=True, busy_timeout_ms=busy_timeout_ms)
        check_version(conn, upgradable=False)
    except CatalogueError as error:
        conn.close()
        raise CatalogueError(f"{path}: {error.message}", hint=error.hint) from error
    except sqlite3.Error as error:
        conn.close()
        raise CatalogueError(f"{path}: cannot open the catalogue: {error}") from error
    return conn


__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_MS",
    "CATALOGUE_TABLES",
    "MAX_VALUE_BYTES",
    "META_SQL",
    "MIGRATION_NAMES",
    "READ_BUDGET",
    "SCHEMA_OBJECTS",
    "SCHEMA_VERSION",
    "SQLITE_MAGIC",
    "check_schema",
    "check_version",
    "configure",
    "connect_file",
    "open_readonly",
    "read_budget",
    "read_error",
    "reads_stored_rows",
    "schema_difference",
    "schema_objects",
    "schema_rows",
    "stored_version",
]
