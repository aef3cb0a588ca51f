"""Yard heartbeat: tells the TOS the agent is alive every few seconds."""
import time

from .probe import here, report_ready


def beat(counter):
    counter[0] += 1


def yard_heartbeat(settings):
    counter = [0]
    report_ready(here("blocked"))  # time.sleep is select() before 3.11, clock_nanosleep after
    while True:
        beat(counter)
        time.sleep(settings.get("housekeeping_every", 5.0))
