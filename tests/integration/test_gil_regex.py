"""A backtracking regular expression on real processes: CPython's regex engine never releases the GIL, so the thread
matching holds it while every other thread waits for it. The verdict says so with and without native frames (a
compiled pattern's method has no Python frame: only native frames show the engine)."""
import os
import shutil
import subprocess
import sys

import pytest

from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PROGRAM = '''"""A form validator whose pattern backtracks on a long near-match, beside two counters."""
import os
import re
import sys
import time

FIXTURE = "gil_regex"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx

SKU = re.compile(r"(a+)+$")


def count_orders():
    n = 0
    while True:
        n += 1
        if n % 1000 == 0:
            time.sleep(0.001)


def validate(text, compiled):
    return SKU.match(text) if compiled else re.match(r"(a+)+$", text)


def main():
    compiled = sys.argv.pop(1) == "compiled"
    fx.setup(FIXTURE, __doc__.splitlines()[0])
    for i in range(2):
        fx.spawn(f"orders-{i}", "futex", count_orders)
    fx.announce_ready()
    validate("a" * 60 + "!", compiled)


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("how,native", [("module", False), ("module", True), ("compiled", True)])
def test_a_backtracking_regex_holds_the_gil_and_the_others_wait_for_it(tmp_path, how, native):
    (tmp_path / "validator.py").write_text(PROGRAM)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    with spawn_hang("gil_regex", script=tmp_path / "validator.py", args=[how]) as hung:
        wait_blocked(hung.pid, [hung.tid("orders-0"), hung.tid("orders-1")], syscalls={"futex"})
        env = dict(os.environ, HANGDUMP_HOME=str(tmp_path / "store"))
        res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--no-store",
                              *(["--native"] if native else [])], check=False, capture_output=True, text=True,
                             env=env, timeout=120)
        assert_left_running(hung.pid, allowed="RS")
    assert res.returncode == 0, res.stderr[-2000:]
    first = next(ln for ln in res.stdout.splitlines() if ln.lstrip().startswith("verdict:"))
    assert "holds the GIL running a regular expression" in first and "in validate()" in first, res.stdout
    assert '2 thread(s) wait for the GIL: "orders-0", "orders-1"' in first, res.stdout
    assert "fix: the regular expression in validate()" in res.stdout, res.stdout
