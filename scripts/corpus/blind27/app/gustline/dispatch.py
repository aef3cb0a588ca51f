"""Grid dispatch: active-power setpoints from the system operator, and the park's curtailment plan."""
from __future__ import annotations

import http.client
import json
import logging
import urllib.request

from gustline import notify

log = logging.getLogger("gustline.dispatch")

RATED_W = 3_450_000.0  # per turbine


def fetch_dispatch_setpoint(opts: dict, park: str) -> dict:
    """The operator's current setpoint for `park` (its dispatch API answers within a second, normally)."""
    path = f"/dispatch/v2/parks/{park}/setpoint"
    notify.arrive("recv")
    if opts.get("client") == "urllib":
        with urllib.request.urlopen(f"http://127.0.0.1:{opts['port']}{path}") as resp:
            return json.loads(resp.read())
    conn = http.client.HTTPConnection("127.0.0.1", opts["port"])
    try:
        conn.request("GET", path, headers={"Accept": "application/json", "X-Park": park})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"dispatch API {resp.status}")
        return json.loads(resp.read())
    finally:
        conn.close()


def apply_grid_setpoints(opts: dict) -> list[dict]:
    applied = []
    for n in range(opts.get("parks", 1)):
        park = f"WF-{opts.get('park', 1) + n:02d}"
        setpoint = fetch_dispatch_setpoint(opts, park)
        applied.append({"park": park, "limit_w": setpoint.get("limit_w")})
    return applied


def park_output(setpoint_w: float, shares: list[float]) -> float:
    """What the park delivers when the park controller is given `setpoint_w` (each turbine capped at rated)."""
    return sum(min(RATED_W, setpoint_w * share) for share in shares)


def bisect_setpoint(target_w: float, shares: list[float], lo: float, hi: float, tol_w: float = 1e-10) -> float:
    """The smallest park setpoint that still delivers target_w."""
    while hi - lo > tol_w:
        mid = (lo + hi) / 2
        if park_output(mid, shares) < target_w:
            lo = mid
        else:
            hi = mid
    return hi


def plan_curtailment(opts: dict) -> dict:
    """The setpoint to give the park controller so the export stays at the operator's curtailment limit."""
    turbines = opts.get("turbines", 4) + 8
    shares = [1.0 / turbines * (1.0 + 0.01 * (n % 5)) for n in range(turbines)]
    limit_w = 0.63 * RATED_W * turbines
    notify.arrive("running")
    setpoint = bisect_setpoint(limit_w, shares, 0.0, 2 * RATED_W * turbines)
    return {"limit_w": limit_w, "setpoint_w": setpoint}
