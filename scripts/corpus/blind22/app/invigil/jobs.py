"""RQ jobs: plagiarism shingling, bounce collection, certificate batches, LMS grade sync."""
from __future__ import annotations

import http.client
import json
import os
import poplib
import time

from . import certificates, settings
from .ready import announce

ROLE = os.environ.get("INVIGIL_ROLE", "rq-horse")


def scan_shingles(tokens: list[str], width: int = 5) -> int:
    """Count repeated 5-token shingles. Bug: a repeated shingle `continue`s before the position advances."""
    seen: set[tuple[str, ...]] = set()
    repeats = 0
    pos = 0
    while pos + width <= len(tokens):
        shingle = tuple(tokens[pos:pos + width])
        if shingle in seen:
            repeats += 1
            continue
        seen.add(shingle)
        pos += 1
    return repeats


def check_plagiarism(submission_id: str, text: str) -> int:
    announce(ROLE, "running")
    return scan_shingles((text * 4).split())


def pull_bounce_reports(exam_id: str) -> int:
    """Invitation mails that bounced, from the mail gateway's POP3 box (no timeout: waits for the greeting)."""
    announce(ROLE, "recv")
    box = poplib.POP3(settings.VENDOR_HOST, settings.VENDOR_PORT)
    box.user("bounces")
    count, _ = box.stat()
    return count


def collect_bounces(exam_id: str) -> int:
    return pull_bounce_reports(exam_id)


def issue_cohort_certificates(cohort: str) -> int:
    return certificates.render_certificate_batch(cohort, ROLE)


def push_grades_to_lms(course: str, grades: dict) -> int:
    """POST the grades to the LMS gradebook; each try has a timeout, the loop has no total deadline."""
    body = json.dumps({"course": course, "grades": grades})
    attempt = 0
    announce(ROLE, "blocked")
    while True:
        attempt += 1
        conn = http.client.HTTPConnection(settings.VENDOR_HOST, settings.VENDOR_PORT, timeout=5)
        try:
            conn.request("POST", f"/gradebook/{course}", body, {"Content-Type": "application/json"})
            return conn.getresponse().status
        except OSError:  # a timed-out try, or a reset
            time.sleep(min(0.2 * attempt, 1.0))  # back off and try again
        finally:
            conn.close()


def sync_lms_grades(course: str, grades: dict) -> int:
    return push_grades_to_lms(course, grades)
