"""The documentation site's checks (docs/_ext) and the examples in the API reference.

Building the site takes some seconds, too slow for the suite: ``.ci/run`` builds it with
warnings as errors. Here the functions that decide those warnings are tested on their own,
on fake objects (so it is shown that they can fail), and the ``>>>`` examples of the public
docstrings and of ``docs/api`` are run, so that the reference shows nothing untrue.
"""

from __future__ import annotations

import doctest
import enum
import importlib
import inspect
import re
import sys
from pathlib import Path, PurePosixPath
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

pytest.importorskip("sphinx", reason="the docs extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import meso_api  # noqa: E402
import repo_links  # noqa: E402


def no_docstring() -> None:
    pass


def test_a_public_object_without_a_docstring_is_reported() -> None:
    lines = (no_docstring.__doc__ or "").splitlines()
    assert meso_api.missing_docstring("function", "meso_formulary.no_docstring", lines)
    assert meso_api.missing_docstring("class", "meso_formulary.Thing", ["", "  "])
    assert meso_api.missing_docstring("method", "meso_formulary.Thing.run", [])


def test_a_docstring_a_private_name_or_an_unchecked_kind_is_not_reported() -> None:
    assert not meso_api.missing_docstring("function", "meso_formulary.f", ["Does f."])
    assert not meso_api.missing_docstring("function", "meso_formulary._helper", [])
    assert not meso_api.missing_docstring("method", "meso_formulary.Thing._run", [])
    assert not meso_api.missing_docstring("attribute", "meso_formulary.Thing.x", [])
    assert meso_api.is_public("meso_formulary.__version__")


def test_a_public_name_missing_from_the_reference_is_reported() -> None:
    public = ["meso_formulary.Cocktail", "meso_formulary.validate"]
    assert meso_api.undocumented(public, {"meso_formulary.Cocktail"}) == ["meso_formulary.validate"]
    assert meso_api.undocumented(public, set(public)) == []


def test_every_public_name_is_on_a_page_of_the_reference() -> None:
    # The build checks this against what autodoc documented; this finds it without a build.
    named: set[str] = set()
    for page in sorted((ROOT / "docs" / "api").glob("*.rst")):
        module = ""
        for line in page.read_text(encoding="utf-8").splitlines():
            if found := re.match(r"\.\. currentmodule:: (\S+)", line):
                module = found[1]
            elif found := re.match(r"\.\. auto(?:class|exception|function|data):: (\S+)", line):
                named.add(f"{module}.{found[1]}")
    assert meso_api.undocumented(meso_api.public_names(), named) == []


def test_every_public_object_has_a_docstring() -> None:
    missing = [
        name
        for name, value in meso_api.public_names().items()
        if (inspect.isclass(value) or inspect.isroutine(value))
        and not (value.__doc__ or "").strip()
    ]
    assert missing == []


def test_a_reference_to_where_an_object_is_defined_names_its_public_name() -> None:
    canonical = meso_api.canonical_names(meso_api.public_names())
    assert canonical["meso_formulary.model.Cocktail"] == "meso_formulary.Cocktail"
    assert canonical["meso_formulary.catalogue.search.api.search"] == (
        "meso_formulary.catalogue.search.search"
    )


def test_internal_objects_exist_and_broken_names_do_not() -> None:
    modules = ["meso_formulary.schedule", "meso_formulary.catalogue.search.runner"]
    assert meso_api.internal_object_exists("meso_formulary.model.Record", modules)
    assert meso_api.internal_object_exists("runner.Query", modules)
    assert meso_api.internal_object_exists("meso_formulary.StrengthRange.scope", modules)
    assert not meso_api.internal_object_exists("meso_formulary.model.Recrod", modules)
    assert not meso_api.internal_object_exists("runner.Qeury", modules)
    # imported by the package, not defined in it: the standard library's
    assert not meso_api.internal_object_exists("date", modules)


class Colour(enum.StrEnum):
    """A fake vocabulary."""

    RED = "red"


class Swatch(BaseModel):
    """A fake record."""

    name: Annotated[str, Field(min_length=1)]
    shade: Annotated[float, Field(ge=0)] | None = Field(default=None, description="how dark")
    colour: Colour = Colour.RED
    tags: tuple[Annotated[str, Field(max_length=9)], ...] = ()


def test_a_record_is_shown_as_a_table_of_plain_types() -> None:
    fields = meso_api.record_fields(Swatch)
    assert fields is not None
    assert [(f.name, f.annotation, f.default, f.meaning) for f in fields] == [
        ("name", str, "required", ""),
        ("shade", float | None, "``None``", "how dark"),
        ("colour", Colour, "``'red'``", ""),
        ("tags", tuple[str, ...], "``()``", ""),
    ]
    table = "\n".join(meso_api.field_table(fields))
    assert ".. list-table::" in table
    assert "Annotated" not in table
    assert meso_api.record_fields(Colour) is None
    assert "``'red'``" in "\n".join(meso_api.value_table(Colour))


def test_a_re_exported_constant_is_documented_where_it_is_assigned() -> None:
    doc = meso_api.exported_data_doc("meso_formulary.catalogue.ProgressCallback")
    assert "ImportProgress" in " ".join(doc)
    assert meso_api.defining_module(
        "meso_formulary.catalogue.store.sql_schema", "SCHEMA_VERSION"
    ) == ("meso_formulary.catalogue.store.connect")


@pytest.mark.parametrize(
    ("link", "site"),
    [
        ("docs/cli.md", "cli.md"),
        ("docs/web.md#json-api", "web.md#json-api"),
        ("docs/screenshot-search.png", "screenshot-search.png"),
        ("bench/README.md#search-evaluation", "benchmarks.md#search-evaluation"),
        ("bench/", "benchmarks.md"),
        ("examples/", "publishing.md#1-the-catalogue-file"),
        ("schema/catalogue.schema.json", "../schema/catalogue.schema.json"),
        ("https://example.org/a.md", "https://example.org/a.md"),
        ("#the-catalogue", "#the-catalogue"),
    ],
)
def test_the_readme_s_links_are_rewritten_for_the_site(link: str, site: str) -> None:
    readme, docs = PurePosixPath("README.md"), PurePosixPath("docs")
    assert repo_links.site_link(link, readme, docs) == site
    assert repo_links.rewrite_links(f"see [x]({link}).", readme, docs) == f"see [x]({site})."


def public_docstring_examples() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder()
    tests: dict[str, doctest.DocTest] = {}
    for name, value in meso_api.public_names().items():
        if inspect.isclass(value) or inspect.isroutine(value):
            module = importlib.import_module(value.__module__)
            for test in finder.find(value, name, module=module):
                if test.examples:
                    tests.setdefault(test.name, test)
    return sorted(tests.values(), key=lambda test: test.name)


@pytest.mark.parametrize("example", public_docstring_examples(), ids=lambda test: test.name)
def test_the_examples_in_the_public_docstrings_are_true(example: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(example)
    assert result.failed == 0


def test_the_examples_of_the_reference_pages_are_true() -> None:
    pages = sorted((ROOT / "docs" / "api").glob("*.rst"))
    attempted = 0
    for page in pages:
        result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, page
        attempted += result.attempted
    assert attempted > 0
