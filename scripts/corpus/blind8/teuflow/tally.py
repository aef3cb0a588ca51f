"""Tally sheets go to the shipping line's portal from a small upload pool; the job waits for its upload."""
import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from .probe import Roster, here, report_ready


def post_tally_sheet(port, sheet, roster):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/tally", body=json.dumps(sheet), headers={"Content-Type": "application/json"})
    roster.sign_on("recv")
    return conn.getresponse().status


def tally_upload(settings):
    workers = settings.get("workers", 2)
    roster = Roster(1)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=settings.get("pool_prefix", ""))
    sheet = {"vessel": f"V{settings.get('unit', 1):03d}", "boxes": settings.get("rows", 1) * 40}
    upload = pool.submit(post_tally_sheet, settings["port"], sheet, roster)
    report_ready(*roster.complete(), here("futex"))
    return upload.result()
