"""A search result's card, and the lines of a cocktail's view it is built from.

:class:`CocktailCard` says what a result card says (course, areas by name, anaesthetics,
origins, product type, rule warnings); :func:`load_cards` reads the cards of a page of
hits from the stored rows. The composition, protocol, finding and course-fact lines are
those of the one view of a cocktail (:mod:`.cocktail_view` builds its view from them and
re-exports them): kept in this smaller module so that ``meso search --json`` reads its
cards without defining the whole view (a frozen dataclass costs about half a millisecond
to define at start-up).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from meso_formulary.catalogue.store.connect import reads_stored_rows

NOT_DISCLOSED: Final = "not disclosed"


def words(value: str) -> str:
    """A vocabulary value as words: ``point_by_point`` -> ``point by point``."""
    return value.replace("_", " ")


@dataclass(frozen=True)
class Span:
    """A closed range of numbers as stored (``min`` may equal ``max``)."""

    min: float
    max: float

    def __str__(self) -> str:
        return f"{self.min:g}" if self.min == self.max else f"{self.min:g} to {self.max:g}"

    @classmethod
    def of(cls, data: Any) -> Span | None:
        return None if data is None else cls(float(data["min"]), float(data["max"]))


@dataclass(frozen=True)
class CompositionLine:
    """One composition line with its ingredient's dictionary facts."""

    position: int
    """1 for the first line."""
    ingredient_id: str
    name: str
    inci: str | None
    ingredient_class: str
    origin: str | None
    value: float | None
    unit: str | None
    mg_per_ml: float | None
    """The strength in mg/mL as computed on import; ``None`` when undisclosed or when it
    does not convert (IU without a factor, ...)."""

    @property
    def strength(self) -> str:
        """The strength as the supplier gives it, or ``not disclosed``."""
        return NOT_DISCLOSED if self.value is None else f"{self.value:g} {self.unit}"

    @property
    def mg_per_ml_text(self) -> str:
        """Blank when the strength is not disclosed; "–" when it cannot be converted."""
        if self.value is None:
            return ""
        return "–" if self.mg_per_ml is None else f"{self.mg_per_ml:.4g}"

    def as_dict(self) -> dict[str, Any]:
        """The line as ``meso show --json`` and ``--csv`` print it."""
        return {
            "position": self.position,
            "ingredient": self.ingredient_id,
            "name": self.name,
            "class": self.ingredient_class,
            "value": self.value,
            "unit": self.unit,
            "mg_per_ml": self.mg_per_ml,
        }


@dataclass(frozen=True)
class ProtocolFacts:
    """A course of sessions and what follows it (see :class:`meso_formulary.model.Protocol`)."""

    sessions: int
    interval_days: int
    session_minutes: int | None
    results_last_months: Span | None
    top_up_interval_months: int | None
    topical_numbing: bool
    source: str
    note: str | None = None

    @property
    def course(self) -> str:
        """``4 sessions, every 14 days``."""
        return f"{self.sessions} sessions, every {self.interval_days} days"

    @property
    def facts(self) -> tuple[tuple[str, str], ...]:
        """``(label, value)`` pairs, only for what the protocol states."""
        facts = [("Course", self.course)]
        if self.session_minutes is not None:
            facts.append(("Session", f"{self.session_minutes} minutes"))
        if self.topical_numbing:
            facts.append(("Numbing", "topical numbing cream before the session"))
        if self.results_last_months is not None:
            facts.append(("Results last", f"{self.results_last_months} months"))
        if self.top_up_interval_months is not None:
            facts.append(("Top-up", f"every {self.top_up_interval_months} months"))
        if self.note:
            facts.append(("Note", self.note))
        facts.append(("Source", self.source))
        return tuple(facts)


@dataclass(frozen=True)
class FindingLine:
    """A rule finding stored with the cocktail (``Finding.as_dict()`` of the rules engine)."""

    severity: str
    code: str
    rule: str
    message: str
    path: str
    value: Any
    source: str | None = None
    """Where the limit or fact the finding compares with comes from (``None`` in rows
    stored before findings carried it, or for a rule that compares with no source)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "path": self.path,
            "value": self.value,
            "source": self.source,
        }


_COURSE_FACT_LABELS: Final = {
    "session_minutes": "Session length",
    "topical_numbing": "Topical numbing",
    "results_last_months": "Results last",
    "top_ups": "Top-ups",
    "results_develop": "Results develop over the course",
    "sessions": "Sessions",
}


_COURSE_FACT_UNITS: Final = {
    "session_minutes": "minutes",
    "results_last_months": "months",
    "top_ups": "months apart",
    "sessions": "sessions",
}


@dataclass(frozen=True)
class CourseFactLine:
    """A sourced fact about a session or a course (:class:`meso_formulary.model.CourseFact`)."""

    fact: str
    min: float | None
    max: float | None
    note: str
    source: str

    @property
    def label(self) -> str:
        """The kind of fact in words (``Session length``, ``Results last``)."""
        return _COURSE_FACT_LABELS.get(self.fact, words(self.fact).capitalize())

    @property
    def amount(self) -> str:
        """``30 to 45 minutes``, ``up to 6 months``, ``at least 4 sessions``; blank for a
        fact without numbers (a numbing cream is used)."""
        unit = _COURSE_FACT_UNITS.get(self.fact, "")
        low, high = self.min, self.max
        if low is None and high is None:
            return ""
        if low is not None and high is not None:
            text = str(Span(low, high))
        elif low is not None:
            text = f"at least {low:g}"
        else:
            assert high is not None
            text = f"up to {high:g}"
        return f"{text} {unit}".rstrip()


ANIMAL_ORIGINS: Final = ("fish", "bovine", "porcine", "avian", "human")
"""The ingredient origins a card flags (a client may refuse them); the other origins
(synthetic, plant, biotechnological, mineral) are listed, not flagged."""


NO_COURSE: Final = "no course stored"


@dataclass(frozen=True)
class OriginFlag:
    """The active ingredients of one origin in a cocktail."""

    origin: str
    ingredients: tuple[str, ...]

    @property
    def animal(self) -> bool:
        return self.origin in ANIMAL_ORIGINS

    @property
    def text(self) -> str:
        """``fish-derived: Polynucleotides``, ``synthetic: Biotin, Dexpanthenol``."""
        kind = f"{self.origin}-derived" if self.animal else words(self.origin)
        return f"{kind}: {', '.join(self.ingredients)}"


@dataclass(frozen=True)
class CardWarning:
    """The findings of one rule of severity warning or error, in short words."""

    severity: str
    rule: str
    """The rule's name as words (``area not typical for indication``)."""
    count: int

    @property
    def text(self) -> str:
        """``warning: area not typical for indication (4 times)``."""
        times = f" ({self.count} times)" if self.count > 1 else ""
        return f"{self.severity}: {self.rule}{times}"


@dataclass(frozen=True)
class CocktailCard:
    """What a search result's card says about a cocktail, beside its name and reasons:
    the course, the areas, an anaesthetic it contains (named), the origins of its actives,
    the product type and the rule warnings. Built by :meth:`of` from the pieces of the one
    view (:class:`CocktailView` has it as :attr:`CocktailView.card`; :func:`load_cards`
    reads only those pieces, for a page of hits)."""

    id: str
    course: str
    """``4 sessions, every 14 days, 20 min``, or :data:`NO_COURSE`."""
    areas: tuple[str, ...]
    """By their plain names (``Around the eyes (periorbital)``, ``Scalp``)."""
    anaesthetics: tuple[str, ...]
    origins: tuple[OriginFlag, ...]
    """Animal origins first (the flags), then the others."""
    product_type: str | None
    warnings: tuple[CardWarning, ...]

    @classmethod
    def of(
        cls,
        cocktail_id: str,
        protocol: ProtocolFacts | None,
        composition: Sequence[CompositionLine],
        areas: Sequence[str],
        product_type: str | None,
        findings: Sequence[FindingLine] | None,
        course_facts: Sequence[CourseFactLine] = (),
    ) -> CocktailCard:
        """The card of a cocktail from its pieces (``areas`` by name; the session length
        from the protocol, else from a sourced course fact)."""
        course = NO_COURSE
        if protocol is not None:
            course = protocol.course
            length = next((f for f in course_facts if f.fact == "session_minutes"), None)
            if protocol.session_minutes is not None:
                course += f", {protocol.session_minutes} min"
            elif length is not None and length.amount:
                course += f", {length.amount.replace(' minutes', ' min')}"
        by_origin: dict[str, dict[str, None]] = {}
        for line in composition:
            if line.origin is not None and line.ingredient_class != "excipient":
                by_origin.setdefault(line.origin, {})[line.name] = None
        origins = sorted(
            (OriginFlag(origin, tuple(names)) for origin, names in by_origin.items()),
            key=lambda flag: (not flag.animal, flag.origin),
        )
        rules: dict[tuple[str, str], int] = {}
        for finding in findings or ():
            if finding.severity in ("warning", "error"):
                key = (finding.severity, words(finding.rule.replace("-", " ")))
                rules[key] = rules.get(key, 0) + 1
        anaesthetics = (line.name for line in composition if line.ingredient_class == "anaesthetic")
        return cls(
            id=cocktail_id,
            course=course,
            areas=tuple(areas),
            anaesthetics=tuple(dict.fromkeys(anaesthetics)),
            origins=tuple(origins),
            product_type=None if product_type is None else words(product_type),
            warnings=tuple(
                CardWarning(severity, rule, n)
                for (severity, rule), n in sorted(rules.items(), key=lambda kv: kv[0][0] != "error")
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """The card as the search's JSON gives it (``card`` of each hit)."""
        return {
            "course": self.course,
            "areas": list(self.areas),
            "anaesthetics": list(self.anaesthetics),
            "origins": [
                {
                    "origin": flag.origin,
                    "animal": flag.animal,
                    "ingredients": list(flag.ingredients),
                }
                for flag in self.origins
            ],
            "product_type": self.product_type,
            "warnings": [
                {"severity": w.severity, "rule": w.rule, "count": w.count, "text": w.text}
                for w in self.warnings
            ],
        }


COMPOSITION_SQL: Final = """
SELECT x.position, x.ingredient_id, i.name, i.inci, i.ingredient_class, i.origin, x.value,
       x.unit, x.mg_per_ml
FROM composition AS x JOIN ingredients AS i ON i.id = x.ingredient_id
WHERE x.cocktail_id = ? ORDER BY x.position
"""
"""A cocktail's composition lines with their ingredients' facts (also read by
:meth:`Catalogue.composition <.catalogue_store.Catalogue.composition>`)."""


def composition_lines(conn: sqlite3.Connection, cocktail_id: str) -> tuple[CompositionLine, ...]:
    """The composition lines of cocktail ``cocktail_id``, first line first."""
    return tuple(CompositionLine(*row) for row in conn.execute(COMPOSITION_SQL, (cocktail_id,)))


def protocol_facts(protocol: dict[str, Any] | None) -> ProtocolFacts | None:
    if protocol is None:
        return None
    return ProtocolFacts(
        sessions=protocol["sessions"],
        interval_days=protocol["interval_days"],
        session_minutes=protocol.get("session_minutes"),
        results_last_months=Span.of(protocol.get("results_last_months")),
        top_up_interval_months=protocol.get("top_up_interval_months"),
        topical_numbing=bool(protocol.get("topical_numbing", False)),
        source=protocol["source"],
        note=protocol.get("note"),
    )


def course_fact_lines(items: Sequence[dict[str, Any]]) -> tuple[CourseFactLine, ...]:
    return tuple(
        CourseFactLine(
            item["fact"], item.get("min"), item.get("max"), item.get("note") or "", item["source"]
        )
        for item in items
    )


def finding_lines(findings_text: str | None) -> tuple[FindingLine, ...] | None:
    if findings_text is None:
        return None
    return tuple(FindingLine(**finding) for finding in json.loads(findings_text))


_CARD_SQL: Final = """
SELECT c.id, json_extract(c.record, '$.protocol'), json_extract(c.record, '$.areas'),
       json_extract(c.record, '$.product_type'), c.findings,
       json_extract(c.record, '$.course_facts')
FROM cocktails AS c WHERE c.id IN (SELECT value FROM json_each(?))
"""


@reads_stored_rows
def load_cards(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, CocktailCard]:
    """The cards of the cocktails ``ids`` (a page of search hits) by id, from the same
    pieces :func:`load_cocktail` reads (an id no longer in the catalogue has none)."""
    cards = {}
    names = area_names(conn)
    for cocktail_id, protocol, areas, product_type, findings, facts in conn.execute(
        _CARD_SQL, (json.dumps(list(ids)),)
    ):
        cards[cocktail_id] = CocktailCard.of(
            cocktail_id,
            protocol_facts(None if protocol is None else json.loads(protocol)),
            composition_lines(conn, cocktail_id),
            [names.get(area, words(area)) for area in (json.loads(areas) if areas else ())],
            product_type,
            finding_lines(findings),
            course_fact_lines(json.loads(facts) if facts else ()),
        )
    return cards


def area_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Every treatment area of the catalogue by id, with its plain name (the one
    ``meso areas`` lists and the search accepts)."""
    return dict(conn.execute("SELECT id, name FROM areas"))
