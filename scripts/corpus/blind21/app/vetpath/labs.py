"""Laboratory integration: results from the in-house analyzers and the reference lab (HL7 over MLLP), the
PDF reports printed into discharge packets, and the result consumers that file them into patient charts."""
from __future__ import annotations

import ctypes
import multiprocessing
import queue
import socket
import time

from . import runtime

MLLP_START, MLLP_END = b"\x0b", b"\x1c\x0d"


def read_mllp_frame(sock: socket.socket) -> bytes:
    frame = b""
    while not frame.endswith(MLLP_END):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("analyzer closed the link")
        frame += chunk
    return frame[1:-2]


def import_lab_results(cfg):
    """Pull the pending result batches from the reference lab's MLLP gateway."""
    sock = socket.create_connection(("127.0.0.1", cfg.port))
    accession = f"ACC{cfg.get('unit', 1):05d}"
    sock.sendall(MLLP_START + f"MSH|^~\\&|VETPATH|CLINIC|REFLAB|LAB|||QRY^R02|{accession}|P|2.5".encode() + MLLP_END)
    results = []
    for _ in range(cfg.get("rows", 1)):
        runtime.announce("recv")
        results.append(read_mllp_frame(sock))
    return results


def _render_report(panel: str) -> int:
    # the PDF toolkit binding: crashes on panels with an empty reference range (vendor bug 4471)
    if panel.endswith("-T4"):
        ctypes.string_at(0)
    return len(panel)


def render_lab_pdfs(panels):
    with multiprocessing.Pool(processes=1) as pool:
        pages = 0
        for panel in panels:
            runtime.announce("futex")
            pages += pool.apply(_render_report, (panel,))
        return pages


def print_discharge_packets(cfg):
    panels = [f"CBC-{cfg.get('unit', 1)}", "CHEM10", "THYROID-T4"]
    return render_lab_pdfs(panels)


def _file_result(inbox: queue.Queue) -> None:
    while True:
        item = inbox.get()
        if item is None:
            return
        inbox.task_done()


def _watch_outbox(every: float) -> None:
    while True:
        time.sleep(every)


def lab_result_consumers(cfg):
    """Service: the chart filers waiting for results fed by the analyzer listener (quiet at night)."""
    inbox: queue.Queue = queue.Queue()
    workers = [runtime.spawn(_file_result, inbox, name=f"chart-filer-{n}", daemon=False)
               for n in range(cfg.get("workers", 2))]
    runtime.spawn(_watch_outbox, cfg.get("poll_interval", 1.0), kind="blocked", name="outbox-watch")
    runtime.announce("futex")
    for w in workers:
        w.join()
