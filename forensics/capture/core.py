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

# bit 0 anonymous private (the Python heap and thread stacks), bit 4 ELF headers (build ids, so gdb can
# tell a core from the wrong executable), bit 5 private hugetlb. Not anonymous shared (multiprocessing
# shared memory), not file-backed mappings (gdb reads those from the files on disk).
COREDUMP_FILTER = 0x31
DEFAULT_MIN_FREE = 1 << 30
BLOCK = 1 << 20
PT_NOTE = 4
PT_LOAD = 1
NT_PRSTATUS = 1
NT_PRPSINFO = 3
NT_AUXV = 6
NT_FILE = 0x46494C45
AT_ENTRY = 9
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
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return final


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
