"""Season pass renewals (card charges through the payment gateway, a few at a time) and the renewal
reminder scheduler."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from piste import readiness

# the gateway contract allows three concurrent authorizations per merchant
_GATEWAY_SLOTS = threading.BoundedSemaphore(3)


@dataclass
class Renewal:
    holder: str
    card_expiry: str
    amount: int
    status: str = "pending"


@dataclass
class Authorization:
    approved: bool
    code: str


def _authorize(renewal: Renewal) -> Authorization:
    if renewal.card_expiry < "2026-12":
        return Authorization(False, "54-expired-card")
    return Authorization(True, f"A{abs(hash(renewal.holder)) % 99999:05d}")


def charge_renewal(renewal: Renewal) -> Authorization:
    _GATEWAY_SLOTS.acquire()
    auth = _authorize(renewal)
    if not auth.approved:
        renewal.status = "declined"
        return auth
    try:
        renewal.status = "renewed"
        return auth
    finally:
        _GATEWAY_SLOTS.release()


def _batch(opts: dict) -> list[Renewal]:
    unit = int(opts.get("unit", 1))
    expired = [Renewal(f"holder-{unit}-{n}", "2025-04", 899) for n in range(3)]
    fine = [Renewal(f"holder-{unit}-x{n}", "2028-01", 899) for n in range(2 + int(opts.get("queued", 0)))]
    return expired + fine


def renew_season_passes(opts: dict) -> int:
    batch = _batch(opts)
    waiters = int(opts.get("waiters", 0))
    readiness.expect(1 + waiters)
    renewed = 0
    for n, renewal in enumerate(batch):
        if n == 3:  # the gateway slots are all gone by now
            for w in range(waiters):  # web-shop renewals sharing the gateway
                threading.Thread(target=_web_renewal, args=(Renewal(f"web-{w}", "2029-02", 949),),
                                 name=f"webshop-{w}", daemon=True).start()
            readiness.parked("futex")
        renewed += charge_renewal(renewal).approved
    return renewed


def _web_renewal(renewal: Renewal) -> None:
    readiness.parked("futex")
    charge_renewal(renewal)


def _sweep_reminders(due: list[str]) -> int:
    sent = len(due)
    due.clear()
    return sent


def run_reminder_scheduler(opts: dict) -> None:
    stop = threading.Event()
    due: list[str] = []
    readiness.expect(1)
    readiness.parked("futex")
    while not stop.wait(float(opts.get("sweep_every", 300.0))):
        _sweep_reminders(due)
