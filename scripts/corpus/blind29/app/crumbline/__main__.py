"""`python -m crumbline JOB --mode MODE --opts JSON`: run one production job in the foreground."""
import sys

from crumbline.runner import run_from_argv

if __name__ == "__main__":
    sys.exit(run_from_argv(sys.argv[1:], entry="runpy"))
