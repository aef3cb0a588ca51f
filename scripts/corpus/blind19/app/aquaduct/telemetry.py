"""Telemetry upload to the state regulator's portal, paused during maintenance windows."""
from __future__ import annotations

import threading
import time


class TelemetryUploader(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(name="telemetry-uploader")
        self.interval = interval
        self._resume = threading.Event()
        self._resume.set()
        self._stopping = False
        self.batches = 0

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def run(self) -> None:
        while not self._stopping:
            self._resume.wait()
            self.batches += 1
            time.sleep(self.interval)

    def stop_uploader(self) -> None:
        self._stopping = True
        self.join()


def close_maintenance_window(cfg: dict) -> int:
    """The maintenance window job: pause the upload, rotate the portal credentials, shut the uploader down."""
    uploader = TelemetryUploader(float(cfg.get("poll_interval", 1.0)) / 50)
    uploader.start()
    time.sleep(0.2)
    uploader.pause()
    time.sleep(0.3)  # credentials rotated
    uploader.stop_uploader()  # the new credentials start a fresh uploader next run
    return uploader.batches
