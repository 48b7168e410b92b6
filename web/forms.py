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
    limit, offset   paging

Nothing is checked here: :meth:`SearchRequest.parse` (the one parser,
:meth:`~meso_formulary.catalogue.search.runner.Query.from_values`) checks everything, so the
CLI, the page and the JSON API refuse the same things with the same messages, which name
the search's fields (``text`` for ``q``, ``exclude_classes`` for ``exclude_class``). An
argument the form does not know is refused as well, so that a misspelt ``exclude`` is never
dropped in silence (names starting with ``_`` are Datasette's own and left alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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
    "exclude",
    "exclude_class",
    "exclude_origin",
    "client",
    "area",
    "limit",
    "offset",
)
"""The query-string arguments of the search (page and JSON)."""


@dataclass(frozen=True)
class SearchForm:
    """The form as submitted, kept as typed so that the page can show it again."""

    q: str = ""
    exclude: str = ""
    exclude_classes: tuple[str, ...] = ()
    exclude_origins: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    area: str = ""
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
                self.limit,
                self.offset,
                self.unknown,
            )
        )

    def to_request(self) -> SearchRequest:
        """The search to run; raises :class:`~meso_formulary.errors.SearchError` if invalid."""
        refuse_unknown(self.unknown, ARGUMENTS)
        values: dict[str, object] = {
            "text": self.q if self.q_given else None,
            "exclude": tuple(
                item for item in (part.strip() for part in self.exclude.split(",")) if item
            ),
            "exclude_classes": self.exclude_classes,
            "exclude_origins": self.exclude_origins,
            "client": self.clients,
            "area": self.area or None,
        }
        if self.limit:
            values["limit"] = self.limit
        if self.offset:
            values["offset"] = self.offset
        return SearchRequest.parse(values)


def read_form(args: QueryArgs) -> SearchForm:
    """The form in ``args`` (repeated ``exclude`` arguments are joined with commas)."""
    names = list(args)
    return SearchForm(
        q=args.get("q") or "",
        exclude=", ".join(value.strip() for value in args.getlist("exclude") if value.strip()),
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
    if form.limit:
        pairs.append(("limit", request.limit))
    if offset:
        pairs.append(("offset", offset))
    return urlencode(pairs)


def _distinct(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
