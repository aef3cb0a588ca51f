"""Every job a lendwell worker runs, by the name the scheduler gives it."""
from __future__ import annotations

from lendwell import (
    catalog,
    circulation,
    closings,
    fines,
    gates,
    interlibrary,
    inventory,
    marc,
    notices,
    returns,
    selfcheck,
    services,
)

JOBS = {
    "desk-checkout": circulation.checkout_at_desk,
    "kiosk-status": selfcheck.poll_kiosks,
    "ill-submit": interlibrary.send_ill_batch,
    "hold-notices": notices.announce_holds,
    "reindex": catalog.reindex_catalog,
    "refresh-catalog": catalog.refresh_catalog,
    "marc-import": marc.import_marc_records,
    "marc-export": marc.export_marc,
    "gate-watch": gates.watch_gates,
    "fine-totals": fines.settle_fines,
    "fine-recalc": fines.nightly_fines,
    "inventory": inventory.inventory_scan,
    "check-in": returns.check_in_returns,
    "due-dates": closings.compute_due_dates,
    "circ-pool": services.serve_circulation_pool,
    "sip-gateway": services.serve_sip_gateway,
    "opac": services.serve_opac,
    "housekeeping": services.housekeeping,
    "notice-queue": notices.serve_notices,
}
