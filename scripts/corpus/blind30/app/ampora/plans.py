"""Payment plans for customers in arrears."""
from __future__ import annotations

from . import settings


def amortise_balance(balance_pence: int, monthly_rate: float, instalment_pence: int) -> list[int]:
    """The instalment schedule; interest rounds up, so a small instalment never clears the balance."""
    schedule = []
    remaining = balance_pence
    settings.announce("running")
    while remaining > 0:
        interest = int(remaining * monthly_rate + 0.999)
        remaining = remaining + interest - instalment_pence
        if len(schedule) < 600:
            schedule.append(remaining)
    return schedule
