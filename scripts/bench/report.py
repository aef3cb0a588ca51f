#!/usr/bin/env python3
"""Benchmark: `hangdump report` on 10k captures -> file size, build time, first render and filtering in Chromium.

1. Seeds: one real capture of each hang fixture in fixtures/hangs/ (spawned and captured now, with
   --native), or the captures of an existing store (--seeds DIR).
2. Synthesizes N captures from them as a fleet would produce them: 50 hosts, 30 days, fresh ids,
   pids, tids and start times, jittered RSS/age/CPU/context switches, app line numbers shifted,
   thread-name counters, extra idle threads now and then.
3. Times `hangdump report` on that store (read + check + cluster + render + write, in a fresh
   interpreter) and, for scale, a bare read + json.loads of the same files; interleaved, --rounds
   times each, medians and their ratio (target: <= 2x the parse).
4. Opens the report from disk in headless Chromium (/usr/bin/chromium through Playwright): time to
   the first paint and until the page's script has drawn everything (data inflated and indexed), then
   the in-page time of a text filter over every frame of every capture, and of a host filter.
Targets: <= 5 MB; filtering without visible lag (well under 100 ms).
Usage: python scripts/bench/report.py [--captures 10000] [--seeds STORE_DIR|seeds.json] [--keep DIR] [--rounds 3]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, installed

sys.path.insert(0, str(REPO))

CHROMIUM = os.environ.get("HANGDUMP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SKIP_FIXTURES = {"busy_spin"}  # captures fine, but burns a core for the whole run


def capture_fixtures() -> list[dict]:
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect
    from tests.support import fixture_names, spawn_hang, wait_blocked

    seeds = []
    with contextlib.ExitStack() as stack:
        hung = []
        for name in fixture_names():
            if name in SKIP_FIXTURES:
                continue
            try:
                h = stack.enter_context(spawn_hang(name))
                wait_blocked(h.pid, [h.tid(n) for n, what in h.info.get("expect", {}).items() if what != "busy"])
            except (OSError, RuntimeError, AssertionError) as exc:
                print(f"  seed {name}: skipped ({exc})", file=sys.stderr)
                continue
            hung.append(h)
        for o in collect([h.pid for h in hung], CollectOptions(native=True)):
            if o.capture is not None:
                seeds.append(o.capture.to_dict())
            else:
                print(f"  seed pid {o.pid}: {o.error.one_line()}", file=sys.stderr)
    return seeds


def load_seeds(where: str) -> list[dict]:
    """Seeds from a seeds.json a previous --keep run saved, or from a store directory."""
    if where.endswith(".json"):
        return json.loads(Path(where).read_text())
    paths = sorted(Path(where, "captures").glob("*.json"))
    return [json.loads(p.read_text()) for p in paths]


def synthesize(seed: dict, i: int, rng: random.Random, t0: float) -> dict:
    doc = json.loads(json.dumps(seed))
    host = f"worker-{rng.randrange(50):02d}.prod"
    taken = t0 + rng.random() * 30 * 86400
    pid = rng.randrange(1000, 4_000_000)
    doc["host"], doc["pid"], doc["taken_at"] = host, pid, taken
    doc["start_time"] = taken - rng.uniform(60, 86400)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(taken)) + f"{taken % 1:.3f}"[1:]
    doc["id"] = f"{stamp}Z-{host}-{pid}-{i:06x}"
    proc = doc.get("process") or {}
    for key in ("rss", "pss", "uss"):
        if proc.get(key):
            proc[key] = int(proc[key] * rng.uniform(0.8, 3.0))
    proc["age_s"] = taken - doc["start_time"]
    proc["ppid"] = rng.randrange(1000, 4_000_000)
    shift = rng.choice((0, 0, 0, 2, -3, 7))
    counter = rng.randrange(1, 40)
    threads = doc.get("threads") or []
    if threads and rng.random() < 0.3:  # an extra idle helper now and then
        idle = json.loads(json.dumps(threads[-1]))
        idle["name"] = f"ThreadPoolExecutor-0_{counter}"
        threads.append(idle)
    for n, t in enumerate(threads):
        t["tid"] = pid + n
        if t.get("name", "").startswith("ThreadPoolExecutor-"):
            t["name"] = f"ThreadPoolExecutor-{counter}_{n}"
        k = t.get("kernel") or {}
        for key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
            if k.get(key) is not None:
                k[key] = k[key] + rng.randrange(0, 5000)
        for f in t.get("frames", []):
            if f.get("kind") == "python" and f.get("line") and "/fixtures/" in (f.get("file") or ""):
                f["line"] = max(1, f["line"] + shift)
            if f.get("address"):
                f["address"] = f["address"] + rng.randrange(0, 1 << 20) * 4096
    return doc


def write_store(seeds: list[dict], n: int, root: Path) -> None:
    rng = random.Random(1234)
    t0 = time.time() - 30 * 86400
    captures = root / "captures"
    captures.mkdir(parents=True, exist_ok=True)
    weights = [rng.uniform(0.2, 3.0) for _ in seeds]  # some causes are much commoner than others
    for i in range(n):
        doc = synthesize(rng.choices(seeds, weights)[0], i, rng, t0)
        (captures / f"{doc['id']}.json").write_text(json.dumps(doc))


PARSE_CHILD = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
for p in sorted(Path(sys.argv[1], "captures").iterdir()):
    json.loads(p.read_bytes())
print(time.perf_counter() - started)
"""
BUILD_CHILD = """
import sys, time
started = time.perf_counter()
from forensics.cli import main
code = main(["report", "--store", sys.argv[1], "--out", sys.argv[2]])
print(time.perf_counter() - started if code == 0 else -1)
"""


def _child(python: str, code: str, *args: str) -> float:
    """Seconds a fresh interpreter (of the installed package's venv) reports for ``code`` (interpreter start-up
    excluded, imports included): no cache of an earlier run (frame facts, templates) flatters a later one."""
    out = subprocess.run([python, "-c", code, *args], check=True, capture_output=True, text=True, cwd="/")
    value = float(out.stdout.strip().splitlines()[-1])
    if value < 0:
        raise SystemExit(f"hangdump report failed: {out.stderr}")
    return value


def bare_parse(python: str, root: Path) -> float:
    """Read + json.loads of every capture file, nothing else: the floor a report build is measured against."""
    return _child(python, PARSE_CHILD, str(root))


def build(python: str, root: Path, out: Path) -> float:
    """`hangdump report` on the store, in-process in a fresh interpreter (read, check, cluster, render, write)."""
    return _child(python, BUILD_CHILD, str(root), str(out))


def timings(python: str, root: Path, out: Path, rounds: int) -> tuple[list[float], list[float]]:
    """Parse and build interleaved, ``rounds`` times each: on a shared or virtual machine the speed drifts,
    and a ratio of two runs taken minutes apart says more about the machine than about the code."""
    parse, built = [], []
    for _ in range(rounds):
        parse.append(bare_parse(python, root))
        built.append(build(python, root, out))
    return parse, built


def browser_figures(out: Path, runs: int) -> dict:
    from playwright.sync_api import expect, sync_playwright

    wall, ready, paint, text_filter, host_filter, flame_filter = [], [], [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            started = time.perf_counter()
            page.goto(out.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            wall.append((time.perf_counter() - started) * 1000)
            ready.append(float(page.get_attribute("body", "data-ready-ms")))
            fcp = page.evaluate(
                "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: null}).startTime"
            )
            if fcp is not None:
                paint.append(fcp)
            page.fill("#f-text", "recv")
            expect(page.locator("#f-count")).to_contain_text(" of ", timeout=30000)
            text_filter.append(float(page.get_attribute("body", "data-filter-ms")))
            page.fill("#f-text", "")
            before = page.get_attribute("body", "data-filter-ms")
            page.select_option("#f-host", index=1)
            expect(page.locator("body")).not_to_have_attribute("data-filter-ms", before, timeout=30000)
            host_filter.append(float(page.get_attribute("body", "data-filter-ms")))
            # the flame graph of every stuck thread open: each filter redraws it from the matching captures
            page.select_option("#f-host", "")
            page.locator("#everything summary").click()
            expect(page.locator("#everything .fbox").first).to_be_visible(timeout=30000)
            before = page.get_attribute("body", "data-filter-ms")
            page.fill("#f-text", "recv")
            expect(page.locator("body")).not_to_have_attribute("data-filter-ms", before, timeout=30000)
            flame_filter.append(float(page.get_attribute("body", "data-filter-ms")))
            if errors:
                raise SystemExit(f"page errors: {errors}")
            page.close()
        browser.close()
    med = statistics.median
    return {
        "load_to_ready_ms": med(wall),
        "script_ready_ms": med(ready),
        "first_paint_ms": med(paint) if paint else None,
        "text_filter_ms": med(text_filter),
        "host_filter_ms": med(host_filter),
        "flame_filter_ms": med(flame_filter),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="HEAD", help="git revision to install (pip install . into a scratch venv) and measure")
    ap.add_argument("--captures", type=int, default=10000)
    ap.add_argument("--seeds", help="seed captures from this store (or a seeds.json saved by --keep) instead of "
                    "capturing the fixtures")
    ap.add_argument("--keep", help="build the store and report in this directory and keep them")
    ap.add_argument("--runs", type=int, default=3, help="browser loads (median)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved parse/build timings (median)")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hangdump-bench-report-"))
    try:
        seeds = load_seeds(args.seeds) if args.seeds else capture_fixtures()
        if not seeds:
            raise SystemExit("no seed captures")
        print(f"seeds: {len(seeds)} captures", file=sys.stderr)
        if args.keep:
            work.mkdir(parents=True, exist_ok=True)
            (work / "seeds.json").write_text(json.dumps(seeds))
        root, out = work / "store", work / "hangs.html"
        if root.exists():
            shutil.rmtree(root)
        write_store(seeds, args.captures, root)
        parse, built = timings(str(installed(args.ref) / "python"), root, out, args.rounds)
        parse_s, build_s = statistics.median(parse), statistics.median(built)
        size = out.stat().st_size
        print(f"captures            {args.captures}")
        print(f"report size         {size / 1e6:.2f} MB (target <= 5 MB)")
        print(f"build time          {build_s:.2f} s median of {args.rounds} "
              f"(bare read + json.loads of the files: {parse_s:.2f} s) -> {build_s / parse_s:.2f}x parse "
              f"(target <= 2x)")
        print("  rounds (parse/build s)  " + "  ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(parse, built)))
        if not args.no_browser:
            fig = browser_figures(out, args.runs)
            print(f"first paint         {fig['first_paint_ms']:.0f} ms" if fig["first_paint_ms"] else "first paint  ?")
            print(f"ready (all drawn)   {fig['script_ready_ms']:.0f} ms after navigation start "
                  f"({fig['load_to_ready_ms']:.0f} ms wall, from goto)")
            print(f"text filter         {fig['text_filter_ms']:.1f} ms (search 'recv' over every frame)")
            print(f"host filter         {fig['host_filter_ms']:.1f} ms")
            print(f"text filter, every stuck thread's flame graph open  {fig['flame_filter_ms']:.1f} ms")
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
