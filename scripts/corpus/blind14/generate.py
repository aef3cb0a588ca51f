#!/usr/bin/env python3
"""Generate the fourteenth held-out corpus (fixtures/corpus_blind14/) from real hangs of stratonet.

stratonet (scripts/corpus/blind14/app/stratonet/) is the collection and forecasting backend of a regional
weather-station network (the field loggers' link protocol, the model-grid feed over HTTP, the observation
stream in redis, sensor calibration and the station registry, severe-weather alert quorums, the forecast
feed pool, the nightly gzip archive, radar tile rendering, the barometer bridge, quality control, archive
uploads, the station index, sampling collectors), written without reading the analysis rules. Each capture
runs one job for real in a fresh process with a fleet's variation: CPython 3.9-3.13 (the redis job on 3.11+),
install roots under /opt, /srv and a virtualenv under /var/lib, releases 5.2.0 and 5.3.1 (comment lines
inserted), entries `stratonet-station`, `python -m stratonet` and `stratonet-cron` (audit/retry wrappers),
the job inline, in a joined task thread or on a one-slot executor, heartbeats, a metrics flusher, an idle
upload pool, spent threads, extra waiters and queued jobs. Each release's installed tree is kept under
sources/<release>/ with source_roots.txt mapping every captured install prefix. Planning, installing, running
and capturing are shared with the other application corpora (appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind14/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind14/generate.py --out /tmp/b14 --only tile-cache-flock --per-cause 1
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
    "logger-link-recv-silent": Cause("poll-station", "io-read", ("read_station_frame",)),
    "model-grid-urlopen-silent": Cause("pull-model", "io-read", ("fetch_model_grid",)),
    "obs-stream-redis-silent": Cause("stream-obs", "io-read", ("publish_observation",), min_python=(3, 11)),
    "calibration-registry-lock-order": Cause("recalibrate", "deadlock",
                                             ("mark_station", "drop_offsets", "apply_offsets", "retire_station")),
    "alert-quorum-never-notified": Cause("alert-quorum", "condition-wait", ("await_quorum",)),
    "forecast-pool-starved-by-watchers": Cause("forecast", "pool-wait", ("collect_forecast",)),
    "archive-gzip-stdin-open": Cause("compress-archive", "subprocess-wait", ("compress_archive",)),
    "tile-cache-flock": Cause("render-tiles", "flock", ("lock_tile_cache",)),
    "barometer-holds-gil": Cause("read-barometer", "gil", (), ("gil_style", ("ctypes", "regex")),
                                 {"ctypes": ("latch_sensor",), "regex": ("parse_remarks",)}),
    "qc-window-ms-vs-s-spin": Cause("qc-window", "busy", ("settle_qc_window",)),
    "upload-join-missing-task-done": Cause("flush-uploads", "queue-wait", ("drain_uploads",)),
    "station-index-lock-abandoned": Cause("reindex-stations", "lock-wait", ("refresh_station_index",)),
    "collector-shutdown-wrong-event": Cause("stop-collectors", "join-wait", ("shutdown_collectors",)),
    "healthy-logger-gateway-selector": Cause("gateway", "idle"),
    "healthy-readings-api-asyncio": Cause("api", "idle"),
    "healthy-station-watchdog": Cause("watchdog", "idle"),
    "healthy-observation-consumer": Cause("consume-obs", "idle"),
    "healthy-upload-pool": Cause("upload-pool", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 3, 7]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["hb", "station-hb", "keepalive", "uplink-heartbeat"]),
        "beat_every": rng.choice([0.5, 2.0, 15.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd-flush", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "uploaders": rng.choice([0, 0, 1, 2, 3]),
        "upload_prefix": rng.choice(["", "archive-upload", "sftp"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "listeners": rng.randint(1, 3),
        "workers": rng.randint(2, 4),
        "station": rng.randint(1, 4999),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 40)}", "station-job"]),
        "task_prefix": rng.choice(["", "jobs", "slot"]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/stratonet/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/wx/stratonet-{release_underscored}-cp{py}", "lib"),
    "venv": ("var/lib/stratonet/envs/station-{release}-py{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind14",
    package=Package(HERE / "app" / "stratonet", releases={"5.2.0": 0, "5.3.1": 23},  # 5.3.1: comment lines
                    scripts={"stratonet-station": "stratonet.station_cli", "stratonet-cron": "stratonet.cron"},
                    layout=LAYOUT, source_version="5.2.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "executor": 2}, entries={"station": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 1, "venv": 2}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"station": "stratonet-station", "runpy": "-m stratonet", "cron": "stratonet-cron"},
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
