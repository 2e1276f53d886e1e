"""One bounded cache for every memo a node keeps: verified signatures, checked
calls, decoded state-tree nodes, accepted argument texts.

Two generations of plain dicts: entries go into the young one; when it holds
half the capacity it becomes the old one and the old one is dropped. A hit in
the old generation moves the entry back to the young one, so what is in use
stays. Lookups and inserts are a dict operation or two, eviction drops half the
entries at once in O(1), and the cache never holds more than ``capacity``
entries. A cache only ever saves work: callers must get the same answer
without it.
"""

from __future__ import annotations

from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class BoundedMap(Generic[K, V]):
    """A map of at most ``capacity`` entries, the least recently used dropped first (by generation)."""

    __slots__ = ("_young", "_old", "_half")

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("a bounded cache holds at least 2 entries")
        self._young: dict = {}
        self._old: dict = {}
        self._half = capacity // 2

    def get(self, key: K, default: V | None = None) -> V | None:
        value = self._young.get(key, _MISSING)
        if value is not _MISSING:
            return value
        value = self._old.get(key, _MISSING)
        if value is _MISSING:
            return default
        self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        young = self._young
        young[key] = value
        if len(young) >= self._half:
            self._old, self._young = young, {}

    def update(self, items: dict[K, V]) -> None:
        for key, value in items.items():
            self.put(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._young or key in self._old

    def __len__(self) -> int:
        return len(self._young) + sum(1 for k in self._old if k not in self._young)

    def clear(self) -> None:
        self._young, self._old = {}, {}


class BoundedSet(BoundedMap[K, None]):
    """A set of at most ``capacity`` members (a :class:`BoundedMap` to None)."""

    __slots__ = ()

    def add(self, key: K) -> None:
        self.put(key, None)
