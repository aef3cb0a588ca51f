"""Reading a child's output waits for the child: the read of a Popen's stdout ends only when the child writes or exits,
and a child blocked writing the stderr pipe nobody drains does neither. The verdict (an I/O read) names the child. Live (the pipe's writer is a child of the
process), with --native, and an imported dump (only the source line says what the C call reads)."""
import pytest

from forensics.analysis import analyze
from tests.support import capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""A transcoder: a child converts a file; its progress goes to stderr, its result to stdout."""
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx

CHILD = "import sys; [sys.stderr.write('frame ok ' * 20 + chr(10)) for _ in range(100000)]; print('done')"


def transcode(mode):
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if mode == "loop":
        lines = [line for line in child.stdout]
    else:
        lines = child.stdout.read().splitlines()
    child.wait()
    return lines


def main():
    mode = fx.setup("child_output", __doc__.splitlines()[0], lambda p: p.add_argument("mode")).mode
    worker = fx.spawn("transcoder", "read", transcode, mode)
    fx.announce_ready()
    worker.join()


if __name__ == "__main__":
    main()
'''


def _capture(tmp_path, mode, how):
    return analyze(capture_program(tmp_path, PROGRAM, "transcoder.py", [mode], threads=["transcoder"],
                                   syscalls={"read"}, how=how))


@pytest.mark.parametrize("how", ["live", "native", "dump"])
@pytest.mark.parametrize("mode", ["read", "loop"])
def test_a_read_of_a_childs_output_names_the_child_and_the_fix(tmp_path, mode, how):
    pa = _capture(tmp_path, mode, how)
    top = pa.verdicts[0]
    assert top.kind == "io" and top.roles[0].name == "transcoder", [v.text for v in pa.verdicts]
    assert "in transcode()" in top.text and "reads a child process's output" in top.text, top.text
    assert "fix: read the child's output with communicate(timeout=) in transcode()" in top.text, top.text
    if how != "dump":
        assert "(its child pid " in top.text, top.text  # the child at the pipe's other end, from the kernel state
