"""The ``meso`` command (placeholder until the CLI lands)."""

import click

from meso_formulary import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="meso")
def cli() -> None:
    """Search and manage mesotherapy cocktail catalogues."""


def main() -> None:
    cli()
