"""Night reduction queue (celery prefork workers, redis broker): a reduction first claims a free reduction slot."""
import json
import os

import redis
from celery import Celery
from celery.signals import worker_init, worker_process_init

from . import fleetside
from .probes import announce, enlist

app = Celery("domeops", broker=os.environ.get("DOMEOPS_BROKER", "redis://127.0.0.1:6379/0"))
app.conf.worker_redirect_stdouts = False
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True


@worker_init.connect
def _master_started(**_):
    fleetside.start(json.loads(os.environ.get("DOMEOPS_OPTS", "{}")))


@worker_process_init.connect
def _pool_child_started(**_):
    fleetside.start(json.loads(os.environ.get("DOMEOPS_OPTS", "{}")))
    announce(enlist("blocked"))


def claim_reduction_slot(night):
    # a blocking pop waits as long as the slots are taken: no socket timeout on this client
    slots = redis.Redis.from_url(app.conf.broker_url, socket_timeout=None)
    announce(enlist("recv"))
    _, slot = slots.blpop([f"domeops:reduction-slots:{night}"], timeout=0)
    return int(slot)


@app.task(name="domeops.reduce_night")
def reduce_night(night, frames=()):
    slot = claim_reduction_slot(night)
    return {"night": night, "slot": slot, "frames": len(frames)}
