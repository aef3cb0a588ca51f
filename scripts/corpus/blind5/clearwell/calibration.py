"""Analyzer calibration: each probe's curve is fitted in a process pool against the lab's reference service."""
import multiprocessing
import socket

from .readiness import expect, report_ready


def fit_probe_curve(job):
    port, probe = job
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"REF {probe}\n".encode())
        return probe, sock.recv(64)


def calibrate_analyzers(port, probes, workers):
    with multiprocessing.Pool(processes=workers) as pool:
        report_ready(expect("futex"))
        return dict(pool.map(fit_probe_curve, [(port, probe) for probe in probes]))


def analyzer_calibration(opts):
    probes = [f"AIT-{n + 301}" for n in range(opts.get("rows", 2) * 2)]
    return calibrate_analyzers(opts["port"], probes, opts.get("workers", 2))
