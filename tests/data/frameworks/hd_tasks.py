"""A celery application whose task hangs the way real ones do: an HTTP call to a service that never answers, no
timeout. The broker is the redis-server the test starts (HD_BROKER)."""
import os
import urllib.request

from celery import Celery

app = Celery("hd_tasks", broker=os.environ.get("HD_BROKER", "redis://127.0.0.1:6379/0"))
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True


@app.task
def sync_invoices(url):
    with urllib.request.urlopen(url) as resp:  # no timeout: waits as long as the service says nothing
        return len(resp.read())
