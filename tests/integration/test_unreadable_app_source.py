"""A live capture read where the application's source is gone (a release replaced under a running worker, a
capture analysed on another host) while its libraries' files are still there: the readable library frames around
the application's line say nothing of that line, so a futex wait right under application code is still the lock
wait it most likely is, not "unknown"."""
import pytest

from forensics.analysis import analyze
from tests.support import capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""A ledger command: a click command takes the ledger lock a stuck writer holds."""
import os
import sys
import threading
import time

import click

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx

LEDGER = threading.Lock()


def write_forever():
    with LEDGER:
        while True:
            time.sleep(3600)


@click.command()
@click.argument("mode")
def post(mode):
    fx.setup("unreadable_app_source", __doc__.splitlines()[0], lambda p: p.add_argument("mode"))
    fx.spawn("writer", "nanosleep", write_forever)
    os.remove(os.path.abspath(__file__))  # the release is replaced: this file is gone, click's are not
    fx.announce_ready()
    with LEDGER:
        pass


if __name__ == "__main__":
    post()
'''


@pytest.mark.parametrize("how", ["live", "native"])
def test_a_futex_wait_under_application_code_whose_file_is_gone_is_a_lock_wait(tmp_path, how):
    d = capture_program(tmp_path, PROGRAM, "ledger.py", ["post"], threads=["MainThread", "writer"],
                        syscalls={"futex", "clock_nanosleep", "nanosleep"}, how=how)
    assert not (tmp_path / "ledger.py").exists()
    main = next(t for t in d["threads"] if t["name"] == "MainThread")
    assert any("click" in (f.get("file") or "") for f in main["frames"])  # readable library frames around it
    pa = analyze(d)
    mine = next(v for v in pa.verdicts if v.roles and v.roles[0].name == "MainThread")
    assert mine.kind == "lock" and "in post()" in mine.text, [v.text for v in pa.verdicts]
