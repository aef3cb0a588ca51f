"""Who is at the other end of a blocked fd: a pipe's other end, a file lock's holder (procfs.resolve_fds).

Pure parts on recorded /proc text and fake fd tables; the /proc readers on this test process itself.
"""
from __future__ import annotations

import fcntl
import os

from forensics import procfs
from forensics.model import KernelState, Syscall

# Recorded on Linux 6.18: an flock and a POSIX (lockf) lock on one ext4 file, each with a waiter from another
# process; an OFD waiter (pid -1); a deeper waiter (indented arrow); a lease; a lock without an inode.
LOCKS = """\
1: FLOCK  ADVISORY  WRITE 22245 fe:00:2164026 0 EOF
1: -> FLOCK  ADVISORY  WRITE 22246 fe:00:2164026 0 EOF
2: POSIX  ADVISORY  WRITE 22247 fe:00:2164027 0 EOF
2: -> POSIX  ADVISORY  WRITE 22248 fe:00:2164027 0 EOF
2:  -> POSIX  ADVISORY  WRITE 22260 fe:00:2164027 0 EOF
3: POSIX  ADVISORY  WRITE 22249 103:0a:77 0 EOF
3: -> OFDLCK ADVISORY  WRITE -1 103:0a:77 0 EOF
4: LEASE  ACTIVE    READ 3001 fe:00:99 0 EOF
5: POSIX  *NOINODE* WRITE 3002 <none>:0 0 EOF
not a lock line
"""
FDINFO_READ_END = "pos:\t0\nflags:\t02000000\nmnt_id:\t16\nino:\t735893\n"
FDINFO_WRITE_END = "pos:\t0\nflags:\t02000001\nmnt_id:\t16\nino:\t735893\n"
EXT4 = (0xFE, 0x00)


def test_parse_locks_recorded():
    entries = procfs.parse_locks(LOCKS)
    assert len(entries) == 9
    first, waiter = entries[0], entries[1]
    assert (first.id, first.kind, first.access, first.pid, first.dev, first.inode, first.blocked) == (
        1, "FLOCK", "WRITE", 22245, EXT4, 2164026, False)
    assert (waiter.id, waiter.kind, waiter.pid, waiter.blocked) == (1, "FLOCK", 22246, True)
    deeper = entries[4]
    assert (deeper.id, deeper.pid, deeper.blocked) == (2, 22260, True)
    ofd = entries[6]
    assert (ofd.kind, ofd.pid, ofd.dev, ofd.inode, ofd.blocked) == ("OFDLCK", -1, (0x103, 0x0A), 77, True)
    assert (entries[7].kind, entries[7].access, entries[7].pid) == ("LEASE", "READ", 3001)
    assert (entries[8].pid, entries[8].dev, entries[8].inode) == (3002, None, None)


def test_parse_locks_garbage_is_skipped():
    assert procfs.parse_locks("") == []
    assert procfs.parse_locks("1: FLOCK ADVISORY WRITE x fe:00:1 0 EOF\nx: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF\n") == []


def test_lock_holder_of_an_flock_is_the_other_process():
    entries = procfs.parse_locks(LOCKS)
    assert procfs.lock_holders(entries, EXT4, 2164026, waiter=22246) == ([22245], False)


def test_lock_holder_of_a_posix_lock_with_a_queue():
    entries = procfs.parse_locks(LOCKS)
    # both waiters sit in the tree of lock 2: its holder is the one they wait for, not the waiter ahead
    assert procfs.lock_holders(entries, EXT4, 2164027, waiter=22260) == ([22247], False)
    assert procfs.lock_holders(entries, EXT4, 2164027, waiter=22248) == ([22247], False)


def test_lock_holder_for_an_ofd_waiter():
    # an OFD waiter's line says -1, not its pid: every holder of the file counts
    entries = procfs.parse_locks(LOCKS)
    assert procfs.lock_holders(entries, (0x103, 0x0A), 77, waiter=5000) == ([22249], False)


def test_lock_held_by_an_ofd_lock_has_no_pid_to_name():
    entries = procfs.parse_locks("1: OFDLCK ADVISORY  WRITE -1 fe:00:5 0 EOF\n1: -> POSIX  ADVISORY  WRITE 40 fe:00:5 0 EOF\n")
    assert procfs.lock_holders(entries, EXT4, 5, waiter=40) == ([], False)


def test_flock_self_deadlock():
    # flock locks belong to open file descriptions: a second open() in the same process conflicts
    text = "1: FLOCK  ADVISORY  WRITE 700 fe:00:5 0 EOF\n1: -> FLOCK  ADVISORY  WRITE 700 fe:00:5 0 EOF\n"
    assert procfs.lock_holders(procfs.parse_locks(text), EXT4, 5, waiter=700) == ([], True)


def test_lock_on_another_range_or_file_does_not_count():
    text = (
        "1: POSIX  ADVISORY  WRITE 10 fe:00:5 0 99\n"  # a range nobody waits for
        "2: POSIX  ADVISORY  WRITE 11 fe:00:5 100 EOF\n"
        "2: -> POSIX  ADVISORY  WRITE 12 fe:00:5 100 200\n"
        "3: POSIX  ADVISORY  WRITE 13 fe:01:5 0 EOF\n"  # same inode, another filesystem
    )
    entries = procfs.parse_locks(text)
    assert procfs.lock_holders(entries, EXT4, 5, waiter=12) == ([11], False)
    assert procfs.lock_holders(entries, EXT4, 6, waiter=12) == ([], False)


def test_lock_device_taken_from_the_waiters_own_line_when_stat_differs():
    # btrfs: stat's st_dev (the subvolume's) is not the superblock's dev /proc/locks prints
    text = "1: FLOCK  ADVISORY  WRITE 10 00:2d:5 0 EOF\n1: -> FLOCK  ADVISORY  WRITE 12 00:2d:5 0 EOF\n"
    entries = procfs.parse_locks(text)
    assert procfs.lock_holders(entries, (0, 0x31), 5, waiter=12) == ([10], False)
    assert procfs.lock_holders(entries, (0, 0x31), 5, waiter=99) == ([], False)  # not our wait: no guess


def test_shared_holders_all_listed():
    text = "1: FLOCK  ADVISORY  READ 10 fe:00:5 0 EOF\n2: FLOCK  ADVISORY  READ 11 fe:00:5 0 EOF\n"
    assert procfs.lock_holders(procfs.parse_locks(text), EXT4, 5, waiter=12) == ([10, 11], False)


def test_pipe_inode():
    assert procfs.pipe_inode("pipe:[706346]") == 706346
    assert procfs.pipe_inode("socket:[706346]") is None
    assert procfs.pipe_inode("/tmp/pipe:[1]") is None
    assert procfs.pipe_inode("pipe:[]") is None


def test_fdinfo_access_recorded():
    assert procfs.parse_fdinfo_access(FDINFO_READ_END) == os.O_RDONLY
    assert procfs.parse_fdinfo_access(FDINFO_WRITE_END) == os.O_WRONLY
    assert procfs.parse_fdinfo_access("flags:\t02\n") == os.O_RDWR
    assert procfs.parse_fdinfo_access("pos:\t0\n") is None
    assert procfs.parse_fdinfo_access("flags:\tzz\n") is None


def test_cmdline_text():
    assert procfs.cmdline_text("sleep\x003600\x00") == "sleep 3600"
    assert procfs.cmdline_text("python3\x00-c\x00\nimport os\n\tos.read(0, 1)\x00") == "python3 -c import os os.read(0, 1)"
    long = procfs.cmdline_text("x" * 100)
    assert len(long) == procfs.CMDLINE_WIDTH and long.endswith("...")


def test_party_text():
    def label(p: int) -> str:
        return f"pid {p} (cmd)"

    assert procfs.party_text([11627], False, 1, label) == "pid 11627 (cmd)"
    assert procfs.party_text([5, 6, 7, 8, 9], True, 1, label) == "pid 5 (cmd), pid 6 (cmd), pid 7 (cmd), +2 more"
    assert procfs.party_text([], True, 1, label) == "this process (pid 1)"
    assert procfs.party_text([], False, 1, label) is None


class FakeProc:
    """Fake fd tables: pid -> {fd: (link, access mode)}; records which processes were looked through."""

    def __init__(self, tables: dict[int, dict[int, tuple[str, int | None]]], family: list[int]):
        self.tables = tables
        self.fam = family
        self.looked: list[int] = []

    def links(self, pid, budget):
        if budget.procs <= 0:
            return {}
        budget.procs -= 1
        self.looked.append(pid)
        return {fd: link for fd, (link, _) in self.tables.get(pid, {}).items()}

    def access(self, pid, fd):
        return self.tables[pid][fd][1]

    def family(self, pid, limit):
        return self.fam[:limit]

    def everyone(self, pid):
        return sorted((p for p in self.tables if p != pid), key=lambda p: abs(p - pid))

    def ends(self, target, wanted, own_fds, budget=None):
        return procfs.find_pipe_ends(target, wanted, own_fds, links=self.links, access=self.access,
                                     family=self.family, everyone=self.everyone, budget=budget)


R, W = os.O_RDONLY, os.O_WRONLY
PIPE = "pipe:[706346]"


def test_pipe_writer_is_a_child():
    fake = FakeProc({100: {3: (PIPE, R)}, 101: {4: (PIPE, W), 5: ("pipe:[9]", W)}, 50: {}, 999: {1: (PIPE, W)}},
                    family=[101, 50])
    assert fake.ends(100, {(706346, True)}, {3}) == {(706346, True): ([101], False)}
    assert fake.looked == [100, 101, 50]  # found in the family: the rest of the host is not looked at


def test_pipe_writer_is_the_reader_itself():
    fake = FakeProc({100: {3: (PIPE, R), 7: (PIPE, W)}, 101: {3: (PIPE, R)}, 999: {1: (PIPE, W)}}, family=[101])
    # the child holds only the read end: not a writer; the target's own write end makes it a self-deadlock
    assert fake.ends(100, {(706346, True)}, {3}) == {(706346, True): ([], True)}
    assert 999 not in fake.looked


def test_pipe_writer_outside_the_family_found_nearest_pid_first():
    fake = FakeProc({100: {3: (PIPE, R)}, 101: {}, 140: {4: (PIPE, W)}, 105: {}, 90: {}, 5000: {1: (PIPE, W)}},
                    family=[101])
    assert fake.ends(100, {(706346, True)}, {3}) == {(706346, True): ([140], False)}
    assert fake.looked == [100, 101, 105, 90, 140]  # and stops there: 5000 is never read


def test_pipe_search_stops_at_the_process_budget():
    tables = {p: {} for p in range(100, 400)}
    tables[100] = {3: (PIPE, R)}
    tables[399] = {4: (PIPE, W)}
    fake = FakeProc(tables, family=[])
    budget = procfs.FdBudget(procs=50, fds=2000)
    assert fake.ends(100, {(706346, True)}, {3}, budget) == {(706346, True): ([], False)}
    assert len(fake.looked) == 50


def test_pipe_writer_blocked_waits_for_the_reader():
    fake = FakeProc({100: {4: (PIPE, W)}, 101: {3: (PIPE, R)}}, family=[101])
    assert fake.ends(100, {(706346, False)}, {4}) == {(706346, False): ([101], False)}


def test_pipe_end_of_unknown_access_counts_but_never_the_waiters_own_fd():
    fake = FakeProc({100: {3: (PIPE, None)}, 101: {4: (PIPE, None)}}, family=[101])
    assert fake.ends(100, {(706346, True)}, {3}) == {(706346, True): ([101], False)}


def test_fd_links_on_this_process_within_budget():
    r, w = os.pipe()
    try:
        everything = procfs.fd_links(os.getpid(), procfs.FdBudget())
        assert everything[r] == everything[w] and procfs.pipe_inode(everything[r]) is not None
        assert procfs.fd_access(os.getpid(), r) == os.O_RDONLY and procfs.fd_access(os.getpid(), w) == os.O_WRONLY
        budget = procfs.FdBudget(procs=1, fds=2)
        assert len(procfs.fd_links(os.getpid(), budget)) == 2
        assert (budget.procs, budget.fds) == (0, 0)
        assert procfs.fd_links(os.getpid(), budget) == {}
    finally:
        os.close(r)
        os.close(w)


def test_process_family_of_this_process_holds_its_parent():
    assert os.getppid() in procfs.process_family(os.getpid())
    assert procfs.process_family(os.getpid(), limit=0) == []


def blocked_on(fd: int, name: str, nr: int = 0, arg1: int = 0) -> KernelState:
    return KernelState(state="S", syscall=Syscall(nr=nr, name=name, args=(fd, arg1, 0, 0, 0, 0)), running=False)


def test_resolve_fds_self_held_pipe_and_lock_on_this_process(tmp_path):
    """Our own fds as if a thread waited on them: this process holds the pipe's write end and the flock."""
    r, w = os.pipe()
    path = tmp_path / "lock"
    held = os.open(path, os.O_RDWR | os.O_CREAT)
    other = os.open(path, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        kernel = {1: ("reader", blocked_on(r, "read")), 2: ("locker", blocked_on(other, "flock")),
                  3: ("fcntl-other", blocked_on(other, "fcntl", arg1=1))}  # F_GETFD: not a lock wait
        out = procfs.resolve_fds(os.getpid(), kernel)
    finally:
        for fd in (r, w, held, other):
            os.close(fd)
    assert out[1][1].fd_target.startswith("pipe:[") and out[1][1].peer == f"this process (pid {os.getpid()})"
    assert out[2][1].fd_target == str(path) and out[2][1].peer == f"this process (pid {os.getpid()})"
    assert out[3][1].fd_target == str(path) and out[3][1].peer is None


def test_resolve_fds_gone_process_changes_nothing():
    kernel = {1: ("reader", blocked_on(3, "read")), 2: ("locker", blocked_on(4, "flock"))}
    assert procfs.resolve_fds(2**22 + 7, kernel) == kernel  # above PID_MAX_LIMIT (2**22): never a process
    assert procfs.pipe_parties(2**22 + 7, {1: (706346, True, 3)}) == {1: None}
    assert procfs.lock_parties(2**22 + 7, {2: 4}) == {}
