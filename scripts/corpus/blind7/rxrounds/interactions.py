"""Drug-interaction checks: the interaction table is cached and refreshed from the drug-knowledge service
under the cache's lock; the order checkers read through it."""
import json
import threading
import urllib.request

from .beacon import Roster, report_ready


class InteractionCache:
    def __init__(self, url):
        self.url = url
        self._lock = threading.RLock()
        self._pairs = {}

    def _download(self):
        with urllib.request.urlopen(self.url) as reply:
            return json.loads(reply.read())

    def reload(self):
        with self._lock:
            self._pairs = self._download()
            return len(self._pairs)

    def interacts(self, first, second):
        with self._lock:
            if not self._pairs:
                self.reload()
            return self._pairs.get(f"{first}+{second}", False)


def _check_order(cache, drug, roster):
    roster.sign_on("blocked")
    return cache.interacts(drug, "warfarin")


def interaction_refresh(config):
    cache = InteractionCache(f"http://127.0.0.1:{config['port']}/dkb/v2/interactions?formulary=adult")
    checkers = 1 + config.get("queued", 0)
    roster = Roster(checkers + 1)

    def reloader():
        roster.sign_on("blocked")
        cache.reload()

    threads = [threading.Thread(target=reloader, name="dkb-reload", daemon=True)]
    threads += [threading.Thread(target=_check_order, args=(cache, f"drug-{n + 1}", roster), name=f"check-{n + 1}")
                for n in range(checkers)]
    for thread in threads:
        thread.start()
    report_ready(*roster.all_present())
    for thread in threads:
        thread.join()
