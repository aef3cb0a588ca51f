"""Runs INSIDE gdb (``source``d by forensics.capture.gdb), never imported by hangdump itself.

Defines the GDB/MI command ``-hangdump-stacks``: one round trip returns every thread's native
frames (function, file, line, library, pc) with the Python frames read through the
interpreter's own gdb extension (the ``python3.X-gdb.py`` that provides ``py-bt``) spliced in
where each ``_PyEval_EvalFrameDefault`` runs them, plus the GIL holder and the lock object (or
futex word) a blocked thread waits on. The result is one MI field holding JSON: MI escapes it
as a C string, which pygdbmi unescapes far faster than it parses thousands of nested MI tuples.

``-hangdump-stacks --native-only`` skips the Python frames (decoding them through the extension is
most of the walk's cost) and marks each eval-loop frame with how many Python frames it runs, read
from the frame links alone: the caller, which has them from py-spy, splices them in there.
``--tids 1,2`` walks only those threads (the full walk for threads where the splice did not fit).

Why gdb's Python API and not ``thread apply all py-bt`` + ``bt``: it is structured (no text
scraping), it walks each thread once, and it is one MI command whatever the thread count.
"""
import json

import gdb

EVALFRAME = "_PyEval_EvalFrameDefault"
LOCK_FUNCS = ("lock_PyThread_acquire_lock", "rlock_acquire", "acquire_timed")
FUTEX_ARGS = ("futex_word", "uaddr", "futex")
MAX_FRAMES = 4096
CSTACK_OWNER = 3  # 3.12+: FRAME_OWNED_BY_CSTACK, the shim frame an eval loop pushes at its entry
_CODE_NAMES = {}  # code object address -> (qualified name, file name); reset per walk


def _extension():
    """The extension's Frame class, when the extension was sourced into gdb's __main__."""
    import __main__

    return getattr(__main__, "Frame", None)


def _lib(pc):
    try:
        name = gdb.solib_name(pc)
    except gdb.error:
        name = None
    if name:
        return name
    try:
        objfile = gdb.current_progspace().objfile_for_address(pc) if hasattr(
            gdb.current_progspace(), "objfile_for_address"
        ) else None
    except gdb.error:
        objfile = None
    if objfile is not None:
        return objfile.filename
    return gdb.current_progspace().filename


def _int(value):
    try:
        return int(value)
    except (gdb.error, ValueError, TypeError, OverflowError):
        return None


def _read_ptr(frame, names):
    for name in names:
        try:
            value = frame.read_var(name)
        except (ValueError, gdb.error):
            continue
        if value.is_optimized_out:
            continue
        addr = _int(value)
        if addr:
            return addr
    return None


def _python_frames(ext_frame, errors):
    """The Python frames one eval-loop frame runs, innermost first (3.11+ runs several per C frame)."""
    out = []
    try:
        pyop = ext_frame.get_pyop()
    except (gdb.error, RuntimeError, ValueError) as exc:
        errors.add(f"python frames unreadable: {exc}")
        return out
    count = 0
    while True:
        if not pyop:
            errors.add("unable to read python frame information")
            break
        try:
            if pyop.is_optimized_out():
                errors.add("unable to read python frame information (frame optimized out)")
                break
            key = pyop.co.as_address()
            cached = _CODE_NAMES.get(key)
            if cached is None:
                # decoding str objects char by char is the walk's main cost: once per code object
                cached = _CODE_NAMES[key] = (_qualname(pyop), pyop.filename())
            name, filename = cached
            line = pyop.current_line_num()
        except (gdb.error, RuntimeError, ValueError, AttributeError) as exc:
            errors.add(f"python frame unreadable: {exc}")
            break
        out.append({"kind": "python", "function": str(name), "file": str(filename), "line": line})
        count += 1
        is_entry = getattr(pyop, "is_entry", None)
        previous = getattr(pyop, "previous", None)
        if is_entry is None or previous is None or count > MAX_FRAMES:
            break  # <= 3.10: one C frame runs one Python frame
        try:
            if pyop.is_entry():
                break
            pyop = pyop.previous()
        except (gdb.error, RuntimeError, ValueError) as exc:
            errors.add(f"python frame chain unreadable: {exc}")
            break
    return out


def _qualname(pyop):
    """co_qualname (3.11+: 'Thread.run', as py-spy reports it), else co_name."""
    try:
        return pyop.co.pyop_field("co_qualname").proxyval(set())
    except (gdb.error, RuntimeError, ValueError, AttributeError):
        return pyop.co_name.proxyval(set())


def _frame_fields(ptr):
    return {f.name for f in ptr.type.target().fields()}


def _count_python(frame):
    """How many Python frames one eval-loop frame runs, reading only the frame links (no object decoding).

    The ``native_only`` walk's stand-in for _python_frames: the caller already has the Python frames
    (py-spy) and only needs to know where they go. Mirrors py-bt: from the eval loop's current
    ``_PyInterpreterFrame`` back to its entry frame (3.11: ``is_entry``; 3.12+: the C-stack shim,
    not counted). None when unreadable (the caller then walks that thread in full).
    """
    ptr = None
    for expr in ("frame", None):
        try:
            ptr = frame.read_var(expr) if expr else frame.read_var("cframe")["current_frame"]
        except (ValueError, gdb.error):
            ptr = None
            continue
        if not ptr.is_optimized_out:
            break
        ptr = None
    if ptr is None:
        return None
    try:
        fields = _frame_fields(ptr)
        count = 0
        while _int(ptr) and count <= MAX_FRAMES:
            node = ptr.dereference()
            if "is_entry" in fields:
                count += 1
                if bool(node["is_entry"]):
                    return count
            elif "owner" in fields:
                if int(node["owner"]) == CSTACK_OWNER:
                    return count
                count += 1
            else:
                return 1  # <= 3.10: one C frame runs one Python frame
            ptr = node["previous"]
        return count
    except (gdb.error, RuntimeError, ValueError, TypeError):
        return None


def _thread_stack(thread, ext, errors, native_only=False):
    thread.switch()
    frames = []
    lock_address = None
    futex = None
    try:
        frame = gdb.newest_frame()
    except gdb.error as exc:
        errors.add(f"no frames for a thread: {exc}")
        return frames, None
    depth = 0
    while frame is not None and depth < MAX_FRAMES:
        depth += 1
        try:
            name = frame.name()
        except gdb.error:
            name = None
        if name in LOCK_FUNCS and lock_address is None:
            lock_address = _read_ptr(frame, ("self", "lock"))
        if futex is None and name and "futex" in name:
            futex = _read_ptr(frame, FUTEX_ARGS)
        is_eval = name == EVALFRAME and frame.type() == gdb.NORMAL_FRAME
        python_count = None
        if is_eval and native_only:
            python_count = _count_python(frame)
        elif is_eval and ext is not None:
            py = _python_frames(ext(frame), errors)
            if py:
                frames.extend(py)
                frame = _older(frame)
                continue
        pc = _int(frame.pc())
        entry = {"kind": "native", "function": name or "??", "address": pc}
        if is_eval and native_only:
            entry["python_count"] = python_count  # where the caller splices its Python frames (None: unknown)
        try:
            sal = frame.find_sal()
            if sal.symtab is not None:
                entry["file"] = sal.symtab.filename
                entry["line"] = sal.line or None
        except gdb.error:
            pass
        if pc is not None:
            entry["module"] = _lib(pc)
        frames.append(entry)
        frame = _older(frame)
    return frames, lock_address or futex


def _older(frame):
    try:
        return frame.older()
    except gdb.error:
        return None


def _field(value, name):
    v = value[name]
    try:
        return v["_value"]
    except gdb.error:
        return v


def _gil():
    """(locked, holder native tid, holder pthread id) from the runtime's GIL state, or None if unreadable."""
    for expr in ("_PyRuntime.interpreters.main->ceval.gil", "&_PyRuntime.ceval.gil"):
        try:
            gil = gdb.parse_and_eval(expr)
            locked = _int(_field(gil.dereference(), "locked"))
            holder = _field(gil.dereference(), "last_holder")
            tstate = holder.cast(gdb.lookup_type("PyThreadState").pointer())
            if not locked or not _int(tstate):
                return {"locked": bool(locked)}
            out = {"locked": True, "pthread": _int(tstate.dereference()["thread_id"])}
            try:
                out["native"] = _int(tstate.dereference()["native_thread_id"])
            except gdb.error:
                pass
            return out
        except gdb.error:
            continue
    return None


def _python_thread_ids():
    """pthread id -> native tid for every thread state the interpreter knows."""
    ids = {}
    for expr in ("_PyRuntime.interpreters.head->threads.head", "_PyRuntime.interpreters.head->tstate_head"):
        try:
            ts = gdb.parse_and_eval(expr)
        except gdb.error:
            continue
        n = 0
        while _int(ts) and n < 100000:
            n += 1
            pthread = _int(ts.dereference()["thread_id"])
            try:
                native = _int(ts.dereference()["native_thread_id"])
            except gdb.error:
                native = None
            ids[pthread] = native
            ts = ts.dereference()["next"]
        return ids
    return ids


def _options(argv):
    """``--native-only`` and ``--tids 1,2,3`` (MI argv or a console argument string split on blanks)."""
    native_only = "--native-only" in argv
    tids = None
    if "--tids" in argv:
        i = argv.index("--tids")
        tids = {int(x) for x in argv[i + 1].split(",") if x} if i + 1 < len(argv) else set()
    return native_only, tids


def _handle(thread):
    try:
        raw = thread.handle()
    except (gdb.error, RuntimeError, AttributeError):
        return None
    return int.from_bytes(bytes(raw), "little") if raw else None


def collect(native_only=False, tids=None):
    """Every thread (or those in ``tids``); ``native_only``: no Python frames, a count on each eval frame instead."""
    ext = None if native_only else _extension()
    errors = set()
    _CODE_NAMES.clear()
    if ext is None and not native_only:
        errors.add("no python gdb extension loaded")
    inferior = gdb.selected_inferior()
    threads = []
    try:
        selected = gdb.selected_thread()
    except gdb.error:
        selected = None
    for thread in sorted(inferior.threads(), key=lambda t: t.num):
        if tids is not None and (thread.ptid[1] or thread.ptid[0]) not in tids:
            continue
        frames, lock = _thread_stack(thread, ext, errors, native_only)
        threads.append({
            "num": thread.num,
            "tid": thread.ptid[1] or thread.ptid[0],
            "name": thread.name,
            "pthread": _handle(thread),
            "frames": frames,
            "lock_address": lock,
        })
    if selected is not None and selected.is_valid():
        selected.switch()
    return {"threads": threads, "gil": _gil(), "python_threads": _python_thread_ids(), "errors": sorted(errors)}


if hasattr(gdb, "MICommand"):

    class HangdumpStacks(gdb.MICommand):
        """-hangdump-stacks: every thread's merged native + Python stack, as JSON in field ``json``."""

        def __init__(self):
            super().__init__("-hangdump-stacks")

        def invoke(self, argv):
            data = collect(*_options(list(argv)))
            data["python_threads"] = {str(k): v for k, v in data["python_threads"].items()}
            return {"json": json.dumps(data)}

    HangdumpStacks()


class HangdumpStacksCli(gdb.Command):
    """hangdump-stacks-json: the same as -hangdump-stacks for gdb older than 12 (no MI commands in Python)."""

    def __init__(self):
        super().__init__("hangdump-stacks-json", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        data = collect(*_options(arg.split()))
        data["python_threads"] = {str(k): v for k, v in data["python_threads"].items()}
        gdb.write("HANGDUMP-JSON " + json.dumps(data) + "\n")


HangdumpStacksCli()
