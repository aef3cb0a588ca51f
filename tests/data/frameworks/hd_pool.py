"""A celery application with forensics.integrations.celery installed: a CPU-bound, an IO-bound and a hanging
task. The broker is the redis-server the test starts (HD_BROKER)."""
import os
import threading
import time

from celery import Celery

from forensics.integrations import celery as hangdump_celery

app = Celery("hd_pool", broker=os.environ.get("HD_BROKER", "redis://127.0.0.1:6379/0"))
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True
hangdump_celery.install(app)


@app.task
def spin(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


@app.task
def nap(seconds):
    time.sleep(seconds)


@app.task
def hang():
    threading.Event().wait()  # no timeout: waits for a set() that never comes


@app.task
def noop():
    return None
