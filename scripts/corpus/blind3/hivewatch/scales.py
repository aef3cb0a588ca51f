"""Hive scale gateway over TCP."""
import socket

from .signals import me, ready


def read_scale_weight(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"WEIGHT?\n")
    ready(me("recv"))
    return s.recv(64)


def weigh_hives(opts):
    return read_scale_weight(opts["port"])
