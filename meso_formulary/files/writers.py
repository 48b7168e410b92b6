"""Writing catalogues: canonical JSON and YAML, the supplier CSV layout, and safe CSV.

Output is deterministic (keys in model order, fields left at their default omitted, the
``format`` marker always first), so that two dumps of equal catalogues are byte-identical
and a dump read back with :mod:`meso_formulary.files` gives an equal model.
:func:`write_catalogue_csv` writes a catalogue in the very columns the CSV reader reads
(:mod:`.csv_reader`): what that layout has no column for is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any, Final, Literal

import yaml

from meso_formulary.files.csv_reader import COCKTAIL_COLUMNS, LINE_COLUMNS, SUPPLIER_COLUMNS
from meso_formulary.files.yaml_reader import CORE_PATTERNS
from meso_formulary.model import FORMAT, CatalogueFile
from meso_formulary.safe_csv import write_csv


class _Dumper(yaml.CSafeDumper):
    """A safe dumper that also quotes strings YAML 1.2 would read as something else.

    PyYAML quotes strings that *YAML 1.1* would read as non-strings (``NO``, ``1:30``,
    ``012``); :func:`~meso_formulary.files.parse_yaml` follows YAML 1.2, which also reads
    ``1e3`` and ``0o17`` as numbers. Registering the 1.2 patterns makes the emitter quote
    those too, so every string reads back as the same string. It never writes anchors and
    aliases either (the reader refuses them), even for an object that appears twice.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True


for _tag, _pattern, _first in CORE_PATTERNS:
    _Dumper.add_implicit_resolver(_tag, _pattern, _first)


def catalogue_data(catalogue: CatalogueFile) -> dict[str, Any]:
    """The catalogue as canonical plain data (what the JSON and YAML dumps hold)."""
    data = catalogue.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {"format": FORMAT, **data}


def dump_catalogue(catalogue: CatalogueFile, fmt: Literal["json", "yaml"] = "json") -> str:
    """The catalogue as canonical JSON (indent 2, UTF-8 text) or YAML."""
    data = catalogue_data(catalogue)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "yaml":
        text: str = yaml.dump(
            data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
        )
        return text
    raise ValueError(f"unknown format {fmt!r} (json or yaml)")


CSV_COLUMNS: Final[tuple[str, ...]] = (
    *SUPPLIER_COLUMNS,
    "catalogue_version",
    *COCKTAIL_COLUMNS,
    *LINE_COLUMNS,
)
"""The supplier CSV layout's columns (:mod:`.csv_reader`), in the order they are written."""

_ADMINISTRATION_COLUMNS: Final = ("techniques", "devices")


def catalogue_csv_rows(catalogue: CatalogueFile) -> Iterator[dict[str, object]]:
    """The catalogue as rows of the supplier CSV layout: one per composition line (a
    cocktail without composition gets one row of its own), every row carrying its
    supplier's and cocktail's cells.

    A contraindication given as a record is written as its condition id; fields the
    layout has no column for (the supplier's own ingredients, protocols, aftercare...) are
    left out.
    """
    data = catalogue_data(catalogue)
    top: dict[str, object] = {
        column: data["supplier"].get(key) for column, key in SUPPLIER_COLUMNS.items()
    }
    top["catalogue_version"] = data.get("version")
    for cocktail in data.get("cocktails", ()):
        administration = cocktail.get("administration") or {}
        fields = dict(top)
        for column, key in COCKTAIL_COLUMNS.items():
            value = (
                administration.get(key) if column in _ADMINISTRATION_COLUMNS else cocktail.get(key)
            )
            if column == "contraindications" and value:
                value = [item["condition"] if isinstance(item, dict) else item for item in value]
            fields[column] = value
        lines = cocktail.get("composition") or [{}]
        for line in lines:
            strength = line.get("strength") or {}
            yield {
                **fields,
                "ingredient": line.get("ingredient"),
                "value": strength.get("value"),
                "unit": strength.get("unit"),
            }


def write_catalogue_csv(catalogue: CatalogueFile, stream: IO[str]) -> None:
    """Write ``catalogue`` in the supplier CSV layout (:func:`catalogue_csv_rows`),
    formula-safe, for :func:`~meso_formulary.files.parse_csv` to read back."""
    write_csv(catalogue_csv_rows(catalogue), stream, CSV_COLUMNS)
