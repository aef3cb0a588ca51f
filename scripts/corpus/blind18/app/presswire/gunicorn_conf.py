"""gunicorn settings of the newsdesk API (the command line gives bind, workers and the worker class)."""
import os

from presswire.ready import ROLE_ENV, announce

graceful_timeout = 5
accesslog = None


def when_ready(server):
    announce("blocked", role="gunicorn-arbiter")


def post_worker_init(worker):
    os.environ[ROLE_ENV] = "gunicorn-worker"
    announce("blocked")
