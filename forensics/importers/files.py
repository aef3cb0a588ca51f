"""Read a file a user hands to ``hangdump import``: py-spy JSON or a hangdump capture."""
from __future__ import annotations

import hashlib

from forensics import __version__
from forensics.errors import CaptureFormatError
from forensics.importers.pyspy import (
    looks_like_pyspy,
    looks_like_pyspy_text,
    parse_pyspy_text,
    pid_of,
    threads_from_pyspy,
)
from forensics.model import Capture, ProcessFacts, ThreadStack, Trigger
from forensics.redact import redact_capture
from forensics.store.fileio import parse_json, read_regular
from forensics.store.ids import check_id


def import_file(
    path: str,
    host: str | None = None,
    pid: int | None = None,
    taken_at: float | None = None,
    redact: bool = True,
) -> Capture:
    """A capture from ``path``; ``source`` keeps the path as given. Ids derive from content, so re-imports are no-ops.

    The file is read as the store reads its own (regular files only, no symlink, size cap); a hangdump
    capture must carry a valid id (it becomes a file name in the store).
    """
    raw, st = read_regular(path)
    when = taken_at if taken_at is not None else st.st_mtime
    try:
        data = parse_json(raw)
    except CaptureFormatError as exc:
        text = raw.decode("utf-8", "replace")
        if not looks_like_pyspy_text(text):
            why = str(exc).removeprefix("not valid JSON: ")
            raise CaptureFormatError(f"{path} is neither JSON ({why}) nor py-spy's text dump") from None
        text_pid, facts, threads = parse_pyspy_text(text, redact=redact)
        return _imported(path, raw, host, pid if pid is not None else text_pid, when, threads, facts, "py-spy text")
    if isinstance(data, dict) and "schema" in data:
        capture = Capture.from_dict(data)
        try:
            check_id(capture.id)
        except CaptureFormatError as exc:
            raise CaptureFormatError(f"{path}: {exc}", help="a capture's id names its file in the store") from None
        if redact:  # made elsewhere (another host, an older hangdump, --no-redact): redact it as if captured here
            capture = redact_capture(capture)
        changes: dict = {}
        if capture.source is None:
            changes["source"] = path
        if host is not None:
            changes["host"] = host
        if pid is not None:
            changes["pid"] = pid
        if taken_at is not None:
            changes["taken_at"] = taken_at
        return capture.with_changes(**changes) if changes else capture
    if not looks_like_pyspy(data):
        raise CaptureFormatError(f"{path} is neither py-spy `dump --json` output nor a hangdump capture")
    threads = threads_from_pyspy(data, redact=redact)
    return _imported(path, raw, host, pid if pid is not None else pid_of(data), when, threads)


def _imported(
    path: str,
    raw: bytes,
    host: str | None,
    pid: int | None,
    when: float,
    threads: tuple[ThreadStack, ...],
    process: ProcessFacts | None = None,
    fmt: str = "py-spy json",
) -> Capture:
    """A capture of an imported py-spy dump; its id derives from the file's content, so a re-import is a no-op."""
    from forensics.capture.base import new_capture_id

    the_host = host or "unknown"
    return Capture(
        id=new_capture_id(when, the_host, pid, salt=hashlib.sha1(raw).hexdigest()[:8]),
        host=the_host,
        pid=pid,
        taken_at=when,
        method="import",
        trigger=Trigger(kind="import"),
        process=process,
        threads=threads,
        tool_versions={"hangdump": __version__},
        source=path,
        options={"native": any(f.kind == "native" for t in threads for f in t.frames), "format": fmt},
    )
