"""EU CosIng CSV exports -> ingredient dictionary entries and EU Cosmetics annex listings.

Two layouts of the European Commission's CosIng database are read:

* the **ingredient inventory** with the JSON-API field names of the current export
  (``substanceId``, ``inciName``, ``casNo``, ``ecNo``, ``functionName``,
  ``cosmeticRestriction`` ...), one substance per row;
* the **annex exports** of Regulation (EC) No 1223/2009 (``annexes/<N>/export-csv``): four
  preamble records (creation date, ``"ANNEX III","Last update: ..."``, title, column
  groups) before the header, cells spanning lines with mixed line endings, and one row per
  reference number (``2a``, ``12 a`` ...), ``Moved or deleted`` rows included.

Identifier cells are messy in both: several CAS numbers in one cell separated by ``/``,
`` / ``, ``;``, ``,``, `` - `` or `` -- ``, ``[1]`` position markers, ``(generic)`` suffixes,
``-`` for "none" (alone or as a list member), ``*`` before an EC number that has no EC entry,
the CAS-shaped placeholder ``999999-99-4``, soft hyphens, no-break spaces and tabs. Every CAS
number is checked by :func:`meso_formulary.identifiers.is_valid_cas`; a number that fails is
reported as a :class:`~meso_formulary.errors.Problem` and never used as a CAS number.

Records are © European Union (CosIng), reusable under Decision 2011/833/EU; every entry made
from them says so in its ``source``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from pydantic import ValidationError

from meso_formulary.catalogue.store.reference_sync import upsert_ingredient
from meso_formulary.catalogue.store.transaction import write_transaction
from meso_formulary.errors import CatalogueError, Problem, UnreadableInput
from meso_formulary.files import decode_text, read_bytes
from meso_formulary.identifiers import CAS_PLACEHOLDERS, SLUG_RE, is_valid_cas, name_key
from meso_formulary.model import CosmeticsListing, Ingredient, IngredientClass

if TYPE_CHECKING:
    from meso_formulary.catalogue.store.catalogue_store import Catalogue

CREDIT: Final = "CosIng, © European Union"
"""The attribution every record taken from CosIng carries."""

MAX_FILE_BYTES: Final = 64 * 1024 * 1024
"""Largest CosIng export read: a generous bound on the Commission's full exports."""

MAX_CELL_CHARS: Final = 128 * 1024
"""Largest cell accepted; the longest in the official exports is under 10,000 characters."""

Annex = Literal["II", "III", "IV", "V", "VI"]
ANNEXES: Final[tuple[Annex, ...]] = ("II", "III", "IV", "V", "VI")

ANNEX_PRECEDENCE: Final[tuple[Annex, ...]] = ("II", "III", "V", "VI", "IV")
"""Which listing an ingredient gets when several annexes name it: prohibited first, then
restricted, then the positive lists (preservatives, UV filters, colourants)."""

FUNCTION_CLASSES: Final[dict[str, IngredientClass]] = {
    "ANTIOXIDANT": IngredientClass.ANTIOXIDANT,
    "SOLVENT": IngredientClass.EXCIPIENT,
    "BUFFERING": IngredientClass.EXCIPIENT,
    "CHELATING": IngredientClass.EXCIPIENT,
    "VISCOSITY CONTROLLING": IngredientClass.EXCIPIENT,
}
"""CosIng functions that say what class an ingredient is; any other function gives ``other``.

Only functions that are unambiguous about the class are mapped: "SKIN CONDITIONING" says
what a substance does on skin, not what it is.
"""

INVENTORY_COLUMNS: Final = frozenset(
    {"substanceId", "inciName", "casNo", "ecNo", "functionName", "cosmeticRestriction"}
)
ANNEX_COLUMNS: Final = frozenset({"Reference Number", "CAS Number", "EC Number"})
_ANNEX_NAME_COLUMNS: Final = (
    "Name of Common Ingredients Glossary",
    "Colour index Number / Name of Common Ingredients Glossary",
)
_ANNEX_LIST_COLUMN: Final = "Identified INGREDIENTS or substances e.g."
_PREAMBLE_RECORDS: Final = 4

_INVISIBLE = str.maketrans({"\u00ad": None, "\u200b": None, "\ufeff": None})
_QUALIFIERS = re.compile(r"\[[^\]]*\]|\([^)]*\)")
"""``[1]`` / ``[ 3]`` / ``(1)`` position markers and ``(generic)`` / ``(sulfate)`` qualifiers."""
_BROKEN_HYPHEN = re.compile(r"(\d)-\s+(\d)")
"""``200-864- 0``: a number broken by a space after a hyphen (joined, then check-digit tested)."""
_LIST_SEPARATORS = re.compile(r"[\s/;,]+")
_NONE = re.compile(r"^[-\u2013\u2014]+$")
"""``-``, ``--``, en and em dashes: "no number" (alone, or as a list member or separator)."""
_EC_RE = re.compile(r"^(\d{3})-(\d{3})-(\d)$")
_CLP_INDEX = re.compile(r"^\d{3}-\d{3}-\d{2}-\d$")
_RESTRICTION = re.compile(r"^(?:annex\s+)?(II|III|IV|V|VI)\s*/\s*(\d+\s*[a-z]?)$", re.IGNORECASE)
_REFERENCE = re.compile(r"^\d{1,4}\s*[a-z]?$", re.IGNORECASE)
_COSING_SOURCE = re.compile(re.escape(CREDIT) + r", substance (\d+)")


# ---------------------------------------------------------------- cells


def clean_cell(text: str) -> str:
    """A cell's text: soft hyphens and zero-width characters removed, white space collapsed.

    A soft hyphen splits a word only where it may break across lines
    (``HYDROXYETHOXY\\u00adPHENYL``); it is removed, not turned into a space.
    """
    return " ".join(unicodedata.normalize("NFC", text.translate(_INVISIBLE)).split())


@dataclass(frozen=True, slots=True)
class Numbers:
    """The identifiers found in one CAS or EC cell, and what was wrong with the rest."""

    valid: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def parse_cas_cell(cell: str) -> Numbers:
    """Every valid CAS number in a CosIng cell, in order, without repeats.

    ``-`` members stand for "none"; the placeholder ``999999-99-4`` is skipped with a note;
    anything else that is not a valid CAS number is reported in ``notes``.
    """
    valid: list[str] = []
    notes: list[str] = []
    for token in _tokens(cell):
        if token in CAS_PLACEHOLDERS:
            notes.append(f"placeholder CAS number {token} skipped")
        elif not is_valid_cas(token):
            notes.append(f"{token!r} is not a valid CAS number")
        elif token not in valid:
            valid.append(token)
    return Numbers(tuple(valid), tuple(notes))


def parse_ec_cell(cell: str) -> Numbers:
    """Every valid EC (EINECS/ELINCS/NLP) number in a CosIng cell, ``*`` prefixes removed.

    A ``*`` marks a number CosIng gives a substance that has a CAS number but no EC entry;
    the number itself is kept. CLP index numbers (``602-042-00-0``) found in the column are
    reported, not taken for EC numbers.
    """
    valid: list[str] = []
    notes: list[str] = []
    for raw in _tokens(cell):
        token = raw.removeprefix("*")
        if _CLP_INDEX.match(token):
            notes.append(f"{raw!r} is a CLP index number, not an EC number")
        elif not is_valid_ec(token):
            notes.append(f"{raw!r} is not a valid EC number")
        elif token not in valid:
            valid.append(token)
    return Numbers(tuple(valid), tuple(notes))


def is_valid_ec(value: str) -> bool:
    """True when ``value`` is shaped like an EC number and its check digit is right.

    The check digit is the first six digits weighted 1 to 6, modulo 11; a remainder of 10
    is written as 1 (every ELINCS number in the official annexes with that remainder, such
    as 418-210-1, ends in 1).
    """
    match = _EC_RE.match(value)
    if match is None:
        return False
    remainder = sum(i * int(d) for i, d in enumerate(match[1] + match[2], start=1)) % 11
    return (1 if remainder == 10 else remainder) == int(match[3])


def _tokens(cell: str) -> Iterator[str]:
    """The numbers of a list cell, in order; markers, qualifiers and "none" dashes dropped.

    Members are separated by ``/``, ``;``, ``,``, white space or a free-standing dash
    (`` - ``, `` -- ``); a CAS or EC number holds no white space, so splitting on it is safe
    once a number broken after a hyphen has been joined again.
    """
    text = _BROKEN_HYPHEN.sub(r"\1-\2", clean_cell(_QUALIFIERS.sub(" ", cell)))
    for token in _LIST_SEPARATORS.split(text):
        if token and not _NONE.match(token):
            yield token


def _pipe_list(cell: str) -> tuple[str, ...]:
    """A ``" | "``-joined cell as its distinct values (function names contain " - ")."""
    values: list[str] = []
    for part in cell.split("|"):
        value = clean_cell(part)
        if value and value not in values:
            values.append(value)
    return tuple(values)


def _comma_list(cell: str) -> tuple[str, ...]:
    """A comma-joined name list: empty members and repeats dropped."""
    values: list[str] = []
    for part in cell.split(","):
        value = clean_cell(part)
        if value and value not in values:
            values.append(value)
    return tuple(values)


def _reference(text: str) -> str:
    """An annex reference number as written in the regulation: ``"12 a"`` -> ``"12a"``."""
    return "".join(text.split()).lower()


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class InventoryEntry:
    """One substance of the CosIng ingredient inventory."""

    substance_id: int
    inci: str
    cas: tuple[str, ...]
    ec: tuple[str, ...]
    functions: tuple[str, ...]
    restriction: tuple[Annex, str] | None
    line: int


@dataclass(frozen=True, slots=True)
class AnnexEntry:
    """One row of an annex of the Cosmetics Regulation."""

    annex: Annex
    reference: str
    name: str
    inci_names: tuple[str, ...]
    cas: tuple[str, ...]
    ec: tuple[str, ...]
    regulation: str
    line: int


@dataclass(frozen=True, slots=True)
class CosingFile:
    """What one CosIng export held: inventory entries or annex entries, and the problems."""

    filename: str
    kind: Literal["inventory", "annex"]
    annex: Annex | None = None
    inventory: tuple[InventoryEntry, ...] = ()
    annex_entries: tuple[AnnexEntry, ...] = ()
    problems: tuple[Problem, ...] = ()


def read_cosing(source: str | os.PathLike[str]) -> CosingFile:
    """Read a CosIng export (inventory or annex layout, told apart by its first records)."""
    filename = os.fspath(source)
    text = decode_text(read_bytes(source, max_bytes=MAX_FILE_BYTES), filename)
    return parse_cosing(text, filename)


def parse_cosing(text: str, filename: str) -> CosingFile:
    """Parse the text of a CosIng export; see :func:`read_cosing`."""
    records = _Records(text.removeprefix("\ufeff"), filename)
    first = records.next()
    if first is None:
        raise UnreadableInput(f"{filename} is empty", hint="give a CosIng CSV export")
    _, cells = first
    if {cell.strip() for cell in cells} >= INVENTORY_COLUMNS:
        return _read_inventory(records, cells, filename)
    if len(cells) == 1 and cells[0].strip().startswith("File creation date"):
        return _read_annex(records, filename)
    raise UnreadableInput(
        f"{filename} is not a CosIng export: neither the inventory header "
        f"({', '.join(sorted(INVENTORY_COLUMNS))}) nor an annex preamble was found",
        hint="download the CSV export of the CosIng inventory or of one annex",
    )


class _Records:
    """CSV records with the line each starts on; cells are size-checked."""

    def __init__(self, text: str, filename: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        self._filename = filename

    def next(self) -> tuple[int, list[str]] | None:
        line = self._reader.line_num + 1
        try:
            cells = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise UnreadableInput(
                f"{self._filename}:{line}: not valid CSV ({exc})",
                [Problem(f"not valid CSV ({exc})", file=self._filename, line=line)],
            ) from exc
        for cell in cells:
            if len(cell) > MAX_CELL_CHARS:
                raise UnreadableInput(
                    f"{self._filename}:{line}: a cell holds {len(cell):,} characters, "
                    f"more than the {MAX_CELL_CHARS:,} a CosIng cell may"
                )
        return line, cells

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while (record := self.next()) is not None:
            yield record


@dataclass
class _Collector:
    """Problems found while reading one file."""

    filename: str
    problems: list[Problem] = field(default_factory=list)

    def note(self, line: int, column: str, message: str, value: object = None) -> None:
        self.problems.append(
            Problem(
                message,
                path=column,
                file=self.filename,
                line=line,
                value=value,
                severity="warning",
                code="cosing",
            )
        )

    def numbers(self, line: int, column: str, parsed: Numbers, cell: str) -> tuple[str, ...]:
        for message in parsed.notes:
            self.note(line, column, message, cell)
        return parsed.valid


def _columns(header: list[str], filename: str, required: Iterable[str]) -> dict[str, int]:
    names = [clean_cell(cell) for cell in header]
    missing = sorted(set(required) - set(names))
    if missing:
        raise UnreadableInput(f"{filename}: the header lacks {', '.join(missing)}")
    return {name: i for i, name in enumerate(names)}


def _read_inventory(records: _Records, header: list[str], filename: str) -> CosingFile:
    index = _columns(header, filename, INVENTORY_COLUMNS)
    found = _Collector(filename)
    entries: list[InventoryEntry] = []
    for line, cells in records:
        if len(cells) != len(header):
            found.note(line, "", f"{len(cells)} cells where the header has {len(header)}; skipped")
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[index[name]]

        substance = clean_cell(cell("substanceId"))
        inci = clean_cell(cell("inciName"))
        if not substance.isdigit() or not inci:
            found.note(line, "substanceId", "no substance id or INCI name; skipped", substance)
            continue
        restriction = clean_cell(cell("cosmeticRestriction"))
        match = _RESTRICTION.match(restriction)
        entries.append(
            InventoryEntry(
                substance_id=int(substance),
                inci=inci,
                cas=found.numbers(line, "casNo", parse_cas_cell(cell("casNo")), cell("casNo")),
                ec=found.numbers(line, "ecNo", parse_ec_cell(cell("ecNo")), cell("ecNo")),
                functions=_pipe_list(cell("functionName")),
                restriction=(_annex(match[1]), _reference(match[2])) if match else None,
                line=line,
            )
        )
    return CosingFile(
        filename, "inventory", inventory=tuple(entries), problems=tuple(found.problems)
    )


_ANNEX_NAMES: Final[dict[str, Annex]] = {annex: annex for annex in ANNEXES}


def _annex(text: str) -> Annex:
    """``"iii"`` -> ``"III"`` (callers have matched one of :data:`ANNEXES` already)."""
    return _ANNEX_NAMES[text.upper()]


def _read_annex(records: _Records, filename: str) -> CosingFile:
    """The records after the creation date: annex name, title, column groups, header, rows."""
    second = records.next()
    title = clean_cell(second[1][0]) if second is not None and second[1] else ""
    match = re.fullmatch(r"ANNEX (II|III|IV|V|VI)", title, re.IGNORECASE)
    if match is None:
        raise UnreadableInput(
            f'{filename}: the second record should name the annex ("ANNEX III"), '
            f"found {title[:40]!r}"
        )
    annex = _annex(match[1])
    for _ in range(_PREAMBLE_RECORDS - 2):
        records.next()
    header = records.next()
    if header is None:
        raise UnreadableInput(f"{filename}: the file ends before the header")
    _, header_cells = header
    index = _columns(header_cells, filename, ANNEX_COLUMNS)
    name_column = next((c for c in _ANNEX_NAME_COLUMNS if c in index), None)
    found = _Collector(filename)
    entries: list[AnnexEntry] = []
    for line, cells in records:
        if len(cells) != len(header_cells):
            found.note(
                line, "", f"{len(cells)} cells where the header has {len(header_cells)}; skipped"
            )
            continue

        def cell(name: str | None, cells: list[str] = cells) -> str:
            return cells[index[name]] if name is not None and name in index else ""

        reference = clean_cell(cell("Reference Number"))
        name = clean_cell(cells[1])
        if name.casefold() == "moved or deleted":
            continue
        if not _REFERENCE.match(reference):
            found.note(line, "Reference Number", "not a reference number; skipped", reference)
            continue
        inci_names = tuple(
            dict.fromkeys((*_comma_list(cell(name_column)), *_comma_list(cell(_ANNEX_LIST_COLUMN))))
        )
        entries.append(
            AnnexEntry(
                annex=annex,
                reference=_reference(reference),
                name=name,
                inci_names=tuple(n for n in inci_names if n != "-"),
                cas=found.numbers(
                    line, "CAS Number", parse_cas_cell(cell("CAS Number")), cell("CAS Number")
                ),
                ec=found.numbers(
                    line, "EC Number", parse_ec_cell(cell("EC Number")), cell("EC Number")
                ),
                regulation=clean_cell(cell("Regulation")),
                line=line,
            )
        )
    return CosingFile(
        filename, "annex", annex=annex, annex_entries=tuple(entries), problems=tuple(found.problems)
    )


# ---------------------------------------------------------------- dictionary entries


def cosing_source(substance_id: int) -> str:
    """The ``source`` of an ingredient made from inventory substance ``substance_id``."""
    return f"{CREDIT}, substance {substance_id}"


def cosing_substance(ingredient: Ingredient) -> int | None:
    """The CosIng substance an ingredient was made from, or ``None`` if it was not."""
    match = _COSING_SOURCE.fullmatch(ingredient.source)
    return int(match[1]) if match else None


def slug_for(inci: str) -> str:
    """A dictionary id from an INCI name: ASCII, lowercase, ``-`` between words, 64 at most."""
    ascii_text = unicodedata.normalize("NFKD", inci).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].rstrip("-")


@dataclass(frozen=True, slots=True)
class DictionaryUpdate:
    """Ingredients to add or replace in the reference dictionary, and what was left out."""

    ingredients: tuple[Ingredient, ...]
    skipped: tuple[Problem, ...]


def inventory_ingredients(
    inventories: Sequence[CosingFile],
    reference: Sequence[Ingredient],
    taken_ids: Collection[str] = (),
) -> DictionaryUpdate:
    """Reference dictionary entries for the inventory substances not known yet.

    A substance whose INCI name already names a ``reference`` ingredient (its name, INCI or
    a synonym) is left out: the existing entry is richer. One imported from CosIng before
    is refreshed, keeping the annex listing it was given. Ids are the slug of the INCI name;
    a clash with any id in ``reference`` or ``taken_ids`` (suppliers' own ingredients) takes
    the substance number as a suffix.
    """
    by_name: dict[str, Ingredient] = {}
    for ingredient in reference:
        for name in ingredient.names():
            by_name.setdefault(name_key(name), ingredient)
    taken = {*taken_ids, *(ingredient.id for ingredient in reference)}
    changed: dict[str, Ingredient] = {}
    skipped: list[Problem] = []
    for cosing in inventories:
        for entry in cosing.inventory:
            known = by_name.get(name_key(entry.inci))
            if known is not None and cosing_substance(known) != entry.substance_id:
                skipped.append(
                    _problem(
                        cosing,
                        entry.line,
                        f"{entry.inci} is already in the dictionary as {known.id!r}",
                        "cosing-known",
                        "info",
                    )
                )
                continue
            try:
                ingredient = _ingredient(entry, known, taken)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                skipped.append(
                    _problem(
                        cosing,
                        entry.line,
                        f"{entry.inci[:80]}: {first['msg']}; skipped",
                        "cosing-invalid",
                        "warning",
                    )
                )
                continue
            taken.add(ingredient.id)
            by_name[name_key(entry.inci)] = ingredient
            if ingredient != known:
                changed[ingredient.id] = ingredient
    return DictionaryUpdate(tuple(changed.values()), tuple(skipped))


def _problem(cosing: CosingFile, line: int, message: str, code: str, severity: str) -> Problem:
    return Problem(message, file=cosing.filename, line=line, severity=severity, code=code)


def _free_id(entry: InventoryEntry, taken: set[str]) -> str:
    base = slug_for(entry.inci)
    if base and SLUG_RE.match(base) and base not in taken:
        return base
    suffix = f"-{entry.substance_id}"
    return (base[: 64 - len(suffix)].rstrip("-") or "cosing") + suffix


def _ingredient(entry: InventoryEntry, known: Ingredient | None, taken: set[str]) -> Ingredient:
    """The dictionary entry of ``entry`` (``known``: its entry from an earlier import)."""
    cls = next(
        (FUNCTION_CLASSES[f] for f in entry.functions if f in FUNCTION_CLASSES),
        IngredientClass.OTHER,
    )
    listing = known.eu_cosmetics if known is not None else None
    if entry.restriction is not None:
        annex, reference = entry.restriction
        listing = CosmeticsListing(
            annex=annex, reference=reference, source=cosing_source(entry.substance_id)
        )
    return Ingredient.model_validate(
        {
            "id": known.id if known is not None else _free_id(entry, taken),
            "name": entry.inci,
            "inci": entry.inci,
            "class": cls,
            "cas": entry.cas[0] if entry.cas else None,
            "eu_cosmetics": listing,
            "source": cosing_source(entry.substance_id),
        }
    )


def annex_listings(
    annexes: Sequence[CosingFile], ingredients: Sequence[Ingredient]
) -> DictionaryUpdate:
    """``ingredients`` given the EU annex listing that names them, by CAS number or INCI name.

    When several annexes name one ingredient, :data:`ANNEX_PRECEDENCE` decides. A listing
    curated by hand (a ``source`` that is not CosIng's) is kept, and the disagreement noted.
    Only ingredients whose listing changes are returned.
    """
    by_cas: dict[str, list[AnnexEntry]] = {}
    by_name: dict[str, list[AnnexEntry]] = {}
    for cosing in annexes:
        for entry in cosing.annex_entries:
            for cas in entry.cas:
                by_cas.setdefault(cas, []).append(entry)
            for name in entry.inci_names:
                by_name.setdefault(name_key(name), []).append(entry)
    changed: list[Ingredient] = []
    notes: list[Problem] = []
    for ingredient in ingredients:
        matches = []
        for entry in by_cas.get(ingredient.cas or "", []):
            if same_substance(ingredient, _entry_names(entry)):
                matches.append(entry)
            else:
                notes.append(_cas_conflict(ingredient, entry))
        for name in ingredient.names():
            matches.extend(by_name.get(name_key(name), []))
        if not matches:
            continue
        best = min(matches, key=lambda e: (ANNEX_PRECEDENCE.index(e.annex), e.line))
        listing = CosmeticsListing(
            annex=best.annex,
            reference=best.reference,
            source=_annex_source(best),
        )
        current = ingredient.eu_cosmetics
        if current is not None and (current.annex, current.reference) == (
            listing.annex,
            listing.reference,
        ):
            continue
        if current is not None and not current.source.startswith(CREDIT):
            notes.append(
                Problem(
                    f"{ingredient.id}: kept its listing Annex {current.annex}/{current.reference}; "
                    f"CosIng lists it in Annex {best.annex}/{best.reference}",
                    severity="warning",
                    code="cosing-listing",
                )
            )
            continue
        changed.append(ingredient.model_copy(update={"eu_cosmetics": listing}))
    return DictionaryUpdate(tuple(changed), tuple(notes))


GENERIC_WORDS: Final = frozenset(
    [
        "acid",
        "sodium",
        "chloride",
        "hydrochloride",
        "sulfate",
        "sulphate",
        "phosphate",
        "acetate",
        "gluconate",
        "extract",
        "leaf",
        "flower",
        "root",
        "seed",
        "fruit",
        "powder",
        "water",
        "salt",
        "salts",
        "oil",
        "ester",
        "esters",
        "hydrate",
        "anhydrous",
        "complex",
        "solution",
    ]
)
"""Words two different substances share ("extract", "acid", "sodium"): not evidence that a
CAS number's CosIng name and an ingredient's names are the same substance."""


def _words(name: str) -> set[str]:
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return {w for w in re.split(r"[^a-z0-9]+", ascii_text) if len(w) >= 4} - GENERIC_WORDS


def _entry_names(entry: AnnexEntry | InventoryEntry) -> tuple[str, ...]:
    if isinstance(entry, InventoryEntry):
        return (entry.inci,)
    return (entry.name, *entry.inci_names)


def _record(entry: AnnexEntry | InventoryEntry) -> str:
    if isinstance(entry, InventoryEntry):
        return f"CosIng inventory substance {entry.substance_id}"
    return f"CosIng Annex {entry.annex} ref {entry.reference}"


def same_substance(ingredient: Ingredient, names: Iterable[str]) -> bool:
    """Whether CosIng's ``names`` for a CAS number and the ingredient's own names (name,
    INCI, synonyms) share a word that tells substances apart (not "extract", "acid"...)."""
    own = set().union(*(_words(name) for name in ingredient.names()))
    theirs = set().union(*(_words(name) for name in names))
    return not own.isdisjoint(theirs)


def _cas_conflict(ingredient: Ingredient, entry: AnnexEntry | InventoryEntry) -> Problem:
    return Problem(
        f"{ingredient.id}: CAS {ingredient.cas} is {_entry_names(entry)[0]!r} in "
        f"{_record(entry)}, not {ingredient.name!r}: the CAS number is wrong; "
        "no listing was taken from it",
        path="cas",
        value=ingredient.cas,
        severity="error",
        code="cosing-cas-conflict",
    )


def cas_conflicts(files: Sequence[CosingFile], ingredients: Sequence[Ingredient]) -> list[Problem]:
    """Every ingredient whose CAS number CosIng's ``files`` give to a different substance
    (melilot extract carrying peppermint's CAS), one problem per conflicting record."""
    by_cas: dict[str, list[AnnexEntry | InventoryEntry]] = {}
    for cosing in files:
        entries: list[AnnexEntry | InventoryEntry] = [*cosing.annex_entries, *cosing.inventory]
        for entry in entries:
            for cas in entry.cas:
                by_cas.setdefault(cas, []).append(entry)
    return [
        _cas_conflict(ingredient, entry)
        for ingredient in ingredients
        if ingredient.cas
        for entry in by_cas.get(ingredient.cas, [])
        if not same_substance(ingredient, _entry_names(entry))
    ]


def _annex_source(entry: AnnexEntry) -> str:
    amended = f" (entry: {entry.regulation})" if entry.regulation else ""
    return f"{CREDIT}, Regulation (EC) No 1223/2009 Annex {entry.annex}/{entry.reference}{amended}"


# ---------------------------------------------------------------- into a catalogue


@dataclass(frozen=True, slots=True)
class CosingReport:
    """What :func:`import_cosing` changed in a catalogue's dictionary, and what it noted."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    problems: tuple[Problem, ...]


def import_cosing(catalogue: Catalogue, sources: Sequence[str | os.PathLike[str]]) -> CosingReport:
    """Read CosIng exports, then add their substances and listings to ``catalogue``.

    Every file is read before anything is written; the dictionary changes in one
    transaction. Inventory files add reference entries (see :func:`inventory_ingredients`);
    annex files then give the EU listing to every reference entry they name (see
    :func:`annex_listings`). Suppliers' own ingredients are never touched.
    """
    files = [read_cosing(source) for source in sources]
    if catalogue.readonly:
        raise CatalogueError(f"{catalogue.path} is open read-only; nothing can be imported")
    conn = catalogue.conn
    where = str(catalogue.path or ":memory:")
    try:
        with write_transaction(conn, where):
            rows = conn.execute("SELECT id, supplier_id, record FROM ingredients").fetchall()
            reference = [Ingredient.model_validate_json(r[2]) for r in rows if r[1] is None]
            inventory = inventory_ingredients(
                [f for f in files if f.kind == "inventory"],
                reference,
                taken_ids=[r[0] for r in rows if r[1] is not None],
            )
            entries = {i.id: i for i in reference} | {i.id: i for i in inventory.ingredients}
            listed = annex_listings([f for f in files if f.kind == "annex"], [*entries.values()])
            writes = {i.id: i for i in inventory.ingredients} | {
                i.id: i for i in listed.ingredients
            }
            stored = {r[0] for r in rows}
            for ingredient in writes.values():
                upsert_ingredient(conn, ingredient, None, existed=ingredient.id in stored)
    except sqlite3.Error as exc:
        raise CatalogueError(
            f"{where}: the CosIng import failed, nothing was changed: {exc}"
        ) from exc
    before = {i.id for i in reference}
    return CosingReport(
        added=tuple(i for i in writes if i not in before),
        updated=tuple(i for i in writes if i in before),
        problems=(
            *(p for f in files for p in f.problems),
            *inventory.skipped,
            *listed.skipped,
        ),
    )
