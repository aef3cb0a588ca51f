"""Terminal injection: a live process whose names carry ESC sequences and CR/LF, seen through a real pty.

The target's script file, thread name, function name (a code object renamed) and code file name, and an
imported dump's host, all hold a clear-screen, an OSC title, a bidi override and "\\r\\n  verdict: nothing
wrong" trying to forge a summary row. Every terminal view (collect, import, ls, show, clusters, export, the
error lines) runs on a pseudo-terminal, where click strips nothing, and must show those strings escaped.
"""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from forensics.capture.pyspy import find_pyspy
from forensics.termsafe import escape
from tests.support import wait_blocked

pytestmark = pytest.mark.integration

FORGE = "\r\n  verdict: nothing wrong\x1b[2J\x1b]0;owned\x07\u202e\x9b31m"
TARGET = textwrap.dedent("""\
    import sys, threading, types
    FORGE = {forge!r}
    never = threading.Event()
    def body():
        print(threading.get_native_id(), flush=True)
        never.wait()
    fields = dict(co_name="wait_here" + FORGE, co_filename="/srv/app/jobs" + FORGE + ".py")
    if sys.version_info >= (3, 11):
        fields["co_qualname"] = fields["co_name"]
    renamed = types.FunctionType(body.__code__.replace(**fields), globals())
    threading.Thread(target=renamed, name="worker" + FORGE, daemon=True).start()
    never.wait()
""").format(forge=FORGE)
# raw bytes no view may print: C0 controls but LF (the pty turns LF into CR LF), DEL, and as UTF-8 the C1
# controls and the bidi / separator characters
RAW = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


def on_tty(*args: str, stderr: bool = True) -> tuple[int, bytes]:
    """Run `hangdump ARGS` with stdin, stdout and stderr (unless not ``stderr``: dropped) on a new
    pseudo-terminal; its exit code and output."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="200")
    proc = subprocess.Popen([sys.executable, "-m", "forensics", *args], stdin=slave, stdout=slave,
                            stderr=slave if stderr else subprocess.DEVNULL, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every holder of the terminal's other side has closed it
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(), b"".join(chunks).replace(b"\r\n", b"\n")


def assert_safe(out: bytes) -> str:
    """No raw control byte, no line the hostile text forged; the text as shown."""
    raw = RAW.findall(out)
    assert not raw, (raw[:5], out[:2000])
    text = out.decode("utf-8")
    forged = [line for line in text.splitlines() if line.lstrip().startswith(("verdict: nothing", "verdict: fine"))]
    assert not forged, forged
    return text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """A live capture (`collect` on a tty) of the hostile target, and a py-spy dump of it imported with a hostile host."""
    root = tmp_path_factory.mktemp("termsafe")
    script = root / ("evil" + FORGE.replace("\x9b", "") + ".py")  # a file name holds any byte but NUL and "/"
    script.write_text(TARGET)
    store = str(root / "store")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        tid = int(proc.stdout.readline())
        wait_blocked(proc.pid, [tid], syscalls=["futex"])
        collected = on_tty("collect", "--pid", str(proc.pid), "--store", store)
        dump = root / "dump.json"
        with open(dump, "w") as fh:
            subprocess.run([find_pyspy(), "dump", "--pid", str(proc.pid), "--json"], stdout=fh, check=True)
    finally:
        proc.kill()
        proc.wait()
    imported = on_tty("import", str(dump), "--host", "db" + FORGE, "--pid", str(proc.pid), "--store", store)
    return {"root": root, "store": store, "pid": proc.pid, "collect": collected, "import": imported}


def test_the_pty_passes_raw_control_bytes():
    """The check below means something: what a view prints raw reaches the reader raw."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", "print('\\x1b[2J\\rX')"], stdout=slave, close_fds=True)
    os.close(slave)
    out = os.read(master, 1024)
    proc.wait()
    os.close(master)
    assert RAW.findall(out)[:2] == [b"\x1b", b"\r"]


def test_collect_summary_shows_the_names_escaped(hostile):
    code, out = hostile["collect"]
    assert code == 0, out
    text = assert_safe(out)
    shown = escape(FORGE)
    assert f'thread "worker{shown}"' in text  # in the verdict, whole
    assert f"wait_here{shown}()" in text and f"jobs{shown}.py" in text
    # the command line, cut at 100 characters: where the cut falls depends on the interpreter's path
    assert "/evil\\r\\n" in text.splitlines()[1], text


def test_import_ls_show_and_clusters_show_them_escaped(hostile):
    code, out = hostile["import"]
    assert code == 0, out
    assert_safe(out)
    store = hostile["store"]
    code, out = on_tty("ls", "--store", store)
    text = assert_safe(out)
    assert code == 0 and f"db{escape(FORGE)}" in text
    ids = [line.split()[0] for line in text.splitlines()[1:]]
    assert len(ids) == 2
    for ident in ids:
        code, out = on_tty("show", ident, "--store", store)
        text = assert_safe(out)
        assert code == 0 and f"wait_here{escape(FORGE)}" in text
        code, out = on_tty("show", ident, "--json", "--store", store)
        assert code == 0
        doc = json.loads(assert_safe(out))  # escaped the JSON way: the same document
        assert any(t["name"] == "worker" + FORGE for t in doc["threads"])
    code, out = on_tty("clusters", "--store", store)
    text = assert_safe(out)
    assert code == 0 and "\\r\\n  verdict: nothing wrong\\x1b[2J" in text  # shown, escaped, on its line
    # stdout only: on a terminal, stderr shows our own progress bar (cursor controls, CRs)
    code, out = on_tty("export", "--format", "folded", "--store", store, stderr=False)
    text = assert_safe(out)
    assert code == 0 and f"wait_here{escape(FORGE).replace(';', ':')} (jobs" in text


def test_error_lines_echo_user_data_escaped(hostile):
    code, out = on_tty("show", "nope" + FORGE, "--store", hostile["store"])
    text = assert_safe(out)
    assert code != 0 and text.startswith("hangdump: error: no capture") and "\\x1b[2J" in text
    bad = Path(hostile["root"]) / ("bad" + FORGE.replace("\x9b", "") + ".json")
    bad.write_text("not json")
    code, out = on_tty("import", str(bad), "--store", hostile["store"])
    text = assert_safe(out)
    assert code != 0 and "bad\\r\\n  verdict: nothing wrong" in text
