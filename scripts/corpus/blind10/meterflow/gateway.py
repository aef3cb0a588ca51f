"""Outbound calls: the payment processor's batch API and the reading-event stream in redis."""
import json
import urllib.request


def post_payment_batch(port, payments):
    body = json.dumps(payments).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v2/batches", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return resp.read()


def push_reading_event(port, reading):
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    client.rpush("readings", json.dumps(reading))
