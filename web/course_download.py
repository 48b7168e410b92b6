"""``/-/meso-cocktail/<supplier>/<slug>.ics``: the course the cocktail page plans, as the
iCalendar file ``meso schedule --ics`` writes for the same inputs.

The query string is the planner's: ``start=YYYY-MM-DD`` (today when absent), ``time=HH:MM``
(09:00) and ``avoid_weekends=1|0`` (1, as on the page: see :mod:`meso_formulary.web.pages`).
The calendar is :func:`~meso_formulary.catalogue.store.schedule_ics.ics_calendar`'s; a
cocktail without a stored course, an unknown cocktail or an unreadable date answers the
cocktail page's problem page (400 or 404), never a calendar.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette.utils.asgi import Response

from meso_formulary.catalogue.store.cocktail_view import load_cocktail
from meso_formulary.catalogue.store.schedule_ics import ics_calendar
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound
from meso_formulary.web import attached
from meso_formulary.web.pages import plan, session_options
from meso_formulary.web.views import (
    Problem,
    _catalogue,
    _cocktail_address,
    _only_get,
    _problem_page,
    _start_date,
    _unreadable,
)

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


async def course_ics_view(datasette: Any, request: Any) -> Response:
    """The planned course of ``<supplier>/<slug>`` as an ``.ics`` attachment."""
    try:
        _only_get(request)
        catalogue = _catalogue(datasette)
        supplier, slug = _cocktail_address(request)
        start = _start_date(request.args.get("start"))
        try:
            options = session_options(request.args)
        except InvalidInput as error:
            raise Problem(400, "Cannot plan this course", error.message) from None
        try:
            cocktail = await attached.run(
                datasette, catalogue, lambda cat: load_cocktail(cat.conn, f"{supplier}/{slug}")
            )
        except NotFound as error:
            raise Problem(404, "No such cocktail", error.message, error.hint) from None
        except (CatalogueError, sqlite3.Error) as error:
            raise _unreadable(error) from None
        try:
            course = plan(cocktail, start, options)
        except InvalidInput as error:
            raise Problem(400, "Cannot plan this course", error.message) from None
        if course is None:
            raise Problem(
                400,
                "No course to plan",
                f"{cocktail.id} has no protocol: no source gives its sessions and interval.",
                "Plan it with your own figures: meso schedule ID --sessions N --interval DAYS",
            )
    except Problem as problem:
        return await _problem_page(datasette, request, problem)
    filename = f"{supplier}-{slug}-{start.isoformat()}.ics"
    return Response(
        ics_calendar(cocktail, course).decode("utf-8"),
        content_type=ICS_CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
