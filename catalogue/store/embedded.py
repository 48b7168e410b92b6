"""The embedded reference catalogue, built once per release of the shipped data.

The file lives in the user data directory (``MESO_DATA_DIR`` overrides it) and its name
carries the data's checksum (:func:`meso_formulary.reference.data_checksum`), so a new
release of the data gets a new file. It is built into a
temporary file in the same directory and moved into place with ``os.replace``: two
processes racing to build it each build their own and the last rename wins, and no process
ever opens a half-built file. Once built it is only ever opened read-only, in rollback
journal mode so that no ``-wal``/``-shm`` files are needed to read it.

Finding and opening the built file is cheap on purpose (``meso search`` does it on every
start): the checksum needs neither pydantic nor :mod:`hashlib`, and :func:`connect_default`
opens the file with the standard library and checks its schema version. Only building it
(the first time, or after a release changed the data or the schema) loads the models and
the store.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Final

from meso_formulary import reference as shipped
from meso_formulary.catalogue.store.connect import open_readonly
from meso_formulary.errors import CatalogueError

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.catalogue_store import Catalogue
    from meso_formulary.catalogue.store.dictionary import ReferenceData

DATA_DIR_ENV: Final = "MESO_DATA_DIR"
APP_NAME: Final = "meso-formulary"

_HINT: Final = (
    f"set {DATA_DIR_ENV} to a folder you can write to, or use a catalogue file of your own"
)


def data_dir() -> Path:
    """Where the reference catalogue is kept: ``$MESO_DATA_DIR`` or the user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def default_file() -> Path:
    """The reference catalogue file for the shipped data."""
    return data_dir() / f"reference-{shipped.data_checksum()}.db"


def connect_default() -> sqlite3.Connection:
    """A read-only connection to the reference catalogue, built first when it must be.

    The cheap path (the file exists with this release's schema) imports nothing beyond the
    standard library. The file is rebuilt when it is missing, of another schema version, or
    not a catalogue at all (it is ours, derived from the shipped data, so nothing is lost).
    Raises :class:`CatalogueError` with a hint when the data directory cannot be written.
    """
    path = default_file()
    if path.exists():
        try:
            return open_readonly(path)
        except CatalogueError:
            pass  # of another schema version, or damaged: built again below
    build(path, _shipped_data())
    return open_readonly(path)


def open_default() -> Catalogue:
    """The reference catalogue as a read-only :class:`~.store.Catalogue` (built first when
    it must be, as :func:`connect_default` says)."""
    from meso_formulary.catalogue.store.catalogue_store import Catalogue

    connect_default().close()
    return Catalogue.open(default_file(), readonly=True)


def _shipped_data() -> ReferenceData:
    from meso_formulary.catalogue.store.dictionary import ReferenceData

    return ReferenceData.shipped()


def build(path: Path, reference: ReferenceData) -> None:
    """Build the reference catalogue at ``path`` (atomically; see the module doc).

    Raises :class:`CatalogueError` with a hint when ``path``'s folder cannot be created or
    written (``MESO_DATA_DIR`` under a file, on a read-only file system, in ``/proc`` ...).
    """
    import tempfile

    from meso_formulary.catalogue.store.catalogue_store import Catalogue
    from meso_formulary.catalogue.store.transaction import write_transaction

    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=".reference-", suffix=".db.tmp")
    except OSError as error:
        raise CatalogueError(
            f"cannot build the reference catalogue in {folder}: {error.strerror or error}",
            hint=_HINT,
        ) from None
    os.close(handle)
    temp = Path(name)
    try:
        with Catalogue.open(temp, reference=reference) as catalogue:
            catalogue.import_catalogue(shipped.reference_catalogue())
            with write_transaction(catalogue.conn, str(temp)):
                catalogue.conn.execute("UPDATE meta SET value = 'reference' WHERE key = 'source'")
            catalogue.conn.execute("PRAGMA journal_mode = DELETE")
        os.replace(temp, path)
    except OSError as error:
        raise CatalogueError(
            f"cannot build the reference catalogue at {path}: {error.strerror or error}",
            hint=_HINT,
        ) from None
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    _remove_stale(path)


def _remove_stale(current: Path) -> None:
    """Delete reference catalogues of earlier data releases (best effort)."""
    for old in current.parent.glob("reference-*.db"):
        if old != current:
            with contextlib.suppress(OSError):
                old.unlink()
