"""Tariff sheets from the port authority's API."""
import http.client
import json

from quaysync import lifecycle


def pull_tariff_sheet(opts):
    lifecycle.expect(tariff="recv")
    conn = http.client.HTTPConnection("127.0.0.1", opts["port"])
    conn.request("GET", "/tariffs/2026/Q4", headers={"Accept": "application/json"})
    lifecycle.enter("tariff")
    reply = conn.getresponse()
    return json.loads(reply.read())
