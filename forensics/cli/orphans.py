"""hangdump orphans: pool children whose parent is gone; ``--kill`` captures each, then ends it safely."""
from __future__ import annotations

import json

import click

from forensics.cli.common import store_option


@click.command("orphans")
@click.option("--match", help="Command-line regex of the processes to look at [Python and worker frameworks].")
@click.option("--heartbeat-dir", help="Heartbeat files whose recorded parent proves an orphan "
                                      "[$HANGDUMP_HEARTBEAT_DIR, else the default].")
@click.option("--kill", is_flag=True, help="Capture each orphan, then SIGTERM, grace, SIGKILL (pidfd-checked).")
@click.option("--grace", type=float, default=10.0, show_default=True, help="Seconds from SIGTERM to SIGKILL.")
@click.option("--json", "as_json", is_flag=True, help="The orphans as a JSON list.")
@store_option
def command(match, heartbeat_dir, kill, grace, as_json, store_dir):
    """Find orphaned pool children (re-parented to init or a subreaper): age, memory, sockets, pool, and the
    basis of the finding (heartbeat: the parent the worker recorded is gone; process_group: its group's
    leader is gone, the weaker evidence)."""
    from forensics.errors import UsageError
    from forensics.fleet.orphans import find, recorded_parents
    from forensics.heartbeat import default_dir

    if grace < 0:
        raise UsageError("--grace must be >= 0")
    found = find(match, recorded_parents(heartbeat_dir or default_dir()))
    outcomes = {}
    if kill and found:
        from forensics.fleet.reap import reap

        outcomes = reap(found, store_dir, grace)
    if as_json:
        rows = [dict(o.to_dict(), **({"outcome": outcomes[o.pid]} if o.pid in outcomes else {})) for o in found]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not found:
        click.echo("no orphans", err=True)
        return 0
    click.echo(f"{'PID':>7}  {'POOL':>7}  {'PPID':>5}  {'AGE S':>8}  {'RSS MB':>7}  {'USS MB':>7}  {'BASIS':<13}  "
               "LISTENING  COMMAND")
    for o in found:
        mb = (lambda n: "-" if n is None else f"{n / 2**20:.1f}")
        listen = ",".join(o.listening) or "-"
        tail = f"  -> {outcomes[o.pid]}" if o.pid in outcomes else ""
        click.echo(f"{o.pid:>7}  {o.pool:>7}  {o.ppid:>5}  {o.age_s:>8}  {mb(o.rss):>7}  {mb(o.uss):>7}  "
                   f"{o.evidence['basis']:<13}  {listen}  {o.cmdline[:50]}{tail}")
    return 0
