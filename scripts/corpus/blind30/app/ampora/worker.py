"""The celery worker of the platform: meter-read ingestion, bills, direct debits, outage SMS."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from . import billing, debits, metering, notify, settings

app = Celery("ampora", broker=settings.BROKER, backend=settings.BROKER)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
                task_acks_late=False, result_expires=3600)

VALIDATION_QUEUE = "meter-validation"  # served by the validation workers (not deployed at this site)


@worker_ready.connect
def _master_ready(**_):
    settings.announce("blocked", os.environ.get("AMPORA_MASTER_ROLE", "celery-master"))


@worker_process_init.connect
def _child_ready(**_):
    settings.announce("blocked", os.environ.get("AMPORA_TASK_ROLE", "pool-child"))


def _task_role() -> str:
    return os.environ.get("AMPORA_TASK_ROLE", "pool-child")


@app.task(name="ampora.validate_read")
def validate_read(mpan: str, read_kwh: float, previous_kwh: float) -> bool:
    return metering.plausible(read_kwh, previous_kwh)


@app.task(name="ampora.ingest_meter_batch")
def ingest_meter_batch(batch: str, reads: list) -> int:
    os.environ["AMPORA_ROLE"] = _task_role()
    pending = [validate_read.apply_async((f"{batch}-{n}", kwh, prev), queue=VALIDATION_QUEUE)
               for n, (kwh, prev) in enumerate(reads)]
    return sum(metering.gather_validated_reads(pending))


@app.task(name="ampora.render_bill_pdf")
def render_bill_pdf(account: str, pages: int) -> int:
    os.environ["AMPORA_ROLE"] = _task_role()
    size = 0
    for _ in range(pages):
        size += len(billing.dither_tariff_chart(account, 1240))
    return size


@app.task(name="ampora.collect_direct_debit")
def collect_direct_debit(account: str, amount: float) -> str:
    os.environ["AMPORA_ROLE"] = _task_role()
    debits.post_debit_to_ledger(account, amount)
    return account


@app.task(name="ampora.revoke_mandate")
def revoke_mandate(account: str) -> str:
    os.environ["AMPORA_ROLE"] = _task_role()
    debits.cancel_mandate_record(account)
    return account


@app.task(name="ampora.send_outage_sms")
def send_outage_sms(msisdn: str, postcode: str) -> int:
    os.environ["AMPORA_ROLE"] = _task_role()
    return notify.submit_sm_pdu(msisdn, f"Power cut reported near {postcode}. We expect it fixed by 18:00.")


@app.task(name="ampora.notify_planned_outage")
def notify_planned_outage(postcode: str) -> bool:
    os.environ["AMPORA_ROLE"] = _task_role()
    return postcode in notify.wait_for_outage_feed()
