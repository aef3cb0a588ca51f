"""Core files: narrowing coredump_filter, writing a core of what the process touched, checking disk space,
compressing, and reading a core's own notes.

A plain gcore of a small Python worker is mostly zeros (untouched 8 MiB thread stacks and 64 MiB
malloc reserves are dumped whole). write_core leaves untouched private anonymous memory out (a
PT_LOAD with no file bytes reads as zeros, as in the kernel's own dumps) and streams the rest,
from /proc/PID/mem, straight into the compressor: a kept core never exists uncompressed. zstd (the
CLI, when installed) compresses with all cores and decompresses to a sparse file; gzip from the
stdlib is the fallback (slower, but always there).
"""
from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from forensics.errors import CaptureFailed, LowDiskSpace, UsageError
from forensics.records import field, record

# bit 0 anonymous private (the Python heap and thread stacks), bit 2 file-backed private (the interpreter's
# .data/.rodata as mapped: py-spy reads the version and the runtime from there and has no fallback to the
# files on disk, so without it `py-spy dump --core` fails with "failed to get python version"; it costs
# the compressed size of the mapped libraries' text, ~3 MiB for a bare interpreter), bit 4 ELF headers
# (build ids, so gdb can tell a core from the wrong executable), bit 5 private hugetlb. Not anonymous
# shared (multiprocessing shared memory) nor file-backed shared mappings.
COREDUMP_FILTER = 0x35
DEFAULT_MIN_FREE = 1 << 30
BLOCK = 1 << 20
PT_NOTE = 4
PT_LOAD = 1
NT_PRSTATUS = 1
NT_PRPSINFO = 3
NT_AUXV = 6
NT_FILE = 0x46494C45
AT_ENTRY = 9
PF_W = 2
PAGE = 4096
EM_X86_64 = 62
EM_AARCH64 = 183
# offset of the stack pointer in NT_PRSTATUS: pr_reg starts at 112; rsp is user_regs_struct[19], sp is x[31]
SP_OFFSET = {EM_X86_64: 112 + 19 * 8, EM_AARCH64: 112 + 31 * 8}
COMPRESSED_SUFFIXES = (".zst", ".gz")


def parse_size(text: str) -> int:
    """'1G', '500M', '4096', '2GiB' to bytes."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(t[-1:], 1)
    num = t[:-1] if t[-1:] in "KMGT" else t
    try:
        return int(float(num) * mult)
    except ValueError:
        raise UsageError(f"cannot read the size {text!r}", help="use bytes or a suffix: 500M, 2G") from None


def min_free_bytes() -> int:
    env = os.environ.get("HANGDUMP_MIN_FREE")
    return parse_size(env) if env else DEFAULT_MIN_FREE


def free_bytes(path: str) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def check_disk(directory: str, need: int, what: str) -> None:
    """Refuse (LowDiskSpace) when writing ``need`` bytes would leave less than the margin free."""
    free = free_bytes(directory)
    margin = min_free_bytes()
    if free - need < margin:
        raise LowDiskSpace(
            f"not writing {what}: it needs up to {human(need)} in {directory}, {human(free)} is free "
            f"and {human(margin)} must stay free"
        )


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# Private anonymous memory that was never touched reads as zeros and is in no page table: a core leaves it out,
# as the kernel's own dumps do, so a worker's untouched 8 MiB thread stacks cost nothing instead of gigabytes.
PF_R, PF_X = 4, 1
MAX_SEGMENTS = 60000  # program headers stay below 0xffff (PN_XNUM) with room for the notes
# pagemap: a page is present in RAM or swapped out (bits 63, 62; readable without privileges)
_PRESENT_BYTE = bytes(1 if b & 0xC0 else 0 for b in range(256))
_ANON_NAMES = ("[heap]", "[stack]", "[anon:")


@record
class Segment:
    """One PT_LOAD over [start, end): with data, its bytes follow in the file; without, it reads as zeros."""

    start: int
    end: int
    flags: int
    data: bool  # False: memory the process never touched (a PT_LOAD with no file bytes: reads as zeros)


@record
class CorePlan:
    segments: tuple[Segment, ...]
    threads: int

    @property
    def data_bytes(self) -> int:
        """Bytes of memory the core holds (what is read from the process and written, holes aside)."""
        return sum(s.end - s.start for s in self.segments if s.data)

    @property
    def need(self) -> int:
        """Disk the core takes at most: its memory (compression never grows data by more than a small fraction),
        the notes (registers and more, under 8 KiB a thread) and headers."""
        return self.data_bytes + self.data_bytes // 64 + self.threads * (8 << 10) + 56 * len(self.segments) + (1 << 20)


def _smaps(pid: int) -> list[dict]:
    try:
        with open(f"/proc/{pid}/smaps", "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    maps: list[dict] = []
    for line in text.splitlines():
        head = line.split(None, 5)
        if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
            lo, hi = (int(x, 16) for x in head[0].split("-"))
            maps.append({"start": lo, "end": hi, "perms": head[1], "offset": int(head[2], 16),
                         "path": head[5].strip() if len(head) > 5 else ""})
        elif maps and line.startswith("Anonymous:"):
            maps[-1]["anonymous"] = int(line.split()[1]) * 1024
        elif maps and line.startswith("VmFlags:"):
            maps[-1]["flags"] = line.split()[1:]
    return maps


def _dumped(m: dict, filter_bits: int) -> bool:
    """Whether coredump_filter puts this mapping in a core (its ELF header page aside), as the kernel decides."""
    if "dd" in m.get("flags", ()) or m["perms"].startswith("---") or m["start"] >= 1 << 63:
        return False  # excluded by madvise, PROT_NONE (arena and guard reserves), or the vsyscall page
    shared, path = m["perms"][3:4] == "s", m["path"]
    anon = not path or path.startswith(("[", "/dev/zero", "/SYSV"))
    if anon or (not shared and m.get("anonymous", 0) > 0):
        return bool(filter_bits & (1 << (1 if shared else 0)))
    return bool(filter_bits & (1 << (3 if shared else 2)))


def _untouched_zeros(m: dict) -> bool:
    """Private anonymous memory: a page in no page table was never touched and reads as zeros."""
    return m["perms"][3:4] == "p" and (not m["path"] or m["path"].startswith(_ANON_NAMES))


def _present_runs(pagemap: int, start: int, end: int) -> list[tuple[int, int]]:
    """[lo, hi) address ranges of the pages in RAM or swap, from /proc/PID/pagemap (scanned with bytes methods:
    a 1,000-thread worker maps millions of untouched stack pages)."""
    runs: list[tuple[int, int]] = []
    step = BLOCK // 8 * PAGE  # one read of pagemap covers 512 MiB of addresses
    for base in range(start, end, step):
        n = (min(end, base + step) - base) // PAGE
        raw = os.pread(pagemap, n * 8, base // PAGE * 8)
        flags = raw[7::8].translate(_PRESENT_BYTE)  # each entry's top byte (bits 56-63): 1 if present or swapped
        i = flags.find(1)
        while i >= 0:
            j = flags.find(0, i)
            j = len(flags) if j < 0 else j
            lo, hi = base + i * PAGE, base + j * PAGE
            if runs and runs[-1][1] == lo:
                lo = runs.pop()[0]
            runs.append((lo, hi))
            i = flags.find(1, j)
    return runs


def _merged(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in runs:
        if out and lo - out[-1][1] <= gap:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def read_filter(pid: int) -> int:
    """The target's /proc/PID/coredump_filter bits (the kernel's default, 0x33, if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/coredump_filter") as fh:
            return int(fh.read().strip(), 16)
    except (OSError, ValueError):
        return 0x33


def plan_core(pid: int, filter_bits: int = COREDUMP_FILTER) -> CorePlan:
    """What a core of pid holds under filter_bits: each dumped mapping as one segment of data, except private
    anonymous ones, split into the pages the process touched and zero-filled gaps between them (gaps of up to a
    few pages are kept as data, more when that is what keeps the segment count under MAX_SEGMENTS)."""
    maps = [m for m in _smaps(pid) if _dumped(m, filter_bits)]
    try:
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        threads = 1
    try:
        pagemap = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY)
    except OSError:
        pagemap = -1
    try:
        touched = {i: _present_runs(pagemap, m["start"], m["end"]) for i, m in enumerate(maps)
                   if pagemap >= 0 and _untouched_zeros(m)}
    except OSError:
        touched = {}
    finally:
        if pagemap >= 0:
            os.close(pagemap)
    gap = 4 * PAGE
    while True:
        segments: list[Segment] = []
        for i, m in enumerate(maps):
            flags = (PF_R if m["perms"][0] == "r" else 0) | (PF_W if m["perms"][1] == "w" else 0) | (
                PF_X if m["perms"][2] == "x" else 0)
            if i not in touched:
                segments.append(Segment(m["start"], m["end"], flags, True))
                continue
            at = m["start"]
            for lo, hi in _merged(touched[i], gap):
                if lo > at:
                    segments.append(Segment(at, lo, flags, False))
                segments.append(Segment(lo, hi, flags, True))
                at = hi
            if at < m["end"]:
                segments.append(Segment(at, m["end"], flags, False))
        if len(segments) <= MAX_SEGMENTS:
            return CorePlan(tuple(segments), threads)
        gap *= 16


def estimate_core_size(pid: int, filter_bits: int = COREDUMP_FILTER) -> int:
    """Disk a kept core of pid needs at most (``CorePlan.need``), for the check before attaching."""
    return plan_core(pid, filter_bits).need


def write_core(pid: int, notes_core: str, plan: CorePlan, sink: CoreSink) -> int:
    """Write a core into sink, in file order: the notes of ``notes_core`` (a gcore with no memory: every thread's
    registers, the auxv, the mapped files), then plan's memory read from /proc/PID/mem while the process is
    stopped. Returns the bytes of memory read."""
    with open(notes_core, "rb") as fh:
        _machine, _phdrs, notes = _elf_layout(fh)
        fh.seek(0)
        ehdr = bytearray(fh.read(64))
    nph = len(notes) + len(plan.segments)
    struct.pack_into("<Q", ehdr, 32, 64)  # e_phoff
    struct.pack_into("<Q", ehdr, 40, 0)  # e_shoff: no sections
    struct.pack_into("<HHHHH", ehdr, 52, 64, 56, nph, 0, 0)
    phdrs, pos = [], 64 + 56 * nph
    for blob in notes:
        phdrs.append(struct.pack("<IIQQQQQQ", PT_NOTE, 0, pos, 0, 0, len(blob), 0, 1))
        pos += len(blob)
    head = pos
    pos = (pos + PAGE - 1) & ~(PAGE - 1)
    for s in plan.segments:
        size = s.end - s.start
        phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, s.flags, pos, s.start, 0, size if s.data else 0, size, PAGE))
        pos += size if s.data else 0
    done = 0
    try:
        sink.write(bytes(ehdr) + b"".join(phdrs) + b"".join(notes) + bytes(-head % PAGE))
        mem = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
        try:
            for s in plan.segments:
                if s.data:
                    for addr in range(s.start, s.end, BLOCK):
                        sink.write(_read_mem(mem, addr, min(BLOCK, s.end - addr)))
                    done += s.end - s.start
        finally:
            os.close(mem)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return done


class _Limited:
    """The core file on disk: a write that would take it past ``limit`` bytes fails (LowDiskSpace) unmade."""

    def __init__(self, dest: str, limit: int | None) -> None:
        self.dest, self.limit, self.size = dest, limit, 0
        self.fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the process's memory: secrets

    def write(self, data: bytes) -> int:
        if self.limit is not None and self.size + len(data) > self.limit:
            raise LowDiskSpace(f"not writing more of the core {self.dest}: it would take over {human(self.limit)}")
        os.write(self.fd, data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here (GzipFile calls it)."""


class CoreSink:
    """Where write_core's bytes go, in order: a sparse raw file, or a compressor (see ``to``)."""

    def __init__(self, dest: str, limit: int | None = None) -> None:
        self.out = _Limited(dest, limit)

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file (raises if it could not be)."""
        self.abort()

    def abort(self) -> None:
        """Stop where it is (the caller removes the file); safe to call again."""
        if self.out.fd >= 0:
            os.close(self.out.fd)
            self.out.fd = -1

    @staticmethod
    def to(dest: str, limit: int | None = None) -> CoreSink:
        """A compressed core for dest ending in .zst or .gz, else a raw one."""
        return (_Zstd if dest.endswith(".zst") else _Gzip if dest.endswith(".gz") else _Sparse)(dest, limit)


class _Sparse(CoreSink):
    """A raw core whose all-zero blocks are holes: the disk holds only the memory that is not zero."""

    length = 0

    def write(self, data: bytes) -> None:
        if data.count(0) == len(data):
            os.lseek(self.out.fd, len(data), os.SEEK_CUR)
        else:
            self.out.write(data)
        self.length += len(data)

    def close(self) -> None:
        try:
            os.ftruncate(self.out.fd, self.length)
        finally:
            self.abort()


class _Gzip(CoreSink):
    def __init__(self, dest: str, limit: int | None = None) -> None:
        super().__init__(dest, limit)
        self.gz = gzip.GzipFile(fileobj=self.out, mode="wb", compresslevel=1, mtime=0)

    def write(self, data: bytes) -> None:
        self.gz.write(data)

    def close(self) -> None:
        try:
            self.gz.close()
        finally:
            self.abort()

    def abort(self) -> None:
        self.gz.fileobj = None  # nothing more reaches the file, not even from the GzipFile's finalizer
        super().abort()


class _Zstd(CoreSink):
    """zstd -T0 through pipes: what it compresses comes back to be counted before it is written."""

    def __init__(self, dest: str, limit: int | None = None) -> None:
        super().__init__(dest, limit)
        self.failed: Exception | None = None
        self.proc = subprocess.Popen([zstd_binary() or "zstd", "-q", "-1", "-T0", "-c"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self) -> None:
        try:
            while chunk := self.proc.stdout.read1(BLOCK):
                self.out.write(chunk)
        except (OSError, LowDiskSpace) as exc:
            self.failed = exc
            self.proc.kill()

    def write(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
        except BrokenPipeError:
            self.close()  # raises why zstd stopped

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        self.proc.wait()
        self.drain.join()
        why = self.proc.stderr.read().decode(errors="replace").strip()
        self.abort()
        if self.failed is not None:
            raise self.failed
        if self.proc.returncode != 0:
            raise CaptureFailed(f"zstd failed: {why or f'exit {self.proc.returncode}'}")

    def abort(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.drain.join()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
        super().abort()


def _read_mem(mem: int, addr: int, n: int) -> bytes:
    """n bytes of the process at addr; pages it cannot read (a mapping gone, an I/O error) as zeros."""
    try:
        data = os.pread(mem, n, addr)
        if len(data) == n:
            return data
    except OSError:
        pass
    pages = []
    for a in range(addr, addr + n, PAGE):
        try:
            page = os.pread(mem, PAGE, a)
        except OSError:
            page = b""
        pages.append(page.ljust(PAGE, b"\0"))
    return b"".join(pages)[:n]


@contextmanager
def narrowed_filter(pid: int, notes: list[str], bits: int = COREDUMP_FILTER) -> Iterator[None]:
    """Set /proc/PID/coredump_filter for the dump, then restore it (it also governs the kernel's own dumps)."""
    path = f"/proc/{pid}/coredump_filter"
    try:
        with open(path) as fh:
            old = "0x" + fh.read().strip()  # the file shows hex without 0x; written back bare, it reads as octal
        with open(path, "w") as fh:
            fh.write(f"0x{bits:x}")
    except OSError as exc:
        notes.append(f"could not narrow {path} ({exc.strerror or exc}); the core may be larger")
        yield
        return
    try:
        yield
    finally:
        try:
            with open(path, "w") as fh:
                fh.write(old)
        except OSError as exc:
            notes.append(f"could not restore {path} to {old} ({exc.strerror or exc})")


def zstd_binary() -> str | None:
    return shutil.which("zstd")


def compressed_suffix() -> str:
    """How kept cores are compressed here: zstd when installed, else gzip."""
    return ".zst" if zstd_binary() else ".gz"


def core_budget() -> int:
    """The most disk the store's kept cores may take together (HANGDUMP_CORE_BUDGET, default 2G)."""
    return parse_size(os.environ.get("HANGDUMP_CORE_BUDGET", "2G"))


def compress(raw: str, dest: str, timeout_s: float = 600.0) -> str:
    """raw core -> dest + '.zst' (or '.gz'); atomic (temp name, then rename). Returns the final path.
    A core already compressed (written so by write_core) is moved into place as it is."""
    if raw.endswith(COMPRESSED_SUFFIXES):
        final = dest + os.path.splitext(raw)[1]
        os.chmod(raw, 0o600)
        os.replace(raw, final)
        return final
    zstd = zstd_binary()
    final = dest + (".zst" if zstd else ".gz")
    directory = os.path.dirname(final) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-core-", dir=directory)
    os.close(fd)
    try:
        if zstd:
            proc = subprocess.run([zstd, "-q", "-f", "-1", "-T0", raw, "-o", tmp], check=False,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s)
            if proc.returncode != 0:
                raise CaptureFailed(f"zstd failed: {proc.stderr.decode(errors='replace').strip()}")
        else:
            with open(raw, "rb") as src, gzip.open(tmp, "wb", compresslevel=1) as out:
                shutil.copyfileobj(src, out, BLOCK)
        os.chmod(tmp, 0o600)  # a core holds the process's memory, secrets included (zstd copies the raw's mode)
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return final


WORKDIR_PREFIX = ".tmp-"


def _workdirs(cores_dir: str) -> list[str]:
    try:
        names = os.listdir(cores_dir)
    except OSError:
        return []
    return [os.path.join(cores_dir, n) for n in names if n.startswith(WORKDIR_PREFIX)
            and os.path.isdir(os.path.join(cores_dir, n)) and not os.path.islink(os.path.join(cores_dir, n))]


def workdirs_bytes(cores_dir: str) -> int:
    """Disk used by raw cores being written (or left by a killed writer): they count against the budget."""
    total = 0
    for path in _workdirs(cores_dir):
        for name in os.listdir(path):
            try:
                total += os.stat(os.path.join(path, name), follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def _sparse_copy(src, dst_path: str) -> None:
    """Copy a stream to a file, seeking over all-zero blocks so they become holes."""
    zero = bytes(BLOCK)
    with open(dst_path, "wb") as out:
        size = 0
        while True:
            chunk = src.read(BLOCK)
            if not chunk:
                break
            if chunk == zero[: len(chunk)]:
                out.seek(len(chunk), os.SEEK_CUR)
            else:
                out.write(chunk)
            size += len(chunk)
        out.truncate(size)


@contextmanager
def opened_core(path: str, workdir: str | None = None, timeout_s: float = 600.0) -> Iterator[str]:
    """A raw core path for gdb: the file itself, or a sparse temporary decompression of a .zst / .gz core."""
    if not path.endswith(COMPRESSED_SUFFIXES):
        yield path
        return
    tmpdir = tempfile.mkdtemp(prefix="hangdump-core-", dir=workdir)
    raw = os.path.join(tmpdir, "core")
    try:
        # Sparse output: the disk holds about the compressed size's worth of non-zero pages.
        check_disk(tmpdir, os.path.getsize(path) * 4, f"the decompressed core of {path}")
        if path.endswith(".zst"):
            zstd = zstd_binary()
            if zstd is None:
                raise CaptureFailed(f"{path} is zstd-compressed and zstd is not installed",
                                    help="apt-get install zstd, or decompress it yourself")
            proc = subprocess.run([zstd, "-q", "-d", "--sparse", "-f", path, "-o", raw], check=False,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s)
            if proc.returncode != 0:
                raise CaptureFailed(f"cannot decompress {path}: {proc.stderr.decode(errors='replace').strip()}")
        else:
            try:
                with gzip.open(path, "rb") as src:
                    _sparse_copy(src, raw)
            except (OSError, EOFError) as exc:
                raise CaptureFailed(f"cannot decompress {path}: {exc}") from None
        yield raw
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


@record
class CoreInfo:
    """What a core says about its process, from its ELF notes (no gdb needed).

    ``syscalls``: tid -> (number, arguments) of the syscall that thread was in, None when it was in none, from its
    registers (see core_syscall); empty when the core's architecture is not one whose registers are read here.
    kernel_states() makes them the threads' KernelState."""

    pid: int | None = None
    ppid: int | None = None
    uid: int | None = None
    fname: str | None = None
    psargs: str | None = None
    exe: str | None = None
    files: tuple[str, ...] = ()
    tids: tuple[int, ...] = field(default_factory=tuple)
    machine: int | None = None
    syscalls: dict = field(default_factory=dict)


NT_ARM_SYSTEM_CALL = 0x404  # aarch64: the thread's syscall number (an int, -1 outside a syscall)
PR_REG = 112  # where pr_reg (the general registers) starts in a 64-bit NT_PRSTATUS
# x86-64 user_regs_struct slots: orig_rax (the syscall the thread is in, -1 when none: what /proc/TID/syscall
# reports for a stopped thread), then the six arguments in syscall order: rdi, rsi, rdx, r10, r8, r9
X86_64_NR, X86_64_ARGS = 15, (14, 13, 12, 7, 9, 8)
MACHINE_NAMES = {EM_X86_64: "x86_64", EM_AARCH64: "aarch64"}


def core_syscall(machine: int, prstatus: bytes, syscallno: int | None = None) -> tuple[int, tuple[int, ...]] | None:
    """(number, arguments) of the syscall a thread was in when its core was dumped, from its NT_PRSTATUS registers;
    None when it was in none or the architecture's registers do not say.

    x86-64: orig_rax and rdi, rsi, rdx, r10, r8, r9 (a thread the dump stopped in a blocking call keeps the
    call's number there, as after a ptrace attach). aarch64: pr_reg has no syscall number (x8 holds it only inside
    a syscall, and is an ordinary register outside one) nor orig_x0 (x0 is the return value by then), so the
    number comes from the thread's NT_ARM_SYSTEM_CALL note (``syscallno``; the kernel's own dumps write it) and the
    arguments are not known (())."""
    if machine == EM_X86_64:
        if len(prstatus) < PR_REG + 8 * (X86_64_NR + 1):
            return None
        regs = struct.unpack_from("<16Q", prstatus, PR_REG)
        nr = regs[X86_64_NR]
        if nr >= 1 << 63:  # -1 (or an interrupt's negative vector): stopped in user space
            return None
        return nr, tuple(regs[i] for i in X86_64_ARGS)
    if machine == EM_AARCH64 and syscallno is not None and syscallno >= 0:
        return syscallno, ()
    return None


def kernel_states(info: CoreInfo) -> dict:
    """tid -> KernelState of each thread whose registers were read: the syscall (a core has no scheduler state, so
    state and wchan stay unknown). A thread in no syscall was executing its own code when the core was written (on a
    CPU, or preempted there: gcore's attach and a crash stop threads where they are), not blocked: running. Imported
    here, not by read_core_info: gdb_prestart reads the exe before anything else is imported."""
    from forensics.model import KernelState, Syscall
    from forensics.syscalls import syscall_name

    arch = MACHINE_NAMES.get(info.machine or 0)
    made: dict = {}  # one record per distinct syscall: a pool's waiters share theirs (records are immutable)

    def state(sc: tuple[int, tuple[int, ...]] | None) -> KernelState:
        ks = made.get(sc)
        if ks is None:
            ks = made[sc] = (KernelState(running=True) if sc is None
                             else KernelState(syscall=Syscall(sc[0], syscall_name(sc[0], arch), sc[1])))
        return ks

    return {tid: state(sc) for tid, sc in info.syscalls.items()}


def _read_notes(path: str) -> tuple[int, list[bytes]]:
    """(e_machine, note blobs) of a 64-bit little-endian core, or a clear CaptureFailed."""
    try:
        with open(path, "rb") as fh:
            ehdr = fh.read(64)
            if len(ehdr) < 64 or ehdr[:4] != b"\x7fELF":
                raise CaptureFailed(f"{path} is not an ELF core file", help="`file CORE` should say 'core file'")
            if ehdr[4] != 2 or ehdr[5] != 1:
                raise CaptureFailed(f"{path}: only 64-bit little-endian cores are supported")
            e_type, machine = struct.unpack_from("<HH", ehdr, 16)
            if e_type != 4:
                raise CaptureFailed(f"{path} is an ELF file but not a core (it is an executable or library)",
                                    help="give the core with --core and the interpreter with --exe")
            phoff, = struct.unpack_from("<Q", ehdr, 32)
            phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
            fh.seek(phoff)
            phdrs = fh.read(phentsize * phnum)
            notes = []
            for i in range(phnum):
                p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", phdrs, i * phentsize)
                if p_type == PT_NOTE:
                    fh.seek(p_offset)
                    notes.append(fh.read(min(p_filesz, 64 << 20)))
    except OSError as exc:
        raise CaptureFailed(f"cannot read the core {path}: {exc.strerror or exc}") from None
    return machine, notes


def read_core_info(path: str) -> CoreInfo:
    """Parse a 64-bit little-endian ELF core's notes: NT_PRPSINFO (pid, args), NT_PRSTATUS (tids and each thread's
    syscall, see core_syscall), NT_FILE + AT_ENTRY (exe)."""
    machine, notes = _read_notes(path)
    info: dict = {}
    regs: dict[int, bytes] = {}  # tid -> its NT_PRSTATUS, in note order (the first is the thread that dumped)
    syscallno: dict[int, int] = {}
    files: list[tuple[int, int, str]] = []
    entry = None
    tid = None
    for blob in notes:
        for ntype, desc in _iter_notes(blob):
            if ntype == NT_PRPSINFO and len(desc) >= 136:
                uid, _gid, pid, ppid = struct.unpack_from("<IIii", desc, 16)
                info.update(uid=uid, pid=pid, ppid=ppid,
                            fname=desc[40:56].split(b"\0")[0].decode(errors="replace"),
                            psargs=desc[56:136].split(b"\0")[0].decode(errors="replace").strip())
            elif ntype == NT_PRSTATUS and len(desc) >= 36:
                tid = struct.unpack_from("<i", desc, 32)[0]
                regs[tid] = desc
            elif ntype == NT_ARM_SYSTEM_CALL and tid is not None and len(desc) >= 4:
                syscallno[tid] = struct.unpack_from("<i", desc, 0)[0]  # a thread's regsets follow its NT_PRSTATUS
            elif ntype == NT_AUXV:
                for j in range(0, len(desc) - 15, 16):
                    key, val = struct.unpack_from("<QQ", desc, j)
                    if key == AT_ENTRY:
                        entry = val
            elif ntype == NT_FILE and len(desc) >= 16:
                count, _page = struct.unpack_from("<QQ", desc, 0)
                names = desc[16 + 24 * count:].split(b"\0")
                for k in range(count):
                    start, end, _ofs = struct.unpack_from("<QQQ", desc, 16 + 24 * k)
                    if k < len(names):
                        files.append((start, end, names[k].decode(errors="replace")))
    exe = next((name for start, end, name in files if entry is not None and start <= entry < end), None)
    if exe is None and files:
        exe = files[0][2]
    syscalls = {}
    if machine == EM_X86_64 or (machine == EM_AARCH64 and syscallno):
        syscalls = {t: core_syscall(machine, desc, syscallno.get(t)) for t, desc in regs.items()}
    return CoreInfo(
        pid=info.get("pid"), ppid=info.get("ppid"), uid=info.get("uid"), fname=info.get("fname"),
        psargs=info.get("psargs"), exe=exe, files=tuple(dict.fromkeys(n for _s, _e, n in files)),
        tids=tuple(regs), machine=machine, syscalls=syscalls,
    )


@record
class Compacted:
    """A compact copy of a core for py-spy: what was kept and dropped, in bytes of address space."""

    path: str
    kept: int
    dropped: int
    filled: int  # file-backed segments the core left out, read from the files on disk


def _elf_layout(fh, notes: bool = True) -> tuple[int, list[tuple[int, ...]], list[bytes]]:
    """(e_machine, program headers, note blobs) of a 64-bit little-endian core."""
    ehdr = fh.read(64)
    if len(ehdr) < 64 or ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
        raise CaptureFailed("not a 64-bit little-endian ELF core")
    machine, = struct.unpack_from("<H", ehdr, 18)
    phoff, = struct.unpack_from("<Q", ehdr, 32)
    phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
    if phnum == 0xFFFF:
        raise CaptureFailed("core with extended program header numbering (more than 65534 mappings)")
    fh.seek(phoff)
    raw = fh.read(phentsize * phnum)
    phdrs = [struct.unpack_from("<IIQQQQQQ", raw, i * phentsize) for i in range(phnum)]
    blobs = []
    for p_type, _f, p_offset, _v, _pa, p_filesz, _m, _a in phdrs:
        if notes and p_type == PT_NOTE:
            fh.seek(p_offset)
            blobs.append(fh.read(min(p_filesz, 64 << 20)))
    return machine, phdrs, blobs


def _iter_notes(blob: bytes) -> Iterator[tuple[int, bytes]]:
    off = 0
    while off + 12 <= len(blob):
        namesz, descsz, ntype = struct.unpack_from("<III", blob, off)
        off += 12 + ((namesz + 3) & ~3)
        yield ntype, blob[off: off + descsz]
        off += (descsz + 3) & ~3


def _stack_pointers(machine: int, notes: list[bytes]) -> list[int]:
    at = SP_OFFSET.get(machine)
    if at is None:
        return []
    return [struct.unpack_from("<Q", desc, at)[0] for blob in notes for ntype, desc in _iter_notes(blob)
            if ntype == NT_PRSTATUS and len(desc) >= at + 8]


def _file_ranges(notes: list[bytes]) -> list[tuple[int, int, int, str]]:
    """NT_FILE: (start, end, file offset in bytes, path) of every file-backed mapping."""
    out = []
    for blob in notes:
        for ntype, desc in _iter_notes(blob):
            if ntype != NT_FILE or len(desc) < 16:
                continue
            count, page = struct.unpack_from("<QQ", desc, 0)
            names = desc[16 + 24 * count:].split(b"\0")
            for k in range(min(count, len(names))):
                start, end, pgoff = struct.unpack_from("<QQQ", desc, 16 + 24 * k)
                out.append((start, end, pgoff * page, os.fsdecode(names[k])))
    return out


def _copy(src_fd: int, src_off: int, dst_fd: int, dst_off: int, n: int) -> int:
    """Copy n bytes (in-kernel when possible); returns how many the source had (short at its end)."""
    done = 0
    while done < n:
        try:
            got = os.copy_file_range(src_fd, dst_fd, n - done, src_off + done, dst_off + done)
        except OSError:
            chunk = os.pread(src_fd, min(n - done, BLOCK), src_off + done)
            got = os.pwrite(dst_fd, chunk, dst_off + done) if chunk else 0
        if got == 0:
            break
        done += got
    return done


def _elf_flags(path: str, offset: int) -> int | None:
    """p_flags of the PT_LOAD of the ELF file ``path`` that maps file offset ``offset`` (None: not an ELF file)."""
    try:
        with open(path, "rb") as fh:
            _machine, phdrs, _notes = _elf_layout(fh, notes=False)
    except (OSError, CaptureFailed, struct.error):
        return None
    for p_type, flags, p_offset, _v, _pa, filesz, _m, _a in phdrs:
        if p_type == PT_LOAD and (p_offset & ~(PAGE - 1)) <= offset < p_offset + max(filesz, 1):
            return flags
    return None


def _plan(phdrs: list[tuple[int, ...]], notes: list[bytes], machine: int) -> tuple[list, int, int]:
    """[(vaddr, flags, [(source path or None for the core, source offset, length), ...])], dropped, filled."""
    sps = sorted(_stack_pointers(machine, notes))
    files = sorted(_file_ranges(notes))
    loads = sorted((p for p in phdrs if p[0] == PT_LOAD and p[6] > 0), key=lambda p: p[3])
    segments: list[tuple[int, int, list[tuple[str | None, int, int]]]] = []
    dropped = filled = 0
    for start, end, fofs, path in files:
        inside = [p for p in loads if p[3] < end and p[3] + p[6] > start]
        flags = next((p[1] for p in inside if p[3] == start and p[6] >= end - start), None)
        if flags is None:
            flags = _elf_flags(path, fofs)
        if flags is None:
            flags = next((p[1] for p in inside if p[3] == start), 4)
        readable = os.path.isfile(path) and os.access(path, os.R_OK)
        pieces: list[tuple[str | None, int, int]] = []
        at = start
        for _t, _f, p_offset, vaddr, _pa, filesz, _msz, _al in inside:
            lo, hi = max(vaddr, start), min(vaddr + filesz, end)
            if hi <= lo:
                continue
            if lo > at:
                pieces.append((path, fofs + at - start, lo - at))
            pieces.append((None, p_offset + lo - vaddr, hi - lo))
            at = hi
        if at < end:
            pieces.append((path, fofs + at - start, end - at))
        if not readable:  # the file is gone: keep what the core has, each run as its own segment
            dropped += sum(n for src, _o, n in pieces if src is not None)
            va = start
            for src, o, n in pieces:
                if src is None:
                    segments.append((va, flags, [(None, o, n)]))
                va += n
            continue
        filled += sum(n for src, _o, n in pieces if src is not None)
        segments.append((start, flags, pieces))
    covered = [(s, e) for s, e, _o, _p in files]
    for _t, flags, p_offset, vaddr, _pa, filesz, memsz, _al in loads:
        if any(s <= vaddr < e for s, e in covered):
            continue
        if filesz == 0 or not flags & PF_W:
            dropped += memsz  # PROT_NONE reserves (a gcore writes them as read-only zeros) and guard pages
            continue
        lo = vaddr
        sp = next((x for x in sps if vaddr <= x < vaddr + filesz), None)
        if sp is not None:
            lo = max(vaddr, (sp & ~(PAGE - 1)) - PAGE)
        dropped += lo - vaddr + memsz - filesz
        segments.append((lo, flags, [(None, p_offset + lo - vaddr, vaddr + filesz - lo)]))
    segments.sort(key=lambda s: s[0])
    return segments, dropped, filled


def compact_for_pyspy(raw: str, dest: str) -> Compacted:
    """Write a small core with only what a Python stack reader needs, for ``py-spy dump --core``.

    py-spy reads the whole core into memory before looking at it, so on a gcore of a threaded worker
    (1-3 GB of untouched thread stacks and malloc arena reserves, written out as zeros) it spends
    seconds reading zeros; and it reads file-backed mappings only from the core, so on a core dumped
    without them (the default coredump_filter, or hangdump's before 0x35) it fails outright. The copy
    keeps the notes and, per mapping:
    - file-backed mappings whole, the parts the core left out read from the files on disk (as gdb
      and pystack do), with the permissions the file's own program headers give them;
    - anonymous writable mappings whole, except thread stacks, kept from one page below the thread's
      stack pointer (nothing below it is live; 3.11+ keeps the eval loop's frame links above it);
    - anonymous mappings that are not writable are dropped: a gcore writes PROT_NONE arena and
      guard reserves as read-only zeros, and Python objects never live there.
    Addresses are unchanged, so a read outside what is kept fails rather than returning wrong bytes.
    """
    with open(raw, "rb") as fh:
        machine, phdrs, notes = _elf_layout(fh)
        ehdr = bytearray(64)
        fh.seek(0)
        ehdr[:] = fh.read(64)
    segments, dropped, filled = _plan(phdrs, notes, machine)
    kept = sum(n for _v, _f, pieces in segments for _s, _o, n in pieces)
    check_disk(os.path.dirname(dest) or ".", kept, f"a compact copy of the core {raw}")
    note_phdrs = [p for p in phdrs if p[0] == PT_NOTE]
    nph = len(note_phdrs) + len(segments)
    if nph >= 0xFFFF:
        raise CaptureFailed(f"the core {raw} has too many mappings ({nph}) to copy")
    struct.pack_into("<Q", ehdr, 32, 64)  # e_phoff
    struct.pack_into("<Q", ehdr, 40, 0)  # e_shoff: no sections
    struct.pack_into("<HHHHH", ehdr, 52, 64, 56, nph, 0, 0)
    out_phdrs = []
    writes: list[tuple[str | None | bytes, int, int, int]] = []  # (source, src offset, dst offset, length)
    pos = 64 + 56 * nph
    for (_t, fl, _off, va, pa, _fsz, _msz, al), blob in zip(note_phdrs, notes, strict=False):
        out_phdrs.append(struct.pack("<IIQQQQQQ", PT_NOTE, fl, pos, va, pa, len(blob), len(blob), al))
        writes.append((blob, 0, pos, len(blob)))
        pos += (len(blob) + 7) & ~7
    for vaddr, flags, pieces in segments:
        pos = (pos + PAGE - 1) & ~(PAGE - 1)
        length = sum(n for _s, _o, n in pieces)
        out_phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, flags, pos, vaddr, 0, length, length, PAGE))
        for src, off, n in pieces:
            writes.append((src, off, pos, n))
            pos += n
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    opened: dict[str | None, int] = {}
    try:
        opened[None] = os.open(raw, os.O_RDONLY)
        os.pwrite(fd, bytes(ehdr) + b"".join(out_phdrs), 0)
        for src, off, dst, n in writes:
            if isinstance(src, bytes):
                os.pwrite(fd, src, dst)
                continue
            if src not in opened:
                try:
                    opened[src] = os.open(src, os.O_RDONLY)
                except OSError:
                    opened[src] = -1
            if opened[src] >= 0:
                _copy(opened[src], off, fd, dst, n)  # past a file's end the bytes stay zero, as when mapped
        os.ftruncate(fd, pos)
    finally:
        for f in opened.values():
            if f >= 0:
                os.close(f)
        os.close(fd)
    return Compacted(dest, kept, dropped, filled)
