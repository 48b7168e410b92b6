"""The addresses of the plugin's pages (below Datasette's ``/-/``, so no table can shadow them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

SEARCH_PATH = "/-/meso-search"
COCKTAIL_PATH = "/-/meso-cocktail"
COMPARE_PATH = "/-/meso-compare"
STATIC_PATH = "/-/meso-static"


def cocktail_url(datasette: Any, cocktail_id: str) -> str:
    """The page of cocktail ``cocktail_id`` (``supplier/slug``), under Datasette's base URL."""
    supplier, slug = cocktail_id.split("/", 1)
    return str(datasette.urls.path(f"{COCKTAIL_PATH}/{quote(supplier)}/{quote(slug)}"))
