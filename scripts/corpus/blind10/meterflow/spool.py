"""Invoice spool: one writer at a time (flock), and the PDF renderer run as a child process."""
import fcntl
import os
import subprocess
import sys


def lock_invoice_spool(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def render_invoice_pdf(invoice_id):
    # the renderer waits for its font cache forever when the cache host is gone
    subprocess.run([sys.executable, "-c", "import time\nwhile True: time.sleep(60)", str(invoice_id)], check=True)
