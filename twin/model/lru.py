"""A bounded mapping that forgets the least recently used entry: the review session's caches.

Why bounded: a reviewer who drags the time slider across a day of readings asks for a hundred
moments; each holds every analysis's per-part arrays (megabytes on a 2,000-rack hall), so an
unbounded cache grows without end over a long session. Recent moments stay, so stepping back
and forth near the current one still runs nothing twice.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `size` entries; reading or writing one makes it the most recent."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f"a cache holds at least one entry, not {size}")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The entry for `key`, computed by `compute()` (and kept) when it is not held."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = compute()
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()
