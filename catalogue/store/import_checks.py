"""Checking a catalogue document before (and while) it is written: every problem, located.

The checks need no write access: :func:`check_document` runs them all on a whole document
before an import takes the write lock, and the importer runs them again, cocktail by
cocktail, on what it streams. A problem never stops the checking (up to
:data:`MAX_PROBLEMS`), so one run reports every unknown ingredient name, every invalid
field and every namespace violation, each with its field path and value.

Each cocktail that resolves also goes through the rules engine (:class:`RuleCheck`): a
finding of severity ``error`` is a problem that keeps the document out, so nothing imports
that ``meso validate`` rejects. ``meso validate`` runs these very checks (without a
catalogue: against the shipped dictionary) and prints the warnings too. The rules engine
runs once per cocktail: an import preceded by :func:`check_document` (``import_catalogue``,
``import_files``) leaves it out of the importer's pass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any, Final

from pydantic import ValidationError

from meso_formulary.catalogue.store.connect import read_error
from meso_formulary.catalogue.store.dictionary import Dictionary, ReferenceData
from meso_formulary.catalogue.store.records import canonical_json, sha256_hex
from meso_formulary.catalogue.store.reference_sync import reference_ingredients
from meso_formulary.errors import InvalidInput, Problem
from meso_formulary.model import CatalogueFile, Cocktail, Indication, Ingredient
from meso_formulary.names import either, suggest
from meso_formulary.rules import Finding, Severity, build_context, default_registry

CocktailInput = Cocktail | Mapping[str, Any]
"""A cocktail to import: a validated model, or plain data (validated on the way in)."""

MAX_PROBLEMS: Final = 1000
"""Checking stops once it has found this many problems."""

_SCALARS = (str, int, float, bool, type(None))


class Problems:
    """Problems found so far, up to :data:`MAX_PROBLEMS`.

    ``notes`` collects the rule findings that do not keep a document out (warnings,
    information), for ``meso validate``; ``None`` drops them. They do not count towards the
    limit, so a file full of warnings is still checked to its end for errors.
    """

    def __init__(self, source: str | None, *, notes: list[Problem] | None = None) -> None:
        self.items: list[Problem] = []
        self.source = source
        self.notes = notes

    def add(self, message: str, path: str, value: object = None, code: str = "invalid") -> None:
        if len(self.items) < MAX_PROBLEMS:
            shown = value if isinstance(value, _SCALARS) else None
            self.items.append(Problem(message, path=path, file=self.source, value=shown, code=code))

    def add_finding(self, finding: Finding, index: int) -> None:
        """A rules-engine finding on ``cocktails.index``: a problem if an error, else a note."""
        error = finding.severity is Severity.ERROR
        if (error and self.full) or (not error and self.notes is None):
            return
        path = f"cocktails.{index}.{finding.path}" if finding.path else f"cocktails.{index}"
        problem = Problem(
            f"[{finding.code}] {finding.message}",
            path=path,
            file=self.source,
            value=finding.value,
            severity=finding.severity.value,
            code=finding.code,
            source=finding.source,
        )
        if error:
            self.items.append(problem)
        elif self.notes is not None:
            self.notes.append(problem)

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS

    def raise_if_any(self, what: str) -> None:
        if self.items:
            count = len(self.items)
            more = "+" if self.full else ""
            raise InvalidInput(
                f"{what} was not imported ({count}{more} problem{'s' if count != 1 else ''}); "
                "the catalogue is unchanged",
                self.items,
            )


def _validation_problems(error: ValidationError, prefix: str, problems: Problems) -> None:
    for detail in error.errors(include_url=False):
        loc = ".".join(str(part) for part in detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        problems.add(
            message, f"{prefix}.{loc}" if loc else prefix, detail.get("input"), detail["type"]
        )


# ---------------------------------------------------------------- checking one document


@dataclass(slots=True)
class Prepared:
    cocktail: Cocktail
    record: str
    digest: str


class RuleCheck:
    """The rules engine for the cocktails of one document, its context built once.

    The context holds the import's own :class:`~meso_formulary.rules.IngredientIndex`
    (``dictionary``: the reference entries and the document's own), so rules resolve names
    exactly as the import does. Without
    ``warnings`` only errors matter (:class:`Problems` drops the rest), so the rules that can
    only warn or inform are not run at all.
    """

    def __init__(
        self, dictionary: Dictionary, indications: Iterable[Indication], *, warnings: bool
    ) -> None:
        self._context = build_context(ingredients=dictionary.index, indications=indications)
        registry = default_registry()
        self._registry = registry if warnings else registry.reporting(Severity.ERROR)

    def findings(self, cocktail: Cocktail) -> list[Finding]:
        """The findings on the resolved ``cocktail``, sorted (what the importer stores)."""
        return self._registry.check(cocktail, self._context)

    def check(self, index: int, cocktail: Cocktail, problems: Problems) -> None:
        """Note every finding on the resolved ``cocktail`` at ``cocktails.index``."""
        for finding in self.findings(cocktail):
            problems.add_finding(finding, index)


class Checker:
    """Validates and resolves the cocktails of one document (no database access).

    With ``rules``, each cocktail that resolves is also checked by the rules engine.
    """

    def __init__(
        self,
        document: CatalogueFile,
        dictionary: Dictionary,
        problems: Problems,
        *,
        rules: RuleCheck | None = None,
    ):
        self._supplier = document.supplier.id
        self._dictionary = dictionary
        self._problems = problems
        self._rules = rules
        self.seen: set[str] = set()

    def check(self, index: int, item: CocktailInput) -> Prepared | None:
        """The resolved cocktail ``item`` at ``cocktails.index``, or ``None`` (problems noted)."""
        before = len(self._problems.items)
        path = f"cocktails.{index}"
        if isinstance(item, Cocktail):
            cocktail: Cocktail | None = self._resolve_model(item, path)
        else:
            cocktail = self._validate_data(item, path)
        if cocktail is None:
            return None
        self._check_identity(cocktail, path)
        if len(self._problems.items) > before:
            return None
        if self._rules is not None:
            self._rules.check(index, cocktail, self._problems)
            if len(self._problems.items) > before:
                return None
        record = canonical_json(cocktail)
        return Prepared(cocktail, record, sha256_hex(record))

    def _lookup(self, text: str, path: str, line: int) -> str | None:
        """The id ``text`` names (composition line ``line`` of the cocktail at ``path``)."""
        found = self._dictionary.resolve(text)
        if found.ingredient_id is not None:
            return found.ingredient_id
        if found.ambiguous or text.strip():  # blank names are left to the model's own message
            self._problems.add(
                self._dictionary.names.problem(found),  # MF102's words
                f"{path}.composition.{line}.ingredient",
                text,
                "ambiguous_ingredient" if found.ambiguous else "unknown_ingredient",
            )
        return None

    def _resolve_model(self, cocktail: Cocktail, path: str) -> Cocktail | None:
        lines = list(cocktail.composition)
        ok = True
        for m, line in enumerate(lines):
            found = self._lookup(line.ingredient, path, m)
            if found is None:
                ok = False
            elif found != line.ingredient:
                lines[m] = line.model_copy(update={"ingredient": found})
        if not ok:
            return None
        if all(a is b for a, b in zip(lines, cocktail.composition, strict=True)):
            return cocktail
        return cocktail.model_copy(update={"composition": tuple(lines)})

    def _validate_data(self, data: Mapping[str, Any], path: str) -> Cocktail | None:
        if not isinstance(data, Mapping):
            self._problems.add("a cocktail must be a mapping", path, data, "dict_type")
            return None
        before = len(self._problems.items)
        raw = data.get("composition")
        resolved = isinstance(raw, list)
        if isinstance(raw, list):
            lines: list[object] = []
            for m, line in enumerate(raw):
                text = line.get("ingredient") if isinstance(line, dict) else None
                if isinstance(text, str):
                    found = self._lookup(text, path, m)
                    if found is not None and found != text:
                        line = {**line, "ingredient": found}
                else:
                    resolved = False
                lines.append(line)
            data = {**data, "composition": lines}
        try:
            cocktail = Cocktail.model_validate(data)
        except ValidationError as error:
            _validation_problems(error, path, self._problems)
            return None
        if len(self._problems.items) > before:
            return None
        # Lines that were not plain dicts (another mapping type) are resolved on the model.
        return cocktail if resolved else self._resolve_model(cocktail, path)

    def _check_identity(self, cocktail: Cocktail, path: str) -> None:
        if cocktail.supplier != self._supplier or not cocktail.id.startswith(self._supplier + "/"):
            self._problems.add(
                f"cocktail {cocktail.id!r} (supplier {cocktail.supplier!r}) is outside this "
                f"file's supplier namespace '{self._supplier}/'",
                f"{path}.id",
                cocktail.id,
                "namespace",
            )
        if cocktail.id in self.seen:
            self._problems.add(
                f"duplicate cocktail id {cocktail.id!r}", f"{path}.id", cocktail.id, "duplicate"
            )
        self.seen.add(cocktail.id)
        composition = cocktail.composition
        if len({line.ingredient for line in composition}) == len(composition):
            return
        first: dict[str, int] = {}
        for m, line in enumerate(composition):
            if line.ingredient in first:
                self._problems.add(
                    f"ingredient {line.ingredient!r} is listed twice (also at "
                    f"composition.{first[line.ingredient]})",
                    f"{path}.composition.{m}.ingredient",
                    line.ingredient,
                    "duplicate_ingredient",
                )
            first.setdefault(line.ingredient, m)


SQLITE_MAX_INTEGER: Final = 2**63 - 1


def check_header(document: CatalogueFile, problems: Problems) -> None:
    """Header facts the model allows but the file cannot store (a version beyond 64 bits)."""
    if document.version > SQLITE_MAX_INTEGER:
        problems.add(
            f"version {document.version} is too large (at most {SQLITE_MAX_INTEGER})",
            "version",
            document.version,
            "too_large",
        )


def own_ingredients(
    document: CatalogueFile,
    reference: Mapping[str, Ingredient],
    owners: Mapping[str, str | None],
    problems: Problems,
    *,
    moiety_groups: Collection[str],
) -> list[Ingredient]:
    """The document's own ingredients (copies of reference entries left out).

    ``owners`` maps ingredient ids already stored to their supplier (``None``: reference).
    An id that belongs to someone else, or a reference id with different facts, is refused.
    An ingredient's ``moieties`` must each name one of ``moiety_groups`` or an ingredient
    (of the reference or the document): a moiety nothing carries would screen nothing.
    """
    supplier = document.supplier.id
    own: list[Ingredient] = []
    known = {i.id for i in document.ingredients}
    for n, ingredient in enumerate(document.ingredients):
        for m, moiety in enumerate(ingredient.moieties):
            if moiety not in moiety_groups and moiety not in reference and moiety not in known:
                close = suggest(moiety, [*moiety_groups, *reference])
                hint = f"; did you mean {either(close)}?" if close else ""
                problems.add(
                    f"ingredient {ingredient.id!r} names moiety {moiety!r}, which is neither "
                    f"a moiety group nor an ingredient{hint}",
                    f"ingredients.{n}.moieties.{m}",
                    moiety,
                    "unknown_moiety",
                )
        ref = reference.get(ingredient.id)
        path = f"ingredients.{n}.id"
        if ref is not None:
            if ref != ingredient:
                problems.add(
                    f"ingredient id {ingredient.id!r} is a reference dictionary entry with "
                    "different facts; give the supplier's own ingredient its own id",
                    path,
                    ingredient.id,
                    "namespace",
                )
            continue
        if ingredient.id in owners and owners[ingredient.id] != supplier:
            owner = owners[ingredient.id]
            whose = "the reference dictionary" if owner is None else f"supplier {owner!r}"
            problems.add(
                f"ingredient id {ingredient.id!r} belongs to {whose}",
                path,
                ingredient.id,
                "namespace",
            )
            continue
        own.append(ingredient)
    return own


def owners_of(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, str | None]:
    owners: dict[str, str | None] = {}
    for ingredient_id in ids:
        row = conn.execute(
            "SELECT supplier_id FROM ingredients WHERE id = ?", (ingredient_id,)
        ).fetchone()
        if row is not None:
            owners[ingredient_id] = row[0]
    return owners


def check_document(
    document: CatalogueFile,
    reference: ReferenceData,
    source: str | None = None,
    *,
    conn: sqlite3.Connection | None = None,
    warnings: bool = False,
) -> list[Problem]:
    """Every problem the import of ``document`` would meet, found without writing anything.

    With ``conn``, the document is checked against that catalogue: its stored reference
    dictionary (CosIng entries included) and the ingredient ids other suppliers own. Without
    one, against ``reference`` alone, which is all a file can be checked against before it
    meets a catalogue (``meso validate``). ``source`` names the file in problems. With
    ``warnings``, the rule findings that would not keep the document out (warnings,
    information) follow the problems, each with its severity.
    """
    return check_cocktails(document, (), reference, source, conn=conn, warnings=warnings)


def check_cocktails(
    document: CatalogueFile,
    cocktails: Iterable[Any],
    reference: ReferenceData,
    source: str | None = None,
    *,
    conn: sqlite3.Connection | None = None,
    warnings: bool = False,
    locate: Callable[[Problem], Problem] | None = None,
) -> list[Problem]:
    """:func:`check_document` for ``document``'s cocktails, then ``cocktails`` (plain data
    or models, read once): a large file is checked one cocktail at a time, and nothing of a
    cocktail is kept once it is checked, but its problems. ``locate`` (a streamed
    document's :meth:`~meso_formulary.files.Document.locate`) gives each problem of a
    cocktail its line while that cocktail is the one read."""
    notes: list[Problem] | None = [] if warnings else None
    problems = Problems(source, notes=notes)
    check_header(document, problems)
    if conn is None:
        entries = list(reference.ingredients)
        owners: dict[str, str | None] = {}
    else:
        try:
            entries = reference_ingredients(conn, reference)
            owners = owners_of(conn, (i.id for i in document.ingredients))
        except sqlite3.Error as error:  # a damaged page under the catalogue's dictionary
            raise read_error(error) from error
    own = own_ingredients(
        document,
        {i.id: i for i in entries},
        owners,
        problems,
        moiety_groups={g.id for g in reference.moieties},
    )
    dictionary = Dictionary(entries, own)
    rules = RuleCheck(dictionary, reference.indications, warnings=warnings)
    checker = Checker(document, dictionary, problems, rules=rules)
    for index, cocktail in enumerate(chain(document.cocktails, cocktails)):
        if problems.full:
            break
        before, noted = len(problems.items), len(notes or ())
        checker.check(index, cocktail)
        if locate is not None:
            problems.items[before:] = map(locate, problems.items[before:])
            if notes:
                notes[noted:] = map(locate, notes[noted:])
    return problems.items + (notes or [])
