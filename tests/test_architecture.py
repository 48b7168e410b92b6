"""The tree shows the layers: no import cycles, one module per base name, and the import-linter
contract in pyproject.toml names the layers the tree has.

The import graph is grimp's (the library import-linter runs on), with every import counted:
those inside functions and under ``TYPE_CHECKING`` too. grimp finds modules by walking the
package's folder, so the graph is built in the tree ``scripts/installed_tree.py`` lays out
as the package installs (``catalogue/``, ``cli/`` and ``web/`` inside ``meso_formulary/``).
``lint-imports`` checks the contracts themselves (``.ci/run``); the contract ``acyclic``
checks siblings (packages squashed), which cannot see a package's ``__init__`` in a cycle
with its own submodules: :func:`test_no_import_cycles` looks at every module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "meso_formulary"
SHARED_NAMES = frozenset({"__init__", "__main__"})
"""Base names that any package may have."""

_DUMP = """
import json, os, grimp
graph = grimp.build_graph("meso_formulary", cache_dir=None)
imports = []
for importer in sorted(graph.modules):
    for imported in sorted(graph.find_modules_directly_imported_by(importer)):
        details = graph.get_import_details(importer=importer, imported=imported)
        lines = sorted(f"line {d['line_number']}: {d['line_contents']}" for d in details)
        imports.append([importer, imported, lines])
files = sorted(
    os.path.relpath(os.path.join(folder, name))
    for folder, dirs, names in os.walk("meso_formulary", followlinks=True)
    for name in names
    if name.endswith(".py")
)
print(json.dumps({"modules": sorted(graph.modules), "imports": imports, "files": files}))
"""


@dataclass(frozen=True)
class Tree:
    """The installed package's modules, their imports and their files."""

    modules: frozenset[str]
    imports: dict[str, dict[str, list[str]]]
    """importer -> imported -> where (``line N: text``)."""
    files: tuple[str, ...]
    """Every ``.py`` file, relative to the folder holding ``meso_formulary/``."""

    def children(self, package: str) -> set[str]:
        """The last names of ``package``'s direct submodules and sub-packages."""
        prefix = f"{package}."
        tails = (
            module.removeprefix(prefix) for module in self.modules if module.startswith(prefix)
        )
        return {tail for tail in tails if "." not in tail}


@pytest.fixture(scope="module")
def tree() -> Tree:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "installed_tree.py"), sys.executable, "-c", _DUMP],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    dump = json.loads(result.stdout)
    imports: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for importer, imported, lines in dump["imports"]:
        imports[importer][imported] = lines
    return Tree(frozenset(dump["modules"]), dict(imports), tuple(dump["files"]))


@pytest.fixture(scope="module")
def contracts() -> dict[str, dict[str, Any]]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        config = tomllib.load(handle)["tool"]["importlinter"]
    assert config["root_package"] == PACKAGE
    return {contract["id"]: contract for contract in config["contracts"]}


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_strongly_connected_components() -> None:
    graph = {"a": {"b": []}, "b": {"c": []}, "c": {"a": [], "d": []}, "d": {}, "e": {"e": []}}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["d"], ["e"]]


def test_no_import_cycles(tree: Tree) -> None:
    cycles = [c for c in strongly_connected(tree.imports) if len(c) > 1]
    report = [
        "import cycle: "
        + ", ".join(cycle)
        + "".join(
            f"\n  {importer} -> {imported} ({'; '.join(where)})"
            for importer in cycle
            for imported, where in sorted(tree.imports.get(importer, {}).items())
            if imported in cycle
        )
        for cycle in cycles
    ]
    assert not report, "\n".join(report)


def test_the_graph_holds_every_module_of_the_installed_tree(tree: Tree) -> None:
    # grimp skips a folder without __init__.py inside a package: its modules would go unchecked;
    # and without the installed layout it would see none of catalogue/, cli/ and web/.
    for path in tree.files:
        parts = Path(path).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        assert module in tree.modules, path
    assert {"meso_formulary.catalogue.store.catalogue_store", "meso_formulary.web.plugin"} <= (
        tree.modules
    )


def test_no_two_modules_share_a_base_name(tree: Tree) -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in tree.files:
        name = Path(path).stem
        if name not in SHARED_NAMES:
            by_name[name].append(path)
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert not shared, shared


def layer_names(layer: str) -> set[str]:
    """The modules' last names in one layer of a ``layers`` contract (``a | b`` or ``a : b``)."""
    return {name.strip() for name in layer.replace(":", "|").split("|")}


def test_the_contract_names_the_layers_the_tree_has(
    tree: Tree, contracts: dict[str, dict[str, Any]]
) -> None:
    # Each folder at the repository's root is a layer: the entry point, the front ends cli/
    # and web/ (independent), then catalogue/; the core is what meso_formulary/ itself holds.
    main = contracts["layers"]
    assert (main["type"], main["containers"], main["exhaustive"]) == ("layers", [PACKAGE], True)
    assert main["layers"][:3] == ["__main__", "cli | web", "catalogue"]
    with (ROOT / "pyproject.toml").open("rb") as handle:
        package_dir = tomllib.load(handle)["tool"]["setuptools"]["package-dir"]
    assert set(package_dir) == {
        PACKAGE,
        *(f"{PACKAGE}.{name}" for name in ("catalogue", "cli", "web")),
    }
    (core_layer,) = main["layers"][3:]
    core = layer_names(core_layer)
    assert {"__main__", "cli", "web", "catalogue", *core} == tree.children(PACKAGE)
    # Inside the catalogue, each sub-package (and CosIng) is named in a layer.
    inner = contracts["catalogue"]
    assert (inner["type"], inner["containers"], inner["exhaustive"]) == (
        "layers",
        [f"{PACKAGE}.catalogue"],
        True,
    )
    named = set().union(*(layer_names(layer) for layer in inner["layers"]))
    assert named == tree.children(f"{PACKAGE}.catalogue")
    # The core's own ladder names core modules only.
    assert set().union(*(layer_names(layer) for layer in contracts["core"]["layers"])) <= core
    acyclic = contracts["acyclic"]
    assert (acyclic["type"], acyclic["ancestors"]) == ("acyclic_siblings", [PACKAGE])


def test_the_architecture_notes_name_every_module(tree: Tree) -> None:
    notes = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        path
        for path in tree.files
        if Path(path).stem not in SHARED_NAMES and f"`{Path(path).name}`" not in notes
    ]
    assert not missing, f"docs/architecture.md does not describe {missing}"
