"""Fuzzing the file readers, validation, the importer and search with Hypothesis.

Documents start as valid catalogues (``tests/strategies.py``), mostly naming real
ingredients so that imports can succeed, and are then mutated: fields dropped, retyped,
renamed, duplicated or added; NaN, infinities, huge, negative and zero numbers, odd Unicode
(lone surrogates, bidi controls, NUL) and deep nesting put in; the text written as JSON or
YAML and sometimes damaged byte by byte. Each one goes through the reader, validation, the
rules engine and an import. Search requests mix free text full of FTS5 syntax with filters
of every kind, valid or not.

The properties: nothing but the library's own errors (:class:`~meso_formulary.errors.MesoError`)
ever comes out; :func:`check_catalogue` never raises and agrees with :func:`read_catalogue`;
a refused import leaves the catalogue's content digest unchanged and a successful one lands
whole; search raises nothing but :class:`~meso_formulary.errors.SearchError`.

``MESO_FUZZ_EXAMPLES=N`` sets the examples per test and draws new ones on every run; without
it, each test runs :data:`DEFAULT_EXAMPLES` examples, the same ones every time (CI stays
repeatable). The number of examples actually run is printed at the end of the module (and
appended as JSON to the file named by ``MESO_FUZZ_REPORT``, when set).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from helpers_catalogue import EXAMPLE, connection_digest, report_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import TRICKY_TEXT, catalogue_files

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue
from meso_formulary.catalogue.search.api import SearchRequest, search
from meso_formulary.errors import InvalidInput, MesoError, SearchError
from meso_formulary.files import check_catalogue, dump_catalogue, read_catalogue
from meso_formulary.files.yaml_reader import CORE_PATTERNS
from meso_formulary.model import Area, CatalogueFile, IngredientClass, Origin, Technique
from meso_formulary.rules import build_context, default_registry

DEFAULT_EXAMPLES = 60
EXAMPLES_PER_TEST = int(os.environ.get("MESO_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
FRESH_EVERY = 200
"""Examples imported into one catalogue before a fresh one replaces it (digests stay cheap)."""

FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    derandomize="MESO_FUZZ_EXAMPLES" not in os.environ,  # the default run is repeatable
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TRIED: Counter[str] = Counter()
"""Examples run per test, reported when the module ends."""

OUTCOMES: Counter[str] = Counter()
"""What happened to the fuzzed files (unreadable, invalid, imported, refused ...)."""


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not TRIED:
        return
    summary = {"examples": dict(TRIED), "total": sum(TRIED.values()), "outcomes": dict(OUTCOMES)}
    line = f"fuzz: {summary['total']} examples run: {json.dumps(summary)}"
    report_line(request.config, line)
    target = os.environ.get("MESO_FUZZ_REPORT")
    if target:
        with Path(target).open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(summary) + "\n")


# ---------------------------------------------------------------- strategies


KNOWN_NAMES = sorted({name for i in reference.ingredients() for name in i.names()})


@st.composite
def known_names(draw: st.DrawFn) -> str:
    """A reference ingredient's id, name, INCI name or synonym, in some spelling."""
    name: str = draw(st.sampled_from(KNOWN_NAMES))
    spelling = draw(st.sampled_from(["as is", "upper", "nfd", "nbsp", "padded"]))
    if spelling == "upper":
        return name.upper()
    if spelling == "nfd":
        return unicodedata.normalize("NFD", name)
    if spelling == "nbsp":
        return name.replace(" ", "\u00a0")
    if spelling == "padded":
        return f"  {name.lower()} "
    return name


FRESH_SUPPLIERS = itertools.count()
"""Numbers for supplier ids no earlier example used (drawn ids collide all the time)."""


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid catalogue as plain data, its lines mostly naming real ingredients.

    Three in four get a supplier id of their own, so that they can import; the others keep
    a drawn id, which earlier examples may have used (a stale or reused version, someone
    else's ingredient id: the refusals to exercise).
    """
    catalogue = draw(catalogue_files(max_cocktails=3, max_ingredients=2))
    data: dict[str, Any] = json.loads(dump_catalogue(catalogue, "json"))
    if draw(st.integers(0, 3)) > 0:
        supplier = f"fz-{next(FRESH_SUPPLIERS)}"
        data["supplier"]["id"] = supplier
        for ingredient in data.get("ingredients", []):
            ingredient["id"] = f"{supplier}-{ingredient['id']}"
        for cocktail in data.get("cocktails", []):
            cocktail["id"] = f"{supplier}/{cocktail['id'].split('/', 1)[1]}"
            cocktail["supplier"] = supplier
    for cocktail in data.get("cocktails", []):
        for line in cocktail.get("composition", []):
            if draw(st.integers(0, 9)) < 8:
                line["ingredient"] = draw(known_names())
    return data


def deeply_nested(depth: int) -> object:
    value: object = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


ODD_TEXT = st.one_of(
    st.sampled_from(TRICKY_TEXT),
    st.sampled_from(
        ["", " ", "\x00", "\u202e", "\ufeff", "\udc80", "a\u0301", "ｆｕｌｌ", "9" * 400]
    ),
    st.text(max_size=20),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp"]), max_size=5),
)

JUNK = st.one_of(
    st.sampled_from(
        [math.nan, math.inf, -math.inf, 0, -1, -0.0, 1e308, 5e-324, 2**63, 2**64, -(2**63) - 1]
    ),
    st.sampled_from([10**30, True, False, None, [], {}]),
    st.integers(),
    st.floats(),
    ODD_TEXT,
    st.integers(60, 90).map(deeply_nested),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
"""Values that do not belong where a mutation puts them."""


def node_paths(data: object, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every node below ``data`` (mapping keys and list positions)."""
    children: list[tuple[Any, object]] = []
    if isinstance(data, dict):
        children = list(data.items())
    elif isinstance(data, list):
        children = list(enumerate(data))
    for key, value in children:
        yield (*prefix, key)
        yield from node_paths(value, (*prefix, key))


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with one to four mutations."""
    data = copy.deepcopy(draw(valid_documents()))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(node_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = parent_of(data, path), path[-1]
        operation = draw(st.sampled_from(["drop", "retype", "duplicate", "extra", "rename"]))
        if operation == "drop":
            del parent[key]
        elif operation == "retype":
            parent[key] = draw(JUNK)
        elif operation == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif operation == "extra" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
        elif operation == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from([key.upper(), key + "s", key[:-1] or "_"]))] = parent.pop(
                key
            )
        else:
            parent[key] = draw(JUNK)
    return data


class Yaml12Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting what YAML 1.2 would not read back as a string."""

    def ignore_aliases(self, data: object) -> bool:
        return True


for _tag, _pattern, _first in CORE_PATTERNS:
    Yaml12Dumper.add_implicit_resolver(_tag, _pattern, _first)


def serialise(data: object, fmt: str) -> bytes:
    """``data`` as JSON (NaN and infinities as JavaScript constants) or YAML bytes."""
    if fmt == "yaml":
        try:
            text = yaml.dump(data, Dumper=Yaml12Dumper, allow_unicode=True, sort_keys=False)
        except yaml.YAMLError:  # PyYAML cannot write some strings (lone surrogates ...)
            text = json.dumps(data, allow_nan=True)
    else:
        text = json.dumps(data, allow_nan=True, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with a few bytes inserted, removed or replaced."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        what = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(st.binary(min_size=1, max_size=4))
        if what == "insert" or at == len(data):
            data[at:at] = chunk
        elif what == "delete":
            del data[at : at + len(chunk)]
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


@st.composite
def fuzzed_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """``(suffix, content)`` of a fuzzed catalogue file."""
    fmt = draw(st.sampled_from(["json", "yaml"]))
    raw = serialise(draw(mutated_documents()), fmt)
    if draw(st.integers(0, 4)) == 0:
        raw = draw(damaged(raw))
    return f".{fmt}", raw


# ---------------------------------------------------------------- the catalogue under test


class Target:
    """The catalogue fuzzed documents are imported into (replaced every FRESH_EVERY imports)."""

    def __init__(self) -> None:
        self.store = self._fresh()
        self.imports = 0

    @staticmethod
    def _fresh() -> Catalogue:
        store = Catalogue.memory()
        store.import_catalogue(read_catalogue(EXAMPLE))
        return store

    def catalogue(self) -> Catalogue:
        self.imports += 1
        if self.imports % FRESH_EVERY == 0:
            self.store.close()
            self.store = self._fresh()
        return self.store


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    holder = Target()
    yield holder
    holder.store.close()


def rule_findings(document: CatalogueFile) -> int:
    """Run the rules engine on every cocktail as ``meso validate`` does; count findings."""
    ingredients = {i.id: i for i in reference.ingredients()}
    ingredients.update((i.id, i) for i in document.ingredients)
    context = build_context(ingredients=ingredients)
    registry = default_registry()
    return sum(len(registry.check(cocktail, context)) for cocktail in document.cocktails)


def import_checked(store: Catalogue, document: CatalogueFile) -> str:
    """Import ``document``: whole, or refused with a library error and nothing changed."""
    before = connection_digest(store.conn)
    try:
        store.import_catalogue(document)
    except MesoError:
        assert connection_digest(store.conn) == before
        return "refused"
    found = search(store, SearchRequest(supplier=document.supplier.id, limit=500))
    assert found.total == len(document.cocktails)
    for cocktail in document.cocktails:
        assert store.get(cocktail.id).id == cocktail.id
    return "imported"


def exercise(path: Path, store: Catalogue) -> str:
    """Read, validate, check the rules and import ``path``; what became of it."""
    catalogue, problems = check_catalogue(path)
    try:
        document = read_catalogue(path)
    except InvalidInput as error:
        assert catalogue is None
        assert problems
        assert error.problems
        return "unreadable" if error.problems[0].code == "unreadable" else "invalid"
    assert catalogue == document
    assert problems == []
    rule_findings(document)
    return import_checked(store, document)


# ---------------------------------------------------------------- the properties


@FUZZ
@given(file=fuzzed_files())
def test_fuzzed_files_give_only_library_errors(
    file: tuple[str, bytes], target: Target, tmp_path_factory: pytest.TempPathFactory
) -> None:
    TRIED["fuzzed files"] += 1
    suffix, content = file
    path = tmp_path_factory.mktemp("fuzz") / f"catalogue{suffix}"
    path.write_bytes(content)
    OUTCOMES[exercise(path, target.catalogue())] += 1


@FUZZ
@given(data=valid_documents(), fmt=st.sampled_from(["json", "yaml"]))
def test_valid_documents_import_whole_or_not_at_all(
    data: dict[str, Any],
    fmt: Literal["json", "yaml"],
    target: Target,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    TRIED["valid documents"] += 1
    path = tmp_path_factory.mktemp("fuzz") / f"catalogue.{fmt}"
    path.write_text(dump_catalogue(CatalogueFile.model_validate(data), fmt), encoding="utf-8")
    outcome = exercise(path, target.catalogue())
    assert outcome in ("imported", "refused")  # a valid document is always readable
    OUTCOMES[f"valid {outcome}"] += 1


FTS_SYNTAX = st.sampled_from(
    ['"', '""', "'", "(", ")", "*", "-", "^", ":", "NEAR", "AND", "OR", "NOT", "\x00", "hair-loss",
     'a"b', "name:x", "{", "}", "+", "\\", "%", "_", "\u202e", "é", "B₁₂", "  ", "NEAR(a b)"]
)  # fmt: skip

PRINTABLE = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
"""Any text a str can hold and a request accepts (no lone surrogates)."""

WORDS = st.one_of(
    st.sampled_from(["hair loss", "panda eyes", "biotin", "cellulite", "acme", "lidocaine"]),
    st.sampled_from(TRICKY_TEXT),
    PRINTABLE,
)

SEARCH_TEXT = st.lists(st.one_of(FTS_SYNTAX, WORDS), min_size=1, max_size=6).map(" ".join)


def any_case(values: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(values) | st.sampled_from(values).map(str.upper)


NAMES = st.one_of(
    *[st.sampled_from(KNOWN_NAMES)] * 3,
    st.text(st.characters(categories=["L", "M", "N", "P", "S"]), min_size=1, max_size=20),
)
"""Ingredient names: mostly real ones, else letters, digits and symbols that match nothing."""

RUNNABLE_REQUESTS = st.fixed_dictionaries(
    {},
    optional={
        "text": SEARCH_TEXT,
        "include": st.lists(NAMES, max_size=2),
        "exclude": st.lists(NAMES, max_size=3),
        "exclude_classes": st.lists(any_case([c.value for c in IngredientClass]), max_size=2),
        "exclude_origins": st.lists(any_case([o.value for o in Origin]), max_size=2),
        "area": any_case([a.value for a in Area]),
        "supplier": st.sampled_from(["acme", "reference", "nobody"]),
        "technique": any_case([t.value for t in Technique]),
        "max_actives": st.integers(0, 250),
        "limit": st.integers(1, 500),
        "offset": st.integers(0, 40),
        "facets": st.booleans(),
    },
)
"""Well-formed requests: text full of FTS5 syntax, names that may match nothing."""

ANY_VALUE = st.one_of(JUNK, st.lists(ODD_TEXT, max_size=3))


def spoiled(request: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``request`` with some of the fields it left out set to values of the wrong kind."""
    left_out = {key: ANY_VALUE for key in SearchRequest.model_fields if key not in request}
    return st.fixed_dictionaries({k: st.just(v) for k, v in request.items()}, optional=left_out)


ANY_REQUESTS = st.one_of(
    RUNNABLE_REQUESTS.flatmap(spoiled),
    st.dictionaries(st.text(max_size=12), ANY_VALUE, max_size=4),
)
"""Requests as a caller might hand them over: any keys, any values."""


@pytest.fixture(scope="module")
def reference_catalogue() -> Iterator[Catalogue]:
    with Catalogue.default() as store:
        yield store


@FUZZ
@given(values=ANY_REQUESTS)
def test_search_request_parse_gives_a_request_or_search_error(values: dict[str, Any]) -> None:
    TRIED["search requests parsed"] += 1
    try:
        SearchRequest.parse(values)
    except SearchError:
        OUTCOMES["search request refused"] += 1
        return
    OUTCOMES["search request accepted"] += 1


@FUZZ
@given(values=RUNNABLE_REQUESTS)
def test_search_gives_results_or_search_error(
    values: dict[str, Any], reference_catalogue: Catalogue
) -> None:
    TRIED["searches run"] += 1
    request = SearchRequest.parse(values)
    try:
        results = search(reference_catalogue, request)
    except SearchError:
        OUTCOMES["search refused"] += 1
        return
    OUTCOMES["search answered"] += 1
    assert len(results.hits) == max(0, min(request.limit, results.total - request.offset))
    assert len({hit.id for hit in results.hits}) == len(results.hits)


@pytest.mark.parametrize("field", ["exclude_classes", "exclude_origins"])
@pytest.mark.parametrize("item", [{}, [1]], ids=["dict", "list"])
def test_unhashable_filter_items_are_a_search_error(field: str, item: object) -> None:
    with pytest.raises(SearchError):
        SearchRequest.parse({field: [item]})
