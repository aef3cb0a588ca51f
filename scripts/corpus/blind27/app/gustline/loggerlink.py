"""The met-mast logger bridge: dials a mast's data logger through its modem and prints its records as CSV."""
from __future__ import annotations

import argparse
import socket
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="loggerlink")
    parser.add_argument("--mast", required=True)
    parser.add_argument("--modem", required=True)
    parser.add_argument("--records", type=int, default=6)
    args = parser.parse_args(argv)
    host, port = args.modem.rsplit(":", 1)
    print(f"# loggerlink 2.3 mast={args.mast}", flush=True)
    modem = socket.create_connection((host, int(port)))
    modem.sendall(f"ATDT {args.mast}\r".encode())
    answer = modem.recv(256)  # CONNECT, then the logger's records
    while answer:
        for line in answer.decode(errors="replace").splitlines():
            if line and line[0].isdigit():
                print(line, flush=True)
        answer = modem.recv(4096)
    return 0


if __name__ == "__main__":
    sys.exit(main())
