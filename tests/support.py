"""Helpers for integration tests that run the real hang programs in fixtures/hangs/.

    with spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")])
        ...  # capture hung.pid

Spawning lives in forensics.hangs (shared with `hangdump demo`); /proc reading in forensics.procraw.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from forensics import procraw
from forensics.errors import PermissionDenied, TargetNotFound
from forensics.hangs import (  # noqa: F401 - the tests import these from here
    HANGS_DIR,
    REPO_ROOT,
    FixtureNotReady,
    HungProcess,
    fixture_names,
    python_interpreters,
    read_ready,
    spawn,
)
from forensics.identity import parse_stat
from forensics.procfs import parse_status
from forensics.syscalls import GENERIC, X86_64
from forensics.syscalls import syscall_name as syscall_for

T = TypeVar("T")

# the verdict kinds that blame a hang (scripts/bench/verdict_accuracy.py): "unknown", "sleep" and "idle" do not
HANG_KINDS = frozenset({"deadlock", "gil", "lock", "io", "subprocess", "pool", "flock", "busy", "queue", "join", "wait"})

# syscall number tables by architecture
SYSCALL_NAMES: dict[str, dict[int, str]] = {"x86_64": X86_64, "aarch64": GENERIC}


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.02,
    what: str = "condition",
) -> T:
    """Poll `predicate` until it returns something truthy, and return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def pyspy_dump(pid: int, native: bool = False) -> str:
    """A plain ``py-spy dump --json`` of pid (what ``hangdump import`` gets: no kernel state)."""
    from forensics.capture.pyspy import find_pyspy

    return subprocess.run([find_pyspy(), "dump", "--json", "--pid", str(pid), *(["--native"] if native else [])],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def capture_program(tmp_path: Path, program: str, filename: str, args: Sequence[str] = (), *,
                    threads: Sequence[str], syscalls: set[str], how: str = "live") -> dict:
    """The capture of a hang program written beside the fixtures' scaffold (its source readable, as on the host
    that captured it), once ``threads`` block in ``syscalls``: ``how`` "live" or "native" (hangdump's own collect)
    or "dump" (a plain py-spy dump, imported: no kernel state). The target is left running, then ended."""
    import shutil

    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect
    from forensics.importers.files import import_file

    script = tmp_path / filename
    script.write_text(program)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    with spawn_hang(script.stem, script=script, args=args) as hung:
        wait_blocked(hung.pid, [hung.tid(t) for t in threads], syscalls=syscalls)
        if how == "dump":
            (tmp_path / "dump.json").write_text(pyspy_dump(hung.pid))
            doc = import_file(str(tmp_path / "dump.json")).to_dict()
        else:
            out = collect([hung.pid], CollectOptions(native=how == "native", timeout_s=30))[0]
            assert out.capture is not None, out.error
            doc = out.capture.to_dict()
        assert_left_running(hung.pid)
    return doc


def _per_thread(pid: int, name: str, parse: Callable[[str], T | None]) -> dict[int, T]:
    """tid -> parse(/proc/PID/task/TID/<name>) for every thread still there; threads that vanish are skipped."""
    result: dict[int, T] = {}
    try:
        tids = procraw.thread_ids(pid)
    except (TargetNotFound, PermissionDenied):
        return result
    for tid in tids:
        text = procraw.read_optional(f"/proc/{pid}/task/{tid}/{name}")
        value = parse(text) if text else None
        if value is not None:
            result[tid] = value
    return result


def thread_syscalls(pid: int) -> dict[int, str]:
    """tid -> first field of /proc/PID/task/TID/syscall: a syscall number as str,
    "running", or "-1" (blocked outside a syscall)."""
    return _per_thread(pid, "syscall", lambda text: text.split()[0] if text.split() else None)


def thread_cpu_ticks(pid: int) -> dict[int, int]:
    """tid -> utime + stime in clock ticks, from /proc/PID/task/TID/stat."""
    def ticks(text: str) -> int:
        st = parse_stat(text)
        return st.utime_ticks + st.stime_ticks

    return _per_thread(pid, "stat", ticks)


def syscall_name(number: str) -> str:
    """Name of a syscall number from thread_syscalls(), else the input ("running", "-1") unchanged."""
    return syscall_for(int(number)) if number.isdigit() else number


def wait_blocked(
    pid: int,
    tids: Iterable[int],
    timeout: float = 10.0,
    syscalls: Iterable[str] | None = None,
) -> dict[int, str]:
    """Wait until every tid sits in a syscall at the same moment; return tid -> syscall name.

    With `syscalls` (names such as "futex", "recvfrom"), each tid must be in one of them.
    """
    wanted = list(tids)
    allowed = set(syscalls) if syscalls is not None else None

    def blocked() -> dict[int, str] | None:
        current = thread_syscalls(pid)
        names = {tid: syscall_name(current.get(tid, "gone")) for tid in wanted}
        for name in names.values():
            if name in ("running", "gone", "-1") or (allowed is not None and name not in allowed):
                return None
        return names

    try:
        return wait_until(blocked, timeout=timeout, what="blocked threads")
    except AssertionError:
        now = {tid: syscall_name(nr) for tid, nr in thread_syscalls(pid).items() if tid in wanted}
        where = f" in {sorted(allowed)}" if allowed else ""
        raise AssertionError(
            f"timed out after {timeout:.1f}s waiting for threads {wanted} of pid {pid} to block{where}; now: {now}"
        ) from None


SIGSTOP_BIT = 1 << 18  # signal 19


def _sigstop_queued(fields: dict[str, str]) -> bool:
    """A SIGSTOP queued for the thread or its process: the one PTRACE_ATTACH sends, not yet taken."""
    return bool((int(fields.get("SigPnd", "0"), 16) | int(fields.get("ShdPnd", "0"), 16)) & SIGSTOP_BIT)


def stop_pending(pid: int) -> bool:
    """Does any thread of pid have a SIGSTOP queued?"""
    return any(_per_thread(pid, "status", lambda text: _sigstop_queued(parse_status(text))).values())


_SPAWNED: dict[int, tuple[int, Canary | None]] = {}  # pid -> (start ticks, its canary) of targets spawned here
CANARY = REPO_ROOT / "fixtures" / "faults" / "canary.py"


@dataclass
class Canary:
    """Our ends of a target's canary pipes (see fixtures/faults/canary.py)."""

    ping: int
    pong: int

    def answers(self, timeout: float) -> bool:
        """Ping once; True when the answer comes within timeout (the target ran in between)."""
        os.write(self.ping, b"!")
        ready, _, _ = select.select([self.pong], [], [], timeout)
        return bool(ready) and os.read(self.pong, 1) == b"!"


@contextlib.contextmanager
def spawn_hang(name: str, python: str = sys.executable, args: Sequence[str] = (), canary: bool = False,
               script: Path | None = None, **kwargs) -> Iterator[HungProcess]:
    """forensics.hangs.spawn, remembering the target's start time (and with canary=True, a canary thread that
    answers pings) for assert_left_running."""
    fds: list[int] = []
    if canary:
        ping_r, ping_w = os.pipe()
        pong_r, pong_w = os.pipe()
        fds = [ping_r, ping_w, pong_r, pong_w]
        env = dict(kwargs.pop("env", None) or os.environ, HANGDUMP_CANARY=f"{ping_r},{pong_w}")
        kwargs.update(env=env, pass_fds=(ping_r, pong_w), prefix=[str(CANARY)])
    try:
        with spawn(name, python, args, script=script, **kwargs) as hung:
            for fd in fds[0::3]:  # the target's ends: its copies are all it needs
                os.close(fd)
            _SPAWNED[hung.pid] = (parse_stat(procraw.read_text(f"/proc/{hung.pid}/stat")).start_ticks,
                                  Canary(fds[1], fds[2]) if canary else None)
            yield hung
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def _thread_problem(text: str, allowed: str) -> str | None:
    """What is wrong with one thread's /proc status for a target left running (None: nothing)."""
    fields = parse_status(text)
    state = fields["State"].split()[0]
    if state not in allowed:
        return f"state {fields['State']}"
    if int(fields["TracerPid"]):
        return f"traced by pid {fields['TracerPid']}"
    if _sigstop_queued(fields):
        return "a SIGSTOP queued"
    return None


def left_running_problems(pid: int, allowed: str = "RS") -> dict[int, str] | str:
    """Every thread's problem, or what is wrong with the process as a whole (gone, another process)."""
    spawned = _SPAWNED.get(pid)
    try:
        start = parse_stat(procraw.read_text(f"/proc/{pid}/stat")).start_ticks
    except OSError:
        return f"pid {pid} is gone"
    if spawned is not None and start != spawned[0]:
        return f"pid {pid} is another process now"
    threads = _per_thread(pid, "status", lambda text: _thread_problem(text, allowed) or "")
    if not threads:
        return f"pid {pid} has no threads left"
    return {tid: p for tid, p in threads.items() if p}


def assert_left_running(pid: int, allowed: str = "RS", progress_timeout: float = 10.0) -> None:
    """The promise of every capture: within 1 s the target is alive, the same process (pid + start time),
    every thread running or sleeping (``allowed`` states; never T, t, Z or X), untraced, with no SIGSTOP
    queued (a thread a dying tracer let go with its attach SIGSTOP pending stops the group later); and a
    target spawned with a canary answers a ping, then is still running: it really ran after the capture."""
    def problems() -> dict[int, str] | str:
        return left_running_problems(pid, allowed)

    wait_until(lambda: problems() == {}, timeout=1.0, interval=0.01,
               what=f"pid {pid} running, untraced, no stop queued (problems: {problems()})")
    canary = _SPAWNED.get(pid, (0, None))[1]
    if canary is not None:
        assert canary.answers(progress_timeout), f"pid {pid} did not answer its canary: {problems()}"
        assert problems() == {}, problems()


def free_port() -> int:
    """A loopback TCP port free right now (a server started on it may still lose a race; then its start fails)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def started(argv: list[str], log: Path, **kw) -> Iterator[subprocess.Popen]:
    """A process group of our own, ended (the whole group, by its id) whatever the test did."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


class RedisServer:
    """A real redis-server on a free loopback port, no persistence, for one test; ``kill`` and ``start`` again
    keep the port (an outage, then the same Redis back: empty, or with ``persist`` as it was, an fsynced append-only
    file surviving the SIGKILL). ``tls``: serve TLS only, with a throwaway CA
    (``ca``) made by openssl; ``password``: requirepass. ``url`` is what a client passes to --store."""

    def __init__(self, directory: Path, password: str | None = None, tls: bool = False, persist: bool = False) -> None:
        import shutil

        self.exe = shutil.which("redis-server")
        if self.exe is None:
            raise AssertionError("redis-server is not installed (scripts/setup.sh installs it)")
        self.dir, self.password, self.tls, self.persist = directory, password, tls, persist
        self.port = free_port()
        self.ca: Path | None = self._make_certs() if tls else None
        self._stack: contextlib.ExitStack | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls:
            return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={self.ca}"
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)

    def _make_certs(self) -> Path:
        """A CA and a server certificate for 127.0.0.1 signed by it (openssl, real keys, thrown away)."""
        d = self.dir / "tls"
        d.mkdir(exist_ok=True)

        def run(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=hangdump test CA")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
        (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
        return d / "ca.pem"

    def argv(self) -> list[str]:
        argv = [self.exe, "--bind", "127.0.0.1", "--save", "", "--dir", str(self.dir)]
        argv += ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
        if self.tls:
            d = self.dir / "tls"
            argv += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(d / "server.pem"),
                     "--tls-key-file", str(d / "server.key"), "--tls-ca-cert-file", str(d / "ca.pem"),
                     "--tls-auth-clients", "no"]
        else:
            argv += ["--port", str(self.port)]
        if self.password:
            argv += ["--requirepass", self.password]
        return argv

    def start(self) -> RedisServer:
        import redis

        assert self._stack is None, "already running"
        self._stack = contextlib.ExitStack()
        self.proc = self._stack.enter_context(started(self.argv(), self.dir / "redis.log"))
        client = self.client()

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                assert self.proc.poll() is None, (self.dir / "redis.log").read_text()[-2000:]
                return False

        wait_until(answers, timeout=30, what="redis-server answers PING")
        return self

    def kill(self) -> None:
        """SIGKILL, as an outage would: nothing saved, clients' connections reset."""
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()
