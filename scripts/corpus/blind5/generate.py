#!/usr/bin/env python3
"""Generate the fifth held-out corpus (fixtures/corpus_blind5/) from real hangs of clearwell.

clearwell (scripts/corpus/blind5/clearwell/) is the operations agent of a municipal water treatment plant
(duty pumps and inlet valves, chlorine dosing, lab results, turbidimeters, pump-station PLCs, flow meters, the
SCADA historian and alarm screens, the regulator's portal), written without reading the analysis rules. Each
capture runs one of its jobs for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py job on 3.11+, where the vendored redis-py 8 imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 5.1.3 and 5.2.0
  (5.2.0 = the same code with comment lines inserted);
* entry: the `clearwell-agent` console script, `python -m clearwell.launcher`, or the `clearwell-shift`
  console script (audit and retry decorators); the job runs in the main thread, in a job thread the main
  thread joins, `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: SCADA heartbeat sleep loops, a metrics flusher on Event.wait(timeout), an idle upload pool,
  spent threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. Planning, installing, running and capturing are shared with the
other application corpora (appcorpus.py, variants.py, installs.py); this file has what is clearwell's own.

    .venv/bin/python scripts/corpus/blind5/generate.py                          # -> fixtures/corpus_blind5/
    .venv/bin/python scripts/corpus/blind5/generate.py --per-cause 1 --out /tmp/b5 --only shift-log-flock
    .venv/bin/python scripts/corpus/blind5/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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
    "valve-pump-lock-order": Cause(
        "pump-changeover", "deadlock", (), ("lock_style", ("module", "args")),
        {"module": ("log_pump_interlock", "close_inlet_valve", "open_inlet_valve", "trip_pump"),
         "args": ("hold_both", "start_standby", "stop_duty")}),
    "lims-result-never-posted": Cause("chlorine-adjust", "condition-wait", ("await_lab_result",),
                                      ("signal_style", ("condition", "event"))),
    "turbidity-poller-died": Cause("filter-run-check", "queue-wait", ("collect_turbidity_batch",)),
    "plc-register-recv": Cause("station-scan", "io-read", ("read_holding_registers",)),
    "flowmeter-readline-rollover-join": Cause("flow-rollover", "io-read", ("next_reading",)),
    "regulator-report-future-hung": Cause("compliance-report", "io-read", ("post_daily_report",)),
    "asset-registry-rlock-urlopen": Cause("asset-sync", "io-read", ("_download_registry", "refresh")),
    "alarm-redis-silent": Cause("alarm-fanout", "io-read", ("publish_alarm",), min_python=(3, 11)),
    "historian-connect-backlog": Cause("historian-ingest", "io-read", ("open_session",)),
    "hydraulic-model-never-exits": Cause("hydraulic-model", "subprocess-wait", ("run_network_model",)),
    "shift-log-flock": Cause("shift-log", "flock", ("append_shift_entry",)),
    "pressure-solver-diverges": Cause("pressure-balance", "busy", ("head_loss_correction", "balance_network")),
    "dosing-driver-holds-gil": Cause("dosing-setpoint", "gil", ("write_stroke_rate",)),
    "calibration-pool-map-hung": Cause("analyzer-calibration", "pool-wait", ("calibrate_analyzers",)),
    "healthy-chemical-feed-pool": Cause("chemical-feed", "idle", ()),
    "healthy-sample-consumers": Cause("sample-consumers", "idle", ()),
    "healthy-station-supervisor": Cause("station-supervisor", "idle", ()),
    "healthy-backwash-scheduler": Cause("backwash-scheduler", "idle", ()),
    "healthy-rtu-selector": Cause("rtu-listener", "idle", ()),
    "healthy-lab-process-pool": Cause("lab-pool", "idle", ()),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 3, 8, 14]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["heartbeat", "scada-hb", "hb", "keepalive"]),
        "heartbeat_every": rng.choice([0.5, 2.0, 20.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["metrics", "prom-push", "telegraf", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3]),
        "upload_prefix": rng.choice(["", "report-upload", "sftp", "ThreadPoolExecutor-4"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 48),
        "pool_prefix": rng.choice(["", "feed", "portal", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "plant-job", f"Thread-{rng.randint(1, 60)}"]),
        "job_prefix": rng.choice(["", "jobs", "shift"]),
        "watch_every": rng.choice([0.5, 2.0, 5.0]),
        "supervise_every": rng.choice([0.5, 1.0, 3.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/clearwell/{release}-py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/waterworks/deploy/clearwell-{release}-cp{py}", "pylib"),
    "venv": ("var/lib/clearwell/venvs/agent-{release}-cp{py}", "lib/python{python}/site-packages"),
    "home": ("home/plantops/apps/clearwell-{release}-py{py}", "lib/python{python}/site-packages"),
    "data": ("data/scada/releases/{release}/cp{py}", "site"),
}

APP = App(
    corpus="corpus_blind5",
    package=Package(HERE / "clearwell", releases={"5.1.3": 0, "5.2.0": 11},  # 5.2.0: comment/blank lines inserted
                    scripts={"clearwell-agent": "clearwell.agent", "clearwell-shift": "clearwell.shift"},
                    layout=LAYOUT),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1},
                entries={"console-script": 4, "runpy": 3, "shift": 2},
                root_kinds={"opt": 25, "srv": 20, "venv": 25, "home": 15, "data": 15}),
    noise=noise,
    commands={"console-script": "clearwell-agent", "runpy": "-m clearwell.launcher", "shift": "clearwell-shift"},
    per_cause=5,
    idle_per_cause=4,
    keep_sources=False,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
