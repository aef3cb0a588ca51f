"""gunicorn settings of the operator API: `gunicorn -c python:domeops.gunicorn_conf domeops.webapi:app`."""
import json
import os

from domeops import fleetside
from domeops.probes import announce, enlist

worker_class = "sync"
timeout = 3600
graceful_timeout = 5


def when_ready(server):
    fleetside.start(json.loads(os.environ.get("DOMEOPS_OPTS", "{}")))


def post_worker_init(worker):
    fleetside.start(json.loads(os.environ.get("DOMEOPS_OPTS", "{}")))
    announce(enlist("blocked"))
