"""Print what the shipped reference data holds: records, disclosed strengths, sourced facts,
and, per real product, what its sources leave undisclosed.

    python scripts/reference_counts.py
"""

from __future__ import annotations

from meso_formulary import reference
from meso_formulary.files import parse_yaml
from meso_formulary.model import Cocktail


def _lines(cocktails: list[Cocktail]) -> str:
    lines = sum(len(c.composition) for c in cocktails)
    shown = sum(1 for c in cocktails for line in c.composition if line.strength is not None)
    return f"{shown} of {lines} composition lines with a strength"


def main() -> None:
    catalogue = reference.reference_catalogue()
    folder = reference.__file__.rsplit("/", 1)[0]
    with open(f"{folder}/{reference.PRODUCTS_FILE}", encoding="utf-8") as stream:
        data = parse_yaml(stream.read(), reference.PRODUCTS_FILE).data
    product_ids = {record["id"] for record in data["cocktails"]}
    products = [c for c in catalogue.cocktails if c.id in product_ids]
    archetypes = [c for c in catalogue.cocktails if c.id not in product_ids]
    ingredients = reference.ingredients()
    seed = reference.SEED_SOURCE
    print(f"archetypes: {len(archetypes)} ({_lines(archetypes)})")
    print(f"products: {len(products)} ({_lines(products)})")
    print(f"archetypes with a protocol: {sum(1 for c in archetypes if c.protocol)}")
    every = catalogue.cocktails
    print(
        f"course facts {sum(len(c.course_facts) for c in every)}, aftercare items "
        f"{sum(len(c.aftercare) for c in every)}, expected effects "
        f"{sum(len(c.expected_effects) for c in every)}, safety figures "
        f"{sum(len(c.safety) for c in every)}, regulatory claims "
        f"{sum(len(c.regulatory) for c in every)}"
    )
    seeded = sum(
        1
        for c in every
        for item in (*c.course_facts, *c.aftercare, *c.expected_effects)
        if item.source.startswith(seed)
    )
    print(f"facts citing the seed page: {seeded}")
    print(
        f"ingredients: {len(ingredients)}, with a CAS {sum(1 for i in ingredients if i.cas)}, "
        f"hard limits {sum(1 for i in ingredients if i.hard_limit)}, typical ranges "
        f"{sum(1 for i in ingredients if i.typical_range)}"
    )
    print("without a CAS:", ", ".join(i.id for i in ingredients if not i.cas))
    print("undisclosed, per product:")
    for product in products:
        gaps = [
            what
            for what, missing in (
                ("maker", product.maker is None),
                ("volume", product.vial_volume_ml is None),
                ("course", product.protocol is None),
                ("regulatory status", not product.regulatory),
            )
            if missing
        ]
        gaps += [
            f"strength of {line.ingredient}" for line in product.composition if not line.strength
        ]
        print(f"  {product.id}: {'; '.join(gaps) or 'nothing'}")


if __name__ == "__main__":
    main()
