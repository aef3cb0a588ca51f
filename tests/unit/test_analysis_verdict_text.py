"""Verdict wording when no Python frame says where a thread is (gdb native-only stacks)."""
from forensics.analysis import ThreadRole, verdicts
from forensics.model import SCHEMA


def test_role_place_is_omitted_without_a_python_frame():
    role = ThreadRole(thread=0, tid=7, name="bash", category="subprocess-wait", function=None, location="?")
    assert role.at() == "" and role.at_function() == ""
    named = ThreadRole(thread=0, tid=7, name="w", category="lock-wait", function="run_job", location="jobs.py:41")
    assert named.at() == " in run_job() at jobs.py:41"


def test_native_only_thread_verdict_has_no_none_placeholder():
    doc = {
        "schema": SCHEMA, "id": "x", "taken_at": 1.0, "method": "gdb",
        "threads": [{
            "tid": 7, "name": "worker",
            "kernel": {"state": "S", "syscall": {"nr": 61, "name": "wait4", "args": ["0x1"] * 6}},
            "frames": [{"kind": "native", "function": "__GI___wait4", "module": "/lib/libc.so.6"}],
        }],
    }
    texts = [v.text for v in verdicts(doc)]
    assert texts and not any("None()" in t or " at ?" in t for t in texts), texts


def _blocked(syscall: str, fd_target: str, peer: str) -> dict:
    return {
        "schema": SCHEMA, "id": "x", "taken_at": 1.0, "method": "py-spy",
        "threads": [{
            "tid": 7, "name": "worker", "owns_gil": False, "active": False,
            "kernel": {"state": "S", "syscall": {"nr": 0, "name": syscall, "args": [5, 0, 0, 0, 0, 0]},
                       "fd_target": fd_target, "peer": peer},
            "frames": [{"kind": "python", "function": "drain", "file": "/srv/app/jobs.py", "line": 9}],
        }],
    }


def test_pipe_and_lock_verdicts_name_the_other_party():
    [child] = verdicts(_blocked("read", "pipe:[706346]", "pid 11627 (sleep 3600)"))
    assert "pipe whose other end is held by pid 11627 (sleep 3600)" in child.text
    [self_] = verdicts(_blocked("read", "pipe:[706346]", "this process (pid 7)"))
    assert "nothing in this process will ever write to it" in self_.text
    [lock] = verdicts(_blocked("flock", "/var/lock/job.lock", "pid 12851 (python worker.py)"))
    assert "the lock is held by pid 12851 (python worker.py)" in lock.text
