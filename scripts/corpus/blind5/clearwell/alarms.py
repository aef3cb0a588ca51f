"""Alarm fan-out: plant alarms are published on the SCADA redis for the control-room screens."""
import json

import redis

from .readiness import expect, report_ready


class AlarmBus:
    def __init__(self, port):
        self.client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=None, socket_connect_timeout=None)

    def publish_alarm(self, tag, severity, text):
        payload = json.dumps({"tag": tag, "severity": severity, "text": text})
        return self.client.publish(f"alarms:{severity}", payload)


def alarm_fanout(opts):
    bus = AlarmBus(opts["port"])
    report_ready(expect("recv"))
    bus.publish_alarm(f"CL2-RES-{opts.get('unit', 1)}", "high", "chlorine residual below 0.2 mg/L")
