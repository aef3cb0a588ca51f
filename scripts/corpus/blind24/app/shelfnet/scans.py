"""Digitisation: OCR of scanned pages, each page deskewed first, on a shared thread pool."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from shelfnet import config

OCR_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ocr")


def deskew(page: str) -> str:
    return page.strip().replace("\t", " ")


def load_page_image(page: str) -> str:
    time.sleep(0.05)  # the scans sit on the digitisation NAS
    return page


def ocr_page(page: str) -> str:
    page = load_page_image(page)
    # the deskew step is sent to the same pool the page runs on: with every worker on a page, it never starts
    return OCR_POOL.submit(deskew, page).result().upper()


def collect_ocr_results(batch_id: str, pages: list[str]) -> list[str]:
    futures = [OCR_POOL.submit(ocr_page, p) for p in pages]
    config.announce("futex")
    return [f.result() for f in futures]


def ocr_scan_batch(batch_id: str, pages: list[str]) -> dict:
    text = collect_ocr_results(batch_id, pages)
    return {"batch": batch_id, "pages": len(text), "chars": sum(map(len, text))}
