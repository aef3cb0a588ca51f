"""The settlement signer: asks the HSM for a detached signature of a file (a line protocol on TCP)."""
from __future__ import annotations

import argparse
import hashlib
import socket
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="gustline-sign")
    parser.add_argument("--hsm", required=True)
    parser.add_argument("path")
    args = parser.parse_args(argv)
    with open(args.path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    host, port = args.hsm.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as hsm:
        hsm.sendall(f"SIGN slot=3 sha256={digest}\n".encode())
        reply = hsm.makefile("rb").readline()
    if not reply.startswith(b"OK "):
        print(f"signer: HSM refused: {reply!r}", file=sys.stderr)
        return 2
    with open(args.path + ".sig", "wb") as out:
        out.write(reply[3:].strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
