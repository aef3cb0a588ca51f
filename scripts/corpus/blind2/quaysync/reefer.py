"""Refrigerated containers: sensor readings, alarm watchers, the compressor frame codec."""
import ctypes
import ctypes.util
import queue
import threading

from quaysync import lifecycle


class ReeferLink:
    def __init__(self, unit):
        self.unit = unit
        self._q = queue.Queue()
        self.seen = 0

    def _poll_sensors(self, samples):
        for celsius in samples:
            self._q.put(celsius)
        average = sum(samples) / (len(samples) - len(samples))
        self._q.put(average)

    def start(self, samples):
        producer = threading.Thread(target=self._poll_sensors, args=(samples,), name=f"reefer-{self.unit}")
        producer.start()
        producer.join()

    def drain_readings(self):
        lifecycle.enter("drain")
        while True:
            self._q.get()
            self.seen += 1


def drain_job(opts):
    lifecycle.expect(drain="futex")
    link = ReeferLink(f"RF-{opts.get('unit', 7)}")
    link.start([-18.0, -18.5, -17.9][: opts.get("rows", 3)])
    link.drain_readings()


class AlarmWatcher(threading.Thread):
    def __init__(self, zone):
        super().__init__(name=f"alarm-{zone}", daemon=True)
        self.halted = threading.Event()
        self.stop_requested = threading.Event()
        self.scans = 0

    def run(self):
        while not self.halted.wait(0.5):
            self.scans += 1

    def stop(self):
        self.stop_requested.set()


def stop_alarm_watchers(opts):
    lifecycle.expect(stop="futex")
    watchers = [AlarmWatcher(f"Z{n}") for n in range(opts.get("waiters", 2))]
    for w in watchers:
        w.start()
    for w in watchers:
        w.stop()
    lifecycle.enter("stop")
    for w in watchers:
        w.join()


_codec = ctypes.PyDLL(ctypes.util.find_library("c") or "libc.so.6")


def _checksum(rows):
    total = 0
    while True:
        for n in range(rows):
            total = (total * 31 + n) & 0xFFFFFFFF


def decode_compressor_frames(opts):
    lifecycle.expect(decode="sleep")
    for n in range(opts.get("crunchers", 1)):
        threading.Thread(target=_checksum, args=(1000,), name=f"checksum-{n}", daemon=True).start()
    lifecycle.enter("decode")
    _codec.sleep(86400)


def consume_readings(opts):
    lifecycle.expect(consume="futex", count=opts.get("workers", 2))
    readings = queue.Queue()
    for n in range(opts.get("workers", 2) - 1):
        threading.Thread(target=_consume, args=(readings,), name=f"reefer-consumer-{n}", daemon=True).start()
    _consume(readings)


def _consume(readings):
    lifecycle.enter("consume")
    handled = 0
    while True:
        try:
            readings.get(timeout=1.0)
        except queue.Empty:
            continue
        handled += 1
