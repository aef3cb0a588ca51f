"""Core files: narrowing coredump_filter, checking disk space, compressing, and reading a core's own notes.

A default gcore of a small Python worker is mostly zeros (untouched 8 MiB thread stacks and
64 MiB malloc reserves are dumped whole), so a core is only kept when asked, compressed.
zstd (the CLI, when installed) is used because it compresses those zeros at GB/s with all
cores and decompresses to a sparse file; gzip from the stdlib is the fallback (slower, but
always there). lzma is far too slow for gigabytes.
"""
from __future__ import annotations

import gzip
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from forensics.errors import CaptureFailed, LowDiskSpace, UsageError

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


def estimate_core_size(pid: int, filter_bits: int = COREDUMP_FILTER) -> int:
    """What gcore will write under filter_bits, from /proc/PID/smaps (an upper bound: untouched pages count)."""
    try:
        with open(f"/proc/{pid}/smaps", "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return 0
    total = 0

    def account(m: dict) -> int:
        if not m or "dd" in m.get("flags", ()):
            return 0
        size, path, shared = m["size"], m["path"], m["shared"]
        anon = not path or path.startswith(("[", "/dev/zero", "/SYSV"))
        if anon or (not shared and m.get("anonymous", 0) > 0):
            bit = 1 if shared else 0
            return size if filter_bits & (1 << bit) else 0
        bit = 3 if shared else 2
        if filter_bits & (1 << bit):
            return size
        return 4096 if filter_bits & (1 << 4) and m["offset"] == 0 else 0

    cur: dict = {}
    for line in text.splitlines():
        head = line.split(None, 5)
        if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
            total += account(cur)
            lo, hi = (int(x, 16) for x in head[0].split("-"))
            cur = {"size": hi - lo, "shared": head[1][3:4] == "s", "offset": int(head[2], 16),
                   "path": head[5].strip() if len(head) > 5 else ""}
        elif line.startswith("Anonymous:"):
            cur["anonymous"] = int(line.split()[1]) * 1024
        elif line.startswith("VmFlags:"):
            cur["flags"] = line.split()[1:]
    return total + account(cur)


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


def compress(raw: str, dest: str, timeout_s: float = 600.0) -> str:
    """raw core -> dest + '.zst' (or '.gz'); atomic (temp name, then rename). Returns the final path."""
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


@dataclass(frozen=True, slots=True)
class CoreInfo:
    """What a core says about its process, from its ELF notes (no gdb needed)."""

    pid: int | None = None
    ppid: int | None = None
    uid: int | None = None
    fname: str | None = None
    psargs: str | None = None
    exe: str | None = None
    files: tuple[str, ...] = ()
    tids: tuple[int, ...] = field(default_factory=tuple)


def read_core_info(path: str) -> CoreInfo:
    """Parse a 64-bit little-endian ELF core's notes: NT_PRPSINFO (pid, args), NT_PRSTATUS (tids), NT_FILE + AT_ENTRY (exe)."""
    try:
        with open(path, "rb") as fh:
            ehdr = fh.read(64)
            if len(ehdr) < 64 or ehdr[:4] != b"\x7fELF":
                raise CaptureFailed(f"{path} is not an ELF core file", help="`file CORE` should say 'core file'")
            if ehdr[4] != 2 or ehdr[5] != 1:
                raise CaptureFailed(f"{path}: only 64-bit little-endian cores are supported")
            e_type = struct.unpack_from("<H", ehdr, 16)[0]
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
    info: dict = {"tids": []}
    files: list[tuple[int, int, str]] = []
    entry = None
    for blob in notes:
        off = 0
        while off + 12 <= len(blob):
            namesz, descsz, ntype = struct.unpack_from("<III", blob, off)
            off += 12 + ((namesz + 3) & ~3)
            desc = blob[off: off + descsz]
            off += (descsz + 3) & ~3
            if ntype == NT_PRPSINFO and len(desc) >= 136:
                uid, _gid, pid, ppid = struct.unpack_from("<IIii", desc, 16)
                info.update(uid=uid, pid=pid, ppid=ppid,
                            fname=desc[40:56].split(b"\0")[0].decode(errors="replace"),
                            psargs=desc[56:136].split(b"\0")[0].decode(errors="replace").strip())
            elif ntype == NT_PRSTATUS and len(desc) >= 36:
                info["tids"].append(struct.unpack_from("<i", desc, 32)[0])
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
    return CoreInfo(
        pid=info.get("pid"), ppid=info.get("ppid"), uid=info.get("uid"), fname=info.get("fname"),
        psargs=info.get("psargs"), exe=exe, files=tuple(dict.fromkeys(n for _s, _e, n in files)),
        tids=tuple(info["tids"]),
    )


@dataclass(frozen=True, slots=True)
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
