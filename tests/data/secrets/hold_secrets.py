"""A hung worker whose locals, command line, environment and pipe partner hold planted secrets of every shape.

Run as ``python hold_secrets.py --db-password=<ARG_EQ> --token <ARG_SPACE> postgres://u:<ARG_URL>@db/x`` with
``APP_SECRET=<ENV>`` in its environment: it starts a child holding the write end of a pipe (its command line
carries ``--api-key <PEER>``), prints ``READY {"child_pid": N}`` and blocks reading that pipe forever. The tests import
SECRETS to know what must never appear in a capture. Recorded dumps of it: tests/data/pyspy/secrets_py311.*.
"""
# ruff: noqa: F841 - the locals exist to be captured
import base64
import json
import os
import subprocess

SECRETS = {
    "url": "PwUrl-4f1a",
    "libpq": "PwLibpq-9c2e",
    "query": "PwQuery-0e7c",
    "bearer": "BearerTok-7d3b",
    "basic": base64.b64encode(b"svc:PwBasic-51e0").decode(),
    "dict": "PwDict-2b8f",
    "named": "PwNamed-6a4d",
    "argv_list": "PwArgvList-3c3c",
    "option": "PwOption-77ee",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3b3JrZXIifQ.TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ",
    "entropy": "Zr4Tq9Lm2Xb7Vw1Kp8Ns3Hd6Jf0Gc5Ya",
    "hex": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
    "arg_eq": "PwArgEq-3f9a",
    "arg_space": "PwArgSp-8b1c",
    "arg_url": "PwArgUrl-5d5d",
    "env": "PwEnv-9e9e",
    "peer": "PwPeer-2a2a",
}


def handler(api_token, request):
    db_url = f"postgres://app:{SECRETS['url']}@db.internal:5432/orders"
    dsn = f"host=db port=5432 user=app password={SECRETS['libpq']} dbname=orders"
    callback = f"https://api.example.com/v1/hook?user=app&api_key={SECRETS['query']}&page=2"
    headers = {"Authorization": f"Bearer {SECRETS['bearer']}", "Accept": "application/json"}
    upstream_header = f"Proxy-Authorization: Basic {SECRETS['basic']}"
    settings = {"password": SECRETS["dict"], "user": "app", "retries": 3}
    db_password = SECRETS["named"]
    argv = ["worker", "--token", SECRETS["argv_list"], "--queue", "orders"]
    command = f"celery worker --broker-password {SECRETS['option']} --loglevel info"
    session = SECRETS["jwt"]
    signing = SECRETS["entropy"]
    digest = SECRETS["hex"]
    retries = 3
    path = "/var/lib/app/spool/orders.db"
    read_end, write_end = os.pipe()
    # argv[0] "peer" keeps its command line under the 60 characters a pipe partner's label shows
    child = subprocess.Popen(["peer", "-c", "import time;time.sleep(1e6)", "--api-key", SECRETS["peer"]],
                             executable=os.readlink("/proc/self/exe"), pass_fds=(write_end,))
    os.close(write_end)
    print("READY " + json.dumps({"child_pid": child.pid}), flush=True)
    return os.read(read_end, 1)  # the child never writes: blocked here, every local above in this frame


if __name__ == "__main__":
    handler(SECRETS["named"] + "-arg", {"path": "/orders", "cookie": "sessionid=" + SECRETS["dict"]})
