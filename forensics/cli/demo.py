"""hangdump demo: spawn real hung workers, capture them, show what hangdump sees, clean up."""
from __future__ import annotations

import click


@click.command("demo")
@click.option("--store", "store_dir", type=click.Path(file_okay=False),
              help="Where to keep the demo's captures (default: a new temporary directory).")
def command(store_dir):
    """Run real hung Python workers (fixtures/hangs), capture each, print the summaries, kill them."""
    from forensics.demo import demo_store_hint, run_demo
    from forensics.summary import render_summary

    run = run_demo(store_dir, say=lambda text: click.echo(f"demo: {text}", err=True))
    failed = 0
    for o in run.outcomes:
        name = run.programs.get(o.pid, "?")
        click.echo(click.style(f"=== {name} ===", bold=True))
        if o.error is not None:
            click.echo(f"capture failed: {o.error.one_line()}")
            failed += 1
            continue
        click.echo(render_summary(o.capture))
    click.echo(demo_store_hint(run.store.root))
    return 1 if failed else 0
