"""hangdump import: bring py-spy JSON dumps and capture files into the store."""
from __future__ import annotations

import click

from forensics.cli.common import open_store, parse_when, store_option


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--host", help="Host the dumps came from (py-spy JSON does not say).")
@click.option("--pid", type=int, help="Pid, when the dump does not say.")
@click.option("--taken-at", help="When the dump was taken (date, epoch or age); default: the file's mtime.")
@click.option("--no-redact", is_flag=True, help="Import as is: no redaction of locals or command lines.")
@store_option
def command(files, host, pid, taken_at, no_redact, store_dir):
    """Import FILES (py-spy `dump --json` or plain `py-spy dump` text output, or hangdump captures) into the store.

    Every readable file is stored even if others fail; the exit code is non-zero if any failed. A capture
    already stored is not written again; one whose id is taken by a different capture gets a new id.
    """
    from forensics.errors import HangdumpError
    from forensics.importers.files import import_file
    from forensics.termsafe import escape

    store = open_store(store_dir)
    when = parse_when(taken_at)
    failed = 0
    for path in files:
        try:
            capture = import_file(path, host=host, pid=pid, taken_at=when, redact=not no_redact)
            stored = store.put(capture)
        except HangdumpError as exc:
            click.echo(f"hangdump: error: {escape(exc.one_line())}", err=True)
            failed = failed or exc.exit_code
            continue
        if stored.status == "unchanged":
            click.echo(f"{escape(path)}: already stored as {escape(stored.id)} (identical), nothing written")
        elif stored.status == "spooled":
            click.echo(f"{escape(path)}: kept at {escape(str(stored.path))}")
        elif stored.status == "renamed":
            click.echo(f"imported {escape(path)} as {escape(stored.id)} (its id {escape(capture.id)} belongs to a different capture)")
        else:
            click.echo(f"imported {escape(path)} as {escape(stored.id)}")
    return failed
