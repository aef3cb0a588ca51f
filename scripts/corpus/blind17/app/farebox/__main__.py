"""`python -m farebox JOB --harness H --config JSON`: run one backend job in the foreground."""
import sys

from farebox.cli import dispatch

if __name__ == "__main__":
    sys.exit(dispatch(sys.argv[1:], prog="python -m farebox"))
