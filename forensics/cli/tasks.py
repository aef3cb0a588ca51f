"""hangdump tasks: per task name, CPU/wall ratios (IO-bound near 0, CPU-bound near 1), count, wall p50/p95."""
from __future__ import annotations

import json

import click


@click.command("tasks")
@click.option("--heartbeat-dir", help="Where the integration wrote tasks.jsonl [$HANGDUMP_HEARTBEAT_DIR, else "
                                      "$XDG_RUNTIME_DIR/hangdump, else /run/hangdump].")
@click.option("--json", "as_json", is_flag=True, help="A list of objects: task, count, cpu_wall_p50, ...")
def command(heartbeat_dir, as_json):
    """What each task spends its time on, from what forensics.integrations recorded."""
    from forensics.fleet.tasks import read_records, summarize
    from forensics.heartbeat import default_dir

    stats = summarize(read_records(heartbeat_dir or default_dir()))
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in stats], indent=2))
        return 0
    if not stats:
        click.echo("no task records (install forensics.integrations.celery in the worker)", err=True)
        return 0
    width = max(len(s.task) for s in stats)
    click.echo(f"{'TASK':<{width}}  {'COUNT':>6}  {'FAIL':>4}  {'CPU/WALL p5':>11}  {'p50':>5}  {'p95':>5}  "
               f"{'WALL p50':>9}  {'WALL p95':>9}  BOUND")
    for s in stats:
        bound = "cpu" if s.cpu_wall_p50 >= 0.7 else "io" if s.cpu_wall_p50 <= 0.3 else "mixed"
        click.echo(f"{s.task:<{width}}  {s.count:>6}  {s.failures:>4}  {s.cpu_wall_p5:>11.2f}  {s.cpu_wall_p50:>5.2f}  "
                   f"{s.cpu_wall_p95:>5.2f}  {s.wall_p50_s:>8.3f}s  {s.wall_p95_s:>8.3f}s  {bound}")
    return 0
