"""The HTML report without a browser: templates compiled once, the inlined payload, escaping.

The compressed payload's round trip goes through the page's own decoder in Chromium: test_report_browser.py."""
import base64
import hashlib
import html as html_lib
import re
from pathlib import Path

import jinja2
import pytest
from markupsafe import escape

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


# each text Jinja puts in a page, with the hostile string it carries in the test below
FIELDS = {"title": 0, "scope": 1, "host": 2, "kind": 0, "headline": 1, "explanation": 2, "thread": 0, "role": 1,
          "what": 2, "values": 0, "function": 1, "file": 2, "path": 0, "reason": 1}


def _bad(field: str) -> str:
    return f"{field}={HOSTILE[FIELDS.get(field, 0)]}"


def test_every_field_the_templates_render_comes_out_escaped():
    """Each field carries a hostile string: each must be in the page HTML-escaped, none raw, nothing injected."""
    lines = (StackLine(Frame("python", _bad("function"), "/srv/" + _bad("file"), 3), blocking=True, app=True),)
    cluster = ClusterView(
        id="c1", kind=_bad("kind"), headline=_bad("headline"), explanation=_bad("explanation"), members=(0,),
        processes=1, hosts=(_bad("host"),), days=1, first_seen=1.0, last_seen=2.0,
        threads=(RepresentativeThread(_bad("thread"), _bad("role"), lines),), varies=((_bad("what"), _bad("values")),),
    )
    capture = _deadlock(id=_bad("id"), host=_bad("host"))
    page = render.render_report([capture], [cluster], [Skipped(Path("/s/" + _bad("path")), _bad("reason"))],
                                title=_bad("title"), scope=_bad("scope"), compress=False)
    for html, fields in ((page, FIELDS), (render.render_capture(capture), ("id",))):
        assert html.count("<script") == 2 and "<img" not in html  # the data element and our script, nothing else
        for field in fields:
            assert str(escape(_bad(field))) in html and _bad(field) not in html, field


def test_templates_compile_once_per_process_not_per_page(monkeypatch):
    render.render_report([_deadlock()])
    render.render_capture(_deadlock())
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda env, *a, **k: compiled.append(a) or real(env, *a, **k))
    render.render_report([_deadlock()])
    render.render_capture(_deadlock())
    assert compiled == []


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
