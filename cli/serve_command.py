"""``meso serve``: the catalogue on a web page (Datasette plus the search-by-concern page).

Datasette is an optional dependency (the ``web`` extra), so it is imported only when the
command runs; ``meso --help`` and every other command work without it.
"""

from __future__ import annotations

from pathlib import Path

import click

from meso_formulary.cli.common import CliError, db_option, note_outdated_reference

_WEB_MODULES = frozenset({"datasette", "uvicorn"})


@click.command()
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. 127.0.0.1 means this computer only.",
)
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="Open the file as immutable (datasette -i): for a published catalogue that never "
    "changes while it is served. Faster, safe to share between many servers, and works on "
    "read-only storage.",
)
@click.option(
    "--enable-sql",
    is_flag=True,
    help="Let visitors run their own SQL (Datasette's SQL page, ?sql=, _where=), with a 1 s "
    "and 1 MB cap: for a developer. Off by default; only with a loopback --host.",
)
def serve(db: Path | None, host: str, port: int, immutable: bool, enable_sql: bool) -> None:
    """Serve the catalogue in a web browser, read-only.

    Open the address it prints: type a concern ("hair loss", "dark circles"), tick what the
    client cannot have, and see the matching cocktails with composition, protocol and
    aftercare. Datasette's tables and JSON API are served alongside (raw SQL only with
    --enable-sql). Stop with Ctrl+C.

    Needs the web extra: pip install 'meso-formulary[web]'.
    """
    try:
        from meso_formulary.web.server import serve_catalogue
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in _WEB_MODULES:
            raise
        raise CliError(
            "meso serve needs Datasette, which is not installed",
            hint="pip install 'meso-formulary[web]'",
        ) from error
    serve_catalogue(
        _catalogue_path(db), host=host, port=port, immutable=immutable, enable_sql=enable_sql
    )


def _catalogue_path(db: Path | None) -> Path:
    """The file to serve: ``--db``, or the embedded reference catalogue's file."""
    if db is not None:
        if not db.is_file():
            raise CliError(
                f"no catalogue at {db}",
                hint="check the path, or create one with: meso init PATH or meso import FILE "
                "--db PATH",
            )
        import sqlite3
        from contextlib import closing, suppress

        from meso_formulary.catalogue.store.connect import open_readonly
        from meso_formulary.errors import CatalogueError

        # Only a note: a file this cannot read (WAL on read-only storage, served with
        # --immutable) is Datasette's to open.
        with suppress(CatalogueError, sqlite3.Error), closing(open_readonly(db)) as conn:
            note_outdated_reference(conn, db)
        return db
    from meso_formulary.catalogue.store.default_connection import connect_default
    from meso_formulary.catalogue.store.embedded import default_file

    connect_default().close()  # builds the reference catalogue's file on first use
    return default_file()
