"""What a joining line's function handed to the threads it started (source.py's ``hands``): the Events and queues it
made and let out only as those threads' arguments, so that nothing but the joiner can wake a wait on them."""
import textwrap

from forensics.analysis.source import lock_facts

SOURCE = '''
import threading


def watch(name, done):
    done.wait()


def handed_by_position():
    done = threading.Event()
    other = threading.Event()
    t = threading.Thread(target=watch, args=("a", done))
    t.start()
    other.set()
    t.join()
    done.set()


def also_given_elsewhere(register):
    done = threading.Event()
    t = threading.Thread(target=watch, args=("a", done))
    t.start()
    register(done)
    t.join()


class Runner:
    def track(self, *, latch):
        latch.wait()

    def close(self):
        latch = threading.Event()
        t = threading.Thread(target=self.track, kwargs={"latch": latch})
        t.start()
        t.join()
'''


def _facts(tmp_path, marker):
    path = tmp_path / "prog.py"
    path.write_text(textwrap.dedent(SOURCE))
    lines = path.read_text().splitlines()
    start = next(i for i, s in enumerate(lines) if marker in s)
    line = next(i for i in range(start, len(lines)) if ".join()" in lines[i]) + 1
    return lock_facts(str(path), line)


def test_an_event_made_and_passed_only_to_the_thread_is_handed_under_the_targets_parameter_name(tmp_path):
    facts = _facts(tmp_path, "def handed_by_position")
    assert facts.hands == (("watch", "done", "done"),)
    assert "wait:done" in facts.wakes and "wait:other" in facts.wakes  # its own set() calls stay its own


def test_an_event_also_given_to_other_code_is_not_handed(tmp_path):
    assert _facts(tmp_path, "def also_given_elsewhere").hands == ()


def test_a_method_target_with_keyword_arguments_is_followed(tmp_path):
    assert _facts(tmp_path, "def close").hands == (("track", "latch", "latch"),)
