"""The Datasette plugin (entry point ``meso_formulary`` in the ``datasette`` group).

Installed with the package, it gives any Datasette that serves a catalogue file:

- ``/-/meso-search``: search by concern, with exclusions and an area (``.json`` for the API);
- ``/-/meso-cocktail/<supplier>/<slug>``: composition, course timeline, aftercare, sources;
- metadata for the catalogue's tables (:mod:`meso_formulary.web.metadata`);
- a "Search by concern" link in Datasette's menu.

It adds no write endpoint: every page answers GET only, on Datasette's read connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import datasette.handle_exception
from datasette.utils.asgi import asgi_static
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pluggy import HookimplMarker

from meso_formulary.web import attached
from meso_formulary.web.metadata import instance_metadata
from meso_formulary.web.paths import COCKTAIL_PATH, SEARCH_PATH, STATIC_PATH
from meso_formulary.web.views import cocktail_view, search_view

HERE = Path(__file__).resolve().parent

hookimpl = HookimplMarker("datasette")
"""Datasette's hook marker (``datasette.hookimpl``), from typed pluggy."""

# Datasette 0.65's error handler prints every error with rich when rich can be imported (and
# meso-formulary depends on rich). For an address no route matches, it does so outside an
# ``except`` block, where rich >= 13 raises ValueError: the 404 becomes a 500. Datasette
# then logs errors with the standard traceback module instead.
datasette.handle_exception.rich = None


@hookimpl
def startup(datasette: Any) -> Callable[[], Awaitable[None]]:
    async def find() -> None:
        await attached.find_catalogues(datasette)

    return find


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Any) -> None:
    # Appended last, so that a --template-dir may still override these templates.
    loaders = [] if env.loader is None else [env.loader]
    env.loader = ChoiceLoader([*loaders, FileSystemLoader(str(HERE / "templates"))])


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> Any:
    found = attached.catalogues(datasette)
    if not found:
        return None
    # Built afresh each call: Datasette merges into the dictionaries it is given.
    return instance_metadata(datasette.urls.path(SEARCH_PATH), {c.name: c.suppliers for c in found})


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (rf"^{SEARCH_PATH}(?P<format>\.json)?$", search_view),
        (rf"^{COCKTAIL_PATH}/(?P<supplier>[^/]+)/(?P<slug>[^/]+)$", cocktail_view),
        (rf"^{STATIC_PATH}/(?P<path>[a-z-]+\.css)$", asgi_static(HERE / "static")),
    ]


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    if not attached.catalogues(datasette):
        return []
    return [{"href": datasette.urls.path(SEARCH_PATH), "label": "Search by concern"}]
