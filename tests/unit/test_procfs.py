"""The /proc parsers, on files recorded from a real deadlocked CPython 3.11 process."""
from pathlib import Path

import pytest

from forensics import procfs
from forensics.syscalls import syscall_name

DATA = Path(__file__).parent.parent / "data" / "proc"


def test_stat_recorded():
    st = procfs.parse_stat((DATA / "stat").read_text())
    assert st.comm == "python"
    assert st.state == "S"
    assert st.ppid == 6864
    assert (st.utime_ticks, st.stime_ticks) == (5, 3)
    assert st.num_threads == 3
    assert st.start_ticks == 55674


def test_stat_comm_with_spaces_and_parentheses():
    line = "42 (my (odd) name) R 7 42 42 0 -1 0 0 0 0 0 11 22 0 0 20 0 5 0 999 0 0"
    st = procfs.parse_stat(line)
    assert st.comm == "my (odd) name"
    assert (st.state, st.ppid, st.utime_ticks, st.stime_ticks, st.num_threads, st.start_ticks) == (
        "R", 7, 11, 22, 5, 999)


def test_status_fields():
    status = procfs.parse_status((DATA / "status").read_text())
    assert status["TracerPid"] == "0"
    assert status["State"].startswith("S")
    assert (status["voluntary_ctxt_switches"], status["nonvoluntary_ctxt_switches"]) == ("18", "7")
    assert procfs.context_switches((DATA / "status").read_text()) == (18, 7)


def test_syscall_blocked_in_futex():
    running, sc = procfs.parse_syscall((DATA / "task_syscall_futex").read_text(), machine="x86_64")
    assert running is False
    assert sc.nr == 202 and sc.name == "futex"
    assert len(sc.args) == 6
    assert sc.args[0] == 0x5612A7A21B30  # the futex word: shared by threads waiting on the same lock
    assert sc.args[1] == 0x189  # FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME


def test_syscall_running_and_not_in_syscall():
    assert procfs.parse_syscall("running\n") == (True, None)
    assert procfs.parse_syscall("-1 0x7ffc 0x7f00\n") == (False, None)
    assert procfs.parse_syscall("") == (None, None)


def test_syscall_names_per_architecture():
    assert syscall_name(202, "x86_64") == "futex"
    assert syscall_name(45, "x86_64") == "recvfrom"
    assert syscall_name(98, "aarch64") == "futex"
    assert syscall_name(99999, "x86_64") == "syscall_99999"


def test_smaps_rollup_bytes():
    mem = procfs.parse_smaps_rollup((DATA / "smaps_rollup").read_text())
    assert mem["rss"] > 0
    assert mem["pss"] <= mem["rss"]
    assert mem["uss"] + mem["shared"] == mem["rss"]


@pytest.mark.parametrize(
    ("maps", "exe", "expected"),
    [
        ("7f00-7f01 r-xp 0 08:01 1 /usr/lib/libpython3.12.so.1.0\n", "/usr/bin/uwsgi", "3.12"),
        ("", "/root/.pyenv/versions/3.11.7/bin/python3.11", "3.11.7"),
        ("", "/usr/bin/python3.9", "3.9"),
        ("", "/usr/bin/sleep", None),
    ],
)
def test_python_version_from_maps(maps, exe, expected):
    assert procfs.python_version_from_maps(maps, exe) == expected


def test_live_self_read():
    """The readers on this very process: facts present, kernel state per thread."""
    import os
    import time

    facts = procfs.read_process_facts(os.getpid(), time.time())
    assert facts.num_threads >= 1 and facts.rss > 0 and facts.cmdline
    threads = procfs.read_threads(os.getpid())
    assert os.getpid() in threads
    comm, ks = threads[os.getpid()]
    assert comm and ks.state in ("R", "S")


def test_missing_pid_raises_target_not_found():
    from forensics.errors import TargetNotFound

    with pytest.raises(TargetNotFound):
        procfs.identity(2**22 + 12345)


def test_inet_addresses_from_proc_net():
    assert procfs.parse_inet_address("0100007F:1F91") == "127.0.0.1:8081"
    assert procfs.parse_inet_address("00000000000000000000000001000000:0050") == "[::1]:80"
    assert procfs.parse_inet_address("0000000000000000FFFF00000100007F:1F90") == "127.0.0.1:8080"


def test_net_tcp_table():
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0\n"
        "   1: 0100007F:A2B4 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0\n"
    )
    assert procfs.parse_net_tcp(text) == {
        1111: ("127.0.0.1:8081", None),
        2222: ("127.0.0.1:41652", "127.0.0.1:8081"),
    }
