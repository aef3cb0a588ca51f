#!/usr/bin/env python3
"""Generate the twelfth held-out corpus (fixtures/corpus_blind12/) from real hangs of framepress.

framepress (scripts/corpus/blind12/framepress/) is the job runner of a video transcoding farm (DRM key
fetches, publishing renditions and playlists to the origin, redis job leases, the rendition catalog and the
storage quotas, the HLS segment board, probes, segment batches, encoder child processes, the NFS spool, caption
and GPU bindings, encoder slots, the intake queue, the packaging manifest; and its idle services: a thumbnail
pool, segmentd's selector loop, the asyncio status API, the watchdog, the dispatch consumer), written without
reading the analysis rules. Each capture runs one job for real in a fresh process with a fleet's variation:
CPython 3.9-3.13 (the redis job on 3.11+), install roots under /opt, /srv, /home and a virtualenv under
/var/lib, releases 7.3.0 and 7.4.1 (comment lines inserted), entries `framepress-worker`, `python -m
framepress.worker` and `framepress-batch` (audit and retry wrappers), the job inline, on a joined task thread
or on a one-slot executor, heartbeats, a metrics flusher, an idle upload pool, retired helper threads, extra
waiters and queued work. Each release's installed tree is kept under sources/<release>/ with source_roots.txt
mapping every captured install prefix. Planning, installing, running and capturing are shared with the other
application corpora (appcorpus.py, variants.py, installs.py); this file has what is framepress's own.

    .venv/bin/python scripts/corpus/blind12/generate.py                  # raw py-spy dumps, 4 a cause, 2 a service
    .venv/bin/python scripts/corpus/blind12/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump \\
        --per-cause 3
    .venv/bin/python scripts/corpus/blind12/generate.py --out /tmp/b12 --only spool-janitor-flock --per-cause 1 \\
        --root-prefix /tmp/b12root
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parent)]

from appcorpus import App, main
from installs import Package
from variants import Cause, Fleet

CAUSES: dict[str, Cause] = {
    "keyserver-recv-no-timeout": Cause("fetch-keys", "io-read", ("read_reply",)),
    "origin-publish-silent": Cause("publish", "io-read", (), ("http_client", ("urllib", "httpclient")),
                                   {"urllib": ("publish_rendition",), "httpclient": ("push_playlist",)}),
    "lease-redis-silent": Cause("claim-lease", "io-read", ("claim_job_lease",), min_python=(3, 11)),
    "catalog-quota-lock-order": Cause("register-renditions", "deadlock", ("charge_storage", "drop_rendition")),
    "segment-never-marked": Cause("publish-segments", "condition-wait", ("await_segment_ready",)),
    "probe-future-stuck": Cause("probe-ladder", "pool-wait", ("gather_rendition_results",)),
    "batch-drainer-join-stuck": Cause("upload-batch", "join-wait", ("finish_batch",)),
    "encoder-child-never-exits": Cause("encode-pass", "subprocess-wait", ("run_encoder_pass",)),
    "spool-janitor-flock": Cause("sweep-spool", "flock", ("lock_spool_dir",)),
    "native-call-holds-gil": Cause("mux-captions", "gil", (), ("gil_via", ("regex", "pydll")),
                                   {"regex": ("parse_caption_cues",), "pydll": ("open_gpu_session",)}),
    # the spinning loop, or the helper it calls that a sample may catch on top
    "slot-reclaim-spins": Cause("reserve-slots", "busy", ("rebalance_encoder_slots", "free", "reclaim_idle")),
    "intake-feeder-died": Cause("drain-intake", "queue-wait", ("next_transcode_job",)),
    "manifest-lock-across-fork": Cause("render-thumbnails", "lock-wait", ("append_manifest_entry",),
                                       role="fork-child"),
    "origin-throttle-backoff": Cause("publish-when-open", "sleep", ("wait_for_origin_capacity",)),
    "healthy-thumbnail-pool": Cause("thumbnail-pool", "idle"),
    "healthy-segmentd-selector": Cause("segmentd", "idle"),
    "healthy-status-asyncio": Cause("status-api", "idle"),
    "healthy-watchdog-stop-wait": Cause("watchdog", "idle"),
    "healthy-dispatch-consumer": Cause("consume-dispatches", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 2, 5, 11]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["hb", "farm-heartbeat", "sched-keepalive", f"hb-{rng.randint(1, 9)}"]),
        "beat_every": rng.choice([0.5, 3.0, 20.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "prom-flush", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 15.0, 60.0]),
        "uploaders": rng.choice([0, 0, 1, 3]),
        "upload_prefix": rng.choice(["", "origin-upload", "s3"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 4),
        "workers": rng.randint(2, 4),
        "account": rng.randint(1, 99999),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 60)}", "transcode-task"]),
        "task_prefix": rng.choice(["", "runner", "jobslot"]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/framepress/{release}-py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/transcode/framepress-{release_underscored}-cp{py}", "lib"),
    "home": ("home/encoder/apps/framepress-{release}-py{py}", "lib/python{python}/site-packages"),
    "venv": ("var/lib/framepress/venvs/farm-{release}-cp{py}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind12",
    package=Package(HERE / "framepress", releases={"7.3.0": 0, "7.4.1": 23},  # 7.4.1: comment lines inserted
                    scripts={"framepress-worker": "framepress.worker", "framepress-batch": "framepress.batch"},
                    layout=LAYOUT, source_version="7.3.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "executor": 2}, entries={"worker": 4, "runpy": 3, "batch": 2},
                root_kinds={"opt": 3, "srv": 2, "home": 1, "venv": 3}, idle_harnesses={"inline": 4, "threaded": 1}),
    noise=noise,
    commands={"worker": "framepress-worker", "runpy": "-m framepress.worker", "batch": "framepress-batch"},
    per_cause=4, idle_per_cause=2,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
