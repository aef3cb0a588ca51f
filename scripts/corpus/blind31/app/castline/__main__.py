import sys

from castline.console import run_from_argv

if __name__ == "__main__":
    sys.exit(run_from_argv(sys.argv[1:], prog="python -m castline"))
