"""Pure parts of forensics.fleet: pools from a process table, the orphan judgements, the suggested concurrency."""
from __future__ import annotations

from forensics.fleet.memory import advise, cgroup_limit, prefork, suggest
from forensics.fleet.orphans import group_abandoned, reparented
from forensics.fleet.table import Proc, pools

CMD = "/usr/bin/python3 -m celery -A app worker"


def proc(pid, ppid, pgid=None, sid=None, cmd=CMD):
    return Proc(pid, ppid, pgid if pgid is not None else pid, sid if sid is not None else pid, 1, "S", cmd)


def test_pools_root_is_the_topmost_selected_parent():
    table = {10: proc(10, 1), 11: proc(11, 10, 10, 10), 12: proc(12, 10, 10, 10), 13: proc(13, 11, 10, 10),
             20: proc(20, 5)}
    assert pools(table) == {10: [10, 11, 12, 13], 20: [20]}


def test_reparented_needs_a_changed_parent():
    assert reparented(10, 10) is None and reparented(1, None) is None
    assert reparented(1, 10) == {"recorded_ppid": 10, "ppid": 1, "reparented_to": "init"}
    assert reparented(7, 10)["reparented_to"] == "subreaper"


def test_group_abandoned_when_the_group_leader_died_and_the_parent_is_outside():
    orphan = proc(999_001, 1, pgid=999_000, sid=999_000)  # its master (the group leader) is gone
    assert group_abandoned(orphan, {orphan.pid: orphan})["lost_group_leader"] == 999_000
    leader_alive = proc(999_003, 999_002, pgid=999_002, sid=999_002)
    assert group_abandoned(leader_alive, {999_002: proc(999_002, 1), 999_003: leader_alive}) is None
    # a shell pipeline member whose group leader exited keeps its shell (same session): not an orphan
    shell = proc(999_010, 1, pgid=999_010, sid=999_010)
    member = proc(999_012, 999_010, pgid=999_011, sid=999_010)
    assert group_abandoned(member, {999_010: shell, 999_012: member}) is None
    # a subreaper outside its session adopted it: an orphan
    reaper = proc(999_020, 1, pgid=999_020, sid=999_020)
    adopted = proc(999_022, 999_020, pgid=999_021, sid=999_021)
    assert group_abandoned(adopted, {999_020: reaper, 999_022: adopted})["reparented_to"] == "subreaper"
    leader = proc(999_030, 1)
    assert group_abandoned(leader, {999_030: leader}) is None


def test_suggest_pays_shared_memory_once():
    # pool PSS 1000 of which the two children hold 300 each privately: 400 shared, 300 per extra child
    assert suggest(1900, 1000, [300, 300]) == 5
    assert suggest(100, 1000, [300, 300]) == 0
    assert suggest(1000, 1000, []) is None


def test_trap_named_only_for_one_child_per_cpu_without_concurrency():
    master = proc(10, 1)
    text = advise(master, 4, 4 * 2**30, 16 * 2**30, "the cgroup limit", 4, 2.0, 10, 12 * 2**30)
    assert "4 children = 4 host CPUs" in text and "allows 2 CPUs" in text and "--concurrency=10" in text
    assert advise(master, 3, 1, 16, "RAM", 4, None, 1, 1) is None
    assert advise(proc(10, 1, cmd=CMD + " --concurrency=4"), 4, 1, 16, "RAM", 4, None, 1, 1) is None
    assert advise(proc(10, 1, cmd=CMD + " -c 4"), 4, 1, 16, "RAM", 4, None, 1, 1) is None


def test_prefork_is_forks_without_exec_or_celery():
    m = proc(10, 1, cmd="python app.py")
    assert prefork(m, [proc(11, 10, cmd="python app.py")])
    assert not prefork(m, [proc(11, 10, cmd="python other.py")])
    assert prefork(proc(10, 1), [proc(11, 10, cmd="[celeryd: ForkPoolWorker-1]")])


def test_cgroup_limit_is_the_tightest_up_the_tree(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "memory.max").write_text("1000\n")
    (tmp_path / "a" / "b" / "memory.max").write_text("max\n")
    assert cgroup_limit("/a/b", str(tmp_path)) == 1000
    assert cgroup_limit("/x", str(tmp_path)) is None
