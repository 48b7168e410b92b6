"""The ``meso`` command: search, inspect, validate and manage mesotherapy cocktail catalogues.

A thin layer over the library, in the manner of sqlite-utils' ``cli.py``: each command parses
its options, calls the library and formats the answer. Start-up time is part of the product,
so nothing heavy is imported here: subcommands live in one module per command family and are
imported only when used (click's "lazy group" pattern), and those modules import pydantic,
sqlite-utils or rich inside the functions that need them.

Library errors (:class:`~meso_formulary.errors.MesoError`) are translated at this boundary
into ``Error: <message>`` and ``Hint: <hint>`` on stderr, exit code 1 (2 for unreadable
input); anything else escaping a command is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from meso_formulary._version import __version__
from meso_formulary.cli.common import BadInput, CliError

COMMANDS: dict[str, str] = {
    "search": "meso_formulary.cli.search_commands:search",
    "show": "meso_formulary.cli.inspect_commands:show",
    "compare": "meso_formulary.cli.inspect_commands:compare",
    "indications": "meso_formulary.cli.inspect_commands:indications",
    "conditions": "meso_formulary.cli.inspect_commands:conditions",
    "areas": "meso_formulary.cli.inspect_commands:areas",
    "ingredients": "meso_formulary.cli.inspect_commands:ingredients",
    "stats": "meso_formulary.cli.inspect_commands:stats",
    "history": "meso_formulary.cli.inspect_commands:history",
    "schedule": "meso_formulary.cli.schedule_commands:schedule",
    "validate": "meso_formulary.cli.file_commands:validate",
    "init": "meso_formulary.cli.init_command:init",
    "import": "meso_formulary.cli.file_commands:import_",
    "export": "meso_formulary.cli.file_commands:export",
    "schema": "meso_formulary.cli.file_commands:schema",
    "import-cosing": "meso_formulary.cli.cosing_commands:import_cosing",
    "keygen": "meso_formulary.cli.publish_commands:keygen",
    "publish": "meso_formulary.cli.publish_commands:publish",
    "trust": "meso_formulary.cli.publish_commands:trust",
    "drafts": "meso_formulary.cli.draft_commands:drafts",
    "diff": "meso_formulary.cli.publish_commands:diff",
    "serve": "meso_formulary.cli.serve_command:serve",
}
"""Every subcommand, in the order ``meso --help`` lists them: name -> ``"module:attribute"``.

This is the one place a command is registered: a new command family adds its module under
``cli/`` and its entries here (``tests/test_cli_main.py`` loads every entry).
"""


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (see click's documentation)."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy_commands, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_commands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            import sqlite3

            from meso_formulary.errors import MesoError, UnreadableInput

            if isinstance(error, sqlite3.DatabaseError) and not isinstance(
                error, sqlite3.ProgrammingError
            ):  # a damaged or foreign catalogue file, not a bug
                from meso_formulary.catalogue.store.connect import read_error

                error = read_error(error)
            if not isinstance(error, MesoError):
                raise
            kind = BadInput if isinstance(error, UnreadableInput) else CliError
            raise kind(str(error), hint=error.hint) from error


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="meso")
def cli() -> None:
    """Search and manage catalogues of mesotherapy serum cocktails.

    Search by concern in everyday words ("hair loss", "panda eyes"), leave out what a client
    cannot have, compare cocktails and plan a course; suppliers validate and import their
    catalogue files. Every command that reads a catalogue takes --db (or MESO_DB); without
    it, the reference catalogue shipped with the package is used.

    Information, not medical advice: every figure says where it comes from. Every answer
    drawn for a person ends with this notice on one line. --json, --csv and --nl output
    holds the data alone; the notice applies to it as well.
    """


def main() -> None:
    """The ``meso`` console script (and ``python -m meso_formulary``)."""
    cli.main(prog_name="meso")
