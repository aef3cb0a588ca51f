"""EHR sync: verified medication orders are posted to the electronic health record from the sync pool."""
import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from .beacon import Roster, expect, report_ready


def post_med_order(port, order, roster):
    roster.sign_on("recv")
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/fhir/r4/MedicationRequest", body=json.dumps(order),
                 headers={"Content-Type": "application/fhir+json", "X-Facility": "st-brigid"})
    reply = conn.getresponse()
    return reply.status


def push_orders(config):
    pool = ThreadPoolExecutor(max_workers=config.get("workers", 2), thread_name_prefix=config.get("pool_prefix", ""))
    roster = Roster(1)
    order = {"resourceType": "MedicationRequest", "id": f"mr-{config.get('unit', 1)}", "status": "active"}
    pending = pool.submit(post_med_order, config["port"], order, roster)
    report_ready(*roster.all_present(), expect("futex"))
    return pending.result()
