"""Build and run the Datasette instance ``meso serve`` starts.

Everything the instance shows beyond Datasette's own pages comes from the plugin
(:mod:`meso_formulary.web.plugin`), which the package's entry point registers with any
Datasette, so ``datasette -i catalogue.db`` serves the same pages as ``meso serve``.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import click
import uvicorn
from datasette.app import Datasette
from datasette.plugins import pm

from meso_formulary.catalogue import Catalogue
from meso_formulary.errors import MesoError
from meso_formulary.web import plugin
from meso_formulary.web.paths import SEARCH_PATH


def build_datasette(path: Path, *, immutable: bool) -> Datasette:
    """A read-only Datasette over the catalogue at ``path`` with the meso plugin.

    ``immutable`` opens the file the way ``datasette -i`` does: SQLite skips locking and
    change detection, which is right for a published catalogue that never changes.
    """
    if not pm.is_registered(plugin):  # running from a source tree without the entry point
        pm.register(plugin, "meso_formulary")
    name = str(path)
    return Datasette([] if immutable else [name], immutables=[name] if immutable else [])


def serve_catalogue(path: Path, *, host: str, port: int, immutable: bool) -> None:
    """Check that ``path`` is a catalogue, listen on ``host:port`` and serve until Ctrl+C."""
    Catalogue.open(path, readonly=True).close()  # a clear error now, not a broken page later
    datasette = build_datasette(path, immutable=immutable)
    asyncio.run(datasette.invoke_startup())
    sock = _listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"Serving {path} at http://{shown_host}:{bound_port}{SEARCH_PATH} (Ctrl+C to stop)")
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
