"""The plugin's pages: search by concern (HTML and JSON), one cocktail (HTML and JSON), two
to four cocktails side by side (HTML and JSON), the site root and a page for any other
``/-/meso-...`` address.

A request the pages cannot answer gets a page that says why, with status 400 (a search or
a start date that cannot be used), 404 (no such cocktail, no catalogue), 405 (not a GET) or
503 (the search spent its time budget, or the catalogue could not answer); never a 500.
Every value reaches the page through Jinja's autoescaping: supplier text is untrusted.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from datasette.utils.asgi import NotFound as PageNotFound
from datasette.utils.asgi import Response
from datasette.views.index import IndexView

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, SearchResults, search
from meso_formulary.catalogue.search.screening_text import client_conditions
from meso_formulary.catalogue.store.cocktail_card import CocktailCard, load_cards
from meso_formulary.catalogue.store.cocktail_view import (
    ALSO_RULED_OUT,
    FINDINGS_NOT_COMPUTED,
    NO_CONTRAINDICATIONS,
    NO_FINDINGS,
    NO_SOURCES,
    CocktailView,
    load_cocktail,
)
from meso_formulary.catalogue.store.compare import comparison_records
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound, SearchError
from meso_formulary.identifiers import SLUG_RE
from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.web import attached
from meso_formulary.web.forms import ARGUMENTS, SearchForm, read_form
from meso_formulary.web.metadata import linked_source, safe_url
from meso_formulary.web.pages import summary_box, timeline
from meso_formulary.web.paths import (
    COMPARE_PATH,
    SEARCH_PATH,
    STATIC_PATH,
    cocktail_url,
)
from meso_formulary.web.results import Labels, form_context, results_context, results_json

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

BUDGET_SPENT = "the search took longer than"
"""How the engine's message begins when the search spent its budget (the server answers
503 then, a request it could not finish in time, not a request that is wrong)."""

WEB_SEARCH_BUDGET = 1.0
"""Seconds one web search's SQL may take (the engine stops it then, with a message): a
hostile text cannot hold a worker thread while other pages wait."""


STATIC_FOLDER = Path(__file__).resolve().parent / "static"
"""The plugin's static files, served at ``/-/meso-static/<name>``."""

COMPARE_MIN, COMPARE_MAX = 2, 4
"""How many cocktails the compare page puts side by side."""


@cache
def static_hash(name: str) -> str:
    """The first 12 hex digits of the SHA-256 of static file ``name`` (read once per process:
    the package's files do not change while it runs)."""
    return hashlib.sha256((STATIC_FOLDER / name).read_bytes()).hexdigest()[:12]


def static_url(datasette: Any, name: str) -> str:
    """The address of static file ``name`` with its content hash (``meso.css?v=<hash>``): a
    browser may keep it for good (``immutable``), a new release's file has a new address."""
    return f"{datasette.urls.path(f'{STATIC_PATH}/{name}')}?v={static_hash(name)}"


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
    found: attached.AttachedCatalogue | None = None
    try:
        _only_get(request)
        catalogue = found = _catalogue(datasette)
        if not form.submitted and not as_json:
            return await _search_page(datasette, request, form, found, {})
        search_request = _search_request(form)
        try:
            results, indications, cards = await attached.run(
                datasette, catalogue, lambda cat: _search_with_cards(cat, search_request)
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
            return await _search_page(datasette, request, form, found, problems, problem.status)
        return await _problem_page(datasette, request, problem)
    if as_json:
        return Response.json(results_json(search_request, results, cards))
    labels = Labels(indications, {s.id: s.name for s in catalogue.suppliers}, catalogue.areas)
    context = results_context(datasette, form, search_request, results, labels, cards)
    return await _search_page(datasette, request, form, found, context)


def _search_with_cards(
    cat: Catalogue, request: SearchRequest
) -> tuple[SearchResults, dict[str, str], dict[str, CocktailCard]]:
    """The search's results, the indications' names and the hits' cards."""
    results = search(cat, request, budget=WEB_SEARCH_BUDGET)
    indications = {i.id.value: i.name for i in cat.indications()}
    return results, indications, load_cards(cat.conn, [hit.id for hit in results.hits])


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
        supplier, slug = _cocktail_address(request)
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
            course = timeline(cocktail, start, request.args)
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
        "summary_box": summary_box(cocktail),
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


async def root_view(datasette: Any, request: Any, send: Any) -> Response:
    """``/``: the search by concern (a 302 to it) on a server with a catalogue; Datasette's
    own index otherwise (a plain ``datasette`` that serves other files with the plugin
    installed keeps its home page)."""
    if attached.catalogues(datasette):
        return Response.redirect(datasette.urls.path(SEARCH_PATH))
    index: Response = await IndexView.as_view(datasette)(request, send)
    return index


async def not_found_view(datasette: Any, request: Any) -> Response:
    """Any other ``/-/meso-...`` address: the friendly 404 page (``meso_error.html``,
    through :func:`~meso_formulary.web.plugin.handle_exception`; JSON for ``.json``)."""
    raise PageNotFound(
        f"There is no page at {request.path}. Search by concern to find a cocktail, then open "
        "it or tick two to four results to compare them."
    )


async def compare_view(datasette: Any, request: Any) -> Response:
    """``/-/meso-compare?id=A&id=B`` (two to four ids): the cocktails side by side, the
    differences marked by the comparison ``meso compare`` prints
    (:func:`~meso_formulary.catalogue.store.compare.comparison_records`, the first cocktail
    against each other one).

    ``/-/meso-compare.json`` answers ``{"ok": true, "ids": [...], "comparisons": [{"a": A,
    "b": B, "rows": [...]}, ...]}``, each ``rows`` what ``meso compare A B --json`` prints;
    a request it cannot answer is ``{"ok": false, "error": ..., "hint": ...}`` with the
    page's status (400 for fewer than two or more than four ids, 404 for an unknown one)."""
    as_json = bool(request.url_vars.get("format"))
    try:
        _only_get(request)
        ids = _compare_ids(request.args.getlist("id"))
        catalogue = _catalogue(datasette)
        try:
            views = await attached.run(
                datasette, catalogue, lambda cat: [load_cocktail(cat.conn, i) for i in ids]
            )
        except NotFound as error:
            raise Problem(404, "No such cocktail", _sentence(error.message), _hint(error)) from None
        except (CatalogueError, sqlite3.Error) as error:
            raise _unreadable(error) from None
    except Problem as problem:
        if as_json:
            body = {"ok": False, "error": problem.message, "hint": problem.hint}
            return Response.json(body, status=problem.status)
        return await _problem_page(datasette, request, problem)
    comparisons = [comparison_records(views[0], other) for other in views[1:]]
    if as_json:
        pairs = [
            {"a": views[0].id, "b": other.id, "rows": rows}
            for other, rows in zip(views[1:], comparisons, strict=True)
        ]
        return Response.json({"ok": True, "ids": ids, "comparisons": pairs})
    query = urlencode([("id", i) for i in ids])
    context = {
        "cocktails": views,
        # Not "urls": Datasette puts its own URL builder under that name in every context.
        "cocktail_urls": [cocktail_url(datasette, view.id) for view in views],
        "sections": compare_sections(views, comparisons),
        "json_url": f"{datasette.urls.path(COMPARE_PATH)}.json?{query}",
        "linked_source": linked_source,
        "no_contraindications": NO_CONTRAINDICATIONS,
        "no_findings": NO_FINDINGS,
        "findings_not_computed": FINDINGS_NOT_COMPUTED,
    }
    return await _render(datasette, request, "meso_compare.html", context)


def _compare_ids(given: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(i.strip() for i in given if i.strip()))
    if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        picked = "none" if not ids else f"{len(ids)}"
        raise Problem(
            400,
            "Pick two to four cocktails",
            f"The comparison puts {COMPARE_MIN} to {COMPARE_MAX} cocktails side by side; "
            f"{picked} {'was' if len(ids) == 1 else 'were'} picked.",
            "Tick two to four results on the search page, then press Compare.",
        )
    for cocktail_id in ids:
        supplier, _, slug = cocktail_id.partition("/")
        if not (SLUG_RE.fullmatch(supplier) and SLUG_RE.fullmatch(slug)):
            raise Problem(
                404,
                "No such cocktail",
                f"There is no cocktail {cocktail_id!r}: a cocktail id is supplier/name.",
                "Tick the results to compare on the search page.",
            )
    return ids


def _sentence(message: str) -> str:
    """``no cocktail 'x' in the catalogue`` as a sentence: ``No cocktail 'x' in the catalogue.``"""
    return f"{message[:1].upper()}{message[1:]}."


def _hint(error: NotFound) -> str:
    close = f"{error.hint[:1].upper()}{error.hint[1:]} " if error.hint else ""
    return f"{close}Search by concern to find the cocktails to compare."


def compare_sections(
    views: Sequence[CocktailView], comparisons: Sequence[Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """The rows of the side-by-side table from the comparison rows (the first cocktail
    against each other one): per field, per item, one cell per cocktail and a mark
    ("strengths differ", "not in every cocktail" or nothing)."""
    titles = {"composition": "Composition", "indication": "For", "area": "Areas"}
    sections = []
    for field, title in titles.items():
        items: dict[str, dict[str, Any]] = {}
        for column, rows in enumerate(comparisons, start=1):
            for row in rows:
                if row["field"] != field:
                    continue
                item = items.setdefault(
                    row["item"],
                    {"name": row["name"], "cells": [None] * len(views), "differs": False},
                )
                if row["a"] is not None:
                    item["cells"][0] = _cell(row, "a")
                if row["b"] is not None:
                    item["cells"][column] = _cell(row, "b")
                item["differs"] = item["differs"] or row["status"] == "differs"
        lines = []
        for item in items.values():
            if None in item["cells"]:
                mark = "not in every cocktail"
            else:
                mark = "strengths differ" if item["differs"] else ""
            lines.append({"name": item["name"], "cells": item["cells"], "mark": mark})
        sections.append({"field": field, "title": title, "rows": lines})
    return sections


def _cell(row: Mapping[str, Any], side: str) -> str:
    """A cell as ``meso compare`` draws it: the strength (and its mg/mL when written in
    another unit), or "yes" for an indication or area."""
    if row["field"] != "composition":
        return "yes"
    strength, mg = str(row[side]), row[f"{side}_mg_per_ml"]
    return strength if mg is None or strength.endswith("mg/mL") else f"{strength} ({mg:.4g} mg/mL)"


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
    found: attached.AttachedCatalogue | None,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    """The search page; the form's conditions and areas named by ``found`` (None: no
    catalogue could be found, the ids as words)."""
    conditions, areas = (found.conditions, found.areas) if found else ({}, {})
    page = {
        "problems": [],
        "results": None,
        "json_url": None,
        **form_context(form, conditions, areas),
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


def _cocktail_address(request: Any) -> tuple[str, str]:
    """The ``(supplier, slug)`` of a ``/-/meso-cocktail/<supplier>/<slug>...`` address; a
    friendly 404 for one that cannot name a cocktail."""
    supplier, slug = request.url_vars["supplier"], request.url_vars["slug"]
    if not (SLUG_RE.fullmatch(supplier) and SLUG_RE.fullmatch(slug)):
        raise Problem(404, "No such cocktail", "A cocktail address is /supplier/name.")
    return supplier, slug


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
        "outdated": [c.path.name for c in attached.catalogues(datasette) if c.outdated_reference],
        "search_url": datasette.urls.path(SEARCH_PATH),
        "compare_url": datasette.urls.path(COMPARE_PATH),
        "css_url": static_url(datasette, "meso.css"),
        **context,
    }
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)
