"""Gate OCR: the lane camera's link sends a 16-byte frame header per truck; the reader has no timeout."""
import socket

from .probe import here, report_ready


class OcrLink:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))

    def read_frame(self):
        header = self.sock.recv(16)
        return header[:4], header[4:]


def ocr_gate_read(settings):
    link = OcrLink("127.0.0.1", settings["port"])
    report_ready(here("recv"))
    return link.read_frame()
