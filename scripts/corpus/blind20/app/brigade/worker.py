"""The celery app of the kitchen tier."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from brigade import announce, kitchen

BROKER = os.environ.get("BRIGADE_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("brigade", broker=BROKER, backend=BROKER)
app.conf.update(broker_connection_retry_on_startup=True, task_acks_late=False, worker_hijack_root_logger=False,
                result_expires=3600)


@worker_ready.connect
def _master_up(sender=None, **kwargs):
    announce("blocked", os.environ.get("BRIGADE_MASTER_ROLE", "celery-master"))


@worker_process_init.connect
def _child_up(**kwargs):
    announce("blocked", "pool-child")


@app.task(name="brigade.thumbnail_menu_photo")
def thumbnail_menu_photo(photo):
    return kitchen.render_menu_thumbnail(photo)


@app.task(name="brigade.post_points")
def post_points(order_id, points):
    return points


@app.task(name="brigade.settle_loyalty")
def settle_loyalty(order_id):
    return kitchen.await_loyalty_balance(order_id, post_points)


@app.task(name="brigade.print_receipts")
def print_receipts(batch):
    return kitchen.spool_receipt_batch(batch)


@app.task(name="brigade.count_inventory")
def count_inventory(store):
    return kitchen.wait_for_stock_snapshot(store)


@app.task(name="brigade.fire_ticket")
def fire_ticket(ticket):
    return kitchen.hold_grill_station(ticket)


@app.task(name="brigade.recall_ticket")
def recall_ticket(ticket):
    return kitchen.hold_ticket_rail(ticket)


@app.task(name="brigade.export_payroll")
def export_payroll(week):
    from brigade import backoffice

    return backoffice.export_shift_hours(week)
