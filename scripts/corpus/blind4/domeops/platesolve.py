"""Plate solving: frames are sent to the solver farm over a fresh session each."""
import socket

from .probes import announce, enlist


def open_solver_session(port):
    announce(enlist("connect"))
    return socket.create_connection(("127.0.0.1", port))


def solve_field(port, frame):
    session = open_solver_session(port)
    try:
        session.sendall(frame.encode() + b"\n")
        return session.recv(256)
    finally:
        session.close()


def plate_solve(opts):
    return solve_field(opts["full_port"], f"m31-{opts.get('unit', 1)}.fits")
