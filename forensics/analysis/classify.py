"""Thread classification: what each thread is blocked on, from its frames plus what the kernel said.

Evidence, strongest first (each capture has some of it, never all):

1. Python frames of the standard library between the wait and the application
   (``threading.py`` ``join``/``wait``, ``queue.py`` ``get``, ``http.client``, ``subprocess``,
   ``multiprocessing.pool``): they say what the application asked for.
2. Native frames above the innermost Python frame (``--native``, gdb): ``take_gil`` /
   ``pthread_cond_timedwait`` with no lock function (the GIL's condition variable),
   ``PyThread_acquire_lock_timed`` (a ``threading.Lock``), ``clock_nanosleep``, ``recv``,
   ``wait4``, ``flock``...
3. The kernel (``/proc/PID/task/TID/syscall``, state): the syscall and ``R`` for running.
4. ``owns_gil`` / ``active`` from py-spy: a thread owning the GIL while blocked in a syscall
   starves every other thread; the others then wait for the GIL even when nothing else says so.

A thread no rule explains is ``unknown``: never guessed. ``futex`` alone is ambiguous (a
lock, a condition, the GIL on 3.9-3.12), so it only becomes ``lock-wait`` with more evidence
(the source line, see ``verdict.py``).

The scan is the hot path of clustering: it reads raw capture dicts (the JSON as stored), stops
after the frames a signature needs, and relies on the per-frame normalization cache.
"""
from __future__ import annotations

import fnmatch
import functools
import itertools

from forensics import lazy
from forensics.analysis.normalize import NFrame, is_comprehension, normalize_frame
from forensics.analysis.signature import TOP_FRAMES, ThreadSignature
from forensics.records import record

LOCK_WAIT = "lock-wait"
CONDITION_WAIT = "condition-wait"
GIL_WAIT = "gil-wait"
GIL_HOLDER_BLOCKED = "gil-holder-blocked"
SOCKET_READ = "socket-read"
SOCKET_ACCEPT = "socket-accept"
CONNECT = "connect"
SELECT = "select"
QUEUE_GET = "queue-get"
QUEUE_PUT = "queue-put"
SLEEP = "sleep"
JOIN = "join"
SUBPROCESS_WAIT = "subprocess-wait"
POOL_WAIT = "pool-wait"
PIPE_READ = "pipe-read"
FLOCK = "flock"
BUSY = "busy"
IDLE = "idle"
UNKNOWN = "unknown"

CATEGORIES = (
    LOCK_WAIT, CONDITION_WAIT, GIL_WAIT, GIL_HOLDER_BLOCKED, SOCKET_READ, SOCKET_ACCEPT, CONNECT, SELECT,
    QUEUE_GET, QUEUE_PUT, SLEEP, JOIN, SUBPROCESS_WAIT, POOL_WAIT, PIPE_READ, FLOCK, BUSY, IDLE, UNKNOWN,
)

IMPORT_LOCK = "a module's import lock (importlib)"
QUEUE_JOIN = "queue.Queue.join()"
DATAGRAM_WAIT = "socket:recvfrom"  # the mechanism of a datagram server's wait (a C call: no frame of its own)

CHAIN_LIMIT = 8  # application frames kept from the wait outwards (identity uses the innermost few)
SCAN_LIMIT = 400  # frames looked at per thread; absurd stacks (1e5 frames) cost no more than this

# Standard-library functions (normalized keys) the application calls to wait -> category, detail.
_PY_WAITS: dict[str, tuple[str, str]] = {
    "threading:join": (JOIN, "Thread.join()"),
    "threading:_wait_for_tstate_lock": (JOIN, "Thread.join()"),
    "threading:wait": (CONDITION_WAIT, "Condition/Event.wait()"),
    "threading:wait_for": (CONDITION_WAIT, "Condition.wait_for()"),
    "threading:acquire": (LOCK_WAIT, "Semaphore/RLock.acquire()"),
    "threading:__enter__": (LOCK_WAIT, "lock __enter__"),
    "importlib._bootstrap:acquire": (LOCK_WAIT, IMPORT_LOCK),
    "importlib._bootstrap:_lock_unlock_module": (LOCK_WAIT, IMPORT_LOCK),
    "queue:get": (QUEUE_GET, "queue.Queue.get()"),
    "queue:put": (QUEUE_PUT, "queue.Queue.put() on a full queue"),
    "queue:join": (QUEUE_GET, QUEUE_JOIN),  # waits until a task_done() for every item put
    "multiprocessing.queues:join": (QUEUE_GET, QUEUE_JOIN),
    "multiprocessing.queues:get": (QUEUE_GET, "multiprocessing.Queue.get()"),
    "multiprocessing.queues:put": (QUEUE_PUT, "multiprocessing.Queue.put()"),
    "asyncio.queues:get": (QUEUE_GET, "asyncio.Queue.get()"),
    "subprocess:wait": (SUBPROCESS_WAIT, "subprocess.Popen.wait()"),
    "subprocess:_wait": (SUBPROCESS_WAIT, "subprocess.Popen.wait()"),
    "subprocess:_try_wait": (SUBPROCESS_WAIT, "subprocess.Popen.wait()"),
    "subprocess:communicate": (SUBPROCESS_WAIT, "subprocess.Popen.communicate()"),
    "subprocess:run": (SUBPROCESS_WAIT, "subprocess.run()"),
    "subprocess:call": (SUBPROCESS_WAIT, "subprocess.call()"),
    "subprocess:check_call": (SUBPROCESS_WAIT, "subprocess.check_call()"),
    "subprocess:check_output": (SUBPROCESS_WAIT, "subprocess.check_output()"),
    "multiprocessing.popen_fork:wait": (SUBPROCESS_WAIT, "multiprocessing Process wait"),
    "multiprocessing.popen_fork:poll": (SUBPROCESS_WAIT, "multiprocessing Process wait"),
    "multiprocessing.process:join": (SUBPROCESS_WAIT, "multiprocessing.Process.join()"),  # a child process's exit
    "multiprocessing.pool:apply": (POOL_WAIT, "multiprocessing Pool.apply()"),
    "multiprocessing.pool:map": (POOL_WAIT, "multiprocessing Pool.map()"),
    "multiprocessing.pool:starmap": (POOL_WAIT, "multiprocessing Pool.starmap()"),
    "multiprocessing.pool:get": (POOL_WAIT, "multiprocessing AsyncResult.get()"),
    "multiprocessing.pool:wait": (POOL_WAIT, "multiprocessing AsyncResult.wait()"),
    "multiprocessing.pool:next": (POOL_WAIT, "multiprocessing Pool.imap()"),
    "multiprocessing.pool:join": (JOIN, "multiprocessing Pool.join()"),
    "concurrent.futures._base:result": (POOL_WAIT, "Future.result()"),
    "concurrent.futures._base:wait": (POOL_WAIT, "concurrent.futures.wait()"),
    "concurrent.futures._base:as_completed": (POOL_WAIT, "concurrent.futures.as_completed()"),
    "concurrent.futures._base:result_iterator": (POOL_WAIT, "Executor.map()"),
    "multiprocessing.connection:recv": (PIPE_READ, "multiprocessing Connection.recv()"),
    "multiprocessing.connection:recv_bytes": (PIPE_READ, "multiprocessing Connection.recv()"),
    "multiprocessing.connection:poll": (SELECT, "multiprocessing Connection.poll()"),
    "multiprocessing.connection:wait": (SELECT, "multiprocessing.connection.wait()"),
    "socket:readinto": (SOCKET_READ, "socket read"),
    "socket:recv_into": (SOCKET_READ, "socket read"),
    "socket:accept": (SOCKET_ACCEPT, "socket.accept()"),
    "socket:create_connection": (CONNECT, "socket.create_connection()"),
    "selectors:select": (SELECT, "selectors select()"),
    "asyncio.base_events:run_forever": (SELECT, "asyncio event loop waiting for events"),
    "asyncio.base_events:_run_once": (SELECT, "asyncio event loop waiting for events"),
}
# Libraries' own waits, by module and function (normalized keys drop the package): client libraries that read their
# socket with a C call of their own (``sock.recv_into``, no standard-library frame under it); celery's wait for a
# task's result, which polls its backend (a read, then time.sleep) until the result comes -- with no timeout (the
# default), forever when no worker runs that task (a task waiting on a subtask: celery's documented deadlock).
_LIBRARY_WAITS: dict[str, tuple[str, str]] = {
    "celery.result:get": (POOL_WAIT, "celery AsyncResult.get()"),
    "celery.result:wait": (POOL_WAIT, "celery AsyncResult.wait()"),
    "celery.result:join": (POOL_WAIT, "celery ResultSet.join()"),
    "celery.result:join_native": (POOL_WAIT, "celery ResultSet.join()"),
    "redis._parsers.socket:_read_from_socket": (SOCKET_READ, "redis-py socket read"),
    "redis.connection:_read_from_socket": (SOCKET_READ, "redis-py socket read"),
    "redis._parsers.hiredis:read_from_socket": (SOCKET_READ, "redis-py socket read (hiredis)"),
    "redis.connection:read_from_socket": (SOCKET_READ, "redis-py socket read (hiredis)"),
    "amqp.transport:_read": (SOCKET_READ, "AMQP socket read (py-amqp)"),
    "paramiko.packet:read_all": (SOCKET_READ, "SSH socket read (paramiko)"),
    "websocket._socket:recv": (SOCKET_READ, "websocket read (websocket-client)"),
}
_PY_MODULE_WAITS: dict[str, tuple[str, str]] = {
    "http.client": (SOCKET_READ, "HTTP response read"),
    "urllib.request": (SOCKET_READ, "HTTP response read (urllib)"),
    "ssl": (SOCKET_READ, "SSL read"),
    "select": (SELECT, "select/poll"),
}

# What a client library's request reads its reply with: a request under way, not a listener's rest (culprit.requests)
CLIENT_READS = frozenset(d for c, d in [*_LIBRARY_WAITS.values(), *_PY_MODULE_WAITS.values()] if c == SOCKET_READ)
# A library's wait for a result that polls its backend in a loop: the timeout of each poll is the library's, not the
# wait's (get(timeout=None) by default), so the poll does not make the wait one that returns by itself
_POLLED_RESULT_WAITS = frozenset(d for c, d in _LIBRARY_WAITS.values() if c == POOL_WAIT)

# Taking the GIL (back): leafward of the call that released it, whatever that waited in, it has returned.
_GIL_TAKE = frozenset({"take_gil", "PyEval_RestoreThread", "PyEval_AcquireThread", "_PyEval_ReInitThreads",
                       "PyGILState_Ensure"})
_NATIVE_WAITS: dict[str, str] = {}
for _names, _cat in (
    (("PyThread_acquire_lock_timed", "lock_PyThread_acquire_lock", "acquire_timed", "rlock_acquire",
      "_PyMutex_LockTimed", "_PyMutex_LockSlow", "_PySemaphore_Wait", "PyThread_acquire_lock",
      "sem_clock_wait", "sem_timedwait", "sem_wait", "__new_sem_wait_slow", "do_futex_wait"), LOCK_WAIT),
    (("sqlite3InvokeBusyHandler", "sqliteDefaultBusyCallback", "btreeInvokeBusyHandler"), SLEEP),
    (("clock_nanosleep", "__clock_nanosleep", "nanosleep", "__nanosleep", "pysleep", "time_sleep", "usleep",
      "sleep", "__sleep"), SLEEP),
    (("recv", "recvfrom", "recvmsg", "__libc_recv", "__libc_recvfrom", "sock_recv", "sock_recv_into",
      "sock_recvfrom", "sock_recv_guts", "SSL_read", "SSL_read_ex", "ssl3_read_bytes", "_ssl__SSLSocket_read"),
     SOCKET_READ),
    (("accept", "accept4", "__libc_accept", "sock_accept", "sock_call_ex"), SOCKET_ACCEPT),
    (("connect", "__libc_connect", "sock_connect", "internal_connect"), CONNECT),
    (("select", "__select", "poll", "__poll", "ppoll", "__ppoll", "epoll_wait", "epoll_pwait", "pselect",
      "select_select", "select_select_impl", "select_poll_poll", "select_epoll_poll", "select_epoll_poll_impl"),
     SELECT),
    (("wait4", "__wait4", "waitpid", "__waitpid", "__libc_waitpid", "waitid", "os_waitpid", "os_waitpid_impl",
      "os_wait4", "os_waitid"), SUBPROCESS_WAIT),
    (("flock", "__flock", "fcntl_flock", "fcntl_flock_impl", "fcntl_lockf", "lockf"), FLOCK),
    (("read", "__libc_read", "__read", "_Py_read", "os_read", "os_read_impl", "_io_FileIO_readinto"), PIPE_READ),
):
    for _n in _names:
        _NATIVE_WAITS[_n] = _cat
_LIBC_NAMES = frozenset({
    "sem_clock_wait", "sem_timedwait", "sem_wait", "__new_sem_wait_slow", "do_futex_wait", "clock_nanosleep",
    "__clock_nanosleep", "nanosleep", "__nanosleep", "usleep", "sleep", "__sleep", "recv", "recvfrom", "recvmsg", "__libc_recv",
    "__libc_recvfrom", "accept", "accept4", "__libc_accept", "connect", "__libc_connect", "select", "__select", "poll",
    "__poll", "ppoll", "__ppoll", "epoll_wait", "epoll_pwait", "pselect", "wait4", "__wait4", "waitpid", "__waitpid",
    "__libc_waitpid", "waitid", "flock", "__flock", "lockf", "read", "__libc_read", "__read",
})
_CONDVAR = frozenset({"pthread_cond_timedwait", "pthread_cond_wait", "__pthread_cond_wait",
                      "__pthread_cond_timedwait", "pthread_cond_clockwait", "___pthread_cond_timedwait64",
                      "__pthread_cond_wait_common", "__futex_abstimed_wait_common"})

_SYSCALL_WAITS: dict[str, str] = {
    "clock_nanosleep": SLEEP, "nanosleep": SLEEP,
    "recvfrom": SOCKET_READ, "recvmsg": SOCKET_READ, "recv": SOCKET_READ, "recvmmsg": SOCKET_READ,
    "accept": SOCKET_ACCEPT, "accept4": SOCKET_ACCEPT, "connect": CONNECT,
    "poll": SELECT, "ppoll": SELECT, "select": SELECT, "pselect6": SELECT, "epoll_wait": SELECT,
    "epoll_pwait": SELECT, "epoll_pwait2": SELECT,
    "wait4": SUBPROCESS_WAIT, "waitid": SUBPROCESS_WAIT,
    "flock": FLOCK, "read": PIPE_READ, "readv": PIPE_READ, "pread64": PIPE_READ,
    # waiting for a signal is how a daemon idles (signal.pause(), signal.sigwait())
    "pause": IDLE, "rt_sigsuspend": IDLE, "rt_sigtimedwait": IDLE,
}
# A syscall restarted after a ptrace stop (an earlier attach, a debugger) shows as restart_syscall; the
# kernel function it sleeps in (wchan) still says what it was.
_RESTARTED = (("nanosleep", "clock_nanosleep"), ("futex", "futex"), ("ep_poll", "epoll_wait"),
              ("epoll", "epoll_wait"), ("poll_schedule", "poll"), ("do_select", "select"), ("do_wait", "wait4"))
# Where the timeout of a polling syscall is: (argument index, whether it is a pointer (NULL: no timeout) or
# milliseconds (negative: no timeout)).
_POLL_TIMEOUT = {"select": (4, True), "pselect6": (4, True), "ppoll": (2, True), "poll": (2, False),
                 "epoll_wait": (3, False), "epoll_pwait": (3, False), "epoll_pwait2": (3, True)}


# Condition.wait() (under Event.wait() too) blocks on one of two lines of threading.py: ``waiter.acquire()`` when
# no timeout was given, ``waiter.acquire(True, timeout)`` when one was; Thread.join() (3.9-3.12) on
# ``self._wait_for_tstate_lock()`` or ``self._wait_for_tstate_lock(timeout=max(timeout, 0))`` (3.13 calls
# ``self._handle.join(timeout)`` on one line: no line evidence). The line of the wait's threading frame tells a loop
# that wakes up by itself from a wait only notify() (or the thread's end) ends, with no kernel state at all (an
# imported dump). Read off CPython's threading.py per minor version: (no-timeout line, timeout line), with the two
# statements; the source itself decides when it is readable at the frame's path.
_TIMEOUT_LINES = {
    "wait": ({9: (312, 316), 10: (320, 324), 11: (327, 331), 12: (355, 359), 13: (359, 363)},
             "waiter.acquire()", "waiter.acquire(True, timeout)"),
    "join": ({9: (1060, 1064), 10: (1096, 1100), 11: (1119, 1123), 12: (1147, 1151)},
             "self._wait_for_tstate_lock()", "self._wait_for_tstate_lock(timeout=max(timeout, 0))"),
}
_TIMEOUT_FUNCTIONS = {"wait": "wait", "Condition.wait": "wait", "join": "join", "Thread.join": "join"}
_TSTATE_WAIT = ("_wait_for_tstate_lock", "Thread._wait_for_tstate_lock")  # join's helper: one acquire line
_MINOR = lazy.compile(r"python3\.(\d+)")
# futex(2) ops that sleep: FUTEX_WAIT and FUTEX_WAIT_BITSET (op & FUTEX_CMD_MASK, without the PRIVATE and
# CLOCK_REALTIME flags); their 4th argument points at the timeout, NULL when the wait has none.
_FUTEX_CMD_MASK, _FUTEX_SLEEPS = 0x7F, (0, 9)


@functools.lru_cache(maxsize=256)
def _source_line(file: str, line: int) -> str | None:
    try:
        with open(file, encoding="utf-8") as fh:
            for n, text in enumerate(fh, 1):
                if n == line:
                    return text.strip()
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return None


def line_timeout(frames: list) -> bool | None:
    """Whether the Python wait the thread is in (Condition.wait(), Thread.join()) was given a timeout, from the line
    of threading.py it blocks on; None when it is not known (another function, 3.13's join, a line of neither)."""
    py = [f for f in frames[:SCAN_LIMIT] if type(f) is dict and f.get("kind") != "native"][:2]
    if py and py[0].get("function") in _TSTATE_WAIT:
        py = py[1:]  # join -> _wait_for_tstate_lock: join's own line says which call it made
    f = py[0] if py else None
    which = _TIMEOUT_FUNCTIONS.get(f.get("function")) if f is not None else None
    if which is None:
        return None
    file, line = f.get("file"), f.get("line")
    if not isinstance(file, str) or not file.endswith("threading.py") or not isinstance(line, int):
        return None
    table, untimed, timed = _TIMEOUT_LINES[which]
    text = _source_line(file, line)
    if text is not None and timed in text:  # ``gotit = waiter.acquire(True, timeout)``
        return True
    if text == untimed:
        return False
    m = _MINOR.search(file)  # not on disk, or another release of it: CPython's own lines
    lines = table.get(int(m.group(1))) if m else None
    if lines is None or line not in lines:
        return None
    return line == lines[1]


def futex_timeout(args: list) -> bool | None:
    """Whether a futex syscall sleeps with a timeout (FUTEX_WAIT/FUTEX_WAIT_BITSET with a non-NULL 4th argument);
    None when it is no sleeping futex op. Under a Python wait primitive that is the Python call's timeout: CPython
    3.9-3.12 acquire a lock (Python/thread_pthread.h, PyThread_acquire_lock_timed) with sem_clockwait/sem_timedwait
    when given a timeout and sem_wait when not; 3.13 parks (Python/parking_lot.c, _PySemaphore_PlatformWait) with
    sem_clockwait when timeout >= 0 and sem_wait otherwise; glibc's sem_wait passes a NULL timeout, the timed forms
    (and pthread_cond_timedwait) a pointer, all as FUTEX_WAIT_BITSET. CPython's GIL wait is a timed condvar wait
    too: callers use this only for threads whose Python frames are in a wait primitive, never for GIL questions."""
    if len(args) <= 3:
        return None
    op = _int(args[1])
    if op is None or op & _FUTEX_CMD_MASK not in _FUTEX_SLEEPS:
        return None
    timeout = _int(args[3])
    return None if timeout is None else timeout != 0


def restarted_syscall(name: str | None, wchan: object) -> str | None:
    if name != "restart_syscall" or not isinstance(wchan, str):
        return name
    return next((sc for part, sc in _RESTARTED if part in wchan), name)


def _polls_with_timeout(name: str | None, args: list) -> bool | None:
    """Whether a polling syscall was given a finite timeout (it returns by itself: a loop); None: not known."""
    where = _POLL_TIMEOUT.get(name or "")
    if where is None or len(args) <= where[0]:
        return None
    value = _int(args[where[0]])
    if value is None:
        return None
    if where[1]:
        return value != 0
    return 0 <= value < 1 << 31  # an int in a 64-bit register: -1 arrives as 0xffffffff...


# Standard-library frames that call a thread's (or a pool work item's) target: the application frame just
# above one is the thread's entry, the job it was started to do (Thread.run is ``run`` before 3.11, ``Thread.run``
# after; both normalize to ``threading:run``; a Thread subclass overriding run() is called by _bootstrap_inner).
_THREAD_STARTERS = frozenset({
    "threading:run", "threading:_bootstrap_inner", "concurrent.futures.thread:run", "multiprocessing.pool:worker",
    "multiprocessing.process:run", "multiprocessing.process:_bootstrap",
})
# ... of which these start a thread of the program's own (a helper may be one); the others run a pool's work item
_OWN_THREAD = frozenset({"threading:run", "threading:_bootstrap_inner"})
# The event loop running a callback or a coroutine step (Handle._run): what the application does there
# blocks every other task of the loop.
_EVENT_LOOP = frozenset({"asyncio.events:_run", "asyncio.base_events:_run_once"})
_BOOTSTRAP = frozenset({
    "threading:run", "threading:_bootstrap_inner", "threading:_bootstrap", "runpy:_run_code",
    "runpy:_run_module_as_main", "runpy:run_module", "runpy:run_path", "runpy:_run_module_code",
})

# Idle-by-design stacks (benign): a library's pool or server thread waiting for work, the way it was written to.
# Each rule is a tuple of globs on ``module:function`` (dotted module: ``gunicorn.workers.sync:wait``) that must all
# appear among the frames between the wait and the first application frame, or anywhere in a thread that runs no
# application code at all (a framework's own loop). Every rule names the framework's frame that waits *for work*
# (not just its main loop), so that a worker stuck inside a job never matches. Read off the frameworks' sources.
DEFAULT_BENIGN: tuple[tuple[str, ...], ...] = (
    # the standard library's pools and servers
    ("concurrent.futures.thread:_worker",),
    ("concurrent.futures.process:_queue_management_worker",),
    ("concurrent.futures.process:run",),
    ("concurrent.futures.process:_process_worker",),
    ("multiprocessing.pool:worker",),
    ("multiprocessing.pool:_handle_workers",),
    ("multiprocessing.pool:_handle_tasks",),
    ("multiprocessing.pool:_handle_results",),
    ("multiprocessing.queues:_feed",),
    ("multiprocessing.resource_tracker:main",),
    ("multiprocessing.managers:serve_forever",),
    ("multiprocessing.managers:accepter",),
    ("socketserver:serve_forever",),
    # an asyncio loop selecting with nothing to run
    ("asyncio.base_events:run_forever", "selectors:select"),
    ("asyncio.base_events:run_forever", "selectors:_select"),
    # celery prefork: billiard's pool child waiting for a job on its pipe (Worker.workloop -> receive -> _recv);
    # the master's kombu hub polling its connections (Hub.create_loop -> poll); billiard's pool helper threads
    ("billiard.pool:workloop", "billiard.pool:receive"),
    ("kombu.asynchronous.hub:create_loop", "kombu.utils.eventio:poll"),
    ("billiard.pool:body", "billiard.pool:_poll_result"),
    ("billiard.pool:body", "billiard.pool:poll"),
    ("billiard.pool:body", "billiard.pool:get"),
    ("celery.utils.timer2:run", "threading:wait"),
    # gunicorn: the arbiter waiting for signals (sleep() up to 22, wait_for_signals() after), sync workers
    # select()ing on the listeners (SyncWorker.wait), gthread workers polling their selector
    ("gunicorn.arbiter:sleep",),
    ("gunicorn.arbiter:wait_for_signals",),
    ("gunicorn.workers.sync:wait",),
    ("gunicorn.workers.gthread:wait_for_and_dispatch_events",),
    ("gunicorn.workers.gthread:run", "selectors:select"),
    # RQ: a worker blocked in BLPOP for the next job (Worker.dequeue_job_and_maintain_ttl -> Queue.dequeue_any);
    # the worker supervising the work horse it forked for a job (monitor_work_horse -> wait_for_horse, woken by an
    # alarm every job_monitoring_interval to heartbeat and to kill a horse past its job_timeout): the job, and any
    # hang of it, is in the horse
    ("rq.worker*:dequeue_job_and_maintain_ttl",),
    ("rq.worker*:monitor_work_horse",),
    # redis-py's pub/sub listener thread (pubsub.run_in_thread(): PubSubWorkerThread.run -> get_message(timeout=)),
    # waiting for the next message; RQ's workers run one for their command channel
    ("redis.client:run", "redis.client:get_message"),
)

# A multiplexer wait (selectors' select(), select/poll/epoll, multiprocessing.connection.wait, which is selectors
# underneath) waits for readiness of a set of fds: an event loop's or a server's wait for work, never a condition.
# With kernel state the syscall's timeout argument decides (a timeout: a loop that wakes up; none: only an event
# ends it). Without it (an imported py-spy dump, a core) it is taken for what it nearly always is, an application's
# event loop waiting for work, the way asyncio's and gunicorn's loops are above: a one-fd select() with no timeout
# on a silent peer looks the same in such a dump, and only a live capture tells the two apart.
# a multiplexer wait with no kernel state to say what it watches is taken for an event loop (the verdicts may learn
# otherwise from the source: a select made once, for a reply)
TAKEN_FOR_EVENT_LOOP = "taken for an event loop"
_MULTIPLEXER_IDLE = f"{TAKEN_FOR_EVENT_LOOP} waiting for work: the capture has no kernel state to read its timeout from"
_MULTIPLEXER_UNSEEN = f"{TAKEN_FOR_EVENT_LOOP} or a server waiting for work: a core does not say which fds it watches"

# What native frames or the kernel say a thread waits in, coarsened to what stays the same for one bug across
# Python versions and capture depths (time.sleep is select() before 3.11; a spinning thread is sometimes caught
# waiting for the GIL). Two captures with one signature but different families are two different bugs.
FAMILY = {
    BUSY: "cpu", GIL_WAIT: "cpu", LOCK_WAIT: "lock", SOCKET_READ: "io", PIPE_READ: "io", CONNECT: "io",
    SOCKET_ACCEPT: "io", SLEEP: "timer", SELECT: "timer", SUBPROCESS_WAIT: "child", FLOCK: "flock",
    GIL_HOLDER_BLOCKED: "gil-held",
}


@record
class ThreadAnalysis:
    """One thread, explained. ``blocking_frame`` indexes the thread's frames (leaf first): the
    innermost application frame, where the application made the call that waits."""

    index: int
    tid: int | None
    name: str | None
    category: str
    detail: str
    blocking_frame: int | None
    benign: bool
    parked: bool
    owns_gil: bool
    signature: ThreadSignature
    syscall: str | None = None
    syscall_args: tuple[int, ...] = ()
    blocks_event_loop: bool = False  # a blocking call (or a loop) made from a coroutine or callback
    chain: tuple[str, ...] = ()  # the application frames from the wait outwards (signature.frames is its start)
    bounded: bool = True  # the chain reaches the thread's entry (signature.entry is its end)
    timed: bool = False  # parked on a wait with a timeout (kernel: futex or poll timeout): a loop
    forever: bool = False  # polls (select, poll, epoll) with no timeout: only an event ends the wait
    listens: bool = False  # its multiplexer watches a listening socket (KernelState.watches): a server
    # how the thread's application code was started: "thread" (threading's Thread.run), "pool" (a pool's work item),
    # "" (the main thread, a framework's loop, a chain too long to see the start); and its application depth
    launched: str = ""
    depth: int = 0
    serves: int | None = None  # a runner waiting for a job thread that is idle by design: that thread's index
    before: tuple[str, str] | None = None  # (category, detail) before culprit.supervise took its wait for a rest
    importing: bool = False  # runs an application module's top-level code under an import (holds its import lock)
    task: bool = False  # runs a worker framework's unit of work (a celery task, an RQ job, a gunicorn request)

    @property
    def family(self) -> str | None:
        """The evidence family of a thread stopped in a C call (no standard-library frame says what it waits for)."""
        if self.signature.mechanism != "":
            return None
        # a GIL owner running a regex is on a CPU like any spinning thread: one family whether native frames showed the
        # engine or not (a compiled pattern's method has no Python frame), so the capture option never splits it
        return FAMILY[BUSY] if self.detail.startswith(REGEX_HOLD) else FAMILY.get(self.category)


@record
class BenignRules:
    """Default library idle stacks plus user patterns (``module:function`` globs, matched anywhere in the stack)."""

    library: tuple[tuple[str, ...], ...] = DEFAULT_BENIGN
    user: tuple[str, ...] = ()

    def matches(self, leaf_keys: list[str], all_keys: list[str]) -> bool:
        leaf = set(leaf_keys)
        for plain, globs in _compiled(self.library):
            if plain <= leaf and all(fnmatch.filter(leaf_keys, g) for g in globs):
                return True
        if self.user:
            every = set(all_keys)
            for plain, globs in _compiled(tuple(tuple(p.split("+")) for p in self.user)):
                if plain <= every and all(fnmatch.filter(all_keys, g) for g in globs):
                    return True
        return False


@functools.lru_cache(maxsize=64)
def _compiled(rules: tuple[tuple[str, ...], ...]) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
    """Each rule as (its plain patterns, its globs): a set test first, fnmatch only for the globs."""
    out = []
    for rule in rules:
        globs = tuple(p for p in rule if any(ch in p for ch in "*?["))
        out.append((frozenset(p for p in rule if p not in globs), globs))
    return tuple(out)


NO_RULES = BenignRules()


def _python_wait(leaf_run: list[NFrame]) -> tuple[str, str] | None:
    """The outermost standard-library frame between the wait and the app that says what the app waits for."""
    for i in range(len(leaf_run) - 1, -1, -1):
        nf = leaf_run[i]
        hit = _PY_WAITS.get(nf.key)
        if hit is not None:
            if nf.key == "threading:wait":
                # Event.wait() calls Condition.wait(): two threading ``wait`` frames in a row (3.9 names both
                # ``wait``); a lone one is Condition.wait() called by the application
                inner = leaf_run[i - 1].key if i > 0 else None
                if inner == "threading:wait":
                    return CONDITION_WAIT, "Event.wait()"
                if inner is None:
                    return CONDITION_WAIT, "Condition.wait()"
            return hit
        hit = _PY_MODULE_WAITS.get(nf.module) or _LIBRARY_WAITS.get(f"{nf.module}:{nf.function}")
        if hit is not None:
            return hit
    return None


def _native_wait(lead_native: list[str]) -> tuple[str, str] | None:
    # Taking the GIL back, leafward of the call that released it (time_sleep -> PyEval_RestoreThread -> take_gil):
    # that call has returned, and the thread now waits for the GIL, whatever it waited in before.
    take = next((name for name in lead_native if name in _GIL_TAKE), None)
    if take is not None:
        outer = lead_native[lead_native.index(take) + 1:]
        after = next((n for n in reversed(outer) if n in _NATIVE_WAITS), None)
        return GIL_WAIT, take + (f", returning from {after}" if after else "")
    # CPython's own waits never use a condition variable (locks are semaphores, whose glibc futex helper
    # __futex_abstimed_wait_common condvars share: only pthread_cond_* itself counts); its GIL does. A condvar wait leafward
    # of one of them (time_sleep -> pthread_cond_timedwait, take_gil inlined away) is taking the GIL back after it.
    cv = next((k for k, name in enumerate(lead_native) if name in _CONDVAR and "pthread_cond" in name), None)
    if cv is not None:
        after = next((n for n in lead_native[cv + 1:] if n in _NATIVE_WAITS and n not in _LIBC_NAMES), None)
        if after is not None:
            return GIL_WAIT, f"{lead_native[cv]}, returning from {after}"
    condvar = None
    # CPython's own function (time_sleep, sock_recv, lock_PyThread_acquire_lock) says more than the libc
    # call under it (time.sleep is select() before 3.11): prefer the outermost known name.
    for name in reversed(lead_native):
        cat = _NATIVE_WAITS.get(name)
        if cat is not None and name not in _LIBC_NAMES:
            return cat, name
    for name in lead_native:
        cat = _NATIVE_WAITS.get(name)
        if cat is not None:
            return cat, name
        if condvar is None and name in _CONDVAR:
            condvar = name
    if condvar is not None:
        # CPython's GIL is a condition variable; Python-level locks use semaphores, not pthread_cond.
        return GIL_WAIT, condvar
    return None


def _listening(kernel: dict) -> str | None:
    """The listening sockets a blocked multiplexer watches (kernel ``watches``: ``listen tcp 0.0.0.0:8000``)."""
    watches = kernel.get("watches")
    if not isinstance(watches, list):
        return None
    listeners = [w.partition(" ")[2] for w in watches if isinstance(w, str) and w.startswith("listen ")]
    return ", ".join(listeners[:3]) + (", ..." if len(listeners) > 3 else "") if listeners else None


REGEX_HOLD = "holds the GIL running a regular expression in C"
_REGEX_CALLS = frozenset({"re:match", "re:search", "re:fullmatch", "re:sub", "re:subn", "re:findall", "re:finditer",
                          "re:split"})


def _in_regex(ff: FrameFacts) -> str | None:
    """The regex call a thread is running, from the re module's frame (re.match()) or the engine's native frames
    (_sre's pattern_match, sre_ucs1_search: a compiled pattern's method has no Python frame)."""
    if ff.mechanism in _REGEX_CALLS:
        return ff.mechanism.replace(":", ".") + "()"
    native = next((n for n in ff.lead_native if n.startswith(("sre_", "_sre_", "pattern_"))), None)
    return f"{native}()" if native else None


def _asks_sender(ff: FrameFacts, sc_name: str | None, args: list) -> bool:
    """The read is socket.recvfrom(): CPython's frame for it (native frames), or the syscall's sender buffer (recv()
    is recvfrom with a NULL one)."""
    return any(n.startswith("sock_recvfrom") for n in ff.lead_native) or (
        sc_name == "recvfrom" and len(args) > 4 and bool(_int(args[4])))


def _int(v: object) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        try:
            return int(v, 0)
        except ValueError:
            return None
    return None


@record
class FrameFacts:
    """What a thread's frames alone say (no kernel, no flags): computed once per distinct stack shape."""

    lead_native: tuple[str, ...]
    py: tuple[str, str] | None
    nat: tuple[str, str] | None
    mechanism: str
    chain: tuple[str, ...]  # application frames from the wait outwards, recursion removed, up to the thread's entry
    bounded: bool  # the chain reaches the entry (a thread starter, the entry script, the framework running it)
    first_user: int | None
    first_python: int | None
    target: str | None
    benign: bool
    entry: str | None = None  # the application function a thread or pool work item was started with
    own_thread: bool = False  # started by threading (not a pool's work item: that is a job, never a helper)
    depth: int = 0  # application frames from the wait to the entry (recursion counted once)
    in_event_loop: bool = False  # application code run by an asyncio event loop (a callback or a coroutine step)
    importing: bool = False  # runs an application module's top-level code under an import (holds its import lock)
    task: bool = False  # the application code runs as a worker framework's unit of work (see _TASK_FRAMEWORKS)


# Worker frameworks whose frames right outside the application's are running one unit of work it was handed (celery's
# tracer, RQ's perform_job, gunicorn's handle_request): the framework waits for it to return, and so does whoever
# sent it
_TASK_FRAMEWORKS = frozenset({"celery", "billiard", "rq", "gunicorn", "dramatiq", "huey", "uvicorn", "kombu"})


def _entry_script(py: list[tuple[int, NFrame]]) -> int:
    """Position in ``py`` of the program's entry script (its ``<module>`` at the root, under runpy at most), or -1.

    A console script or ``python -m`` runner is how the program was launched, never where it hangs, unless
    the script itself is stopped at top level (then it is the innermost Python frame)."""
    for k in range(len(py) - 1, 0, -1):
        nf = py[k][1]
        if nf.origin == "app" and nf.function == "<module>":
            return k
        if nf.key not in _BOOTSTRAP:
            return -1
    return -1


def scan_frames(frames: list, rules: BenignRules = NO_RULES) -> FrameFacts:
    lead_native: list[str] = []
    py: list[tuple[int, NFrame]] = []
    for i, f in enumerate(frames):
        if i >= SCAN_LIMIT:
            break
        if type(f) is not dict:
            continue
        nf = normalize_frame(f.get("kind"), f.get("function"), f.get("file"), f.get("module"))
        if nf.kind == "native":
            if not py:
                lead_native.append(nf.function)
            continue
        if not is_comprehension(nf):
            py.append((i, nf))
    importing = any(nf.function == "<module>" and nf.origin == "app" and outer.module.startswith("importlib")
                    for (_, nf), (_, outer) in itertools.pairwise(py))
    root = _entry_script(py)
    if root > 0:
        py = py[:root]
    # the application's own frames make the call site; libraries (requests, redis-py) are the mechanism, and a
    # thread running no application code at all (a framework's loop) is described by the library's frames
    mine = ("app",) if any(nf.origin == "app" for _, nf in py) else ("app", "thirdparty")
    first = next((k for k, (_, nf) in enumerate(py) if nf.origin in mine), None)
    leaf_run = [nf for _, nf in (py if first is None else py[:first])]
    chain: list[str] = []
    entry: str | None = None
    bounded = True
    depth = 0
    in_loop = False
    prev: str | None = None
    own = False
    task = False
    for _, nf in py[first:] if first is not None else ():
        if nf.origin in mine:
            if chain and nf.function == "<module>":
                break  # a script or module body started from elsewhere: where the program began, not why it hangs
            if prev != nf.key:
                depth += 1
            prev = nf.key
            if nf.key not in chain:
                if len(chain) >= CHAIN_LIMIT:
                    bounded = False
                    break
                chain.append(nf.key)
        elif nf.origin == "thirdparty":
            task = mine == ("app",) and nf.module.split(".", 1)[0] in _TASK_FRAMEWORKS
            break  # the framework that runs the application's code (celery's tracer, gunicorn's worker)
        else:
            if nf.key in _EVENT_LOOP:
                in_loop = True
            if nf.key in _THREAD_STARTERS:
                entry = prev  # the target the thread (or pool work item) was started with
                own = nf.key in _OWN_THREAD
                break
            if nf.origin == "stdlib":
                prev = None
    keys = [nf.key for _, nf in py]
    names = [f"{nf.module}:{nf.function}" for _, nf in py]
    leaf_names = [f"{nf.module}:{nf.function}" for nf in leaf_run]
    target = next((nf.key for _, nf in reversed(py) if nf.origin == "stdlib" and nf.key not in _BOOTSTRAP), None)
    # a framework's idle loop runs no application code: its rule may name any of its frames
    scope = leaf_names if mine == ("app",) else names
    benign = rules.matches(scope, keys + names) if (scope or rules.user) else False
    if not benign and not chain and target is not None and rules.matches([target], [target]):
        benign = True
    return FrameFacts(
        lead_native=tuple(lead_native),
        py=_python_wait(leaf_run) if leaf_run else None,
        nat=_native_wait(lead_native) if lead_native else None,
        mechanism=next((nf.key for nf in reversed(leaf_run) if nf.origin == "stdlib"), ""),
        chain=tuple(chain),
        bounded=bounded,
        first_user=py[first][0] if first is not None else None,
        first_python=py[0][0] if py else None,
        target=target,
        benign=benign,
        entry=entry,
        own_thread=own,
        depth=depth,
        in_event_loop=in_loop,
        importing=importing,
        task=task,
    )


_FACTS: dict[BenignRules, dict[tuple, FrameFacts]] = {}
_FACTS_LIMIT = 1 << 16


def facts_cache(rules: BenignRules) -> dict[tuple, FrameFacts]:
    cache = _FACTS.get(rules)
    if cache is None:
        if len(_FACTS) > 8:
            _FACTS.clear()
        cache = _FACTS[rules] = {}
    return cache


def frame_facts(frames: list, rules: BenignRules, cache: dict | None) -> FrameFacts:
    """``scan_frames``, memoized on the stack's (function, file) shape: line numbers and ids do not matter."""
    if cache is None:
        return scan_frames(frames, rules)
    try:
        shape = tuple([(f.get("function"), f.get("file")) for f in frames[:SCAN_LIMIT]])
        hit = cache.get(shape)
    except (AttributeError, TypeError):  # a frame that is not an object, an unhashable field: no memo
        return scan_frames(frames, rules)
    if hit is None:
        hit = scan_frames(frames, rules)
        if len(cache) >= _FACTS_LIMIT:
            cache.clear()
        cache[shape] = hit
    return hit


def analyze_thread(index: int, t: dict, rules: BenignRules = NO_RULES, cache: dict | None = None) -> ThreadAnalysis:
    """Classify one raw thread dict (capture JSON form). Never raises on odd input: odd means ``unknown``."""
    frames = t.get("frames")
    if not isinstance(frames, list):
        frames = []
    ff = frame_facts(frames, rules, cache)
    py, nat, target = ff.py, ff.nat, ff.target
    first_user, first_python = ff.first_user, ff.first_python

    owns_gil = t.get("owns_gil") is True
    active = t.get("active")
    kernel = t.get("kernel") if isinstance(t.get("kernel"), dict) else {}
    state = kernel.get("state")
    sc = kernel.get("syscall") if isinstance(kernel.get("syscall"), dict) else None
    sc_name = restarted_syscall(sc.get("name") if sc and isinstance(sc.get("name"), str) else None,
                                kernel.get("wchan"))
    raw_args = sc.get("args") if sc and isinstance(sc.get("args"), list) else []
    sc_args: tuple[int, ...] = ()
    timed = False  # a futex wait with a timeout (Event.wait(5), lock.acquire(timeout=)): it returns by itself
    if sc_name == "futex" and raw_args:
        first = _int(raw_args[0])  # the futex word: threads sharing it wait for the same lock
        sc_args = (first,) if first is not None else ()
        timed = futex_timeout(raw_args) is True
    if ff.py is not None and ff.py[0] in (CONDITION_WAIT, QUEUE_GET, QUEUE_PUT, JOIN):
        # Queue.get(timeout=) waits in Condition.wait(remaining). The line says which call the Python code made; a
        # timed futex under the line of a wait with no timeout is CPython's GIL wait after it (the line decides)
        by_line = line_timeout(frames)
        timed = by_line if by_line is not None else timed
    running = kernel.get("running") is True or state == "R"

    ker = _SYSCALL_WAITS.get(sc_name) if sc_name else None
    if sc_name in ("select", "pselect6") and raw_args and _int(raw_args[0]) == 0:
        ker = SLEEP  # select() on no file descriptors: time.sleep() before 3.11
    polls = _polls_with_timeout(sc_name, raw_args) if ker == SELECT else None
    if py is not None and py[1] in _POLLED_RESULT_WAITS:
        polls, timed = None, False  # the library's poll, not the application's wait (above)
    # restart_syscall whose wchan does not say what it restarted (a core's registers have no wchan) is still a thread
    # in a blocking syscall: only blocking waits (sleeps, timed futex and poll waits) restart that way
    blocked_evidence = ((nat is not None and nat[0] != GIL_WAIT) or ker is not None
                        or sc_name in ("futex", "restart_syscall"))

    # py-spy saw it running Python code (active) while the kernel, read a moment apart, saw a syscall: it was
    # between two calls, not blocked holding the GIL (native frames, read with the Python ones, would say so)
    raced = active is True and nat is None
    if owns_gil and not running and not raced and (blocked_evidence or active is False or state in ("S", "D")):
        category = GIL_HOLDER_BLOCKED
        how = (nat[1] if nat else None) or sc_name or (py[1] if py else None) or "a C call"
        detail = f"holds the GIL while blocked in {how}"
    elif owns_gil and (running or active is True) and _in_regex(ff):
        # CPython's regex engine (Modules/_sre) never releases the GIL: a backtracking match stops every other thread
        category = GIL_HOLDER_BLOCKED
        detail = f"{REGEX_HOLD} ({_in_regex(ff)}): the regex engine never releases it"
    elif nat is not None and nat[0] == GIL_WAIT and (not py or nat[1] not in _CONDVAR):
        category, detail = GIL_WAIT, f"waits for the GIL ({nat[1]})"
    elif py is not None:
        category, detail = py
    elif nat is not None:
        category, detail = nat[0], f"{nat[1]}()"
    elif ker == SELECT and polls and sc_name in ("poll", "ppoll") and _int(raw_args[1]) == 1:
        # one fd, a timeout, no multiplexer frame: a socket call with a timeout, which CPython makes by waiting for its
        # one fd in poll() (socketmodule.c's sock_call_ex; ssl alike) before the recv, send or connect
        category, detail = SOCKET_READ, f"a socket call with a timeout ({sc_name}() on its one fd)"
    elif ker is not None:
        category, detail = ker, f"the {sc_name} syscall"
    elif running or active is True:
        category, detail = BUSY, "running on a CPU" if running else "active (py-spy)"
    elif sc_name == "futex":
        category, detail = UNKNOWN, "in a futex wait (a lock, a condition or the GIL)"
    elif not frames:
        category, detail = UNKNOWN, "no frames"
    elif not kernel and not ff.lead_native:
        # py-spy's `active: false` says the thread was not running Python code: a fact, not what it waits for
        idle = "; not running (py-spy: idle)" if active is False else ""
        category, detail = UNKNOWN, ("state unknown: the capture has no kernel state or native frames (an imported "
                                     f"dump){idle}")
    else:
        category, detail = UNKNOWN, "no evidence of what it waits for"

    mech = ff.mechanism
    chain = ff.chain
    frames_key = chain[:TOP_FRAMES] if chain else ((target,) if target is not None else ())
    benign = ff.benign
    if benign:
        category = IDLE
        detail = "idle by design (" + (target or "library pool") + ")"
    elif category in (SOCKET_ACCEPT, IDLE):
        # a server waiting for a client, a daemon waiting for a signal: idle, the way it was written to be
        benign = True
        what = "waits for a connection in accept()" if category == SOCKET_ACCEPT else f"waits for a signal ({sc_name})"
        category, detail = IDLE, f"idle by design ({what})"
    elif category == SOCKET_READ and isinstance(kernel.get("local"), str) and kernel["local"].startswith("udp ") \
            and not kernel.get("peer"):
        # a read on an unconnected datagram socket takes packets from anyone: a datagram server waiting for them,
        # like accept(); a client's connected socket has its peer
        benign = True
        category, detail, mech = IDLE, f"idle by design (waits for datagrams on {kernel['local']})", DATAGRAM_WAIT
    elif category == SOCKET_READ and not kernel.get("local") and _asks_sender(ff, sc_name, raw_args):
        # no socket tables (an imported dump, a core), but the call says it is recvfrom(), which returns each packet's
        # sender: the way a socket connected to no one peer is read -- a datagram server's (above)
        benign = True
        category, detail, mech = IDLE, "idle by design (waits in recvfrom() for datagrams from anyone)", DATAGRAM_WAIT
    elif category == SELECT and _listening(kernel):
        # a multiplexer one of whose fds is a listening socket: a server waiting for clients (and for the ones it has
        # to send more), like accept(); a client waiting on its peers watches no listener
        benign = True
        category, detail = IDLE, f"idle by design ({detail}: a server waiting for clients on {_listening(kernel)})"
    elif category == SELECT and sc is None:
        # a multiplexer wait whose timeout the capture cannot read (no kernel state: an imported dump)
        benign = True
        category, detail = IDLE, f"idle by design ({detail}: {_MULTIPLEXER_IDLE})"
    elif category == SELECT and polls is False and kernel.get("state") is None and kernel.get("watches") is None:
        # a core: its registers give the timeout, but not what the fds are (no fd table in a core), so a server
        # waiting for clients looks like a client waiting on a silent peer: taken for what it nearly always is
        benign = True
        category, detail = IDLE, f"idle by design ({detail}: {_MULTIPLEXER_UNSEEN})"
    elif (category == SELECT and polls) or (category in (CONDITION_WAIT, QUEUE_GET, QUEUE_PUT) and timed):
        # Event.wait(5) or Queue.get(timeout=1) in a loop, select() with a timeout: it wakes up by itself, the way
        # it was written to
        benign = True
        category, detail = IDLE, f"idle by design ({detail} with a timeout: a loop that wakes up periodically)"
    # A helper thread: started by threading with a target of at most two functions of its own (a loop and the
    # call that waits), waiting on a timer, an event, a queue or a selector: heartbeats, flushers, pollers.
    # A wait with a timeout returns by itself (a loop around it): the same. With no kernel state at all (an imported
    # dump), a helper's short target stopped in a C call is most likely its timer, so it is taken for one.
    parked = not benign and (bool(polls) or timed or (
        ff.entry is not None
        and ff.own_thread
        and ff.depth <= 2
        and (category in (CONDITION_WAIT, QUEUE_GET, SLEEP, SELECT) or (category == UNKNOWN and not kernel))
    ))
    blocking = first_user if first_user is not None else first_python
    name = t.get("name")
    tid = t.get("tid")
    return ThreadAnalysis(
        index=index,
        tid=tid if isinstance(tid, int) and not isinstance(tid, bool) else None,
        name=name if isinstance(name, str) else None,
        category=category,
        detail=detail,
        blocking_frame=blocking,
        benign=benign,
        parked=parked,
        owns_gil=owns_gil,
        signature=ThreadSignature(mech, frames_key, chain[-1] if chain and ff.bounded else ""),
        syscall=sc_name,
        syscall_args=sc_args,
        blocks_event_loop=ff.in_event_loop and not benign and category not in (SELECT, IDLE),
        chain=chain,
        bounded=ff.bounded,
        timed=not benign and (timed or bool(polls)),
        forever=polls is False and not benign,
        listens=bool(_listening(kernel)),
        launched=("thread" if ff.own_thread else "pool") if ff.entry is not None else "",
        importing=ff.importing,
        depth=ff.depth,
        task=ff.task,
    )


def infer_gil_waits(threads: list[ThreadAnalysis]) -> list[ThreadAnalysis]:
    """When one thread holds the GIL while blocked, threads stopped in plain Python code wait for the GIL; when it
    holds it running (a loop, a regex), threads stopped in a futex right in application code do, unless the
    source says that line takes a lock (verdict.py)."""
    blocked = any(t.category == GIL_HOLDER_BLOCKED for t in threads)
    running = any(t.owns_gil and t.category == BUSY for t in threads)
    if not blocked and not running:
        return threads
    out = []
    for t in threads:
        if (
            t.category in ((UNKNOWN, BUSY) if blocked else (UNKNOWN,))
            and not t.owns_gil
            and t.signature.mechanism == ""
            and t.signature.frames
            and (t.syscall is None or (t.syscall == "futex" and t.timed))
        ):
            # CPython's take_gil waits with a timeout (the switch interval, to ask for a drop): a futex wait with
            # none is a lock's (sem_wait), whoever holds the GIL
            from forensics.records import replace

            t = replace(t, category=GIL_WAIT, detail="waits for the GIL (another thread holds it while blocked)")
        out.append(t)
    return out
