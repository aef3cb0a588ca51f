"""Tells the supervisor that launched this agent when its job reached a steady state: one READY line.

Each participating thread calls `enter(role)` just before its blocking step; once every expected role has
arrived (as many times as expected) the last one writes `READY {json}` to stdout (with os.write: the caller
may be about to hold the GIL in a C call)."""
import json
import os
import platform
import threading

_guard = threading.Lock()
_expected = {}
_entered = []
_meta = {}


def expect(count=1, **roles):
    """Roles that must enter before READY, each with the state its thread settles in, `count` times each."""
    for role, kind in roles.items():
        _expected[role] = (kind, count)


def restart(**roles):
    """In a forked child: forget the parent's roles and expect these."""
    global _guard
    _guard = threading.Lock()
    _expected.clear()
    del _entered[:]
    _meta.clear()
    expect(**roles)


def note(**fields):
    _meta.update(fields)


def enter(role, pid=None, tid=None):
    with _guard:
        _entered.append((role, pid or os.getpid(), tid or threading.get_native_id()))
        arrived = [r for r, _, _ in _entered]
        complete = all(arrived.count(r) >= n for r, (_, n) in _expected.items())
        fresh = complete and not _meta.get("announced")
        _meta["announced"] = _meta.get("announced") or complete
        settle = [[p, t, _expected.get(r, ("any", 1))[0]] for r, p, t in _entered]
        info = dict(_meta, pid=os.getpid(), python=platform.python_version(), settle=settle)
    info.setdefault("capture_pid", os.getpid())
    if fresh:
        os.write(1, ("READY " + json.dumps(info) + "\n").encode())
