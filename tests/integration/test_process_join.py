"""A multiprocessing.Process joined before its result is read: the child cannot exit while its Queue's feeder thread
blocks on the full pipe, and the parent waits in Process.join() for its exit. A wait for a child process (subprocess),
never a thread join, with the fix the multiprocessing guidelines give: get() before join()."""
import pytest

from forensics.analysis import analyze
from tests.support import capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""A QC job: a helper process computes control statistics and sends them back on a queue."""
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


def control_stats(results):
    results.put(b"x" * (4 << 20))  # far more than a pipe holds


def run_qc():
    results = multiprocessing.Queue()
    helper = multiprocessing.Process(target=control_stats, args=(results,))
    helper.start()
    fx.announce_ready()
    helper.join()  # before results.get(): the helper's feeder never drains, the helper never exits
    return results.get()


def main():
    fx.setup("process_join", __doc__.splitlines()[0])
    run_qc()


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("how", ["live", "native", "dump"])
def test_a_process_join_waits_for_a_child_process_not_a_thread(tmp_path, how):
    pa = analyze(capture_program(tmp_path, PROGRAM, "qc.py", threads=["MainThread"],
                                 syscalls={"wait4", "waitid"}, how=how))
    top = pa.verdicts[0]
    assert top.kind == "subprocess" and "in run_qc()" in top.text, [v.text for v in pa.verdicts]
    assert "child process" in top.text and "a thread" not in top.text, top.text
    assert "fix: join the process with a timeout in run_qc()" in top.text and "get() before join()" in top.text
