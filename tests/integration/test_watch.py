"""The watchdog against real workers (forensics.watch.worker) emitting real heartbeats: real /proc samples,
real py-spy captures, real signals through pidfds. Waits are on conditions (a worker's READY line, the
watchdog's own --once / scan() steps, a process's exit), never on sleeps."""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from concurrent.futures import wait
from dataclasses import replace
from pathlib import Path

import pytest

from forensics.hangs import read_ready
from forensics.identity import ProcessIdentity, identity, read_stat, same_process
from forensics.store.local import LocalStore
from forensics.watch.capture import capture_target
from forensics.watch.events import Events
from forensics.watch.policy import PolicyConfig
from forensics.watch.rules import HANG_RULES, RuleConfig
from forensics.watch.watchdog import WatchConfig, Watchdog
from tests.support import REPO_ROOT, wait_until

pytestmark = pytest.mark.integration
FAULTS = REPO_ROOT / "fixtures" / "faults"


class Workers:
    """Spawns forensics.watch.worker processes beating into one directory; kills what is left at the end."""

    def __init__(self, tmp: Path) -> None:
        self.dir = tmp / "beats"
        self.dir.mkdir()
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []

    def start(self, mode: str, *args: str, python: str = sys.executable) -> tuple[subprocess.Popen, dict]:
        env = dict(os.environ, HANGDUMP_HEARTBEAT_DIR=str(self.dir), PYTHONPATH=str(REPO_ROOT))
        proc = subprocess.Popen([python, "-m", "forensics.watch.worker", "--mode", mode, "--resolution", "0.1", *args],
                                stdout=subprocess.PIPE, env=env, start_new_session=True)
        self.procs.append(proc)
        info, seen = read_ready(proc, time.monotonic() + 30)
        assert info is not None, f"worker {mode} never got ready: {seen!r}"
        return proc, info

    def spawn(self, argv: list[str]) -> tuple[subprocess.Popen, dict]:
        """Any real program that prints a READY line (fixtures/), in its own session, killed at the end."""
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
        self.procs.append(proc)
        info, seen = read_ready(proc, time.monotonic() + 30)
        assert info is not None, f"{argv} never got ready: {seen!r}"
        return proc, info

    def signal_log(self, name: str) -> Path:
        return self.tmp / f"{name}.signals"

    def close(self) -> None:
        for p in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
            p.stdout.close()


@pytest.fixture
def workers(tmp_path):
    w = Workers(tmp_path)
    yield w
    w.close()


def config(workers: Workers, **policy) -> WatchConfig:
    return WatchConfig(
        heartbeat_dir=str(workers.dir), interval_s=0.3, store=str(workers.tmp / "store"),
        rules=RuleConfig(stale_s=0.5),
        policy=PolicyConfig(**{"grace_s": 1.0, "capture_budget_s": 20.0, "kill_wait_s": 10.0, **policy}),
    )


def watchdog(cfg: WatchConfig, **kw) -> Watchdog:
    return Watchdog(cfg, events=Events(cfg.event_log, quiet=True), **kw)


def wait_stale(workers: Workers, pid: int, stale_s: float = 0.5) -> None:
    """Until the worker's heartbeat is older than the stale limit, judged by the watchdog's own reader."""
    from forensics.watch.heartbeats import read_dir

    wait_until(lambda: read_dir(str(workers.dir), time.monotonic()).by_pid[pid].age(time.monotonic()) > stale_s,
               what=f"heartbeat of {pid} stale")


def kinds(dog: Watchdog, pid: int) -> list[str]:
    return [e["event"] + (":" + e["signal"] if e["event"] == "signalled" else "") for e in dog.events.history
            if e.get("pid") == pid]


def alive(pid: int) -> bool:
    try:
        return identity(pid) is not None
    except Exception:  # noqa: BLE001 - gone in any way
        return False


def sigkill_parent(parent: subprocess.Popen, child: int) -> None:
    """SIGKILL a child's parent, reap it, and wait until the kernel re-parented the child."""
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    wait_until(lambda: read_stat(child).ppid != parent.pid, what=f"{child} re-parented")


def test_stale_heartbeat_is_captured_then_killed_and_the_trigger_names_the_rule(workers):
    proc, _ = workers.start("sleep_forever")
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers))
    dog.run_once()
    assert kinds(dog, proc.pid) == ["detected", "captured", "signalled:SIGTERM", "exited"]
    assert proc.wait(timeout=10) == 0  # its SIGTERM handler exited: no SIGKILL needed
    detected = dog.events.of("detected", proc.pid)[0]
    assert detected["rule"] in HANG_RULES
    [capture] = list(LocalStore(dog.cfg.store).scan())
    assert capture.pid == proc.pid
    assert capture.trigger.kind == "watchdog" and capture.trigger.rule == detected["rule"]
    assert capture.trigger.evidence["task"] == "nap"
    assert capture.trigger.evidence["last_beat_age_s"] > 0.5
    captured = dog.events.of("captured", proc.pid)[0]
    assert captured["mono"] <= dog.events.of("signalled", proc.pid)[0]["sent_mono"]


def test_healthy_workers_idle_or_busy_with_tasks_are_untouched(workers):
    idle, _ = workers.start("idle", "--signal-log", str(workers.signal_log("idle")))
    working, _ = workers.start("working", "--signal-log", str(workers.signal_log("working")))
    # the idle worker's last beat is long stale: declared idle is never stale
    wait_stale(workers, idle.pid)
    dog = watchdog(config(workers))
    result = dog.run_once()
    assert {t.ident.pid for t in result.targets} >= {idle.pid, working.pid}
    assert result.decisions == ()
    assert dog.events.history == []
    assert idle.poll() is None and working.poll() is None
    assert not workers.signal_log("idle").exists() and not workers.signal_log("working").exists()


def test_a_worker_that_ignores_sigterm_gets_sigkill_only_after_the_full_grace(workers):
    log = workers.signal_log("stubborn")
    proc, _ = workers.start("sleep_forever", "--on-term", "ignore", "--signal-log", str(log))
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers, grace_s=1.5))
    dog.run_once()
    assert kinds(dog, proc.pid) == ["detected", "captured", "signalled:SIGTERM", "signalled:SIGKILL", "exited"]
    term, kill = dog.events.of("signalled", proc.pid)
    assert kill["sent_mono"] - term["sent_mono"] >= 1.5
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert log.read_text().split() == ["SIGTERM"]


def test_identity_mismatch_pid_reuse_sends_no_signal(workers):
    """A decision about an earlier process with this pid (same pid, other start time): real pid reuse cannot
    be produced on demand, so the identity the decision carries is the one of a process that no longer is."""
    log = workers.signal_log("newcomer")
    proc, _ = workers.start("sleep_forever", "--on-term", "ignore", "--signal-log", str(log))
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers))
    result = dog.scan()
    result = dog.scan()
    [decision] = [d for d in result.decisions if d.target.ident.pid == proc.pid]
    earlier = ProcessIdentity(proc.pid, decision.target.ident.start_ticks - 1)
    outcome = dog.responder.handle(earlier, decision.target.pool, decision.detection)
    assert outcome == "reused"
    assert dog.events.of("signalled") == []
    assert dog.events.of("captured") == []  # the capture saw another start time and stored nothing
    assert "no longer names" in dog.events.of("capture_failed")[0]["error"]
    assert proc.poll() is None and not log.exists()


def test_target_exiting_between_decision_and_signal_is_not_signalled(workers):
    proc, _ = workers.start("sleep_forever")
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers))
    dog.scan()
    result = dog.scan()
    assert [d.target.ident.pid for d in result.decisions] == [proc.pid]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    for fut in dog.act(result):
        assert fut.result(timeout=60) == "gone"
    assert dog.events.of("signalled") == []
    assert [e["reason"] for e in dog.events.of("skipped", proc.pid)] == ["gone"]


def _dying_pyspy(tmp: Path) -> str:
    """A 'py-spy' that really attaches to every thread and dies mid-attach (fixtures/faults/die_mid_attach.py)."""
    tool = tmp / "py-spy"
    tool.write_text(f"#!/bin/sh\n# argv: dump --json --pid PID\nexec {sys.executable} "
                    f"{REPO_ROOT / 'fixtures' / 'faults' / 'die_mid_attach.py'} \"$4\"\n")
    tool.chmod(0o755)
    return str(tool)


def _thread_states(pid: int) -> list[tuple[str, int]]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        out.append((fields["State"].split()[0], int(fields["TracerPid"])))
    return out


def test_capture_tool_killed_mid_attach_leaves_the_target_running_and_the_policy_goes_on(workers):
    log = workers.signal_log("attached")
    proc, _ = workers.start("deadlock", "--signal-log", str(log))
    wait_stale(workers, proc.pid)
    cfg = config(workers, capture_budget_s=5.0, dry_run=True)
    dog = watchdog(cfg, capturer=functools.partial(capture_target, pyspy_path=_dying_pyspy(workers.tmp)))
    dog.run_once()
    assert kinds(dog, proc.pid)[0] == "detected"
    assert kinds(dog, proc.pid)[-1] == "skipped"  # --dry-run: the policy ran to its end, capture or not
    assert wait_until(lambda: all(state not in ("T", "t") and tracer == 0
                                  for state, tracer in _thread_states(proc.pid)), timeout=10,
                      what="target running again, no tracer")
    assert proc.poll() is None and not log.exists()


def test_breaker_trips_when_8_of_10_are_stale_and_nothing_is_killed(workers):
    procs = [workers.start("sleep_forever", "--on-term", "ignore")[0] for _ in range(8)]
    procs += [workers.start("working")[0] for _ in range(2)]
    for p in procs[:8]:
        wait_stale(workers, p.pid)
    dog = watchdog(config(workers, capture_budget_s=30.0))
    result = dog.run_once()
    assert result.breaker
    assert [e["reason"] for e in dog.events.of("alert")] == ["breaker"]
    assert dog.metrics.value("hangdump_watch_breaker_trips_total") == 1
    assert dog.events.of("signalled") == []
    assert {e["reason"] for e in dog.events.of("skipped")} == {"capture_only"}
    assert len(dog.events.of("skipped")) == 8
    assert all(p.poll() is None for p in procs)


def test_unreadable_heartbeat_store_means_unknown_and_no_kills(workers, tmp_path):
    """Root reads any directory whatever its mode, so unreadable is produced as the kernel's ENOTDIR (the
    configured path runs through a file), and one worker's file as garbage: both are unknown, not stale."""
    a, _ = workers.start("sleep_forever", "--on-term", "ignore", "--signal-log", str(workers.signal_log("a")))
    b, _ = workers.start("sleep_forever", "--on-term", "ignore", "--signal-log", str(workers.signal_log("b")))
    wait_stale(workers, a.pid)
    wait_stale(workers, b.pid)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    # --match on this test's own directory (in both workers' --signal-log): a pattern like the module's name
    # also matches the workers of tests running beside this one, which were then judged and even killed
    cfg = replace(config(workers), heartbeat_dir=str(blocker / "beats"), match=(re.escape(str(workers.tmp)),),
                  rules=RuleConfig(stale_s=0.5, blocked_s=0.2))
    dog = watchdog(cfg)
    result = dog.run_once()
    assert {a.pid, b.pid} <= {t.ident.pid for t in result.targets}
    assert result.decisions == ()
    assert [e["reason"] for e in dog.events.of("alert")] == ["heartbeats_unknown"]
    (workers.dir / f"{b.pid}.json").write_text("{not json")
    dog2 = watchdog(replace(cfg, heartbeat_dir=str(workers.dir)))
    result = dog2.run_once()
    assert [d.target.ident.pid for d in result.decisions] == [a.pid]  # a's file still reads: a is judged
    assert b.poll() is None and not workers.signal_log("b").exists()


def test_dry_run_from_the_cli_sends_no_signal_at_all(workers):
    log = workers.signal_log("dry")
    proc, _ = workers.start("sleep_forever", "--signal-log", str(log))
    wait_stale(workers, proc.pid)
    events = workers.tmp / "events.jsonl"
    res = subprocess.run(
        [sys.executable, "-m", "forensics", "watch", "--once", "--dry-run", "--heartbeat-dir", str(workers.dir),
         "--stale", "0.5", "--interval", "0.3", "--store", str(workers.tmp / "store"), "--event-log", str(events),
         "--metrics-file", str(workers.tmp / "metrics.prom")],
        capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    logged = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["event"] for e in logged if e.get("pid") == proc.pid] == ["detected", "captured", "skipped"]
    assert "--dry-run" in logged[-1]["why"]
    assert f"pid {proc.pid}: captured" in res.stderr  # the readable line per event
    metrics = (workers.tmp / "metrics.prom").read_text()
    assert "hangdump_watch_captures_total 1" in metrics and "hangdump_watch_kills_total 0" in metrics
    assert proc.poll() is None and not log.exists()


def test_deadlocked_worker_whose_heartbeat_thread_still_beats_is_caught_as_blocked(workers):
    proc, _ = workers.start("deadlock", "--thread")
    # a stale limit far above the beating thread's period (0.1 s), so a loaded machine cannot make it look stale
    dog = watchdog(replace(config(workers), rules=RuleConfig(stale_s=3.0)))
    result = wait_until(lambda: [d for d in (dog.scan().decisions) if d.target.ident.pid == proc.pid],
                        timeout=20, interval=0.2, what="blocked detected")
    det = result[0].detection
    assert det.rule == "blocked"
    assert det.evidence["last_beat_age_s"] < 3.0  # the thread kept the heartbeat fresh
    assert det.evidence["heartbeat_from_thread"] in det.evidence["ignored_tids"]
    assert {t["syscall"] for t in det.evidence["threads"]} == {"futex"}
    assert det.evidence["threads_considered"] == 2


def test_busy_loop_is_busy_not_blocked(workers):
    proc, _ = workers.start("busy")
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers))

    def judged():  # until the samples span enough clock ticks to tell CPU moving from not
        found = [d.detection for d in dog.scan().decisions if d.target.ident.pid == proc.pid]
        return [d for d in found if d.rule != "heartbeat_stale"]

    [det] = wait_until(judged, interval=0.05, what="busy or blocked")
    assert det.rule == "busy"
    assert det.evidence["cpu_share"] >= 0.1


def test_a_pool_below_a_pid_is_watched_without_heartbeats_its_blocked_child_caught_its_busy_one_left(workers):
    """--tree PID with --blocked: /proc alone; a child stuck in one sleep is blocked, a spinning one is not."""
    code = ("import json, subprocess, sys\n"
            "kids = [subprocess.Popen([sys.executable, '-c', c]) for c in ('import time; time.sleep(10**6)',"
            " 'while True: pass')]\n"
            "print('READY ' + json.dumps({'sleeper': kids[0].pid, 'spinner': kids[1].pid}), flush=True)\n"
            "[k.wait() for k in kids]\n")
    master, info = workers.spawn([sys.executable, "-c", code])
    sleeper, spinner = info["sleeper"], info["spinner"]
    dog = watchdog(replace(config(workers), trees=(master.pid,), rules=RuleConfig(stale_s=30, blocked_s=0.5)))

    def blocked():
        result = dog.scan()
        assert spinner in {t.ident.pid for t in result.targets}
        return result if result.decisions else None

    result = wait_until(blocked, timeout=30, interval=0.1, what="a child of the pool judged blocked")
    [d] = result.decisions
    assert d.target.ident.pid == sleeper and d.detection.rule == "blocked"
    assert d.target.sources == (f"tree:{master.pid}",) and d.target.pool == f"ppid:{master.pid}"
    assert d.detection.evidence["window_s"] >= 0.5 and "sleep" in d.detection.evidence["threads"][0]["syscall"]
    wait(dog.act(result))
    assert kinds(dog, sleeper) == ["detected", "captured", "signalled:SIGTERM", "exited"]
    assert kinds(dog, spinner) == [] and alive(spinner) and master.poll() is None


def test_a_task_past_its_limit_overruns_though_it_beats(workers):
    from forensics.watch.heartbeats import read_dir

    long, _ = workers.start("leak", "--leak-mb", "1")  # one task ("grow") that beats every 50 ms, never ends
    idle, _ = workers.start("idle")
    wait_until(lambda: read_dir(str(workers.dir), time.monotonic()).by_pid[long.pid].task_age(time.monotonic()) > 1.0,
               what="the task older than its limit")
    dog = watchdog(replace(config(workers), rules=RuleConfig(stale_s=30, task_limit_s=1.0)))
    dog.run_once()
    [det] = dog.events.of("detected", long.pid)
    assert det["rule"] == "task_overrun" and det["evidence"]["task"] == "grow"
    assert det["evidence"]["task_age_s"] > 1.0 and det["evidence"]["last_beat_age_s"] < 30
    assert kinds(dog, long.pid) == ["detected", "captured", "signalled:SIGTERM", "exited"]
    assert kinds(dog, idle.pid) == [] and idle.poll() is None


def test_memory_rule_soft_kill_then_hard_kill(workers):
    log = workers.signal_log("leak")
    leak, _ = workers.start("leak", "--leak-mb", "96", "--on-term", "ignore", "--signal-log", str(log))
    small, _ = workers.start("working")
    cfg = replace(config(workers, memory_grace_s=1.0),
                  rules=RuleConfig(stale_s=30, rss_limit=64 << 20))
    dog = watchdog(cfg)
    dog.run_once()
    assert kinds(dog, leak.pid) == ["detected", "signalled:SIGTERM", "signalled:SIGKILL", "exited"]
    det = dog.events.of("detected", leak.pid)[0]
    assert det["rule"] == "memory" and det["evidence"]["value"] > 64 << 20
    term, kill = dog.events.of("signalled", leak.pid)
    assert kill["sent_mono"] - term["sent_mono"] >= 1.0
    assert log.read_text().split() == ["SIGTERM"]
    assert leak.wait(timeout=10) == -signal.SIGKILL
    assert small.poll() is None and kinds(dog, small.pid) == []


def test_orphans_are_found_after_their_parent_is_sigkilled_by_the_parent_their_heartbeat_recorded(workers):
    parent, info = workers.start("parent")
    stays, stays_info = workers.start("parent")  # another pool, whose master lives on
    child, parent_start = info["child"], read_stat(parent.pid).start_ticks
    dog = watchdog(config(workers))
    assert dog.run_once().decisions == ()  # every parent alive: no orphan
    sigkill_parent(parent, child)
    listed = subprocess.run([sys.executable, "-m", "forensics", "orphans", "--heartbeat-dir", str(workers.dir),
                             "--match", r"forensics\.watch\.worker --mode parent"],
                            capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
    assert "  BASIS  " in listed[0]
    assert [line.split()[6] for line in listed[1:] if int(line.split()[0]) == child] == ["heartbeat"]
    assert all(int(line.split()[0]) not in (stays.pid, stays_info["child"]) for line in listed[1:])
    dog.run_once()
    [det] = dog.events.of("detected", child)
    ev = det["evidence"]
    assert det["rule"] == "orphan" and ev["basis"] == "heartbeat"
    assert (ev["recorded_ppid"], ev["recorded_parent_start_ticks"], ev["recorded_parent"]) == (
        parent.pid, parent_start, "exited")
    assert ev["recorded_parent_same_exe"] is True  # forked by its master
    assert ev["ppid"] not in (parent.pid, child)
    assert kinds(dog, child) == ["detected", "captured", "signalled:SIGTERM", "exited"]
    [capture] = [c for c in LocalStore(dog.cfg.store).scan() if c.pid == child]
    assert capture.trigger.rule == "orphan" and capture.trigger.evidence == ev  # the evidence, in the trigger
    wait_until(lambda: not alive(child), what="orphan reaped")
    assert kinds(dog, stays_info["child"]) == [] and kinds(dog, stays.pid) == []


def test_a_worker_its_launching_shell_left_behind_is_reported_not_ended(workers):
    """`worker &` from a shell that then exits (nohup's case): the parent its heartbeat recorded ran another
    program than the worker, so the worker was started to outlive it: an orphan, reported, not signalled."""
    from forensics.watch.heartbeats import read_dir

    env = dict(os.environ, HANGDUMP_HEARTBEAT_DIR=str(workers.dir), PYTHONPATH=str(REPO_ROOT))
    worker = f"{shlex.quote(sys.executable)} -m forensics.watch.worker --mode idle --resolution 0.1"
    shell = subprocess.Popen(["/bin/sh", "-c", f"{worker} & wait"], stdout=subprocess.PIPE, env=env,
                             start_new_session=True)
    workers.procs.append(shell)
    info, seen = read_ready(shell, time.monotonic() + 30)
    assert info is not None, seen
    pid = info["pid"]
    beat = read_dir(str(workers.dir), time.monotonic()).by_pid[pid]
    assert (beat.ppid, beat.parent_same_exe) == (shell.pid, False)
    dog = watchdog(config(workers))
    assert dog.run_once().decisions == ()
    sigkill_parent(shell, pid)
    dog.run_once()
    [det] = dog.events.of("detected", pid)
    assert det["rule"] == "orphan" and det["evidence"]["basis"] == "heartbeat"
    assert det["evidence"]["recorded_parent_same_exe"] is False and det["evidence"]["recorded_ppid"] == shell.pid
    assert kinds(dog, pid) == ["detected", "skipped"] and alive(pid)
    assert dog.events.of("skipped", pid)[0]["reason"] == "report_only"


def test_an_orphan_without_a_heartbeat_is_reported_and_ended_only_when_configured(workers):
    """Its parent as the watchdog first saw it (pid + start time) died: that proves a re-parenting, not a
    pool's worker (nohup from a shell that exited looks the same), so by default it is only reported."""
    marker = f"hangdump-orphan-{os.getpid()}-{workers.tmp.name}"
    sleeper = f"import time; time.sleep(10**6)  # {marker}"
    code = ("import json, subprocess, sys\n"
            f"c = subprocess.Popen([sys.executable, '-c', {sleeper!r}])\n"
            "print('READY ' + json.dumps({'child': c.pid}), flush=True)\nc.wait()\n")
    parent, info = workers.spawn([sys.executable, "-c", code])
    child = info["child"]
    wait_until(lambda: marker in Path(f"/proc/{child}/cmdline").read_bytes().decode(), what="the child's exec")
    reporting = watchdog(replace(config(workers), match=(re.escape(marker),)))
    ending = watchdog(replace(config(workers, kill_orphans="all"), match=(re.escape(marker),),
                              store=str(workers.tmp / "store-all")))
    assert reporting.run_once().decisions == () and ending.run_once().decisions == ()
    sigkill_parent(parent, child)
    reporting.run_once()
    [det] = reporting.events.of("detected", child)
    assert det["rule"] == "orphan" and det["evidence"]["basis"] == "first_seen"
    assert det["evidence"]["recorded_ppid"] == parent.pid and det["evidence"]["recorded_parent"] == "exited"
    assert kinds(reporting, child) == ["detected", "skipped"]
    assert reporting.events.of("skipped", child)[0]["reason"] == "report_only" and alive(child)
    reporting.run_once()
    assert kinds(reporting, child) == ["detected", "skipped"]  # reported once
    ending.run_once()
    assert kinds(ending, child) == ["detected", "captured", "signalled:SIGTERM", "exited"]


def test_a_daemon_that_double_forked_by_design_is_no_orphan(workers):
    launcher, info = workers.start("daemon")
    daemon = identity(info["pid"])
    try:
        from forensics.watch.heartbeats import read_dir

        beat = read_dir(str(workers.dir), time.monotonic()).by_pid[daemon.pid]
        # adopted from its first write on: the parent it recorded is the one it has, never the middle process
        assert beat.ppid == info["ppid"] == read_stat(daemon.pid).ppid != launcher.pid
        dog = watchdog(replace(config(workers), match=(r"forensics\.watch\.worker --mode daemon",)))
        assert dog.run_once().decisions == ()
        assert kinds(dog, daemon.pid) == [] and alive(daemon.pid)
    finally:
        if same_process(daemon):  # it left the launcher's session: killed here, by identity
            os.kill(daemon.pid, signal.SIGKILL)


def test_a_restarted_watchdog_never_kills_twice(workers):
    log = workers.signal_log("twice")
    proc, _ = workers.start("sleep_forever", "--on-term", "ignore", "--signal-log", str(log))
    wait_stale(workers, proc.pid)
    store = workers.tmp / "store"
    argv = [sys.executable, "-m", "forensics", "watch", "--once", "--heartbeat-dir", str(workers.dir),
            "--stale", "0.5", "--interval", "0.3", "--store", str(store)]
    first = subprocess.Popen([*argv, "--grace", "600"], stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: log.exists() and log.read_text().split() == ["SIGTERM"], timeout=60,
                   what="the first watchdog's SIGTERM")
    finally:
        first.kill()  # the watchdog dies mid-grace
        first.wait(timeout=10)
    res = subprocess.run([*argv, "--grace", "1"], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert "sent by an earlier watchdog run" in res.stderr
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert log.read_text().split() == ["SIGTERM"]  # one SIGTERM in all
    assert len(list((store / "captures").glob("*.json"))) == 1  # and one capture
    third = subprocess.run([*argv, "--grace", "1"], capture_output=True, text=True, timeout=120, check=False)
    assert third.returncode == 0 and "signalled" not in third.stderr


def test_wall_clock_jumps_do_not_age_a_fresh_heartbeat(workers):
    proc, _ = workers.start("leak", "--leak-mb", "1")  # in a task, beating every 50 ms
    beat = workers.dir / f"{proc.pid}.json"
    dog = watchdog(config(workers))
    for jump in (-3600, 3600):
        wall = time.time() + jump
        os.utime(beat, (wall, wall))
        assert dog.scan().decisions == ()
    assert proc.poll() is None


def test_a_capture_that_hangs_gets_its_budget_and_never_holds_the_kill_back(workers):
    tool = workers.tmp / "py-spy-hangs"
    tool.write_text("#!/bin/sh\nexec sleep 1000\n")  # a capture tool that never answers
    tool.chmod(0o755)
    proc, _ = workers.start("sleep_forever")
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers, capture_budget_s=1.0),
                   capturer=functools.partial(capture_target, pyspy_path=str(tool)))
    dog.run_once()
    assert kinds(dog, proc.pid) == ["detected", "capture_failed", "signalled:SIGTERM", "exited"], dog.events.history
    detected, failed = dog.events.of("detected", proc.pid)[0], dog.events.of("capture_failed", proc.pid)[0]
    assert failed["timed_out"] or "timed out" in failed["error"] or "did not answer" in failed["error"]
    assert dog.events.of("signalled", proc.pid)[0]["sent_mono"] - detected["mono"] >= 1.0
    assert dog.metrics.value("hangdump_watch_capture_failures_total") == 1
    assert proc.wait(timeout=10) == 0


def test_metrics_served_on_loopback(workers):
    import urllib.request

    dog = watchdog(config(workers))
    dog.scan()
    server = dog.metrics.serve(0)
    try:
        host, port = server.server_address
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            body = resp.read().decode()
        assert "# TYPE hangdump_watch_scan_duration_seconds gauge" in body
    finally:
        server.shutdown()


def test_a_zombie_is_reported_once_and_never_signalled(workers):
    proc, _ = workers.start("sleep_forever")
    wait_stale(workers, proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # not reaped: a zombie, our child, its heartbeat file still there
    wait_until(lambda: read_stat(proc.pid).state == "Z", what="zombie")
    dog = watchdog(config(workers))
    for _ in range(3):
        for fut in dog.act(dog.scan()):
            fut.result(timeout=60)
    assert [(e["event"], e.get("reason")) for e in dog.events.history] == [("skipped", "zombie")]
    assert proc.wait(timeout=10) == -signal.SIGKILL


def test_the_running_watchdog_acts_between_scans_and_stops_on_sigterm(workers):
    proc, _ = workers.start("sleep_forever")
    healthy, _ = workers.start("working")
    events, metrics = workers.tmp / "events.jsonl", workers.tmp / "metrics.prom"

    def logged() -> list[dict]:
        return [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []

    # --stale 2: the healthy worker's writer thread must be starved that long to look stale (on a loaded
    # machine 0.5 s happened); the hung one is judged 2 s after its last beat either way
    dog = subprocess.Popen(
        [sys.executable, "-m", "forensics", "watch", "--heartbeat-dir", str(workers.dir), "--stale", "2",
         "--interval", "0.2", "--grace", "1", "--store", str(workers.tmp / "store"), "--event-log", str(events),
         "--metrics-file", str(metrics)], stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: proc.poll() is not None, timeout=60, what="the hung worker ended")
        assert proc.returncode == 0, logged()  # captured, then its SIGTERM handler exited
        wait_until(lambda: metrics.exists() and "hangdump_watch_kills_total{signal=\"SIGTERM\"} 1" in metrics.read_text(),
                   what="the kill counted in the metrics file")
    finally:
        dog.send_signal(signal.SIGTERM)
        assert dog.wait(timeout=30) == 0
    assert [e["event"] for e in logged() if e.get("pid") == proc.pid] == ["detected", "captured", "signalled",
                                                                         "exited"], logged()
    assert healthy.poll() is None and not [e for e in logged() if e.get("pid") == healthy.pid], logged()


def _status_field(pid: int, name: str) -> str | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((line.split(":", 1)[1].strip() for line in fh if line.startswith(name + ":")), None)
    except OSError:
        return None


def test_a_d_state_target_is_reported_once_never_signalled_and_left_running(workers, tmp_path):
    """dstate.py --main: the main thread waits in the kernel for a vfork'd child blocked opening a FIFO, so
    the process's own state is D; no heartbeat, found by its pid file and the blocked rule."""
    fifo = tmp_path / "vfork-fifo"
    proc, _ = workers.spawn([sys.executable, str(FAULTS / "dstate.py"), "--main", str(fifo)])
    assert read_stat(proc.pid).state == "D"
    pidfile = tmp_path / "dstate.pid"  # not --match: the vfork'd child shares the parent's memory, argv too
    pidfile.write_text(f"{proc.pid}\n")
    cfg = replace(config(workers), pidfiles=(str(pidfile),), rules=RuleConfig(stale_s=0.5, blocked_s=0.2))
    dog = watchdog(cfg)
    wait_until(lambda: any(d.target.ident.pid == proc.pid for d in dog.scan().decisions), what="a decision")
    for _ in range(3):  # the next scans see the same target in D again: nothing more is done or said
        for fut in dog.act(dog.scan()):
            assert fut.result(timeout=120) == "uninterruptible"
    assert kinds(dog, proc.pid) == ["detected", "captured", "skipped"]
    assert dog.events.of("skipped", proc.pid)[0]["reason"] == "uninterruptible"
    assert dog.events.of("detected", proc.pid)[0]["rule"] == "blocked"
    assert dog.metrics.value("hangdump_watch_kills_total", signal="SIGTERM") == 0
    assert read_stat(proc.pid).state == "D"
    os.close(os.open(fifo, os.O_WRONLY))  # the vfork child execs: the main thread goes on
    wait_until(lambda: read_stat(proc.pid).state == "S", what="the main thread out of D")
    assert _status_field(proc.pid, "TracerPid") == "0" and proc.poll() is None


def _children(pid: int) -> list[int]:
    return [int(k) for tid in os.listdir(f"/proc/{pid}/task")
            for k in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]


def test_a_vfork_child_matching_its_parents_command_line_is_skipped_once_never_signalled(workers, tmp_path):
    """dstate.py --main under --match: posix_spawn's vfork'd child, blocked opening a FIFO before its exec,
    shows the parent's command line and would be judged blocked; it is the parent's memory under another pid,
    so it is skipped (said once) and never captured or signalled, while the parent is handled as before."""
    fifo = tmp_path / "vfork-fifo"
    proc, _ = workers.spawn([sys.executable, str(FAULTS / "dstate.py"), "--main", str(fifo)])
    (child,) = _children(proc.pid)
    assert Path(f"/proc/{child}/cmdline").read_bytes() == Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    cfg = replace(config(workers), match=(re.escape(str(fifo)),), rules=RuleConfig(stale_s=0.5, blocked_s=0.2))
    dog = watchdog(cfg)
    wait_until(lambda: any(d.target.ident.pid == proc.pid for d in dog.scan().decisions), what="a decision")
    for _ in range(3):
        result = dog.scan()
        assert child not in [t.ident.pid for t in result.targets]
        for fut in dog.act(result):
            assert fut.result(timeout=120) == "uninterruptible"
    assert kinds(dog, child) == ["skipped"]
    assert dog.events.of("skipped", child)[0]["reason"] == "shares_memory"
    assert kinds(dog, proc.pid) == ["detected", "captured", "skipped"]
    assert dog.metrics.value("hangdump_watch_kills_total", signal="SIGTERM") == 0
    assert _status_field(child, "TracerPid") == "0" and read_stat(child).state == "S"
    os.close(os.open(fifo, os.O_WRONLY))  # the child opens it and execs: the spawn succeeded
    wait_until(lambda: read_stat(proc.pid).state == "S", what="the main thread out of D")
    assert proc.poll() is None


HOLDER = """#!/bin/sh
# core_pattern helper: $1 is the dumping pid. The test's target's dump is held (the kernel waits, the
# target shows CoreDumping: 1) until the test opens the release FIFO, 300 s at most (a test killed before
# it restored core_pattern must not leave a process dumping forever); anyone else's is drained at once.
d=${0%/*}
read target < "$d/target"
if [ "$1" = "$target" ]; then
    : > "$d/holding"
    /usr/bin/timeout 300 /bin/sh -c 'read go < "$0"' "$d/release"
fi
exec /bin/cat > /dev/null
"""


@contextlib.contextmanager
def held_core_dumps(directory: Path, target: int):
    """The kernel's core_pattern piped to HOLDER for the duration (root only; restored after)."""
    pattern = Path("/proc/sys/kernel/core_pattern")
    if not os.path.exists("/usr/bin/timeout"):
        pytest.skip("the core_pattern helper needs /usr/bin/timeout (coreutils)")
    try:
        before = pattern.read_text()
        pattern.write_text(before)  # writable at all?
    except OSError as exc:
        pytest.skip(f"cannot set the kernel's core_pattern ({exc.strerror}): needs root on a writable /proc/sys")
    (directory / "holder.sh").write_text(HOLDER)
    (directory / "target").write_text(f"{target}\n")
    os.mkfifo(directory / "release")
    pattern.write_text(f"|/bin/sh {directory / 'holder.sh'} %P")
    try:
        yield directory / "holding", directory / "release"
    finally:
        pattern.write_text(before)


def test_no_sigkill_while_the_kernel_writes_a_core(workers, tmp_path):
    """A stuck worker whose SIGTERM handler aborts: the kernel dumps its core into a pipe whose reader holds
    it, so CoreDumping: 1 lasts until the test lets go. The grace passes, SIGKILL is held back (it would
    truncate the core), and once the dump is through the process exits with its core whole."""
    proc, _ = workers.start("sleep_forever", "--on-term", "abort")
    wait_stale(workers, proc.pid)
    dog = watchdog(config(workers, grace_s=0.5, core_wait_s=300.0))
    holder = tmp_path / "core-holder"
    holder.mkdir()
    with held_core_dumps(holder, proc.pid) as (holding, release):
        result = wait_until(lambda: (r := dog.scan()).decisions and r, what="a decision")
        (fut,) = dog.act(result)
        wait_until(lambda: holding.exists(), timeout=120, what="the core dump held by the pipe's reader")
        assert _status_field(proc.pid, "CoreDumping") == "1"
        wait_until(lambda: dog.events.of("skipped", proc.pid), timeout=60, what="the SIGKILL held back")
        assert dog.events.of("skipped", proc.pid)[0]["reason"] == "core_dumping"
        assert _status_field(proc.pid, "CoreDumping") == "1"  # nothing cut the dump short
        os.close(os.open(release, os.O_WRONLY))
        assert fut.result(timeout=120) == "exited"
    _, status = os.waitpid(proc.pid, 0)
    proc.returncode = -signal.SIGABRT
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGABRT
    assert os.WCOREDUMP(status), "the core was cut short (a fatal signal during the dump)"
    assert kinds(dog, proc.pid) == ["detected", "captured", "signalled:SIGTERM", "skipped", "exited"]


def test_a_sigkill_held_back_for_a_core_is_not_journaled_so_a_restarted_watchdog_holds_it_again(workers, tmp_path):
    """The first watchdog holds its SIGKILL back while the core is written and dies meanwhile: its journal
    must not say the SIGKILL went out (it never did). The restarted one finds the SIGTERM journaled, waits out
    the rest of the grace, and holds the SIGKILL back again; the dump ends and the process exits on its own
    (the abort it was dumping for), so no SIGKILL is sent by either."""
    proc, _ = workers.start("sleep_forever", "--on-term", "abort")
    wait_stale(workers, proc.pid)
    store, log = workers.tmp / "store", tmp_path / "first-events.jsonl"
    holder = tmp_path / "core-holder"
    holder.mkdir()
    with held_core_dumps(holder, proc.pid) as (holding, release):
        first = subprocess.Popen([sys.executable, "-m", "forensics", "watch", "--once", "--heartbeat-dir",
                                  str(workers.dir), "--stale", "0.5", "--interval", "0.3", "--grace", "0.5",
                                  "--store", str(store), "--event-log", str(log)], stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: log.exists() and any(json.loads(line).get("reason") == "core_dumping"
                                                    for line in log.read_text().splitlines()),
                       timeout=120, what="the first watchdog holding its SIGKILL back")
        finally:
            first.kill()  # the watchdog dies during the hold
            first.wait(timeout=10)
        journal = [json.loads(line) for line in (store / "watch" / "journal.jsonl").read_text().splitlines()]
        assert [j["what"] for j in journal if j["pid"] == proc.pid] == ["captured", "signal"]
        dog = watchdog(config(workers, grace_s=0.5, core_wait_s=300.0))
        result = wait_until(lambda: (r := dog.scan()).decisions and r, what="a decision")
        (fut,) = dog.act(result)
        wait_until(lambda: any(e["reason"] == "core_dumping" for e in dog.events.of("skipped", proc.pid)),
                   timeout=60, what="the restarted watchdog holding the SIGKILL back")
        assert holding.exists() and _status_field(proc.pid, "CoreDumping") == "1"
        os.close(os.open(release, os.O_WRONLY))
        assert fut.result(timeout=120) == "exited"
    _, status = os.waitpid(proc.pid, 0)
    proc.returncode = -signal.SIGABRT
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGABRT and os.WCOREDUMP(status)
    assert [e["reason"] for e in dog.events.of("skipped", proc.pid)] == ["journaled", "core_dumping"]
    assert kinds(dog, proc.pid) == ["detected", "skipped", "skipped", "exited"]
    assert dog.metrics.value("hangdump_watch_kills_total", signal="SIGKILL") == 0
