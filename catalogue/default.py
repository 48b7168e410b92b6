"""The embedded reference catalogue, built once per release of the shipped data.

The file lives in the user data directory (``MESO_DATA_DIR`` overrides it) and its name
carries the data digest, so a new release of the data gets a new file. It is built into a
temporary file in the same directory and moved into place with ``os.replace``: two
processes racing to build it each build their own and the last rename wins, and no process
ever opens a half-built file. Once built it is only ever opened read-only, in rollback
journal mode so that no ``-wal``/``-shm`` files are needed to read it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Final

import platformdirs

from .dictionary import ReferenceData
from .store import Catalogue
from .transaction import write_transaction

DATA_DIR_ENV: Final = "MESO_DATA_DIR"
APP_NAME: Final = "meso-formulary"


def data_dir() -> Path:
    """Where the reference catalogue is kept: ``$MESO_DATA_DIR`` or the user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def default_path(reference: ReferenceData) -> Path:
    """The reference catalogue file for this release of the shipped data."""
    return data_dir() / f"reference-{reference.digest[:12]}.db"


def build(path: Path, reference: ReferenceData) -> None:
    """Build the reference catalogue at ``path`` (atomically; see the module doc)."""
    from meso_formulary import reference as shipped

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".reference-", suffix=".db.tmp")
    os.close(handle)
    temp = Path(name)
    try:
        with Catalogue.open(temp, reference=reference) as catalogue:
            catalogue.import_catalogue(shipped.reference_catalogue())
            with write_transaction(catalogue.conn, str(temp)):
                catalogue.conn.execute("UPDATE meta SET value = 'reference' WHERE key = 'source'")
            catalogue.conn.execute("PRAGMA journal_mode = DELETE")
        os.replace(temp, path)
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


def open_default() -> Catalogue:
    """Open the reference catalogue read-only, building it first when it is missing."""
    reference = ReferenceData.shipped()
    path = default_path(reference)
    if not path.exists():
        build(path, reference)
    return Catalogue.open(path, readonly=True, reference=reference)
