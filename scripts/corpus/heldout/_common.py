"""Scaffolding shared by the held-out hang programs (stdlib only, CPython 3.9 to 3.13).

Same contract as fixtures/hangs/ (README there): one ``READY {json}`` line on stdout once the
hang is reached, ``--extra-idle-threads N`` and ``--name-suffix S``, ``PR_SET_PDEATHSIG``, daemon
threads. Unlike the fixtures, the scaffolding lives in this module (copied next to each program
by the corpus generator), and the extra idle threads have the shapes real services have: a
heartbeat loop in a ``threading.Thread`` subclass, a metrics flusher waiting on an Event with a
timeout, and an idle ``ThreadPoolExecutor`` with long name counters.
"""
import argparse
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PROGRAM = "?"
SUFFIX = ""
THREADS = {}
EXPECT = {}
_STOP = threading.Event()
_POOLS = []


def _pdeathsig():
    if os.environ.get("HANGDUMP_FIXTURE_PDEATHSIG", "1") == "0":
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return


def boot(program, description, add_arguments=None):
    """Parse the common options, die with our parent, start the extra idle threads."""
    global PROGRAM, SUFFIX
    PROGRAM = program
    _pdeathsig()
    parent = os.environ.pop("HANGDUMP_FIXTURE_PARENT", "")
    if parent and os.getppid() != int(parent):
        sys.exit(f"{program}: parent {parent} already gone")
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--extra-idle-threads", type=int, default=0, metavar="N")
    parser.add_argument("--name-suffix", default="", metavar="S")
    if add_arguments is not None:
        add_arguments(parser)
    argv = sys.argv[1:]
    if "--name-suffix" in argv[:-1]:
        i = argv.index("--name-suffix")
        argv[i : i + 2] = ["--name-suffix=" + argv[i + 1]]
    args = parser.parse_args(argv)
    SUFFIX = args.name_suffix
    THREADS["MainThread"] = threading.get_native_id()
    EXPECT["MainThread"] = "join"
    for i in range(args.extra_idle_threads):
        kind = i % 3
        if kind == 0:
            t = Heartbeat(name=f"heartbeat-{i}{SUFFIX}")
            t.start()
            record(t, "idle")
        elif kind == 1:
            start(f"metrics-flush-{i}", "idle", flush_metrics_forever)
        else:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ThreadPoolExecutor-{11 + i}")
            pool.submit(int).result()
            _POOLS.append(pool)
            for t in threading.enumerate():
                if t.name.startswith(f"ThreadPoolExecutor-{11 + i}_"):
                    record(t, "idle")
    return args


def record(thread, expect):
    THREADS[thread.name] = thread.native_id
    EXPECT[thread.name] = expect


def start(name, expect, target, *args):
    """Start daemon thread name+SUFFIX running target(*args)."""
    thread = threading.Thread(target=target, args=args, name=name + SUFFIX, daemon=True)
    thread.start()
    record(thread, expect)
    return thread


class Heartbeat(threading.Thread):
    """An idle helper with two frames of its own: run() -> _tick() -> sleep."""

    def __init__(self, name):
        super().__init__(name=name, daemon=True)

    def run(self):
        while not _STOP.is_set():
            self._tick()

    def _tick(self):
        time.sleep(30)


def flush_metrics_forever():
    while not _STOP.wait(15):
        pass


def ready(**facts):
    info = {
        "fixture": PROGRAM,
        "pid": os.getpid(),
        "python": platform.python_version(),
        "name_suffix": SUFFIX,
        "threads": dict(THREADS),
        "expect": dict(EXPECT),
    }
    info.update(facts)
    sys.stdout.write(f"READY {json.dumps(info, sort_keys=True)}\n")
    sys.stdout.flush()


def wait_for_workers(threads):
    """Main thread of a service: poll the workers with a timeout, as supervisors do."""
    while all(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=5.0)
    sys.exit(f"{PROGRAM}: a hung thread ended unexpectedly")
