"""Run the real hang programs of fixtures/hangs/: what `hangdump demo`, the tests and the corpus
generator share. Each program prints one `READY {json}` line once its hang is reached; see
fixtures/hangs/README.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics import procraw

REPO_ROOT = Path(__file__).resolve().parent.parent
HANGS_DIR = REPO_ROOT / "fixtures" / "hangs"
READY_PREFIX = b"READY "


class FixtureNotReady(RuntimeError):
    """A hang fixture exited or stayed silent instead of printing its READY line."""


def fixture_names() -> list[str]:
    """Every hang program in fixtures/hangs/, without the .py."""
    return sorted(p.stem for p in HANGS_DIR.glob("*.py") if not p.name.startswith("_"))


def python_interpreters(min_version: tuple[int, int] = (3, 9)) -> dict[str, str]:
    """Map "3.9", "3.10", ... to an interpreter path; versions not installed are absent.

    Looks in pyenv ($PYENV_ROOT, then /root/.pyenv) for plain CPython builds (no
    free-threaded "t" or dev builds), highest patch release first, and always
    includes sys.executable for its own version.
    """
    found: dict[str, tuple[tuple[int, ...], str]] = {}
    roots = [os.environ.get("PYENV_ROOT", ""), "/root/.pyenv", os.path.expanduser("~/.pyenv")]
    for root in dict.fromkeys(r for r in roots if r):
        versions = Path(root) / "versions"
        if not versions.is_dir():
            continue
        for entry in versions.iterdir():
            match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", entry.name)
            if not match:
                continue
            version = tuple(int(x) for x in match.groups())
            key = f"{version[0]}.{version[1]}"
            exe = entry / "bin" / f"python{key}"
            if version[:2] < min_version or not os.access(exe, os.X_OK):
                continue
            if key not in found or found[key][0] < version:
                found[key] = (version, str(exe))
    if sys.version_info[:2] >= min_version:
        key = f"{sys.version_info[0]}.{sys.version_info[1]}"
        found[key] = (tuple(sys.version_info[:3]), sys.executable)
    ordered = sorted(found.items(), key=lambda item: item[1][0])
    return {key: path for key, (_, path) in ordered}


@dataclass
class HungProcess:
    """A running hang fixture. `info` is the JSON object from its READY line."""

    name: str
    proc: subprocess.Popen[bytes]
    info: dict[str, Any]
    tmpdir: str
    stderr_path: str = field(repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def threads(self) -> dict[str, int]:
        """Thread name (with any --name-suffix) -> native tid."""
        return dict(self.info.get("threads", {}))

    def tid(self, name: str) -> int:
        """Native tid of the thread called `name` (the name suffix is added if needed)."""
        threads = self.threads
        if name in threads:
            return threads[name]
        return threads[name + self.info.get("name_suffix", "")]

    def children(self) -> list[dict[str, Any]]:
        """Child processes the fixture reported (pid, role, threads, expect)."""
        return list(self.info.get("children", []))

    def stderr(self) -> str:
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def read_ready(proc: subprocess.Popen[bytes], deadline: float) -> tuple[dict[str, Any] | None, bytes]:
    """Read stdout until a READY line, EOF or the deadline. Returns (info, all bytes seen)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            for line in seen.split(b"\n")[:-1]:
                if line.startswith(READY_PREFIX):
                    return json.loads(line[len(READY_PREFIX):]), seen
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return None, seen
            chunk = os.read(fd, 65536)
            if not chunk:
                return None, seen
            seen += chunk


def kill_group(proc: subprocess.Popen[bytes], linger: float = 2.0) -> None:
    """SIGKILL the fixture's whole process group and reap the leader."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()  # in case it left its group
    proc.wait(timeout=10)
    # Grandchildren (forked workers) are reaped by init; wait briefly until the group is gone.
    deadline = time.monotonic() + linger
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.01)


@contextlib.contextmanager
def spawn(
    name: str,
    python: str = sys.executable,
    args: Sequence[str] = (),
    timeout: float = 20.0,
    env: dict[str, str] | None = None,
    script: Path | None = None,
    pass_fds: Sequence[int] = (),
    prefix: Sequence[str] = (),
) -> Iterator[HungProcess]:
    """Start fixtures/hangs/<name>.py, wait for its READY line, kill it all on exit.

    The fixture gets its own session (so the whole group can be killed), a
    private TMPDIR removed afterwards, and the parent pid it should check so it
    dies with us. Note: the fixture uses PR_SET_PDEATHSIG, which fires when the
    *thread* that spawned it exits, so spawn from a thread that outlives it.
    ``script`` runs a program from elsewhere (fixtures/faults) under ``name``; ``prefix`` goes between
    the interpreter and the program (a wrapper such as fixtures/faults/canary.py); ``pass_fds`` are
    inherited by it.
    """
    script = script or HANGS_DIR / (name + ".py")
    if not script.is_file():
        raise FileNotFoundError(f"no hang fixture {name!r} (have: {', '.join(fixture_names())})")
    tmpdir = tempfile.mkdtemp(prefix=f"hangdump-{name}-")
    stderr_path = os.path.join(tmpdir, "stderr.txt")
    child_env = dict(os.environ if env is None else env)
    child_env.update(TMPDIR=tmpdir, HANGDUMP_FIXTURE_PARENT=str(os.getpid()))
    proc: subprocess.Popen[bytes] | None = None
    try:
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                [python, *prefix, str(script), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=child_env,
                cwd=tmpdir,
                start_new_session=True,
                pass_fds=tuple(pass_fds),
            )
        info, seen = read_ready(proc, time.monotonic() + timeout)
        if info is None:
            state = f"exited with {proc.poll()}" if proc.poll() is not None else f"no READY in {timeout:.1f}s"
            with open(stderr_path, "rb") as f:
                err = f.read().decode("utf-8", "replace")
            raise FixtureNotReady(
                f"hang fixture {name} under {python}: {state}\n"
                f"--- stdout ---\n{seen.decode('utf-8', 'replace')[-2000:]}\n--- stderr ---\n{err[-4000:]}"
            )
        yield HungProcess(name=name, proc=proc, info=info, tmpdir=tmpdir, stderr_path=stderr_path)
    finally:
        if proc is not None:
            kill_group(proc)
            if proc.stdout is not None:
                proc.stdout.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


# Threads that never settle in one syscall: spinning, or waking every switch interval for the GIL.
RESTLESS = {"busy", "gil-wait"}


def wait_settled(hung: HungProcess, timeout: float = 10.0) -> bool:
    """Wait until every thread the program expects to block sits in a syscall; False at the deadline."""
    tids = [hung.threads[name] for name, label in hung.info.get("expect", {}).items() if label not in RESTLESS]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first_fields = [(procraw.read_optional(f"/proc/{hung.pid}/task/{tid}/syscall") or "running").split()
                        for tid in tids]
        if all(f and f[0] not in ("running", "-1") for f in first_fields):
            return True
        time.sleep(0.01)
    return False
