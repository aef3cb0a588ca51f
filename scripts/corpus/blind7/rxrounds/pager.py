"""Ward paging: stat orders and critical lab values are published on the pager redis for the ward phones."""
import json

import redis

from .beacon import expect, report_ready


class WardPager:
    def __init__(self, port):
        self.client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=None, socket_connect_timeout=None)

    def page_ward(self, ward, priority, text):
        message = json.dumps({"ward": ward, "priority": priority, "text": text})
        return self.client.publish(f"pager:{ward}", message)


def ward_page(config):
    pager = WardPager(config["port"])
    report_ready(expect("recv"))
    pager.page_ward(f"ward-{config.get('unit', 1)}", "stat", "critical potassium 6.8, bed 4")
