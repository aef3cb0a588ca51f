"""RQ jobs: meter reads from the head-end, switching, tariff publication, payment plans."""
from __future__ import annotations

from . import metering, plans, switching


def poll_head_end(mpan: str, day: str) -> int:
    return len(metering.request_interval_reads(mpan, day))


def process_move_in(mpan: str, tenant: str) -> bool:
    hold = switching.read_credit_hold(mpan)
    return hold is None


def estimate_move_out_read(mpan: str, reads: list) -> int:
    return switching.estimate_final_read(mpan, reads)


def publish_tariff_sheet(supplier: str, region: str) -> str:
    ftp = switching.open_tariff_drop(supplier)
    ftp.quit()
    return region


def build_payment_plan(account: str, balance_pence: int, instalment_pence: int) -> int:
    return len(plans.amortise_balance(balance_pence, 0.02, instalment_pence))
