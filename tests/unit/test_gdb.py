"""Pure parts of the gdb/core backend: walk conversion, deep merge, core notes, sizes, retention, extension lookup."""
from __future__ import annotations

import os
import struct
import time

import pytest

from forensics.capture import core as corefile
from forensics.capture import gdb as gdbmod
from forensics.capture.merge import merge_deep, splice
from forensics.errors import GdbError, LowDiskSpace, UsageError
from forensics.model import Capture, Frame, ThreadStack
from forensics.store.local import LocalStore

WALK = {
    "gil": {"locked": True, "pthread": 222, "native": None},
    "python_threads": {"111": 11, "222": 12},
    "errors": [],
    "threads": [
        {"tid": 12, "name": "python3", "pthread": 222, "lock_address": None, "frames": [
            {"kind": "native", "function": "clock_nanosleep", "address": 1, "module": "/lib/libc.so.6"},
            {"kind": "python", "function": "call_native_codec", "file": "/app/x.py", "line": 9},
        ]},
        {"tid": 11, "name": "python3", "pthread": 111, "lock_address": 0x7F00, "frames": [
            {"kind": "native", "function": "take_gil", "address": 2, "file": "Python/ceval_gil.h", "line": 0},
            {"kind": "python", "function": "crunch", "file": "/app/x.py", "line": 3},
        ]},
        {"tid": 13, "name": "helper", "pthread": 333, "frames": []},
    ],
}


def test_walk_to_threads_maps_gil_holder_by_pthread_and_keeps_leaf_first():
    threads, gil_known = gdbmod.threads_from_walk(WALK)
    assert gil_known
    t = {s.tid: s for s in threads}
    assert [s.tid for s in threads] == [11, 12, 13]
    assert t[12].owns_gil is True and t[11].owns_gil is False and t[13].owns_gil is False
    assert t[11].python_thread_id == 111 and t[13].python_thread_id is None  # not an interpreter thread
    assert t[11].frames[0] == Frame(kind="native", function="take_gil", file="Python/ceval_gil.h", address=2)
    assert t[11].frames[1].kind == "python" and t[11].lock_address == 0x7F00


def test_walk_without_gil_state_leaves_owns_gil_unknown():
    threads, gil_known = gdbmod.threads_from_walk({**WALK, "gil": None})
    assert not gil_known and all(s.owns_gil is None for s in threads)


def test_deep_merge_takes_names_and_gil_from_pyspy_frames_and_locks_from_gdb():
    spy = Capture(id="x", host="h", pid=1, taken_at=0.0, method="py-spy", threads=(
        ThreadStack(tid=11, name="cruncher-1", owns_gil=False, active=True,
                    frames=(Frame("python", "crunch", "/app/x.py", 3),)),
        ThreadStack(tid=14, name="only-pyspy"),
    ))
    gdb_threads, _ = gdbmod.threads_from_walk(WALK)
    merged = {t.tid: t for t in merge_deep(spy, gdb_threads)}
    assert merged[11].name == "cruncher-1" and merged[11].active is True
    assert merged[11].frames[0].function == "take_gil" and merged[11].lock_address == 0x7F00
    assert set(merged) == {11, 12, 13, 14}


def test_deep_merge_keeps_pyspy_frames_when_gdb_saw_no_python():
    spy = Capture(id="x", host="h", pid=1, taken_at=0.0, method="py-spy", threads=(
        ThreadStack(tid=11, frames=(Frame("python", "crunch", "/app/x.py", 3),)),
    ))
    native_only = (ThreadStack(tid=11, frames=(Frame("native", "take_gil"),), lock_address=5),)
    [t] = merge_deep(spy, native_only)
    assert t.frames[0].function == "crunch" and t.lock_address == 5


NATIVE_WALK = {"gil": None, "python_threads": {}, "errors": [], "threads": [
    {"tid": 21, "name": "python3", "frames": [
        {"kind": "native", "function": "futex_wait", "address": 1},
        {"kind": "native", "function": "lock_PyThread_acquire_lock", "address": 2},
        {"kind": "native", "function": "_PyEval_EvalFrameDefault", "address": 3, "python_count": 2},
        {"kind": "native", "function": "thread_run", "address": 4},
        {"kind": "native", "function": "_PyEval_EvalFrameDefault", "address": 5, "python_count": 0},
        {"kind": "native", "function": "_PyEval_EvalFrameDefault", "address": 6, "python_count": 1},
        {"kind": "native", "function": "clone3", "address": 7},
    ]},
    {"tid": 22, "name": "python3", "frames": [
        {"kind": "native", "function": "_PyEval_EvalFrameDefault", "address": 8, "python_count": None},
    ]},
]}
PY = (Frame("python", "transfer", "/a.py", 5), Frame("python", "run", "/a.py", 9), Frame("python", "boot", "/t.py", 1))


def test_native_walk_marks_eval_frames():
    threads, _ = gdbmod.threads_from_walk(NATIVE_WALK)
    assert gdbmod.evals_from_walk(NATIVE_WALK) == {21: ((2, 2), (4, 0), (5, 1)), 22: ((0, None),)}
    assert [f.function for f in threads[0].frames][2] == "_PyEval_EvalFrameDefault"


def test_splice_puts_python_frames_at_their_eval_frames_in_order():
    threads, _ = gdbmod.threads_from_walk(NATIVE_WALK)
    evals = gdbmod.evals_from_walk(NATIVE_WALK)
    out = splice(threads[0].frames, evals[21], PY)
    assert [f.function for f in out] == ["futex_wait", "lock_PyThread_acquire_lock", "transfer", "run", "thread_run",
                                         "_PyEval_EvalFrameDefault", "boot", "clone3"]
    assert splice(threads[0].frames, evals[21], PY[:2]) is None  # py-spy has a frame fewer: no guessing
    assert splice(threads[1].frames, evals[22], PY[:1]) is None  # an unreadable count
    assert splice(threads[0].frames[:2], (), ()) == threads[0].frames[:2]  # not a Python thread


def test_deep_merge_splices_and_reports_what_does_not_fit():
    threads, _ = gdbmod.threads_from_walk(NATIVE_WALK)
    spy = (ThreadStack(tid=21, name="worker-a", owns_gil=False, frames=PY),
           ThreadStack(tid=22, name="worker-b", frames=PY[:1]))
    unspliced: set[int] = set()
    merged = {t.tid: t for t in merge_deep(spy, threads, gdbmod.evals_from_walk(NATIVE_WALK), unspliced)}
    assert unspliced == {22} and merged[22].frames == PY[:1]  # py-spy's until the full walk replaces them
    assert merged[21].name == "worker-a" and merged[21].frames[0].function == "futex_wait"
    assert [f.function for f in merged[21].python_frames] == ["transfer", "run", "boot"]


def test_gdb_caches_live_in_hangdumps_cache_and_can_be_turned_off(tmp_path, monkeypatch):
    from forensics.capture import gdb_live
    from forensics.capture.base import CollectOptions

    monkeypatch.setenv("HANGDUMP_HOME", str(tmp_path))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv("HANGDUMP_GDB_INDEX_CACHE", raising=False)
    cfg = gdb_live.config(CollectOptions())
    assert cfg.init_commands == [f"set index-cache directory {tmp_path}/cache/gdb-index", "set index-cache enabled on"]
    assert (tmp_path / "cache" / "gdb-index").is_dir()
    # gdb's own modules compiled once, into our cache, not beside gdb's sources
    assert cfg.env["PYTHONPYCACHEPREFIX"] == f"{tmp_path}/cache/gdb-pycache" and "PYTHONDONTWRITEBYTECODE" not in cfg.env
    monkeypatch.setenv("HANGDUMP_GDB_INDEX_CACHE", "off")
    cfg = gdb_live.config(CollectOptions())
    assert cfg.init_commands == [] and cfg.env is None
    monkeypatch.setenv("HANGDUMP_GDB_INDEX_CACHE", "")
    monkeypatch.setenv("HANGDUMP_HOME", str(tmp_path / "with blank"))
    assert gdb_live.config(CollectOptions()).init_commands == []  # not a path gdb's set command takes bare


def _note(ntype: int, desc: bytes, name: bytes = b"CORE\0") -> bytes:
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def _fake_core(path, exe="/usr/bin/python3.11", pid=4242, tids=(4242, 4243)):
    prpsinfo = bytearray(136)
    struct.pack_into("<IIii", prpsinfo, 16, 1000, 1000, pid, 1)
    prpsinfo[40:48] = b"python3\0"
    args = b"python3 worker.py --queue a"
    prpsinfo[56:56 + len(args)] = args
    notes = _note(corefile.NT_PRPSINFO, bytes(prpsinfo))
    for tid in tids:
        st = bytearray(336)
        struct.pack_into("<i", st, 32, tid)
        notes += _note(corefile.NT_PRSTATUS, bytes(st))
    notes += _note(corefile.NT_AUXV, struct.pack("<QQQQ", corefile.AT_ENTRY, 0x1500, 0, 0))
    files = [(0x1000, 0x2000, 0, exe), (0x7F000000, 0x7F100000, 0, "/lib/libc.so.6")]
    desc = struct.pack("<QQ", len(files), 4096) + b"".join(struct.pack("<QQQ", s, e, o) for s, e, o, _ in files)
    desc += b"".join(n.encode() + b"\0" for *_, n in files)
    notes += _note(corefile.NT_FILE, desc)
    ehdr = bytearray(64)
    ehdr[:4] = b"\x7fELF"
    ehdr[4], ehdr[5] = 2, 1
    struct.pack_into("<H", ehdr, 16, 4)  # ET_CORE
    struct.pack_into("<Q", ehdr, 32, 64)  # e_phoff
    struct.pack_into("<HH", ehdr, 54, 56, 1)
    phdr = struct.pack("<IIQQQQQQ", corefile.PT_NOTE, 0, 64 + 56, 0, 0, len(notes), 0, 4)
    path.write_bytes(bytes(ehdr) + phdr + notes)


def test_core_notes_give_pid_args_threads_and_exe(tmp_path):
    _fake_core(tmp_path / "core")
    info = corefile.read_core_info(str(tmp_path / "core"))
    assert (info.pid, info.ppid, info.uid, info.fname) == (4242, 1, 1000, "python3")
    assert info.psargs == "python3 worker.py --queue a"
    assert info.tids == (4242, 4243)
    assert info.exe == "/usr/bin/python3.11"  # the mapping holding AT_ENTRY, not just the first file
    assert info.files == ("/usr/bin/python3.11", "/lib/libc.so.6")


def test_not_a_core_says_so(tmp_path):
    exe = tmp_path / "prog"
    data = bytearray(64)
    data[:4] = b"\x7fELF"
    data[4], data[5] = 2, 1
    struct.pack_into("<H", data, 16, 2)  # ET_EXEC
    exe.write_bytes(bytes(data))
    with pytest.raises(Exception, match="not a core"):
        corefile.read_core_info(str(exe))


@pytest.mark.parametrize(("text", "n"), [("4096", 4096), ("1K", 1024), ("500M", 500 << 20), ("2G", 2 << 30),
                                         ("2GiB", 2 << 30), ("1.5g", 3 << 29)])
def test_parse_size(text, n):
    assert corefile.parse_size(text) == n


def test_parse_size_rejects_garbage():
    with pytest.raises(UsageError):
        corefile.parse_size("lots")


def test_disk_check_refuses_below_margin(tmp_path, monkeypatch):
    monkeypatch.setenv("HANGDUMP_MIN_FREE", "1000T")
    with pytest.raises(LowDiskSpace, match="must stay free"):
        corefile.check_disk(str(tmp_path), 1, "a core")
    monkeypatch.setenv("HANGDUMP_MIN_FREE", "0")
    corefile.check_disk(str(tmp_path), 1, "a core")


def test_coredump_filter_is_narrowed_then_restored_exactly():
    path = f"/proc/{os.getpid()}/coredump_filter"
    with open(path) as fh:
        before = fh.read()
    notes: list[str] = []
    with corefile.narrowed_filter(os.getpid(), notes), open(path) as fh:
        assert int(fh.read(), 16) == corefile.COREDUMP_FILTER
    with open(path) as fh:
        assert fh.read() == before
    assert not notes


def test_compress_and_sparse_decompress_round_trip(tmp_path, monkeypatch):
    raw = tmp_path / "core"
    payload = os.urandom(4096) + bytes(8 << 20) + b"tail"
    raw.write_bytes(payload)
    for zstd in (corefile.zstd_binary(), None):
        if zstd is None:
            monkeypatch.setattr(corefile, "zstd_binary", lambda: None)
        out = corefile.compress(str(raw), str(tmp_path / f"kept-{bool(zstd)}.core"))
        assert out.endswith(".zst" if zstd else ".gz") and os.path.getsize(out) < 1 << 20
        with corefile.opened_core(out, str(tmp_path)) as back:
            with open(back, "rb") as fh:
                assert fh.read() == payload
            assert os.stat(back).st_blocks * 512 < 2 << 20  # zeros became holes
        assert not os.path.exists(back)


def test_prune_cores_by_age_then_budget(tmp_path):
    store = LocalStore(tmp_path)
    store.cores_dir.mkdir(parents=True)
    now = time.time()
    paths = []
    for i, age_days in enumerate([30, 3, 2, 1]):
        p = store.cores_dir / f"2026010{i}T000000Z-h-{i}-aaaaaa.core.zst"
        p.write_bytes(os.urandom(64 << 10))
        os.utime(p, (now - age_days * 86400, now - age_days * 86400))
        paths.append(p)
    removed = store.prune_cores(budget=150 << 10, max_age_s=14 * 86400, keep=paths[1], now=now)
    # the 30-day-old one by age; then the oldest non-kept until under budget (paths[1] is protected)
    assert paths[0] in removed and paths[2] in removed
    assert paths[1].exists() and paths[3].exists()
    assert store.core_of(paths[3].name.split(".core")[0]) == paths[3]


def test_find_extension_prefers_explicit_then_beside_binary(tmp_path, monkeypatch):
    monkeypatch.delenv("HANGDUMP_GDB_EXT", raising=False)
    exe = tmp_path / "python3.11"
    exe.write_text("")
    assert gdbmod.find_extension(str(exe), None, "/x/ext.py") == "/x/ext.py"
    (tmp_path / "python3.11-gdb.py").write_text("")
    assert gdbmod.find_extension(str(exe)) == str(tmp_path / "python3.11-gdb.py")
    assert "python3.11-dbg" in gdbmod.extension_help("3.11")


def test_mi_path_refuses_blanks():
    assert gdbmod.mi_path("/tmp/core.1") == "/tmp/core.1"
    with pytest.raises(GdbError):
        gdbmod.mi_path("/tmp/my core")


def _core_with_loads(path, lib, sp):
    """A core: one thread (stack pointer sp), a file-backed mapping of ``lib`` the core left out, an anonymous
    RW stack, an anonymous read-only reserve (a gcore's rendering of PROT_NONE) and an anonymous RW heap."""
    st = bytearray(336)
    struct.pack_into("<i", st, 32, 7)
    struct.pack_into("<Q", st, corefile.SP_OFFSET[corefile.EM_X86_64], sp)
    notes = _note(corefile.NT_PRSTATUS, bytes(st))
    desc = struct.pack("<QQ", 1, 4096) + struct.pack("<QQQ", 0x10000, 0x12000, 1) + str(lib).encode() + b"\0"
    notes += _note(corefile.NT_FILE, desc)
    stack = bytes(0x3000) + b"S" * 0x1000  # [0x20000, 0x24000): live only near the top
    heap = b"H" * 0x2000
    loads = [(0x20000, stack, 6), (0x30000, bytes(0x8000), 4), (0x40000, heap, 6)]
    nph = 1 + len(loads)
    pos = 64 + 56 * nph
    phdrs = [struct.pack("<IIQQQQQQ", corefile.PT_NOTE, 0, pos, 0, 0, len(notes), 0, 4)]
    body = notes
    pos += len(notes)
    for vaddr, data, flags in loads:
        phdrs.append(struct.pack("<IIQQQQQQ", corefile.PT_LOAD, flags, pos, vaddr, 0, len(data), len(data), 1))
        body += data
        pos += len(data)
    ehdr = bytearray(64)
    ehdr[:4] = b"\x7fELF"
    ehdr[4], ehdr[5] = 2, 1
    struct.pack_into("<HH", ehdr, 16, 4, corefile.EM_X86_64)
    struct.pack_into("<Q", ehdr, 32, 64)
    struct.pack_into("<HH", ehdr, 54, 56, nph)
    path.write_bytes(bytes(ehdr) + b"".join(phdrs) + body)


def _loads(path):
    with open(path, "rb") as fh:
        _m, phdrs, _n = corefile._elf_layout(fh)
        data = fh.seek(0) or fh.read()
    return {p[3]: (p[1], data[p[2]: p[2] + p[5]]) for p in phdrs if p[0] == corefile.PT_LOAD}


def test_compact_core_keeps_what_a_stack_reader_needs(tmp_path):
    lib = tmp_path / "libpython3.11.so"
    lib.write_bytes(b"L" * 4096 + b"T" * 8192)  # the mapping starts at page 1 of the file
    _core_with_loads(tmp_path / "core", lib, sp=0x23010)
    out = corefile.compact_for_pyspy(str(tmp_path / "core"), str(tmp_path / "compact"))
    loads = _loads(out.path)
    assert sorted(loads) == [0x10000, 0x22000, 0x40000]  # the read-only anonymous reserve is gone
    assert loads[0x10000][1] == b"T" * 8192  # filled from the file at the mapping's offset
    assert loads[0x22000][1] == bytes(0x1000) + b"S" * 0x1000  # stack from one page below sp
    assert loads[0x40000] == (6, b"H" * 0x2000)
    assert out.filled == 0x2000 and out.dropped == 0x8000 + 0x2000
    assert corefile.read_core_info(out.path).tids == (7,)


def test_gdb_prestart_plans_only_a_raw_core_that_gdb_reads():
    from forensics.capture import gdb_prestart

    plan = gdb_prestart.plan
    assert plan(["--core", "/c"]) == ("/c", None, True)  # native frames are the default for a core: the native walk
    assert plan(["--core=/c", "--exe", "/py", "--json", "--no-store", "--timings"]) == ("/c", "/py", True)
    assert plan(["--core", "/c", "--method", "gdb"]) == ("/c", None, False)  # a full walk, after the extension
    assert plan(["--core", "/c", "--no-native", "--deep"]) == ("/c", None, True)
    assert plan(["--core", "/c", "--no-native"]) is None  # gdb only if py-spy fails
    assert plan(["--core", "/c", "--method", "py-spy"]) is None
    assert plan(["--core", "/c.zst"]) is None and plan(["--core", "/c.gz"]) is None  # decompressed elsewhere first
    assert plan(["--core", "/c", "--pid", "1"]) is None  # not a core capture (the CLI refuses it)
    assert plan(["--core"]) is None and plan(["--exe", "/py"]) is None
    assert gdb_prestart.COMPRESSED == corefile.COMPRESSED_SUFFIXES


def test_mi_records_are_read_as_pygdbmi_reads_them():
    """The fast path for a result of one C string (the walker's JSON) gives what pygdbmi's parser gives, and
    anything else is pygdbmi's."""
    import json

    from pygdbmi.gdbmiparser import parse_response

    from forensics.capture.gdb_mi import parse_record

    walk = json.dumps({"threads": [{"name": 'a "quoted" \\ name', "frames": [{"file": "C:\\x\\y.c"}]}]})
    c_string = walk.replace("\\", "\\\\").replace('"', '\\"')
    lines = [f'105^done,json="{c_string}"', '106^error,msg="No symbol \\"frame\\" in \\\\ context."',
             '107^done,a="1",b="2\\"3"', '108^done,json="x\\\\"', '~"GNU gdb (Debian 13.1-3) 13.1\\n"', "109^done",
             '110^done,json="tab\\there\\nnewline"']
    lines += ['~"[New LWP 1234]\\n"', '&"warning: core file may not match specified executable file.\\n"',
              '@"target \\"out\\"\\n"', '~"a \\"q\\" b"']
    for line in lines:
        assert parse_record(line.encode()) == parse_response(line), line
    assert json.loads(parse_record(lines[0].encode())["payload"]["json"]) == json.loads(walk)
    # async records are named, their fields not read
    for line in ('=library-loaded,id="/lib/libc.so.6",ranges=[{from="0x1",to="0x2"}]', '*stopped,frame={level="0"}',
                 '=thread-created,id="2",group-id="i1"', '=thread-group-added,id="i1"'):
        ours, theirs = parse_record(line.encode()), parse_response(line)
        assert (ours["type"], ours["message"], ours["payload"]) == (theirs["type"], theirs["message"], None), line


def test_gdb_prestart_on_a_file_that_is_no_core_starts_nothing_and_says_nothing(tmp_path, capsys):
    from forensics.capture import gdb_prestart

    bogus = tmp_path / "core"
    bogus.write_bytes(b"\x7fELF\x02\x01" + b"\0" * 10)  # an ELF header cut short
    gdb_prestart.begin(["--core", str(bogus)])
    assert not gdb_prestart._STATE and capsys.readouterr() == ("", "")
