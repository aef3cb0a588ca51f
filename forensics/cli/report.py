"""hangdump report: one self-contained HTML file of the stored captures, clustered."""
from __future__ import annotations

import click

from forensics.cli.common import (
    benign_option,
    benign_rules,
    filter_options,
    make_filter,
    open_store,
    source_root_option,
    source_roots,
    store_option,
    warn_skipped,
)


@click.command("report")
@click.option("--out", "-o", "out", default="hangs.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write ('-' for stdout).")
@click.option("--title", default="hangdump report", show_default=True, help="Title of the page.")
@click.option("--open", "open_it", is_flag=True, help="Open the report in the default browser.")
@click.option("--event-log", type=click.Path(exists=True, dir_okay=False),
              help="The watchdog's event log (watch --event-log): show which captured processes then exited.")
@click.option("--tasks-dir", help="Where forensics.integrations wrote tasks.jsonl, for the per-task CPU/wall plot "
                                  "[the heartbeat directory].")
@benign_option
@source_root_option
@filter_options
@store_option
def command(out, title, open_it, event_log, tasks_dir, benign, source_root, since, until, host, pid, store_dir):
    """Write the hang report: overview, ranked clusters with verdicts and flame graphs, every capture.

    The file needs no network: CSS, script and data are inlined, so it can be mailed or archived.
    """
    import os
    import sys
    import time

    from forensics.heartbeat import default_dir
    from forensics.report import build, render

    store = open_store(store_dir)
    started = time.monotonic()
    built = build.build_report(
        store, make_filter(since, until, host, pid), title=title, scope=_scope(store, since, until, host, pid),
        rules=benign_rules(benign, store_dir), event_log=event_log, tasks_dir=tasks_dir or default_dir(),
        roots=source_roots(source_root, store_dir),
    )
    for s in built.data.skipped:
        warn_skipped(s)
    html = built.html
    if out == "-":
        sys.stdout.write(html)
        return 0
    render.write(out, html)
    click.echo(
        f"wrote {out}: {built.data.count} captures, {len(built.data.clusters)} clusters, "
        f"{len(built.data.skipped)} skipped, {os.path.getsize(out) / 1e6:.2f} MB in {time.monotonic() - started:.1f}s",
        err=True,
    )
    if open_it:
        click.launch(os.path.abspath(out))
    return 0


def _scope(store, since, until, host, pid) -> str:
    from forensics.store.select import label

    parts = [f"store {label(store)}"]
    for name, value in (("since", since), ("until", until), ("host", host), ("pid", pid)):
        if value is not None:
            parts.append(f"{name} {value}")
    return " · ".join(parts)
