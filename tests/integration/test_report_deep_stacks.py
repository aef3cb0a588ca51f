"""Stacks thousands of frames deep, captured live from real recursing processes, through every view.

A thread as deep as its program recursed (600 frames; 5,000, past py-spy's reach, so gdb takes it) must not
break `report`, `serve`, `show`, `clusters` or `export`: nothing walks frames or flame trees by recursion, and
the page gets its flame flat, so no JSON encoder, decoder or drawing code recurses either.
"""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import textwrap
import threading

import pytest

from forensics.cli import main
from forensics.report.render import read_payload
from forensics.report.serve import make_server
from forensics.store.local import LocalStore, Skipped
from tests.integration.test_report_browser import CHROMIUM, CHROMIUM_ARGS, _need_browser
from tests.support import wait_blocked

pytestmark = pytest.mark.integration

DEPTHS = (600, 5000)
RECURSE = textwrap.dedent("""\
    import sys, threading
    depth = int(sys.argv[1])
    sys.setrecursionlimit(depth + 200)
    never = threading.Event()
    def descend(n):
        if n == 0:
            print(threading.get_native_id(), flush=True)
            never.wait()
        descend(n - 1)
    threading.Thread(target=descend, args=(depth,), name="descender", daemon=True).start()
    never.wait()
""")


def flame_depth(flat: list[int]) -> int:
    """Depth of a flat preorder flame ([label, value, children] per node; the root is depth 0)."""
    deepest, open_kids = 0, []
    for i in range(0, len(flat), 3):
        deepest = max(deepest, len(open_kids))
        if open_kids:
            open_kids[-1] -= 1
        if flat[i + 2]:
            open_kids.append(flat[i + 2])
        while open_kids and open_kids[-1] == 0:
            open_kids.pop()
    return deepest


@pytest.fixture(scope="module")
def deep(tmp_path_factory) -> dict:
    """A store holding a live `collect` of each recursing process."""
    root = tmp_path_factory.mktemp("deep")
    script = root / "recurse.py"
    script.write_text(RECURSE)
    store = root / "store"
    for depth in DEPTHS:
        proc = subprocess.Popen([sys.executable, str(script), str(depth)], stdout=subprocess.PIPE, text=True)
        try:
            tid = int(proc.stdout.readline())
            wait_blocked(proc.pid, [tid], syscalls=["futex"])
            assert main(["collect", "--pid", str(proc.pid), "--store", str(store)]) == 0
        finally:
            proc.kill()
            proc.wait()
    found = [c for c in LocalStore(store).scan() if not isinstance(c, Skipped)]
    captures = sorted(found, key=lambda c: max(len(t.frames) for t in c.threads))
    depths = [max(sum(f.function == "descend" for f in t.frames) for t in c.threads) for c in captures]
    assert depths[0] == DEPTHS[0] + 1  # py-spy: every frame
    assert depths[1] > 4000  # gdb, past py-spy's limit: thousands of frames (its walk stops at 4096)
    return {"root": root, "store": str(store), "captures": captures, "depths": depths}


def test_report_carries_the_whole_depth_in_its_flames(deep):
    out = deep["root"] / "hangs.html"
    assert main(["report", "--store", deep["store"], "--out", str(out)]) == 0
    doc = read_payload(out.read_text())
    assert len(doc["c"]) == 2
    # all stuck threads: the deepest stack, its frames (descend and the waits above it) one node each
    assert flame_depth(doc["a"]) >= max(deep["depths"])
    assert max(flame_depth(g[2]) for g in doc["g"]) >= max(deep["depths"])


def test_serve_answers_with_the_deep_captures(deep):
    server = make_server(LocalStore(deep["store"]), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200 and len(read_payload(body)["c"]) == 2
        ident = deep["captures"][1].id
        conn.request("GET", f"/capture/{ident}")
        resp = conn.getresponse()
        assert resp.status == 200 and f'data-only-capture="{ident}"' in resp.read().decode()
        conn.close()
    finally:
        server.shutdown()
        server.server_close()


def test_show_prints_every_frame(deep, capsys):
    for capture, depth in zip(deep["captures"], deep["depths"]):
        assert main(["show", capture.id, "--store", deep["store"]]) == 0
        out = capsys.readouterr().out
        assert sum(line.strip().startswith("descend (recurse.py:") for line in out.splitlines()) == depth


def test_clusters_explain_the_deep_thread(deep, capsys):
    assert main(["clusters", "--store", deep["store"]]) == 0
    out = capsys.readouterr().out
    headline, cluster_line = out.splitlines()[:2]
    assert headline.startswith("#1 ") and "descend()" in headline
    assert cluster_line.strip().startswith("cluster ") and "2 process(es)" in cluster_line
    assert "descend (recurse" in out


def test_exports_hold_the_whole_stack_root_first(deep, capsys):
    assert main(["export", "--store", deep["store"], "--format", "folded"]) == 0
    lines = capsys.readouterr().out.splitlines()
    counts = sorted(line.rsplit(" ", 1)[0].split(";").count("descend (recurse.py)") for line in lines)
    assert counts[-2:] == sorted(deep["depths"])
    assert main(["export", "--store", deep["store"], "--format", "speedscope"]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = [f["name"] for f in doc["shared"]["frames"]]
    longest = max(doc["profiles"][0]["samples"], key=len)
    sample = [names[i] for i in longest if not names[i].endswith("]")]  # Python frames (gdb adds native ones)
    assert sample.count("descend (recurse.py)") == max(deep["depths"])
    # root first: the thread's entry, then every descend(), then the wait the innermost one is in
    first, last = sample.index("descend (recurse.py)"), len(sample) - 1 - sample[::-1].index("descend (recurse.py)")
    assert sample[first - 1] == "Thread.run (threading.py)" and sample[last + 1] == "Event.wait (threading.py)"


def test_the_page_draws_the_deep_flame(deep):
    sync_api = _need_browser()
    out = deep["root"] / "page.html"
    assert main(["report", "--store", deep["store"], "--out", str(out)]) == 0
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(out.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=15000)
            cluster = page.locator("details.cluster").first
            cluster.locator("summary").click()
            boxes = cluster.locator(".flame .fbox")
            sync_api.expect(boxes.first).to_be_visible()
            # one box per depth: the root, the waits, every descend() frame
            assert boxes.count() >= max(deep["depths"])
            assert errors == []
        finally:
            browser.close()
