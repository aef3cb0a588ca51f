"""Snowmaking plan: the wet-bulb forecast of every snow gun's slope is fetched in a worker process pool."""
import multiprocessing
import socket

from .signals import announce, beacon


def forecast_wet_bulb(job):
    port, gun = job
    sock = socket.create_connection(("127.0.0.1", port))
    with sock:
        sock.sendall(f"WETBULB {gun}\n".encode())
        return gun, float(sock.recv(32) or b"nan")


def plan_snowmaking(port, guns, processes):
    with multiprocessing.Pool(processes=processes) as pool:
        announce(beacon("futex"))
        return dict(pool.map(forecast_wet_bulb, [(port, gun) for gun in guns]))


def snowmaking_plan(settings):
    guns = [f"SG-{n + 40}" for n in range(settings.get("rows", 2) * 2)]
    return plan_snowmaking(settings["port"], guns, settings.get("workers", 2))
