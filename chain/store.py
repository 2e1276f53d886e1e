"""The key-value store behind a node: one interface, two implementations.

:class:`LevelStore` keeps data in LevelDB (plyvel) in the node's home folder;
:class:`MemoryStore` keeps it in a sorted map for tests and simulations. Both
write through :meth:`Store.write`, one atomic batch: a crash leaves either all
of a batch or none of it, which is what lets a block, its results, its state
writes and its indexes land together.

A LevelStore is made once, by ``create=True`` (``mulu init``), and afterwards
only opened: opening never creates, so a lost store is refused
(:class:`StoreMissing`) instead of silently replaced by an empty one. Every
read verifies LevelDB's block checksums, and every fault of the files, at
open or on a read, is :class:`StoreCorrupt`.
"""

from __future__ import annotations

import threading
from collections import deque
from itertools import starmap
from typing import Iterable, Iterator, Protocol

from sortedcontainers import SortedDict

from chain.errors import StorageError, StoreCorrupt, StoreLocked
from chain.leveldb_files import check_folder

Batch = Iterable[tuple[bytes, bytes | None]]
"""Puts and deletes in order: ``(key, value)`` puts, ``(key, None)`` deletes."""


class Store(Protocol):
    """Ordered bytes → bytes map with atomic batches."""

    created: bool
    """True when this store was made empty by this open: only then may a ledger write
    a genesis into it (an existing store without one is damaged, not new)."""

    def get(self, key: bytes) -> bytes | None:
        """The value at ``key``, or None."""

    def write(self, batch: Batch) -> None:
        """Apply puts and deletes atomically (all or nothing, durable on return)."""

    def items(
        self, prefix: bytes = b"", *, start: bytes | None = None, stop: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Items whose key starts with ``prefix`` and lies in [start, stop), in key order."""

    def close(self) -> None:
        """Release the store."""


def _bounds(prefix: bytes, start: bytes | None, stop: bytes | None) -> tuple[bytes, bytes | None]:
    lo = prefix if start is None or start < prefix else start
    hi = _prefix_end(prefix)
    if stop is not None and (hi is None or stop < hi):
        hi = stop
    return lo, hi


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


class MemoryStore:
    """An in-memory :class:`Store`, for tests and the network simulator."""

    def __init__(self) -> None:
        self._data: SortedDict = SortedDict()
        self._lock = threading.Lock()
        self.created = True  # every MemoryStore starts empty and new
        self.closed = False

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def write(self, batch: Batch) -> None:
        items = list(batch)
        for key, value in items:
            if not isinstance(key, bytes) or not (value is None or isinstance(value, bytes)):
                raise StorageError("store keys and values are bytes", key=repr(key)[:80])
        with self._lock:
            for key, value in items:
                if value is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = value

    def items(self, prefix=b"", *, start=None, stop=None, reverse=False):
        lo, hi = _bounds(prefix, start, stop)
        with self._lock:  # a snapshot, as LevelDB iterators give
            snapshot = [(k, self._data[k]) for k in self._data.irange(lo, hi, inclusive=(True, False),
                                                                        reverse=reverse)]
        yield from snapshot

    def close(self) -> None:
        self.closed = True


class LevelStore:
    """A LevelDB :class:`Store` in folder ``path``.

    ``create=True`` makes a new store there, refusing a folder that already holds
    one; otherwise the folder must hold a whole store (:func:`check_folder`,
    before LevelDB sees it) and LevelDB opens it without ever creating one.
    """

    def __init__(self, path: str, *, create: bool = False, sync: bool = True) -> None:
        import plyvel

        self._plyvel = plyvel
        self._sync = sync
        self.created = create
        if not create:
            check_folder(path)
        try:
            self._db = plyvel.DB(path, create_if_missing=create, error_if_exists=create, paranoid_checks=True,
                                  bloom_filter_bits=10, lru_cache_size=64 << 20, write_buffer_size=32 << 20)
        except plyvel.Error as exc:
            if isinstance(exc, plyvel.IOError) and "/LOCK:" in str(exc):
                raise StoreLocked(f"another process holds the store in {path} (is a node running there?)",
                                  path=path) from None
            raise self._error(exc, f"cannot {'create' if create else 'open'} the store in {path}",
                              path=path) from exc

    def _error(self, exc: Exception, what: str, **details) -> StorageError:
        """LevelDB's error as ours: damaged files are :class:`StoreCorrupt`, whether LevelDB
        says "Corruption" or, reading past the end of a truncated table, "Invalid argument"."""
        message = str(exc.args[0], "utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        corrupt = isinstance(exc, self._plyvel.CorruptionError) or (
            isinstance(exc, self._plyvel.IOError) and "Invalid argument" in message)
        return (StoreCorrupt if corrupt else StorageError)(f"{what}: {message}", **details)

    def get(self, key: bytes) -> bytes | None:
        try:
            return self._db.get(key, verify_checksums=True)
        except self._plyvel.Error as exc:
            raise self._error(exc, "store read failed", key=key[:64].hex()) from exc

    def write(self, batch: Batch) -> None:
        try:
            with self._db.write_batch(sync=self._sync, transaction=True) as wb:
                items = batch if isinstance(batch, list) else list(batch)
                if any(value is None for _, value in items):  # deletes among them: in order
                    for key, value in items:
                        if value is None:
                            wb.delete(key)
                        else:
                            wb.put(key, value)
                else:  # a block is a hundred thousand puts: no loop in Python
                    deque(starmap(wb.put, items), maxlen=0)
        except TypeError as exc:
            raise StorageError(f"store write failed: {exc}") from exc
        except self._plyvel.Error as exc:
            raise self._error(exc, "store write failed") from exc

    def items(self, prefix=b"", *, start=None, stop=None, reverse=False):
        lo, hi = _bounds(prefix, start, stop)
        try:
            if not reverse:
                yield from self._db.iterator(start=lo, stop=hi, verify_checksums=True)
                return
            # plyvel skips a reverse range's lower bound when it is the only key,
            # so bound the range by hand on that side.
            for key, value in self._db.iterator(stop=hi, reverse=True, verify_checksums=True):
                if key < lo:
                    return
                yield key, value
        except self._plyvel.Error as exc:
            raise self._error(exc, "store read failed") from exc

    def close(self) -> None:
        self._db.close()
