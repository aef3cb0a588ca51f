"""A gdb process spoken to in GDB/MI, and how gdb is started: which gdb, its settings and caches.

Light on imports (no model, no core file code): capture/gdb_prestart.py starts gdb with it before the CLI
has imported anything.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time

from forensics.capture import keeper
from forensics.errors import CaptureFailed, CaptureTimeout, GdbError, ToolMissing

# before anything is loaded: nothing fetched over the network, nothing of the target's own run, no pager; and
# no arguments in the frame gdb prints when it stops (attach, core): evaluating them read the innermost frames'
# debug info for nothing (~25 ms of a core's 20-thread analysis; the walk reads what it needs itself)
BASE_SETTINGS = ("set debuginfod enabled off", "set auto-load python-scripts off", "set auto-load gdb-scripts off",
                 "set pagination off", "set confirm off", "set width 0", "set print frame-arguments none")
CACHE_OFF = ("0", "off", "no", "false")
WALK_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gdb_walk.py")
NATIVE_WALK = "-hangdump-stacks --native-only"
# a result record whose only field is one C string: TOKEN^done,json="..." (the walker's), TOKEN^error,msg="..."
_ONE_STRING = re.compile(rb'(\d+)\^(done|error),([\w-]+)="(.*)"\Z', re.DOTALL)
_STREAM = re.compile(rb'([~&@])"(.*)"\Z', re.DOTALL)  # console, log and target output: one C string
_ASYNC = re.compile(rb'(\d*)([=*+])([\w-]+)')  # =thread-created,..., *stopped,..., +download,...
_STREAM_TYPES = {b"~": "console", b"&": "log", b"@": "target"}


def find_gdb(explicit: str | None = None) -> str:
    for c in (explicit, os.environ.get("HANGDUMP_GDB"), shutil.which("gdb")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise ToolMissing("gdb not found", help="install gdb (apt-get install gdb), or set HANGDUMP_GDB=/path/to/gdb")


def opening(exe: str | None, target_cmd: str, prefetch_native: bool = False) -> list[tuple[str, str]]:
    """The commands that open a session, (what, command) in the order they are sent at once: gdb's version,
    the executable and its symbols, the walker, the target (attach or core) and, with prefetch_native, the
    native-only walk of every thread (see gdb._Session). Not the interpreter's extension: only a full walk
    needs it."""
    cmds = [("version", "-gdb-version")]
    if exe:
        cmds.append(("exec", f"-file-exec-and-symbols {json.dumps(exe)}"))
    cmds.append(("walker", "-interpreter-exec console " + json.dumps(f"source {WALK_SCRIPT}")))
    cmds.append(("target", target_cmd))
    if prefetch_native:
        cmds.append(("walk", NATIVE_WALK))
    return cmds


def parse_record(line: bytes) -> dict:
    """One line of MI output as pygdbmi's parser gives it, read here at C speed where that is easy: pygdbmi's
    parser walks a string a character at a time (90 ms for the JSON of a 200-thread walk, 1.1 MB), and gdb
    writes thousands of records while it loads a core. Results of one C string (the walker's JSON, an error)
    and stream records are read here; async records (library loaded, thread created, stopped) are only
    named: nothing here reads their fields (payload None). Other results go to pygdbmi."""
    m = _ONE_STRING.match(line)
    if m is not None and _one_string(m.group(4)):
        return {"type": "result", "message": m.group(2).decode(), "payload": {m.group(3).decode(): _c_string(m.group(4))},
                "token": int(m.group(1))}
    m = _STREAM.match(line)
    if m is not None and _one_string(m.group(2)):
        return {"type": _STREAM_TYPES[m.group(1)], "message": None, "payload": _c_string(m.group(2))}
    m = _ASYNC.match(line)
    if m is not None:
        return {"type": "notify", "message": m.group(3).decode(), "payload": None,
                "token": int(m.group(1)) if m.group(1) else None}
    from pygdbmi.gdbmiparser import parse_response

    return parse_response(line.decode(errors="replace"))


def _one_string(body: bytes) -> bool:
    """Whether the body of a quoted C string is one string: every quote in it escaped (none is left once the
    escaped backslashes, then the escaped quotes, are taken out)."""
    return b'"' not in body.replace(b"\\\\", b"").replace(b'\\"', b"")


def _c_string(body: bytes) -> str:
    return codecs.escape_decode(body)[0].decode(errors="replace")


def index_cache() -> str | None:
    """The directory of gdb's DWARF index cache in hangdump's (None: none); HANGDUMP_GDB_INDEX_CACHE=off: none.

    gdb indexes libpython's debug info on every run (about 0.1-0.2 s, most of a core's analysis at 20
    threads); the cache, a few MB keyed by build id, lets later runs on the same builds skip it.
    """
    if os.environ.get("HANGDUMP_GDB_INDEX_CACHE", "").lower() in CACHE_OFF:
        return None
    home = os.environ.get("HANGDUMP_HOME")
    if home:
        path = os.path.join(home, "cache", "gdb-index")
    else:
        path = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hangdump", "gdb-index")
    if re.search(r"[\s\"'\\]", path):
        return None  # gdb's set commands would need quoting
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return None
    return path


def cached_settings() -> tuple[list[str], dict[str, str] | None]:
    """(gdb settings, gdb's environment or None for ours) that put gdb's caches in hangdump's cache directory:
    the index cache, and beside it (gdb-pycache) the bytecode of gdb's own Python modules, which gdb compiles
    at every start-up (~15 ms) when it may not write it beside their sources (/usr/share/gdb is not ours, and
    a PYTHONDONTWRITEBYTECODE the user set is for the user's directories)."""
    cache = index_cache()
    if cache is None:
        return [], None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(os.path.dirname(cache), "gdb-pycache")
    return [f"set index-cache directory {cache}", "set index-cache enabled on"], env


class MISession:
    """One gdb process spoken to in GDB/MI. Every command has a deadline; on expiry or death gdb is killed.

    Commands may be sent ahead (``send``) and their results collected later (``wait``): gdb runs them back to
    back instead of idling while this process, busy with py-spy's half of a capture, gets round to the next
    one. gdb answers in order, so the stream records before a result belong to that command. Lines are parsed
    here with pygdbmi's parser (its IoManager pretty-prints every record for a debug log nobody reads)."""

    def __init__(self, gdb_path: str, deadline: float, init_commands: list[str] | tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.deadline = deadline
        argv = [gdb_path, "--nx", "--quiet", "--interpreter=mi3", *(a for c in (*BASE_SETTINGS, *init_commands)
                                                                    for a in ("-iex", c))]
        try:
            # Own session: a Ctrl-C at the terminal must not interrupt gdb mid-attach; we clean up instead.
            self.proc = subprocess.Popen(keeper.dying_with_us(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0, start_new_session=True, env=env)
        except OSError as exc:
            raise ToolMissing(f"cannot run gdb ({exc.strerror or exc})", help="install gdb (apt-get install gdb)") from None
        # gdb's death, seen without reaping it and without waiting for EOF on its output: a child gdb forked
        # (the stopped probe of linux_check_ptrace_features, when gdb is killed mid-attach) can hold that open.
        try:
            self.pidfd: int | None = os.pidfd_open(self.proc.pid)
        except OSError:
            self.pidfd = None
        self.streams = {self.proc.stdout.fileno(): "stdout", self.proc.stderr.fileno(): "stderr"}
        self.partial = {fd: b"" for fd in self.streams}
        self.token = 100
        self.sent: dict[int, str] = {}  # token -> command, of those sent and not answered yet
        self.answered: dict[int, tuple[dict, list[dict]]] = {}
        self.records: list[dict] = []  # stream records since the last result: the next result's
        self.killed = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, cmd: str) -> int:
        """Send one MI command without waiting; its token, for ``wait``."""
        self.token += 1
        try:
            self.proc.stdin.write(f"{self.token}{cmd}\n".encode())
        except (BrokenPipeError, OSError):
            raise self._died(cmd) from None
        self.sent[self.token] = cmd
        return self.token

    def wait(self, token: int, timeout_s: float | None = None) -> tuple[dict, list[dict]]:
        """The result record of the command sent as ``token`` and the stream records gdb wrote while running it."""
        cmd = self.sent.get(token, "?")
        end = self.deadline if timeout_s is None else min(self.deadline, time.monotonic() + timeout_s)
        while token not in self.answered:
            left = end - time.monotonic()
            if left <= 0:
                self.kill()
                raise CaptureTimeout(f"gdb did not answer {cmd.split()[0]} in time")
            fds = list(self.streams)
            # without a pidfd, wake up now and then to look whether gdb is still there
            ready, _, _ = select.select(fds + [self.pidfd] if self.pidfd is not None else fds, [], [],
                                        left if self.pidfd is not None else min(left, 0.1))
            got = self._read([fd for fd in ready if fd in self.streams])
            if not got and self._exited():
                raise self._died(cmd)
        self.sent.pop(token, None)
        return self.answered.pop(token)

    def command(self, cmd: str, timeout_s: float | None = None) -> tuple[dict, list[dict]]:
        """Send one MI command; return its result record and the stream records seen meanwhile."""
        return self.wait(self.send(cmd), timeout_s)

    def _read(self, fds: list[int]) -> bool:
        """Read what gdb has written on fds and file its records; whether anything came."""
        from pygdbmi.gdbmiparser import response_is_finished

        got = False
        for fd in fds:
            data = os.read(fd, 1 << 20)
            if not data:  # EOF: gdb is gone or going; _exited() tells
                del self.streams[fd]
                continue
            got = True
            *lines, self.partial[fd] = (self.partial[fd] + data).split(b"\n")
            for raw in lines:
                raw = raw.rstrip(b"\r")
                if not raw or response_is_finished(raw.decode(errors="replace")):
                    continue
                r = parse_record(raw)
                r["stream"] = self.streams[fd]
                if r.get("type") == "result" and r.get("token") in self.sent:
                    self.answered[r["token"]] = (r, self.records)
                    self.records = []
                else:
                    self.records.append(r)
        return got

    def console(self, text: str, timeout_s: float | None = None) -> tuple[dict, list[dict]]:
        return self.command("-interpreter-exec console " + json.dumps(text), timeout_s)

    def _exited(self, timeout_s: float = 0.0) -> bool:
        """Whether gdb has exited (waiting up to timeout_s), leaving it unreaped: its pid, the id of its process
        group, stays reserved until kill() has signalled that group."""
        if self.pidfd is not None:
            return bool(select.select([self.pidfd], [], [], timeout_s)[0])
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def _died(self, cmd: str) -> CaptureFailed:
        try:
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
        if info is not None and info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
            how = f"was killed by signal {info.si_status}"
        else:
            how = f"exited ({info.si_status if info is not None else '?'})"
        return CaptureFailed(f"gdb {how} during {cmd.split()[0]}", help="the target was checked and left running; retry")

    def kill(self, reap: bool = True) -> None:
        """Kill gdb and whatever it left in its process group (its own session), then reap it. Signalled once
        only, never after it is reaped: its pid may name another process group by then. reap=False: its exit
        (some milliseconds of unmapping a large gdb) is reaped in a daemon thread, not waited for."""
        if self.killed:
            return
        self.killed = True
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if reap:
            self.proc.wait()
        else:
            import threading

            threading.Thread(target=self.proc.wait, daemon=True).start()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


def mi_path(path: str) -> str:
    """A path for MI commands that take it bare (-target-select core): no quoting, so no blanks or quotes."""
    if re.search(r"[\s\"'\\]", path):
        raise GdbError(f"cannot hand the path {path!r} to gdb", help="move or link the file to a path without blanks")
    return path
