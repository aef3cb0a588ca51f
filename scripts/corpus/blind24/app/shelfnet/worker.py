"""The celery worker of the consortium's background jobs (broker and results: the consortium's redis)."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from shelfnet import catalog, config, drm, fines, ill, scans

app = Celery("shelfnet", broker=config.BROKER, backend=config.BROKER)
app.conf.update(worker_prefetch_multiplier=1, task_acks_late=False, result_expires=3600,
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)


@worker_process_init.connect
def _pool_child_up(**_: object) -> None:
    config.announce("blocked", os.environ.get("SHELFNET_TASK_ROLE", "pool-child"))


@worker_ready.connect
def _worker_up(**_: object) -> None:
    config.announce("blocked", os.environ.get("SHELFNET_MASTER_ROLE", "celery-master"))


@app.task(name="shelfnet.ill.request")
def request_interlibrary_loan(request_id: str, partner: str, titles: list[str]) -> dict:
    return ill.submit_ill_request(request_id, partner, titles)


@app.task(name="shelfnet.drm.activate")
def activate_drm_licence(loan_id: str, vendor: str) -> dict:
    return drm.activate_ebook_licence(loan_id, vendor)


@app.task(name="shelfnet.scans.ocr_batch")
def ocr_scan_batch(batch_id: str, pages: list[str]) -> dict:
    return scans.ocr_scan_batch(batch_id, pages)


@app.task(name="shelfnet.fines.pay")
def post_fine_payment(patron: str, amount: str) -> dict:
    return fines.post_fine_payment(patron, amount)


@app.task(name="shelfnet.catalog.sync_marc")
def sync_marc_batch(batch: str, records: list[str]) -> dict:
    return catalog.sync_marc_batch(batch, records)
