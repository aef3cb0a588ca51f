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
