"""Entry point of the `farebox-worker` console script."""
import sys

from farebox.cli import dispatch


def main():
    return dispatch(sys.argv[1:], prog="farebox-worker")
