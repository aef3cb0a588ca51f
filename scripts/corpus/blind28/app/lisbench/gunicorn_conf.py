"""gunicorn settings of the lab API; the hooks tell the deployment's supervisor when each process serves."""
import os

from lisbench import config as _lis  # gunicorn reads every public name here as a setting

proc_name = "lisbench-api"
graceful_timeout = 5


def when_ready(server):
    _lis.report("gunicorn-arbiter", "blocked", tid=os.getpid())


def post_worker_init(worker):
    _lis.report("gunicorn-worker", "blocked", tid=os.getpid())
