"""A small in-memory inventory service, used from many request threads at once."""

import threading


class Inventory:
    def __init__(self):
        self._stock = {}
        self._lock = threading.Lock()

    def add(self, sku, count):
        with self._lock:
            self._stock[sku] = self._stock.get(sku, 0) + count

    def available(self, sku):
        with self._lock:
            return self._stock.get(sku, 0)

    def reserve(self, sku, count):
        """Take `count` items of `sku` for an order; False when there are not enough."""
        if self.available(sku) < count:
            return False
        with self._lock:
            self._stock[sku] -= count
        return True


if __name__ == "__main__":
    inventory = Inventory()
    inventory.add("chair", 1)
    threads = [threading.Thread(target=inventory.reserve, args=("chair", 1)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("chairs left:", inventory.available("chair"))
