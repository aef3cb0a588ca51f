"""The subtitle aligner tool: reads the cue list on stdin (to EOF), answers one aligned cue per line."""
import json
import sys


def main():
    cues = json.loads(sys.stdin.read() or "[]")
    for cue in cues:
        sys.stdout.write(json.dumps({"id": cue["id"], "start": cue["start"] + 0.04}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
