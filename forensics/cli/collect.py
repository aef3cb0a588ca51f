"""hangdump collect: capture live Python processes and store the captures."""
from __future__ import annotations

import json

import click

from forensics.cli.common import benign_option, benign_rules, open_store, store_option


@click.command("collect")
@click.option("--pid", "pids", type=int, multiple=True, help="Process to capture (repeatable).")
@click.option("--match", help="Also capture every process whose command line matches this regex.")
@click.option("--children", is_flag=True, help="Also capture the process tree below each target.")
@click.option("--native/--no-native", default=None,
              help="Include native (C) frames. Default: no for a live process, yes for --core (the GIL holder's C "
                   "call and the waiters' take_gil are only seen there).")
@click.option("--locals", "with_locals", is_flag=True, help="Include local variables (secrets redacted).")
@click.option("--no-redact", is_flag=True, help="Keep locals as captured: no redaction by name or value shape (the command line is always redacted).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds per capture tool run, on every backend (default: py-spy 10, gdb 30).")
@click.option("--py-spy", "pyspy_path", type=click.Path(dir_okay=False), help="py-spy binary to use.")
@click.option("--json", "as_json", is_flag=True, help="Print the capture document(s) instead of the summary.")
@click.option("--timings", "show_timings", is_flag=True, help="Print the wall time of each phase on stderr.")
@click.option("--no-store", is_flag=True, help="Do not store the capture.")
@click.option("--method", type=click.Choice(["auto", "py-spy", "gdb"]), default="auto", show_default=True,
              help="auto: py-spy, and gdb where py-spy fails; gdb: native frames with symbols, lock addresses.")
@click.option("--deep", is_flag=True, help="Run py-spy and gdb and merge them (names and GIL + native frames, locks).")
@click.option("--core", "core_file", type=click.Path(dir_okay=False),
              help="Analyse this core file (raw, .zst or .gz) instead of a live process.")
@click.option("--exe", type=click.Path(dir_okay=False), help="With --core: the interpreter that dumped it.")
@click.option("--keep-core", is_flag=True, help="gdb: keep a compressed core beside the capture in the store.")
@click.option("--gdb-ext", type=click.Path(dir_okay=False), help="The interpreter's python3.X-gdb.py (py-bt) extension.")
@benign_option
@store_option
def command(pids, match, children, native, with_locals, no_redact, timeout, pyspy_path, as_json, show_timings,
            no_store, method, deep, core_file, exe, keep_core, gdb_ext, benign, store_dir):
    """Capture every thread's stack and kernel state of live Python processes.

    One JSON capture per process; several targets are captured in parallel. With --json a single
    capture prints as one object, several as a JSON array.
    """
    from forensics import targets, timings
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect
    from forensics.errors import UsageError
    from forensics.summary import render_summary
    from forensics.termsafe import escape, json_text

    timings.mark("start-up and imports")

    rules = benign_rules(benign, store_dir)
    if core_file is not None:
        if pids or match:
            raise UsageError("--core analyses a core file; it does not go with --pid or --match")
        if keep_core:
            raise UsageError("--keep-core keeps the core of a live process; --core reads one that exists")
        opts = CollectOptions(native=native is not False, with_locals=with_locals, redact=not no_redact,
                              timeout_s=timeout, pyspy_path=pyspy_path, method=method, deep=deep, gdb_ext=gdb_ext)
        return _core(core_file, exe, opts, as_json, no_store, store_dir, rules, show_timings)
    if exe is not None:
        raise UsageError("--exe goes with --core", help="for a live process the executable is read from /proc")
    if keep_core and no_store:
        raise UsageError("--keep-core keeps the core in the store; it does not go with --no-store")
    if keep_core and method == "py-spy":
        raise UsageError("--keep-core needs gdb", help="use --method gdb (or auto) with --keep-core")
    if keep_core and method == "auto" and not deep:
        method = "gdb"
    if not pids and not match:
        raise UsageError("nothing to capture", help="give --pid PID or --match REGEX")
    chosen = targets.select(list(pids), match, children)
    timings.mark("targets")
    if not chosen:
        raise UsageError(f"no process matches {match!r}")
    store = None if no_store else open_store(store_dir)
    opts = CollectOptions(
        native=bool(native), with_locals=with_locals, redact=not no_redact, timeout_s=timeout, pyspy_path=pyspy_path,
        method=method, deep=deep, keep_core=keep_core, gdb_ext=gdb_ext,
    )
    outcomes = collect(chosen, opts, store=store if keep_core else None, meanwhile=None if as_json else _warm_up)
    timings.mark("capture")
    exit_code = 0
    captures = []
    for o in outcomes:
        if o.error is not None:
            click.echo(f"hangdump: error: pid {o.pid}: {escape(o.error.one_line())}", err=True)
            exit_code = exit_code or o.error.exit_code
            continue
        if store is not None:
            stored = _store(store, o.capture, as_json)
            exit_code = exit_code or stored
        captures.append(o.capture)
    timings.mark("store")
    if as_json:
        docs = [c.to_dict() for c in captures]
        one = docs[0] if len(docs) == 1 and len(outcomes) == 1 else docs
        click.echo(json_text(json.dumps(one, indent=2, ensure_ascii=False)))
    else:
        click.echo("\n".join(render_summary(c, rules) for c in captures), nl=False)
    _timed("output", show_timings)
    return exit_code


def _core(core_file: str, exe: str | None, opts, as_json: bool, no_store: bool, store_dir: str | None,
          rules=None, show_timings: bool = False) -> int:
    """collect --core: one capture from a core file (py-spy's reader, gdb for native frames), stored and shown like a live one."""
    from forensics import timings
    from forensics.capture.orchestrate import collect_core
    from forensics.summary import render_summary
    from forensics.termsafe import json_text

    capture = collect_core(core_file, exe, opts)
    timings.mark("capture")
    code = 0 if no_store else _store(open_store(store_dir), capture, as_json)
    timings.mark("store")
    if as_json:
        click.echo(json_text(json.dumps(capture.to_dict(), indent=2, ensure_ascii=False)))
    else:
        click.echo(render_summary(capture, rules), nl=False)
    _timed("output", show_timings)
    return code


def _store(store, capture, as_json: bool) -> int:
    """Store a capture; if the store refuses it, keep it aside (or print it) and say where: exit code 10."""
    from forensics.errors import StoreError
    from forensics.store.local import keep_aside
    from forensics.termsafe import escape, json_text

    try:
        stored = store.put(capture)
    except StoreError as exc:
        aside = keep_aside(capture)
        if aside is not None:
            where = f"saved to {aside} instead (`hangdump import {aside}` once the store is fixed)"
        else:
            where = "printed on stdout instead" if as_json else "printed below as JSON instead"
        click.echo(f"hangdump: error: {escape(exc.one_line())}; the capture of pid {capture.pid} was {where}", err=True)
        if aside is None and not as_json:
            click.echo(json_text(capture.to_json(indent=2)))
        return exc.exit_code
    if not as_json:
        click.echo(f"stored {escape(str(stored.path))}", err=True)
    return 0


def _timed(last: str, show: bool) -> None:
    from forensics import timings

    timings.mark(last)
    if show:
        click.echo(timings.text(), err=True)


def _warm_up() -> None:
    """Import what the summary needs while the capture tools run (their run is the wait anyway)."""
    import forensics.analysis  # noqa: F401
