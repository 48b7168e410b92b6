"""The embedded reference catalogue's file: where it lives, and building it atomically.

The file lives in the user data directory (``MESO_DATA_DIR`` overrides it) and its name
carries the data's checksum (:func:`meso_formulary.reference.data_checksum`), so a new
release of the data gets a new file. :func:`build` writes it into a temporary file in the
same directory and moves it into place with ``os.replace``: two processes racing to build it
each build their own and the last rename wins, and no process ever opens a half-built file.
Once built it is only ever opened read-only, in rollback journal mode so that no
``-wal``/``-shm`` files are needed to read it.

What goes into the file is the store's business: :meth:`Catalogue.default()
<meso_formulary.catalogue.store.catalogue_store.Catalogue.default>` fills it, and
:func:`~meso_formulary.catalogue.store.default_connection.connect_default` opens it without
the store. This module is standard library only and imports nothing of the store (which
imports it), so finding and opening the built file stays cheap: ``meso search`` does it on
every start, and the checksum needs neither pydantic nor :mod:`hashlib`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Final

from meso_formulary import reference as shipped
from meso_formulary.catalogue.store.connect import open_readonly
from meso_formulary.errors import CatalogueError

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


def open_built(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the built file at ``path``, or ``None`` when it must be built.

    It must be when it is missing, of another schema version, or not a catalogue at all (it
    is ours, derived from the shipped data, so nothing is lost by building it again).
    """
    if not path.exists():
        return None
    try:
        return open_readonly(path)
    except CatalogueError:
        return None


def build(path: Path, fill: Callable[[Path], None]) -> None:
    """Build the file at ``path`` atomically (see the module doc): ``fill(temporary)`` writes
    the catalogue into a new file of the same folder, which then replaces ``path``.

    Raises :class:`CatalogueError` with a hint when ``path``'s folder cannot be created or
    written (``MESO_DATA_DIR`` under a file, on a read-only file system, in ``/proc`` ...).
    """
    import tempfile  # only a build needs it; finding the file stays cheap (module doc)

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
        fill(temp)
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
