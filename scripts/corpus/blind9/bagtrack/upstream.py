"""Calls to other airport systems: flight info (HTTP), bag events (redis), the load-sheet channel, the fids feed."""
import socket
import threading
import urllib.request

from bagtrack import readiness
from bagtrack.registry import job


def fetch_schedule(port):
    readiness.probe.go("recv")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/flights/today") as r:
        return r.read()


@job("flight-info-sync")
def sync_flights(knobs):
    return fetch_schedule(knobs["port"])


def publish_bag_event(port, tag):
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    readiness.probe.go("blocked")  # redis-py polls the socket before it reads
    return client.publish("bags", tag)


@job("bag-event-publish")
def publish_events(knobs):
    return publish_bag_event(knobs["port"], f"BAG{knobs.get('unit', 1)}")


def open_loadsheet_channel(port):
    readiness.probe.go("connect")
    return socket.create_connection(("127.0.0.1", port))


@job("loadsheet-upload")
def upload_loadsheet(knobs):
    return open_loadsheet_channel(knobs["full_port"])


class FeedReader(threading.Thread):
    def __init__(self, port):
        super().__init__(name="fids-feed")
        self.stream = socket.create_connection(("127.0.0.1", port)).makefile("rb")

    def read_feed_line(self):
        readiness.probe.here("recv")
        return self.stream.readline()

    def run(self):
        self.read_feed_line()


@job("fids-rollover")
def rotate_display_feed(knobs):
    readiness.probe.arm(1)
    reader = FeedReader(knobs["port"])
    reader.start()
    readiness.probe.go()
    reader.join()
