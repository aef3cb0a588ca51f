"""Asset registry: the plant's equipment list, cached and refreshed from the maintenance system (CMMS) under
the registry lock; work orders look their asset up through it."""
import json
import threading
import urllib.request

from .readiness import Rendezvous, report_ready


class AssetRegistry:
    def __init__(self, url):
        self.url = url
        self._lock = threading.RLock()
        self._assets = {}

    def _download_registry(self):
        with urllib.request.urlopen(self.url) as response:
            return json.loads(response.read())

    def refresh(self):
        with self._lock:
            self._assets = self._download_registry()
            return len(self._assets)

    def lookup(self, tag):
        with self._lock:
            if not self._assets:
                self.refresh()
            return self._assets.get(tag)


def _work_order(registry, tag, arrivals):
    arrivals.arrive("blocked")
    return registry.lookup(tag)


def asset_sync(opts):
    registry = AssetRegistry(f"http://127.0.0.1:{opts['port']}/cmms/api/assets?site=WTP-2")
    orders = 1 + opts.get("queued", 0)
    arrivals = Rendezvous(orders + 1)

    def refresher():
        arrivals.arrive("blocked")
        registry.refresh()

    threads = [threading.Thread(target=refresher, name="registry-refresh", daemon=True)]
    threads += [threading.Thread(target=_work_order, args=(registry, f"P-{n + 101}", arrivals),
                                 name=f"work-order-{n + 1}") for n in range(orders)]
    for thread in threads:
        thread.start()
    report_ready(*arrivals.wait())
    for thread in threads:
        thread.join()
