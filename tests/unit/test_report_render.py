"""The HTML report without a browser: one cached autoescaping environment, the inlined payload, escaping."""
import base64
import hashlib
import html as html_lib
import re
from pathlib import Path

import pytest

from forensics.model import Capture, Frame
from forensics.report import render
from forensics.report.render import ClusterView, RepresentativeThread, StackLine
from forensics.store.local import Skipped

DATA = Path(__file__).parent.parent / "data"
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "</script><script>alert(3)</script>")


def _deadlock(**changes) -> Capture:
    return Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()).with_changes(**changes)


def _hostile() -> Capture:
    return Capture.from_json((DATA / "capture_hostile.json").read_text())


def _cluster(members, frames, kind="deadlock", text="thread worker-a holds lock_a") -> ClusterView:
    lines = tuple(StackLine(f, blocking=i == 0, app=f.kind == "python") for i, f in enumerate(frames))
    return ClusterView(
        id="c1", kind=kind, headline=text, explanation=text, members=tuple(members), processes=len(members),
        hosts=("vm",), days=1, first_seen=1.0, last_seen=2.0,
        threads=(RepresentativeThread("worker-a", "lock wait", lines),), varies=(("line", "41, 43"),),
    )


def test_one_cached_environment_with_autoescape():
    env = render.environment()
    assert env is render.environment()
    assert env.autoescape is True
    assert set(env.list_templates()) >= {"base.html", "report.html", "capture.html"}


def test_report_is_self_contained_and_carries_every_capture():
    a = _deadlock()
    b = _deadlock(id="20261124T000000.000Z-vm2-7000-bbbbbb", host="vm2", pid=7000, taken_at=a.taken_at + 86400)
    html = render.render_report([a, b], title="weekly")
    assert "<title>weekly</title>" in html
    # nothing fetched at view time: no external URL in src/href, one inline script, one inline style
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert html.count("<script>") == 1 and "<style>" in html
    doc = render.read_payload(html)
    strings = doc["s"]
    assert [strings[c[0]] for c in doc["c"]] == [a.id, b.id]
    assert [strings[c[1]] for c in doc["c"]] == ["vm", "vm2"]
    # threads point at deduplicated stacks of frames, leaf first, as in the capture
    worker = next(t for t in doc["c"][0][8] if strings[t[1]] == "worker-a")
    frames = [doc["f"][i] for i in doc["k"][worker[4]]]
    expected = next(t for t in a.threads if t.name == "worker-a").frames
    assert [strings[f[2]] for f in frames] == [f.function for f in expected]
    assert len(doc["k"]) == len({t.frames for t in a.threads})  # b repeats a's stacks: stored once
    # a day apart: a chart per hour with two bars that are not empty; the whole report's flame counts every
    # thread with frames
    assert 'data-unit="hour"' in html
    assert len(re.findall(r"<rect [^>]*><title>[^<]*: [1-9]", html)) == 2
    assert doc["a"][1] == sum(1 for c in (a, b) for t in c.threads if t.frames)


def test_large_payload_is_compressed_and_decodes_the_same():
    a = _deadlock()
    plain = render.read_payload(render.render_report([a], compress=False, generated_at=0))
    packed_html = render.render_report([a], compress=True, generated_at=0)
    assert '{"z":"' in packed_html
    assert render.read_payload(packed_html) == plain


def test_inline_script_matches_the_content_security_policy_hash():
    html = render.render_report([_deadlock()])
    js = re.search(r"<script>(.*?)</script>", html, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()
    csp = html_lib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1))
    assert f"'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_hostile_strings_are_escaped_in_html_and_cannot_close_the_data_script():
    evil = _hostile()
    frames = next(t for t in evil.threads if t.name and "worker" in t.name).frames
    cluster = _cluster([0], frames, text="holds " + HOSTILE[0])
    html = render.render_report([evil], [cluster], [Skipped(Path("/s/" + HOSTILE[1]), HOSTILE[2])], compress=False)
    for bad in HOSTILE:
        assert bad not in html
    assert "<img" not in html and "<svg onload" not in html
    assert html.count("<script") == 2  # the data element and our script, nothing injected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the Jinja-rendered headline, as text
    body = html[html.index('type="application/json">') :]
    assert body.index("</script>") > body.index('"v":1')  # the JSON is not cut short by a hostile "</script>"
    doc = render.read_payload(html)
    assert any(HOSTILE[2] in s for s in doc["s"])  # and the hostile text survives intact as data


def test_cluster_section_marks_the_blocking_frame_app_frames_and_what_varies():
    a = _deadlock()
    worker = next(t for t in a.threads if t.name == "worker-a")
    html = render.render_report([a], [_cluster([0], worker.frames)])
    section = html[html.index('id="cluster-c1"') :]
    assert 'data-kind="deadlock"' in html
    assert "blocked here" in section
    assert section.index("blocking") < section.index(worker.frames[1].function)
    assert 'class="frame python app' in section
    assert "What varies" in section and "41, 43" in section
    doc = render.read_payload(html)
    assert doc["g"][0][1] == [0] and doc["c"][0][6] == 0


def test_skipped_files_are_listed():
    html = render.render_report([], [], [Skipped(Path("/store/captures/broken.json"), "not valid JSON")])
    assert "broken.json" in html and "not valid JSON" in html
    assert "No clusters" in html


def test_capture_page_names_its_capture():
    a = _deadlock()
    html = render.render_capture(a)
    assert f'data-only-capture="{a.id}"' in html
    assert render.read_payload(html)["s"][render.read_payload(html)["c"][0][0]] == a.id


@pytest.mark.parametrize("frame,label", [
    (Frame("python", "Lock.acquire", "/usr/lib/python3.11/threading.py", 41), "Lock.acquire (threading.py)"),
    (Frame("native", "take_gil", module="/usr/lib/libpython3.11.so.1.0"), "take_gil [libpython3.11.so.1.0]"),
    (Frame("native", "??", address=0x7F00), "??"),
])
def test_frame_labels_leave_lines_out(frame, label):
    from forensics.report.flame import frame_label

    assert frame_label(frame) == label
