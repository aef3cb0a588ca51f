"""Lock verdicts on synthetic captures whose frames point at real source files: who holds what, whatever the
holder is stuck in, and no deadlock claimed where another thread may hold the awaited locks."""
from __future__ import annotations

import textwrap

from forensics.analysis import verdicts
from forensics.model import SCHEMA

THREADING = "/usr/lib/python3.11/threading.py"


def frame(file: str, function: str, line: int) -> dict:
    return {"kind": "python", "function": function, "file": file, "line": line}


def thread(tid: int, name: str, frames: list[dict], syscall: str, futex: str | None = None) -> dict:
    args = [futex or "0x7f0000001000", "0x80", "0x0", "0x0", "0x0", "0x0"]
    return {
        "tid": tid, "name": name, "owns_gil": False, "active": False,
        "kernel": {"state": "S", "syscall": {"nr": 0, "name": syscall, "args": args}},
        # a thread started by threading: Thread.run and _bootstrap_inner below the application frames
        "frames": frames + [frame(THREADING, "Thread.run", 975), frame(THREADING, "Thread._bootstrap_inner", 1038)],
    }


def capture(*threads: dict) -> dict:
    return {"schema": SCHEMA, "id": "c", "taken_at": 1.0, "method": "py-spy", "threads": list(threads)}


def source(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return str(path)


def test_a_lock_held_across_a_socket_read_is_named_with_its_holder(tmp_path):
    src = source(tmp_path, "tokens.py", """
        import socket, threading
        conn_pool_lock = threading.Lock()
        def fetch_from_backend(sock):
            return sock.recv(1024)
        def refresh_token(sock):
            with conn_pool_lock:
                fetch_from_backend(sock)
        def checkout_connection():
            with conn_pool_lock:
                return 1
    """)
    holder = thread(11, "token-refresher", [frame(src, "fetch_from_backend", 4), frame(src, "refresh_token", 7)],
                    "recvfrom")
    waiter = thread(12, "req-handler", [frame(src, "checkout_connection", 9)], "futex")
    texts = [v.text for v in verdicts(capture(holder, waiter))]
    assert any('waits for `conn_pool_lock`, held by thread "token-refresher"' in t for t in texts), texts
    assert not any("no thread in this process holds it" in t for t in texts), texts
    assert any("token-refresher" in t and "while holding `conn_pool_lock`" in t for t in texts), texts


def test_no_deadlock_claimed_when_a_thread_stuck_elsewhere_holds_locks(tmp_path):
    """transfer(a, b) and transfer(c, d) wait for b and d, both held by an auditor stuck in recv(): no cycle."""
    src = source(tmp_path, "ledger.py", """
        import threading
        acct_b = threading.Lock(); acct_d = threading.Lock()
        def transfer(src, dst):
            with src:
                with dst:
                    pass
        def audit_ledger(sock):
            with acct_b:
                with acct_d:
                    sock.recv(1024)
    """)
    auditor = thread(11, "auditor", [frame(src, "audit_ledger", 10)], "recvfrom")
    x1 = thread(12, "xfer-1", [frame(src, "transfer", 5)], "futex", "0x7f0000001000")
    x2 = thread(13, "xfer-2", [frame(src, "transfer", 5)], "futex", "0x7f0000002000")
    vs = verdicts(capture(auditor, x1, x2))
    assert not [v for v in vs if v.kind == "deadlock"], [v.text for v in vs]
    xfer = [v.text for v in vs if "xfer-1" in v.text]
    assert xfer and "`acct_b`, `acct_d` by thread \"auditor\"" in xfer[0], xfer


def test_argument_order_deadlock_still_found_when_only_the_cycle_holds_locks(tmp_path):
    src = source(tmp_path, "ledger.py", """
        import threading
        def transfer(src, dst):
            with src:
                with dst:
                    pass
    """)
    x1 = thread(12, "xfer-1", [frame(src, "transfer", 4)], "futex", "0x7f0000001000")
    x2 = thread(13, "xfer-2", [frame(src, "transfer", 4)], "futex", "0x7f0000002000")
    top = verdicts(capture(x1, x2))[0]
    assert top.kind == "deadlock" and "by argument order" in top.text and "transfer()" in top.text, top.text


def test_import_time_deadlock_from_a_recorded_capture():
    """Recorded with py-spy on 3.11: a module joins, at import time, a thread that imports the same module.
    No source needed: the module lock wait and the module body under import are in the frames."""
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).parent / "data" / "import_time_join-py3.11.json").read_text())
    top = verdicts(doc, read_source=False)[0]
    assert top.kind == "deadlock" and "import-time deadlock" in top.text, top.text
    assert "`plugin_registry`" in top.text and "Thread.join()" in top.text
    assert [r.name for r in top.roles] == ["cache-warmer", "MainThread"]
    # without the import under way in another thread, a module lock wait is no deadlock
    doc["threads"] = [t for t in doc["threads"] if t["name"] == "cache-warmer"]
    assert all(v.kind != "deadlock" for v in verdicts(doc, read_source=False))


def test_a_click_context_or_a_file_is_not_a_held_lock(tmp_path):
    from forensics.analysis.source import lock_facts

    src = tmp_path / "core.py"
    src.write_text(textwrap.dedent("""\
        import threading
        registry_lock = threading.Lock()


        def invoke(self, other, callback):
            ctx = self
            if other:
                ctx = self._make_sub_context(other)
            with ctx:
                with open("/etc/hosts") as fh:
                    with registry_lock:
                        return callback(fh)


        def guarded(first, callback):
            with first:
                return callback()
        """))
    inner = lock_facts(str(src), 12)  # return callback(fh), under ctx, the file and the lock
    assert [name for name, _ in inner.holds] == ["registry_lock"]
    assert lock_facts(str(src), 9).waits_for is None  # `with ctx:` waits for no lock
    assert [name for name, _ in lock_facts(str(src), 17).holds] == ["first"]  # a parameter may be a lock


def test_a_parameter_annotated_with_a_non_lock_type_is_not_a_held_lock(tmp_path):
    """click's `Group.invoke(self, ctx: Context)` does `with ctx:` (celery's CLI frames on every worker's stack)."""
    from forensics.analysis.source import lock_facts

    src = tmp_path / "core.py"
    src.write_text(textwrap.dedent("""\
        import threading


        def invoke(self, ctx: "Context", callback):
            with ctx:
                return callback()


        def locked(guard: threading.Lock, callback):
            with guard:
                return callback()


        def entered(self, callback):
            with self.make_context() as ctx:
                with ctx:
                    return callback()
        """))
    assert lock_facts(str(src), 6).holds == ()  # annotated Context: a context manager, not a lock
    assert [name for name, _ in lock_facts(str(src), 11).holds] == ["guard"]  # annotated Lock: a lock
    assert lock_facts(str(src), 17).holds == ()  # bound by `as`, not lock-like by name: not a lock
