"""Frames of the interpreter's own, not of any source file, are no application code: CPython 3.13 runs a class's
``__init__`` under a shim frame (``__init__`` in file "__init__") once the constructor call is specialized. The same
hang captured under 3.11 and 3.13 must be the same hang (one signature, one cluster)."""
import json
import subprocess
from pathlib import Path

import pytest

from forensics.analysis import analyze
from forensics.hangs import python_interpreters
from forensics.importers.files import import_file
from tests.support import pyspy_dump, wait_until

pytestmark = pytest.mark.integration

PROGRAM = '''import queue
import threading


class Lane:
    def __init__(self, work):
        self.batch = work.get()  # the last lane waits: nothing more is put


def open_lanes(work, n):
    return [Lane(work) for _ in range(n)]  # called often enough for 3.13 to specialize the constructor call


work = queue.Queue()
for i in range(63):
    work.put(i)
lanes = threading.Thread(target=open_lanes, args=(work, 64), name="lanes", daemon=True)
lanes.start()
print("READY", flush=True)
lanes.join()
'''


def _waiting_in_get(pid: int) -> str | None:
    """A dump of pid once its lanes thread waits in queue.get() (its last lane), else None."""
    dump = pyspy_dump(pid)
    lanes = [t for t in json.loads(dump) if t.get("thread_name") == "lanes"]
    waits = lanes and any(f.get("name", "").endswith("get") and f.get("filename", "").endswith("queue.py")
                          for f in lanes[0].get("frames", ()))
    return dump if waits else None


def _dump(python: str, script: Path) -> dict:
    proc = subprocess.Popen([python, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY"
        out = script.parent / f"dump-{Path(python).name}.json"
        out.write_text(wait_until(lambda: _waiting_in_get(proc.pid), timeout=30, what="the last lane in get()"))
        return import_file(str(out)).to_dict()
    finally:
        proc.kill()
        proc.wait()


def test_the_313_init_shim_frame_is_not_application_code_and_the_hang_keeps_its_signature(tmp_path):
    found = python_interpreters()
    if "3.13" not in found or "3.11" not in found:
        pytest.skip("needs CPython 3.11 and 3.13")
    script = tmp_path / "lanes.py"
    script.write_text(PROGRAM)
    caps = {v: _dump(found[v], script) for v in ("3.11", "3.13")}
    shim = [f for t in caps["3.13"]["threads"] for f in t["frames"] if f.get("file") == "__init__"]
    assert shim, "the premise: 3.13 shows its __init__ shim frame"
    lanes = {v: next(t for t in analyze(c).threads if t.name == "lanes") for v, c in caps.items()}
    assert "__init__:__init__" not in lanes["3.13"].chain, lanes["3.13"].chain
    assert lanes["3.13"].chain == lanes["3.11"].chain, (lanes["3.11"].chain, lanes["3.13"].chain)
    assert analyze(caps["3.13"]).signature == analyze(caps["3.11"]).signature
