"""Reading and writing catalogue files (YAML, JSON, supplier CSV), with line numbers.

Every reader returns a :class:`Document` (plain data, the file name and a line map), so that
validation is one code path and every problem reads ``file:line: field.path: message``.
"""

from __future__ import annotations

from meso_formulary.files.csv_reader import parse_csv
from meso_formulary.files.document import MAX_BYTES, MAX_DEPTH, Document, LineIndex, NodePath
from meso_formulary.files.json_reader import parse_json
from meso_formulary.files.json_schema import catalogue_json_schema
from meso_formulary.files.read import FORMATS, detect_format, parse_document, read_document
from meso_formulary.files.source import decode_text, read_bytes
from meso_formulary.files.validate import (
    check_catalogue,
    parse_catalogue,
    problems_from,
    read_catalogue,
    require_catalogue,
    validate_document,
)
from meso_formulary.files.writers import catalogue_data, dump_catalogue
from meso_formulary.files.yaml_reader import parse_yaml
from meso_formulary.safe_csv import csv_safe_cell, write_csv

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Document",
    "LineIndex",
    "NodePath",
    "catalogue_data",
    "catalogue_json_schema",
    "check_catalogue",
    "csv_safe_cell",
    "decode_text",
    "detect_format",
    "dump_catalogue",
    "parse_catalogue",
    "parse_csv",
    "parse_document",
    "parse_json",
    "parse_yaml",
    "problems_from",
    "read_bytes",
    "read_catalogue",
    "read_document",
    "require_catalogue",
    "validate_document",
    "write_csv",
]
