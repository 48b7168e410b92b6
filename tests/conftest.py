"""Shared fixtures: isolated data directory, catalogues, and small catalogue documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from meso_formulary.catalogue import Catalogue
from meso_formulary.model import CatalogueFile

DocumentFactory = Callable[..., CatalogueFile]


@pytest.fixture(autouse=True, scope="session")
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep ``Catalogue.default()`` out of the real user data directory during tests."""
    folder = tmp_path_factory.mktemp("meso-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESO_DATA_DIR", str(folder))
        yield folder


@pytest.fixture
def catalogue() -> Iterator[Catalogue]:
    """A new in-memory catalogue holding only the reference dictionary."""
    with Catalogue.memory() as cat:
        yield cat


@pytest.fixture
def catalogue_path(tmp_path: Path) -> Path:
    """Where a test's catalogue file goes (not created yet)."""
    return tmp_path / "catalogue.db"


def cocktail_data(
    supplier: str,
    slug: str,
    composition: Sequence[tuple[str, float | None, str | None]] = (("biotin", 0.5, "mg/mL"),),
    **fields: Any,
) -> dict[str, Any]:
    """Plain data for one valid cocktail; ``composition`` is ``(ingredient, value, unit)``."""
    lines: list[dict[str, Any]] = []
    for ingredient, value, unit in composition:
        line: dict[str, Any] = {"ingredient": ingredient}
        if value is not None:
            line["strength"] = {"value": value, "unit": unit}
        lines.append(line)
    return {
        "id": f"{supplier}/{slug}",
        "name": fields.pop("name", f"Cocktail {slug}"),
        "supplier": supplier,
        "description": fields.pop("description", f"Test cocktail {slug} of {supplier}."),
        "composition": lines,
        "indications": fields.pop("indications", ["alopecia"]),
        "areas": fields.pop("areas", ["scalp"]),
        **fields,
    }


@pytest.fixture
def make_document() -> DocumentFactory:
    """Build a valid ``CatalogueFile``: ``make_document("acme", [cocktail dicts], version=1)``."""

    def build(
        supplier: str = "acme",
        cocktails: Sequence[dict[str, Any]] | None = None,
        *,
        version: int = 1,
        ingredients: Sequence[dict[str, Any]] = (),
        name: str | None = None,
    ) -> CatalogueFile:
        if cocktails is None:
            cocktails = [cocktail_data(supplier, "hair-one")]
        return CatalogueFile.model_validate(
            {
                "supplier": {"id": supplier, "name": name or f"{supplier.title()} Labs"},
                "version": version,
                "ingredients": list(ingredients),
                "cocktails": list(cocktails),
            }
        )

    return build


@pytest.fixture
def make_cocktail() -> Callable[..., dict[str, Any]]:
    """:func:`cocktail_data`: ``make_cocktail("acme", "slug", [(ingredient, value, unit)])``."""
    return cocktail_data
