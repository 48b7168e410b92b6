"""Catalogue files: ``meso validate``, ``meso import``, ``meso export`` and ``meso schema``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from meso_formulary.errors import Problem
    from meso_formulary.files import Document
    from meso_formulary.model import CatalogueFile

FILE_FORMATS = ("yaml", "json", "csv")

_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FILE_FORMATS),
    help="Read every FILE in this format (default: from the extension; stdin: JSON or YAML).",
)


# ---------------------------------------------------------------- validate


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@_format_option
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only errors.")
def validate(files: tuple[str, ...], fmt: str | None, strict: bool) -> None:
    """Check supplier catalogue files (YAML, JSON or CSV; '-' reads stdin).

    Prints every problem as FILE:LINE: FIELD.PATH: SEVERITY: MESSAGE, first what makes the
    file invalid, then the findings of the rules engine for each cocktail ([MF...] names
    the rule), then a summary on stderr.

    \b
    Exit status: 0 when no errors (warnings allowed unless --strict),
                 1 when a file has errors (or warnings, with --strict),
                 2 when a file cannot be read at all.
    """
    counts: Counter[str] = Counter()
    unreadable = 0
    for source in files:
        problems, readable = _check_file(source, fmt)
        unreadable += not readable
        for problem in problems:
            counts[problem.severity] += 1
            click.echo(_format_problem(problem))
    click.echo(_summary(len(files), counts, unreadable), err=True)
    if unreadable:
        sys.exit(2)
    if counts["error"] or (strict and counts["warning"]):
        sys.exit(1)


def _check_file(source: str, fmt: str | None) -> tuple[list[Problem], bool]:
    """Every problem of one file, and whether it could be read at all."""
    from meso_formulary.errors import UnreadableInput
    from meso_formulary.files import read_document, validate_document

    try:
        document = read_document(source, fmt=fmt)
    except UnreadableInput as error:
        return list(error.problems), False
    catalogue, problems = validate_document(document)
    if catalogue is None:
        return problems, True
    return list(_rule_findings(catalogue, document)), True


def _rule_findings(catalogue: CatalogueFile, document: Document) -> Iterator[Problem]:
    """The rules engine's findings on each cocktail, located in the source file.

    The file's own ingredients take part, shadowing shipped ones of the same id, as they do
    when the file is imported.
    """
    from dataclasses import replace

    from meso_formulary import reference
    from meso_formulary.rules import build_context, default_registry

    ingredients = {i.id: i for i in reference.ingredients()}
    ingredients.update((i.id, i) for i in catalogue.ingredients)
    context = build_context(ingredients=ingredients)
    registry = default_registry()
    for index, cocktail in enumerate(catalogue.cocktails):
        for finding in registry.check(cocktail, context):
            steps = [int(s) if s.isdigit() else s for s in finding.path.split(".") if s]
            path = ("cocktails", index, *steps)
            yield replace(
                finding.as_problem(),
                message=f"{finding.message} [{finding.code}]",
                path=".".join(map(str, path)),
                file=document.filename,
                line=document.line_of(path),
            )


def _format_problem(problem: Problem) -> str:
    where = problem.location()
    text = f"{problem.severity}: {problem.message}"
    return f"{where}: {text}" if where else text


def _summary(files: int, counts: Counter[str], unreadable: int) -> str:
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["info"]:
        parts.append(_plural(counts["info"], "note"))
    if unreadable:
        parts.append(f"{unreadable} unreadable")
    return f"{_plural(files, 'file')} checked: {', '.join(parts)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- schema


@click.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of catalogue files, for editors and validators.

    Some rules need code (CAS check digits, ids in the supplier's namespace): check files
    with meso validate.
    """
    from meso_formulary.files import catalogue_json_schema

    click.echo(json.dumps(catalogue_json_schema(), indent=2, ensure_ascii=False))
