"""Tool versions are asked once per binary, and again when the binary changes."""
from __future__ import annotations

import os

import pytest

from forensics.capture.pyspy import pyspy_version
from forensics.toolversion import MAX_ENTRIES


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


def test_binaries_that_are_gone_leave_the_cache_before_a_live_one(tmp_path):
    """Test runs make many short-lived binaries: they must not push out the one every capture uses."""
    if not (os.geteuid() == 0 or os.environ.get("XDG_RUNTIME_DIR")):
        pytest.skip("no private runtime directory: nothing is cached")
    calls = tmp_path / "calls"
    live = fake_pyspy(tmp_path / "py-spy", "9.9.1", calls)
    assert pyspy_version(live) == "9.9.1"
    for i in range(MAX_ENTRIES + 8):
        gone = fake_pyspy(tmp_path / f"py-spy-{i}", "9.9.0", tmp_path / "other")
        assert pyspy_version(gone) == "9.9.0"
        os.unlink(gone)
    assert pyspy_version(live) == "9.9.1" and calls.read_text().count("x") == 1
