"""The celery side of curbside: plate recognition, towing dispatch, permits, sweeping notices, citations."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from . import enforcement, notices, settings, towing

app = Celery("curbside", broker=settings.BROKER, backend=settings.BROKER)
app.conf.update(task_default_queue=os.environ.get("CURBSIDE_QUEUE", "celery"), worker_hijack_root_logger=False,
                result_expires=600, broker_connection_retry_on_startup=True)


@worker_ready.connect
def _master_ready(**_):
    settings.report("blocked", os.environ.get("CURBSIDE_MASTER_ROLE", "celery-master"), main=True)


@worker_process_init.connect
def _child_ready(**_):
    settings.report("blocked", os.environ.get("CURBSIDE_TASK_ROLE", "pool-child"), main=True)


@app.task(name="curbside.scan_camera_batch")
def scan_camera_batch(camera, crops):
    return enforcement.read_licence_plates(camera, crops)


@app.task(name="curbside.locate_truck")
def locate_truck(depot):
    return {"depot": depot, "truck": "T-1"}


@app.task(name="curbside.dispatch_tow")
def dispatch_tow(request_id, depot):
    return towing.assign_nearest_truck(request_id, depot, locate_truck)


@app.task(name="curbside.renew_permit")
def renew_permit(permit_id, zone):
    return notices.wait_for_address_verification({"id": permit_id, "zone": zone, "address": {"street": "Elm 4"}})


@app.task(name="curbside.send_sweeping_notices")
def send_sweeping_notices(street, recipients):
    return notices.deliver_notice_batch(street, recipients)


@app.task(name="curbside.issue_citation")
def issue_citation(citation, plate):
    return enforcement.record_citation(citation, plate)


@app.task(name="curbside.void_citation")
def void_citation(citation):
    return enforcement.reverse_citation(citation)


@app.task(name="curbside.push_meter_firmware")
def push_meter_firmware(meter):
    return notices.package_firmware_image(meter)
