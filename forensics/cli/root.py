"""The click group: each subcommand lives in its own module, imported on use."""
from __future__ import annotations

import importlib

import click

from forensics import __version__
from forensics.cli import COMMANDS


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs, to keep start-up fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        return importlib.import_module(module).command if module else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hangdump")
def cli() -> None:
    """Hang forensics for Python workers: capture stuck processes, keep the evidence, find the common causes."""
