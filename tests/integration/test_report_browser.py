"""The report in a real headless Chromium, built from captures of real hung fixtures.

Opened from disk (file://): no console errors, nothing fetched, clusters render, filters narrow
them, a cluster expands to its stack and flame graph, a capture link opens the full view. A capture
full of hostile strings renders them as text and runs no script, with the page's CSP turned off so
that only escaping protects it. The page's own decoder inflates a compressed payload to the data
encoded. Needs Debian's `chromium` and the `playwright` Python package (its
browsers are never downloaded: we drive /usr/bin/chromium).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from forensics.cli import main
from forensics.model import Capture, Trigger
from forensics.store.local import LocalStore
from tests.support import spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
CHROMIUM = os.environ.get("HANGDUMP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
HOSTILE_STORED_ID = "20261123T225552.889Z-evil-6867-e0e0e0"  # its own id is an XSS payload no store accepts
FIXTURES = ("deadlock_ab", "deadlock_ab", "gil_held_ctypes", "idle_thread_pool", "socket_recv_no_timeout")
TASK = "nightly_settlement"  # the task a watchdog's heartbeat trigger names, put on the GIL capture
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "</script><script>alert(3)</script>")


def expect(locator):
    from playwright.sync_api import expect as pw_expect  # web-first waits: no eval, so the page's CSP stays on

    return pw_expect(locator)


def _need_browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set HANGDUMP_CHROMIUM)")
    return sync_api


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """A store with captures of real hangs (2x deadlock_ab, GIL held in C, an idle pool), a hostile
    capture and a corrupt file, and the report `hangdump report` writes from it."""
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect

    root = tmp_path_factory.mktemp("report")
    store = LocalStore(root / "store")
    with contextlib.ExitStack() as stack:
        hung = [stack.enter_context(spawn_hang(name)) for name in FIXTURES]
        for h in hung:
            waiting = [h.tid(n) for n, what in h.info.get("expect", {}).items() if what != "busy"]
            wait_blocked(h.pid, waiting)
        outcomes = collect([h.pid for h in hung], CollectOptions(native=True))
    errors = [o.error.one_line() for o in outcomes if o.error is not None]
    assert not errors, errors
    for o, name in zip(outcomes, FIXTURES):
        c = o.capture
        if name == "gil_held_ctypes":  # as the watchdog stores it: the heartbeat's task in the trigger's evidence
            c = c.with_changes(trigger=Trigger("heartbeat", "no_progress", {"task": TASK, "task_age_s": 42.0}))
        store.put(c)
    sock = next(o.capture for o, name in zip(outcomes, FIXTURES) if name == "socket_recv_no_timeout")
    peer = next(t.kernel.peer for t in sock.threads if t.kernel is not None and t.kernel.peer)
    hostile = Capture.from_json((DATA / "capture_hostile.json").read_text())
    hostile = hostile.with_changes(id=store.put(hostile.with_changes(id=HOSTILE_STORED_ID)).id)  # the store takes ids only
    (store.captures_dir / "20991231T000000.000Z-zz-1-corrupt.json").write_text('{"schema": "hangdump.capture/1", "threads": [')
    out = root / "hangs.html"
    assert main(["report", "--store", str(store.root), "--out", str(out)]) == 0
    return {
        "path": out,
        "url": out.as_uri(),
        "dir": root,
        "deadlocks": [o.capture.id for o, name in zip(outcomes, FIXTURES) if name == "deadlock_ab"],
        "hostile": hostile,
        "count": len(outcomes) + 1,
        "port": peer.rsplit(":", 1)[1],
        "socket": sock.id,
        "gil": next(o.capture.id for o, name in zip(outcomes, FIXTURES) if name == "gil_held_ctypes"),
        "store": store,
    }


@pytest.fixture(scope="module")
def browser():
    sync_api = _need_browser()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page with everything it logged, raised, requested and alerted recorded."""

    def __init__(self, context, url: str):
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = context.new_page()
        self.page.add_init_script("window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));")
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=15000)

    def alerts(self) -> list:
        return self.page.evaluate("window.__alerts")


@pytest.fixture
def page(browser, report):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = Watched(context, report["url"])
    yield watched
    context.close()


def _deadlock_cluster(p):
    """The cluster of the two deadlock_ab captures (the hostile capture is a deadlock too, of other functions)."""
    return p.locator("details.cluster[data-kind='deadlock']", has_text="transfer_a_to_b")


def test_opens_from_disk_clean_and_lists_clusters(page, report, tmp_path):
    p = page.page
    assert page.errors == [] and page.console == []
    assert page.requests == [report["url"]]  # nothing fetched: CSS, script and data are inline
    clusters = p.locator("details.cluster")
    assert clusters.count() >= 2
    deadlock = _deadlock_cluster(p)
    assert deadlock.count() == 1
    assert "2" in deadlock.locator(".n-match").inner_text()
    assert p.locator("#capture-list tbody tr").count() == report["count"]
    assert "zz-1-corrupt.json" in p.locator("#skipped").inner_text()
    p.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_filter_narrows_clusters_and_captures(page, report):
    p = page.page
    total = p.locator("details.cluster:visible").count()
    p.fill("#f-text", "transfer_a_to_b")
    expect(p.locator("#f-count")).to_contain_text(" of ")
    expect(p.locator("#capture-list tbody tr")).to_have_count(2)
    assert 1 <= p.locator("details.cluster:visible").count() < total
    assert _deadlock_cluster(p).is_visible()
    # the input's "change" on blur (a click elsewhere) repeats the same filter: the list is not redrawn
    p.evaluate("document.querySelector('#capture-list tbody tr').__kept = 1")
    p.dispatch_event("#f-text", "change")
    p.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert p.evaluate("document.querySelector('#capture-list tbody tr').__kept") == 1
    p.fill("#f-text", "")
    p.select_option("#f-host", report["hostile"].host)
    expect(p.locator("#capture-list tbody tr")).to_have_count(1)
    p.select_option("#f-host", "")
    p.fill("#f-since", "2000-01-01T00:00:00")
    p.fill("#f-until", "2000-01-02T00:00:00")
    expect(p.locator("details.cluster:not([hidden])")).to_have_count(0)
    assert "No capture matches" in p.locator("#capture-list").inner_text()


def test_cluster_expands_to_stack_flame_and_members_and_links_to_captures(page, report, tmp_path):
    p = page.page
    deadlock = _deadlock_cluster(p)
    deadlock.locator("summary").click()
    stack = deadlock.locator("ol.stack").first
    assert stack.is_visible()
    text = deadlock.locator(".cluster-body").inner_text()
    assert "transfer_a_to_b" in text or "transfer_b_to_a" in text
    assert deadlock.locator(".frame.blocking").count() >= 1
    boxes = deadlock.locator(".flame .fbox")
    assert boxes.count() > 2
    assert deadlock.locator(".members tbody tr").count() == 2
    p.screenshot(path=str(tmp_path / "cluster.png"), full_page=True)
    boxes.nth(1).click()  # zoom on the first wait
    assert "zoomed on" in deadlock.locator(".flame").inner_text()
    link = deadlock.locator("a.cap-link").first
    ident = link.inner_text()
    assert ident in report["deadlocks"]
    link.click()
    view = p.locator("#capture-view")
    view.wait_for(state="visible")
    body = view.inner_text()
    assert ident in body and "worker-a" in body and "worker-b" in body
    assert "futex" in body and "GIL" in body
    assert view.locator(".thread-full").count() >= 3
    p.screenshot(path=str(tmp_path / "capture.png"))
    p.click("#capture-close")
    view.wait_for(state="hidden")
    assert page.errors == [] and page.console == []


def test_hostile_strings_render_as_text_and_run_nothing(browser, report, tmp_path):
    # CSP off: only escaping stands between the hostile capture and script execution
    context = browser.new_context(bypass_csp=True)
    try:
        watched = Watched(context, report["url"])
        p = watched.page
        p.fill("#f-text", "alert(")
        expect(p.locator("#capture-list tbody tr")).to_have_count(1)
        p.locator("#capture-list a.cap-link").click()
        view = p.locator("#capture-view")
        view.wait_for(state="visible")
        text = view.inner_text()
        for bad in HOSTILE:
            assert bad in text
        assert report["hostile"].id in text
        p.screenshot(path=str(tmp_path / "hostile.png"))
        assert p.evaluate("document.querySelectorAll('img, svg[onload], [onerror]').length") == 0
        assert p.evaluate("document.scripts.length") == 2
        assert watched.alerts() == [] and watched.dialogs == []
        assert watched.errors == []
    finally:
        context.close()


def _open_flame_boxes(p) -> str:
    return " ".join(p.locator("#everything .flame .fbox").all_inner_texts())


@pytest.mark.parametrize("what", ["lock", "port", "task"])
def test_search_by_lock_port_and_task_narrows_clusters_captures_and_the_open_flame(page, report, what):
    p = page.page
    p.locator("#everything summary").click()
    expect(p.locator("#everything .flame .fbox").first).to_be_visible()
    before = p.locator("#everything .flame .fbox").count()
    total = p.locator("details.cluster:visible").count()
    query, expected = {"lock": ("lock_a", report["deadlocks"]), "port": (report["port"], [report["socket"]]),
                       "task": (TASK, [report["gil"]])}[what]
    p.fill("#f-text", query)
    expect(p.locator("#capture-list tbody tr")).to_have_count(len(expected))
    assert sorted(p.locator("#capture-list a.cap-link").all_inner_texts()) == sorted(expected)
    assert 1 <= p.locator("details.cluster:visible").count() < total
    # the flame graph already open now draws only the matching captures' stuck threads
    expect(p.locator("#everything .flame .froot")).not_to_have_text(f"all stuck threads ({before})")
    assert p.locator("#everything .flame .fbox").count() < before
    boxes = _open_flame_boxes(p)
    if what == "lock":
        assert "transfer_a_to_b" in boxes and "recv" not in boxes
    if what == "port":
        assert "recv" in boxes and "transfer_a_to_b" not in boxes
    assert page.errors == []


def test_captures_table_has_verdict_culprit_role_task_and_sorts(page, report):
    p = page.page
    heads = p.locator("#capture-list th").all_inner_texts()
    assert heads[:5] == ["capture", "verdict", "culprit", "role", "task"]
    row = p.locator("#capture-list tr", has=p.locator(f"a.cap-link:text-is('{report['gil']}')"))
    cells = row.locator("td").all_inner_texts()
    assert cells[1].lower() == "gil" and "()" in cells[2] and cells[4] == TASK
    p.locator("#capture-list th", has_text="verdict").click()
    kinds = [k for k in p.locator("#capture-list tbody td:nth-child(2)").all_inner_texts()]
    assert kinds == sorted(kinds)
    p.locator("#capture-list th", has_text="verdict").click()
    kinds = [k for k in p.locator("#capture-list tbody td:nth-child(2)").all_inner_texts()]
    assert kinds == sorted(kinds, reverse=True)


def test_capture_view_shows_its_verdict_times_trigger_and_options(page, report):
    p = page.page
    p.goto(report["url"] + "#capture/" + report["deadlocks"][0])
    view = p.locator("#capture-view")
    view.wait_for(state="visible")
    first = view.locator(".verdict.first")
    expect(first.locator(".kind")).to_have_text("deadlock", ignore_case=True)
    assert "transfer_a_to_b" in first.inner_text()
    facts = view.locator(".facts").inner_text()
    assert " UTC (" in facts and " ago)" in facts
    assert "native: yes" in facts and "{" not in facts  # options as text, not JSON
    p.goto(report["url"] + "#capture/" + report["gil"])
    view.wait_for(state="visible")
    expect(view.locator(".verdict.first .kind")).to_have_text("gil", ignore_case=True)
    expect(view.locator(".facts")).to_contain_text(f"task: {TASK}")
    p.screenshot(path="/tmp/hangdump-report-capture.png")


def test_timeline_of_a_ten_minute_incident_is_per_minute(browser, report, tmp_path):
    """The same captures retaken over ten minutes: the chart counts per minute, not one bar per day."""
    from forensics.report import build, render

    src = report["store"]
    store = LocalStore(tmp_path / "store")
    captures = [src.read(p.stem)[1] for p in src.paths() if "corrupt" not in p.stem]
    t0 = min(c.taken_at for c in captures)
    for i, c in enumerate(captures):
        store.put(c.with_changes(taken_at=t0 + i * 600 / max(1, len(captures) - 1)))
    out = tmp_path / "incident.html"
    render.write(str(out), build.build_report(store, progress=False).html)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    w = Watched(context, out.as_uri())
    chart = w.page.locator("#timeline")
    expect(chart).to_have_attribute("data-unit", "minute")
    assert "per minute" in chart.locator("figcaption").inner_text()
    assert 10 <= chart.locator("rect").count() <= 12
    w.page.screenshot(path="/tmp/hangdump-report-overview.png", full_page=True)
    assert w.errors == []
    context.close()


def test_flame_folds_interpreter_frames_until_asked_and_headlines_show_call_sites_as_code(page, report):
    p = page.page
    deadlock = _deadlock_cluster(p)
    deadlock.locator("summary").click()
    boxes = deadlock.locator(".flame .fbox")
    expect(boxes.first).to_be_visible()
    # py-spy --native already puts Python frames in place of the eval loop; the thread's C entry (thread_run) stays
    assert not any("thread_run" in b or "_PyEval_" in b for b in boxes.all_inner_texts())
    assert any("PyThread_acquire_lock_timed" in b for b in boxes.all_inner_texts())  # the wait itself is kept
    p.check("#f-interp")
    expect(deadlock.locator(".flame .fbox", has_text="thread_run")).not_to_have_count(0)
    p.uncheck("#f-interp")
    expect(deadlock.locator(".flame .fbox", has_text="thread_run")).to_have_count(0)
    top = p.locator(".top-clusters li").first
    assert top.locator("code").count() == 2  # the two call sites of the lock cycle
    text = top.inner_text()
    assert "transfer_a_to_b() at deadlock_ab.py:" in text and "`" not in text and "tid" not in text


def test_verdict_filter_narrows_the_captures_table_to_that_category(page, report):
    p = page.page
    p.select_option("#f-verdict", "io")
    expect(p.locator("#capture-list tbody tr")).to_have_count(1)
    assert p.locator("#capture-list a.cap-link").inner_text() == report["socket"]
    assert p.locator("details.cluster:visible").count() == 1


def _pages_decoder(html: str) -> str:
    """The page's own `load()` (read the data element, inflate it when compressed), cut from its inline script."""
    js = html[html.rindex("<script>") + len("<script>") : html.rindex("</script>")]
    found = re.search(r"\n(  function load\(\) \{\n.*?\n  \})\n", js, re.DOTALL)
    assert found, "report.js has no `function load()`: update this test with the page's decoder"
    return found.group(1)


def test_the_pages_own_decoder_inflates_a_compressed_payload(browser, tmp_path):
    from forensics.report import render

    captures = [Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()),
                Capture.from_json((DATA / "capture_hostile.json").read_text())]
    captures[0] = captures[0].with_changes(host="hôte-ünïcode-主机")  # multi-byte UTF-8 through gzip and atob
    encoded = json.loads(json.dumps(render.encode_captures(captures).doc()))
    context = browser.new_context()
    try:
        for compress in (True, False):
            html = render.render_report(captures, compress=compress, generated_at=0)
            assert ('<script id="hangdump-data" type="application/json">{"z":"' in html) == compress
            path = tmp_path / f"compress-{compress}.html"
            path.write_text(html, encoding="utf-8")
            page = context.new_page()
            page.goto(path.as_uri())
            decoded = page.evaluate(f"() => {{\n{_pages_decoder(html)}\n  return load();\n}}")
            assert decoded == encoded, compress
            page.wait_for_selector("body[data-ready='1']", timeout=15000)  # and the page itself got there too
            page.close()
    finally:
        context.close()


def test_the_pages_own_decoder_rebuilds_the_tables_from_the_cached_pieces(browser, report, tmp_path):
    """A report of a store carries one piece per capture (report/pieces.py, version 2): the page's load() interns
    them into the tables and flame graphs ``render.read_payload`` rebuilds (version 1), compressed or not."""
    from forensics.report import build, render

    data = build.collect(report["store"], progress=False, pieces=True)
    context = browser.new_context()
    try:
        for compress in (True, False):
            html = render.render_payload(data.payload, data.clusters, data.skipped, compress=compress, generated_at=0)
            path = tmp_path / f"pieces-{compress}.html"
            path.write_text(html, encoding="utf-8")
            page = context.new_page()
            page.goto(path.as_uri())
            decoded = page.evaluate(f"() => {{\n{_pages_decoder(html)}\n  return load();\n}}")
            want = render.read_payload(html)
            assert want["v"] == 1 and len(want["c"]) == report["count"] and want["a"][1] > 0
            assert decoded == want, compress
            page.wait_for_selector("body[data-ready='1']", timeout=15000)
            page.close()
    finally:
        context.close()
