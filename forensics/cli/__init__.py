"""The ``hangdump`` command: a thin click layer (the group: root.py; each subcommand in its own module).

Importing this package imports no click: a plain live capture runs without it (cli/collecting.py, launch.py).
"""
from __future__ import annotations

from collections.abc import Callable

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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error a user can cause ends as one line on stderr and a non-zero exit code."""
    import click

    from forensics.cli.root import cli

    def parsed_by_click() -> int:
        try:
            result = cli.main(args=argv, prog_name="hangdump", standalone_mode=False)
        except click.exceptions.Abort:
            click.echo("hangdump: aborted", err=True)
            return 130
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        return result if isinstance(result, int) else 0

    return guarded(parsed_by_click, click.echo)


def guarded(command: Callable[[], int], echo: Callable[..., None]) -> int:
    """``command()``'s exit code; a HangdumpError as its one line on stderr and its exit code, no traceback."""
    from forensics.errors import HangdumpError
    from forensics.termsafe import escape

    try:
        return command()
    except HangdumpError as exc:
        echo(f"hangdump: error: {escape(exc.one_line())}", err=True)
        return exc.exit_code
    except BrokenPipeError:  # stdout closed by the reader (`| head`): not an error worth a traceback
        return 1
    except KeyboardInterrupt:
        echo("hangdump: interrupted", err=True)
        return 130
