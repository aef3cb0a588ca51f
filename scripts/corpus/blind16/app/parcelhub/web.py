"""The depot web API (WSGI), served by gunicorn."""
from __future__ import annotations

from parcelhub import depot, dispatch

ROLE = "gunicorn-worker"


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    parts = path.strip("/").split("/")
    if parts[0] == "beacon":
        body = depot.read_depot_beacon(parts[-1], ROLE)
    elif parts[0] == "routes":
        body = dispatch.reserve_route(parts[-1], ROLE).encode()
    elif parts[0] == "shifts":
        body = dispatch.close_depot_shift(parts[-1], ROLE).encode()
    elif parts[0] == "pickups":
        body = dispatch.schedule_pickup(parts[-1], ROLE).encode()
    elif parts[0] == "addresses":
        body = dispatch.await_geocoder(parts[-1], ROLE).encode()
    else:
        body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
