"""One cocktail as every front end shows it, read from the rows with the standard library.

``meso show`` (its table and ``--json``) and the web cocktail page both render the
:class:`CocktailView` that :func:`load_cocktail` builds, so they say the same things in the
same words: the composition with names, classes, strengths as given and in mg/mL, the
indications by name, the product (maker, brands, type, pack, regulatory claims with their
sources; the products an archetype stands for and the archetypes that stand for a product),
the course and its sourced facts, aftercare, expected effects, safety figures,
contraindications (a client condition by name, the source's words and the source; plain
text from older files as it is), every condition that rules the cocktail out and why, what
applies to a client with given conditions, the rule findings with their sources and where
the supplier's catalogue came from. A record stored before any of these fields existed
reads as one that states none of them.

Nothing here loads pydantic or runs the rules engine: the cocktail's record is the canonical
JSON the importer stored after validating it, the mg/mL figures are the ones it computed,
the findings are the ones the rules engine reported when the cocktail was written
(``cocktails.findings``, see :mod:`.sql_schema`), and the conditions that rule it out are
the ones the importer worked out then (``cocktail_screening``, see :mod:`.screening`):
the search hides a cocktail for a client by the same rows, so the page and the search
never disagree. Reading a cocktail therefore costs a few queries, which keeps ``meso show``
about as fast to start as ``meso search``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from meso_formulary.catalogue.store.cocktail_card import (
    CocktailCard,
    CompositionLine,
    CourseFactLine,
    FindingLine,
    ProtocolFacts,
    Span,
    area_names,
    composition_lines,
    course_fact_lines,
    finding_lines,
    protocol_facts,
    words,
)
from meso_formulary.catalogue.store.connect import reads_stored_rows
from meso_formulary.catalogue.store.provenance import Provenance as Provenance
from meso_formulary.catalogue.store.provenance import provenance
from meso_formulary.errors import NotFound
from meso_formulary.vocabulary import ConditionId

NO_CONTRAINDICATIONS: Final = (
    "None listed here. That does not mean there are none: check the product's labelling."
)
ALSO_RULED_OUT: Final = "Also ruled out for"
NONE_APPLIES: Final = (
    "none of the client's conditions rules it out as far as this catalogue records. That "
    "does not make it suitable: check the product's labelling."
)
NO_FINDINGS: Final = "None: the rules engine finds nothing questionable."
FINDINGS_NOT_COMPUTED: Final = (
    "Not computed: this row was not written by meso-formulary's importer, so no rule "
    "has checked it."
)
NO_SOURCES: Final = "None given."
NOT_STATED: Final = "not stated"
PRODUCT_INSTRUCTIONS: Final = "product's instructions"
"""How an aftercare item from the product's own instructions is marked."""


def hours(value: float) -> str:
    """A duration in hours, with days when it is a whole number of them (``48 h (2 days)``)."""
    text = f"{value:g} h"
    if value >= 24 and value % 24 == 0:
        days = int(value // 24)
        text += f" ({days} day{'s' if days != 1 else ''})"
    return text


@dataclass(frozen=True)
class SupplierFacts:
    """Who supplies the cocktail, as their catalogue states it."""

    id: str
    name: str
    jurisdiction: str | None
    licence: str | None
    url: str | None


@dataclass(frozen=True)
class AftercareLine:
    """One piece of aftercare advice and how long it applies after each session."""

    kind: str
    advice: str
    hours: float | None
    source: str
    basis: str = "general"
    """``general`` (clinic or literature advice) or ``product_instructions``."""

    @property
    def duration(self) -> str:
        return NOT_STATED if self.hours is None else hours(self.hours)

    @property
    def basis_text(self) -> str:
        """``product's instructions`` for the product's own advice, else blank."""
        return PRODUCT_INSTRUCTIONS if self.basis == "product_instructions" else ""


@dataclass(frozen=True)
class EffectLine:
    """An expected effect of a session and how long it usually takes to settle."""

    effect: str
    settles_within_hours: Span | None
    note: str
    source: str

    @property
    def within(self) -> str:
        span = self.settles_within_hours
        if span is None:
            return NOT_STATED
        if span.min == span.max:
            return hours(span.min)
        return f"{span.min:g} to {hours(span.max)}"


@dataclass(frozen=True)
class Fact:
    """A labelled fact about the product, with the source that states it when it has one
    of its own (a pack, a regulatory claim)."""

    label: str
    value: str
    source: str | None = None


@dataclass(frozen=True)
class PackFacts:
    """How the product is sold (:class:`meso_formulary.model.Pack`), with the volume of one
    container (the cocktail's ``vial_volume_ml``, which the pack's source backs)."""

    container: str | None
    count: int | None
    needles: str | None
    volume_ml: float | None
    source: str

    @property
    def text(self) -> str:
        """``2 syringes of 1 mL per pack, needles: 4 × 30G ½"`` (only what is stated)."""
        unit = self.container or "unit"
        if self.count is not None:
            text = f"{self.count} {unit}{'s' if self.count != 1 else ''}"
        else:
            text = self.container or ""
        if self.volume_ml is not None:
            text = f"{text} of {self.volume_ml:g} mL" if text else f"{self.volume_ml:g} mL"
        if self.count is not None:
            text += " per pack"
        if self.needles:
            text = f"{text}, needles: {self.needles}" if text else f"needles: {self.needles}"
        return text or NOT_STATED


@dataclass(frozen=True)
class RegulatoryLine:
    """How the product is placed on one market (:class:`meso_formulary.model.RegulatoryClaim`)."""

    status: str
    jurisdiction: str
    detail: str | None
    source: str

    @property
    def text(self) -> str:
        """``EU: medical device (CE-marked class III medical device)``."""
        text = f"{self.jurisdiction}: {words(self.status)}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class SafetyLine:
    """An adverse event and how often a source saw it
    (:class:`meso_formulary.model.SafetyFigure`)."""

    event: str
    percent: float | None
    among: str | None
    note: str
    source: str

    @property
    def frequency(self) -> str:
        """``12%``, or ``not stated``."""
        return NOT_STATED if self.percent is None else f"{self.percent:g}%"

    @property
    def text(self) -> str:
        """``Bruising: 12% among subjects in the phase 3 trials``."""
        text = self.event
        if self.percent is not None:
            text += f": {self.frequency}"
            if self.among:
                text += f" among {self.among}"
        elif self.among:
            text += f" (among {self.among})"
        return text


@dataclass(frozen=True)
class Linked:
    """Another cocktail record of the catalogue: one an archetype stands for, or an
    archetype that stands for this product. ``name`` is ``None`` when the catalogue holds
    no cocktail of that id (it is then shown by its id)."""

    id: str
    name: str | None

    @property
    def known(self) -> bool:
        return self.name is not None

    @property
    def text(self) -> str:
        """``Profhilo (reference/profhilo)``, or the bare id when unknown."""
        return self.id if self.name is None else f"{self.name} ({self.id})"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class Named:
    """A vocabulary entry by id and by the name people read."""

    id: str
    name: str


@dataclass(frozen=True)
class ContraindicationLine:
    """One contraindication the cocktail lists: a client condition of the vocabulary with
    the source's words and the source, or the plain text of a file written before the
    vocabulary (``condition`` is then ``None`` and ``note`` holds the text as given)."""

    condition: Named | None
    note: str | None
    source: str | None
    applies: bool
    """Whether the condition is one of the client's (``meso show --client``)."""

    @property
    def text(self) -> str:
        """``Pregnancy: pregnancy or breast-feeding (source: ...)``, or the plain text."""
        if self.condition is None:
            return self.note or ""
        text = self.condition.name
        if self.note and self.note.casefold() != text.casefold():
            text += f": {self.note}"
        if self.source:
            text += f" (source: {self.source})"
        return text

    @property
    def mark(self) -> str:
        """``applies: Pregnancy`` when the condition is one of the client's, else blank."""
        return f"applies: {self.condition.name}" if self.applies and self.condition else ""


@dataclass(frozen=True)
class RuledOutBy:
    """A client condition that rules the cocktail out, and why, as the importer worked it
    out (:mod:`.screening`): the cocktail lists it, one of its ingredients lists it, an
    ingredient carries a moiety or belongs to an allergen group the condition rules out,
    or a plain-text contraindication names it."""

    condition: Named
    via: str
    """``cocktail``, ``ingredient``, ``moiety``, ``group`` or ``text``."""
    ingredient: str | None
    """The name of the ingredient the reason comes through, if any."""
    detail: str | None
    """The source's words (cocktail, ingredient), the name of the moiety or allergen group
    (moiety, group) or the plain text (text)."""
    applies: bool
    """Whether the condition is one of the client's."""

    @property
    def why(self) -> str:
        """``listed by the cocktail (pregnancy or breast-feeding)``, ``holds
        Polynucleotides (Fish-derived)`` ..."""
        ingredient, detail = self.ingredient or "an ingredient", self.detail
        if self.via == "cocktail":
            return "listed by the cocktail" + (f" ({detail})" if detail else "")
        if self.via == "ingredient":
            return f"listed for {ingredient}" + (f" ({detail})" if detail else "")
        if self.via in ("moiety", "group"):
            return f"holds {ingredient} ({detail})"
        return f"the contraindication “{detail}” names it"

    @property
    def text(self) -> str:
        return f"{self.condition.name}: {self.why}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.id,
            "name": self.condition.name,
            "via": self.via,
            "ingredient": self.ingredient,
            "detail": self.detail,
            "why": self.why,
            "applies": self.applies,
        }


@dataclass(frozen=True)
class CocktailView:
    """Everything any front end shows about one cocktail (see the module doc)."""

    id: str
    name: str
    version: str
    """The cocktail version: the supplier's own label for this cocktail (``1``, ``2.1``)."""
    revision: int
    """Which stored content of the cocktail this is (1 for the first; ``meso history``
    lists them): one more each time an import changes it."""
    regulatory_status: str
    description: str
    supplier: SupplierFacts
    provenance: Provenance
    composition: tuple[CompositionLine, ...]
    indications: tuple[Named, ...]
    areas: tuple[str, ...]
    area_names: tuple[str, ...]
    """:attr:`areas` by their plain names, in the same order."""
    maker: str | None
    product_type: str | None
    """A :class:`~meso_formulary.model.ProductType` value, or ``None`` when not stated."""
    brands: tuple[str, ...]
    pack: PackFacts | None
    regulatory: tuple[RegulatoryLine, ...]
    """How the product is placed on each market, with sources (``regulatory_status`` is
    the summary)."""
    stands_for: tuple[Linked, ...]
    """For an archetype: the product records it stands for, as listed."""
    archetypes: tuple[Linked, ...]
    """For a product: the archetypes of its supplier whose ``stands_for`` lists it."""
    properties: tuple[tuple[str, str], ...]
    """Volume of one vial (or syringe, ampoule), pH and osmolality, as ``(label, value)``,
    when stated."""
    administration: tuple[tuple[str, str], ...]
    """How it is injected, as ``(label, value)``; empty when the record does not say."""
    protocol: ProtocolFacts | None
    course_facts: tuple[CourseFactLine, ...]
    """Sourced facts about a session or the course beside the protocol (one per source)."""
    aftercare: tuple[AftercareLine, ...]
    effects: tuple[EffectLine, ...]
    safety: tuple[SafetyLine, ...]
    """Adverse-event figures sources give."""
    contraindications: tuple[ContraindicationLine, ...]
    """As the cocktail lists them (its ingredients' own are in :attr:`ruled_out_by`)."""
    ruled_out_by: tuple[RuledOutBy, ...]
    """Every client condition that rules the cocktail out, and why."""
    clients: tuple[Named, ...]
    """The client's conditions the view was asked to mark (``meso show --client``)."""
    findings: tuple[FindingLine, ...] | None
    """``None`` when the row holds no findings (not written by the importer)."""
    sources: tuple[str, ...]
    record: dict[str, Any]
    """The cocktail as stored (canonical JSON: fields at their default left out)."""

    @property
    def card(self) -> CocktailCard:
        """What a search result's card says about this cocktail."""
        return CocktailCard.of(
            self.id,
            self.protocol,
            self.composition,
            self.area_names,
            self.product_type,
            self.findings,
            self.course_facts,
        )

    @property
    def status(self) -> str:
        """The regulatory status in words."""
        return words(self.regulatory_status)

    @property
    def product_type_text(self) -> str | None:
        """The product type in words (``skin booster``), or ``None`` when not stated."""
        return None if self.product_type is None else words(self.product_type)

    @property
    def product(self) -> tuple[Fact, ...]:
        """What the product is, only as far as stated: maker, brands, type, pack and each
        regulatory claim (the last two with their sources)."""
        facts = []
        if self.maker:
            facts.append(Fact("Maker", self.maker))
        if self.brands:
            facts.append(Fact("Brands", ", ".join(self.brands)))
        if self.product_type_text:
            facts.append(Fact("Type", self.product_type_text))
        if self.pack is not None:
            facts.append(Fact("Pack", self.pack.text, self.pack.source))
        facts += [Fact("Regulatory", claim.text, claim.source) for claim in self.regulatory]
        return tuple(facts)

    @property
    def summary(self) -> tuple[str, ...]:
        """The facts under the name: id; supplier, its catalogue version and provenance; the
        cocktail version and revision; status. (The words ``meso history`` uses.)"""
        return (
            self.id,
            f"supplier {self.supplier.id}, catalogue version "
            f"{self.provenance.catalogue_version} ({self.provenance.text})",
            f"cocktail version {self.version}, revision {self.revision}",
            f"regulatory status: {self.status}",
        )

    @property
    def use(self) -> tuple[tuple[str, str], ...]:
        """What it is for and where it goes, then its properties and administration."""
        return (
            ("For", ", ".join(i.name for i in self.indications) or NOT_STATED),
            ("Areas", ", ".join(self.area_names) or NOT_STATED),
            *self.properties,
            *(self.administration or (("Administration", NOT_STATED),)),
        )

    @property
    def also_ruled_out_by(self) -> tuple[RuledOutBy, ...]:
        """The reasons beyond the cocktail's own list: through its ingredients, or the
        words of a plain-text contraindication."""
        return tuple(reason for reason in self.ruled_out_by if reason.via != "cocktail")

    @property
    def applies(self) -> tuple[Named, ...]:
        """The client's conditions that rule the cocktail out, each once."""
        found = {r.condition.id: r.condition for r in self.ruled_out_by if r.applies}
        return tuple(found.values())

    @property
    def client_summary(self) -> str | None:
        """What the client's conditions mean for this cocktail (``None`` without clients):
        ``applies: Pregnancy, Fish allergy``, or that none of them rules it out here."""
        if not self.clients:
            return None
        if self.applies:
            return "applies: " + ", ".join(condition.name for condition in self.applies)
        return NONE_APPLIES

    def as_dict(self) -> dict[str, Any]:
        """What ``meso show --json`` prints: the stored record, its composition lines with
        names, classes and mg/mL, the conditions that rule it out ("ruled_out_by", each
        with "applies" for the client's), the client's conditions that apply ("applies",
        null without --client), the findings (null: not computed; each with its "source"),
        the archetypes that stand for this product ("archetypes": id and name) and the
        provenance. "version" is the record's (the cocktail version), "revision" which stored
        content it is, the provenance's "catalogue_version" the supplier's catalogue's."""
        return {
            **self.record,
            "revision": self.revision,
            "composition": [line.as_dict() for line in self.composition],
            "ruled_out_by": [reason.as_dict() for reason in self.ruled_out_by],
            "applies": [c.id for c in self.applies] if self.clients else None,
            "findings": None
            if self.findings is None
            else [finding.as_dict() for finding in self.findings],
            "archetypes": [archetype.as_dict() for archetype in self.archetypes],
            "provenance": self.provenance.as_dict(),
        }


_COCKTAIL_SQL: Final = """
SELECT c.record, c.findings, c.version_no, s.record, s.catalogue_version, s.verified,
       s.signed_by
FROM cocktails AS c JOIN suppliers AS s ON s.id = c.supplier_id WHERE c.id = ?
"""


@reads_stored_rows
def load_cocktail(
    conn: sqlite3.Connection, cocktail_id: str, clients: Sequence[ConditionId] = ()
) -> CocktailView:
    """The view of cocktail ``cocktail_id`` in the catalogue on ``conn``, with what applies
    to a client with the conditions ``clients`` marked.

    Raises :class:`~meso_formulary.errors.NotFound`, with close ids as a hint, when the
    catalogue has no such cocktail.
    """
    row = conn.execute(_COCKTAIL_SQL, (cocktail_id,)).fetchone()
    if row is None:
        raise NotFound(
            f"no cocktail {cocktail_id!r} in the catalogue", hint=_hint(conn, cocktail_id)
        )
    record_text, findings_text, revision, supplier_text, catalogue_version, verified, signed_by = (
        row
    )
    record: dict[str, Any] = json.loads(record_text)
    supplier: dict[str, Any] = json.loads(supplier_text)
    composition = composition_lines(conn, cocktail_id)
    indication_ids = list(record.get("indications", ()))
    marks = ", ".join("?" * len(indication_ids))
    names = dict(
        conn.execute(f"SELECT id, name FROM indications WHERE id IN ({marks})", indication_ids)
        if indication_ids
        else ()
    )
    protocol = record.get("protocol")
    wanted = tuple(dict.fromkeys(condition.value for condition in clients))
    ruled_out = conn.execute(_RULED_OUT_SQL, (cocktail_id,)).fetchall()
    conditions = _condition_names(conn)
    pack = record.get("pack")
    return CocktailView(
        id=record["id"],
        name=record["name"],
        version=record.get("version", "1"),
        revision=revision,
        regulatory_status=record.get("regulatory_status", "unknown"),
        description=record["description"],
        supplier=SupplierFacts(
            supplier["id"],
            supplier["name"],
            supplier.get("jurisdiction"),
            supplier.get("licence"),
            supplier.get("url"),
        ),
        provenance=provenance(supplier["id"], catalogue_version, bool(verified), signed_by),
        composition=composition,
        indications=tuple(Named(i, names.get(i, words(i))) for i in indication_ids),
        areas=tuple(record.get("areas", ())),
        area_names=_named_areas(conn, record.get("areas", ())),
        maker=record.get("maker"),
        product_type=record.get("product_type"),
        brands=tuple(record.get("brands", ())),
        pack=None
        if pack is None
        else PackFacts(
            pack.get("container"),
            pack.get("count"),
            pack.get("needles"),
            record.get("vial_volume_ml"),
            pack["source"],
        ),
        regulatory=tuple(
            RegulatoryLine(c["status"], c["jurisdiction"], c.get("detail"), c["source"])
            for c in record.get("regulatory", ())
        ),
        stands_for=_linked(conn, record.get("stands_for", ())),
        archetypes=tuple(
            Linked(*row)
            for row in conn.execute(_ARCHETYPES_SQL, (supplier["id"], record["id"], record["id"]))
        ),
        properties=_properties(record),
        administration=_administration(record.get("administration")),
        protocol=protocol_facts(protocol),
        course_facts=course_fact_lines(record.get("course_facts", ())),
        aftercare=tuple(
            AftercareLine(
                item["kind"],
                item["advice"],
                item.get("hours"),
                item["source"],
                item.get("basis", "general"),
            )
            for item in record.get("aftercare", ())
        ),
        effects=tuple(
            EffectLine(
                words(item["effect"]),
                Span.of(item.get("settles_within_hours")),
                item.get("note") or "",
                item["source"],
            )
            for item in record.get("expected_effects", ())
        ),
        safety=tuple(
            SafetyLine(
                item["event"],
                item.get("percent"),
                item.get("among"),
                item.get("note") or "",
                item["source"],
            )
            for item in record.get("safety", ())
        ),
        contraindications=tuple(
            _contraindication(item, conditions, wanted)
            for item in record.get("contraindications", ())
        ),
        ruled_out_by=tuple(
            RuledOutBy(conditions[condition], via, ingredient, detail, condition in wanted)
            for condition, via, ingredient, detail in ruled_out
        ),
        clients=tuple(conditions[condition] for condition in wanted),
        findings=finding_lines(findings_text),
        sources=tuple(record.get("sources", ())),
        record=record,
    )


def _named_areas(conn: sqlite3.Connection, areas: Sequence[str]) -> tuple[str, ...]:
    """``areas`` by their plain names (an id the catalogue has no name for, as words)."""
    names = area_names(conn)
    return tuple(names.get(area, words(area)) for area in areas)


_ARCHETYPES_SQL: Final = """
SELECT DISTINCT c.id, c.name FROM cocktails AS c, json_each(c.record, '$.stands_for') AS s
WHERE c.supplier_id = ? AND s.value = ? AND c.id != ? ORDER BY c.id
"""
"""The archetypes of a supplier whose ``stands_for`` lists a cocktail (the reverse link)."""


def _linked(conn: sqlite3.Connection, ids: Sequence[str]) -> tuple[Linked, ...]:
    """The cocktails ``ids`` with their names from the catalogue (``None``: not in it)."""
    if not ids:
        return ()
    marks = ", ".join("?" * len(ids))
    names = dict(conn.execute(f"SELECT id, name FROM cocktails WHERE id IN ({marks})", list(ids)))
    return tuple(Linked(cocktail_id, names.get(cocktail_id)) for cocktail_id in ids)


def _condition_names(conn: sqlite3.Connection) -> dict[str, Named]:
    """Every condition of the vocabulary by id, with the name the catalogue gives it (the
    table holds every condition a stored row can name: its rows are never removed)."""
    return {
        condition: Named(condition, name)
        for condition, name in conn.execute("SELECT id, name FROM conditions")
    }


def _contraindication(
    item: str | dict[str, Any], conditions: dict[str, Named], clients: Sequence[str]
) -> ContraindicationLine:
    if isinstance(item, str):
        return ContraindicationLine(None, item, None, applies=False)
    condition = item["condition"]
    return ContraindicationLine(
        conditions[condition], item.get("note"), item.get("source"), condition in clients
    )


_RULED_OUT_SQL: Final = """
SELECT s.condition_id, s.via, i.name,
       CASE s.via
           WHEN 'moiety' THEN coalesce(g.name, d.name, s.detail)
           WHEN 'group' THEN coalesce(g.name, s.detail)
               || CASE WHEN min(m.certain) = 0 THEN ' (may be)' ELSE '' END
           ELSE s.detail
       END
FROM cocktail_screening AS s
LEFT JOIN ingredients AS i ON i.id = s.ingredient_id
LEFT JOIN ingredients AS d ON d.id = s.detail
LEFT JOIN substance_groups AS g ON g.id = s.detail
    AND g.kind = CASE s.via WHEN 'moiety' THEN 'moiety' ELSE 'allergen' END
LEFT JOIN substance_group_members AS m ON s.via = 'group' AND m.kind = 'allergen'
    AND m.group_id = s.detail AND m.ingredient_id = s.ingredient_id
WHERE s.cocktail_id = ?
GROUP BY s.position ORDER BY s.position
"""
"""Why each condition rules the cocktail out, with names for the ids (see
:class:`RuledOutBy`)."""


def _properties(record: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    facts = []
    if record.get("vial_volume_ml") is not None:
        container = (record.get("pack") or {}).get("container") or "vial"
        facts.append((container.capitalize(), f"{record['vial_volume_ml']:g} mL"))
    if record.get("ph") is not None:
        facts.append(("pH", f"{record['ph']:g}"))
    if record.get("osmolality_mosm_kg") is not None:
        facts.append(("Osmolality", f"{record['osmolality_mosm_kg']:g} mOsm/kg"))
    return tuple(facts)


def _administration(given: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    if given is None:
        return ()
    facts = [("Technique", ", ".join(words(t) for t in given.get("techniques", ())))]
    if given.get("devices"):
        facts.append(("Device", ", ".join(words(d) for d in given["devices"])))
    depth = Span.of(given.get("depth_mm"))
    if depth is not None:
        facts.append(("Depth", f"{depth} mm"))
    if given.get("needle_gauge") is not None:
        facts.append(("Needle", f"{given['needle_gauge']} G"))
    if given.get("volume_per_session_ml") is not None:
        facts.append(("Volume per session", f"{given['volume_per_session_ml']:g} mL"))
    if given.get("source"):
        facts.append(("Source", given["source"]))
    return tuple(facts)


def _hint(conn: sqlite3.Connection, cocktail_id: str) -> str | None:
    from meso_formulary.names import either, suggest

    close = suggest(cocktail_id, [row[0] for row in conn.execute("SELECT id FROM cocktails")])
    return f"did you mean {either(close)}?" if close else None
