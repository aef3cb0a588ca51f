"""gunicorn settings of the candidate-facing API."""
from invigil.ready import announce

accesslog = None
graceful_timeout = 5


def when_ready(server):
    announce("gunicorn-arbiter")


def post_worker_init(worker):
    announce("gunicorn-worker")
