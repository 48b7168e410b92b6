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
    write_atomically(path, fill, what="the reference catalogue", hint=_HINT, replace=True)
    _remove_stale(path)


def write_atomically(
    path: Path, fill: Callable[[Path], None], *, what: str, hint: str, replace: bool
) -> None:
    """Write a catalogue file at ``path`` the way :func:`build` does: ``fill(temporary)``
    writes it into a new file of the same folder, which then takes ``path``'s name. Also for
    a clinic's own catalogue (``meso init``), which starts from the same reference data.

    With ``replace`` false an existing ``path`` is never replaced, even one created while
    ``fill`` ran (a hard link claims the name; where the file system has none, the name is
    checked just before the rename). The new file honours the umask. Raises
    :class:`CatalogueError` naming ``what`` with ``hint`` when the folder cannot be created
    or written, and when ``path`` exists and ``replace`` is false.
    """
    import tempfile  # only a build needs it; finding the file stays cheap (module doc)

    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-", suffix=".db.tmp")
    except OSError as error:
        raise CatalogueError(
            f"cannot build {what} in {folder}: {error.strerror or error}", hint=hint
        ) from None
    os.close(handle)
    temp = Path(name)
    try:
        fill(temp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        if replace:
            os.replace(temp, path)
        else:
            _claim(temp, path)
    except FileExistsError:
        raise CatalogueError(f"{path} already exists", hint=hint) from None
    except OSError as error:
        raise CatalogueError(
            f"cannot build {what} at {path}: {error.strerror or error}", hint=hint
        ) from None
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _claim(temp: Path, path: Path) -> None:
    """Give ``temp`` the name ``path`` unless that name is taken (``FileExistsError``)."""
    try:
        os.link(temp, path)  # fails on an existing name, atomically
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT, some network shares)
        if path.exists() or path.is_symlink():
            raise FileExistsError(path) from None
        os.replace(temp, path)


def _remove_stale(current: Path) -> None:
    """Delete reference catalogues of earlier data releases (best effort)."""
    for old in current.parent.glob("reference-*.db"):
        if old != current:
            with contextlib.suppress(OSError):
                old.unlink()
