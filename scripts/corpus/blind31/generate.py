#!/usr/bin/env python3
"""Generate the thirty-first held-out corpus (fixtures/corpus_blind31/) from real hangs of castline.

castline (scripts/corpus/blind31/app/castline/) is the playout and media backend of a public broadcaster (EPG
feeds POSTed to partner platforms, the vision mixer's tally bus and the studio GPI card's vendor SDK, subtitle
alignment through the aligner tool, rights-window checks from the async scheduler, late schedule changes
against the as-run hour close, transcode farm hand-offs, programme loudness metering, news clip ingest, the
ad-traffic reconciler and the commercial break planner, clip QC with the media probe tool, audio
fingerprinting in a process pool, the playlist export lock file, and the tally listener, EPG partner API,
ingest drop watcher and clip event consumer services), written without reading the analysis rules. Each
capture runs one job for real in a fresh process with a fleet's variation: CPython 3.9-3.13, install roots
under /opt, /srv and a virtualenv under /var/lib, releases 4.8.0 and 4.9.0 (comment lines inserted), entries
`castline-worker`, `python -m castline` and `castline-cron` (scheduler wrapper with a timing/retry
decorator), the job inline, in a joined task thread, on a one-slot executor or called from a coroutine under
asyncio.run, lease heartbeats, a metrics flusher, an idle upload pool, spent threads, extra waiters and queued
jobs. Planning, installing, running and capturing are shared with the other application corpora
(appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind31/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind31/generate.py --out /tmp/b31 --only playlist-export-lockfile-held --per-cause 1
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
    "epg-partner-post-urlopen-no-timeout": Cause("epg-push", "io-read", ("post_epg_batch", "push_epg_feeds")),
    "tally-bus-readline-silent-mixer": Cause("tally-follow", "io-read", ("next_tally_message", "follow_studio_tally")),
    "subtitle-aligner-stdin-never-closed": Cause("subtitle-align", "io-read",
                                                 ("read_alignment_line", "align_subtitles")),
    "rights-sync-http-in-coroutine": Cause("rights-check", "io-read", ("fetch_rights_window", "check_rights_windows")),
    "late-change-vs-asrun-close-lock-order": Cause("late-changes", "deadlock",
                                                   ("note_rundown_change", "slot_at", "rebuild_rundown",
                                                    "close_asrun_hour")),
    "transcode-farm-state-renamed": Cause("transcode-handoff", "condition-wait",
                                          ("await_transcode_done", "hand_off_to_transcoder")),
    "meter-calibrate-rlock-early-return": Cause("loudness-meter", "lock-wait",
                                                ("read_loudness_level", "meter_programme_out")),
    "ingest-worker-empty-share-no-sentinel": Cause("news-ingest", "queue-wait",
                                                   ("collect_ingest_results", "ingest_news_clips")),
    "traffic-reconciler-stop-flag-typo": Cause("traffic-reconcile", "join-wait",
                                               ("shutdown_reconciler", "reconcile_ad_traffic")),
    "mediaprobe-wait-before-read-pipe-full": Cause("clip-qc", "subprocess-wait",
                                                   ("probe_clip_streams", "qc_ingested_clip")),
    "fingerprint-pool-fork-inherits-stats-lock": Cause("fingerprint", "pool-wait", ("fingerprint_clips",)),
    "playlist-export-lockfile-held": Cause("playlist-export", "flock", ("lock_playlist_export", "export_playlist")),
    "gpi-card-pydll-read": Cause("gpi-arm", "gil", ("wait_for_gpi_edge", "arm_studio_gpi")),
    "ad-break-bumper-never-fits": Cause("break-plan", "busy", ("fill_ad_break", "build_break_plan")),
    "healthy-tally-udp-selectors": Cause("tally-listener", "idle"),
    "healthy-epg-partner-api-asyncio": Cause("epg-api", "idle"),
    "healthy-ingest-drop-watcher": Cause("ingest-watch", "idle"),
    "healthy-clip-event-consumers": Cause("clip-consumers", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 3, 4, 9]),
        "beats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["lease", "playout-hb", "consul-keepalive", "hb"]),
        "beat_every": rng.choice([0.5, 5.0, 30.0]),
        "flusher": rng.random() < 0.6,
        "flusher_name": rng.choice(["metrics", "prom-push", "statsd", f"Thread-{rng.randint(2, 40)}"]),
        "flush_every": rng.choice([1.0, 10.0, 60.0]),
        "idle_pool": rng.choice([0, 0, 1, 2, 3]),
        "idle_prefix": rng.choice(["", "media-io", "s3-upload"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "channels": rng.randint(1, 4),
        "studio": rng.randint(1, 9),
        "channel": rng.randint(1, 6),
        "segments": rng.randint(2, 6),
        "clips": rng.randint(1, 400),
        "poll": rng.choice([0.2, 0.5, 1.0]),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 80)}", "playout-job"]),
        "task_prefix": rng.choice(["", "jobs", "castline-job"]),
        "serve_poll": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([30.0, 120.0, 600.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/castline/{release}/cp{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/playout/castline-{release_nodots}-py{py}", "app"),
    "venv": ("var/lib/castline/venvs/playout-{release}-{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind31",
    package=Package(HERE / "app" / "castline", releases={"4.8.0": 0, "4.9.0": 29},  # 4.9.0: comment lines
                    scripts={"castline-worker": "castline.console", "castline-cron": "castline.cron"},
                    layout=LAYOUT, source_version="4.8.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "castline-worker", "runpy": "-m castline", "cron": "castline-cron"},
    flags=("--harness", "--opts"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
