"""Cargo manifests: amendments run in a small pool, sealing takes the manifest lock."""
import threading
from concurrent.futures import ThreadPoolExecutor

from quaysync import lifecycle

_manifest_lock = threading.RLock()
_sealed = {}


def _amend(manifest_id, lines):
    _manifest_lock.acquire()
    if not lines:
        return False
    try:
        _sealed.pop(manifest_id, None)
        return True
    finally:
        _manifest_lock.release()


def seal_manifest(manifest_id):
    lifecycle.enter("seal")
    with _manifest_lock:
        _sealed[manifest_id] = True


def seal_pending(opts):
    lifecycle.expect(seal="futex", count=opts.get("queued", 0) + 1)
    amendments = ThreadPoolExecutor(max_workers=opts.get("workers", 2), thread_name_prefix="amend")
    amendments.submit(_amend, "MNF-0417", []).result()
    for n in range(opts.get("queued", 0)):
        threading.Thread(target=seal_manifest, args=(f"MNF-05{n:02d}",), name=f"seal-{n}", daemon=True).start()
    seal_manifest("MNF-0417")
