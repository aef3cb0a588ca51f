"""gunicorn settings of the front-of-house tier: tell the deploy supervisor when the arbiter and each worker
are up."""
from brigade import announce

graceful_timeout = 5


def when_ready(server):
    announce("blocked", "gunicorn-arbiter")


def post_worker_init(worker):
    announce("blocked", "gunicorn-worker")
