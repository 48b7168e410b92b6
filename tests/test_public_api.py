"""The public API: every exported name resolves, type checkers see the same names as Python
does, and importing the packages stays cheap.

Each public package exports its names three ways (meso_formulary/_lazy.py says why): the
lazy map Python uses, a literal ``__all__`` and the ``TYPE_CHECKING`` imports mypy uses. These
tests keep the three in step; tests/test_typing.py runs mypy on them as a user would.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from meso_formulary.catalogue.search import SearchFields, SearchRequest

PACKAGES = ("meso_formulary", "meso_formulary.catalogue", "meso_formulary.catalogue.search")
EAGER = {"meso_formulary": {"__version__"}}
"""Exported names that a package binds when it is imported (not lazily)."""


def lazy_map(package: ModuleType) -> dict[str, str]:
    """Name -> absolute module, as the package resolves it at run time."""
    exports: dict[str, str] = vars(package)["_EXPORTS"]
    return {
        name: importlib.util.resolve_name(module, package.__name__)
        for name, module in exports.items()
    }


def type_checking_map(package: ModuleType) -> dict[str, str]:
    """Name -> module, from the package's ``if TYPE_CHECKING:`` imports (what mypy sees)."""
    tree = ast.parse(Path(str(package.__file__)).read_text(encoding="utf-8"))
    (block,) = (
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    found: dict[str, str] = {}
    for statement in block.body:
        assert isinstance(statement, ast.ImportFrom) and statement.level == 0, ast.unparse(
            statement
        )
        for alias in statement.names:
            found[alias.asname or alias.name] = str(statement.module)
    return found


@pytest.mark.parametrize("name", PACKAGES)
def test_all_the_lazy_map_and_the_type_checking_imports_agree(name: str) -> None:
    package = importlib.import_module(name)
    lazy = lazy_map(package)
    assert type_checking_map(package) == lazy
    assert sorted(package.__all__) == sorted({*lazy, *EAGER.get(name, ())})


@pytest.mark.parametrize(
    ("package", "name"),
    [(package, name) for package in PACKAGES for name in importlib.import_module(package).__all__],
)
def test_every_exported_name_resolves_to_its_module_s_object(package: str, name: str) -> None:
    module = importlib.import_module(package)
    value = getattr(module, name)
    origin = lazy_map(module).get(name)
    if origin is None:
        assert value is not None
    else:
        assert value is getattr(importlib.import_module(origin), name)
    assert name in dir(module)


@pytest.mark.parametrize("package", PACKAGES)
def test_unknown_names_raise_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'nope'"):
        module.nope  # noqa: B018


def test_search_fields_name_every_field_of_the_request() -> None:
    # SearchFields types SearchRequest's keyword arguments for mypy; it must not drift.
    # (A field given by another name, ``client`` for ``clients``, is typed by that name.)
    given = {field.alias or name for name, field in SearchRequest.model_fields.items()}
    assert set(SearchFields.__annotations__) == given


def test_importing_the_packages_does_not_import_pydantic_or_sqlite_utils() -> None:
    heavy = ("pydantic", "sqlite_utils", "rich", "rapidfuzz")
    probe = (
        "import sys, meso_formulary, meso_formulary.catalogue, meso_formulary.catalogue.search;"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
