"""What the search page and its JSON twin show for a :class:`SearchResults`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from meso_formulary.catalogue.search.api import SearchRequest, SearchResults
from meso_formulary.catalogue.search.reading_text import relaxation_lines
from meso_formulary.catalogue.search.runner import FACET_LIMIT
from meso_formulary.catalogue.search.screening_text import excluded_lines, hidden_line
from meso_formulary.catalogue.store.cocktail_card import CocktailCard
from meso_formulary.model import Area
from meso_formulary.notice import NOT_MEDICAL_ADVICE
from meso_formulary.web.forms import (
    CONDITION_GROUPS,
    EXCLUDABLE_CLASSES,
    EXCLUDABLE_ORIGINS,
    SearchForm,
    query_string,
)
from meso_formulary.web.pages import words
from meso_formulary.web.paths import SEARCH_PATH, cocktail_url

FILTER_LABELS = {
    "ingredient": "contains",
    "supplier": "supplier",
    "technique": "technique",
    "max_actives": "at most this many actives",
    "indication": "concern",
    "ingredient_class": "contains the class",
}
"""How the page names the filters its form has no control for (kept as hidden fields)."""

FACET_TITLES = {
    "indication": "Concern",
    "area": "Area",
    "supplier": "Supplier",
    "ingredient_class": "Contains",
}

FACET_ARGUMENTS = {
    "indication": "indication",
    "area": "area",
    "supplier": "supplier",
    "ingredient_class": "ingredient_class",
}
"""The search argument (a field of :class:`SearchForm` too) each facet's links set."""


@dataclass(frozen=True)
class Labels:
    """Names to show for ids: indications, suppliers and areas (ids of other kinds as
    words)."""

    indications: Mapping[str, str]
    suppliers: Mapping[str, str]
    areas: Mapping[str, str]

    def __call__(self, kind: str, key: str) -> str:
        kinds = {"indication": self.indications, "supplier": self.suppliers, "area": self.areas}
        return kinds.get(kind, {}).get(key) or words(key)


def form_context(
    form: SearchForm, conditions: Mapping[str, str], area_names: Mapping[str, str]
) -> dict[str, Any]:
    """The form's tick boxes (the client's conditions by group, with the names in
    ``conditions``: id -> name) and area choices (named by ``area_names``), as submitted,
    and how many of them are
    set (``filters_set``: the page folds them away once there are results, and says so);
    the filters the form has no control for (``kept_filters``: ingredient, supplier ...),
    kept as hidden fields."""
    condition_groups = [
        {
            "title": title,
            "options": [
                {
                    "value": c.value,
                    "label": conditions.get(c.value) or words(c.value),
                    "checked": c.value in form.clients,
                }
                for c in members
            ],
        }
        for title, members in CONDITION_GROUPS.items()
    ]
    exclusions = [
        {"name": "exclude_class", "value": v, "label": label, "checked": v in form.exclude_classes}
        for v, label in EXCLUDABLE_CLASSES.items()
    ] + [
        {"name": "exclude_origin", "value": v, "label": label, "checked": v in form.exclude_origins}
        for v, label in EXCLUDABLE_ORIGINS.items()
    ]
    areas = [
        {
            "value": a.value,
            "label": area_names.get(a.value) or words(a.value),
            "selected": a.value == form.area,
        }
        for a in Area
    ]
    kept = [
        {"name": name, "value": value, "label": f"{FILTER_LABELS[name]}: {value}"}
        for name, value in form.filters
    ]
    filters_set = (
        len(form.clients)
        + len(form.exclude_classes)
        + len(form.exclude_origins)
        + bool(form.exclude)
        + bool(form.area)
    )
    return {
        "form": form,
        "filters_set": filters_set,
        "kept_filters": kept,
        "condition_groups": condition_groups,
        "exclusions": exclusions,
        "areas": areas,
    }


def _active(request: SearchRequest, kind: str) -> str | None:
    """The value of facet ``kind``'s filter in ``request`` (as the facet counts it)."""
    value = getattr(request, FACET_ARGUMENTS[kind])
    return None if value is None else str(getattr(value, "value", value))


def facet_context(
    results: SearchResults,
    form: SearchForm,
    request: SearchRequest,
    label: Labels,
    page: Callable[[SearchForm], str],
) -> list[dict[str, Any]]:
    """Each facet's values as links that add the value's filter to the search (the other
    arguments kept, back to the first page); a facet whose filter is on shows that value
    alone, selected, with a link that removes it (the other values' counts are of this
    search, not of the one the link would run)."""
    facets = []
    for kind, counts in results.facets.items():
        if kind not in FACET_ARGUMENTS or not counts:
            continue
        field = FACET_ARGUMENTS[kind]
        active = _active(request, kind)
        if active is not None:
            items = [
                {
                    "label": label(kind, active),
                    "count": results.total,
                    "selected": True,
                    "url": page(form.with_facet(field, "")),
                }
            ]
        else:
            items = [
                {
                    "label": label(kind, key),
                    "count": n,
                    "selected": False,
                    "url": page(form.with_facet(field, key)),
                }
                for key, n in counts.items()
            ]
        facets.append({"kind": kind, "title": FACET_TITLES.get(kind, words(kind)), "items": items})
    return facets


def card_context(card: CocktailCard | None) -> dict[str, Any] | None:
    """A hit's card as the page shows it (``None`` when the cocktail left the catalogue
    between the search and the read)."""
    if card is None:
        return None
    return {
        "course": card.course,
        "areas": ", ".join(card.areas),
        "anaesthetics": ", ".join(card.anaesthetics),
        "animal": [flag.text for flag in card.origins if flag.animal],
        "origins": ", ".join(words(flag.origin) for flag in card.origins if not flag.animal),
        "product_type": card.product_type,
        "warnings": [warning.text for warning in card.warnings],
    }


def results_context(
    datasette: Any,
    form: SearchForm,
    request: SearchRequest,
    results: SearchResults,
    label: Labels,
    cards: Mapping[str, CocktailCard],
) -> dict[str, Any]:
    """Hits with links, reasons and cards (``cards`` by cocktail id), facet links, how the
    text was read, paging links."""
    search_url = datasette.urls.path(SEARCH_PATH)

    def page(offset: int, changed: SearchForm = form) -> str:
        return f"{search_url}?{query_string(changed, request, offset)}"

    offset, limit = request.offset, request.limit
    # The cocktail page marks what applies to the same client.
    marks = f"?{urlencode([('client', c) for c in form.clients])}" if form.clients else ""
    hits = [
        {
            "id": hit.id,
            "name": hit.name,
            "supplier": label("supplier", hit.supplier),
            "url": cocktail_url(datasette, hit.id) + marks,
            "indications": [label("indication", i.value) for i in hit.indications],
            "key_actives": hit.key_actives,
            "why": hit.why,
            "provenance": hit.provenance,
            "card": card_context(cards.get(hit.id)),
        }
        for hit in results.hits
    ]
    facets = facet_context(results, form, request, label, lambda changed: page(0, changed))
    concerns = [
        f"“{c.term}” as {label('indication', c.indication_id.value)}"
        + (f" (read as “{c.matched}”)" if c.how == "fuzzy" else "")
        for c in results.concerns
    ]
    concerns += [f"“{a.term}” as the area {label('area', a.area.value)}" for a in results.areas]
    concerns += [f"“{b.term}” as the brand {b.brand}" for b in results.brands]
    return {
        "results": results,
        "hidden": hidden_line(results.screening),
        "excluded": excluded_lines(results.screening),
        "hits": hits,
        "facets": facets,
        "facet_limit": f"{FACET_LIMIT:,}",
        "concerns": concerns,
        "did_you_mean": [
            {"text": text, "url": page(0, replace(form, q=text))} for text in results.did_you_mean
        ],
        "relaxed": relaxation_lines(results),
        "covered": results.covered,
        "untreated": results.untreated,
        "json_url": f"{search_url}.json?{query_string(form, request, offset)}",
        "first": offset + 1,
        "last": offset + len(hits),
        "previous_url": page(max(offset - limit, 0)) if offset else None,
        "next_url": page(offset + limit) if offset + limit < results.total else None,
    }


def results_json(
    request: SearchRequest, results: SearchResults, cards: Mapping[str, CocktailCard]
) -> dict[str, Any]:
    """The JSON answer. Each hit has the fields of ``meso search --json``, in its order
    (``provenance``: verified, draft or reference, with the signing key's fingerprint),
    then ``card``: what the page's result card says (course, areas, anaesthetics, origins,
    product type, rule warnings; see
    :meth:`~meso_formulary.catalogue.store.cocktail_view.CocktailCard.as_dict`);
    ``screening`` says what the search hid and why (``excluded``: each name as typed, the
    substances it covered and the cocktails it hid; ``conditions``: each client condition
    and the cocktails it hid; ``hidden``: the cocktails hidden in all, each once)."""
    return {
        "ok": True,
        "request": request.model_dump(mode="json"),
        "total": results.total,
        "hits": [
            {
                **hit.model_dump(mode="json"),
                "card": card.as_dict() if (card := cards.get(hit.id)) is not None else None,
            }
            for hit in results.hits
        ],
        "facets": results.facets,
        "concerns": [concern.model_dump(mode="json") for concern in results.concerns],
        "areas": [area.model_dump(mode="json") for area in results.areas],
        "brands": [brand.model_dump(mode="json") for brand in results.brands],
        "relaxed": results.relaxed,
        "covered": results.covered,
        "untreated": results.untreated,
        "unread": results.unread,
        "did_you_mean": results.did_you_mean,
        "screening": results.screening.model_dump(mode="json"),
        "note": NOT_MEDICAL_ADVICE,
    }
