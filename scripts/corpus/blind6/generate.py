#!/usr/bin/env python3
"""Generate the sixth held-out corpus (fixtures/corpus_blind6/) from real hangs of liftline.

liftline (scripts/corpus/blind6/liftline/) is the operations agent of a ski resort's lift network (bullwheel
drives and brakes, gondola cabins, RFID gates, snow guns, the patrol radio and alert consoles, ticketing back
office, grooming fleet, avalanche model, haul-rope tension), written without reading the analysis rules. Each
capture runs one of its tasks for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py task on 3.11+, where the vendored redis-py imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 3.7.2 and 3.8.0
  (3.8.0 = the same code with comment lines inserted);
* entry: the `liftline-agent` console script, `python -m liftline`, or the `liftline-patrol` console script
  (timing and retry decorators); the task runs in the main thread, in a task thread the main thread joins,
  `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: tower ping sleep loops, a telemetry flusher on Event.wait(timeout), an idle upload pool, spent
  threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. Planning, installing, running and capturing are shared with the
other application corpora (appcorpus.py, variants.py, installs.py); this file has what is liftline's own.

    .venv/bin/python scripts/corpus/blind6/generate.py                          # -> fixtures/corpus_blind6/
    .venv/bin/python scripts/corpus/blind6/generate.py --per-cause 1 --out /tmp/b6 --only incident-register-flock
    .venv/bin/python scripts/corpus/blind6/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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
    "drive-brake-lock-order": Cause(
        "line-restart", "deadlock", (), ("lock_style", ("module", "args")),
        {"module": ("release_brake", "log_drive_state", "engage_drive", "apply_service_brake"),
         "args": ("acquire_pair", "resume_line", "stop_line")}),
    "cabin-clearance-never-posted": Cause("cabin-dispatch", "condition-wait", ("await_clearance",),
                                          ("signal_style", ("condition", "event"))),
    "gate-reader-died": Cause("gate-tally", "queue-wait", ("drain_gate_scans",)),
    "snowgun-link-recv": Cause("snowgun-poll", "io-read", ("read_nozzle_status",)),
    "radio-readline-reconnect-join": Cause("radio-reconnect", "io-read", ("next_message",)),
    "pass-sales-future-hung": Cause("pass-sales-sync", "io-read", ("push_pass_sales",)),
    "status-board-rlock-urlopen": Cause("status-board-refresh", "io-read", ("_fetch_status", "refresh")),
    "patrol-alert-redis-silent": Cause("patrol-alert", "io-read", ("raise_alert",), min_python=(3, 11)),
    "groomer-uplink-backlog": Cause("groomer-uplink", "io-read", ("open_uplink",)),
    "snowpack-model-never-exits": Cause("avalanche-forecast", "subprocess-wait", ("run_snowpack_model",)),
    "incident-register-flock": Cause("incident-report", "flock", ("append_incident",)),
    "rope-tension-diverges": Cause("rope-tension", "busy", ("tension_step", "solve_rope_tension")),
    "haul-plc-holds-gil": Cause("haul-speed", "gil", ("write_haul_speed",)),
    "snowmaking-pool-map-hung": Cause("snowmaking-plan", "pool-wait", ("plan_snowmaking",)),
    "healthy-operations-desk": Cause("operations-desk", "idle", ()),
    "healthy-scan-consumers": Cause("scan-consumers", "idle", ()),
    "healthy-lift-supervisor": Cause("lift-supervisor", "idle", ()),
    "healthy-wind-watch": Cause("wind-watch", "idle", ()),
    "healthy-gate-selector": Cause("gate-listener", "idle", ()),
    "healthy-render-pool": Cause("render-pool", "idle", ()),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 2, 6, 11, 19]),
        "pings": rng.choice([0, 1, 1, 2, 3]),
        "ping_name": rng.choice(["tower-ping", "ping", "hb", "lift-alive"]),
        "ping_every": rng.choice([0.5, 4.0, 25.0]),
        "telemetry": rng.random() < 0.65,
        "telemetry_name": rng.choice(["telemetry", "otel-export", "graphite", f"Thread-{rng.randint(2, 50)}"]),
        "telemetry_every": rng.choice([1.0, 15.0, 60.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3, 4]),
        "upload_prefix": rng.choice(["", "cam-upload", "webcam", "ThreadPoolExecutor-2"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 36),
        "pool_prefix": rng.choice(["", "sync", "bo", "w"]),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 30)}", "tower-task", f"Thread-{rng.randint(1, 80)}"]),
        "task_prefix": rng.choice(["", "tasks", "tower"]),
        "poll_join_every": rng.choice([0.5, 2.0, 5.0]),
        "supervise_every": rng.choice([0.5, 1.0, 3.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it)
    "opt": ("opt/liftline/{release}-py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/resort/lifts/liftline_{release_underscored}-cp{py}", "src"),
    "venv": ("var/lib/liftline/envs/tower-{release}-cp{py}", "lib/python{python}/site-packages"),
    "home": ("home/liftops/deploy/liftline-{release}-py{python}", "lib/python{python}/site-packages"),
    "data": ("data/hut-share/liftline/{release}/cp{py}", "packages"),
}

APP = App(
    corpus="corpus_blind6",
    package=Package(HERE / "liftline", releases={"3.7.2": 0, "3.8.0": 13},  # 3.8.0: comment/blank lines inserted
                    scripts={"liftline-agent": "liftline.agent", "liftline-patrol": "liftline.patroller"},
                    layout=LAYOUT),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1},
                entries={"console-script": 4, "runpy": 3, "patrol": 2},
                root_kinds={"opt": 25, "srv": 20, "venv": 25, "home": 15, "data": 15}),
    noise=noise,
    commands={"console-script": "liftline-agent", "runpy": "-m liftline", "patrol": "liftline-patrol"},
    flags=("--run-as", "--settings"),
    per_cause=5,
    keep_sources=False,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
