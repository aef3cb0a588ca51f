"""The parsers behind KernelState.watches on real-format text and bytes, and the field's round trip."""
from __future__ import annotations

import json
import struct

import pytest

from forensics.errors import CaptureFormatError
from forensics.model import KernelState, Syscall, ThreadStack
from forensics.redact import redact_thread
from forensics.summary import kernel_text
from forensics.watched_fds import (
    describe,
    multiplexer,
    parse_epoll_fdinfo,
    parse_fd_set,
    parse_net_unix,
    parse_pollfds,
)

# /proc/PID/fdinfo/EPFD of a selectors.DefaultSelector with two sockets registered (kernel 6.18)
EPOLL_FDINFO = """pos:\t0
flags:\t02000002
mnt_id:\t17
ino:\t1038
tfd:        4 events:       19 data:     7f4100000004  pos:0 ino:10481 sdev:9
tfd:        3 events:       19 data:                3  pos:0 ino:10480 sdev:9
"""

# /proc/PID/net/unix: a listener on a path, the connection it accepted, its client, an abstract listener
NET_UNIX = """Num       RefCount Protocol Flags    Type St Inode Path
000000001d143212: 00000002 00000000 00010000 0001 01 66446 /tmp/epoll8/app.sock
00000000811eb186: 00000003 00000000 00000000 0001 03 66448 /tmp/epoll8/app.sock
00000000860731ce: 00000003 00000000 00000000 0001 03 66447
00000000f0dc288f: 00000002 00000000 00010000 0001 01 66449 @abstract-x
"""

TCP = {100: ("127.0.0.1:8080", None), 101: ("10.0.0.2:5000", "10.0.0.9:6379")}


def test_epoll_fdinfo_lists_its_target_fds():
    assert parse_epoll_fdinfo(EPOLL_FDINFO) == [(4, 0x10481), (3, 0x10480)]
    assert parse_epoll_fdinfo("pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1038\n") == []  # watches nothing


def test_pollfd_array_skips_negative_fds_and_a_short_tail():
    data = struct.pack("=ihh", 5, 1, 0) + struct.pack("=ihh", -1, 1, 0) + struct.pack("=ihh", 9, 4, 0)
    assert parse_pollfds(data + b"\x07\x00") == [5, 9]


def test_fd_set_bits_below_nfds():
    bits = (1 << 3) | (1 << 64) | (1 << 70)
    data = bits.to_bytes(16, "little")  # two 64-bit longs, little-endian as on x86_64/aarch64
    assert parse_fd_set(data, 71) == [3, 64, 70]
    assert parse_fd_set(data, 65) == [3, 64]


def test_net_unix_tells_listeners_from_connections():
    table = parse_net_unix(NET_UNIX)
    assert table == {66446: (True, "/tmp/epoll8/app.sock"), 66448: (False, "/tmp/epoll8/app.sock"),
                     66449: (True, "@abstract-x")}  # unnamed: never listening, a plain unix


@pytest.mark.parametrize(("link", "said"), [
    ("socket:[100]", "listen tcp 127.0.0.1:8080"),
    ("socket:[101]", "tcp 10.0.0.2:5000->10.0.0.9:6379"),
    ("socket:[66446]", "listen unix /tmp/epoll8/app.sock"),
    ("socket:[66448]", "unix /tmp/epoll8/app.sock"),
    ("socket:[7]", "socket"),
    ("pipe:[5]", "pipe"),
    ("anon_inode:[eventfd]", "eventfd"),
    ("anon_inode:[timerfd]", "timerfd"),
    ("anon_inode:[signalfd]", "signalfd"),
    ("anon_inode:[eventpoll]", "epoll"),
    ("anon_inode:inotify", "inotify"),
    ("anon_inode:[io_uring]", "other"),
    ("/dev/pts/3", "file /dev/pts/3"),
    ("/var/log/app log.txt (deleted)", "file /var/log/app log.txt (deleted)"),
    ("net:[4026531840]", "other"),
])
def test_each_fd_said_in_the_grammar(link, said):
    assert describe(link, None, lambda: TCP, lambda: parse_net_unix(NET_UNIX)) == said


def test_a_socket_s_protocol_picks_the_one_table_to_read():
    def unread():
        raise AssertionError("table read for a socket of another protocol")

    assert describe("socket:[100]", "TCP", lambda: TCP, unread) == "listen tcp 127.0.0.1:8080"
    assert describe("socket:[66447]", "UNIX-STREAM", unread, lambda: parse_net_unix(NET_UNIX)) == "unix"
    assert describe("socket:[9]", "UDP", unread, unread) == "socket"  # no UDP table given
    udp = {81234: ("udp 127.0.0.1:5332", None), 81235: ("udp 127.0.0.1:50000", "127.0.0.1:8080")}
    assert describe("socket:[81234]", "UDP", unread, unread, lambda: udp) == "listen udp 127.0.0.1:5332"
    assert describe("socket:[81235]", "UDPv6", unread, unread, lambda: udp) == "udp 127.0.0.1:50000->127.0.0.1:8080"
    assert describe("socket:[9]", "UDP", unread, unread, lambda: udp) == "socket"  # not in the table
    assert describe("socket:[81234]", "TCP", dict, unread, unread) == "socket"  # only a UDP socket reads it


def test_watches_round_trip_and_old_captures_have_none():
    ks = KernelState(state="S", syscall=Syscall(232, "epoll_wait", (3, 0, 1, 2**64 - 1, 0, 0)),
                     watches=("listen tcp 127.0.0.1:8080", "eventfd"))
    stored = json.loads(json.dumps(ks.to_dict()))
    assert stored["watches"] == ["listen tcp 127.0.0.1:8080", "eventfd"]
    assert KernelState.from_dict(stored) == ks
    empty = KernelState(watches=())
    assert KernelState.from_dict(empty.to_dict()) == empty  # a multiplexer watching nothing is a fact too
    assert KernelState.from_dict({"state": "S"}).watches is None
    with pytest.raises(CaptureFormatError):
        KernelState.from_dict({"watches": "eventfd"})
    with pytest.raises(CaptureFormatError):
        KernelState.from_dict({"watches": [3]})


def _thread(watches, name="epoll_wait"):
    return ThreadStack(tid=7, kernel=KernelState(state="S", syscall=Syscall(232, name, (3, 0, 1, 0, 0, 0)),
                                                 watches=watches))


def test_the_kernel_line_says_what_a_multiplexer_watches_alike_fds_counted():
    assert kernel_text(_thread(("listen tcp 127.0.0.1:8080", "eventfd"))) == (
        "epoll_wait watching listen tcp 127.0.0.1:8080 + eventfd")
    assert kernel_text(_thread(("pipe", "unix", "unix", "unix", "eventfd", "timerfd", "more 60"), "poll")) == (
        "poll watching pipe + 3 unix + eventfd + 61 more")
    assert kernel_text(_thread(())) == "epoll_wait watching nothing"
    assert kernel_text(_thread(None)) == "epoll_wait"


def test_an_imported_capture_s_watched_paths_are_redacted():
    thread = redact_thread(_thread(("file /tmp/job?token=hunter2hunter2hunter2", "pipe")))
    assert "hunter2" not in "".join(thread.kernel.watches) and thread.kernel.watches[1] == "pipe"


@pytest.mark.parametrize(("name", "wchan", "expected"), [
    ("epoll_pwait", "do_epoll_wait", "epoll_pwait"),
    ("pselect6", "poll_schedule_timeout.constprop.0", "pselect6"),
    ("restart_syscall", "poll_schedule_timeout.constprop.0", "poll"),  # a poll() a tracer interrupted
    ("restart_syscall", "hrtimer_nanosleep", None),  # a sleep a tracer interrupted
    ("futex", "futex_do_wait", None),
])
def test_which_multiplexer_a_thread_waits_in(name, wchan, expected):
    assert multiplexer(KernelState(syscall=Syscall(0, name, (1, 2, 3, 4, 5, 6)), wchan=wchan)) == expected
