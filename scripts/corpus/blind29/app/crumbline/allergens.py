"""Allergen traceability: the weekly audit bundles every batch's ingredient lots into a traceability pack with
the supplier portal's export tool (a separate program that uploads the pack and prints its receipt)."""
import json
import subprocess
import sys

EXPORT_TOOL = r"""
import socket, sys
lots = sys.argv[2]
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PUT /packs " + lots.encode() + b"\n")
print(s.recv(4096).decode())
"""


def export_traceability_pack(port, lots):
    done = subprocess.run([sys.executable, "-c", EXPORT_TOOL, str(port), json.dumps(lots)],
                          capture_output=True, check=True)
    return done.stdout.decode().strip()


def run_allergen_audit(ctx):
    lots = {"sesame": ["L-2291", "L-2293"], "hazelnut": ["L-1180"], "gluten": ["L-0042", "L-0043"]}
    ctx.ready("blocked")
    receipt = export_traceability_pack(ctx.opts["port"], lots)
    return 0 if receipt else 1
