"""The scan loop's economies: heartbeat files decoded again only when they change, /proc files held open and
re-read (closed when their target goes), one tree walk for children and threads, and the next scan
scheduled for the moment the earliest fresh heartbeat would turn stale."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from forensics import procfs
from forensics.identity import read_stat
from forensics.watch.clock import FakeClock
from forensics.watch.events import Events
from forensics.watch.heartbeats import Beat, Beats, Reader
from forensics.watch.rules import RuleConfig
from forensics.watch.sampler import HeldFiles, sample, with_threads
from forensics.watch.targets import tree
from forensics.watch.watchdog import STALE_MARGIN_S, ScanResult, WatchConfig, Watchdog, next_stale_at
from tests.support import wait_until


def _write(directory, **fields) -> None:
    pid = os.getpid()
    payload = {"pid": pid, "start_ticks": read_stat(pid).start_ticks, "state": "task", **fields}
    with open(os.path.join(directory, f"{pid}.json"), "w") as fh:
        json.dump(payload, fh)


def test_an_unchanged_file_is_not_decoded_again_and_a_changed_one_is(tmp_path):
    reader, now = Reader(), time.monotonic()
    _write(tmp_path, mono=now - 5, seq=1)
    first = reader.read(str(tmp_path), now).by_pid[os.getpid()]
    assert reader.read(str(tmp_path), now + 1).by_pid[os.getpid()] is first
    _write(tmp_path, mono=now - 1, seq=2)
    renewed = reader.read(str(tmp_path), now + 1).by_pid[os.getpid()]
    assert (renewed.seq, renewed.mono) == (2, now - 1)


def test_a_rewritten_payload_is_read_by_a_regex_as_the_json_decode_reads_it_or_decoded_fully(tmp_path):
    """forensics.heartbeat's own files, written with plain and awkward task names and a head that changes
    (start_thread adds the beating thread): every read equals a full JSON decode; plain ones skip it."""
    from forensics import heartbeat
    from forensics.watch.heartbeats import decode_beat, decode_changed, head_of

    hb = heartbeat.Heartbeat(heartbeat.FileBackend(str(tmp_path)), resolution=3600)
    path, reader, pid = tmp_path / f"{os.getpid()}.json", Reader(), os.getpid()
    last = head = None
    for name, task_id in [("work", 1), ("work", None), (None, None), ('say "hi", then go', 7), ("café", 8),
                          ("a\\b", 9), ("thread", 10), ("idle", 11), ("work", 12)]:
        if name == "thread":
            hb.start_thread(3600)  # the payload names the beating thread now (its own beats: hourly, none here)
        if name == "idle":
            hb.task_finished()
        elif name is None:
            hb.beat()
        else:
            hb.task_started(name, id=task_id)
        hb.flush()
        raw, now = path.read_bytes(), time.monotonic()
        full = decode_beat(raw, now)
        assert reader.read(str(tmp_path), now).by_pid[pid] == full, raw
        escaped = b"\\" in raw
        if head is not None:  # the last payload had plain values
            assert decode_changed(raw, head, last, now) == (None if escaped or name == "thread" else full), raw
        last, head = full, head_of(raw, full, now)
        assert (head is None) == escaped and (head is None or raw.startswith(head))
    assert last.state == "task" and last.task == "work" and last.task_id == "12" and last.beater_tid is not None
    hb.close()


def test_a_beat_aged_by_its_mtime_is_aged_again_when_the_same_bytes_are_rewritten(tmp_path):
    reader, now = Reader(), time.monotonic()
    _write(tmp_path, seq=1)  # no monotonic stamp: the file's mtime ages it
    path = tmp_path / f"{os.getpid()}.json"
    os.utime(path, (time.time() - 100, time.time() - 100))
    old = reader.read(str(tmp_path), now).by_pid[os.getpid()]
    os.utime(path)  # rewritten just now with the same bytes
    new = reader.read(str(tmp_path), now).by_pid[os.getpid()]
    assert old.age(now) > 90 > new.age(now)


def _beat(mono: float, state: str = "task", resolution: float = 0.0) -> Beat:
    return Beat(pid=100, start_ticks=1, mono=mono, state=state, resolution=resolution)


def test_the_next_staleness_deadline_is_the_earliest_still_ahead_of_a_non_idle_beat():
    beats = Beats(readable=True, by_pid={1: _beat(90.0), 2: _beat(95.0), 3: _beat(99.0, state="idle"),
                                         4: _beat(70.0), 5: _beat(96.0, resolution=20.0)})
    # 4 is already stale (judged by this scan), 3 is idle (never stale), 5's writer period widens its deadline
    assert next_stale_at(beats, 30.0, now=100.0) == 120.0
    assert next_stale_at(Beats(readable=True, by_pid={4: _beat(70.0)}), 30.0, now=100.0) is None


def test_the_loop_wakes_at_a_deadline_before_the_interval_and_never_later_than_the_interval(tmp_path):
    clock = FakeClock(1000.0)
    dog = Watchdog(WatchConfig(interval_s=5.0, store=str(tmp_path), rules=RuleConfig(stale_s=2.0)), clock=clock,
                   events=Events(quiet=True))
    try:
        soon = ScanResult((), (), Beats(readable=True, by_pid={1: _beat(999.5)}), False, 0.5)
        assert abs(dog.until_next_scan(soon) - (1.5 + STALE_MARGIN_S)) < 1e-9
        later = ScanResult((), (), Beats(readable=True, by_pid={1: _beat(1010.0)}), False, 0.5)
        assert dog.until_next_scan(later) == 4.5  # the interval, counted from the scan's start
    finally:
        dog.close()


def test_a_payload_that_is_not_a_heartbeat_object_is_unknown_not_fatal(tmp_path):
    pid, ticks = os.getpid(), read_stat(os.getpid()).start_ticks
    reader, now = Reader(), time.monotonic()
    for text in ("[1, 2]", f'{{"pid": {pid}, "start_ticks": {ticks}}} trailing', "", "{not json"):
        (tmp_path / f"{pid}.json").write_text(text)
        beats = reader.read(str(tmp_path), now)
        assert beats.readable and pid in beats.unknown_pids and pid not in beats.by_pid, text
    (tmp_path / f"{pid}.json").write_text(f'\n {{"pid": {pid}, "start_ticks": {ticks}, "mono": {now!r}}}\n')
    assert reader.read(str(tmp_path), now).by_pid[pid].mono == now  # whitespace around an object is still JSON


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_held_proc_files_are_reread_through_one_fd_and_closed_when_the_target_goes():
    code = "import threading, time; threading.Thread(target=time.sleep, args=(600,)).start(); time.sleep(600)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    files = HeldFiles(limit=100)
    before = _open_fds()
    try:
        wait_until(lambda: len(os.listdir(f"/proc/{proc.pid}/task")) == 2, what="two threads")
        first = with_threads(sample(proc.pid, 1.0, files=files), files=files)
        held = _open_fds()
        assert held == before + 1 + 3 * 2  # the process's stat, and stat, syscall, status per thread
        again = with_threads(sample(proc.pid, 2.0, files=files), files=files)
        assert _open_fds() == held and again.ident == first.ident and len(again.threads) == 2
    finally:
        proc.kill()
        proc.wait()
    assert sample(proc.pid, 3.0, files=files) is None  # the held fd says ESRCH; a fresh open finds no process
    files.keep(())
    assert _open_fds() == before


def test_no_file_is_held_beyond_the_limit():
    files, before = HeldFiles(limit=1), _open_fds()
    assert sample(os.getpid(), 1.0, files=files).ident.pid == os.getpid()
    assert sample(os.getppid(), 1.0, files=files).ident.pid == os.getppid()  # read, not held
    assert _open_fds() == before + 1
    files.close()
    assert _open_fds() == before


def test_a_tree_walk_finds_grandchildren_with_their_thread_listings():
    code = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
            "time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        kids = wait_until(lambda: procfs.descendants(proc.pid) or None, what="a grandchild")
        found = tree(os.getpid())
        assert proc.pid in found and kids[0] in found
        assert found[kids[0]] == [str(kids[0])]
    finally:
        for pid in [*procfs.descendants(proc.pid), proc.pid]:
            os.kill(pid, 9)
        proc.wait()


def test_the_files_of_threads_that_ended_are_closed_by_the_next_walk():
    code = ("import threading, time\n"
            "t = threading.Thread(target=input); t.start(); print('two', flush=True); t.join(); print('one', flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    files, before = HeldFiles(limit=100), _open_fds()
    try:
        assert proc.stdout.readline() == "two\n"
        tree(proc.pid, files)
        assert _open_fds() == before + 2  # each of its threads' children file
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "one\n"
        wait_until(lambda: len(os.listdir(f"/proc/{proc.pid}/task")) == 1, what="the thread gone")
        tree(proc.pid, files)
        assert _open_fds() == before + 1
    finally:
        proc.kill()
        proc.wait()
        files.close()


def test_a_target_kept_by_its_parent_is_not_judged_again_until_its_parent_changes():
    from forensics.fleet.orphans import FIRST_SEEN, Parent, kept_by, read_kin
    from forensics.watch.watchdog import _Tracked

    me = sample(os.getpid(), 1.0)
    parent = read_kin(me.ppid)
    tr = _Tracked(me.ident, Parent(me.ppid, parent.start_ticks, FIRST_SEEN))
    assert Watchdog._orphans([(tr, me, None, True)]) == {}
    assert tr.kept_by == (me.ppid if me.ppid != 1 and kept_by(me, parent) else None)
    # as after the parent's death: judged again, and the parent it was first seen with is no longer its parent
    tr.first_parent = tr.first_parent._replace(start_ticks=parent.start_ticks - 1)  # so "gone": a pid reused
    found = Watchdog._orphans([(tr, me._replace(ppid=1), None, True)])[os.getpid()]
    assert (found["basis"], found["recorded_ppid"], found["recorded_parent"]) == (FIRST_SEEN, me.ppid, "pid reused")
