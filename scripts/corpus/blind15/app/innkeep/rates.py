"""Rate plans: the revenue-management system's nightly rate sheet, pulled over HTTP."""
from __future__ import annotations

import json
import logging
import urllib.request

from innkeep import readiness

log = logging.getLogger("innkeep.rates")


def pull_rate_sheet(base_url: str, hotel: str, horizon_days: int) -> dict:
    url = f"{base_url}/v2/rate-plans?hotel={hotel}&days={horizon_days}"
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "innkeep/7"})
    readiness.check_in("recv")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def refresh_rate_plans(options: dict) -> None:
    readiness.expect(1)
    sheet = pull_rate_sheet(f"http://127.0.0.1:{options['port']}", f"LRC{options.get('property', 17):04d}", 365)
    log.info("rate sheet with %d plans", len(sheet.get("plans", [])))
