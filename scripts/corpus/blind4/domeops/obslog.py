"""Observing log: one shared text log, appended under an exclusive flock by every writer."""
import fcntl
import threading

from .probes import announce, enlist, gather


def append_observing_log(path, entry):
    with open(path, "a") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        try:
            log.write(entry + "\n")
        finally:
            fcntl.flock(log, fcntl.LOCK_UN)


def log_observation(opts):
    writers = 1 + opts.get("queued", 0)
    add, wait_all = gather(writers)

    def writer(n):
        add(enlist("flock"))
        append_observing_log(opts["lock_path"], f"exposure {n} done")

    threads = [threading.Thread(target=writer, args=(n,), name=f"obslog-{n + 1}") for n in range(1, writers)]
    for t in threads:
        t.start()
    waiting = threading.Thread(target=lambda: announce(*wait_all()), daemon=True)
    waiting.start()
    writer(0)
