"""Audio fingerprinting of incoming clips (music reporting): batches go to a process pool; every worker
counts its work in the shared stats the stats flusher ships."""
from __future__ import annotations

import hashlib
import multiprocessing
import threading
import time

_STATS_LOCK = threading.Lock()
_STATS = {"fingerprints": 0}


def bump(name):
    with _STATS_LOCK:
        _STATS[name] = _STATS.get(name, 0) + 1


def ship_stats(every):
    while True:
        with _STATS_LOCK:
            snapshot = dict(_STATS)
            time.sleep(every)  # the collector write happens under the lock
        del snapshot


def _fingerprint_one(clip):
    bump("fingerprints")
    return hashlib.sha1(clip.encode()).hexdigest()


def fingerprint_clips(ctx):
    ctx.arm(1)
    threading.Thread(target=ship_stats, args=(0.5,), name="stats-shipper", daemon=True).start()
    time.sleep(0.05)
    marked = False
    while True:
        clips = [f"CLIP-{n}" for n in range(ctx.opts.get("segments", 4) * 2)]
        with multiprocessing.Pool(ctx.opts.get("workers", 2)) as pool:
            if not marked:
                ctx.mark("futex")
                marked = True
            pool.map(_fingerprint_one, clips)
