"""The shared machinery of the application corpus generators (scripts/corpus/variants.py, installs.py) and every
generator built on it: plans are seeded and spread as documented, and no install layout lets two interpreters
share one home (whose console scripts would then run the wrong Python under a label naming another)."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "scripts" / "corpus"
sys.path.insert(0, str(CORPUS))

from installs import Package, Roots
from realrun import sibling_generator
from variants import Cause, Fleet, plan

GENERATORS = [p.parent.name for p in sorted(CORPUS.glob("blind*/generate.py")) if "APP = App(" in p.read_text()]
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
CAUSES = {
    "lock-order": Cause("swap", "deadlock", (), ("lock_style", ("module", "args")),
                        {"module": ("take_a", "take_b"), "args": ("hold_both",)}),
    "redis-silent": Cause("publish", "io-read", ("publish",), min_python=(3, 11)),
    "healthy-pool": Cause("pool", "idle"),
}
FLEET = Fleet(harnesses={"inline": 1, "threaded": 1}, entries={"script": 1, "runpy": 1},
              root_kinds={"opt": 1, "venv": 1}, idle_harnesses={"inline": 1})


def _noise(rng):
    return {"waiters": rng.randint(0, 3)}


def _plan(seed=7, per_cause=6, idle=4):
    return plan(CAUSES, FLEET, ["1.0", "1.1"], _noise, per_cause, idle, PYTHONS, seed)


def test_plan_is_seeded_numbered_and_counts_each_cause():
    variants = _plan()
    assert variants == _plan() and variants != _plan(seed=8)
    assert [v.index for v in variants] == list(range(1, 17))
    assert Counter(v.cause for v in variants) == {"lock-order": 6, "redis-silent": 6, "healthy-pool": 4}
    assert len({v.file_name for v in variants}) == len(variants)


def test_plan_spreads_interpreters_respects_min_python_and_runs_idle_services_their_way():
    variants = _plan()
    assert {v.python for v in variants if v.cause == "redis-silent"} == {"3.11", "3.12", "3.13"}
    assert {v.python for v in variants if v.cause == "lock-order"} == set(PYTHONS)
    assert {v.mode for v in variants if v.cause == "healthy-pool"} == {"inline"}
    assert all(v.culprits == () for v in variants if v.cause == "healthy-pool")


def test_a_styled_cause_alternates_its_values_and_blames_each_values_culprits():
    styled = [v for v in _plan() if v.cause == "lock-order"]
    styles = Counter(dict(v.options)["lock_style"] for v in styled)
    assert styles == {"module": 3, "args": 3}
    for v in styled:
        assert v.culprits == CAUSES["lock-order"].styled_culprits[dict(v.options)["lock_style"]]


def test_native_captures_are_about_30_percent():
    variants = plan(CAUSES, FLEET, ["1.0"], _noise, 10, 10, PYTHONS, 3)
    assert sum(v.native for v in variants) == pytest.approx(9, abs=3)


def test_roots_refuse_a_layout_that_puts_two_interpreters_in_one_home(tmp_path):
    source = tmp_path / "app"
    source.mkdir()
    (source / "__init__.py").write_text("")
    shared = Package(source, {"1.0": 0}, {"app-run": "app.cli"}, {"opt": ("opt/app/{release}", "lib")})
    roots = Roots(shared, tmp_path / "root")
    first = roots.get("opt", "1.0", "3.9", sys.executable)
    assert (first.bindir / "app-run").read_text().startswith(f"#!{sys.executable}")
    with pytest.raises(ValueError, match="holds the installs of Python 3.9 and 3.12"):
        roots.get("opt", "1.0", "3.12", sys.executable)
    roots.cleanup()
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize("name", GENERATORS)
def test_every_generator_gives_each_interpreter_its_own_home(name):
    app = sibling_generator(name).APP
    assert set(app.fleet.root_kinds) <= set(app.package.layout)
    for kind in app.package.layout:
        for release in app.package.releases:
            homes = {app.package.home_of(Path("/"), kind, release, python)[0] for python in PYTHONS}
            assert len(homes) == len(PYTHONS), (kind, release)


@pytest.mark.parametrize("name", GENERATORS)
def test_every_generator_plans_only_what_its_app_can_run(name):
    app = sibling_generator(name).APP
    variants = plan(app.causes, app.fleet, list(app.package.releases), app.noise, 1, 1, PYTHONS, 1)
    assert {v.cause for v in variants} == set(app.causes)
    assert {v.entry for v in variants} <= set(app.commands)
    scripts = {how for how in app.commands.values() if not how.startswith("-m ")}
    assert scripts <= set(app.package.scripts)
