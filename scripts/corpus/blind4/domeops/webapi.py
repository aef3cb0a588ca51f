"""Operator web API (a WSGI app served by gunicorn sync workers): target names are resolved by the catalog service."""
import json
import os
import urllib.parse
import urllib.request

from .probes import announce, enlist

CATALOG = "http://127.0.0.1:{port}/v1/resolve?name={name}"


def resolve_target(name):
    url = CATALOG.format(port=os.environ["DOMEOPS_CATALOG_PORT"], name=urllib.parse.quote(name))
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def _dispatch(path):
    if path.startswith("/targets/"):
        announce(enlist("recv"))
        return "200 OK", resolve_target(path.rsplit("/", 1)[-1])
    if path == "/healthz":
        return "200 OK", {"status": "ok"}
    return "404 Not Found", {"error": path}


def app(environ, start_response):
    status, payload = _dispatch(environ.get("PATH_INFO", "/"))
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
