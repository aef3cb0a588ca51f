"""hangdump clusters: the top hang causes across the stored captures, ranked by processes, hosts and days."""
from __future__ import annotations

import json

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
from forensics.errors import HangdumpError


@click.command("clusters")
@click.option("--json", "as_json", is_flag=True, help="Clusters as JSON, each with its member ids and sources.")
@click.option("--top", type=int, default=None, help="Show only the N largest clusters.")
@benign_option
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True,
              help="Similarity needed to merge near-identical signatures.")
@filter_options
@source_root_option
@store_option
def command(as_json, top, benign, threshold, since, until, host, pid, source_root, store_dir):
    """Group stored captures by hang cause and explain each group."""
    from forensics.analysis import cluster_digests
    from forensics.fleet.role import tally
    from forensics.store.cache import analysed
    from forensics.store.local import Skipped
    from forensics.summary import local_time
    from forensics.termsafe import escape, json_text

    store = open_store(store_dir)

    def digests():  # the store's one reader: what `ls` skips is skipped here, with the same reason
        for item in analysed(store, make_filter(since, until, host, pid), rules):
            if isinstance(item, Skipped):
                warn_skipped(item)
            else:
                found = item[3]
                workers[found.digest.member.id] = {k: v for k, v in zip(("framework", "role", "task"), found.worker) if v}
                yield found.digest, item[0]

    def load(path):
        try:
            return store.read(path.stem)[0]
        except HangdumpError:  # gone or unreadable since it was read
            return None

    workers: dict = {}  # capture id -> process.worker (celery/gunicorn role and task)
    rules = benign_rules(benign, store_dir)
    roots = source_roots(source_root, store_dir)
    clusters = cluster_digests(digests(), load, rules=rules, threshold=threshold,
                               **({"roots": roots} if roots else {}))
    if top is not None:
        clusters = clusters[:top]
    if as_json:
        docs = [dict(rank=i + 1, **c.to_dict(), workers=tally([workers.get(m.id) for m in c.members]))
                for i, c in enumerate(clusters)]
        click.echo(json_text(json.dumps(docs, indent=2, ensure_ascii=False)))
        return 0

    if not clusters:
        click.echo("no captures", err=True)
        return 0

    for i, c in enumerate(clusters, 1):
        seen = (f"{local_time(c.first_seen)} .. {local_time(c.last_seen)}" if c.first_seen is not None else "?")
        click.echo(f"#{i} {escape(c.title)}")
        click.echo(f"    cluster {c.id}  [{c.category}]  {c.processes} process(es), {c.hosts} host(s), "
                   f"{c.days} day(s), {len(c.members)} capture(s)  seen {seen}")
        for line in (_verdict(store, c, rules, roots) or "(no verdict)").splitlines():
            click.echo(f"    {line}")
        if c.stack:
            click.echo(f"    stack of thread {escape(repr(c.thread))} (leaf first; > marks where it waits):")
            shown = 0
            for s in c.stack:
                if s.kind == "native" and not s.blocking:
                    continue
                where = f"{s.module}:{s.line}" if s.line else s.module
                click.echo(f"      {'>' if s.blocking else ' '} {escape(s.function)} ({escape(where)}) [{s.origin}]")
                shown += 1
                if shown >= 12:
                    break
        roles = tally([workers.get(m.id) for m in c.members])
        if roles:
            click.echo(f"    workers: {', '.join(roles[:6])}")
        for k, v in c.varies.items():
            click.echo(f"    varies: {k}: {escape('; '.join(v[:4]))}" + (f"; ... ({len(v)} values)" if len(v) > 4 else ""))
        click.echo(f"    representative: {escape(c.representative)}")
        click.echo("")
    return 0


def _verdict(store, c, rules, roots) -> str:
    """The cluster's verdict as the terminal shows it: the representative's first verdict, made from its escaped
    capture, so that a name holding a line break cannot add a line (escaping the finished text could not tell
    the verdict's own line breaks from a name's)."""
    from forensics.analysis import analyze
    from forensics.termsafe import capture, escape

    try:
        found = analyze(capture(store.get(c.representative)), rules, **({"roots": roots} if roots else {})).verdicts
    except HangdumpError:  # gone or unreadable since it was clustered: its text, on one line
        return escape(c.verdict)
    return found[0].text if found else ""
