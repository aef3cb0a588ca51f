"""hangdump export: the stuck threads' stacks as folded lines (flamegraph.pl, inferno) or speedscope JSON."""
from __future__ import annotations

import click

from forensics.cli.common import filter_options, make_filter, open_store, store_option, warn_skipped


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["folded", "speedscope"]), default="folded", show_default=True,
              help="folded: one 'root;...;leaf count' line per stack; speedscope: a speedscope.app file.")
@click.option("--cluster", "cluster_id", help="Only the members of this cluster (an id from `hangdump report`).")
@click.option("--all-threads", is_flag=True, help="Every thread with frames, idle-by-design ones included.")
@click.option("--out", "-o", "out", default="-", type=click.Path(dir_okay=False), help="File to write (default stdout).")
@filter_options
@store_option
def command(fmt, cluster_id, all_threads, out, since, until, host, pid, store_dir):
    """Export stacks for flame graph tools; each thread of each capture counts once."""
    from forensics.errors import UsageError
    from forensics.report import build, export

    data = build.collect(open_store(store_dir), make_filter(since, until, host, pid))
    for s in data.skipped:
        warn_skipped(s)
    if cluster_id is not None:
        chosen = [cl for cl in data.clusters if cl.id == cluster_id]
        if not chosen:
            known = ", ".join(cl.id for cl in data.clusters[:10]) or "none"
            raise UsageError(f"no cluster {cluster_id!r}", help=f"clusters in this range: {known}")
        stacks = [(f"cluster {cl.id}: {cl.headline}", data.stacks(cl.members, all_threads)) for cl in chosen]
    else:
        stacks = [("all captures", data.stacks(None, all_threads))]
    if fmt == "folded":
        text = export.to_folded(stacks[0][1])
    else:
        if cluster_id is None and data.clusters:  # one profile per cluster after the whole picture
            stacks += [(f"cluster {cl.id}: {cl.headline}", data.stacks(cl.members, all_threads)) for cl in data.clusters]
        text = export.to_speedscope(stacks, name="hangdump export") + "\n"
    if out == "-":
        click.echo(text, nl=False)
    else:
        from forensics.store.fileio import replace_file

        replace_file(out, text.encode("utf-8", errors="replace"))
        click.echo(f"wrote {out}", err=True)
    return 0
