"""The category a source line's C call gives a wait no kernel state shows (verdict._called)."""
import pytest

from forensics.analysis import classify as C
from forensics.analysis.verdict import _called


@pytest.mark.parametrize(("line", "category"), [
    ("image = packer.stdout.read().decode()", C.PIPE_READ),  # a Popen's pipe: the child's output
    ("err = self.proc.stderr.readline()", C.PIPE_READ),
    ("for line in child.stdout:", C.PIPE_READ),
    ("lines = [ln for ln in job.proc.stdout]", C.PIPE_READ),
    ("data = sys.stdin.read()", C.PIPE_READ),  # our own standard streams are not a child's
    ("line = sys.stdout.readline()", C.PIPE_READ),
    ("for line in sys.stdout:", None),  # our own standard streams: not a child's output
    ("chunk = os.read(fd, 4096)", C.PIPE_READ),
    ("os.waitpid(pid, 0)", C.SUBPROCESS_WAIT),
])
def test_the_call_on_the_line_names_the_wait(line, category):
    assert _called(line) == category
