"""What `hangdump collect` does once its options are known, without click.

The click command (cli/collect.py) calls ``run`` with what click parsed. The entry point (launch.py) calls it
directly for a plain live capture, an argv of --pid, the flags and the options capture/prestart.py
recognises: then neither click nor the CLI's other modules are imported at all (~20 ms of every capture).
``from_argv`` takes only what it can read exactly as click would (values click would refuse, anything it does
not know: None, and click runs), so both ways give the same capture, output and exit code.
"""
from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections import deque
from collections.abc import Callable

from forensics.cli.common import benign_rules, open_store, source_roots

Echo = Callable[..., None]


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo for the fast path: the same bytes where they can differ in nothing (UTF-8 streams, see
    ``from_argv``; what hangdump prints is escaped, so there is no ANSI sequence for click to strip)."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text = message + "\n" if nl else message
    if text:
        stream.write(text)
    stream.flush()


def run(pids, match, children, native, with_locals, no_redact, timeout, pyspy_path, as_json, show_timings,
        no_store, method, deep, core_file, exe, keep_core, gdb_ext, benign, store_dir, echo: Echo = echo,
        source_root: tuple[str, ...] = ()) -> int:
    """The collect command: validate, select the targets, capture, store, print the summary (or JSON); exit code.
    ``source_root``: --source-root values (where the summary's verdicts read sources captured elsewhere)."""
    from forensics import targets, timings
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect
    from forensics.errors import UsageError
    from forensics.termsafe import escape, json_text

    timings.mark("start-up and imports")

    rules = benign_rules(benign, store_dir)
    roots = source_roots(source_root, store_dir)
    if core_file is not None:
        if pids or match:
            raise UsageError("--core analyses a core file; it does not go with --pid or --match")
        if keep_core:
            raise UsageError("--keep-core keeps the core of a live process; --core reads one that exists")
        opts = CollectOptions(native=native is not False, with_locals=with_locals, redact=not no_redact,
                              timeout_s=timeout, pyspy_path=pyspy_path, method=method, deep=deep, gdb_ext=gdb_ext)
        return _core(core_file, exe, opts, as_json, no_store, store_dir, rules, show_timings, echo, roots)
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
    storer = _Storer(store, as_json, echo, targets=len(chosen))
    summaries = None if as_json else _Summaries(rules, several=len(chosen) > 1, roots=roots)
    # id(capture) -> its to_dict(), made once for the store, the summary and --json. One target only: with several,
    # each writer thread makes its own, not the thread that keeps the queue of py-spy runs going (a pool of 20
    # took ~20 ms longer)
    docs: dict[int, dict] = {}

    def final(outcome) -> None:
        doc = None
        if outcome.capture is not None and len(chosen) == 1:
            doc = docs[id(outcome.capture)] = outcome.capture.to_dict()
        storer.put(outcome, doc)
        if summaries is not None:
            summaries.add(outcome, doc)

    try:
        outcomes = collect(chosen, opts, store=store if keep_core else None, meanwhile=summaries, on_outcome=final)
        captures = [o.capture for o in outcomes if o.error is None]
        # what is printed (what is not made yet), made while the writers wait on their fsyncs
        if summaries is None:
            made = [docs.get(id(c)) or c.to_dict() for c in captures]
            one = made[0] if len(made) == 1 and len(outcomes) == 1 else made
            text = json_text(json.dumps(one, indent=2, ensure_ascii=False)) + "\n"
        else:
            text = "\n".join(summaries.of(c) for c in captures)
    finally:
        stored = storer.close()
    timings.mark("store")
    exit_code = 0
    for o in outcomes:
        if o.error is not None:
            echo(f"hangdump: error: pid {o.pid}: {escape(o.error.one_line())}", err=True)
            exit_code = exit_code or o.error.exit_code
        else:
            exit_code = exit_code or stored.get(o.pid, 0)
    echo(text, nl=False)
    _timed("output", show_timings, echo)
    return exit_code


def _core(core_file: str, exe: str | None, opts, as_json: bool, no_store: bool, store_dir: str | None,
          rules, show_timings: bool, echo: Echo, roots=None) -> int:
    """collect --core: one capture from a core file (py-spy's reader, gdb for native frames), stored and shown like a live one."""
    from forensics import timings
    from forensics.capture.orchestrate import collect_core
    from forensics.summary import render_summary
    from forensics.termsafe import json_text

    capture = collect_core(core_file, exe, opts)
    timings.mark("capture")
    code = 0 if no_store else _store(open_store(store_dir), capture, as_json, echo)
    timings.mark("store")
    if as_json:
        echo(json_text(json.dumps(capture.to_dict(), indent=2, ensure_ascii=False)))
    else:
        echo(render_summary(capture, rules, roots=roots), nl=False)
    _timed("output", show_timings, echo)
    return code


class _Storer:
    """Each capture stored as soon as it is final. With several targets, in a writer thread of its own while
    the other targets' tools still run and the summaries are rendered (a put waits on two fsyncs; the queue
    of py-spy runs must not), up to WRITERS at once: the fsyncs of puts under way together share the
    filesystem's journal commits (20 puts one after the other took 114-160 ms on a busy ext4, 29-66 ms four
    at a time). One target's put is made at once, in this thread: beside the rendering of its summary, the
    two threads' hand-offs of the GIL cost more than the overlap gains (200 threads: 219 ms against 204 ms).
    For --timings, the capture phase ends with the last target's outcome (the last tool done, every capture
    built) and the store phase is the rest: the writes left, with the output rendered beside them."""

    WRITERS = 4

    def __init__(self, store, as_json: bool, echo: Echo, targets: int) -> None:
        self.store, self.as_json, self.echo = store, as_json, echo
        self.codes: dict[int, int] = {}  # pid -> _store's exit code
        self.failed: list[BaseException] = []  # what a writer raised, raised again by close()
        self.writers: list = []
        self.remaining = targets  # outcomes still to come: the capture phase ends with the last one
        self.threaded = targets > 1 and store is not None
        if self.threaded:
            import threading  # loaded with the store already (heartbeat); concurrent.futures would cost ~5 ms

            self.slots = threading.BoundedSemaphore(self.WRITERS)
            self.thread = threading.Thread

    def put(self, outcome, doc: dict | None = None) -> None:
        """``doc``: the capture's to_dict(), if made (the store encodes it, not a dict of its own)."""
        self._counted()
        if self.store is None or outcome.capture is None:
            return
        if not self.threaded:
            self.codes[outcome.pid] = _store(self.store, outcome.capture, self.as_json, self.echo, doc)
            return
        writer = self.thread(target=self._write, args=(outcome.pid, outcome.capture, doc), name="hangdump-store")
        writer.start()
        self.writers.append(writer)

    def _counted(self, last: bool = False) -> None:
        from forensics import timings

        if self.remaining > 0:
            self.remaining = 0 if last else self.remaining - 1
            if self.remaining == 0:
                timings.mark("capture")

    def _write(self, pid: int, capture, doc: dict | None) -> None:
        with self.slots:
            try:
                self.codes[pid] = _store(self.store, capture, self.as_json, self.echo, doc)
            except BaseException as exc:  # noqa: BLE001 - not lost in the thread: close() raises it
                self.failed.append(exc)

    def close(self) -> dict[int, int]:
        """Wait for the writes; pid -> exit code of each stored capture."""
        self._counted(last=True)  # interrupted before the last outcome: the capture phase ends here
        for writer in self.writers:
            writer.join()
        if self.failed:
            raise self.failed[0]
        return self.codes


def _store(store, capture, as_json: bool, echo: Echo, doc: dict | None = None) -> int:
    """Store a capture; if the store refuses it, keep it aside (or print it) and say where: exit code 10.
    ``doc``: its to_dict(), if made."""
    from forensics.errors import StoreError
    from forensics.store.local import keep_aside
    from forensics.termsafe import escape, json_text

    try:
        stored = store.put(capture, doc)
    except StoreError as exc:
        aside = keep_aside(capture)
        if aside is not None:
            where = f"saved to {aside} instead (`hangdump import {aside}` once the store is fixed)"
        else:
            where = "printed on stdout instead" if as_json else "printed below as JSON instead"
        echo(f"hangdump: error: {escape(exc.one_line())}; the capture of pid {capture.pid} was {where}", err=True)
        if aside is None and not as_json:
            echo(json_text(capture.to_json(indent=2)))
        return exc.exit_code
    if not as_json:
        echo(f"stored {escape(str(stored.path))}", err=True)
    return 0


def _timed(last: str, show: bool, echo: Echo) -> None:
    from forensics import timings

    timings.mark(last)
    if show:
        echo(timings.text(), err=True)


class _Summaries:
    """Each capture's summary, made in a moment the capture's queue would otherwise wait for a py-spy run
    (``__call__``, its ``meanwhile``): first the analysis they need imported, then each capture once it is
    final. With several targets whose runs capture/prestart.py is still starting at each import, the
    analysis is imported at once instead (its ~20 ms keep the cores busy there, and no run waits on it).
    What was not made meanwhile is made at the end, the same way."""

    def __init__(self, rules, several: bool, roots=None) -> None:
        self.rules = rules
        self.roots = roots
        self.pending: deque = deque()  # (capture, its to_dict()) of final captures whose summary is not made yet
        self.made: dict[int, tuple] = {}  # id(capture) -> (the capture, its summary)
        self.docs: dict[int, tuple] = {}  # id(capture) -> (the capture, its to_dict())
        self.ready = several and _early_runs_starting()
        if self.ready:
            _import_analysis()

    def add(self, outcome, doc: dict | None = None) -> None:
        """``doc``: the capture's to_dict(), if made: what the analysis reads."""
        if outcome.capture is not None:
            self.pending.append(outcome.capture)
            if doc is not None:
                self.docs[id(outcome.capture)] = (outcome.capture, doc)

    def __call__(self) -> bool:
        """One piece of work; False when there is none left for now."""
        if not self.ready:
            _import_analysis()
            self.ready = True
        elif self.pending:
            capture = self.pending.popleft()
            with contextlib.suppress(Exception):  # a failure is not raised amid the other captures: of() renders again
                self.made[id(capture)] = (capture, self._render(capture))
        else:
            return False
        return True

    def of(self, capture) -> str:
        made = self.made.get(id(capture))
        return made[1] if made is not None and made[0] is capture else self._render(capture)

    def _render(self, capture) -> str:
        from forensics.summary import render_summary

        doc = self.docs.get(id(capture))
        return render_summary(capture, self.rules, doc[1] if doc is not None and doc[0] is capture else None,
                              self.roots)


def _import_analysis() -> None:
    """What the summaries are made with (the analysis: ~70 M instructions to import)."""
    import forensics.analysis
    import forensics.summary  # noqa: F401 - both imported for later


def _early_runs_starting() -> bool:
    prestart = sys.modules.get("forensics.capture.prestart")  # loaded only when the entry point used it
    return prestart is not None and prestart.starting()


# --- the entry point's way in, without click ------------------------------------------------------------------


def _utf8(stream) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    return stream is None or encoding in ("utf-8", "utf8")


def _refused_path(value: str, file_okay: bool) -> bool:
    """Whether click.Path(file_okay=..., dir_okay=not file_okay) would refuse an existing path (or fail on it)."""
    try:
        st = os.stat(value)
    except OSError:
        return False  # click takes a path that does not exist
    except ValueError:  # a NUL in it: let click say what it says
        return True
    wrong = stat.S_ISDIR(st.st_mode) if file_okay else stat.S_ISREG(st.st_mode)
    return wrong or not os.access(value, os.R_OK)


def from_argv(args: list[str]) -> dict | None:
    """``run``'s arguments for ``collect ARGS`` when click would read them the same way; else None."""
    from forensics.capture.prestart import parse_collect_argv

    if not (_utf8(sys.stdout) and _utf8(sys.stderr)) or os.environ.get("_HANGDUMP_COMPLETE"):
        return None  # click's own stream wrappers or its shell completion would differ
    parsed = parse_collect_argv(args)
    if parsed is None:
        return None
    pids, values, flags = parsed
    timeout = values.get("--timeout")
    if timeout is not None:
        try:
            timeout = float(timeout)
        except ValueError:
            return None
        if timeout <= 0:
            return None
    # click's envvar: HANGDUMP_HOME when --store is not given and it is not empty; both pass click.Path's checks
    store_dir = values["--store"] if "--store" in values else os.environ.get("HANGDUMP_HOME") or None
    pyspy_path = values.get("--py-spy")
    if (store_dir is not None and _refused_path(store_dir, file_okay=False)) or (
            pyspy_path is not None and _refused_path(pyspy_path, file_okay=True)):
        return None
    return {
        "pids": tuple(pids), "match": values.get("--match"), "children": "--children" in flags,
        "native": True if "--native" in flags else None, "with_locals": "--locals" in flags,
        "no_redact": "--no-redact" in flags, "timeout": timeout, "pyspy_path": pyspy_path,
        "as_json": "--json" in flags, "show_timings": "--timings" in flags, "no_store": "--no-store" in flags,
        "method": values.get("--method", "auto"), "deep": False, "core_file": None, "exe": None, "keep_core": False,
        "gdb_ext": None, "benign": (), "store_dir": store_dir, "source_root": (),
    }


def fast(args: list[str]) -> int | None:
    """``collect ARGS`` run without click when ``from_argv`` reads them; None: run the CLI instead."""
    kwargs = from_argv(args)
    if kwargs is None:
        return None
    from forensics.cli import guarded

    def aborted_on_interrupt() -> int:
        try:
            return run(**kwargs)
        except (EOFError, KeyboardInterrupt):  # what click does with them: a blank line, then "aborted"
            echo(err=True)
            echo("hangdump: aborted", err=True)
            return 130

    return guarded(aborted_on_interrupt, echo)
