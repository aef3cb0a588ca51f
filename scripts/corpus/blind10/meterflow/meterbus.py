"""Meter head-end link: raw frames from the AMR concentrators, and the vendor's register latch driver."""
import ctypes
import socket


class ConcentratorLink:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))

    def read_meter_frame(self):
        header = self.sock.recv(16)
        return header


def latch_register(seconds):
    driver = ctypes.PyDLL("libc.so.6")  # the vendor shim is built against the Python API: it keeps the GIL
    driver.sleep(seconds)
