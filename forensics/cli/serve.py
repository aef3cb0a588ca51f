"""hangdump serve: browse the live store in a web browser (read-only)."""
from __future__ import annotations

import click

from forensics.cli.common import open_store, store_option


@click.command("serve")
@click.option("--port", type=int, default=8642, show_default=True, help="TCP port (0: any free port).")
@click.option("--bind", "bind", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes every capture to the network.")
@click.option("--idle-timeout", type=click.FloatRange(min=0.1), default=15.0, show_default=True,
              help="Seconds an idle keep-alive connection stays open.")
@click.option("--open", "open_it", is_flag=True, help="Open the page in the default browser.")
@store_option
def command(port, bind, idle_timeout, open_it, store_dir):
    """Serve the report pages of the live store; rebuilt when captures arrive. Ctrl-C or SIGTERM stops."""
    import signal

    from forensics.errors import UsageError
    from forensics.report.serve import is_loopback, make_server

    store = open_store(store_dir)
    try:
        server = make_server(store, bind, port, idle_timeout=idle_timeout)
    except OSError as exc:
        raise UsageError(f"cannot listen on {bind}:{port}: {exc.strerror or exc}",
                         help="pick another --port, or 0 for any free one") from None
    host, real_port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{real_port}/"
    if not is_loopback(bind):
        click.echo(f"hangdump: warning: listening on {bind}: anyone who can reach it can read every capture",
                   err=True)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: server.stop())
    from forensics.store.select import label

    click.echo(f"serving {label(store)} at {url} (read-only; Ctrl-C stops)", err=True)
    if open_it:
        click.launch(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    click.echo("hangdump serve: stopped", err=True)
    return 0
