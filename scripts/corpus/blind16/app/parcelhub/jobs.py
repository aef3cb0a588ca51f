"""RQ jobs: invoicing and van load planning."""
from __future__ import annotations

from parcelhub import carriers, dispatch

ROLE = "rq-horse"


def push_invoice(account, lines):
    return carriers.post_invoice(account, lines, ROLE)


def plan_load(boxes):
    return dispatch.plan_van_load(boxes, ROLE)
