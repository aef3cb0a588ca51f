"""Bystander threads every hivewatch agent runs."""
import threading
import time


def _beat(interval):
    while True:
        time.sleep(interval)


def _flush_metrics(stop, interval):
    while not stop.wait(interval):
        pass


def _standby(ev):
    while not ev.wait(45.0):
        pass


def start_bystanders(opts):
    for n in range(opts.get("spent_threads", 0)):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    for n in range(opts.get("heartbeats", 0)):
        threading.Thread(target=_beat, args=(opts.get("heartbeat_interval", 2.0),),
                         name=f"{opts.get('heartbeat_name', 'beat')}-{n}", daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(threading.Event(), opts.get("metrics_interval", 10.0)),
                         name=opts.get("metrics_name", "metrics"), daemon=True).start()
    ev = threading.Event()
    for n in range(opts.get("standby", 0)):
        threading.Thread(target=_standby, args=(ev,), name=f"standby-{n + 1}", daemon=True).start()
