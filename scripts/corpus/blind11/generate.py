#!/usr/bin/env python3
"""Generate the eleventh held-out corpus (fixtures/corpus_blind11/) from real hangs of helixrun.

helixrun (scripts/corpus/blind11/helixrun/) is the sequencing pipeline of a genomics core facility (LIMS
manifests over HTTP, the sequencers' control-port protocol, a redis results stream, the reference index and
sample catalog, QC sign-off, alignment pool and external aligner, demultiplexing, barcode lookups, flowcell
locks, the basecaller's vendor kernel, genotyping, the sample ledger), written without reading the analysis
rules. Each capture runs one task for real in a fresh process with a fleet's variation: CPython 3.9-3.13
(redis task on 3.11+), install roots under /opt, /srv, /home and a virtualenv under /var/lib, releases 2.3.0,
2.3.4 and 2.4.0 (comment lines inserted), entries `helixrun-worker`, `python -m helixrun.worker` and
`helixrun-batch` (audit/retry wrappers), the task inline, in a joined runner thread or a supervised one
(join with a timeout in a loop), heartbeats, a metrics flusher, an idle upload pool, spent threads, extra waiters
and queued jobs. Planning, installing, running and capturing are shared (appcorpus.py, variants.py,
installs.py); this file has what is helixrun's own.

    .venv/bin/python scripts/corpus/blind11/generate.py --per-cause 4 --healthy-per-cause 2
    .venv/bin/python scripts/corpus/blind11/generate.py --out /tmp/b11 --root-prefix /tmp/b11root \\
        --only flowcell-flock-held --per-cause 1
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
    "lims-manifest-urlopen": Cause("sync-manifest", "io-read", ("fetch_sample_manifest",)),
    "sequencer-status-recv": Cause("poll-sequencer", "io-read", ("_read_exact", "request", "read_run_status")),
    "results-redis-silent": Cause("publish-results", "io-read", ("publish_variant_calls",), min_python=(3, 11)),
    "reference-lock-order": Cause("reload-reference", "deadlock",
                                  ("register_contigs", "drop_sample_index", "rebuild_contig_index",
                                   "retire_sample")),
    "qc-signoff-never-signalled": Cause("release-run", "condition-wait", ("await_qc_signoff",)),
    "align-pool-starved": Cause("align-lane", "pool-wait", ("collect_alignments",)),
    "aligner-never-exits": Cause("align-external", "subprocess-wait", ("run_aligner",)),
    "demux-join-before-marker": Cause("demultiplex", "join-wait", ("finish_demultiplex",)),
    "barcode-reply-lost": Cause("lookup-barcodes", "queue-wait", ("await_lane_reply",)),
    "flowcell-flock-held": Cause("archive-run", "flock", ("lock_flowcell_dir",)),
    "basecaller-kernel-gil": Cause("basecall", "gil", ("call_basecaller_kernel",)),
    "adapter-regex-gil": Cause("scan-adapters", "gil", ("scan_adapter_motifs",)),
    "genotype-spin": Cause("call-genotypes", "busy", ("refine_genotype_likelihoods",)),
    "ledger-lock-orphaned": Cause("update-ledger", "lock-wait", ("record_sample_state",)),
    "healthy-align-pool": Cause("align-pool", "idle"),
    "healthy-status-selector": Cause("status-page", "idle"),
    "healthy-results-asyncio": Cause("results-api", "idle"),
    "healthy-housekeeping-stopwait": Cause("housekeeping", "idle"),
    "healthy-intake-consumer": Cause("intake", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 3, 7]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["heartbeat", "sched-hb", "keepalive", "lims-ping"]),
        "beat_every": rng.choice([0.5, 2.0, 10.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "prom-flush", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 15.0, 60.0]),
        "uploaders": rng.choice([0, 0, 1, 2, 3]),
        "upload_prefix": rng.choice(["", "s3-put", "irods"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "run": rng.randint(1, 9999),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 40)}", "pipeline-runner"]),
        "pool_prefix": rng.choice(["", "align", "bwa"]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/helixrun/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/genomics/helixrun-{release_underscored}-cp{py}", "lib"),
    "venv": ("var/lib/helixrun/venvs/pipeline-{release}-cp{py}", "lib/python{python}/site-packages"),
    "home": ("home/seqops/apps/helixrun{release_nodots}-py{py}", "site"),
}

APP = App(
    corpus="corpus_blind11",
    package=Package(HERE / "helixrun", releases={"2.3.0": 0, "2.3.4": 11, "2.4.0": 23},
                    scripts={"helixrun-worker": "helixrun.worker", "helixrun-batch": "helixrun.batch"},
                    layout=LAYOUT, source_version="2.3.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "supervised": 2}, entries={"worker": 4, "runpy": 3, "batch": 2},
                root_kinds={"opt": 3, "srv": 2, "venv": 3, "home": 1}),
    noise=noise,
    commands={"worker": "helixrun-worker", "runpy": "-m helixrun.worker", "batch": "helixrun-batch"},
    per_cause=4, idle_per_cause=2,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
