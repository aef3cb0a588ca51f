"""What a thread blocked in a multiplexer watches, through the real capture path (py-spy): KernelState.watches.

One real Python program runs a selectors server (a listening TCP socket and one end of a socketpair registered:
epoll_wait), a thread in ``select.poll().poll()`` and one in ``select.select()``, each on a connection to a
loopback listener that never answers. It is captured with `collect` once all three block.
"""
from __future__ import annotations

import socket

import pytest

from forensics import procfs
from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.model import Capture
from forensics.summary import render_full, render_summary
from forensics.watched_fds import watches
from tests.integration.test_fd_parties import program
from tests.support import assert_left_running, wait_blocked

pytestmark = pytest.mark.integration

SERVER = """
import ctypes, json, select, selectors, signal, socket, threading
ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
ours, theirs = socket.socketpair()
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen()
polled = socket.create_connection(silent.getsockname())
selected = socket.create_connection(silent.getsockname())
tids = {}
ready = threading.Barrier(4)

def serve():
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(ours, selectors.EVENT_READ)
    tids["serve"] = threading.get_native_id()
    ready.wait()
    sel.select()

def poll():
    p = select.poll()
    p.register(polled, select.POLLIN)
    tids["poll"] = threading.get_native_id()
    ready.wait()
    p.poll()

def select_():
    tids["select"] = threading.get_native_id()
    ready.wait()
    select.select([selected], [], [])

for f in (serve, poll, select_):
    threading.Thread(target=f, name=f.__name__, daemon=True).start()
ready.wait()
print("READY " + json.dumps({
    "tids": tids, "listen": listener.getsockname()[1], "silent": silent.getsockname()[1],
    "polled": polled.getsockname()[1], "selected": selected.getsockname()[1],
}), flush=True)
threading.Event().wait()
"""


def server(source: str = SERVER):
    """The watching program, run as test_fd_parties runs its programs (READY line, process group killed)."""
    return program(source)


def test_each_multiplexer_names_what_it_watches():
    with server() as (proc, info):
        tids = info["tids"]
        wait_blocked(proc.pid, tids.values(),
                     syscalls={"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6"})
        [outcome] = collect([proc.pid], CollectOptions(method="py-spy"))
        assert outcome.error is None, outcome.error
        assert_left_running(proc.pid)
        capture = Capture.from_json(outcome.capture.to_json())  # what the store keeps reads back the same
        assert capture == outcome.capture
        by_tid = {t.tid: t.kernel for t in capture.threads}
        silent = f"127.0.0.1:{info['silent']}"

        serve = by_tid[tids["serve"]]
        assert serve.syscall.name.startswith("epoll_")
        assert serve.watches == (f"listen tcp 127.0.0.1:{info['listen']}", "unix")  # fd order: listener first
        assert by_tid[tids["poll"]].watches == (f"tcp 127.0.0.1:{info['polled']}->{silent}",)
        assert by_tid[tids["select"]].watches == (f"tcp 127.0.0.1:{info['selected']}->{silent}",)
        assert by_tid[proc.pid].watches is None  # the main thread waits on a futex: no multiplexer, no fact
        shown = render_summary(capture)  # hangdump show's thread table
        assert f"watching listen tcp 127.0.0.1:{info['listen']} + unix" in shown
        assert f"watching tcp 127.0.0.1:{info['polled']}->{silent}" in shown
        full = render_full(capture)  # hangdump show CAPTURE: the per-thread kernel line
        assert f"{serve.syscall.name}(0x{serve.syscall.args[0]:x}, " in full
        assert f"watching listen tcp 127.0.0.1:{info['listen']} + unix\n" in full


def test_a_poll_a_first_capture_interrupted_still_names_its_fds():
    """py-spy's attach interrupts poll(), which goes on as restart_syscall: the second capture still says what it
    polls (the argument registers are poll's)."""
    with server() as (proc, info):
        tids = info["tids"]
        captures = []
        for blocked_in in ({"poll", "ppoll"}, {"poll", "ppoll", "restart_syscall"}):
            # py-spy's detach leaves the thread runnable for a moment: capture once it sits in the syscall again
            wait_blocked(proc.pid, [tids["poll"]], syscalls=blocked_in)
            [outcome] = collect([proc.pid], CollectOptions(method="py-spy"))
            assert outcome.error is None, outcome.error
            captures.append({t.tid: t.kernel for t in outcome.capture.threads}[tids["poll"]])
        first, second = captures
        assert first.watches == second.watches == (f"tcp 127.0.0.1:{info['polled']}->127.0.0.1:{info['silent']}",)
        assert second.syscall.name in ("poll", "ppoll", "restart_syscall")


# A thread in select() on a listener until a client connects, then in a futex wait (Event.wait()).
ONE_SELECT = """
import ctypes, json, select, signal, socket, threading
ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
tids, started, done = {}, threading.Event(), threading.Event()

def serve():
    tids["select"] = threading.get_native_id()
    started.set()
    select.select([listener], [], [])
    listener.accept()
    done.wait()

threading.Thread(target=serve, daemon=True).start()
started.wait()
print("READY " + json.dumps({"tids": tids, "listen": listener.getsockname()[1]}), flush=True)
done.wait()
"""


def test_a_select_that_returned_since_the_snapshot_is_no_fact():
    """The fd_sets are on the thread's stack, which the call it makes next reuses: read after the select returned
    they are not what it waits on (the capture reads them while py-spy runs, after the /proc snapshot)."""
    with server(ONE_SELECT) as (proc, info):
        tid = info["tids"]["select"]
        wait_blocked(proc.pid, [tid], syscalls={"select", "pselect6"})
        snapshot = procfs.read_threads(proc.pid)
        assert watches(proc.pid, snapshot, procfs.Scans())[tid] == (f"listen tcp 127.0.0.1:{info['listen']}",)
        socket.create_connection(("127.0.0.1", info["listen"])).close()
        wait_blocked(proc.pid, [tid], syscalls={"futex"})
        assert tid not in watches(proc.pid, snapshot, procfs.Scans())


# A selector watching a socket whose fd was closed while a dup keeps the socket open, and the number reused.
STALE = """
import ctypes, json, os, selectors, signal, socket, threading
ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
sel = selectors.DefaultSelector()
sel.register(listener, selectors.EVENT_READ)
number = listener.fileno()
kept = os.dup(number)  # as a forked child would keep it
listener.close()
r, w = os.pipe()  # the lowest free number: the one the listener had
assert r == number
tids = {}
started = threading.Event()

def serve():
    tids["serve"] = threading.get_native_id()
    started.set()
    sel.select()

threading.Thread(target=serve, daemon=True).start()
started.wait()
print("READY " + json.dumps({"tids": tids}), flush=True)
threading.Event().wait()
"""


def test_an_epoll_file_whose_number_names_another_file_now_is_closed():
    with server(STALE) as (proc, info):
        tid = info["tids"]["serve"]
        wait_blocked(proc.pid, [tid], syscalls={"epoll_wait", "epoll_pwait", "epoll_pwait2"})
        assert watches(proc.pid, procfs.read_threads(proc.pid), procfs.Scans())[tid] == ("closed",)
