"""Which of Datasette's databases are catalogues, and running catalogue code against one.

At start-up the plugin puts every file database through the one schema-version check
(:func:`~meso_formulary.catalogue.store.connect.check_version`); the files it accepts are the
catalogues the pages search, and a catalogue it refuses keeps the reason to show. Catalogue
code then runs on Datasette's own read connection for that file, in Datasette's thread pool,
so the pages share the connection mode Datasette chose (``immutable=1`` under ``-i``, else
``mode=ro``): nothing the pages do can write.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.store.cocktail_card import area_names
from meso_formulary.catalogue.store.connect import check_version, stored_version
from meso_formulary.catalogue.store.provenance import reference_outdated
from meso_formulary.errors import CatalogueError
from meso_formulary.model import Supplier
from meso_formulary.web.metadata import SupplierNote

T = TypeVar("T")


@dataclass(frozen=True)
class AttachedCatalogue:
    """A catalogue file Datasette serves, as found at start-up."""

    name: str
    """Datasette's name for the database (the file name without its extension)."""
    path: Path
    refusal: str | None
    """Why this release cannot read the file (:func:`check_version`'s words), or None."""
    suppliers: tuple[SupplierNote, ...]
    conditions: Mapping[str, str]
    """The client conditions the catalogue knows: id -> name (the search page's boxes)."""
    areas: Mapping[str, str]
    """The treatment areas: id -> plain name ("Around the eyes (periorbital)")."""
    outdated_reference: bool
    """A clinic's own catalogue holding older reference data than this release ships
    (:func:`~meso_formulary.catalogue.store.provenance.reference_outdated`): the pages say
    so (the server never writes to refresh it)."""

    @property
    def usable(self) -> bool:
        """True when this release can read the file (the schema-version check passed)."""
        return self.refusal is None


_FOUND: weakref.WeakKeyDictionary[Any, tuple[AttachedCatalogue, ...]] = weakref.WeakKeyDictionary()
"""Per Datasette instance, the catalogues found at its start-up."""


def catalogues(datasette: Any) -> tuple[AttachedCatalogue, ...]:
    """The catalogues ``datasette`` serves (empty before its start-up hooks ran)."""
    return _FOUND.get(datasette, ())


async def find_catalogues(datasette: Any) -> None:
    """Find every file database of ``datasette`` that is a catalogue, in Datasette's order."""
    found: list[AttachedCatalogue] = []
    for name, database in datasette.databases.items():
        if database.is_memory or not database.path:
            continue
        facts = await database.execute_fn(_catalogue_facts)
        if facts is not None:
            found.append(AttachedCatalogue(name, Path(database.path), *facts))
    _FOUND[datasette] = tuple(found)


def _catalogue_facts(
    conn: sqlite3.Connection,
) -> tuple[str | None, tuple[SupplierNote, ...], dict[str, str], dict[str, str], bool] | None:
    """Why this release cannot read the catalogue on ``conn`` (None when it can), its
    suppliers, its client conditions and its treatment areas (id -> name), and whether its
    reference data is older than this release's; None when the file is not a catalogue."""
    try:
        if stored_version(conn) is None:
            return None
    except (CatalogueError, sqlite3.Error):
        return None
    try:
        check_version(conn, upgradable=False)
    except CatalogueError as error:
        return error.message, (), {}, {}, False  # another release's tables: nothing more read
    notes: list[SupplierNote] = []
    for supplier_id, record in conn.execute("SELECT id, record FROM suppliers ORDER BY id"):
        try:
            supplier = Supplier.model_validate_json(record)
        except ValidationError:  # a record from another release: the id is still known
            notes.append(SupplierNote(supplier_id, supplier_id, None, None))
            continue
        notes.append(SupplierNote(supplier.id, supplier.name, supplier.licence, supplier.url))
    conditions = dict(conn.execute("SELECT id, name FROM conditions ORDER BY name"))
    return None, tuple(notes), conditions, area_names(conn), reference_outdated(conn)


async def run(datasette: Any, attached: AttachedCatalogue, work: Callable[[Catalogue], T]) -> T:
    """``work(catalogue)`` on Datasette's read connection to ``attached``, in its thread pool.

    The :class:`Catalogue` wraps the connection for this call only; the search's lexicon
    cache is kept per catalogue file, not per ``Catalogue`` object, so it is read once and
    shared by every request and thread (see
    :class:`~meso_formulary.catalogue.search.runner.LexiconCache`).
    """
    database = datasette.get_database(attached.name)

    def call(conn: sqlite3.Connection) -> T:
        return work(Catalogue.from_connection(conn, attached.path))

    result: T = await database.execute_fn(call)
    return result
