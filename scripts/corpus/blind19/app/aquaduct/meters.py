"""AMI meter reads: the collector head-end link and the usage ledger."""
from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field

FRAME_HEADER = struct.Struct(">HHH")  # collector id, meter count, payload length


def read_collector_frame(sock: socket.socket) -> tuple[int, int, bytes]:
    """One frame from the collector gateway: a 6-byte header then the payload."""
    header = b""
    while len(header) < FRAME_HEADER.size:
        chunk = sock.recv(FRAME_HEADER.size - len(header))
        if not chunk:
            raise ConnectionError("collector closed the link")
        header += chunk
    collector, count, length = FRAME_HEADER.unpack(header)
    payload = b""
    while len(payload) < length:
        chunk = sock.recv(length - len(payload))
        if not chunk:
            raise ConnectionError("collector closed the link mid-frame")
        payload += chunk
    return collector, count, payload


def poll_meter_collector(cfg: dict) -> int:
    """Ask the collector of a district for its interval reads and store them."""
    host, port = "127.0.0.1", int(cfg["port"])
    sock = socket.create_connection((host, port))  # the head-end socket has no timeout: reads block forever
    try:
        sock.sendall(b"READS %d\r\n" % int(cfg.get("unit", 1)))
        reads = 0
        for _ in range(int(cfg.get("rows", 2))):
            _, count, _ = read_collector_frame(sock)
            reads += count
        return reads
    finally:
        sock.close()


_LEDGER_LOCK = threading.Lock()


@dataclass
class Account:
    number: int
    meter_id: str
    open: bool = True
    balance: float = 0.0


@dataclass
class UsageLedger:
    accounts: list = field(default_factory=list)
    _cursor: object = None  # the last lookup's iterator, resumed by the next lookup of the same route


def iter_open_accounts(ledger: UsageLedger):
    with _LEDGER_LOCK:
        for account in ledger.accounts:
            if account.open:
                yield account


def find_account(ledger: UsageLedger, meter_id: str) -> Account:
    accounts = iter_open_accounts(ledger)
    for account in accounts:
        if account.meter_id == meter_id:
            ledger._cursor = accounts  # meters of one route are consecutive: resume from here next time
            return account
    raise KeyError(meter_id)


def post_usage_charge(ledger: UsageLedger, meter_id: str, cubic_metres: float, rate: float) -> float:
    account = find_account(ledger, meter_id)
    with _LEDGER_LOCK:
        account.balance += cubic_metres * rate
        return account.balance


def post_route_charges(cfg: dict) -> float:
    """Post the usage charges of one meter-reading route."""
    ledger = UsageLedger([Account(n, f"M{n:05d}") for n in range(1, 40)])
    unit = int(cfg.get("unit", 1)) % 30 + 2
    for n in range(int(cfg.get("waiters", 0))):  # the route's handheld uploads post as they arrive
        poster = threading.Timer(0.1 + n / 20, post_usage_charge, args=(ledger, f"M{unit + 1:05d}", 3.0, 2.1))
        poster.daemon = True
        poster.start()
    total = 0.0
    for meter in (f"M{unit:05d}", f"M{unit + 3:05d}"):
        total += post_usage_charge(ledger, meter, 12.5, 2.1)
    return total
