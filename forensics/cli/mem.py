"""hangdump mem: worker pools (master + children) with RSS/PSS/USS/shared, against RAM and the cgroup limit."""
from __future__ import annotations

import json

import click


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f}"


@click.command("mem")
@click.option("--match", help="Command-line regex of the processes to list [Python and worker frameworks].")
@click.option("--budget", help="Memory budget for the suggested concurrency (bytes, or 512M, 2G) "
                               "[80% of the cgroup limit, else of RAM].")
@click.option("--json", "as_json", is_flag=True, help="The inventory as one JSON object.")
def command(match, budget, as_json):
    """Memory per pool and process (from /proc/PID/smaps_rollup), and the prefork trap when it is set."""
    from forensics.fleet.memory import inventory
    from forensics.watch.config import parse_size

    inv = inventory(match, parse_size(budget, "--budget") if budget is not None else None)
    if as_json:
        click.echo(json.dumps(inv.to_dict(), indent=2, ensure_ascii=False))
        return 0
    click.echo(f"machine: {_mb(inv.mem_total)} MB RAM, {_mb(inv.mem_available)} MB available, "
               f"{inv.host_cpus} CPUs")
    if not inv.pools:
        click.echo("no matching processes", err=True)
        return 0
    for pool in inv.pools:
        limit = f", cgroup {pool.cgroup} limit {_mb(pool.cgroup_limit)} MB" if pool.cgroup_limit else ""
        click.echo(f"\npool {pool.master}: {len(pool.processes)} processes, RSS {_mb(pool.rss)} MB, "
                   f"PSS {_mb(pool.pss)} MB, USS {_mb(pool.uss)} MB{limit}")
        click.echo(f"  {'PID':>7}  {'ROLE':<6}  {'RSS MB':>8}  {'PSS MB':>8}  {'USS MB':>8}  {'SHARED MB':>9}  COMMAND")
        for p in pool.processes:
            click.echo(f"  {p.pid:>7}  {p.role:<6}  {_mb(p.rss):>8}  {_mb(p.pss):>8}  {_mb(p.uss):>8}  "
                       f"{_mb(p.shared):>9}  {p.cmdline[:60]}")
        if pool.advice:
            click.echo(f"  ! {pool.advice}")
        elif pool.suggested_concurrency is not None:
            click.echo(f"  at today's per-child memory, {pool.suggested_concurrency} children fit the budget")
    return 0
