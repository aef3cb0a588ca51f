"""The task table: each named task of the billing/meter-reading backend, as the worker runs it."""
import queue
import threading
import time

from meterflow import fleet, gateway, ledger, meterbus, readings, services, spool, tariffs


def _tracked(entries, fn, *args):
    entries.append(fleet.me("blocked"))
    fn(*args)


def _spawn(name, entries, fn, *args):
    t = threading.Thread(target=_tracked, args=(entries, fn, *args), name=name, daemon=True)
    t.start()
    return t


def _wait_for(entries, n):
    while len(entries) < n:
        time.sleep(0.01)
    fleet.announce(*entries)


def reprice_run(opts):
    barrier = threading.Barrier(2)
    entries = []
    account = {"id": opts.get("account", 7)}
    threads = [_spawn("reprice", entries, tariffs.reprice_account, account, barrier),
               _spawn("period-close", entries, ledger.close_billing_period, account, barrier)]
    _wait_for(entries, 2)
    for t in threads:
        t.join()


def poll_concentrator(opts):
    link = meterbus.ConcentratorLink(opts["port"])
    fleet.announce(fleet.me("blocked"))
    link.read_meter_frame()


def latch_meter(opts):
    fleet.announce(fleet.me("blocked"))
    meterbus.latch_register(3600)


def settle_payments(opts):
    fleet.announce(fleet.me("blocked"))
    gateway.post_payment_batch(opts["port"], [{"account": 1, "cents": 4210}])


def stream_readings(opts):
    fleet.announce(fleet.me("blocked"))
    gateway.push_reading_event(opts["port"], {"meter": "W-1", "m3": 12.5})


def write_invoices(opts):
    fleet.announce(fleet.me("blocked"))
    spool.lock_invoice_spool(opts["lock_path"])


def render_invoices(opts):
    fleet.announce(fleet.me("blocked"))
    spool.render_invoice_pdf(opts.get("account", 7))


def ingest_readings(opts):
    inbox = queue.Queue()
    entries = []
    for n in range(opts.get("waiters", 0)):
        _spawn(f"ingest-{n}", entries, readings.next_reading_batch, inbox)
    _wait_for(entries, opts.get("waiters", 0))
    fleet.announce(fleet.me("blocked"))
    readings.next_reading_batch(inbox)


def estimate_missed(opts):
    req = readings.EstimateRequest()
    threading.Thread(target=req.estimate, args=([],), name="estimator").start()
    fleet.announce(fleet.me("blocked"))
    req.await_estimate()


def total_routes(opts):
    readings.collect_route_totals(range(1 + opts.get("queued", 0)), opts.get("waiters", 0))


def import_routes(opts):
    readings.finish_route_import()


def reconcile(opts):
    fleet.announce(fleet.me("running"))
    readings.reconcile_usage([3, 1, 4])


def rotate_audit(opts):
    readings.rotate_audit_log()


def api(opts):
    services.serve_readings_api()


def shutdown_wait(opts):
    services.wait_for_shutdown(opts.get("listeners", 2))


def dispatcher(opts):
    services.run_dispatcher()


def billing_pool(opts):
    services.idle_billing_pool(opts.get("workers", 2), opts.get("processes", False))


def event_loop(opts):
    services.run_event_loop()


TASKS = {
    "reprice": reprice_run, "poll-concentrator": poll_concentrator, "latch-meter": latch_meter,
    "settle-payments": settle_payments, "stream-readings": stream_readings, "write-invoices": write_invoices,
    "render-invoices": render_invoices, "ingest-readings": ingest_readings, "estimate-missed": estimate_missed,
    "total-routes": total_routes, "import-routes": import_routes, "reconcile": reconcile,
    "rotate-audit": rotate_audit, "api": api, "shutdown-wait": shutdown_wait, "dispatcher": dispatcher,
    "billing-pool": billing_pool, "event-loop": event_loop,
}
