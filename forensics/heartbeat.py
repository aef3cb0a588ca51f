"""Heartbeats from inside a worker, for ``hangdump watch``: one line per task or loop iteration.

    from forensics import heartbeat
    heartbeat.task_started("charge_card", id=job.id)   # the watchdog now knows what is running
    ...                                                # call heartbeat.beat() in long loops
    heartbeat.task_finished()                          # idle, waiting for work: never "stale"

Pure stdlib and importable on CPython 3.8-3.13: it runs inside any worker, so it imports nothing else
of hangdump. ``beat()``, ``task_started()`` and ``task_finished()`` only update memory (a clock read, no
syscall: about a microsecond); a writer thread started on first use puts the latest state in the backend
at most once per ``resolution`` second, stamped with the time of the worker's own last call. It never beats
by itself, so it cannot make a stuck worker look alive: a hang is seen at most ``resolution`` s later.

With ``HANGDUMP_HEARTBEAT=redis://[:password@]host:port/db`` (or ``rediss://``) in the environment the emitter
writes to Redis instead (``RedisBackend``: a fleet whose watchdogs read Redis); redis-py is imported then, and
only then, in the writer thread. A Redis that is down or slow costs the worker nothing: the write is the
writer thread's, bounded by a timeout, dropped on failure and retried with a backoff.

The default backend writes one small JSON file per process into ``$HANGDUMP_HEARTBEAT_DIR``
(default ``$XDG_RUNTIME_DIR/hangdump``, else ``/run/hangdump``: tmpfs, so no disk I/O), atomically
(temp file + rename, so a reader never sees half a payload). The payload names the process (pid, start
time) and its parent at the first write (pid, start time, and whether it runs the worker's executable, read
once): the watchdog ends a worker as an orphan when that parent is gone and the worker has another, unless
the parent ran another program (a shell: ``nohup worker &`` outlives its shell by design; such an orphan is
only reported). A daemon that double-forks records its adopter if its first beat comes after its middle
process exited. The payload carries the CLOCK_MONOTONIC time of the worker's last call: the watchdog ages
beats by it, so a wall-clock jump cannot make a beat look old.

Why a beating background thread is opt-in (``start_thread``) and not the default: a thread that beats
by itself beats whatever the main loop does, so a worker whose main loop is deadlocked keeps looking alive. The
watchdog still catches that case (its "blocked" rule reads /proc and ignores the beating thread,
whose tid the payload names, as it names the writer's), but a beat from the code doing the work is the
evidence that counts.
"""
from __future__ import annotations

import _thread  # threading's core: a capture reads heartbeats (is_redis_url, default_dir) and starts no thread
import json
import os
import sys
import time

__all__ = [
    "FileBackend",
    "Heartbeat",
    "RedisBackend",
    "beat",
    "configure",
    "default_dir",
    "default_source",
    "start_thread",
    "task_finished",
    "task_started",
]

RESOLUTION_S = 1.0
_monotonic = time.monotonic


def default_dir() -> str:
    """$HANGDUMP_HEARTBEAT_DIR, else $XDG_RUNTIME_DIR/hangdump, else /run/hangdump."""
    explicit = os.environ.get("HANGDUMP_HEARTBEAT_DIR")
    if explicit:
        return explicit
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(runtime, "hangdump") if runtime else "/run/hangdump"


def is_redis_url(text) -> bool:
    return isinstance(text, str) and text.split("://", 1)[0].lower() in ("redis", "rediss") and "://" in text


def default_source() -> str:
    """Where heartbeats go by default: $HANGDUMP_HEARTBEAT when it is a redis:// URL, else ``default_dir()``."""
    url = os.environ.get("HANGDUMP_HEARTBEAT")
    return url if is_redis_url(url) else default_dir()


def host_name() -> str:
    """The name the fleet knows this host by: $HANGDUMP_HOST, else the nodename (as captures name it)."""
    return os.environ.get("HANGDUMP_HOST") or os.uname().nodename


def _start_ticks(pid: int) -> int:
    """Field 22 of /proc/PID/stat (clock ticks since boot): with the pid, the process's identity."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        tail = fh.read().rpartition(b")")[2].split()
    return int(tail[19])


def _same_executable(pid: int) -> bool | None:
    """Whether ``pid`` runs our executable: a pool's master forks (or spawns) its workers from its own; a
    shell, ``nohup`` or a supervisor of other programs does not. None when its exe is not ours to read
    (another user's: a master that dropped privileges for its workers)."""
    try:
        return os.readlink(f"/proc/{pid}/exe") == os.readlink("/proc/self/exe")
    except OSError:
        return None


def _parent() -> tuple[int, int | None, bool | None]:
    """Our parent: its pid, start time (None: unreadable, e.g. no /proc/0 for a parent in another pid
    namespace) and whether it runs our executable. Both are read, then ``getppid()`` checked again: a
    parent is never reaped (its pid free for reuse) before its children are re-parented, so an unchanged
    ``getppid()`` proves the reads were of our parent; a parent that died meanwhile is read again as the new one."""
    for _ in range(3):
        ppid = os.getppid()
        try:
            ticks = _start_ticks(ppid)
        except (OSError, IndexError, ValueError):
            ticks = None
        same = _same_executable(ppid)
        if os.getppid() == ppid:
            return ppid, ticks, same
    return os.getppid(), None, None


class FileBackend:
    """One file per process, ``<dir>/<pid>.json``; the interface a backend has: ``write(payload)``, ``remove(pid)``."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory or default_dir()
        self._made = False

    def path(self, pid: int) -> str:
        return os.path.join(self.directory, f"{pid}.json")

    def write(self, payload: dict) -> None:
        if not self._made:
            os.makedirs(self.directory, mode=0o1777, exist_ok=True)
            self._made = True
        import tempfile  # here, not at the top: every capture reads heartbeats (fleet/role.py), none writes one

        fd, tmp = tempfile.mkstemp(prefix=".hb-", dir=self.directory)
        try:
            try:
                os.write(fd, json.dumps(payload, separators=(",", ":")).encode())
            finally:
                os.close(fd)
            os.rename(tmp, self.path(payload["pid"]))
        except BaseException:
            _unlink(tmp)
            raise

    def remove(self, pid: int) -> None:
        _unlink(self.path(pid))


class RedisBackend:
    """Each process's latest payload in one hash per host, ``<prefix>:hb:<host>`` (pid -> JSON), its TTL renewed
    by every write: a host whose workers all died leaves nothing behind for long, and a live host's hash holds
    one field per process (a dead process's field is removed by its host's watchdog). One pipelined round trip
    per write, and the writer writes at most once per ``resolution`` s whatever the task rate.

    ``write`` raises OSError when Redis cannot take the beat (the emitter keeps the beat and retries); after
    a failure, writes are refused without a network call until a backoff (doubling, at most BACKOFF_MAX_S)
    ends, so a down Redis costs one timed-out call per backoff, never one per beat."""

    BACKOFF_MAX_S = 4.0
    TTL_S = 86400

    def __init__(self, url: str, host: str | None = None, timeout_s: float = 0.5) -> None:
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.prefix = query.pop("prefix", None) or "hangdump"
        for ours in ("retention", "budget"):
            query.pop(ours, None)
        self._url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))  # holds the password
        self.host = host or host_name()
        self.key = f"{self.prefix}:hb:{self.host}"
        self.timeout_s = timeout_s
        self._client = None
        self._failures = 0
        self._retry_at = 0.0

    def __repr__(self) -> str:
        return f"RedisBackend({self.key})"  # never the URL: it may hold a password

    def _redis(self):
        if self._client is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._client = redis.Redis.from_url(self._url, socket_timeout=self.timeout_s,
                                                socket_connect_timeout=self.timeout_s, retry=Retry(NoBackoff(), 1))
        return self._client

    def warm(self) -> None:
        """Import redis-py and make the client (no network call); never raises: ``write`` reports failures."""
        try:
            self._redis()
        except Exception:  # noqa: BLE001, S110 - redis-py missing or a bad URL: every write fails and is retried
            pass

    def _commands(self, pipe, payload: dict) -> None:
        pipe.hset(self.key, str(payload["pid"]), json.dumps(payload, separators=(",", ":")))
        pipe.expire(self.key, self.TTL_S)

    def _call(self, build) -> None:
        now = _monotonic()
        if now < self._retry_at:
            raise OSError("Redis unreachable a moment ago; retrying after a backoff")
        try:
            pipe = self._redis().pipeline(transaction=False)
            build(pipe)
            pipe.execute()
        except Exception as exc:  # noqa: BLE001 - redis-py missing, refused, timed out: never the worker's problem
            if isinstance(exc, ImportError) and not self._failures:
                sys.stderr.write("hangdump heartbeat: redis-py is not installed (pip install redis): "
                                 "heartbeats to Redis are dropped\n")
            self._failures += 1
            self._retry_at = now + min(self.BACKOFF_MAX_S, 0.25 * 2 ** self._failures)
            raise OSError(f"heartbeat not written to Redis: {type(exc).__name__}") from None
        self._failures = 0

    def write(self, payload: dict) -> None:
        self._call(lambda pipe: self._commands(pipe, payload))

    def remove(self, pid: int) -> None:
        try:
            self._call(lambda pipe: pipe.hdel(self.key, str(pid)))
        except OSError:
            pass  # the host's watchdog removes the fields of processes that are gone


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class Heartbeat:
    """The emitter of one process. Calls only update memory; a writer thread puts the latest state in the
    backend at most once per ``resolution`` s, stamped with the time of the *caller's* last call, so the
    writer can never make a stuck worker look alive. Fork-aware: a child starts with its own identity."""

    def __init__(self, backend=None, resolution: float = RESOLUTION_S) -> None:
        self.backend = backend if backend is not None else default_backend()
        self.resolution = resolution
        self._reset()

    def _reset(self) -> None:
        import threading  # here: the capture path imports this module for its readers, ~4 M instructions

        self._lock = threading.Lock()  # new in a forked child too: the parent's writer may have held it
        self._pid = os.getpid()
        self._ppid = None  # with _parent_start: recorded at the first write (see payload)
        self._start = None
        self._parent_start = None
        self._parent_same_exe = None
        self._mono = None  # monotonic time of the working code's last call (or the beater's, if opted in)
        self._written = None  # the _mono last written
        self._task = None
        self._task_id = None
        self._task_wall = None
        self._task_mono = None
        self._declared_idle = False  # task_finished() was called: waiting for work, not expected to beat
        self._seq = 0
        self._writer = None
        self._writer_tid = None
        self._autobeat = None  # start_thread(): seconds between beats the thread makes itself
        self._stop = threading.Event()

    def beat(self) -> None:
        """Say "this code is making progress": one clock read (no syscall); written by the writer thread."""
        self._mono = _monotonic()
        if self._writer is None:
            self._start_writer()

    def task_started(self, name: str, id: str | None = None) -> None:
        """A task began: the watchdog holds it to its stale and overrun limits."""
        self._task, self._task_id = str(name), None if id is None else str(id)
        self._task_wall, self._task_mono = time.time(), _monotonic()
        self.beat()

    def task_finished(self) -> None:
        """The task ended: idle, waiting for work, which is never stale."""
        self._task = self._task_id = self._task_wall = self._task_mono = None
        self._declared_idle = True
        self.beat()

    def payload(self) -> dict:
        if self._start is None:  # read once, by the writer thread: never on a beat
            # The parent at the first write, not at the fork: a daemon's double fork ends in its middle
            # process's exit, by design, before the daemon works (and beats).
            self._start = _start_ticks(self._pid)
            self._ppid, self._parent_start, self._parent_same_exe = _parent()
        self._seq += 1
        return {  # what never changes (beater_tid: rarely) first, then what does (watch/heartbeats.py reads it so)
            "pid": self._pid, "ppid": self._ppid, "start_ticks": self._start,
            "parent_start_ticks": self._parent_start, "parent_same_exe": self._parent_same_exe,
            "writer_tid": self._writer_tid, "resolution": self.resolution,
            "beater_tid": self._writer_tid if self._autobeat else None,
            "seq": self._seq, "mono": self._mono, "wall": time.time(), "state": self._state(),
            "task": self._task, "task_id": self._task_id, "started_at": self._task_wall,
            "started_mono": self._task_mono,
        }

    def _state(self) -> str:
        """task: held to the limits; idle: waiting for work, never stale; alive: a loop that only beats."""
        if self._task is not None:
            return "task"
        return "idle" if self._declared_idle else "alive"

    def flush(self) -> None:
        """Write now if anything changed since the last write (the writer thread does this by itself)."""
        with self._lock:
            if self._mono is None or self._mono == self._written:
                return
            warm = getattr(self.backend, "warm", None)
            if warm is not None:
                warm()  # a first import of the client can take a while: make the payload after it, not before
            self._written = self._mono
            try:
                self.backend.write(self.payload())
            except OSError:
                self._written = None  # never break the worker: keep the beat, write it at the next chance

    def _start_writer(self) -> None:
        with self._lock:
            if self._writer is not None:
                return
            import threading

            self._writer = threading.Thread(target=self._run, name="hangdump-heartbeat", daemon=True)
            self._writer.start()

    def _run(self) -> None:
        self._writer_tid = _thread.get_native_id() if hasattr(_thread, "get_native_id") else None
        self.flush()
        while not self._stop.wait(self._autobeat or self.resolution):
            if self._autobeat:
                self._mono = _monotonic()
            self.flush()

    def start_thread(self, interval: float | None = None) -> None:
        """Opt-in: the writer thread also beats by itself every ``interval`` s (see the module docstring
        for why this is not the default)."""
        self._autobeat = interval or self.resolution
        self.beat()

    def close(self) -> None:
        """Stop the writer thread and remove this process's file (a clean exit is not a hang)."""
        self._stop.set()
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        self.backend.remove(self._pid)


def default_backend():
    """A RedisBackend when $HANGDUMP_HEARTBEAT is a redis:// URL, else a FileBackend in ``default_dir()``."""
    source = default_source()
    return RedisBackend(source) if is_redis_url(source) else FileBackend(source)


_default = None  # type: Heartbeat | None
_default_lock = _thread.allocate_lock()  # what threading.Lock() is


def _get() -> Heartbeat:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Heartbeat()
    return _default


def configure(backend=None, resolution: float = RESOLUTION_S) -> Heartbeat:
    """Replace the process-wide emitter (e.g. another directory, or a Redis backend later)."""
    global _default
    _default = Heartbeat(backend, resolution)
    return _default


def beat() -> None:
    (_default or _get()).beat()


def task_started(name: str, id: str | None = None) -> None:
    _get().task_started(name, id)


def task_finished() -> None:
    _get().task_finished()


def start_thread(interval: float | None = None) -> None:
    _get().start_thread(interval)


def flush() -> None:
    """Write the current state now (e.g. before a blocking call the worker knows will be long)."""
    _get().flush()


def close() -> None:
    if _default is not None:
        _default.close()


def _after_fork_in_child() -> None:
    if _default is not None:
        _default._reset()  # threads do not survive fork: the child's first call starts its own writer


os.register_at_fork(after_in_child=_after_fork_in_child)
