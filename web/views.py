"""The plugin's pages: search by concern (HTML and JSON) and one cocktail (HTML and JSON).

A request the pages cannot answer gets a page that says why, with status 400 (a search or
a start date that cannot be used), 404 (no such cocktail, no catalogue), 405 (not a GET) or
503 (the search spent its time budget, or the catalogue could not answer); never a 500.
Every value reaches the page through Jinja's autoescaping: supplier text is untrusted.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from datasette.utils.asgi import Response

from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.catalogue.search.screening_text import client_conditions
from meso_formulary.catalogue.store.cocktail_view import (
    ALSO_RULED_OUT,
    FINDINGS_NOT_COMPUTED,
    NO_CONTRAINDICATIONS,
    NO_FINDINGS,
    NO_SOURCES,
    load_cocktail,
)
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound, SearchError
from meso_formulary.identifiers import SLUG_RE
from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.web import attached
from meso_formulary.web.forms import ARGUMENTS, SearchForm, read_form
from meso_formulary.web.metadata import linked_source, safe_url
from meso_formulary.web.pages import timeline
from meso_formulary.web.paths import SEARCH_PATH, STATIC_PATH, cocktail_url
from meso_formulary.web.results import Labels, form_context, results_context, results_json

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

BUDGET_SPENT = "the search took longer than"
"""How the engine's message begins when the search spent its budget (the server answers
503 then, a request it could not finish in time, not a request that is wrong)."""

WEB_SEARCH_BUDGET = 1.0
"""Seconds one web search's SQL may take (the engine stops it then, with a message): a
hostile text cannot hold a worker thread while other pages wait."""


class Problem(Exception):
    """A request the pages answer with an explanation instead of content."""

    def __init__(self, status: int, title: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.hint = hint


async def search_view(datasette: Any, request: Any) -> Response:
    """``/-/meso-search`` (the page) and ``/-/meso-search.json`` (the same search as JSON)."""
    as_json = bool(request.url_vars.get("format"))
    form = read_form(request.args)
    conditions: Mapping[str, str] = {}
    try:
        _only_get(request)
        catalogue = _catalogue(datasette)
        conditions = catalogue.conditions
        if not form.submitted and not as_json:
            return await _search_page(datasette, request, form, conditions, {})
        search_request = _search_request(form)
        try:
            results, indications = await attached.run(
                datasette,
                catalogue,
                lambda cat: (
                    search(cat, search_request, budget=WEB_SEARCH_BUDGET),
                    {i.id.value: i.name for i in cat.indications()},
                ),
            )
        except SearchError as error:  # text with nothing searchable, an unknown ingredient
            if error.message.startswith(BUDGET_SPENT):
                raise _too_long(error) from None
            raise _cannot_search(error) from None
        except (CatalogueError, sqlite3.Error) as error:
            raise _unreadable(error) from None
    except Problem as problem:
        if as_json:
            body: dict[str, Any] = {"ok": False, "error": problem.message, "hint": problem.hint}
            if problem.status == 400:
                body["arguments"] = list(ARGUMENTS)
            headers = {"Retry-After": "5"} if problem.status == 503 else None
            return Response.json(body, status=problem.status, headers=headers)
        if problem.status in (400, 503):  # the form again, with what to change
            problems = {"problems": [p for p in (problem.message, problem.hint) if p]}
            return await _search_page(
                datasette, request, form, conditions, problems, problem.status
            )
        return await _problem_page(datasette, request, problem)
    if as_json:
        return Response.json(results_json(search_request, results))
    labels = Labels(indications, {s.id: s.name for s in catalogue.suppliers})
    context = results_context(datasette, form, search_request, results, labels)
    return await _search_page(datasette, request, form, conditions, context)


async def cocktail_view(datasette: Any, request: Any) -> Response:
    """``/-/meso-cocktail/<supplier>/<slug>``: composition, course, aftercare, sources;
    with ``client=`` (repeated), what applies to a client with those conditions.

    ``/-/meso-cocktail/<supplier>/<slug>.json`` answers what ``meso show --json`` prints
    for it (the view's :meth:`~meso_formulary.catalogue.store.cocktail_view.CocktailView.as_dict`,
    ``client=`` as ``--client``); a cocktail it cannot show is ``{"ok": false, "error": ...,
    "hint": ...}`` with the page's status."""
    as_json = bool(request.url_vars.get("format"))
    try:
        _only_get(request)
        catalogue = _catalogue(datasette)
        supplier, slug = request.url_vars["supplier"], request.url_vars["slug"]
        if not (SLUG_RE.fullmatch(supplier) and SLUG_RE.fullmatch(slug)):
            raise Problem(404, "No such cocktail", "A cocktail address is /supplier/name.")
        start = _start_date(request.args.get("start"))
        try:
            clients = client_conditions(request.args.getlist("client"))
        except SearchError as error:
            raise Problem(400, "Unknown condition", error.message, error.hint) from None
        try:
            cocktail = await attached.run(
                datasette,
                catalogue,
                lambda cat: load_cocktail(cat.conn, f"{supplier}/{slug}", clients),
            )
        except NotFound as error:
            raise Problem(404, "No such cocktail", error.message, error.hint) from None
        except (CatalogueError, sqlite3.Error) as error:
            raise _unreadable(error) from None
        if as_json:
            return Response.json(cocktail.as_dict())
        try:
            course = timeline(cocktail, start)
        except InvalidInput as error:
            raise Problem(400, "Cannot plan this course", error.message) from None
    except Problem as problem:
        if as_json:
            body = {"ok": False, "error": problem.message, "hint": problem.hint}
            return Response.json(body, status=problem.status)
        return await _problem_page(datasette, request, problem)
    rows = datasette.urls.table(catalogue.name, "cocktails")
    page_url = cocktail_url(datasette, cocktail.id)
    marks = request.args.getlist("client")
    context = {
        "cocktail": cocktail,
        "json_url": f"{page_url}.json"
        + (f"?{urlencode([('client', c) for c in marks])}" if marks else ""),
        "supplier_url": safe_url(cocktail.supplier.url),
        "timeline": course,
        "row_url": f"{rows}?id={quote(cocktail.id, safe='')}",
        "linked_source": linked_source,
        "cocktail_url": lambda cocktail_id: cocktail_url(datasette, cocktail_id),
        "also_ruled_out": ALSO_RULED_OUT,
        "no_contraindications": NO_CONTRAINDICATIONS,
        "no_findings": NO_FINDINGS,
        "findings_not_computed": FINDINGS_NOT_COMPUTED,
        "no_sources": NO_SOURCES,
    }
    return await _render(datasette, request, "meso_cocktail.html", context)


def _search_request(form: SearchForm) -> SearchRequest:
    try:
        return form.to_request()
    except SearchError as error:
        raise _cannot_search(error) from None


def _cannot_search(error: SearchError) -> Problem:
    return Problem(400, "This search could not be run", error.message, error.hint)


def _too_long(error: SearchError) -> Problem:
    """The search spent its budget: 503 (the server is busy with it), with the engine's
    message ("the search took longer than 1 s ...") and what to do."""
    return Problem(
        503,
        "This search took too long",
        f"{error.message[:1].upper()}{error.message[1:]}.",
        "Try fewer words, or add a filter (an area, a client condition).",
    )


def _unreadable(error: Exception) -> Problem:
    """The catalogue could not answer (a query stopped by the server's limits, a damaged
    page): 503 with a message, never a 500 with a traceback. The error's own text is not
    shown: it may name the file."""
    return Problem(
        503,
        "The catalogue could not answer",
        "The catalogue could not be read for this request.",
        "Try again; if it keeps failing, the catalogue file may need rebuilding.",
    )


async def _search_page(
    datasette: Any,
    request: Any,
    form: SearchForm,
    conditions: Mapping[str, str],
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    page = {
        "problems": [],
        "results": None,
        "json_url": None,
        **form_context(form, conditions),
        **context,
    }
    return await _render(datasette, request, "meso_search.html", page, status)


def _only_get(request: Any) -> None:
    if request.method not in ("GET", "HEAD"):
        raise Problem(405, "Read-only", "These pages only answer GET: nothing can be changed here.")


def _catalogue(datasette: Any) -> attached.AttachedCatalogue:
    found = attached.catalogues(datasette)
    if not found:
        raise Problem(
            404,
            "No catalogue",
            "No meso-formulary catalogue is attached to this server.",
            "Start it with: meso serve --db CATALOGUE.db",
        )
    first = found[0]
    if not first.usable:
        raise Problem(
            404,
            "Catalogue from another release",
            f"The catalogue {first.name} cannot be read by this release of meso-formulary: "
            f"{first.refusal}.",
            "Upgrade meso-formulary, or rebuild the catalogue with this release.",
        )
    return first


def _start_date(raw: str | None) -> date:
    if not raw:
        return date.today()
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(
            400, "Cannot plan this course", "The start date must be a date such as 2026-03-02."
        ) from None


async def _problem_page(datasette: Any, request: Any, problem: Problem) -> Response:
    context = {"title": problem.title, "message": problem.message, "hint": problem.hint}
    return await _render(datasette, request, "meso_problem.html", context, problem.status)


async def _render(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    context = {
        "note": NOT_MEDICAL_ADVICE,
        "search_url": datasette.urls.path(SEARCH_PATH),
        "css_url": datasette.urls.path(f"{STATIC_PATH}/meso.css"),
        **context,
    }
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)
