"""gunicorn settings of the depot API: tell the probe when the arbiter and each worker are up."""
from parcelhub.runtime import announce


def when_ready(server):
    announce("gunicorn-arbiter", "blocked")


def post_worker_init(worker):
    announce("gunicorn-worker", "blocked")
