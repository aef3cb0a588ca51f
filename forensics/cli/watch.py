"""hangdump watch: find stuck workers, capture them, then end them safely (or only capture)."""
from __future__ import annotations

import click

from forensics.cli.common import store_option


@click.command("watch")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML file with the settings below.")
@click.option("--heartbeat-dir", help="Directory of forensics.heartbeat files, or the fleet's redis:// URL (default "
                                      "$HANGDUMP_HEARTBEAT if a URL, else $HANGDUMP_HEARTBEAT_DIR, else "
                                      "$XDG_RUNTIME_DIR/hangdump, else /run/hangdump).")
@click.option("--host", envvar="HANGDUMP_HOST", help="This host's name in the fleet: its captures and the "
                                                     "heartbeats it reads from Redis [$HANGDUMP_HOST, else the nodename].")
@click.option("--fleet", is_flag=True, help="Watch the watchdogs: list every host's watchdog from Redis and alert "
                                            "on the silent ones (--once: exit 1 if any is silent).")
@click.option("--stale", type=float, help="Seconds without a beat, in a task or a beating loop, that is a hang [30].")
@click.option("--grace", type=float, help="Seconds from SIGTERM to SIGKILL [10].")
@click.option("--interval", type=float, help="Seconds between scans [5].")
@click.option("--match", multiple=True, help="Also watch processes whose command line matches this regex.")
@click.option("--pidfile", multiple=True, help="Also watch the process named in this pid file.")
@click.option("--tree", type=int, multiple=True, help="Also watch every process below this pid (a pool).")
@click.option("--once", is_flag=True, help="Two samples an interval apart, act, wait for the actions, exit (cron).")
@click.option("--dry-run", is_flag=True, default=None, help="Capture only; never send a signal.")
@click.option("--capture-budget", type=float, help="Seconds a capture may take before the kill policy goes on [10].")
@click.option("--max-kills", type=int, help="Kills allowed per pool (same parent) and window [5].")
@click.option("--window", type=float, help="The rate-limit window in seconds [60].")
@click.option("--breaker-share", type=float, help="Share of targets stuck at once that trips the breaker [0.5].")
@click.option("--breaker-min", type=int, help="Fewer targets than this never trip the breaker [4].")
@click.option("--task-limit", type=float, help="Seconds a task may run before it overruns [off].")
@click.option("--blocked", type=float, help="Seconds of no progress that count for targets without heartbeats [off].")
@click.option("--rss-limit", help="Memory limit per process (bytes, or 512M, 2G): soft kill, then hard [off].")
@click.option("--memory-metric", type=click.Choice(["rss", "pss", "uss"]), help="What --rss-limit measures [rss].")
@click.option("--memory-grace", type=float, help="Seconds from --rss-limit's SIGTERM to its SIGKILL [60].")
@click.option("--kill-orphans", type=click.Choice(["never", "proven", "all"]),
              help="Which orphans to capture and end: proven (the parent the worker's heartbeat recorded is gone), "
                   "all (also on the watchdog's first sight or a dead process-group leader), never (report only) "
                   "[proven].")
@click.option("--metrics-file", type=click.Path(dir_okay=False), help="Write Prometheus metrics here after each scan.")
@click.option("--metrics-port", type=int, help="Serve Prometheus metrics on 127.0.0.1:PORT.")
@click.option("--gunicorn-share", type=float, help="Share of gunicorn's --timeout after which a worker's own "
                                                   "heartbeat (its WorkerTmp file) is stale, above 0.5 [0.75].")
@click.option("--event-log", type=click.Path(dir_okay=False), help="Append JSON-lines events here.")
@store_option
def command(config_path, once, store_dir, host, fleet, **flags):
    """Watch workers; capture each stuck one, then SIGTERM, grace, SIGKILL (identity checked by pidfd)."""
    import os
    import signal

    from forensics.errors import UsageError
    from forensics.watch import config
    from forensics.watch.clock import StopSignal
    from forensics.watch.watchdog import Watchdog

    if host:
        os.environ["HANGDUMP_HOST"] = host  # read where captures and heartbeats name the host
    settings = config.load_toml(config_path) if config_path else {}
    for name, value in flags.items():
        if value not in (None, ()):
            settings[name] = value
    if store_dir is not None:
        settings["store"] = store_dir
    if fleet:
        return _fleet(settings, once)
    if not (settings.get("match") or settings.get("pidfile") or settings.get("tree") or settings.get("heartbeat_dir")):
        from forensics.heartbeat import default_source

        settings.setdefault("heartbeat_dir", default_source())
    cfg = config.build(settings)
    if cfg.metrics_port is not None and once:
        raise UsageError("--metrics-port serves a running watchdog; with --once use --metrics-file")
    dog = Watchdog(cfg)
    if once:
        dog.run_once()
        dog.close()
        return 0
    dog.run(StopSignal(signal.SIGTERM, signal.SIGINT))
    return 0


def _fleet(settings: dict, once: bool) -> int:
    import signal

    from forensics.errors import UsageError
    from forensics.heartbeat import default_source, is_redis_url
    from forensics.watch.clock import StopSignal
    from forensics.watch.events import Events
    from forensics.watch.redis_beats import FleetWatch

    url = next((u for u in (settings.get("heartbeat_dir"), settings.get("store"), default_source()) if is_redis_url(u)),
               None)
    if url is None:
        raise UsageError("--fleet reads the watchdogs' beats from Redis",
                         help="pass --store redis://host:port/db (or set HANGDUMP_HEARTBEAT to the URL)")
    watch = FleetWatch(url, Events(settings.get("event_log")))
    stop = StopSignal(signal.SIGTERM, signal.SIGINT)
    while True:
        found = watch.check()
        if once:
            for d in found or ():
                click.echo(d.line())
            if found is None:
                return 10
            if not found:
                click.echo(f"no watchdog has beaten into {watch.target.shown} this week", err=True)
            return 1 if any(d.state == "silent" for d in found) else 0
        if stop.wait(float(settings.get("interval") or 5.0)):
            return 0
