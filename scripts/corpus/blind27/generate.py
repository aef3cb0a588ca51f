#!/usr/bin/env python3
"""Generate the twenty-seventh held-out corpus (fixtures/corpus_blind27/) from real hangs of gustline.

gustline (scripts/corpus/blind27/app/gustline/) is the operations backend of a wind farm operator (turbine SCADA
polling over Modbus/TCP, blade pitch and yaw alarms and the turbine registry, grid dispatch setpoints from the
system operator and the curtailment plan, substation RTU telemetry from an async job, met-mast logger records
through a vendor bridge and the sonic anemometer's serial SDK, blade-exchange crew dispatch and crane bookings
synced to the CMMS, export meter readings, settlement files signed by the HSM and their spool, the telemetry
relay rotation, day-ahead forecast downscaling, and the SCADA push, alarm feed, dispatch watcher, work-order
consumer and met-mast listener services), written without reading the analysis rules. Each capture runs one
job for real in a fresh process with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and
a virtualenv under /var/lib, releases 4.2.0 and 4.3.0 (comment lines inserted), entries `gustline-ops`,
`python -m gustline` and `gustline-cron` (scheduler wrapper with a timing/retry decorator), the job inline, in a
joined task thread, on a one-slot executor or called from a coroutine under asyncio.run, lease heartbeats, a
metrics flusher, an idle I/O pool, spent threads, extra waiters and queued jobs. Planning, installing, running
and capturing are shared with the other application corpora (appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind27/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind27/generate.py --out /tmp/b27 --only settlement-spool-flock-held --per-cause 1
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
    "scada-modbus-recv-no-timeout": Cause("scada-poll", "io-read",
                                          ("_recv_exact", "read_holding_registers", "poll_turbine_registers")),
    "tso-setpoint-fetch-no-timeout": Cause("dispatch-sync", "io-read", ("fetch_dispatch_setpoint", "apply_grid_setpoints"),
                                           style=("client", ("http.client", "urllib"))),
    "metmast-logger-bridge-pipe-silent": Cause("metmast-ingest", "io-read", ("read_logger_record", "ingest_met_mast")),
    "substation-rtu-connect-in-coroutine": Cause("substation-telemetry", "io-read",
                                                 ("open_iec104_link", "read_rtu_measurements", "poll_substation_rtus")),
    "pitch-alarm-derate-lock-order": Cause("alarm-sweep", "deadlock",
                                           ("derate_turbine", "raise_pitch_alarm", "clear_alarm", "resume_yaw_tracking")),
    "blade-lift-barrier-crew-filtered": Cause("blade-lift", "condition-wait",
                                              ("await_lift_window", "supervise_blade_lift", "dispatch_crew")),
    "crane-book-rlock-held-across-cmms-backoff": Cause("crane-booking", "lock-wait",
                                                       ("book_crane", "schedule_crane_lifts")),
    "meter-parse-skips-task-done": Cause("meter-settlement", "queue-wait",
                                         ("collect_interval_readings", "run_settlement_period")),
    "telemetry-relay-stop-flag-behind-accept": Cause("telemetry-relay", "join-wait",
                                                     ("shutdown_relay", "rotate_telemetry_relay")),
    "settlement-signer-hsm-silent": Cause("settlement-sign", "subprocess-wait",
                                          ("sign_settlement_file", "publish_settlement_files")),
    "forecast-downscale-pool-starved": Cause("forecast-downscale", "pool-wait",
                                             ("downscale_forecasts", "ingest_weather_forecast")),
    "settlement-spool-flock-held": Cause("settlement-export", "flock", ("lock_settlement_spool", "write_spool_file")),
    "sonic-anemometer-pydll-poll": Cause("anemometer-read", "gil", ("wait_for_sensor_frame", "read_sonic_anemometer")),
    "curtailment-bisect-float-floor": Cause("curtailment-plan", "busy",
                                            ("bisect_setpoint", "park_output", "plan_curtailment")),
    "healthy-scada-push-tcp-server": Cause("scada-push-server", "idle"),
    "healthy-alarm-feed-asyncio": Cause("alarm-feed", "idle"),
    "healthy-dispatch-order-watcher": Cause("dispatch-watch", "idle"),
    "healthy-work-order-consumers": Cause("workorder-consumers", "idle"),
    "healthy-metmast-udp-selectors": Cause("metmast-listener", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 2, 4, 9]),
        "beats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["lease", "scada-hb", "fleet-keepalive", "hb"]),
        "beat_every": rng.choice([0.5, 4.0, 25.0]),
        "flusher": rng.random() < 0.6,
        "flusher_name": rng.choice(["metrics", "influx-push", "statsd", f"Thread-{rng.randint(2, 40)}"]),
        "flush_every": rng.choice([1.0, 10.0, 60.0]),
        "idle_pool": rng.choice([0, 0, 1, 2, 3]),
        "idle_prefix": rng.choice(["", "scada-io", "blob-upload"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "turbines": rng.randint(3, 9),
        "park": rng.randint(1, 60),
        "rows": rng.randint(1, 3),
        "rtus": rng.randint(1, 4),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 80)}", "ops-job"]),
        "task_prefix": rng.choice(["", "jobs", "gust-job"]),
        "serve_poll": rng.choice([0.5, 1.0]),
        "watch_every": rng.choice([5.0, 30.0, 120.0]),
        "sweep_every": rng.choice([30.0, 120.0, 600.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/gustline/{release}/cp{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/windops/gustline-{release_nodots}-py{py}", "app"),
    "venv": ("var/lib/gustline/venvs/ops-{release}-{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind27",
    package=Package(HERE / "app" / "gustline", releases={"4.2.0": 0, "4.3.0": 29},  # 4.3.0: comment lines
                    scripts={"gustline-ops": "gustline.console", "gustline-cron": "gustline.cron"},
                    layout=LAYOUT, source_version="4.2.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"ops": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"ops": "gustline-ops", "runpy": "-m gustline", "cron": "gustline-cron"},
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
