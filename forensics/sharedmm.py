"""Is a process another one's address space under a second pid? A vfork'd child (glibc's posix_spawn,
subprocess with vfork) or any CLONE_VM child, until it execs, runs in its parent's memory: same command line,
same Python stacks. It is not a separate worker; signalling it fails the parent's spawn, judging it judges the
parent twice.

kcmp(2) with KCMP_VM answers exactly (same mm_struct). Without it (kernel without CONFIG_CHECKPOINT_RESTORE,
a seccomp filter, an unknown architecture) the witness is vfork itself: the parent has a thread asleep in
the clone path (``wait_for_vfork_done``) and the child still shows the parent's command line.
"""
from __future__ import annotations

import ctypes
import functools
import os

KCMP_VM = 1
_SYS_KCMP = {"x86_64": 312, "aarch64": 272, "riscv64": 272, "ppc64le": 354, "ppc64": 354, "s390x": 343,
             "i686": 349, "i386": 349, "armv7l": 378, "armv8l": 378}


@functools.lru_cache(maxsize=1)
def _kcmp():
    nr = _SYS_KCMP.get(os.uname().machine)
    if nr is None:
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    return lambda a, b: syscall(nr, a, b, KCMP_VM, 0, 0)


def kcmp_vm(pid: int, other: int) -> bool | None:
    """True/False: same mm or not; None: kcmp cannot tell (unsupported, not permitted, either pid gone)."""
    call = _kcmp()
    if call is None:
        return None
    rc = call(pid, other)
    return None if rc < 0 else rc == 0  # ENOSYS, EPERM, ESRCH...: the fallback decides


# A thread waiting for its vfork child sleeps in the clone syscall: /proc shows it in its syscall file (clone3
# is 435 everywhere; clone and vfork per architecture) and, when the kernel resolves it, in wchan (
# wait_for_vfork_done, often inlined: kernel_clone on 6.x, _do_fork before 5.10; wchan reads 0 at times).
_SYS_CLONE = {"x86_64": (56, 58), "aarch64": (220,), "riscv64": (220,), "ppc64le": (120, 189), "ppc64": (120, 189),
              "s390x": (120, 190), "i686": (120, 190), "i386": (120, 190), "armv7l": (120, 190), "armv8l": (120, 190)}
_VFORK_WAIT = frozenset({b"wait_for_vfork_done", b"kernel_clone", b"_do_fork", b"do_fork"})


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _waits_for_vfork(pid: int) -> bool:
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    clones = {b"435", *(str(n).encode() for n in _SYS_CLONE.get(os.uname().machine, ()))}
    for tid in tids:
        call = (_read(f"/proc/{pid}/task/{tid}/syscall") or b"").split(b" ", 1)[0]
        if call in clones or _read(f"/proc/{pid}/task/{tid}/wchan") in _VFORK_WAIT:
            return True
    return False


def shares_parent_mm(pid: int, ppid: int) -> bool:
    """Whether ``pid`` runs in its parent's address space (a vfork/CLONE_VM child that has not exec'd)."""
    if ppid <= 1:
        return False
    same = kcmp_vm(pid, ppid)
    if same is not None:
        return same
    cmd = _read(f"/proc/{pid}/cmdline")
    return bool(cmd) and cmd == _read(f"/proc/{ppid}/cmdline") and _waits_for_vfork(ppid)
