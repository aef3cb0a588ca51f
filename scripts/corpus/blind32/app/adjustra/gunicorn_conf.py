"""gunicorn settings of the claims desk (`-c python:adjustra.gunicorn_conf`)."""
from adjustra.ops import report

proc_name = "adjustra-desk"
graceful_timeout = 5


def when_ready(server):
    report("blocked", "gunicorn-arbiter")


def post_worker_init(worker):
    report("blocked", "gunicorn-worker")
