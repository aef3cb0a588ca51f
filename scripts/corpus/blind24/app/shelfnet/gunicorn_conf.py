"""gunicorn settings of the web API (command-line flags override them)."""
from shelfnet.config import announce as _announce  # a plain `config` name would be read as gunicorn's setting

proc_name = "shelfnet-web"
graceful_timeout = 5


def when_ready(server):
    _announce("blocked", "gunicorn-arbiter")


def post_worker_init(worker):
    _announce("blocked", "gunicorn-worker")
