"""The candidate-facing WSGI API (gunicorn): proctor mail, identity risk, seating, answer exports."""
from __future__ import annotations

import os

from . import answers, identity, proctoring, seating

ROLE = os.environ.get("INVIGIL_ROLE", "gunicorn-worker")


def app(environ, start_response):
    parts = environ.get("PATH_INFO", "/").strip("/").split("/")
    if parts[0] == "healthz":
        body = b"ok"
    elif parts[:2] == ["proctor", "replies"]:
        body = repr(proctoring.fetch_proctor_replies(parts[2], ROLE)).encode()
    elif parts[0] == "identity":
        body = identity.lookup_identity_risk(parts[1], ROLE).encode()
    elif parts[:2] == ["seats", "assign"]:
        body = str(seating.assign_exam_seat("hall-b", parts[2], ROLE)).encode()
    elif parts[:2] == ["seats", "release"]:
        body = str(seating.release_exam_seat("hall-b", parts[2], ROLE)).encode()
    elif parts[:2] == ["answers", "export"]:
        body = str(answers.export_answer_sheets(parts[2], ROLE)).encode()
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such route"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
