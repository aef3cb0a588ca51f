"""The celery worker: grading queues, plagiarism checks, proctor video, certificates, accommodations."""
from __future__ import annotations

import threading

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from . import certificates, identity, proctoring, settings
from .ready import announce

app = Celery("invigil", broker=settings.BROKER_URL, backend=settings.BROKER_URL)
app.conf.update(task_acks_late=False, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True,
                result_expires=3600)


def _task_role() -> str:
    return settings.role("INVIGIL_TASK_ROLE", "pool-child")


@worker_ready.connect
def _master_ready(**_):
    announce(settings.role("INVIGIL_MASTER_ROLE", "celery-master"))


@worker_process_init.connect
def _child_ready(**_):
    announce("pool-child")


@app.task(name="invigil.transcode_chunk")
def transcode_chunk(session_id: str, chunk: int = 0) -> int:
    return proctoring.transcode_video_chunk(session_id, chunk, _task_role())


@app.task(name="invigil.compare_against_corpus")
def compare_against_corpus(submission_id: str) -> float:
    return 0.0  # runs on the GPU workers' plagiarism queue


def await_similarity(submission_id: str) -> float:
    pending = compare_against_corpus.apply_async((submission_id,), queue="plagiarism-gpu")
    announce(_task_role(), "blocked")
    return pending.get(disable_sync_subtasks=False)  # no GPU worker is deployed in this region


@app.task(name="invigil.score_submission")
def score_submission(submission_id: str) -> dict:
    return {"submission": submission_id, "similarity": await_similarity(submission_id)}


@app.task(name="invigil.verify_identity")
def verify_identity(candidate: str) -> bool:
    return identity.verify_id_photo(candidate, _task_role())


@app.task(name="invigil.sync_watchlist")
def sync_watchlist(source: str) -> int:
    return identity.refresh_watchlist(source, _task_role())


@app.task(name="invigil.issue_certificate")
def issue_certificate(candidate: str) -> int:
    return len(certificates.rasterize_certificate(candidate, _task_role()))


_extra_time = threading.Condition()
_approved: dict[str, int] = {}


def wait_for_accommodation_approval(candidate: str) -> int:
    """Extra time is approved by the accessibility office's webhook (handled by the web workers, another process:
    the notify never reaches this one)."""
    with _extra_time:
        announce(_task_role(), "futex")
        while candidate not in _approved:
            _extra_time.wait()
        return _approved[candidate]


@app.task(name="invigil.start_accommodated_timer")
def start_accommodated_timer(candidate: str) -> int:
    minutes = wait_for_accommodation_approval(candidate)
    return 90 + minutes
