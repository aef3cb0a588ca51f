"""Tool versions are asked once per binary, and again when the binary changes."""
from __future__ import annotations

import os

from forensics.capture.pyspy import pyspy_version


def fake_pyspy(path, version: str, calls) -> str:
    said = f"echo 'py-spy {version}'" if version else "exit 1"
    path.write_text(f"#!/bin/sh\necho x >> {calls}\n{said}\n")
    path.chmod(0o755)
    return str(path)


def test_a_binary_is_asked_once_then_again_once_replaced(tmp_path):
    calls = tmp_path / "calls"
    binary = fake_pyspy(tmp_path / "py-spy", "9.9.1", calls)
    assert [pyspy_version(binary) for _ in range(3)] == ["9.9.1"] * 3
    asked = calls.read_text().count("x")
    assert asked == (1 if os.geteuid() == 0 or os.environ.get("XDG_RUNTIME_DIR") else 3)
    os.unlink(binary)  # an upgrade: a new file at the same path
    fake_pyspy(tmp_path / "py-spy", "9.9.2", calls)
    assert pyspy_version(binary) == "9.9.2"
    assert calls.read_text().count("x") == asked + 1


def test_a_failed_ask_is_not_remembered(tmp_path):
    calls = tmp_path / "calls"
    binary = fake_pyspy(tmp_path / "py-spy", "", calls)
    assert pyspy_version(binary) is None and pyspy_version(binary) is None
    assert calls.read_text().count("x") == 2
