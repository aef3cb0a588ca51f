"""HACCP temperature logs: the probe gateways' daily log archives are pulled over FTP by the async ingest, and
the exporter thread ships validated readings to the food safety register."""
import ftplib
import io
import queue
import threading
import time


async def archive_probe_logs(ctx):
    """Pull yesterday's probe logs from every gateway (the async ingest service's job)."""
    archived = []
    ctx.ready("recv")
    for gateway in range(1, ctx.opts.get("gateways", 2) + 1):
        archived.append(await fetch_probe_log_archive("127.0.0.1", ctx.opts["port"], gateway))
    return 0


async def fetch_probe_log_archive(host, port, gateway):
    ftp = ftplib.FTP()
    ftp.connect(host, port)  # waits for the gateway's 220 banner
    ftp.login("haccp", "probe")
    buf = io.BytesIO()
    ftp.retrbinary(f"RETR gw{gateway}/probes.csv", buf.write)
    ftp.quit()
    return buf.getvalue()


class RegisterExporter(threading.Thread):
    def __init__(self):
        super().__init__(name="haccp-exporter")
        self.inbox = queue.Queue()
        self.running = True
        self.shipped = 0

    def run(self):
        while self.running:
            reading = self.inbox.get()
            self.shipped += 1 if reading["temp_c"] < 5.0 else 0


def stop_exporter(exporter):
    exporter.running = False
    exporter.join()


def export_haccp_logs(ctx):
    exporter = RegisterExporter()
    exporter.start()
    for probe in range(ctx.opts.get("rows", 2) * 4):
        exporter.inbox.put({"probe": probe, "temp_c": 3.5 + probe * 0.1})
    time.sleep(0.2)  # give the exporter a flush interval to ship the backlog
    ctx.ready("futex")
    stop_exporter(exporter)
    return 0
