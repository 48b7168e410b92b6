"""Build and run the Datasette instance ``meso serve`` starts.

Everything the instance shows beyond Datasette's own pages comes from the plugin
(:mod:`meso_formulary.web.plugin`), which the package's entry point registers with any
Datasette, so ``datasette -i catalogue.db`` serves the same pages as ``meso serve``.

``meso serve`` adds what a server open to hostile visitors needs (see docs/web.md, *Safety*):

- raw SQL off (Datasette's ``default_allow_sql``): no SQL page, no ``?sql=``, no ``_where=``;
  ``enable_sql`` turns it on for a developer, on a loopback address only;
- every write method answered 405, and SQLite limits on every connection (the plugin's
  :func:`~meso_formulary.web.plugin.guard`);
- a time budget on every statement (:class:`BudgetedConnection`), Datasette's own 1 s limit
  for the SQL it runs for a visitor;
- the catalogue opened through a file URI built from the path
  (:meth:`CatalogueDatabase.connect`), so a folder named ``a?b``, ``c#d`` or ``e%20f`` is
  the folder it says, and ``immutable=1`` under ``--immutable``, which creates no file
  (read-only storage works);
- the introspection pages without the file's absolute path or the process's internals
  (:class:`ServedDatasette`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import uvicorn
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from meso_formulary.catalogue import Catalogue
from meso_formulary.errors import CatalogueError, MesoError
from meso_formulary.web import plugin
from meso_formulary.web.paths import SEARCH_PATH

SQL_TIME_LIMIT_MS = 1000
"""Datasette's ``sql_time_limit_ms``: the longest a visitor's query (a table page, a facet,
the SQL page when enabled) may run."""

STATEMENT_BUDGET = 10.0
"""Seconds any one statement may run on a served connection, whoever runs it (Datasette's
start-up and counts, the plugin's pages): a backstop under Datasette's own limit, which
covers only the queries it runs for a visitor."""

LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


class BudgetedConnection(sqlite3.Connection):
    """A connection whose statements always run under a progress-handler budget.

    Each statement may run :data:`STATEMENT_BUDGET` seconds (the clock restarts when a
    statement starts, seen through the trace callback); a handler set by Datasette (its
    time limit) or by the search (its budget) runs as well, and when one is removed
    (``set_progress_handler(None, ...)``) the budget stays.
    """

    budget = STATEMENT_BUDGET
    steps = 1000
    """SQLite virtual-machine steps between two looks at the clock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = time.monotonic() + self.budget
        self._extra: Callable[[], object] | None = None
        super().set_trace_callback(self._statement_starts)
        super().set_progress_handler(self._check, self.steps)

    def _statement_starts(self, _sql: str) -> None:
        self._deadline = time.monotonic() + self.budget

    def _check(self) -> int:
        if time.monotonic() > self._deadline:
            return 1
        extra = self._extra
        return 1 if extra is not None and extra() else 0

    def set_progress_handler(self, progress_handler: Any, n: int) -> None:
        self._extra = progress_handler
        steps = self.steps if progress_handler is None or n < 1 else min(n, self.steps)
        super().set_progress_handler(self._check, steps)

    def set_trace_callback(self, trace_callback: Any) -> None:
        if trace_callback is None:
            super().set_trace_callback(self._statement_starts)
            return

        def both(sql: str) -> None:
            self._statement_starts(sql)
            trace_callback(sql)

        super().set_trace_callback(both)


def catalogue_uri(path: Path, *, immutable: bool) -> str:
    """The SQLite URI that opens ``path`` read-only: ``immutable=1`` (no locks, no ``-wal``
    or ``-shm`` file, for read-only storage) or ``mode=ro``. The path is percent-encoded
    (:meth:`~pathlib.Path.as_uri`), so ``?``, ``#``, ``%`` and spaces in it are the file's
    name, never the URI's query or fragment."""
    return path.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")


class CatalogueDatabase(Database):  # type: ignore[misc]
    """Datasette's database for the catalogue, opened through :func:`catalogue_uri` with a
    :class:`BudgetedConnection` (Datasette itself pastes the path into a URI unescaped)."""

    def connect(self, write: bool = False) -> sqlite3.Connection:
        if write:
            raise RuntimeError("meso serve opens the catalogue read-only")
        conn = sqlite3.connect(
            catalogue_uri(Path(self.path), immutable=not self.is_mutable),
            uri=True,
            check_same_thread=False,
            factory=BudgetedConnection,
        )
        self._all_file_connections.append(conn)
        return conn


class ServedDatasette(Datasette):  # type: ignore[misc]
    """Datasette whose introspection pages keep the server's internals to themselves:
    ``/-/databases`` names the file without its folder, ``/-/threads`` lists no tasks (their
    text holds source paths and code locations)."""

    def _connected_databases(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = super()._connected_databases()
        for database in found:
            if database.get("path"):
                database["path"] = Path(database["path"]).name
        return found

    def _threads(self) -> dict[str, Any]:
        return {"num_threads": threading.active_count()}


def build_datasette(path: Path, *, immutable: bool, enable_sql: bool = False) -> Datasette:
    """A read-only Datasette over the catalogue at ``path`` with the meso plugin.

    ``immutable`` opens the file the way ``datasette -i`` does: SQLite skips locking and
    change detection, which is right for a published catalogue that never changes (and
    creates no file beside it). ``enable_sql`` lets visitors run their own SQL (Datasette's
    SQL page, ``?sql=``, ``_where=``); it is off by default.
    """
    if not pm.is_registered(plugin):  # running from a source tree without the entry point
        pm.register(plugin, "meso_formulary")
    settings = {"default_allow_sql": enable_sql, "sql_time_limit_ms": SQL_TIME_LIMIT_MS}
    datasette = ServedDatasette([], settings=settings)
    plugin.guard(datasette)
    for name in list(datasette.databases):  # the in-memory database Datasette adds
        if name != "_internal":
            datasette.remove_database(name)
    datasette.add_database(CatalogueDatabase(datasette, str(path), is_mutable=not immutable))
    return datasette


def check_catalogue(path: Path, *, immutable: bool) -> None:
    """Refuse, with a clear error, a file ``meso serve`` cannot serve: not a catalogue, of
    another release, or unreadable the way it is about to be opened (read-only storage
    without ``--immutable`` when SQLite needs to create a file beside it)."""
    hint = None if immutable else "on read-only storage, serve it with --immutable"
    try:
        if immutable:
            conn = sqlite3.connect(catalogue_uri(path, immutable=True), uri=True)
            try:
                Catalogue.from_connection(conn, path)
            finally:
                conn.close()
        else:
            Catalogue.open(path, readonly=True).close()
    except CatalogueError as error:
        raise CatalogueError(error.message, hint=error.hint or hint) from error
    except (sqlite3.Error, OSError) as error:
        raise CatalogueError(f"cannot read the catalogue {path}: {error}", hint=hint) from None


def check_host(host: str, *, enable_sql: bool) -> None:
    """With raw SQL on, refuse any address but a loopback one (this computer only)."""
    if not enable_sql or host.lower() in LOOPBACK_NAMES:
        return
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise MesoError(
            f"--enable-sql serves raw SQL to anyone who can reach the server, so it listens "
            f"on this computer only; --host {host} is not a loopback address",
            hint="drop --host (the default is 127.0.0.1), or use --host 127.0.0.1 or ::1",
        )


def serve_catalogue(
    path: Path, *, host: str, port: int, immutable: bool, enable_sql: bool = False
) -> None:
    """Check that ``path`` is a catalogue, listen on ``host:port`` and serve until Ctrl+C."""
    check_host(host, enable_sql=enable_sql)
    check_catalogue(path, immutable=immutable)  # a clear error now, not a broken page later
    datasette = build_datasette(path, immutable=immutable, enable_sql=enable_sql)
    asyncio.run(datasette.invoke_startup())
    sock = _listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"Serving {path} at http://{shown_host}:{bound_port}{SEARCH_PATH} (Ctrl+C to stop)")
    if enable_sql:
        click.echo("Raw SQL is on (--enable-sql): for development, on this computer only.")
    server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning", lifespan="on"))
    with sock:
        server.run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as error:
        raise MesoError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="check --host, and choose another --port if this one is in use",
        ) from error
