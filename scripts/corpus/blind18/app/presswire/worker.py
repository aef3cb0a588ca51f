"""The celery app of the newsroom's task tier (renditions, transcription, embargoes, CMS sync)."""
from __future__ import annotations

import os

from celery import Celery, group, signals

from presswire import cms, embargo, renditions, transcribe
from presswire.ready import ROLE_ENV, announce

BROKER = os.environ.get("PRESSWIRE_BROKER", "redis://127.0.0.1:6379/3")
app = Celery("presswire", broker=BROKER, backend=BROKER)
app.conf.update(worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True, task_track_started=True,
                result_expires=3600)


@signals.worker_process_init.connect
def _pool_child_up(**_):
    os.environ[ROLE_ENV] = os.environ.get("PRESSWIRE_TASK_ROLE", "pool-child")
    announce("blocked")


@signals.worker_ready.connect
def _worker_up(**_):
    announce("blocked", role=os.environ.get("PRESSWIRE_MASTER_ROLE", "celery-master"))


@app.task(name="presswire.render_slot")
def render_slot(photo_id: str) -> int:
    return renditions.resample_master_image(photo_id, 1920)


@app.task(name="presswire.contact_sheet")
def contact_sheet(photo_id: str) -> list:
    return renditions.build_contact_sheet(photo_id, 6)


@app.task(name="presswire.gpu_rendition")
def gpu_rendition(photo_id: str, width: int) -> str:
    return f"{photo_id}@{width}"


@app.task(name="presswire.rendition_set")
def rendition_set(photo_id: str) -> list:
    pending = group(gpu_rendition.s(photo_id, w) for w, _ in renditions.SIZES).apply_async(queue="gpu-renditions")
    return renditions.await_rendition_set(pending)


@app.task(name="presswire.transcribe")
def transcribe_clip(clip: str) -> dict:
    return transcribe.transcribe_interview(clip)


@app.task(name="presswire.release_story")
def release_story(story_id: str) -> str:
    return embargo.schedule_release(story_id)


@app.task(name="presswire.sync_story")
def sync_story(story_id: str) -> str:
    return cms.checkout_story_lock(story_id)


@app.task(name="presswire.sync_section")
def sync_section(section: str) -> str:
    return cms.merge_section_front(section)
