"""Shared fixtures (isolated data directory, the ``meso`` command, catalogues, small
catalogue documents) and the Hypothesis profile every property test runs under."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_support import Meso, environment, import_testco
from hypothesis import settings

from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.lexicon import Lexicon
from meso_formulary.catalogue.search.reading import Reading
from meso_formulary.catalogue.store.default_connection import connect_default
from meso_formulary.model import CatalogueFile

DocumentFactory = Callable[..., CatalogueFile]

settings.register_profile(
    "repeatable",
    derandomize=True,  # the same examples on every run (test_fuzz draws new ones on request)
    database=None,  # no replaying of examples saved by earlier runs
    deadline=None,  # no timing: a loaded machine must not fail a test
)
settings.load_profile("repeatable")


@pytest.fixture(autouse=True, scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's ``MESO_DATA_DIR``, for the library and every ``meso`` command.

    It keeps ``Catalogue.default()`` out of the real user data directory, and the reference
    catalogue is built there once per session (per test worker) instead of once per module.
    """
    folder = tmp_path_factory.mktemp("meso-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESO_DATA_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def meso(data_dir: Path) -> Meso:
    """Runs ``meso ARGS...`` in-process (see :class:`cli_support.Meso`)."""
    return Meso(environment(data_dir))


@pytest.fixture(scope="session")
def db(meso: Meso, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue file holding ``cli_support.TESTCO``, shared by the whole session: tests
    only read it (a test that imports more makes its own with ``import_testco``)."""
    return import_testco(meso, tmp_path_factory.mktemp("testco"))


@pytest.fixture
def catalogue() -> Iterator[Catalogue]:
    """A new in-memory catalogue holding only the reference dictionary."""
    with Catalogue.memory() as cat:
        yield cat


class Reader:
    """A catalogue's search lexicon and the connection it reads texts against."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.lexicon = Lexicon.from_connection(conn)

    def read(self, text: str) -> Reading:
        """What ``text`` names in the catalogue (:meth:`Lexicon.read`)."""
        return self.lexicon.read(self.conn, text)


@pytest.fixture(scope="module")
def shipped() -> Iterator[Reader]:
    """The embedded reference catalogue's vocabulary: what a practitioner's words meet in
    real use (one read-only connection per test module)."""
    conn = connect_default()
    try:
        yield Reader(conn)
    finally:
        conn.close()


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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel, from a copy of the checkout: a build writes ``build/``
    and ``*.egg-info`` into its source tree, which parallel test workers would share, and
    left-over files there could end up in the wheel."""
    root = Path(__file__).resolve().parents[1]
    source = tmp_path_factory.mktemp("wheel-source") / root.name
    ignore = shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".cache", ".hypothesis"
    )
    shutil.copytree(root, source, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # no isolated environment: [build-system] requires are still checked
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("meso_formulary-*.whl")
    return built
