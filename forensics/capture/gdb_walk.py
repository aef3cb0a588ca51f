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
The full walk also reads each thread's Python name from ``threading._active`` (gdb knows only the
OS name, the process's comm unless the program set it).

Why gdb's Python API and not ``thread apply all py-bt`` + ``bt``: it is structured (no text
scraping), it walks each thread once, and it is one MI command whatever the thread count.
"""
import contextlib
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
    """The Python frames one eval-loop frame runs, innermost first (3.11+ runs several per C frame).

    The extension decodes each frame; the chain is followed here, from the raw frame links, the way
    _count_python counts it (so a full walk and a native-only walk agree on where frames go): 3.11
    stops after the frame marked ``is_entry``; 3.12+ stops at the C-stack shim frame (owner
    FRAME_OWNED_BY_CSTACK) that the eval loop pushed at its entry, which is not a Python frame.
    The extension's own chain methods differ per version (3.11 ``is_entry``, 3.12+ ``is_shim``), so
    they are not relied upon.
    """
    out = []
    try:
        pyop = ext_frame.get_pyop()
    except (gdb.error, RuntimeError, ValueError) as exc:
        errors.add(f"python frames unreadable: {exc}")
        return out
    raw = getattr(pyop, "_gdbval", None) if pyop else None
    try:
        fields = _frame_fields(raw) if raw is not None else set()
    except (gdb.error, RuntimeError, AttributeError, TypeError):
        fields = set()
    chained = "previous" in fields and ("is_entry" in fields or "owner" in fields)
    count = 0
    while True:
        if not pyop:
            errors.add("unable to read python frame information")
            break
        try:
            if pyop.is_optimized_out():
                errors.add("unable to read python frame information (frame optimized out)")
                break
            if "owner" in fields and int(pyop._gdbval.dereference()["owner"]) == CSTACK_OWNER:
                break  # 3.12+: an entry shim (not a Python frame) where the eval loop's current frame should be
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
        if not chained or count > MAX_FRAMES:
            break  # <= 3.10: one C frame runs one Python frame
        try:
            node = pyop._gdbval.dereference()
            if "is_entry" in fields and bool(node["is_entry"]):
                break  # 3.11: this frame was pushed by the eval loop's caller
            previous = node["previous"]
            if not _int(previous) or ("owner" in fields and int(previous.dereference()["owner"]) == CSTACK_OWNER):
                break  # the bottom of the stack, or (3.12+) the eval loop's entry shim: the rest is an outer loop's
            pyop = type(pyop)(previous)
        except (gdb.error, RuntimeError, ValueError, TypeError) as exc:
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
    not counted); <= 3.10: always 1. None when unreadable (the caller then walks that thread in full).
    """
    ptr = None
    has_frame = True
    for expr in ("frame", None):
        try:
            ptr = frame.read_var(expr) if expr else frame.read_var("cframe")["current_frame"]
        except ValueError:  # no such variable
            has_frame = has_frame and expr != "frame"
            ptr = None
            continue
        except gdb.error:
            ptr = None
            continue
        if not ptr.is_optimized_out:
            break
        ptr = None
    if ptr is None and not has_frame:
        # <= 3.10: no ``frame``; the argument is ``f``, a PyFrameObject, and one C frame runs one Python frame.
        # Its value does not matter (at -O3 it is often optimized out), only that it is the old frame type.
        try:
            return 1 if "f_back" in _frame_fields(frame.read_var("f")) else None
        except (ValueError, gdb.error, RuntimeError, TypeError):
            return None
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


# Python thread names -------------------------------------------------------------------------------------

NAME_ERRORS = (
    gdb.error, RuntimeError, ValueError, TypeError, AttributeError, LookupError, ArithmeticError, AssertionError,
)
MAX_ENTRIES = 100_000  # entries read from one dict at most
_GDB = gdb  # the real module: while names are read, the extension (which shares __main__) sees _ResolvedTypes
_TYPES = {}  # type name -> the type with typedefs resolved, or None if gdb has no such type; reset per walk
_ADDRESSES = {}  # symbol -> its address; reset per walk
_STRS = {}  # (str object address, length wanted) -> its value or None; reset per walk
_ENTRIES = {}  # dict keys object address -> (its entries, how many); reset per walk


def _resolved(name):
    """A type with its typedefs resolved, looked up once per walk.

    CPython's headers only declare many structs (PyDictKeysObject, PyDictValues): through such a typedef
    gdb looks the full struct up again on every field access, about a millisecond each, which made
    reading one attribute of 200 Thread objects cost up to two seconds.
    """
    if name not in _TYPES:
        try:
            _TYPES[name] = _GDB.lookup_type(name).strip_typedefs()
        except _GDB.error:
            _TYPES[name] = None
    return _TYPES[name]


class _ResolvedTypes:
    """The gdb module as the extension sees it while names are read: ``lookup_type`` resolves typedefs."""

    def lookup_type(self, name, *args):
        found = None if args else _resolved(name)
        return found if found is not None else _GDB.lookup_type(name, *args)

    def __getattr__(self, name):
        return getattr(_GDB, name)


@contextlib.contextmanager
def _resolved_types():
    """The extension's dict and instance helpers, without the typedef cost (see _resolved)."""
    import __main__

    if getattr(__main__, "gdb", None) is not _GDB:
        yield
        return
    __main__.gdb = _ResolvedTypes()
    try:
        yield
    finally:
        __main__.gdb = _GDB


def _address(symbol):
    if symbol not in _ADDRESSES:
        _ADDRESSES[symbol] = int(_GDB.parse_and_eval("&" + symbol))
    return _ADDRESSES[symbol]


def _pointer(addr, type_name):
    return _GDB.Value(addr).cast(_resolved(type_name).pointer())


def _type_of(addr):
    return int(_pointer(addr, "PyObject").dereference()["ob_type"])


def _str_at(addr, length=None):
    """A str object's value (read in one go; the extension reads it a character at a time), or None if
    it is not a str, or not ``length`` characters long."""
    key = (addr, length)
    if key in _STRS:
        return _STRS[key]
    value = None
    if addr and _type_of(addr) == _address("PyUnicode_Type"):
        ascii = _pointer(addr, "PyASCIIObject").dereference()
        n = int(ascii["length"])
        state = ascii["state"]
        width = int(state["kind"])
        encoding = {1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}.get(width)
        if (length is None or n == length) and encoding is not None:
            if int(state["compact"]):
                header = "PyASCIIObject" if int(state["ascii"]) else "PyCompactUnicodeObject"
                data = addr + _resolved(header).sizeof
            else:
                data = int(_pointer(addr, "PyUnicodeObject").dereference()["data"]["any"])
            raw = bytes(_GDB.selected_inferior().read_memory(data, n * width)) if n else b""
            value = raw.decode(encoding)
    _STRS[key] = value
    return value


def _entries(keys):
    """(entries, count) of a dict keys object, through the extension (its layout changes per version).

    Once per keys object: the instances of a class share theirs, and the extension's lookup is slow
    on 3.9 (it tries a field that no longer exists first).
    """
    import inspect  # here: ~5 ms of gdb's start-up otherwise, and only a full walk reads thread names

    import __main__

    addr = int(keys)
    if addr not in _ENTRIES:
        keys = keys.cast(_resolved("PyDictKeysObject").pointer())
        dict_class = __main__.PyDictObjectPtr
        if isinstance(inspect.getattr_static(dict_class, "_get_entries"), staticmethod):
            entries, count = dict_class._get_entries(keys)  # 3.11+
        else:
            entries, count = dict_class._get_entries(None, keys)  # <= 3.10: a method that does not use self
        _ENTRIES[addr] = (entries, int(count))
    return _ENTRIES[addr]


def _items(keys, values):
    """(key address, value address) of a dict's keys object and values array (None: values in the entries)."""
    entries, count = _entries(keys)
    for i in range(min(count, MAX_ENTRIES)):
        entry = entries[i]
        value = int(values[i]) if values is not None else int(entry["me_value"])
        if value:
            yield int(entry["me_key"]), value


def _dict_items(addr):
    if not addr or _type_of(addr) != _address("PyDict_Type"):
        return ()
    d = _pointer(addr, "PyDictObject").dereference()
    values = d["ma_values"]
    if not int(values):
        return _items(d["ma_keys"], None)
    if _resolved("PyDictValues") is not None:  # 3.11+: a struct holding the array
        values = values.cast(_resolved("PyDictValues").pointer()).dereference()["values"]
    return _items(d["ma_keys"], values)


def _lookup(items, name):
    for key, value in items:
        if _str_at(key, len(name)) == name:
            return value
    return None


def _attribute(addr, name):
    """An attribute in an instance's __dict__, which 3.11+ keep as inline values until someone asks for it."""
    import __main__

    instance = __main__.PyObjectPtr.from_pyobject_ptr(_pointer(addr, "PyObject"))
    keys_values = instance.get_keys_values() if hasattr(instance, "get_keys_values") else None
    if keys_values:
        return _lookup(_items(keys_values.keys, keys_values.values), name)
    attrs = instance.get_attr_dict() if hasattr(instance, "get_attr_dict") else None
    return _lookup(_dict_items(int(attrs._gdbval)), name) if attrs is not None else None


def _python_thread_names():
    """pthread id -> Python thread name as threading knows it (what py-spy reports): ``threading._active``
    maps each thread's ident, its pthread_t, to its Thread, whose ``_name`` is the name.

    Dict layouts and inline instance values come from the extension; {} when there is nothing to read
    (no threading module imported, no extension).
    """
    import __main__

    if getattr(__main__, "PyObjectPtr", None) is None:
        return {}
    with _resolved_types():
        interp = _GDB.parse_and_eval("_PyRuntime.interpreters.main").dereference()
        try:
            modules = interp["imports"]["modules"]  # 3.12+
        except _GDB.error:
            modules = interp["modules"]
        threading = _lookup(_dict_items(int(modules)), "threading")
        if not threading:
            return {}
        # PyModuleObject: the object header, then md_dict (the struct is private before 3.11)
        slot = threading + _resolved("PyObject").sizeof
        md_dict = int(_GDB.Value(slot).cast(_resolved("PyObject").pointer().pointer()).dereference())
        active = _lookup(_dict_items(md_dict), "_active")
        names = {}
        for ident, thread in _dict_items(active or 0):
            try:
                name = _attribute(thread, "_name")
                text = _str_at(name) if name else None
                if text is not None and _type_of(ident) == _address("PyLong_Type"):
                    pthread = __main__.PyObjectPtr.from_pyobject_ptr(_pointer(ident, "PyObject")).proxyval(set())
                    names[int(pthread)] = text
            except NAME_ERRORS:
                continue  # one unreadable Thread: that thread keeps its OS name
        return names


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
    """Every thread (or those in ``tids``); ``native_only``: no Python frames, a count on each eval frame instead.

    With the extension, each thread also gets ``python_name``, its threading name (None if unknown); when
    those could not be read at all, ``thread_names_error`` says why (the threads keep their OS names).
    """
    ext = None if native_only else _extension()
    errors = set()
    for cache in (_CODE_NAMES, _TYPES, _ADDRESSES, _STRS, _ENTRIES):
        cache.clear()
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
    names_error = None
    if ext is not None:
        # After the frames: on a fresh gdb session, the symbol lookups this does first made the extension's
        # frame decoding afterwards markedly slower (200 threads on 3.9: 1.5 s -> 2.4 s).
        try:
            names = _python_thread_names()
        except NAME_ERRORS as exc:  # cosmetic: the threads keep their OS names
            names, names_error = {}, f"{type(exc).__name__}: {exc}"
        for t in threads:
            t["python_name"] = names.get(t["pthread"])
    return {"threads": threads, "gil": _gil(), "python_threads": _python_thread_ids(), "errors": sorted(errors),
            "thread_names_error": names_error}


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
