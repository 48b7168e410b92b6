"""The search form: query-string arguments in, a :class:`SearchRequest` out.

The page and its JSON twin read the same arguments, so a link copied from the page answers
the same search as JSON::

    q               the concern, in lay words ("hair loss")
    exclude         named ingredients the client cannot have (repeat it, or separate by commas)
    exclude_class   ingredient classes to leave out (the page offers "anaesthetic")
    exclude_origin  ingredient origins to leave out (fish, bovine, porcine, avian, human)
    client          conditions of the client (ids of ``meso conditions``; repeat it): every
                    cocktail a condition rules out is hidden
    area            a treatment area
    ingredient      named ingredients every cocktail must contain (repeat it, or separate by
                    commas; ``include`` of the search)
    supplier        one supplier, by id
    technique       one technique (nappage, papule, point by point ...)
    max_actives     at most this many active ingredients
    indication      one indication, by id or name (the concern facet's links)
    ingredient_class  one ingredient class every cocktail must hold (the class facet's links)
    limit, offset   paging

The names are those of ``meso search``'s options (``--exclude-class`` is ``exclude_class``),
and the values the page shows are accepted back ("hyaluronic acid" for the class
``hyaluronic_acid``, "point by point" for ``point_by_point``): the parser forgives them.

Nothing is checked here: :meth:`SearchRequest.parse` (the one parser,
:meth:`~meso_formulary.catalogue.search.runner.Query.from_values`) checks everything, so the
CLI, the page and the JSON API refuse the same things with the same messages, which name
the search's fields (``text`` for ``q``, ``exclude_classes`` for ``exclude_class``). An
argument the form does not know is refused as well, so that a misspelt ``exclude`` is never
dropped in silence (names starting with ``_`` are Datasette's own and left alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urlencode

from meso_formulary.catalogue.search.api import SearchRequest
from meso_formulary.catalogue.search.runner import refuse_unknown
from meso_formulary.model import IngredientClass, Origin
from meso_formulary.vocabulary import ConditionId

EXCLUDABLE_CLASSES: Mapping[str, str] = {
    IngredientClass.ANAESTHETIC.value: "Anaesthetics (lidocaine, procaine…)",
}
"""Ingredient classes the page offers as tick boxes: value -> label."""

EXCLUDABLE_ORIGINS: Mapping[str, str] = {
    Origin.FISH.value: "Fish-derived",
    Origin.BOVINE.value: "Bovine (beef)",
    Origin.PORCINE.value: "Porcine (pork)",
    Origin.AVIAN.value: "Avian (poultry, egg)",
    Origin.HUMAN.value: "Human-derived",
}
"""Ingredient origins the page offers as tick boxes: value -> label."""


CONDITION_GROUPS: Mapping[str, tuple[ConditionId, ...]] = {
    "Pregnancy and breastfeeding": (
        ConditionId.PREGNANCY,
        ConditionId.BREASTFEEDING,
        ConditionId.PREGNANCY_PLANNED,
        ConditionId.CHILDBEARING_POTENTIAL_NO_CONTRACEPTION,
    ),
    "Medicines": (ConditionId.ANTICOAGULANTS, ConditionId.ISOTRETINOIN_RECENT),
    "Health": (
        ConditionId.BLEEDING_DISORDER,
        ConditionId.AUTOIMMUNE_DISEASE,
        ConditionId.ACTIVE_CANCER,
        ConditionId.UNCONTROLLED_HYPERTENSION,
        ConditionId.DYSPHAGIA,
        ConditionId.UNDER_18,
    ),
    "Skin": (
        ConditionId.ACTIVE_SKIN_INFECTION,
        ConditionId.KELOID_TENDENCY,
        ConditionId.RECENT_LASER,
        ConditionId.RECENT_FACIAL_SURGERY,
    ),
    "Allergies": (
        ConditionId.FISH_ALLERGY,
        ConditionId.SOY_ALLERGY,
        ConditionId.PEANUT_ALLERGY,
        ConditionId.EGG_ALLERGY,
        ConditionId.AMIDE_ANAESTHETIC_ALLERGY,
        ConditionId.ESTER_ANAESTHETIC_ALLERGY,
        ConditionId.HYALURONIC_ACID_ALLERGY,
        ConditionId.GRAM_POSITIVE_PROTEIN_ALLERGY,
        ConditionId.SEVERE_ALLERGY_HISTORY,
    ),
}
"""The client conditions the page offers as tick boxes, by group (every condition once)."""


class QueryArgs(Protocol):
    """What the form needs of Datasette's ``request.args`` (a ``MultiParams``)."""

    def get(self, name: str, default: str | None = None) -> str | None: ...

    def getlist(self, name: str) -> list[str]: ...

    def __iter__(self) -> Iterator[str]: ...


ARGUMENTS = (
    "q",
    "ingredient",
    "exclude",
    "exclude_class",
    "exclude_origin",
    "client",
    "area",
    "supplier",
    "technique",
    "max_actives",
    "indication",
    "ingredient_class",
    "limit",
    "offset",
)
"""The query-string arguments of the search (page and JSON): ``meso search``'s options, by
the same names (``q`` for its words), in the order of its ``--help``."""

FILTERS = ("ingredient", "supplier", "technique", "max_actives", "indication", "ingredient_class")
"""The arguments the page's form has no control for: the page keeps them (hidden fields)
when the form is submitted again, and says they apply."""


@dataclass(frozen=True)
class SearchForm:
    """The form as submitted, kept as typed so that the page can show it again."""

    q: str = ""
    exclude: str = ""
    exclude_classes: tuple[str, ...] = ()
    exclude_origins: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    area: str = ""
    ingredient: str = ""
    supplier: str = ""
    technique: str = ""
    max_actives: str = ""
    indication: str = ""
    ingredient_class: str = ""
    limit: str = ""
    offset: str = ""
    q_given: bool = False
    """Whether ``q`` was in the query string at all: ``q=`` alone is a blank search (refused
    as the other front ends refuse blank text), no ``q`` is the browse view."""
    unknown: tuple[str, ...] = ()
    """Arguments the form does not know (refused when the search is run)."""

    @property
    def submitted(self) -> bool:
        """False on the first, empty visit: the page then shows the form and no results."""
        return any(
            (
                self.q,
                self.exclude,
                self.exclude_classes,
                self.exclude_origins,
                self.clients,
                self.area,
                self.ingredient,
                self.supplier,
                self.technique,
                self.max_actives,
                self.indication,
                self.ingredient_class,
                self.limit,
                self.offset,
                self.unknown,
            )
        )

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """The :data:`FILTERS` given, as (argument, value) pairs."""
        pairs = (
            ("ingredient", self.ingredient),
            ("supplier", self.supplier),
            ("technique", self.technique),
            ("max_actives", self.max_actives),
            ("indication", self.indication),
            ("ingredient_class", self.ingredient_class),
        )
        return tuple((name, value) for name, value in pairs if value)

    def with_facet(self, name: str, value: str) -> SearchForm:
        """This form with the facet argument ``name`` (``indication``, ``area``,
        ``supplier`` or ``ingredient_class``) set to ``value`` (``""`` removes it), on the
        first page."""
        if name == "indication":
            return replace(self, indication=value, offset="")
        if name == "area":
            return replace(self, area=value, offset="")
        if name == "supplier":
            return replace(self, supplier=value, offset="")
        if name == "ingredient_class":
            return replace(self, ingredient_class=value, offset="")
        raise ValueError(f"not a facet argument: {name!r}")

    def to_request(self) -> SearchRequest:
        """The search to run; raises :class:`~meso_formulary.errors.SearchError` if invalid."""
        refuse_unknown(self.unknown, ARGUMENTS)
        values: dict[str, object] = {
            "text": self.q if self.q_given else None,
            "include": _names(self.ingredient),
            "exclude": _names(self.exclude),
            "exclude_classes": self.exclude_classes,
            "exclude_origins": self.exclude_origins,
            "client": self.clients,
            "area": self.area or None,
            "supplier": self.supplier or None,
            "technique": self.technique or None,
            "max_actives": self.max_actives or None,
            "indication": self.indication or None,
            "ingredient_class": self.ingredient_class or None,
        }
        if self.limit:
            values["limit"] = self.limit
        if self.offset:
            values["offset"] = self.offset
        return SearchRequest.parse(values)


def read_form(args: QueryArgs) -> SearchForm:
    """The form in ``args`` (repeated ``exclude`` and ``ingredient`` arguments are joined
    with commas; of another argument given twice, the first counts)."""
    names = list(args)
    return SearchForm(
        q=args.get("q") or "",
        exclude=_joined(args.getlist("exclude")),
        ingredient=_joined(args.getlist("ingredient")),
        supplier=args.get("supplier") or "",
        technique=args.get("technique") or "",
        max_actives=args.get("max_actives") or "",
        indication=args.get("indication") or "",
        ingredient_class=args.get("ingredient_class") or "",
        exclude_classes=_distinct(args.getlist("exclude_class")),
        exclude_origins=_distinct(args.getlist("exclude_origin")),
        clients=_distinct(args.getlist("client")),
        area=args.get("area") or "",
        limit=args.get("limit") or "",
        offset=args.get("offset") or "",
        q_given="q" in names,
        unknown=tuple(name for name in names if name not in ARGUMENTS and name[:1] != "_"),
    )


def query_string(form: SearchForm, request: SearchRequest, offset: int) -> str:
    """The query string of ``form``'s search at another ``offset`` (for paging links)."""
    pairs: list[tuple[str, str | int]] = [("q", form.q)] if form.q else []
    if form.exclude:
        pairs.append(("exclude", form.exclude))
    pairs += [("exclude_class", value) for value in form.exclude_classes]
    pairs += [("exclude_origin", value) for value in form.exclude_origins]
    pairs += [("client", value) for value in form.clients]
    if form.area:
        pairs.append(("area", form.area))
    pairs += form.filters
    if form.limit:
        pairs.append(("limit", request.limit))
    if offset:
        pairs.append(("offset", offset))
    return urlencode(pairs)


def _joined(values: Sequence[str]) -> str:
    return ", ".join(value.strip() for value in values if value.strip())


def _names(joined: str) -> tuple[str, ...]:
    return tuple(item for item in (part.strip() for part in joined.split(",")) if item)


def _distinct(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
