"""Runs one job in this worker process: the service threads every worker has (heartbeats to the property
management system, the metrics flusher, the shared I/O pool), then the job itself inline, in a task thread or
on the job executor."""
from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import json
import logging
import threading
import time

from innkeep import readiness

log = logging.getLogger("innkeep.runner")

JOBS = {  # job name -> "module:function"; every job takes the options dict
    "ota-sync": "innkeep.channel:run_ota_sync",
    "ota-push": "innkeep.channel:run_ota_push",
    "rate-pull": "innkeep.rates:refresh_rate_plans",
    "mail-receipts": "innkeep.folios:mail_receipts",
    "checkout-batch": "innkeep.folios:checkout_batch",
    "seal-folios": "innkeep.folios:seal_day_folios",
    "encode-keys": "innkeep.keycards:encode_arrivals",
    "card-swipe": "innkeep.keycards:issue_walk_in_key",
    "turndown": "innkeep.housekeeping:release_inspected_rooms",
    "hk-scheduler": "innkeep.housekeeping:run_scheduler",
    "minibar-post": "innkeep.minibar:post_charges",
    "minibar-restock": "innkeep.minibar:plan_restock",
    "revenue-totals": "innkeep.night_audit:close_day",
    "night-audit": "innkeep.night_audit:run_night_audit",
    "points-flush": "innkeep.loyalty:flush_stay_points",
    "frontdesk": "innkeep.frontdesk:serve_frontdesk",
    "guest-portal": "innkeep.frontdesk:serve_guest_portal",
    "folio-consumers": "innkeep.frontdesk:run_folio_consumers",
    "laundry-pool": "innkeep.laundry:run_laundry_service",
}


def parse_args(argv, prog):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--mode", choices=["inline", "threaded", "executor"], default="inline")
    parser.add_argument("--opts", dest="options", type=json.loads, default={})
    return parser.parse_args(argv)


def load_job(name):
    module, func = JOBS[name].split(":")
    return getattr(importlib.import_module(module), func)


_stop = threading.Event()


def _heartbeat(every: float) -> None:
    readiness.check_in("futex")
    while not _stop.wait(every):
        log.debug("heartbeat")


def _flush_metrics(every: float) -> None:
    readiness.check_in("wait")
    while True:
        time.sleep(every)
        log.debug("metrics flushed")


def _warm(barrier: threading.Barrier) -> None:
    barrier.wait(timeout=10)


def start_service_threads(options: dict):
    """Heartbeats, the metrics flusher and the shared I/O pool; spent setup threads before them."""
    for _ in range(options.get("spent", 0)):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    beats = options.get("heartbeats", 0)
    metrics = bool(options.get("metrics"))
    readiness.bystanders(beats + metrics)
    for n in range(beats):
        name = options.get("beat_name", "heartbeat") + (f"-{n}" if beats > 1 else "")
        threading.Thread(target=_heartbeat, args=(options.get("beat_every", 5.0),), name=name, daemon=True).start()
    if metrics:
        threading.Thread(target=_flush_metrics, args=(options.get("metrics_every", 10.0),),
                         name=options.get("metrics_name", "metrics"), daemon=True).start()
    pool = None
    size = options.get("io_pool", 0)
    if size:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix=options.get("io_prefix", ""))
        barrier = threading.Barrier(size)
        for f in [pool.submit(_warm, barrier) for _ in range(size)]:
            f.result()
    readiness.wait_for_bystanders()
    return pool


def run_job(name: str, mode: str, options: dict) -> int:
    job = load_job(name)
    pool = start_service_threads(options)
    try:
        if mode == "inline":
            job(options)
        elif mode == "threaded":
            readiness.bystanders(1)
            task = threading.Thread(target=job, args=(options,), name=options.get("task_thread") or None)
            readiness.check_in("futex")
            task.start()
            task.join()
        else:
            readiness.bystanders(1)
            with concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                       thread_name_prefix=options.get("task_prefix", "")) as jobs:
                readiness.check_in("futex")
                future = jobs.submit(job, options)
                future.result()
    finally:
        _stop.set()
        if pool is not None:
            pool.shutdown(wait=False)
    return 0
