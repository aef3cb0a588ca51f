"""A service's main thread parked on an Event its function made and never let out (`shutdown = threading.Event()`,
then only `shutdown.wait()`) beside its idle pool: nothing else can reach the Event to set it, so the wait is the
keep-alive idiom of `threading.Event().wait()`, not a hang. The same wait on an Event handed to a worker that
never sets it stays one."""
import pytest

from forensics.analysis import analyze
from tests.support import HANG_KINDS, capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""A conversion service: a pool of workers waits for studies; the main thread keeps the process up."""
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


def serve(workers):
    shutdown = threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convert") as pool:
        list(pool.map(str.lower, ["A"] * workers))
        fx.announce_ready()
        shutdown.wait()


def load_catalog(loaded):
    fx.record(threading.current_thread(), "futex")
    threading.Event().wait()  # stuck before it can say the catalog is loaded


def start():
    loaded = threading.Event()
    fx.spawn("catalog", "futex", load_catalog, loaded)
    fx.announce_ready()
    loaded.wait()


def main():
    mode = fx.setup("parked_event", __doc__.splitlines()[0], lambda p: p.add_argument("mode")).mode
    serve(2) if mode == "service" else start()


if __name__ == "__main__":
    main()
'''


def _analysis(tmp_path, mode, dump):
    return analyze(capture_program(tmp_path, PROGRAM, "service.py", [mode], threads=["MainThread"],
                                   syscalls={"futex"}, how="dump" if dump else "live"))


@pytest.mark.parametrize("dump", [False, True])
def test_a_main_thread_parked_on_an_event_nothing_can_reach_is_idle(tmp_path, dump):
    pa = _analysis(tmp_path, "service", dump)
    assert not {v.kind for v in pa.verdicts} & HANG_KINDS, [v.text for v in pa.verdicts]
    assert "parks forever on `shutdown.wait()` by design" in pa.verdicts[0].text, pa.verdicts[0].text


def test_a_wait_on_an_event_handed_to_a_worker_stays_a_hang(tmp_path):
    pa = _analysis(tmp_path, "start", False)
    main = next(v for v in pa.verdicts if v.roles and v.roles[0].name == "MainThread")
    assert main.kind in HANG_KINDS and "in start()" in main.text, [v.text for v in pa.verdicts]
