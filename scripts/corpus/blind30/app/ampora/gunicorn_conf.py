"""gunicorn settings of the customer API (the command line sets workers, worker class, bind, timeouts)."""
import os

from ampora import settings

proc_name = "ampora-api"
graceful_timeout = 5
loglevel = "warning"


def when_ready(server):
    settings.announce("blocked", "gunicorn-arbiter")


def post_worker_init(worker):
    os.environ["AMPORA_ROLE"] = "gunicorn-worker"
    settings.announce("blocked", "gunicorn-worker")
