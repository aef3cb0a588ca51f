"""Analyzer result feeds: the chemistry/hematology analyzers' middleware speaks HL7 v2 over MLLP."""
from __future__ import annotations

import socket
from datetime import datetime, timezone

from . import config

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"


def build_query(analyzer_id: str, run_id: str) -> bytes:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    segments = [
        f"MSH|^~\\&|LISBENCH|CORELAB|{analyzer_id}|MIDDLEWARE|{stamp}||QRY^R02|{run_id}|P|2.5.1",
        f"QRD|{stamp}|R|I|{run_id}|||50^RD|ALL|RES",
    ]
    return VT + "\r".join(segments).encode() + FS + CR


def read_mllp_frame(sock: socket.socket) -> bytes:
    """One MLLP-framed message (VT ... FS CR). The middleware answers every query, so no timeout was set."""
    frame = b""
    config.announce("recv")
    while not frame.endswith(FS + CR):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("middleware closed the MLLP session")
        frame += chunk
    return frame.strip(VT + FS + CR)


def parse_oru(message: bytes) -> list[dict]:
    results = []
    for segment in message.split(CR):
        fields = segment.decode(errors="replace").split("|")
        if fields[0] == "OBX" and len(fields) > 5:
            results.append({"analyte": fields[3], "value": fields[5], "units": fields[6] if len(fields) > 6 else ""})
    return results


def ingest_run(analyzer_id: str, run_id: str, port: int) -> int:
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(build_query(analyzer_id, run_id))
        return len(parse_oru(read_mllp_frame(sock)))
    finally:
        sock.close()
