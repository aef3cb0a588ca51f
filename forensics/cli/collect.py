"""hangdump collect: capture live Python processes and store the captures (the options; the run: collecting.py)."""
from __future__ import annotations

import click

from forensics.cli.common import benign_option, source_root_option, store_option


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
@source_root_option
@store_option
def command(pids, match, children, native, with_locals, no_redact, timeout, pyspy_path, as_json, show_timings,
            no_store, method, deep, core_file, exe, keep_core, gdb_ext, benign, source_root, store_dir):
    """Capture every thread's stack and kernel state of live Python processes.

    One JSON capture per process; several targets are captured in parallel. With --json a single
    capture prints as one object, several as a JSON array.
    """
    from forensics.cli.collecting import run

    return run(pids, match, children, native, with_locals, no_redact, timeout, pyspy_path, as_json, show_timings,
               no_store, method, deep, core_file, exe, keep_core, gdb_ext, benign, store_dir, echo=click.echo,
               source_root=source_root)
