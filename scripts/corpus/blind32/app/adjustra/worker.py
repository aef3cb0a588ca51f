"""The celery app: `celery -A adjustra.worker worker`."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from adjustra import catastrophe, fraud, imaging, letters, reserves
from adjustra.ops import broker_url, report

app = Celery("adjustra", broker=broker_url(), backend=broker_url())
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)


@worker_process_init.connect
def _child_up(**_):
    report("blocked", os.environ.get("ADJUSTRA_TASK_ROLE", "pool-child"))


@worker_ready.connect
def _master_up(**_):
    report("blocked", os.environ.get("ADJUSTRA_MASTER_ROLE", "celery-master"))


@app.task(name="claims.assess_photos")
def assess_photos(claim_id, photos):
    return imaging.assess_photo_damage(claim_id, photos)


@app.task(name="claims.lookup_prior_claims")
def lookup_prior_claims(insured_id):
    return [insured_id]


@app.task(name="claims.score_fraud")
def score_fraud(claim_id, insured_id):
    prior = lookup_prior_claims.apply_async((insured_id,), queue="fraud-graph")
    return {"claim": claim_id, "prior": fraud.await_prior_claims(prior)}


@app.task(name="claims.calculate_reserve")
def calculate_reserve(claim_id, line_of_business, incurred):
    return reserves.calculate_reserve(claim_id, line_of_business, incurred)


@app.task(name="claims.send_subrogation_letter")
def send_subrogation_letter(claim_id, carrier):
    return letters.deliver_demand_letter(claim_id, carrier)


@app.task(name="cat.triage_event")
def triage_cat_event(event_id, region):
    return catastrophe.route_claims_to_region(event_id, region)


@app.task(name="cat.freeze_policy_book")
def freeze_policy_book(event_id):
    return catastrophe.lock_policy_book(event_id)
