"""A read-only connection to the embedded reference catalogue, with the standard library.

``meso search`` (and every command reading the reference catalogue through
:func:`meso_formulary.cli.common.connect_catalogue`) opens the catalogue this way on every
start, so the cheap path, the file already built, imports nothing beyond the standard
library. Only building it (the first time, or after a release changed the data or the
schema) loads the store, through :meth:`Catalogue.default()
<meso_formulary.catalogue.store.catalogue_store.Catalogue.default>`. This module sits above
the store for that reason; :mod:`.embedded`, which the store uses, sits below it.
"""

from __future__ import annotations

import sqlite3

from meso_formulary.catalogue.store.connect import open_readonly
from meso_formulary.catalogue.store.embedded import default_file, open_built


def connect_default() -> sqlite3.Connection:
    """A read-only connection to the reference catalogue, built first when it must be.

    Raises :class:`~meso_formulary.errors.CatalogueError` with a hint when the data directory
    cannot be written.
    """
    path = default_file()
    conn = open_built(path)
    if conn is not None:
        return conn
    from meso_formulary.catalogue.store.catalogue_store import Catalogue

    Catalogue.default().close()  # builds it
    return open_readonly(path)
