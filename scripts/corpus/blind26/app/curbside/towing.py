"""Towing dispatch: the nearest truck comes from the GPS service's own celery queue."""
from __future__ import annotations

from . import settings


def assign_nearest_truck(request_id: str, depot: str, locate_truck) -> dict:
    # the GPS workers consume "tow-gps"; none is deployed in this cell, and no timeout is given
    pending = locate_truck.apply_async((depot,), queue="tow-gps")
    settings.report("blocked")
    truck = pending.get(disable_sync_subtasks=False)
    return {"request": request_id, **truck}
