"""Errors that carry their own help text and exit code, so the CLI prints one useful line, never a traceback."""
from __future__ import annotations


class HangdumpError(Exception):
    """Base of every error a user can cause or fix. ``help`` says what to do about it."""

    exit_code = 1
    help = ""

    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(message)
        if help is not None:
            self.help = help

    def one_line(self) -> str:
        text = str(self)
        return f"{text} ({self.help})" if self.help else text


class CaptureFormatError(HangdumpError):
    """A capture or import file that is not what it claims to be."""

    exit_code = 3
    help = "the file is not a hangdump capture nor py-spy JSON output"


class TargetNotFound(HangdumpError):
    exit_code = 4
    help = "check the pid with `ps -p PID`; the process may have exited"


class TargetGone(HangdumpError):
    """The target exited (or its pid was reused) while we looked at it."""

    exit_code = 4
    help = "the process exited during the capture; nothing was stored for it"


class NotPython(HangdumpError):
    exit_code = 5
    help = "hangdump captures CPython processes; pick the python worker pid (see `ps -ef --forest`)"


class PermissionDenied(HangdumpError):
    exit_code = 6
    help = (
        "run as root or as the target's user; check /proc/sys/kernel/yama/ptrace_scope (0 or 1) "
        "and, in a container, the SYS_PTRACE capability"
    )


class ToolMissing(HangdumpError):
    exit_code = 7


class CaptureTimeout(HangdumpError):
    exit_code = 8
    help = "the capture tool did not answer in time; the target was checked and left running; retry with a larger --timeout"


class CaptureFailed(HangdumpError):
    exit_code = 9


class Unstoppable(CaptureFailed):
    """The target must not or cannot be stopped (pid 1, traced, a thread in D): only a non-blocking read works."""

    help = "hangdump reads such a target with py-spy --nonblocking (no native frames); install py-spy"


class StoreError(HangdumpError):
    exit_code = 10


class UsageError(HangdumpError):
    exit_code = 2


class GdbError(CaptureFailed):
    """gdb ran but could not do what we asked (attach, read the core, walk the stacks)."""

    help = "run the same gdb command by hand to see more; the target was checked and left running"


class LowDiskSpace(HangdumpError):
    """Writing a core would leave less free disk than the safety margin."""

    exit_code = 11
    help = "free some space, keep cores elsewhere (--store DIR), or lower HANGDUMP_MIN_FREE"
