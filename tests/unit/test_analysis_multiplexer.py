"""A wait in an I/O multiplexer (selectors' select(), multiprocessing.connection.wait) waits for readiness of a set
of fds: an event loop's wait for work, never a condition wait. Over real captures: the held-out app's imported
py-spy dumps (fixtures/corpus_blind5: no kernel state, some --native) and live captures of
tests/unit/selector_loop/selector_loop.py (3.12, with and without --native), where the kernel's poll timeout decides."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.analysis import analyze, verdicts
from forensics.importers.files import import_file
from tests.support import HANG_KINDS

ROOT = Path(__file__).resolve().parents[1].parent
IMPORTED = ROOT / "fixtures" / "corpus_blind5" / "captures"
LOOP = Path(__file__).resolve().parent / "selector_loop"


def _load(path: Path) -> dict:
    d = json.loads(path.read_text())
    return d.get("processes", [d])[0] if "threads" not in d else d


def _imported(name: str) -> dict:
    """A raw py-spy dump of the held-out corpus, imported the way ``hangdump import`` does."""
    return import_file(str(IMPORTED / name)).to_dict()


def _thread(pa, name: str):
    return next(t for t in pa.threads if t.name == name)


@pytest.mark.parametrize("name", [
    "0032-healthy-rtu-selector-py313.json",  # sel.select(timeout=1.0) in an application's loop
    "0040-healthy-rtu-selector-py312-native.json",  # the same, epoll_wait native frames, no syscall args
    "0011-healthy-lab-process-pool-py313.json",  # a pool's result loop in multiprocessing.connection.wait()
    "0001-healthy-lab-process-pool-py311-native.json",
])
def test_a_multiplexer_wait_in_a_dump_with_no_kernel_state_is_an_event_loop_idle_by_design(name):
    d = _imported(name)
    assert not any(t.get("kernel") for t in d["threads"])  # the premise: an imported dump
    assert not {v.kind for v in verdicts(d, read_source=False)} & HANG_KINDS
    waits = [t for t in analyze(d, read_source=False).threads if "select" in t.detail or "connection.wait" in t.detail]
    assert waits and all(t.benign and t.category == "idle" for t in waits)


@pytest.mark.parametrize("native", ["native", "no-native"])
def test_a_live_selector_loop_with_a_timeout_is_idle(native):
    d = _load(LOOP / f"selector-idle-py312-{native}.json")
    loop = _thread(analyze(d, read_source=False), "loop")
    assert loop.benign and loop.category == "idle" and "with a timeout" in loop.detail
    assert [v.kind for v in verdicts(d, read_source=False)] == ["idle"]


@pytest.mark.parametrize("native", ["native", "no-native"])
def test_a_live_select_with_no_timeout_is_an_io_hang_not_a_condition_wait(native):
    # the kernel's poll timeout argument (-1) says only an event ends it: the live capture tells it apart
    d = _load(LOOP / f"selector-select-forever-py312-{native}.json")
    loop = _thread(analyze(d, read_source=False), "loop")
    assert not loop.benign and loop.forever and loop.category == "select"
    first = verdicts(d, read_source=False)[0]
    assert first.kind == "io" and first.roles[0].name == "loop" and "serve()" in first.text and "no timeout" in first.text


@pytest.mark.parametrize("native", ["native", "no-native"])
def test_a_plain_recv_with_no_timeout_is_still_a_hang(native):
    d = _load(LOOP / f"selector-recv-py312-{native}.json")
    first = verdicts(d, read_source=False)[0]
    assert first.kind == "io" and first.roles[0].name == "reader" and "read_reply()" in first.text


def test_a_plain_recv_in_a_dump_with_no_kernel_state_is_not_taken_for_idle():
    d = _imported("0017-plc-register-recv-py39.json")  # sock.recv() with no timeout, imported
    first = verdicts(d, read_source=False)[0]
    assert first.kind != "idle" and "read_holding_registers()" in first.text


SELECTS = '''import select
import selectors


def await_reply(fd):
    select.select([fd], [], [])
    ready = sel.select()
    events = sel.select(timeout=None)
    select.select([fd], [], [], 5.0)
    sel.select(timeout=1)


def serve(sel):
    while True:
        for key, _ in sel.select():
            key.data(key.fileobj)


def drain(sel):
    while not sel.select():
        pass
    for _ in range(3):
        select.select([0], [], [])
'''


@pytest.mark.parametrize(("line", "once"), [
    (6, "select.select([fd], [], [])"),  # no timeout, once: a wait for one reply
    (7, "sel.select()"),
    (8, "sel.select(timeout=None)"),
    (9, None),  # a timeout: it wakes up by itself
    (10, None),
    (15, None),  # selects again and again: an event loop
    (20, None),  # a while's test runs again and again too
    (23, None),
])
def test_a_select_with_no_timeout_outside_any_loop_is_read_from_the_source_as_a_wait_for_one_reply(tmp_path, line, once):
    from forensics.analysis.source import lock_facts

    path = tmp_path / "client.py"
    path.write_text(SELECTS)
    assert lock_facts(str(path), line).selects_once == once


def test_a_read_that_asks_for_each_packets_sender_is_a_datagram_server_when_no_socket_table_says_so():
    # a live capture (FROZEN11's hangdump) whose socket tables missed the UDP socket: the recvfrom syscall's sender
    # buffer (recv() passes NULL) says it is socket.recvfrom(), how a socket connected to no one peer is read
    d = _load(ROOT / "fixtures" / "corpus_blind14_live" / "captures" / "0047-healthy-observation-consumer-py312.json")
    reader = next(t for t in d["threads"] if t["name"] == "datagrams")
    assert "local" not in reader["kernel"] and reader["kernel"]["syscall"]["name"] == "recvfrom"
    pa = analyze(d, read_source=False)
    assert _thread(pa, "datagrams").benign and "datagrams from anyone" in _thread(pa, "datagrams").detail
    assert not {v.kind for v in pa.verdicts} & HANG_KINDS, [v.text for v in pa.verdicts]
