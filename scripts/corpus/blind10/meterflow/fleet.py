"""Worker-process plumbing: readiness reports to the deploy probe and the background threads every
meterflow worker runs (heartbeats to the dispatcher, the metrics flusher, the upload pool)."""
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_expected = []
_guard = threading.Lock()


def me(state):
    return [os.getpid(), threading.get_native_id(), state]


def announce(*entries):
    with _guard:
        _expected.extend(entries)
        doc = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_expected),
               "role": "main"}
        sys.stdout.write("READY " + json.dumps(doc) + "\n")
        sys.stdout.flush()


def _beat(every):
    while True:
        time.sleep(every)


def _flush_metrics(stop, every):
    while not stop.wait(every):
        pass


def start_background(opts):
    """Heartbeats, the metrics flusher, an idle upload pool and some finished threads (Thread-N counters)."""
    for _ in range(opts.get("spent", 0)):
        t = threading.Thread(target=int)
        t.start()
        t.join()
    for n in range(opts.get("heartbeats", 0)):
        threading.Thread(target=_beat, args=(opts.get("beat_every", 2.0),), name=f"{opts.get('beat_name', 'hb')}-{n}",
                         daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(threading.Event(), opts.get("metrics_every", 10.0)),
                         name=opts.get("metrics_name", "metrics"), daemon=True).start()
    pool = None
    if opts.get("uploaders"):
        pool = ThreadPoolExecutor(opts["uploaders"], thread_name_prefix=opts.get("upload_prefix", ""))
        for _ in range(opts["uploaders"]):
            pool.submit(int)
    return pool
