"""A user's script, written as the public API's types say it is used.

tests/test_typing.py runs ``mypy --strict`` on it against the installed wheel, then runs it:
every name comes from a public package (``meso_formulary``, ``meso_formulary.catalogue``,
``meso_formulary.catalogue.search``), never from the modules behind them.
"""

from __future__ import annotations

from datetime import date

import meso_formulary as mf
from meso_formulary import Cocktail, CourseSchedule, Finding, Strength, Unit, validate
from meso_formulary.catalogue import Catalogue, CatalogueStats, ImportReport
from meso_formulary.catalogue.search import Hit, SearchRequest, SearchResults, search


def booster() -> Cocktail:
    """A cocktail built from the models' own constructors (enums, not strings)."""
    return Cocktail(
        id="acme/hair-booster",
        name="Hair booster",
        supplier="acme",
        description="Biotin and dexpanthenol for thinning hair.",
        composition=(
            mf.CompositionLine(
                ingredient="biotin", strength=Strength(value=0.5, unit=Unit.MG_PER_ML)
            ),
            mf.CompositionLine(
                ingredient="dexpanthenol", strength=Strength(value=2, unit=Unit.PERCENT_WV)
            ),
        ),
        vial_volume_ml=5.0,
        indications=(mf.IndicationId.ALOPECIA,),
        areas=(mf.Area.SCALP,),
        protocol=mf.Protocol(sessions=4, interval_days=14, source="acme leaflet 2026"),
    )


def errors_in(cocktail: Cocktail) -> list[Finding]:
    return [finding for finding in validate(cocktail) if finding.severity == mf.Severity.ERROR]


def course(cocktail: Cocktail, start: date) -> CourseSchedule | None:
    return None if cocktail.protocol is None else mf.plan_course(cocktail.protocol, start)


def import_one(catalogue: Catalogue, cocktail: Cocktail) -> ImportReport:
    document = mf.CatalogueFile(
        supplier=mf.Supplier(id="acme", name="Acme Labs"), cocktails=(cocktail,)
    )
    return catalogue.import_catalogue(document)


def thinning_hair(catalogue: Catalogue) -> list[Hit]:
    # Plain strings for the enum-like fields and lists of names, as a user types them.
    request = SearchRequest(
        text="thinning hair", exclude=["lidocaine"], exclude_origins=("fish",), area="scalp"
    )
    results: SearchResults = search(catalogue, request)
    return results.hits


def main() -> None:
    cocktail = booster()
    assert not errors_in(cocktail)
    strength = cocktail.composition[1].strength
    assert strength is not None and mf.to_mg_per_ml(strength) == 20.0
    plan = course(cocktail, date(2026, 1, 5))
    assert plan is not None and len(plan.sessions) == 4
    with Catalogue.memory() as catalogue:
        report = import_one(catalogue, cocktail)
        assert report.added == ("acme/hair-booster",), report
        stats: CatalogueStats = catalogue.stats()
        assert stats.cocktails == 1, stats
        assert [hit.id for hit in thinning_hair(catalogue)] == ["acme/hair-booster"]
        assert catalogue.get("acme/hair-booster").name == "Hair booster"
    print("ok")


if __name__ == "__main__":
    main()
