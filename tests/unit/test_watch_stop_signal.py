"""The watchdog's stop: a signal handler that takes no lock and wakes the loop's wait at once. threading.Event.set()
in a handler can deadlock against the interrupted main thread holding that Event's lock inside its own wait()."""
import signal
import subprocess
import sys
import textwrap

from forensics.watch.clock import StopSignal


def test_a_signal_during_an_untimed_wait_ends_it():
    program = textwrap.dedent("""
        import signal, sys
        from forensics.watch.clock import StopSignal
        stop = StopSignal(signal.SIGALRM)
        signal.setitimer(signal.ITIMER_REAL, 0.05)  # arrives while the wait below blocks
        sys.exit(0 if stop.wait() and stop.is_set() else 3)
    """)
    done = subprocess.run([sys.executable, "-c", program], timeout=60, check=False)
    assert done.returncode == 0


def test_a_signal_sent_by_another_process_stops_it():
    program = textwrap.dedent("""
        import signal, sys
        from forensics.watch.clock import StopSignal
        stop = StopSignal(signal.SIGTERM)
        print("ready", flush=True)
        while not stop.wait(0.2):
            pass
    """)
    proc = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0  # exited by its loop, not killed by the signal


def test_set_never_blocks_and_every_later_wait_returns_at_once():
    stop = StopSignal()
    assert not stop.is_set() and not stop.wait(0)
    for _ in range(70_000):  # far more bytes than a pipe holds: a full pipe neither blocks nor raises
        stop.set()
    assert stop.is_set() and stop.wait() and stop.wait(None) and stop.wait(0)
