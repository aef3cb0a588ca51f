"""A celery application whose tasks hang the way real ones do: an HTTP call to a service that never answers, no
timeout; a request retried with a timeout on each try and no deadline; a task waiting for the results of subtasks sent to a queue no worker consumes. The broker (and the result
backend) is the redis-server the test starts (HD_BROKER)."""
import os
import socket
import time
import urllib.request

from celery import Celery, group

BROKER = os.environ.get("HD_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("hd_tasks", broker=BROKER, backend=BROKER)
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True


@app.task
def sync_invoices(url):
    with urllib.request.urlopen(url) as resp:  # no timeout: waits as long as the service says nothing
        return len(resp.read())


@app.task
def push_meter_reads(port):
    while True:  # a timeout on each try, none on the whole: retries for as long as the service says nothing
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
                conn.sendall(b"READS\r\n")
                if conn.recv(4096):
                    return True
        except OSError:
            pass
        time.sleep(0.2)


@app.task
def render_one(size):
    return size


@app.task
def rebuild_renditions(sizes):
    renders = group(render_one.s(size).set(queue="gpu-renditions") for size in sizes).apply_async()
    return renders.get(disable_sync_subtasks=False)  # no worker consumes gpu-renditions: waits forever


@app.task
def rebuild_cover(size):
    cover = render_one.s(size).set(queue="gpu-renditions").apply_async()
    return cover.get(disable_sync_subtasks=False)  # one subtask's AsyncResult.get(): the same wait, forever
