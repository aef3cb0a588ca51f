"""The py-spy backend: ``py-spy dump --json``, with ``--nonblocking`` as a fallback when a blocking dump fails."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

from forensics.capture.guard import ToolResult, ToolRun
from forensics.errors import (
    CaptureFailed,
    CaptureTimeout,
    NotPython,
    PermissionDenied,
    TargetGone,
    TargetNotFound,
    ToolMissing,
)
from forensics.identity import ProcessIdentity, same_process
from forensics.records import tuple_type


class PyspyDump(tuple_type("PyspyDump", "threads nonblocking notes")):
    """threads: tuple[ThreadStack, ...], nonblocking: bool, notes: tuple[str, ...]."""

    __slots__ = ()


def find_pyspy(explicit: str | None = None) -> str:
    """py-spy from --py-spy / $HANGDUMP_PYSPY (which must then work), else beside this interpreter, else PATH."""
    chosen = explicit or os.environ.get("HANGDUMP_PYSPY")
    if chosen:
        if os.path.isfile(chosen) and os.access(chosen, os.X_OK):
            return chosen
        raise ToolMissing(f"py-spy not found at {chosen}", help="give the path of an executable py-spy")
    beside = os.path.join(os.path.dirname(sys.executable), "py-spy")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    import shutil  # only when not installed with us: find_pyspy runs before the CLI's imports

    found = shutil.which("py-spy")
    if found:
        return found
    raise ToolMissing("py-spy not found", help="pip install py-spy, or pass --py-spy PATH")


def pyspy_version(binary: str) -> str | None:
    from forensics.toolversion import cached

    return cached(binary, _ask_version)


def _ask_version(binary: str) -> str | None:
    import subprocess

    try:
        out = subprocess.run([binary, "--version"], check=False, capture_output=True, timeout=5, text=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().removeprefix("py-spy ").strip() or None


def _error_line(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip()
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[0] if lines else "no error output"


def classify_failure(pid: int, result: ToolResult) -> Exception:
    """Map py-spy's stderr to an error that tells the user what to do."""
    text = result.stderr
    low = text.lower()
    if "failed to find python version" in low or "failed to find a python interpreter" in low:
        return NotPython(f"pid {pid} does not look like a CPython process (py-spy found no interpreter)")
    if "permission denied" in low or "operation not permitted" in low or "eperm" in low:
        from forensics.capture.stoppable import denial

        why = denial(pid)
        if why is not None:
            return PermissionDenied(f"not allowed to read the memory of pid {pid}: {why}",
                                    help="compare CapPrm in /proc/PID/status with /proc/self/status; check "
                                         "Yama, SELinux or AppArmor, and the container's SYS_PTRACE capability")
        return PermissionDenied(f"not allowed to read the memory of pid {pid}")
    if "no such file or directory" in low and "executable" in low or "no such process" in low:
        return TargetNotFound(f"pid {pid} exited before py-spy could read it")
    return CaptureFailed(f"py-spy failed on pid {pid}: {_error_line(text)}")


NONBLOCKING_NOTE = "read without stopping it (py-spy --nonblocking: no native frames)"


class PyspyRun:
    """A ``py-spy dump --json`` in flight; ``finish`` parses it, falling back to ``--nonblocking`` when the
    target cannot be stopped (see capture/stoppable.py) or a blocking dump fails."""

    def __init__(self, binary: str, ident: ProcessIdentity, native: bool = False, with_locals: bool = False,
                 adopt: Callable[[list[str], ProcessIdentity], ToolRun | None] | None = None) -> None:
        """``adopt``: gives the run already started with this argv against ident, if any (capture/prestart.py)."""
        from forensics.capture import stoppable

        self.ident = ident
        self.native, self.with_locals = native, with_locals
        self.argv, refusal = self.plan(binary, ident.pid, native, with_locals)
        self.binary = binary
        self.env = self.tool_env()
        self.reasons: list[str] = [refusal] if refusal else []
        early = adopt(self.argv, ident) if adopt is not None else None
        self.tool = early or ToolRun(self.argv, ident, self.env, snapshot=True)
        try:
            stoppable.check_not_zombie(ident, self.tool.before)
        except TargetGone:
            self.tool.abort()
            raise
        if not refusal:
            found = stoppable.obstacles(ident.pid, self.tool.tasks, self.tool.pid)
            if found:  # seen in the snapshot taken before py-spy started: stop it before it waits on them
                self.tool.abort()
                self._go_nonblocking(found)

    @classmethod
    def plan(cls, binary: str, pid: int, native: bool, with_locals: bool) -> tuple[list[str], str | None]:
        """The argv to start with, and why the target must not be stopped (then the argv is non-blocking)."""
        from forensics.capture import stoppable

        refusal = stoppable.never_stop(pid)
        return cls.build_argv(binary, pid, native, with_locals, nonblocking=refusal is not None), refusal

    @staticmethod
    def build_argv(binary: str, pid: int, native: bool, with_locals: bool, nonblocking: bool = False) -> list[str]:
        argv = [binary, "dump", "--json", "--pid", str(pid)]
        if native and not nonblocking:  # native frames need the target stopped
            argv.append("--native")
        if with_locals:
            argv.append("--locals")
        if nonblocking:
            argv.append("--nonblocking")
        return argv

    @staticmethod
    def tool_env() -> dict[str, str]:
        return dict(os.environ, RUST_BACKTRACE="0")

    @property
    def nonblocking(self) -> bool:
        return "--nonblocking" in self.argv

    def _go_nonblocking(self, reasons: list[str]) -> None:
        self.reasons += reasons
        self.argv = self.build_argv(self.binary, self.ident.pid, self.native, self.with_locals, nonblocking=True)
        self.tool = ToolRun(self.argv, self.ident, self.env, snapshot=True)

    def _notes(self) -> list[str]:
        return [f"{r}; {NONBLOCKING_NOTE}" for r in self.reasons]

    def _wait(self, timeout_s: float | Callable[[float], float]) -> tuple[ToolResult, list[str]]:
        return self.tool.finish(timeout_s(self.tool.started) if callable(timeout_s) else timeout_s)

    def finish(self, timeout_s: float | Callable[[float], float] = 10.0, redact: bool = True) -> PyspyDump:
        """Wait for the dump and parse it. ``timeout_s``: seconds per tool run, or a function of the run's
        start (time.monotonic()) giving them (a retry with --nonblocking is a second run)."""
        from forensics.capture import stoppable

        try:
            result, notes = self._wait(timeout_s)
        except CaptureTimeout:
            # A thread that went into D (or a tracer that came) after the snapshot: say so, read without a stop.
            found = [] if self.nonblocking else stoppable.current_obstacles(self.ident.pid)
            if not found:
                raise
            self._go_nonblocking(found)
            result, notes = self._wait(timeout_s)
        if result.returncode != 0 and not same_process(self.ident):
            raise TargetGone(f"pid {self.ident.pid} exited during the capture; nothing was stored for it")
        if result.returncode != 0 and not self.nonblocking:
            first = classify_failure(self.ident.pid, result)
            found = stoppable.current_obstacles(self.ident.pid, self.tool.pid)
            if not found and not isinstance(first, CaptureFailed):
                raise first
            # A blocking dump suspends the target with ptrace; that fails on a stopped or already
            # traced target. A non-blocking read may still work (native frames need the stop).
            if not found:
                notes.append(f"blocking py-spy dump failed ({_error_line(result.stderr)}); "
                             "retried with --nonblocking")
            self._go_nonblocking(found)
            result, more = self._wait(timeout_s)
            notes += more
        if result.returncode != 0:
            raise classify_failure(self.ident.pid, result)
        return PyspyDump(_threads(result.stdout, redact, f"pid {self.ident.pid}"), self.nonblocking,
                         tuple(self._notes() + notes))


def _threads(stdout: bytes, redact: bool, what: str) -> tuple:
    """py-spy's JSON output as capture threads (the model is imported here, after py-spy has run)."""
    import json

    from forensics.importers.pyspy import threads_from_pyspy

    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise CaptureFailed(f"py-spy printed something that is not JSON for {what}: {exc}") from None
    return threads_from_pyspy(data, redact=redact)


def core_argv(binary: str, core: str, with_locals: bool = False) -> list[str]:
    """``py-spy dump --core``: Python frames, thread names and GIL flags from a core file (no native frames)."""
    argv = [binary, "dump", "--json", "--core", core]
    if with_locals:
        argv.append("--locals")
    return argv


def dump_core(binary: str, core: str, timeout_s: float = 10.0, with_locals: bool = False,
              redact: bool = True) -> PyspyDump:
    """Run py-spy on a core file, bounded by timeout_s (no target to leave running, so no guard)."""
    import subprocess

    from forensics.errors import CaptureTimeout

    argv = core_argv(binary, core, with_locals)
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s,
                              env=PyspyRun.tool_env(), check=False)
    except subprocess.TimeoutExpired:
        raise CaptureTimeout(f"py-spy did not read the core {core} within {timeout_s:g}s",
                             help="retry with a larger --timeout") from None
    except OSError as exc:
        raise ToolMissing(f"cannot run {binary} ({exc.strerror or exc})", help="pip install py-spy") from None
    if proc.returncode != 0:
        raise CaptureFailed(f"py-spy could not read the core: {_error_line(proc.stderr.decode('utf-8', 'replace'))}")
    return PyspyDump(_threads(proc.stdout, redact, f"the core {core}"), False, ())
