"""The category a source line's C call gives a wait no kernel state shows (verdict._called)."""
import pytest

from forensics.analysis import classify as C
from forensics.analysis.verdict import _called


@pytest.mark.parametrize(("line", "category"), [
    ("image = packer.stdout.read().decode()", C.SUBPROCESS_WAIT),  # a Popen's pipe: ends at the child's exit
    ("err = self.proc.stderr.readline()", C.SUBPROCESS_WAIT),
    ("for line in child.stdout:", C.SUBPROCESS_WAIT),
    ("lines = [ln for ln in job.proc.stdout]", C.SUBPROCESS_WAIT),
    ("data = sys.stdin.read()", C.PIPE_READ),  # our own standard streams are not a child's
    ("line = sys.stdout.readline()", C.PIPE_READ),
    ("for line in sys.stdout:", None),
    ("chunk = os.read(fd, 4096)", C.PIPE_READ),
    ("os.waitpid(pid, 0)", C.SUBPROCESS_WAIT),
])
def test_the_call_on_the_line_names_the_wait(line, category):
    assert _called(line) == category
