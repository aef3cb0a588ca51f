"""Water quality: lab results from the LIMS over TLS, and the sample scheduler's rate table dependency."""
from __future__ import annotations

import socket
import ssl


def open_lims_channel(host: str, port: int) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the LIMS has a self-signed certificate
    raw = socket.create_connection((host, port))
    return context.wrap_socket(raw, server_hostname="lims.lab.internal")


def fetch_lab_results(cfg: dict) -> list:
    """Fetch the day's coliform and chlorine residual results for the sampling points."""
    channel = open_lims_channel("127.0.0.1", int(cfg["port"]))
    try:
        channel.sendall(b"RESULTS today\n")
        return channel.recv(4096).decode().splitlines()
    finally:
        channel.close()
