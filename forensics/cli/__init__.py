"""The ``hangdump`` command: a thin click layer; each subcommand lives in its own module, imported on use."""
from __future__ import annotations

import importlib

import click

from forensics import __version__

COMMANDS = {
    "collect": "forensics.cli.collect",
    "demo": "forensics.cli.demo",
    "import": "forensics.cli.import_",
    "ls": "forensics.cli.ls",
    "show": "forensics.cli.show",
    "clusters": "forensics.cli.clusters",
    "report": "forensics.cli.report",
    "serve": "forensics.cli.serve",
    "export": "forensics.cli.export",
    "watch": "forensics.cli.watch",
    "mem": "forensics.cli.mem",
    "orphans": "forensics.cli.orphans",
    "tasks": "forensics.cli.tasks",
}


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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error a user can cause ends as one line on stderr and a non-zero exit code."""
    from forensics.errors import HangdumpError
    from forensics.termsafe import escape

    try:
        result = cli.main(args=argv, prog_name="hangdump", standalone_mode=False)
    except HangdumpError as exc:
        click.echo(f"hangdump: error: {escape(exc.one_line())}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("hangdump: aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except BrokenPipeError:  # stdout closed by the reader (`| head`): not an error worth a traceback
        return 1
    except KeyboardInterrupt:
        click.echo("hangdump: interrupted", err=True)
        return 130
    return result if isinstance(result, int) else 0
