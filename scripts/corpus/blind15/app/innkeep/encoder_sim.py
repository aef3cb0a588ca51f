"""Bench simulator of the key-card encoder daemon: reads a request, then waits for a card to be placed on the
encoder (a line `card <uid>` on its input) before it answers, as the real device does."""
import json
import sys


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        card = sys.stdin.readline().split()  # "card 04A1B2C3": the card placed on the pad
        reply = {"ok": bool(card), "room": request.get("room"), "uid": card[1] if len(card) > 1 else None}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
