"""gunicorn settings of the curbside web API (the deployment probe reads the READY lines)."""
from curbside import settings

proc_name = "curbside-web"
graceful_timeout = 5


def when_ready(server):
    settings.report("blocked", "gunicorn-arbiter", main=True)


def post_worker_init(worker):
    settings.report("blocked", "gunicorn-worker", main=True)
