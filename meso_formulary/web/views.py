"""The plugin's pages: search by concern (HTML and JSON) and one cocktail.

A request the pages cannot answer gets a page that says why, with status 400 (a search that
cannot be run), 404 (no such cocktail, no catalogue) or 405 (not a GET); never a 500.
Every value reaches the page through Jinja's autoescaping: supplier text is untrusted.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import quote

from datasette.utils.asgi import Response

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search import SearchRequest, SearchResults, search
from meso_formulary.errors import InvalidInput, NotFound, SearchError
from meso_formulary.identifiers import SLUG_RE
from meso_formulary.model import Area
from meso_formulary.web import attached
from meso_formulary.web.forms import (
    EXCLUDABLE_CLASSES,
    EXCLUDABLE_ORIGINS,
    SearchForm,
    query_string,
    read_form,
)
from meso_formulary.web.metadata import NOT_MEDICAL_ADVICE, safe_url
from meso_formulary.web.pages import load_page, timeline, words

SEARCH_PATH = "/-/meso-search"
COCKTAIL_PATH = "/-/meso-cocktail"
STATIC_PATH = "/-/meso-static"

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_FACET_TITLES = {
    "indication": "Concern",
    "supplier": "Supplier",
    "ingredient_class": "Contains",
}


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
    try:
        _only_get(request)
        catalogue = _catalogue(datasette)
        form = read_form(request.args)
        if not form.submitted and not as_json:
            return await _search_page(datasette, request, form)
        search_request = _search_request(form)
        results, names = await attached.run(
            datasette, catalogue, lambda cat: (search(cat, search_request), _indication_names(cat))
        )
    except Problem as problem:
        if as_json:
            return _json_problem(problem)
        if problem.status == 400:
            return await _search_page(datasette, request, read_form(request.args), problem)
        return await _problem_page(datasette, request, problem)
    if as_json:
        return Response.json(_results_json(search_request, results))
    return await _search_page(datasette, request, form, None, (search_request, results, names))


async def cocktail_view(datasette: Any, request: Any) -> Response:
    """``/-/meso-cocktail/<supplier>/<slug>``: composition, course, aftercare, sources."""
    try:
        _only_get(request)
        catalogue = _catalogue(datasette)
        supplier, slug = request.url_vars["supplier"], request.url_vars["slug"]
        if not (SLUG_RE.fullmatch(supplier) and SLUG_RE.fullmatch(slug)):
            raise Problem(404, "No such cocktail", "A cocktail address is /supplier/name.")
        start = _start_date(request.args.get("start"))
        try:
            page = await attached.run(
                datasette, catalogue, lambda cat: load_page(cat, f"{supplier}/{slug}")
            )
        except NotFound as error:
            raise Problem(404, "No such cocktail", error.message, error.hint) from None
        try:
            course = timeline(page.cocktail, start)
        except InvalidInput as error:
            raise Problem(400, "Cannot plan this course", error.message) from None
    except Problem as problem:
        return await _problem_page(datasette, request, problem)
    context = {
        "cocktail": page.cocktail,
        "supplier": page.supplier,
        "supplier_url": safe_url(page.supplier.url if page.supplier else None),
        "composition": page.composition,
        "indications": page.indications,
        "areas": page.areas,
        "status": page.status,
        "administration": page.administration,
        "aftercare": page.aftercare,
        "effects": page.effects,
        "timeline": course,
        "row_url": datasette.urls.table(catalogue.name, "cocktails")
        + "?id="
        + quote(page.cocktail.id, safe=""),
    }
    return await _render(datasette, request, "meso_cocktail.html", context)


def cocktail_url(datasette: Any, cocktail_id: str) -> str:
    """The page of cocktail ``cocktail_id`` (``supplier/slug``)."""
    supplier, slug = cocktail_id.split("/", 1)
    return str(datasette.urls.path(f"{COCKTAIL_PATH}/{quote(supplier)}/{quote(slug)}"))


# ---------------------------------------------------------------- the search page


def _search_request(form: SearchForm) -> SearchRequest:
    try:
        return form.to_request()
    except SearchError as error:
        raise Problem(400, "This search could not be run", error.message, error.hint) from None


def _indication_names(catalogue: Catalogue) -> dict[str, str]:
    return {indication.id.value: indication.name for indication in catalogue.indications()}


async def _search_page(
    datasette: Any,
    request: Any,
    form: SearchForm,
    problem: Problem | None = None,
    answer: tuple[SearchRequest, SearchResults, dict[str, str]] | None = None,
) -> Response:
    search_url = datasette.urls.path(SEARCH_PATH)
    context: dict[str, Any] = {
        "form": form,
        "exclusions": _exclusions(form),
        "areas": [
            {"value": a.value, "label": words(a.value), "selected": a.value == form.area}
            for a in Area
        ],
        "problems": [] if problem is None else [p for p in (problem.message, problem.hint) if p],
        "results": None,
        "json_url": None,
    }
    if answer is not None:
        search_request, results, names = answer
        context.update(_results_context(datasette, form, search_request, results, names))
    context["search_url"] = search_url
    status = 200 if problem is None else problem.status
    return await _render(datasette, request, "meso_search.html", context, status)


def _exclusions(form: SearchForm) -> list[dict[str, Any]]:
    options = [
        {"name": "exclude_class", "value": v, "label": label, "checked": v in form.exclude_classes}
        for v, label in EXCLUDABLE_CLASSES.items()
    ]
    options += [
        {"name": "exclude_origin", "value": v, "label": label, "checked": v in form.exclude_origins}
        for v, label in EXCLUDABLE_ORIGINS.items()
    ]
    return options


def _results_context(
    datasette: Any,
    form: SearchForm,
    search_request: SearchRequest,
    results: SearchResults,
    names: dict[str, str],
) -> dict[str, Any]:
    search_url = datasette.urls.path(SEARCH_PATH)
    offset, limit = search_request.offset, search_request.limit
    hits = [
        {
            "id": hit.id,
            "name": hit.name,
            "supplier": hit.supplier,
            "url": cocktail_url(datasette, hit.id),
            "indications": [names.get(i.value, words(i.value)) for i in hit.indications],
            "key_actives": hit.key_actives,
            "why": hit.why,
        }
        for hit in results.hits
    ]
    facets = [
        {
            "title": _FACET_TITLES.get(kind, words(kind)),
            "items": [
                {"label": names.get(key, words(key)) if kind == "indication" else words(key), "count": n}
                for key, n in counts.items()
            ],
        }
        for kind, counts in results.facets.items()
        if counts
    ]
    concerns = [
        f"“{c.term}” as {names.get(c.indication_id.value, words(c.indication_id.value))}"
        + (f" (read as “{c.matched}”)" if c.how == "fuzzy" else "")
        for c in results.concerns
    ]
    suggestions = [
        {"text": text, "url": f"{search_url}?{query_string(replace(form, q=text), search_request, 0)}"}
        for text in results.did_you_mean
    ]
    previous_offset = max(offset - limit, 0)
    return {
        "results": results,
        "hits": hits,
        "facets": facets,
        "concerns": concerns,
        "did_you_mean": suggestions,
        "json_url": f"{search_url}.json?{query_string(form, search_request, offset)}",
        "first": offset + 1,
        "last": offset + len(hits),
        "previous_url": (
            f"{search_url}?{query_string(form, search_request, previous_offset)}" if offset else None
        ),
        "next_url": (
            f"{search_url}?{query_string(form, search_request, offset + limit)}"
            if offset + limit < results.total
            else None
        ),
    }


def _results_json(search_request: SearchRequest, results: SearchResults) -> dict[str, Any]:
    """The JSON answer: each hit has the fields of ``meso search --json``."""
    return {
        "ok": True,
        "request": search_request.model_dump(mode="json"),
        "total": results.total,
        "hits": [hit.model_dump(mode="json") for hit in results.hits],
        "facets": results.facets,
        "concerns": [concern.model_dump(mode="json") for concern in results.concerns],
        "did_you_mean": results.did_you_mean,
        "note": NOT_MEDICAL_ADVICE,
    }


# ---------------------------------------------------------------- shared


def _only_get(request: Any) -> None:
    if request.method not in ("GET", "HEAD"):
        raise Problem(405, "Read-only", "These pages only answer GET requests: nothing can be changed here.")


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
            f"The catalogue {first.name} has schema version {first.schema_version}, which this "
            "release of meso-formulary cannot read.",
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


def _json_problem(problem: Problem) -> Response:
    body = {"ok": False, "error": problem.message, "hint": problem.hint, "title": problem.title}
    return Response.json(body, status=problem.status)


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
