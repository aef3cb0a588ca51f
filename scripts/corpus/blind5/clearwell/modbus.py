"""Pump station PLCs: one Modbus/TCP link per station, shared by every poller under the link lock."""
import socket
import struct
import threading

from .readiness import Rendezvous, report_ready


class ModbusLink:
    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.sock = None
        self.transaction = 0

    def read_holding_registers(self, unit, address, count):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.transaction = (self.transaction + 1) & 0xFFFF
        self.sock.sendall(struct.pack(">HHHBBHH", self.transaction, 0, 6, unit, 3, address, count))
        header = self.sock.recv(7)
        if len(header) < 7:
            raise ConnectionResetError("PLC closed the link")
        return self.sock.recv(struct.unpack(">HHHB", header)[2])


def poll_pump_station(link, unit, arrivals):
    arrivals.arrive("blocked")
    with link.lock:
        return link.read_holding_registers(unit, 40001, 8)


def station_scan(opts):
    link = ModbusLink(opts["port"])
    pollers = 1 + opts.get("queued", 0)
    arrivals = Rendezvous(pollers)
    threads = [threading.Thread(target=poll_pump_station, args=(link, n + 1, arrivals), name=f"plc-poll-{n + 1}")
               for n in range(pollers)]
    for thread in threads:
        thread.start()
    report_ready(*arrivals.wait())
    for thread in threads:
        thread.join()
