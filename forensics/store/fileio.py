"""Files: reading what someone else made, as root (no symlink followed, regular files only, a size cap), and
writing ours whole or not at all.

Every capture file the store reads and every file ``hangdump import`` is given goes through
``read_regular``: a FIFO would block ``open``/``read`` forever, a symlink to ``/dev/zero`` would be read
until memory runs out, and a symlink in the store could point into another store. ``parse_json`` turns
what ``json`` raises on bad or absurdly nested input (its C decoder raises RecursionError) into the
format error every command reports as one line.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import stat

from forensics.errors import CaptureFormatError, StoreError

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

MAX_FILE_BYTES = 64 * 1024 * 1024  # a 1,000-thread dump with locals is a few MB; anything bigger is not a capture

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class FileRefused(CaptureFormatError):
    """A file that is not a regular file of reasonable size: skipped by the store, an error for import."""

    help = "hangdump reads regular files only, never through a symbolic link"


def kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def _refuse_kind(shown: str, mode: int) -> FileRefused:
    what = kind_of(mode)
    return FileRefused(f"{shown} is {what}" + (" (not followed)" if what == "a symbolic link" else ", not a regular file"))


def read_regular(name: str, dir_fd: int | None = None, limit: int = MAX_FILE_BYTES,
                 shown: str | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes and the fstat of the regular file ``name`` (relative to ``dir_fd`` when given).

    The file is looked at (lstat) before it is opened, so a device is never opened at all, and checked
    again through the open descriptor (fstat), so a file swapped in between is refused too.
    """
    shown = shown or name
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse_kind(shown, st.st_mode)
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(f"{shown} is a symbolic link (not followed)") from None
        raise CaptureFormatError(f"cannot read {shown}: {exc.strerror or exc}", help="check the path") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse_kind(shown, st.st_mode)
        if st.st_size > limit:
            raise _too_big(shown, st.st_size, limit)
        chunks, total = [], 0
        while True:
            want = min(max(st.st_size + 1 - total, 1 << 16), 1 << 20, limit + 1 - total)
            chunk = os.read(fd, want)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while we read it
                raise _too_big(shown, total, limit)
            if len(chunk) < want:  # a regular file reads short only at its end: no read just to see nothing
                break
        return b"".join(chunks), st
    except OSError as exc:
        raise CaptureFormatError(f"cannot read {shown}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _too_big(shown: str, size: int, limit: int) -> FileRefused:
    return FileRefused(f"{shown} is over {limit >> 20} MiB ({size} bytes or more); hangdump reads files up to that size",
                       help="a capture or py-spy dump is far smaller; check that this is the right file")


def parse_json(data: bytes | str) -> Any:
    """The JSON document in ``data``; CaptureFormatError (never RecursionError) for anything that is not JSON."""
    try:
        return json.loads(data)
    except RecursionError:
        raise CaptureFormatError("not valid JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CaptureFormatError(f"not valid JSON: {exc}") from None


class WriteError(StoreError):
    """An output file (report, export) that could not be written; nothing half-written is left behind."""

    help = "free some space or write elsewhere (--out PATH)"


def replace_file(path: str, data: bytes, mode: int = 0o600) -> None:
    """Write ``path`` whole or not at all: a private temp file beside it, fsync, rename over it.

    A full disk or a kill leaves the previous file (or none) and no truncated one; the file is created
    ``mode`` (0600: a report holds every capture's stacks and process facts).
    """
    folder, base = os.path.split(os.path.abspath(path))
    tmp = f".{base}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    dfd = fd = -1
    try:
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dfd)
        write_all(fd, data)
        os.fsync(fd)
        os.rename(tmp, base, src_dir_fd=dfd, dst_dir_fd=dfd)
        tmp = ""
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if dfd >= 0:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dfd)
            os.close(dfd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
