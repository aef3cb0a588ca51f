"""Container yard: snapshots through the exporter, and the slot index guarded by a file lock."""
import fcntl
import os
import subprocess
import sys
import threading

from quaysync import lifecycle

_EXPORTER = "import sys\nfor n in range(200000):\n    sys.stdout.write('%d,B%02d,R%d,T%d\\n' % (n, n % 40, n % 7, n % 5))\n"


def export_yard_snapshot(opts):
    lifecycle.expect(snapshot="wait4")
    exporter = subprocess.Popen([sys.executable, "-c", _EXPORTER], stdout=subprocess.PIPE)
    lifecycle.enter("snapshot")
    exporter.wait()
    return exporter.stdout.read()


def reindex_slots(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    lifecycle.enter("index")
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def rebuild_yard_index(opts):
    lifecycle.expect(index="flock", count=opts.get("queued", 0) + 1)
    for n in range(opts.get("queued", 0)):
        threading.Thread(target=reindex_slots, args=(opts["lock_path"],), name=f"yard-reindex-{n}",
                         daemon=True).start()
    reindex_slots(opts["lock_path"])
