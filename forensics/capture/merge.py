"""Threads from several readers merged into one capture's threads: kernel state by tid, py-spy with gdb.

Pure functions over the model; the orchestrator and the backends both use them.
"""
from __future__ import annotations

from collections.abc import Callable

from forensics.model import Capture, Frame, KernelState, ThreadStack
from forensics.records import replace

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from forensics.capture.gdb import Analyser, GdbStacks


def merge_threads(
    stacks: tuple[ThreadStack, ...], kernel: dict[int, tuple[str, KernelState]]
) -> tuple[ThreadStack, ...]:
    """Attach kernel state to each stack by OS tid; threads py-spy did not report (native-only) are kept, frameless."""
    merged = []
    seen = set()
    for t in stacks:
        comm, ks = kernel.get(t.tid, (None, None)) if t.tid is not None else (None, None)
        seen.add(t.tid)
        merged.append(replace(t, name=t.name or comm, kernel=ks))
    for tid, (comm, ks) in kernel.items():
        if tid not in seen:
            merged.append(ThreadStack(tid=tid, name=comm, kernel=ks))
    return tuple(sorted(merged, key=lambda t: (t.tid is None, t.tid or 0)))


def host_tids(stacks: tuple[ThreadStack, ...], host_tid: dict[int, int]) -> tuple[ThreadStack, ...]:
    if not host_tid:
        return stacks
    return tuple(replace(t, tid=host_tid.get(t.tid, t.tid)) if t.tid is not None else t for t in stacks)


def splice(native: tuple[Frame, ...], evals: tuple[tuple[int, int | None], ...], python: tuple[Frame, ...],
           ) -> tuple[Frame, ...] | None:
    """A native-only stack with ``python`` (leaf first) in place of the eval-loop frames that run them.

    ``evals`` says, per eval frame (leaf first), where it is in ``native`` and how many Python frames it
    runs. None when they do not add up to ``python`` (an unreadable frame link, or py-spy and gdb
    disagree on a thread): the caller then walks that thread in full.
    """
    if any(n is None for _i, n in evals) or sum(n for _i, n in evals) != len(python):
        return None
    out: list[Frame] = []
    at = taken = 0
    for index, count in evals:
        out.extend(native[at:index])
        if count:
            out.extend(python[taken:taken + count])
            taken += count
        else:
            out.append(native[index])  # an eval frame with no Python frame of its own: keep it
        at = index + 1
    out.extend(native[at:])
    return tuple(out)


def merge_deep(spy: Capture | tuple[ThreadStack, ...], stacks: tuple[ThreadStack, ...],
               evals: dict[int, tuple[tuple[int, int | None], ...]] | None = None,
               unspliced: set[int] | None = None) -> tuple[ThreadStack, ...]:
    """py-spy's names, GIL flags and activity with gdb's native frames and lock addresses, by OS tid.

    ``spy`` is a live py-spy capture (--deep) or py-spy's threads from a core (--core --native).
    gdb's frames either carry their own Python frames (a full walk), or come from a native-only walk
    (``evals``, see gdb_walk): then py-spy's Python frames are spliced in at the eval-loop frames, and
    the tids where they do not fit go into ``unspliced`` (with py-spy's frames for now).
    """
    by_tid = {t.tid: t for t in stacks}
    out = []
    for t in spy.threads if isinstance(spy, Capture) else spy:
        g = by_tid.pop(t.tid, None)
        if g is None:
            out.append(t)
            continue
        if evals is not None:
            spliced = splice(g.frames, evals.get(t.tid, ()), t.python_frames)
            if spliced is None and unspliced is not None:
                unspliced.add(t.tid)
            frames = spliced if spliced is not None else t.frames
        else:
            # gdb's frames already interleave the Python frames with the native ones; keep py-spy's when gdb
            # could not read any Python frame (no extension / no debug info) but py-spy could.
            frames = g.frames if (g.python_frames or not t.python_frames) else t.frames
        out.append(replace(
            t,
            frames=frames,
            lock_address=g.lock_address if g.lock_address is not None else t.lock_address,
            owns_gil=t.owns_gil if t.owns_gil is not None else g.owns_gil,
            python_thread_id=t.python_thread_id if t.python_thread_id is not None else g.python_thread_id,
        ))
    out.extend(by_tid.values())
    return tuple(sorted(out, key=lambda s: (s.tid is None, s.tid or 0)))


def spliced_walk(spy: Capture | tuple[ThreadStack, ...] | Callable[[], tuple[ThreadStack, ...] | None]) -> Analyser:
    """The gdb walk when py-spy already has the Python frames: native frames only, py-spy's spliced in.

    Decoding Python frames through the interpreter's gdb extension costs milliseconds a frame; reading
    the frame links to count them costs next to nothing. Threads where the counts and py-spy's frames
    disagree are walked again in full (same gdb session) and noted. The result is merge_deep's.
    ``spy`` may be a callable that waits for py-spy (run meanwhile); if it gives None, the full walk.
    """
    def analyse(session) -> GdbStacks:
        native = session.walk(native_only=True)
        threads_of = spy() if callable(spy) else spy
        if threads_of is None:
            return session.walk()
        unspliced: set[int] = set()
        threads = merge_deep(threads_of, native.threads, native.evals, unspliced)
        notes = native.notes
        if unspliced:
            full = session.walk(tids=sorted(unspliced))
            threads = merge_deep(threads, full.threads)
            tids = ", ".join(map(str, sorted(unspliced)))
            note = f"gdb: py-spy's Python frames did not fit the native stack of thread(s) {tids}; walked those in full"
            notes += (note, *(n for n in full.notes if n not in notes))
        return replace(native, threads=threads, notes=notes, evals={})
    return analyse
