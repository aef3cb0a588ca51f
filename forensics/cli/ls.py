"""hangdump ls: list stored captures, oldest first."""
from __future__ import annotations

import json

import click

from forensics.cli.common import filter_options, make_filter, open_store, store_option, warn_skipped


@click.command("ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per capture (id, host, pid, time, ...).")
@filter_options
@store_option
def command(as_json, since, until, host, pid, store_dir):
    """List stored captures."""
    from forensics.store.local import Skipped
    from forensics.store.select import notes
    from forensics.summary import local_time
    from forensics.termsafe import escape, json_text

    rows = []
    store = open_store(store_dir)
    for item in store.rows(make_filter(since, until, host, pid)):
        if isinstance(item, Skipped):
            warn_skipped(item)
        else:
            rows.append(item)
    for note in notes(store):
        click.echo(f"hangdump: {escape(note)}", err=True)
    if as_json:
        click.echo(json_text(json.dumps(rows, indent=2, ensure_ascii=False)))
        return 0
    if not rows:
        click.echo("no captures", err=True)
        return 0
    table = [("ID", "TAKEN", "HOST", "PID", "METHOD", "TRIGGER", "THREADS", "COMMAND")]
    table += [(r["id"], local_time(r["taken_at"]), r["host"], str(r["pid"] or "-"), r["method"], r["trigger"],
               str(r["threads"]), (r["cmdline"] or r["source"] or "")[:60]) for r in rows]
    text = "".join("".join(row) for row in table)
    if escape(text) != text:  # one pass over the table's text, not one per cell
        table = [tuple(escape(cell) for cell in row) for row in table]
    widths = [max(map(len, column)) for column in list(zip(*table))[:-1]]
    layout = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    click.echo("\n".join(layout.format(*row) for row in table))
    return 0
