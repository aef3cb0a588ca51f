"""Pure parts of forensics.fleet: pools from a process table, the orphan judgements, the suggested concurrency."""
from __future__ import annotations

import json

from forensics.fleet.memory import advise, cgroup_limit, prefork, suggest
from forensics.fleet.orphans import FIRST_SEEN, HEARTBEAT, Parent, group_abandoned, orphans_among, reparented
from forensics.fleet.table import Proc, pools

CMD = "/usr/bin/python3 -m celery -A app worker"


def proc(pid, ppid, pgid=None, sid=None, cmd=CMD):
    return Proc(pid, ppid, pgid if pgid is not None else pid, sid if sid is not None else pid, 1, "S", cmd)


def test_pools_root_is_the_topmost_selected_parent():
    table = {10: proc(10, 1), 11: proc(11, 10, 10, 10), 12: proc(12, 10, 10, 10), 13: proc(13, 11, 10, 10),
             20: proc(20, 5)}
    assert pools(table) == {10: [10, 11, 12, 13], 20: [20]}


def test_reparented_needs_a_changed_parent_and_the_recorded_one_no_longer_alive():
    parent = Proc(10, 1, 10, 10, 500, "S", "master")
    worker = proc(11, 1, pgid=10, sid=10)  # its parent is init now
    recorded = Parent(10, 500, HEARTBEAT, True)
    assert reparented(worker, recorded, _table(parent)) is None  # that parent still lives: no re-parenting
    assert reparented(worker, recorded, _table()) == {
        "basis": HEARTBEAT, "recorded_ppid": 10, "recorded_parent_start_ticks": 500, "recorded_parent_same_exe": True,
        "recorded_parent": "exited", "ppid": 1, "reparented_to": "init"}
    assert reparented(worker, recorded, _table(parent._replace(state="Z")))["recorded_parent"] == "exited"
    reused = parent._replace(start_ticks=900, cmdline="someone else")
    assert reparented(worker, recorded, _table(reused))["recorded_parent"] == "pid reused"
    assert reparented(worker, Parent(10, None, FIRST_SEEN), _table(reused)) is None  # no start time: by pid only
    assert reparented(worker._replace(ppid=10), recorded, _table()) is None  # its parent did not change
    assert reparented(worker, Parent(0, None, HEARTBEAT), _table()) is None  # a parent outside our namespace
    assert reparented(worker._replace(ppid=7), recorded, _table())["reparented_to"] == "subreaper"


def test_a_heartbeats_unchanged_parent_outweighs_the_process_group():
    # `(cmd &)` from a script that has exited: its group leader is gone and init is its parent from the start
    detached = proc(999_061, 1, pgid=999_060, sid=999_001)
    table = _table(detached)
    assert orphans_among([detached], {999_061: Parent(1, 1, HEARTBEAT)}, table) == {}
    found = orphans_among([detached], {999_061: Parent(1, 1, FIRST_SEEN)}, table)[999_061]
    assert found["basis"] == "process_group" and found["lost_group_leader"] == 999_060


def _table(*procs):
    table = {p.pid: p for p in procs}
    return table.get


def test_group_abandoned_when_the_group_leader_died_and_the_parent_is_outside():
    orphan = proc(999_001, 1, pgid=999_000, sid=999_000)  # its master (the group leader) is gone
    assert group_abandoned(orphan, _table(orphan))["lost_group_leader"] == 999_000
    zombie_master = Proc(999_000, 1, 999_000, 999_000, 1, "Z", "")
    assert group_abandoned(orphan, _table(orphan, zombie_master))["lost_group_leader"] == 999_000
    leader_alive = proc(999_003, 999_002, pgid=999_002, sid=999_002)
    assert group_abandoned(leader_alive, _table(proc(999_002, 1), leader_alive)) is None
    # a shell pipeline member whose group leader exited keeps its shell (same session): not an orphan
    shell = proc(999_010, 1, pgid=999_010, sid=999_010)
    member = proc(999_012, 999_010, pgid=999_011, sid=999_010)
    assert group_abandoned(member, _table(shell, member)) is None
    # a subreaper outside its session adopted it: an orphan
    reaper = proc(999_020, 1, pgid=999_020, sid=999_020)
    adopted = proc(999_022, 999_020, pgid=999_021, sid=999_021)
    assert group_abandoned(adopted, _table(reaper, adopted))["reparented_to"] == "subreaper"
    leader = proc(999_030, 1)
    assert group_abandoned(leader, _table(leader)) is None


def test_a_daemons_double_fork_is_let_be_but_the_pool_it_leaves_when_it_dies_is_not():
    # fork, setsid (999_040 leads a new session and group), fork, exit: 999_041 is a daemon, not an orphan
    daemon = proc(999_041, 1, pgid=999_040, sid=999_040)
    workers = [proc(999_042 + i, 999_041, pgid=999_040, sid=999_040) for i in range(2)]
    table = _table(daemon, *workers)
    assert orphans_among([daemon, *workers], {}, table) == {}
    # the daemon dies: its two workers, left behind in the same group, are a pool that lost its master
    left = [w._replace(ppid=1) for w in workers]
    found = orphans_among(left, {}, _table(*left))
    assert sorted(found) == [999_042, 999_043] and {e["lost_group_leader"] for e in found.values()} == {999_040}
    # a master that was a group leader inside a larger session (supervisord's setpgrp): one child is enough
    child = proc(999_051, 1, pgid=999_050, sid=999_001)
    assert list(orphans_among([child], {}, _table(child))) == [999_051]
    # a recorded parent that is gone is proof enough, whatever the group
    found = orphans_among([daemon], {999_041: Parent(999_040, 7, HEARTBEAT)}, table)[999_041]
    assert (found["basis"], found["recorded_ppid"]) == (HEARTBEAT, 999_040)


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


def test_role_from_own_and_parent_command_lines():
    from forensics.fleet.role import framework, role

    worker = "/usr/bin/python3 -m celery -A proj worker --loglevel=INFO"
    assert framework(worker) == "celery" and framework("gunicorn app:app") == "gunicorn"
    assert framework("python app.py") is None
    assert role("celery", worker, "/usr/bin/supervisord") == "master"
    assert role("celery", worker, worker) == "child"
    assert role("celery", "[celeryd: celery@h:ForkPoolWorker-2]", worker) == "child"
    assert role("celery", "celery -A proj beat", "/bin/sh") == "beat"
    assert role("gunicorn", "gunicorn -w 2 app:app", "gunicorn -w 2 app:app") == "child"
    assert role("gunicorn", "gunicorn -w 2 app:app", "/sbin/init") == "master"


def test_task_and_request_from_locals():
    from forensics.fleet.role import from_locals
    from forensics.model import Frame, Local, ThreadStack

    tracer = Frame("python", "_fast_trace_task", "celery/app/trace.py", 1,
                   locals=(Local("task", "'proj.charge'", True), Local("uuid", "'6f1c-42'", True)))
    assert from_locals([ThreadStack(tid=1, frames=(tracer,))]) == {"task": "proj.charge", "task_id": "6f1c-42",
                                                                   "source": "locals"}
    inner = Frame("python", "build_tracer.<locals>.trace_task", "celery/app/trace.py", 1, locals=(
        Local("uuid", '"6f1c-42"', True), Local("request", '{"lang": "py", "task": "proj.charge", "id": "6f1c-42", ...}')))
    assert from_locals([ThreadStack(tid=1, frames=(inner, tracer))])["task"] == "proj.charge"
    wsgi = Frame("python", "app", "app.py", 3, locals=(
        Local("environ", "{'wsgi.input': <x>, 'REQUEST_METHOD': 'POST', 'PATH_INFO': '/export'}", True),))
    assert from_locals([ThreadStack(tid=1, frames=(wsgi,))])["request"] == "POST /export"
    assert from_locals([ThreadStack(tid=1, frames=(Frame("python", "run", "x.py", 1),))]) == {}
    handler = Frame("python", "SyncWorker.handle_request", "gunicorn/workers/sync.py", 1, locals=(
        Local("addr", '("127.0.0.1", 51106)', True), Local("environ", '{"wsgi.errors": <W at 0x1>, ...}', False)))
    assert from_locals([ThreadStack(tid=1, frames=(handler,))]) == {"request_from": "127.0.0.1:51106",
                                                                    "source": "locals"}


def test_worker_facts_survive_the_capture_document():
    from forensics.model import Capture, ProcessFacts

    cap = Capture(id="x", host="h", pid=1, taken_at=1.0, method="py-spy",
                  process=ProcessFacts(worker={"framework": "celery", "role": "child", "task": "t", "task_id": "1"}))
    assert Capture.from_json(cap.to_json()).process.worker == cap.process.worker
    assert "worker" not in Capture(id="x", host="h", pid=1, taken_at=1.0, method="py-spy",
                                   process=ProcessFacts()).to_dict()["process"]


def test_task_ratios_exclude_run_queue_waits_and_skip_torn_lines(tmp_path):
    from forensics.fleet.tasks import read_records, summarize

    lines = [{"task": "cpu", "wall_s": 1.0, "cpu_s": 0.25, "runq_s": 0.75}, {"task": "io", "wall_s": 1.0, "cpu_s": 0.01},
             {"task": "io", "wall_s": 3.0, "cpu_s": 0.0, "state": "FAILURE"}]
    (tmp_path / "tasks.jsonl.1").write_text(json.dumps(lines[0]) + "\n")
    (tmp_path / "tasks.jsonl").write_text("\n".join(json.dumps(x) for x in lines[1:]) + '\n{"task": "io", "wal')
    stats = {s.task: s for s in summarize(read_records(str(tmp_path)))}
    assert stats["cpu"].cpu_wall_p50 == 1.0 and stats["cpu"].count == 1
    assert stats["io"].count == 2 and stats["io"].failures == 1 and stats["io"].cpu_wall_p50 <= 0.01
    assert stats["io"].wall_p95_s == 3.0


def test_task_log_rotates_past_its_cap(tmp_path):
    from forensics.integrations.taskrec import CHECK_EVERY, TaskLog

    log = TaskLog(str(tmp_path), cap=1000)
    for i in range(CHECK_EVERY * 4):
        log.append({"task": "t", "i": i, "wall_s": 0.1, "cpu_s": 0.1})
    assert (tmp_path / "tasks.jsonl.1").exists()
    line = len(json.dumps({"task": "t", "i": 100, "wall_s": 0.1, "cpu_s": 0.1}, separators=(",", ":"))) + 1
    for path in tmp_path.glob("tasks.jsonl*"):
        assert path.stat().st_size <= 1000 + CHECK_EVERY * line


def test_worker_text_and_tally():
    from forensics.fleet.role import tally, worker_text

    w = {"framework": "celery", "role": "child", "task": "hd.charge", "task_id": "6f1c", "task_age_s": 12.5,
         "source": "heartbeat"}
    assert worker_text(w) == "celery child · task hd.charge (id 6f1c) for 12.5s  (heartbeat)"
    assert worker_text({"framework": "gunicorn", "role": "child", "request_from": "1.2.3.4:5"}) == \
        "gunicorn child · request from 1.2.3.4:5"
    assert worker_text({}) is None
    assert tally([w, w, {"framework": "celery", "role": "master"}, {}, None]) == \
        ["celery child hd.charge x2", "celery master x1"]


def test_strip_plot_has_a_row_per_task_and_a_dot_per_run():
    from forensics.fleet.taskplot import strip_svg
    from forensics.fleet.tasks import summarize

    stats = summarize([{"task": "<cpu>", "wall_s": 1.0, "cpu_s": 1.0}] * 3 + [{"task": "io", "wall_s": 1.0, "cpu_s": 0}])
    svg = strip_svg(stats)
    assert svg.startswith("<svg") and svg.count("<circle") == 4 and "&lt;cpu&gt;" in svg and "<cpu>" not in svg
    assert strip_svg([]) == ""


def test_report_shows_the_task_plot_only_when_tasks_were_recorded(tmp_path):
    from forensics.report.build import build_report
    from forensics.store.local import LocalStore

    store = LocalStore(str(tmp_path / "store"))
    assert 'id="tasks"' not in build_report(store, progress=False, tasks_dir=str(tmp_path)).html
    (tmp_path / "tasks.jsonl").write_text(json.dumps({"task": "proj.resize", "wall_s": 1.0, "cpu_s": 0.9}) + "\n")
    html = build_report(store, progress=False, tasks_dir=str(tmp_path)).html
    assert 'id="tasks"' in html and "proj.resize" in html and "<circle" in html
