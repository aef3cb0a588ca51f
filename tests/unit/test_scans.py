"""procfs.Scans: what the captures of one call share of the host, read once, each capture's budget charged."""
import os

from forensics import procfs


def test_an_fd_table_is_read_once_and_each_budget_is_charged():
    r, w = os.pipe()
    try:
        scans = procfs.Scans()
        first = procfs.FdBudget()
        table = scans.links(os.getpid(), first)
        assert os.readlink(f"/proc/self/fd/{w}") == table[w]
        again = procfs.FdBudget()
        assert scans.links(os.getpid(), again) is table  # the same read, not a new one
        assert (first.procs, first.fds) == (again.procs, again.fds) == (procfs.PARTY_MAX_PROCS - 1,
                                                                        procfs.PARTY_MAX_FDS - len(table))
        tight = procfs.FdBudget(procs=5, fds=1)
        assert len(scans.links(os.getpid(), tight)) == 1 and tight.fds == 0  # cut to what the budget allows
        assert scans.links(os.getpid(), tight) == {}  # spent
    finally:
        os.close(r)
        os.close(w)


def test_tcp_tables_are_shared_within_a_network_namespace():
    scans = procfs.Scans()
    ours = scans.tcp(os.getpid())
    assert scans.tcp(os.getppid()) is ours  # same namespace: one read
    assert scans.label(os.getpid()) is scans.label(os.getpid())
    assert scans.locks() is scans.locks()
