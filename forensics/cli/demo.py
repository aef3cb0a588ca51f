"""hangdump demo: spawn real hung workers, capture them, show what hangdump sees, clean up."""
from __future__ import annotations

import click


@click.command("demo")
@click.option("--store", "store_dir", type=click.Path(file_okay=False),
              help="Where to keep the demo's captures (default: a new temporary directory).")
def command(store_dir):
    """Run real hung Python workers (fixtures/hangs), capture each, print the summaries, kill them; then
    let the watchdog find, capture and end the hung ones among workers with heartbeats."""
    from forensics.demo import demo_store_hint, run_demo
    from forensics.summary import render_summary
    from forensics.termsafe import escape

    run = run_demo(store_dir, say=lambda text: click.echo(f"demo: {text}", err=True))
    failed = 0
    for o in run.outcomes:
        name = run.programs.get(o.pid, "?")
        click.echo(click.style(f"=== {name} ===", bold=True))
        if o.error is not None:
            click.echo(f"capture failed: {escape(o.error.one_line())}")
            failed += 1
            continue
        click.echo(render_summary(o.capture))
    click.echo(click.style("=== the watchdog ===", bold=True))
    for w in run.watched:
        rules = sorted({e["rule"] for e in w.events if e["event"] == "detected"})
        signals = [e["signal"] for e in w.events if e["event"] == "signalled"]
        captures = [e["capture_id"] for e in w.events if e["event"] == "captured"]
        if w.hung:
            ok = w.returncode is not None and bool(captures)
            what = (f"{', '.join(rules) or 'not detected'}; captured {captures[0] if captures else 'no'}; "
                    f"{' then '.join(signals) or 'no signal'}; "
                    f"{'ended' if w.returncode is not None else 'STILL RUNNING'}")
        else:
            ok = w.returncode is None and not w.events
            what = "left alone" if ok else f"touched: {[e['event'] for e in w.events]}"
        failed += not ok
        click.echo(f"  pid {w.pid:<7} {w.label:<42} {what}")
    click.echo(click.style("=== clusters of the watchdog's captures (see the report) ===", bold=True))
    for cid, category, title in run.watch_clusters:
        click.echo(f"  cluster {cid} [{category}] {title}")
    click.echo(demo_store_hint(run.store.root))
    return 1 if failed else 0
