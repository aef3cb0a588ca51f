"""How a gustline process runs a job: the process's standing threads (lease heartbeats, the metrics flusher, the
shared I/O pool), then the job itself inline, on a task thread, on the job executor or from the event loop."""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
import time

from gustline import alarms, dispatch, forecast, maintenance, metering, metmast, scada, services, substation, telemetry

log = logging.getLogger("gustline.runner")

MODES = ("inline", "threaded", "executor", "asyncio")

JOBS = {
    "scada-poll": scada.poll_turbine_registers,
    "dispatch-sync": dispatch.apply_grid_setpoints,
    "curtailment-plan": dispatch.plan_curtailment,
    "metmast-ingest": metmast.ingest_met_mast,
    "anemometer-read": metmast.read_sonic_anemometer,
    "substation-telemetry": substation.poll_substation_rtus,
    "alarm-sweep": alarms.sweep_alarms,
    "blade-lift": maintenance.supervise_blade_lift,
    "crane-booking": maintenance.schedule_crane_lifts,
    "meter-settlement": metering.run_settlement_period,
    "settlement-sign": metering.publish_settlement_files,
    "settlement-export": metering.export_settlement_files,
    "telemetry-relay": telemetry.rotate_telemetry_relay,
    "forecast-downscale": forecast.ingest_weather_forecast,
    "scada-push-server": services.serve_scada_push,
    "alarm-feed": services.serve_alarm_feed,
    "dispatch-watch": services.watch_dispatch_orders,
    "workorder-consumers": services.consume_work_orders,
    "metmast-listener": services.listen_met_masts,
}


class Lease:
    """Keeps this worker's lease with the fleet coordinator alive."""

    def __init__(self, name: str, every: float) -> None:
        self.every = every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.renew, name=name, daemon=True)

    def renew(self) -> None:
        renewals = 0
        while not self.stopped.wait(self.every):
            renewals += 1


def flush_metrics(every: float) -> None:
    counters: dict[str, int] = {}
    while True:
        time.sleep(every)
        counters.clear()


def _load_site_config(n: int) -> dict:
    return {"site": f"WF-{n:02d}", "timezone": "UTC"}


def start_standing_threads(opts: dict) -> list[object]:
    keep: list[object] = []
    # warm-up helpers that ran and finished before the job (they move the thread counters)
    for n in range(opts.get("spent", 0)):
        t = threading.Thread(target=_load_site_config, args=(n,))
        t.start()
        t.join()
    for n in range(opts.get("beats", 0)):
        lease = Lease(f"{opts.get('beat_name', 'lease')}-{n}", opts.get("beat_every", 5.0))
        lease.thread.start()
        keep.append(lease)
    if opts.get("flusher"):
        t = threading.Thread(target=flush_metrics, args=(opts.get("flush_every", 10.0),),
                             name=opts.get("flusher_name") or None, daemon=True)
        t.start()
        keep.append(t)
    if opts.get("idle_pool"):
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=opts["idle_pool"],
                                                     thread_name_prefix=opts.get("idle_prefix", ""))
        for f in [pool.submit(time.sleep, 0.05) for _ in range(opts["idle_pool"])]:
            f.result()
        keep.append(pool)
    return keep


def housekeeping() -> None:
    log.info("housekeeping")


async def _from_loop(fn, opts: dict):
    if inspect.iscoroutinefunction(fn):
        return await fn(opts)
    return fn(opts)


def _call(fn, opts: dict):
    if inspect.iscoroutinefunction(fn):
        return asyncio.run(fn(opts))
    return fn(opts)


def run(job: str, mode: str, opts: dict):
    fn = JOBS[job]
    standing = start_standing_threads(opts)
    log.info("job %s (%s), %d standing threads", job, mode, len(standing))
    if mode == "inline":
        return _call(fn, opts)
    if mode == "threaded":
        result = []

        def run_task():
            result.append(_call(fn, opts))

        task = threading.Thread(target=run_task, name=opts.get("task_thread") or None)
        task.start()
        task.join()
        return result[0] if result else None
    if mode == "executor":
        with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=opts.get("task_prefix", "")) as ex:
            future = ex.submit(_call, fn, opts)
            for _ in range(opts.get("queued", 0)):
                ex.submit(housekeeping)
            return future.result()
    return asyncio.run(_from_loop(fn, opts))
