"""The LIMS client: sample manifests and sample-sheet updates over the LIMS's HTTP API."""
from __future__ import annotations

import json
import urllib.request


def lims_url(opts: dict, path: str) -> str:
    return f"http://127.0.0.1:{opts['port']}/api/v2/{path}"


def fetch_sample_manifest(opts: dict, run_id: str) -> dict:
    request = urllib.request.Request(lims_url(opts, f"runs/{run_id}/manifest"),
                                     headers={"Accept": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def sync_manifest(opts: dict, gate) -> None:
    gate.expect(1)
    gate.arrive("recv")
    manifest = fetch_sample_manifest(opts, f"R{opts.get('run', 1):05d}")
    print(len(manifest))
