"""The Datasette plugin (entry point ``meso_formulary`` in the ``datasette`` group).

Installed with the package, it gives any Datasette that serves a catalogue file:

- ``/-/meso-search``: search by concern, with exclusions and an area (``.json`` for the API);
- ``/-/meso-cocktail/<supplier>/<slug>``: composition, course timeline, aftercare, sources;
- metadata for the catalogue's tables (:mod:`meso_formulary.web.metadata`);
- a "Search by concern" link in Datasette's menu;
- client errors (404 and the like) answered without Datasette's rich traceback printing
  (:func:`handle_exception`).

Everything goes through Datasette's plugin hooks: nothing of Datasette is patched.

It adds no write endpoint: every page answers GET only, on Datasette's read connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400, Response, asgi_static
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pluggy import HookimplMarker

from meso_formulary.web import attached
from meso_formulary.web.metadata import instance_metadata
from meso_formulary.web.paths import COCKTAIL_PATH, SEARCH_PATH, STATIC_PATH
from meso_formulary.web.views import cocktail_view, search_view

if TYPE_CHECKING:
    from pluggy import Result

HERE = Path(__file__).resolve().parent

hookimpl = HookimplMarker("datasette")
"""Datasette's hook marker (``datasette.hookimpl``), from typed pluggy."""


@hookimpl
def startup(datasette: Any) -> Callable[[], Awaitable[None]]:
    async def find() -> None:
        await attached.find_catalogues(datasette)

    return find


@hookimpl(hookwrapper=True)
def handle_exception(
    datasette: Any, request: Any, exception: Exception
) -> Generator[None, Result[list[Any]], None]:
    """Answer a client error (404, 400, 403 from Datasette's own pages) without Datasette's
    default handler, which prints every error with rich when rich can be imported (and
    meso-formulary depends on rich): a page of traceback and locals, request headers
    included, for each 404, and for an address no route matches it prints outside an
    ``except`` block, where rich raises ValueError and the 404 becomes a 500. The answer is
    the default's (``error.html``, or JSON for a ``.json`` address); other errors and other
    plugins' answers are left alone. (An old-style hook wrapper: Datasette 0.65 asks only
    for pluggy 1.0.)
    """
    outcome = yield
    if isinstance(exception, Base400):
        default = "datasette.handle_exception"
        answers = [a for a in outcome.get_result() if getattr(a, "__module__", None) != default]
        outcome.force_result([*answers, _client_error(datasette, request, exception)])


def _client_error(
    datasette: Any, request: Any, exception: Base400
) -> Callable[[], Awaitable[Response]]:
    async def answer() -> Response:
        status = exception.status
        info = {"ok": False, "error": exception.args[0], "status": status, "title": None}
        headers: dict[str, str] = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        context = {
            **info,
            "urls": datasette.urls,
            "app_css_hash": datasette.app_css_hash(),
            "menu_links": list,
        }
        body = await template.render_async(context)
        return Response.html(body, status=status, headers=headers)

    return answer


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
