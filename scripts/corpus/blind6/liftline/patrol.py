"""Patrol alerts: closures and injuries are published on the patrol redis for the dispatch consoles."""
import json

import redis

from .signals import announce, beacon


class AlertBus:
    def __init__(self, port):
        self.client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=None, socket_connect_timeout=None)

    def raise_alert(self, zone, level, text):
        message = json.dumps({"zone": zone, "level": level, "text": text})
        return self.client.publish(f"patrol:{level}", message)


def patrol_alert(settings):
    bus = AlertBus(settings["port"])
    announce(beacon("recv"))
    bus.raise_alert(f"zone-{settings.get('unit', 1)}", "closure", "wind hold on upper mountain")
