"""Dynamic lift ticket pricing: tomorrow's prices from the yield model, computed in a process pool."""
from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import dataclass

from piste import readiness

_model: dict = {}


@dataclass
class Day:
    date: str
    forecast_cm: int
    occupancy: float


def _load_yield_model(path: str) -> None:
    with open(path) as fh:  # each pool worker loads the model once
        _model.update(json.load(fh))


def price_lift_day(day: Day) -> int:
    base = _model.get("base", 109)
    return round(base * (1 + 0.4 * day.occupancy) + _model.get("powder_bonus", 1.5) * day.forecast_cm)


def quote_lift_day(pool, day: Day) -> int:
    return pool.apply(price_lift_day, (day,))


def publish_day_prices(opts: dict) -> dict[str, int]:
    model_path = os.path.join(os.environ.get("PISTE_MODELS", "/var/lib/piste/models"), "yield-2026.json")
    days = [Day(f"2026-12-{4 + k:02d}", 10 + k, 0.6) for k in range(1 + int(opts.get("queued", 0)))]
    readiness.expect(1)
    with multiprocessing.Pool(processes=int(opts.get("workers", 2)), initializer=_load_yield_model,
                              initargs=(model_path,)) as pool:
        prices = {}
        for day in days:
            readiness.parked("futex")
            prices[day.date] = quote_lift_day(pool, day)
        return prices
