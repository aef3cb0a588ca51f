"""The thumbs helper: writes one base64 PNG preview per study to stdout."""
import base64
import os
import sys


def main(argv):
    for study in argv:
        data = base64.b64encode(os.urandom(48 * 1024)).decode()
        sys.stdout.write(f"{study} {data}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
