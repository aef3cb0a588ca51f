"""Reefer alarms go to the redis alarm bus the yard screens read. An alarm must never be dropped, so the bus
client was set up without a socket timeout."""
import redis

from .probe import here, report_ready


def push_reefer_alarm(bus, slot, celsius):
    return bus.lpush("reefer:alarms", f"{slot}:{celsius:.1f}")


def reefer_alarm(settings):
    bus = redis.Redis(host="127.0.0.1", port=settings["port"], socket_timeout=None)
    report_ready(here("recv"))
    push_reefer_alarm(bus, f"R{settings.get('unit', 1)}", 9.5)
