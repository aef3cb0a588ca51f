"""The variants of an application corpus (blind5 onwards): the hang causes it runs, the fleet variation each
capture draws (interpreter, harness, entry, install root, release, bystander noise) and the seeded plan that
spreads them, so that a generator only states its own tables."""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Cause:
    command: str  # the application's job/task that hangs this way
    category: str
    culprits: tuple[str, ...] = ()  # the innermost application frame(s) of the thread to blame first
    style: tuple[str, tuple[str, ...]] = ("", ())  # an option the variants alternate, and its values
    styled_culprits: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a style value -> its culprits
    min_python: tuple[int, int] = (3, 9)
    role: str = ""  # the captured process's role; "" = what its READY line says (main unless it says)

    @property
    def idle(self) -> bool:
        return self.category == "idle"


@dataclass(frozen=True)
class Fleet:
    """Weighted choices a variant draws from."""

    harnesses: Mapping[str, int]  # how the job runs in the process (inline, threaded, ...)
    entries: Mapping[str, int]  # how the process is started (console script, python -m, ...)
    root_kinds: Mapping[str, int] | Sequence[str]  # where the application is installed (a sequence: uniform)
    idle_harnesses: Mapping[str, int] | None = None  # for the healthy services, when they run otherwise
    noise_last: bool = False  # draw the noise after the choices above (blind9/10's order, so their plans stay)


@dataclass(frozen=True)
class Variant:
    index: int
    cause: str
    python: str
    native: bool
    mode: str  # the harness
    entry: str
    root_kind: str
    release: str
    options: tuple[tuple[str, object], ...]
    culprits: tuple[str, ...]

    @property
    def file_name(self) -> str:
        return f"{self.index:04d}-{self.cause}-py{self.python.replace('.', '')}{'-native' if self.native else ''}.json"


def _pick(rng: random.Random, weights: Mapping[str, int] | Sequence[str]) -> str:
    if isinstance(weights, Mapping):
        return rng.choices(list(weights), list(weights.values()))[0]
    return rng.choice(list(weights))


def plan(causes: Mapping[str, Cause], fleet: Fleet, releases: Sequence[str],
         noise: Callable[[random.Random], dict[str, object]], per_cause: int, idle_per_cause: int,
         pythons: Sequence[str], seed: int, only: Sequence[str] = ()) -> list[Variant]:
    """Every variant, spread evenly over the interpreters a cause runs on, 30% native, a styled cause
    alternating its style's values; shuffled and numbered from 1."""
    rng = random.Random(seed)
    variants = []
    for name in only or list(causes):
        cause = causes[name]
        n = idle_per_cause if cause.idle else per_cause
        harnesses = fleet.idle_harnesses if cause.idle and fleet.idle_harnesses else fleet.harnesses
        runs_on = [p for p in pythons if tuple(map(int, p.split("."))) >= cause.min_python]
        natives = set(rng.sample(range(n), int(n * 0.3 + rng.random())))
        offset = rng.randrange(len(runs_on))
        for k in range(n):
            options = None if fleet.noise_last else noise(rng)
            drawn = {"mode": _pick(rng, harnesses), "entry": _pick(rng, fleet.entries),
                     "root_kind": _pick(rng, fleet.root_kinds), "release": rng.choice(list(releases))}
            options = noise(rng) if options is None else options
            option, values = cause.style
            if option:
                options[option] = values[k % len(values)]
            variants.append(Variant(
                index=0, cause=name, python=runs_on[(k + offset) % len(runs_on)], native=k in natives, **drawn,
                options=tuple(sorted(options.items())),
                culprits=cause.styled_culprits[options[option]] if cause.styled_culprits else cause.culprits,
            ))
    rng.shuffle(variants)
    return [replace(v, index=i + 1) for i, v in enumerate(variants)]
