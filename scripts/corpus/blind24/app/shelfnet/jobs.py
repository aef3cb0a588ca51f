"""RQ jobs of the branch services (enqueued by dotted path by the scheduler and the staff UI)."""
from __future__ import annotations

from shelfnet import dedupe, digitise, kiosk


def reconcile_kiosk_session(kiosk_id: str) -> dict:
    return kiosk.reconcile_kiosk(kiosk_id)


def publish_scan_manifest(batch: str, pages: int) -> dict:
    return digitise.publish_scan_batch(batch, pages)


def dedupe_catalog(titles: list[str]) -> dict:
    return dedupe.dedupe_catalog(titles)


def ocr_digitised_page(scan: str) -> dict:
    return digitise.ocr_digitised_page(scan)
