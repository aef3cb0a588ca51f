"""The entry point's way into `collect` without click reads an argv exactly as click does, or leaves it to click."""
from __future__ import annotations

import click
import pytest

from forensics.cli.collect import command
from forensics.cli.collecting import from_argv


def parsed_by_click(argv: list[str]) -> dict:
    return command.make_context("collect", list(argv)).params


@pytest.mark.parametrize(
    "argv",
    [
        ["--pid", "12"],
        ["--pid=12", "--pid", "13", "--pid", "12", "--native", "--json", "--store", "{tmp}/store"],
        ["--pid", "12", "--method", "py-spy", "--timeout", "3", "--timings"],
        ["--pid", "1", "--locals", "--no-redact", "--no-store", "--children", "--match", "celery", "--method=auto"],
        ["--match", "gunicorn", "--timeout", "1e-3", "--store", "", "--py-spy", "{tmp}/no-such-py-spy"],
        ["--pid", "7", "--store", "--json"],  # an option's value that looks like an option
        ["--pid", "7", "--store", "{tmp}/a", "--store", "{tmp}"],  # the last one counts
    ],
)
@pytest.mark.parametrize("home", [None, "", "{tmp}/home"])
def test_a_plain_capture_is_read_as_click_reads_it(argv, home, tmp_path, monkeypatch):
    argv = [a.format(tmp=tmp_path) for a in argv]
    if home is None:
        monkeypatch.delenv("HANGDUMP_HOME", raising=False)
    else:
        monkeypatch.setenv("HANGDUMP_HOME", home.format(tmp=tmp_path))
    assert from_argv(argv) == parsed_by_click(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["--pid", "1", "--timeout", "0"],
        ["--pid", "1", "--timeout", "-2"],
        ["--pid", "1", "--timeout", "soon"],
        ["--pid", "1", "--store", "{file}"],  # click.Path(file_okay=False)
        ["--pid", "1", "--py-spy", "{tmp}"],  # click.Path(dir_okay=False)
    ],
)
def test_what_click_refuses_is_left_to_click(argv, tmp_path, monkeypatch):
    monkeypatch.delenv("HANGDUMP_HOME", raising=False)
    (tmp_path / "f").write_text("")
    argv = [a.format(tmp=tmp_path, file=tmp_path / "f") for a in argv]
    assert from_argv(argv) is None
    with pytest.raises(click.BadParameter):
        parsed_by_click(argv)


def test_a_store_from_the_environment_is_checked_as_click_checks_it(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    monkeypatch.setenv("HANGDUMP_HOME", str(tmp_path / "f"))
    assert from_argv(["--pid", "1"]) is None
    with pytest.raises(click.BadParameter):
        parsed_by_click(["--pid", "1"])


@pytest.mark.parametrize("argv", [["--pid", "1", "--help"], ["--pid", "1", "--no-native"], ["--core", "c"],
                                  ["--pid", "1", "--benign", "a:b"], ["--pid", "²"], ["--pid", "1", "extra"]])
def test_anything_else_goes_to_click(argv):
    assert from_argv(argv) is None
