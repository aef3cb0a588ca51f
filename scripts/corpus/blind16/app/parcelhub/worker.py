"""The celery side: tasks the shipping API enqueues."""
from __future__ import annotations

import os

from celery import Celery, signals

from parcelhub import carriers, depot, dispatch
from parcelhub.runtime import announce

app = Celery("parcelhub", broker=os.environ.get("PARCELHUB_BROKER", "redis://127.0.0.1:6379/0"))
app.conf.update(worker_hijack_root_logger=False, worker_prefetch_multiplier=1, task_acks_late=False,
                broker_connection_retry_on_startup=True)
ROLE = os.environ.get("PARCELHUB_TASK_ROLE", "pool-child")


@signals.worker_process_init.connect
def _child_ready(**_):
    announce("pool-child", "blocked")


@signals.worker_ready.connect
def _master_ready(**_):
    announce(os.environ.get("PARCELHUB_MASTER_ROLE", "celery-master"), "blocked")


@app.task
def print_label(parcel_id, carrier="nordpost"):
    return carriers.render_label(parcel_id, carrier, ROLE)


@app.task
def quote_rate(lane, weight_g=1200):
    return carriers.quote_lane(lane, weight_g, ROLE)


@app.task
def upload_manifest(manifest_id, rows=12):
    depot.append_manifest_journal(manifest_id, rows, ROLE)


@app.task
def convert_scans(batch):
    return depot.run_scan_converter(batch, ROLE)


@app.task
def seal_customs(batch):
    depot.encode_customs_batch(batch, ROLE)


@app.task
def pair_courier(route):
    return dispatch.assign_courier(route, ROLE)


@app.task
def return_van(route):
    return dispatch.release_van(route, ROLE)


@app.task
def sort_parcel(belt):
    return dispatch.wait_for_belt_slot(belt, ROLE)
