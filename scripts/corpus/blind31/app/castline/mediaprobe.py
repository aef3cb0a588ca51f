"""The media probe tool: prints a full stream/frame report of a clip as JSON."""
import json
import sys


def main():
    frames = [{"n": n, "pts": n * 40, "key": n % 12 == 0, "size": 4096 + n % 97} for n in range(40000)]
    json.dump({"clip": sys.argv[1:], "streams": [{"codec": "h264"}, {"codec": "pcm_s24le"}], "frames": frames},
              sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
