#!/usr/bin/env python3
"""Generate the eighth held-out corpus (fixtures/corpus_blind8/) from real hangs of teuflow.

teuflow (scripts/corpus/blind8/teuflow/) is the terminal operating agent of a container port (ship-to-shore
crane spreaders and hoists, trolley drives, RTG yard moves, gate OCR lanes, customs releases, reefer alarms,
BAPLIE bay plans, the stowage solver, tally uploads, lashing bridges, the gate journal), written without reading
the analysis rules. Each capture runs one of its jobs for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py job on 3.11+, where the vendored redis-py imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 7.4.1 and 7.5.0
  (7.5.0 = the same code with comment lines inserted);
* entry: the `teuflow-agent` console script, `python -m teuflow`, or the `teuflow-shift` console script
  (audit and retry decorators); the job runs in the main thread, in a job thread the main thread joins,
  `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: PLC keepalive sleep loops, a KPI flusher on Event.wait(timeout), an idle photo-upload pool, spent
  threads (moving the Thread-N counters), queued moves and extra waiters behind the culprit;
* one job forks: its child (the captured process) blocks on a lock another thread held at the fork.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. Each release's installed package tree is kept under
<out>/sources/<release>/ and every captured install root is mapped to it in <out>/source_roots.txt. Planning,
installing, running and capturing are shared with the other application corpora (appcorpus.py, variants.py,
installs.py); this file has what is teuflow's own.

    .venv/bin/python scripts/corpus/blind8/generate.py                          # -> fixtures/corpus_blind8/
    .venv/bin/python scripts/corpus/blind8/generate.py --per-cause 1 --out /tmp/b8 --only baplie-flock
    .venv/bin/python scripts/corpus/blind8/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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
    "spreader-hoist-lock-order": Cause(
        "crane-handover", "deadlock", (), ("lock_style", ("module", "rlock")),
        {"module": ("raise_hoist", "release_twistlocks", "lock_spreader", "lower_hoist"),
         "rlock": ("reassign_crane", "_note", "swap_gang")}),
    "ocr-link-recv": Cause("ocr-gate-read", "io-read", ("read_frame",)),
    "customs-release-urlopen": Cause("customs-release", "io-read", ("fetch_release_status",)),
    "reefer-alarm-redis-silent": Cause("reefer-alarm", "io-read", ("push_reefer_alarm",), min_python=(3, 11)),
    "baplie-flock": Cause("baplie-append", "flock", ("append_baplie_segment",)),
    "stowage-solver-never-exits": Cause("stowage-plan", "subprocess-wait", ("run_stowage_solver",)),
    "rtg-telemetry-died": Cause("yard-dispatch", "queue-wait", ("next_yard_move",)),
    "berth-window-never-posted": Cause("berth-window", "condition-wait", ("await_berth_window",),
                                       ("signal_style", ("condition", "event"))),
    "tally-upload-future-hung": Cause("tally-upload", "io-read", ("post_tally_sheet",)),
    "lashing-plc-connect-join": Cause("lashing-check", "io-read", ("open_lashing_plc",)),
    "stack-balance-diverges": Cause("stack-balance", "busy", ("redistribute", "settle_stack_weights")),
    "trolley-drive-holds-gil": Cause("trolley-move", "gil", ("write_trolley_setpoint",)),
    "journal-lock-held-across-fork": Cause("manifest-export", "lock-wait", ("record_gate_event",),
                                           role="fork-child"),
    "healthy-gate-selector": Cause("gate-lanes", "idle", ()),
    "healthy-terminal-shutdown-wait": Cause("terminal-services", "idle", ()),
    "healthy-berth-monitor-join": Cause("berth-monitor", "idle", ()),
    "healthy-photo-pools": Cause("photo-pools", "idle", ()),
    "healthy-yard-heartbeat": Cause("yard-heartbeat", "idle", ()),
    "healthy-edi-asyncio": Cause("edi-loop", "idle", ()),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 2, 5, 9, 17]),
        "keepalives": rng.choice([0, 1, 1, 2, 3]),
        "keepalive_name": rng.choice(["plc-keepalive", "keepalive", "hb", "crane-alive"]),
        "keepalive_every": rng.choice([0.5, 3.0, 30.0]),
        "kpis": rng.random() < 0.65,
        "kpi_name": rng.choice(["kpi-flush", "statsd", "influx-push", f"Thread-{rng.randint(2, 45)}"]),
        "kpi_every": rng.choice([1.0, 10.0, 60.0]),
        "photo_pool": rng.choice([0, 0, 1, 2, 3, 4]),
        "photo_prefix": rng.choice(["", "photo-upload", "damage-cam", "ThreadPoolExecutor-3"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 24),
        "pool_prefix": rng.choice(["", "tally", "portal", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "tos-job", f"Thread-{rng.randint(1, 70)}"]),
        "job_prefix": rng.choice(["", "jobs", "night"]),
        "join_every": rng.choice([0.5, 2.0, 5.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it)
    "opt": ("opt/teuflow/teuflow-{release}-py{python}", "lib/python{python}/site-packages"),
    "srv": ("srv/terminal/tos/teuflow_{release_nodots}_cp{py}", "app"),
    "venv": ("var/lib/teuflow/virtualenvs/crane-agent-{release}-cp{py}", "lib/python{python}/site-packages"),
    "home": ("home/tosops/releases/teuflow-{release}-py{py}", "lib/python{python}/site-packages"),
    "data": ("data/portshare/teuflow/{release}/cp{py}", "site"),
}

APP = App(
    corpus="corpus_blind8",
    package=Package(HERE / "teuflow", releases={"7.4.1": 0, "7.5.0": 17},  # 7.5.0: comment/blank lines inserted
                    scripts={"teuflow-agent": "teuflow.console", "teuflow-shift": "teuflow.nightshift"},
                    layout=LAYOUT),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1},
                entries={"console-script": 4, "runpy": 3, "shift": 2},
                root_kinds={"opt": 25, "srv": 20, "venv": 25, "home": 15, "data": 15}),
    noise=noise,
    commands={"console-script": "teuflow-agent", "runpy": "-m teuflow", "shift": "teuflow-shift"},
    flags=("--mode", "--settings"),
)

if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
