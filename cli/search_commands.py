"""``meso search``: cocktails by concern in everyday words, minus what a client cannot have.

It calls the search engine directly (:func:`meso_formulary.catalogue.search.runner.run`, the one the
library's typed :func:`~meso_formulary.catalogue.search.api.search` wraps) on a plain read-only
connection, and prints JSON with the standard library: its start-up is measured against a
bare ``python -c`` running one FTS query (``bench/bench_cli.py``), so this path imports no
pydantic, sqlite-utils or rich (rapidfuzz only for a typo). rich draws the table, which is
for people.
"""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from meso_formulary.catalogue.search import runner as engine
from meso_formulary.catalogue.search.reading_text import reading_lines, relaxation_lines
from meso_formulary.catalogue.search.runner import (
    DEFAULT_LIMIT,
    FIELDS,
    MAX_LIMIT,
    SEARCH_FIELDS,
    Answer,
    Query,
    run,
    unknown_field,
)
from meso_formulary.catalogue.search.screening_text import screening_lines
from meso_formulary.cli.common import connect_catalogue, db_option, safe_text
from meso_formulary.cli.output import Format, cell, emit, new_table, output_options, wrapped

if TYPE_CHECKING:
    from rich.console import Group
    from rich.text import Text

    from meso_formulary.catalogue.store.provenance import Provenance

__all__ = ["FIELDS", "search"]


class _SearchCommand(click.Command):
    """``meso search``: an unknown option is refused as the search's other front ends refuse
    an unknown field (:func:`~meso_formulary.catalogue.search.runner.unknown_field`).

    The options are passed to :meth:`Query.parse` as typed, with no click ranges or choices:
    the CLI, the Python API and the web refuse a search with the same words.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            options = [
                name
                for param in self.params
                if param.name in SEARCH_FIELDS
                for name in param.opts
                if name.startswith("--")
            ]
            raise unknown_field(error.option_name.lstrip("-"), options) from None


@click.command(cls=_SearchCommand)
@click.argument("words", nargs=-1)
@click.option(
    "-i",
    "--ingredient",
    "include",
    multiple=True,
    metavar="X",
    help="Must contain ingredient X (id, name, INCI name or synonym). Repeatable.",
)
@click.option(
    "-x",
    "--exclude",
    multiple=True,
    metavar="X",
    help="Must not contain ingredient X in any form (hyaluronic acid covers sodium "
    "hyaluronate), or any member of group X (fish-derived, amide-local-anaesthetics). "
    "Repeatable.",
)
@click.option(
    "--exclude-class",
    "exclude_classes",
    multiple=True,
    metavar="C",
    help="Must not contain any ingredient of class C (anaesthetic, peptide ...). Repeatable.",
)
@click.option(
    "--exclude-origin",
    "exclude_origins",
    multiple=True,
    metavar="O",
    help="Must not contain any ingredient of origin O (fish, bovine, animal ...). Repeatable.",
)
@click.option(
    "--client",
    "client",
    multiple=True,
    metavar="ID",
    help="Hide every cocktail that condition ID rules out (pregnancy, fish-allergy ...; "
    "meso conditions lists them by id and name, and either is accepted). Repeatable.",
)
@click.option(
    "--area",
    metavar="A",
    help="Only cocktails for treatment area A (scalp, face ...; meso areas lists them by id "
    "and name, and either is accepted).",
)
@click.option("--supplier", metavar="S", help="Only cocktails of supplier S (its id).")
@click.option("--technique", metavar="T", help="Only cocktails given by technique T (nappage ...).")
@click.option("--max-actives", metavar="N", help="At most N active ingredients.")
@click.option("--indication", metavar="I", help="Only cocktails for indication I (alopecia ...).")
@click.option(
    "--ingredient-class",
    metavar="C",
    help="Only cocktails holding an ingredient of class C (vitamin, peptide ...).",
)
@click.option(
    "--limit",
    metavar="N",
    help=f"Show at most N results (1 to {MAX_LIMIT}).  [default: {DEFAULT_LIMIT}]",
)
@click.option("--offset", metavar="N", help="Skip the first N results.  [default: 0]")
@output_options
@db_option
def search(fmt: Format, db: Path | None, words: tuple[str, ...], **criteria: Any) -> None:
    """Find cocktails for a concern, in the client's own words, in six languages.

    WORDS (quoted or not) may be what the client said: concerns ("hair loss", "queda de
    cabelo", "rides du front"), treatment areas ("double chin", "scalp"), brands
    ("Profhilo"), ingredients or any words of a cocktail's name and description; typos,
    accents and plurals are forgiven. What the text names drives the match; its other words
    only rank. Without WORDS or filters, every cocktail is listed by name.

    \b
    Examples:
      meso search hair loss
      meso search "what can I do about my dark circles"
      meso search "panda eyes" --exclude lidocaine --exclude-origin fish
      meso search "skin booster" --client pregnancy-planned --client fish-allergy
      meso search "cellulite" --area thighs --max-actives 4 --json

    --exclude covers every form of the substance (excluding hyaluronic acid hides sodium
    hyaluronate too) and takes allergen groups (fish-derived, amide-local-anaesthetics);
    --client hides what a condition rules out (meso conditions lists them). Words of
    screening in TEXT count the same ("pregnant", "allergic to lidocaine", in six
    languages): never as a concern to search for. Below the results, the search says how many
    cocktails were hidden and why ("3 hidden because: Pregnancy (2), Fish allergy (1)") and
    what each exclusion covered. Nothing hidden does not make a cocktail suitable: this is
    information, not medical advice.

    With --json, --nl or --csv, each result has: id, name, supplier, indications (ids),
    score, why (the reasons it matched), key_actives, n_actives and provenance (kind:
    verified, draft or reference; with --json also the signing key's fingerprint as
    signed_by, the catalogue version and the status shown on the page); with --json and
    --nl also card (course, areas, anaesthetics, origins, product type and rule warnings,
    as the web page's result card says them); the screening report
    goes to stderr. When nothing matches, a message (with "did you mean" suggestions) goes
    to stderr and the exit status is 1.
    """
    # Options left out keep the query's defaults; facets are for the table's footer.
    if words:
        criteria["text"] = " ".join(words)
    given = {name: value for name, value in criteria.items() if value is not None}
    query = Query.from_values({**given, "facets": fmt is Format.TABLE})
    with closing(connect_catalogue(db)) as conn:
        answer = run(conn, query)
        cards = _cards(conn, answer) if fmt in (Format.JSON, Format.NL) else None
    report = screening_lines(answer.screening)
    if not answer.hits:
        _nothing_found(answer, criteria, report)
    if fmt is not Format.TABLE and (report or answer.relaxed):
        notes = [*relaxation_lines(answer), *report]
        click.echo("\n".join(wrapped(safe_text(line)) for line in notes), err=True)
    records = [found.record() for found in answer.hits]
    if cards is not None:
        records = [{**record, "card": cards.get(str(record["id"]))} for record in records]
    # CSV holds the provenance's kind (verified, draft, reference); JSON the whole object.
    flat = (
        [
            {**record, "provenance": found.provenance.kind}
            for record, found in zip(records, answer.hits, strict=True)
        ]
        if fmt is Format.CSV
        else None
    )
    emit(records, fmt, lambda: _table(answer, query.offset, report), flat=flat, columns=FIELDS)


def _cards(conn: Any, answer: Answer) -> dict[str, dict[str, Any]]:
    """Each hit's card (what the web page's result card says), by cocktail id."""
    from meso_formulary.catalogue.store.cocktail_card import load_cards

    cards = load_cards(conn, [found.id for found in answer.hits])
    return {cocktail_id: card.as_dict() for cocktail_id, card in cards.items()}


def _nothing_found(results: Answer, criteria: dict[str, Any], report: tuple[str, ...]) -> None:
    """Say that nothing matched (and why it may be, what screening hid) on stderr, then
    exit 1."""
    text = criteria.get("text")
    what = f"for {text!r}" if text else "for these filters"
    if results.total:
        message = f"No more cocktails {what}: all {results.total} are before --offset."
    else:
        message = f"No cocktails found {what}."
    lines = [message]
    if results.untreated:
        lines.append(
            "Read in the text, but no cocktail in this catalogue treats: "
            + ", ".join(results.untreated)
            + "."
        )
    if results.did_you_mean:
        lines.append("Did you mean: " + ", ".join(results.did_you_mean) + "?")
    if results.covered:
        lines.append("The catalogue has cocktails for: " + ", ".join(results.covered) + ".")
    click.echo("\n".join(wrapped(safe_text(line)) for line in [*lines, *report]), err=True)
    sys.exit(1)


def _provenance(provenance: Provenance) -> Text:
    """A hit's provenance: ``verified`` and the signing key's first digits, ``draft`` (in
    bold: nobody vouches for an unsigned file) or ``reference`` (the shipped data)."""
    from rich.text import Text

    text = Text()
    if provenance.verified:
        text.append_text(cell(f"verified, key {provenance.key}", style="dim"))
    else:
        text.append_text(
            cell(provenance.kind, style="bold" if provenance.kind == "draft" else "dim")
        )
    return text


def _table(results: Answer, offset: int, report: tuple[str, ...]) -> Group:
    from rich.console import Group
    from rich.text import Text

    # The supplier is the id's first part: its own column would take the width the id needs
    # to stay whole (and be copied into `meso show`) at 80 columns.
    table = new_table("Cocktail", "Indications", "Key actives", "Why")
    table.expand = True
    for hit in results.hits:
        name = cell(hit.name, style="bold")
        name.append("\n")
        name.append_text(cell(hit.id))
        name.append("\n")
        name.append_text(_provenance(hit.provenance))
        table.add_row(
            name,
            cell(", ".join(i.value for i in hit.indications)),
            cell(", ".join(hit.key_actives)),
            cell("; ".join(hit.why)),
        )
    first, last = offset + 1, offset + len(results.hits)
    footer = [Text(f"Showing {first}-{last} of {results.total}.")]
    footer += [cell(line) for line in reading_lines(results)]
    footer += [cell(line, style="bold") for line in report]
    if not results.ranking_complete:
        footer.append(
            Text(
                "Ranked by relevance: the matches with these words in their name and an even "
                "sample of the others, then the rest; narrow the search to rank them all."
            )
        )
    if not results.facets_complete:
        footer.append(Text(f"Counts below are over the best {engine.FACET_LIMIT:,} matches."))
    for facet, counts in results.facets.items():
        if counts:
            counted = ", ".join(f"{key} {n}" for key, n in counts.items())
            footer.append(cell(f"{facet.replace('_', ' ').capitalize()}: {counted}"))
    return Group(table, *footer)
