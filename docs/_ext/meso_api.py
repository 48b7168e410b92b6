"""The API reference's own Sphinx extension: readable records, and a build that fails when the
reference falls behind the public API.

Records (pydantic models and dataclasses) are shown as a table of their fields (name, type
without validation metadata, default, meaning) instead of autodoc's one attribute per field
with pydantic's ``Annotated[..., FieldInfo(...)]`` types; enumerations as a table of their
values. Two checks turn into warnings, so that ``sphinx -W`` (``.ci/run``) fails:

- a public object that autodoc documents with an empty docstring;
- a name of a public package's ``__all__`` that the reference does not document.

A cross-reference to the module an object is defined in (``meso_formulary.model.Cocktail``,
as type hints and docstrings write it) resolves to the public name it is documented under
(``meso_formulary.Cocktail``). The checks are plain functions, unit-tested in
``tests/test_docs_site.py``; the real build is ``.ci/run``'s.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import functools
import importlib
import importlib.util
import inspect
import operator
import sys
import types
import typing
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from docutils.nodes import Element
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata, restify

PUBLIC_PACKAGES = ("meso_formulary", "meso_formulary.catalogue", "meso_formulary.catalogue.search")
"""The packages whose ``__all__`` is the public API (README: "Import public names from ...")."""

CHECKED_KINDS = frozenset({"class", "exception", "function", "method", "property", "data"})
"""What autodoc documents that must have a docstring: not a module's (its page says what it
is) nor a plain class attribute's (enum members and record fields are shown in tables)."""

logger = logging.getLogger(__name__)


def public_names(packages: Iterable[str] = PUBLIC_PACKAGES) -> dict[str, object]:
    """Every public name, in full (``meso_formulary.Cocktail``), with its object."""
    found: dict[str, object] = {}
    for package in packages:
        module = importlib.import_module(package)
        for name in module.__all__:
            found[f"{package}.{name}"] = getattr(module, name)
    return found


def is_public(fullname: str) -> bool:
    """Whether no part of a dotted name is private (``__version__`` and other dunders are
    public: they are not ``_private``)."""
    return not any(
        part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
        for part in fullname.split(".")
    )


def missing_docstring(kind: str, fullname: str, lines: Iterable[str]) -> bool:
    """Whether autodoc documents a public object of a checked kind with no docstring."""
    return kind in CHECKED_KINDS and is_public(fullname) and not any(line.strip() for line in lines)


def undocumented(public: Iterable[str], documented: Collection[str]) -> list[str]:
    """The public names (in full) that the reference does not document, sorted."""
    return sorted(name for name in public if name not in documented)


def canonical_names(public: Mapping[str, object]) -> dict[str, str]:
    """Where each public class or function is defined -> the public name documenting it
    (``meso_formulary.model.Cocktail`` -> ``meso_formulary.Cocktail``)."""
    found: dict[str, str] = {}
    for name, value in public.items():
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str):
            found.setdefault(f"{module}.{qualname}", name)
    return found


def plain_type(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` metadata at any depth: the validation
    constraints are in the JSON schema and the error messages, not in a type's name."""
    if typing.get_origin(annotation) is typing.Annotated:
        return plain_type(typing.get_args(annotation)[0])
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is None or not arguments or origin is typing.Literal:
        return annotation
    stripped = tuple(plain_type(argument) for argument in arguments)
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, stripped)
    try:
        return origin[stripped]
    except TypeError:
        return annotation


def attribute_docs(cls: type) -> dict[str, str]:
    """The docstrings written under the attributes of ``cls`` (and of its bases) in source."""
    docs: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if base.__module__ == "builtins":
            continue
        try:
            analyzer = ModuleAnalyzer.for_module(base.__module__)
        except Exception:  # a class built at run time has no source to read
            continue
        for (namespace, name), lines in analyzer.find_attr_docs().items():
            if namespace == base.__qualname__:
                docs[name] = " ".join(line.strip() for line in lines if line.strip())
    return docs


@dataclasses.dataclass(frozen=True)
class Field:
    """One row of a record's table of fields."""

    name: str
    alias: str | None
    """The key in data (files, JSON), when it is not the name."""
    annotation: Any
    default: str
    """``required``, or the default's ``repr`` (an enumeration's by its value)."""
    meaning: str


def _shown_default(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return f"``{value!r}``"


def record_fields(cls: type) -> list[Field] | None:
    """The fields of a pydantic model or a dataclass, or ``None`` for another class."""
    notes = attribute_docs(cls)
    model_fields: Mapping[str, Any] | None = getattr(cls, "__pydantic_fields__", None)
    if model_fields is not None:
        rows = []
        for name, info in model_fields.items():
            if info.is_required():
                default = "required"
            elif info.default_factory is not None:
                default = _shown_default(info.get_default(call_default_factory=True))
            else:
                default = _shown_default(info.default)
            alias = None if info.alias in (None, name) else info.alias
            meaning = info.description or notes.get(name, "")
            rows.append(Field(name, alias, plain_type(info.annotation), default, meaning))
        return rows
    if dataclasses.is_dataclass(cls):
        # Names a module imports only for type checkers are public ones: resolve them so.
        local = {name.rpartition(".")[2]: value for name, value in _public().items()}
        hints = typing.get_type_hints(cls, localns=local)
        rows = []
        for field in dataclasses.fields(cls):
            if field.default is not dataclasses.MISSING:
                default = _shown_default(field.default)
            elif field.default_factory is not dataclasses.MISSING:
                default = _shown_default(field.default_factory())
            else:
                default = "required"
            annotation = plain_type(hints.get(field.name, field.type))
            meaning = notes.get(field.name, "")
            rows.append(Field(field.name, None, annotation, default, meaning))
        return rows
    return None


def _table(title: str, header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    yield ""
    yield f".. rubric:: {title}"
    yield ""
    yield ".. list-table::"
    yield "   :header-rows: 1"
    yield ""
    for row in (header, *rows):
        first, *rest = row
        yield f"   * - {first}"
        for cell in rest:
            yield f"     - {cell}" if cell else "     -"


def field_table(fields: Iterable[Field]) -> list[str]:
    """A record's fields as reStructuredText, types cross-referenced."""
    rows = (
        (
            f"``{field.name}``" + (f" (in data: ``{field.alias}``)" if field.alias else ""),
            restify(field.annotation, "smart"),
            field.default,
            field.meaning,
        )
        for field in fields
    )
    return list(_table("Fields", ("field", "type", "default", "meaning"), rows))


def value_table(members: Iterable[enum.Enum]) -> list[str]:
    """An enumeration's members and the values files and searches use."""
    rows = ((f"``{member.value!r}``", f"``{member.name}``") for member in members)
    return list(_table("Values", ("value", "member"), rows))


def defining_module(module: str, name: str) -> str:
    """The module that assigns ``name``, following ``from X import name`` re-exports from
    ``module`` (where a data object's docstring is written)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return module
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            for alias in statement.names:
                if (alias.asname or alias.name) == name and alias.name == name:
                    source = importlib.util.resolve_name(
                        "." * statement.level + statement.module, module.rpartition(".")[0]
                    )
                    return defining_module(source, name)
    return module


def exported_data_doc(fullname: str) -> list[str]:
    """The docstring written where a re-exported data object (a constant, a type alias) is
    assigned: autodoc looks for it only in the package that re-exports it."""
    package, _, name = fullname.rpartition(".")
    exports: Mapping[str, str] = vars(importlib.import_module(package)).get("_EXPORTS", {})
    module = importlib.util.resolve_name(exports[name], package) if name in exports else package
    analyzer = ModuleAnalyzer.for_module(defining_module(module, name))
    return list(analyzer.find_attr_docs().get(("", name), []))


class _State:
    """The fields of the record being documented, so that its members skip them."""

    fields: frozenset[str] = frozenset()


def _process_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    if what == "data":
        # autodoc falls back on the value's type's docstring (``str``'s for a version).
        written = exported_data_doc(name)
        if written or lines == (inspect.getdoc(type(obj)) or "").splitlines():
            lines[:] = written
    if missing_docstring(what, name, lines):
        logger.warning("public %s %s has no docstring", what, name, type="meso", subtype="doc")
    if what not in ("class", "exception") or not inspect.isclass(obj):
        return
    if issubclass(obj, enum.Enum):
        lines.extend(value_table(obj))
        _State.fields = frozenset(obj.__members__)
        return
    fields = record_fields(obj)
    _State.fields = frozenset() if fields is None else frozenset(f.name for f in fields)
    if fields:
        lines.extend(field_table(fields))


def _skip_member(
    app: Sphinx, what: str, name: str, obj: object, skip: bool, options: object
) -> bool | None:
    if what in ("class", "exception") and (name in _State.fields or name.startswith("model_")):
        return True
    return None


def _process_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    # A record's or an enumeration's signature repeats its table of fields or values.
    if (
        what in ("class", "exception")
        and inspect.isclass(obj)
        and (issubclass(obj, enum.Enum) or record_fields(obj) is not None)
    ):
        return "", return_annotation
    return None


def _check_every_public_name(app: Sphinx, env: BuildEnvironment) -> None:
    documented = env.domains.python_domain.objects
    for name in undocumented(public_names(), documented):
        logger.warning("public name %s is not in the API reference", name, type="meso")


def internal_object_exists(target: str, modules: Iterable[str]) -> bool:
    """Whether ``target`` (absolute, or relative to one of ``modules`` as docstrings write
    it: ``runner.Query``, ``.connect``, ``IngredientIndex.build``) names an object defined in
    the package's internal modules, which the reference shows as code rather than a link.
    An object the package only imports (``date``) does not count."""
    parts = [part for part in target.lstrip(".").split(".") if part]
    if not parts:
        return False
    candidates = [parts]
    for module in modules:
        candidates.append([*module.split("."), *parts])
        if module.rpartition(".")[2] == parts[0]:
            candidates.append([*module.split("."), *parts[1:]])
    return any(
        candidate[0] == "meso_formulary" and _defined_in_package(candidate)
        for candidate in candidates
    )


def _defined_in_package(parts: list[str]) -> bool:
    for split in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            if hasattr(value, name):
                value = getattr(value, name)
            else:
                # A record's field has no class attribute; it must be the last part.
                return name == parts[-1] and name in _declared_fields(value)
        if inspect.ismodule(value):
            return value.__name__.startswith("meso_formulary")
        if inspect.isclass(value) or inspect.isroutine(value):
            return str(value.__module__).startswith("meso_formulary")
        return True  # a constant assigned in the package's module
    return False


def _declared_fields(value: object) -> Collection[str]:
    """The fields a record declares without a class attribute (pydantic, dataclasses)."""
    return {
        *getattr(value, "__pydantic_fields__", {}),
        *getattr(value, "__dataclass_fields__", {}),
    }


def _resolve(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: Element
) -> Element | None:
    """Resolve a reference autodoc or a docstring writes where an object is defined, or by
    its bare name, to the public name documenting it; show one to an internal object as
    code. Anything else stays unresolved: a warning, so ``-W`` fails on a broken name."""
    if node.get("refdomain") != "py":
        return None
    target = str(node["reftarget"]).removeprefix("~")
    public = (
        _canonical().get(target)
        or _by_last_name().get(target)
        # a name imported under another name for type checkers only, which autodoc cannot
        # evaluate (conf.py's autodoc_type_aliases says which public name it is)
        or app.config.autodoc_type_aliases.get(target)
    )
    domain = env.domains.python_domain
    if public is not None:
        resolved = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], public, node, contnode
        )
        if resolved is not None:
            return resolved
    modules = sorted(name for name in sys.modules if name.startswith("meso_formulary"))
    return contnode if internal_object_exists(target, modules) else None


@functools.cache
def _public() -> dict[str, object]:
    return public_names()


@functools.cache
def _canonical() -> dict[str, str]:
    return canonical_names(_public())


@functools.cache
def _by_last_name() -> dict[str, str]:
    """A public object's bare name -> its public name, for the names only one has."""
    by_name: dict[str, list[str]] = {}
    for name in _public():
        by_name.setdefault(name.rpartition(".")[2], []).append(name)
    return {short: names[0] for short, names in by_name.items() if len(names) == 1}


def setup(app: Sphinx) -> ExtensionMetadata:
    """Connect the tables and the checks to autodoc's and Sphinx's events."""
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("autodoc-process-docstring", _process_docstring)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-signature", _process_signature)
    app.connect("env-check-consistency", _check_every_public_name)
    app.connect("missing-reference", _resolve)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
