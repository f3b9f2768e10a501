"""Allows each client a number of requests per minute; called from every worker thread."""

import threading
import time


class RateLimiter:
    def __init__(self, per_minute):
        self.per_minute = per_minute
        self._windows = {}
        self._lock = threading.Lock()

    def _count(self, client, now):
        with self._lock:
            start, count = self._windows.get(client, (now, 0))
            if now - start >= 60:
                return now, 0
            return start, count

    def allow(self, client):
        now = time.monotonic()
        start, count = self._count(client, now)
        if count >= self.per_minute:
            return False
        with self._lock:
            self._windows[client] = (start, count + 1)
        return True


if __name__ == "__main__":
    limiter = RateLimiter(per_minute=5)
    allowed = []
    threads = [
        threading.Thread(target=lambda: allowed.append(limiter.allow("client-1")))
        for _ in range(50)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("allowed:", allowed.count(True), "of 50 (the limit is 5)")
