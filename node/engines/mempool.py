"""Solo's mempool: the wire bytes of admitted transactions waiting for a block, in arrival order.

What may enter is the application's call (:meth:`node.app.Application.check_txs`);
the mempool only keeps order and its bounds, by count and by bytes, as
CometBFT's own mempool does for the application behind it there.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable, Sequence

from chain.errors import MempoolFull


class Mempool:
    """Admitted, uncommitted transactions by id (thread-safe)."""

    def __init__(self, max_txs: int, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self._txs: OrderedDict[bytes, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.nonempty = threading.Condition(self._lock)

    def __len__(self) -> int:
        return len(self._txs)

    def __contains__(self, tx_id: bytes) -> bool:
        return tx_id in self._txs

    def room(self, raws: Sequence[bytes]) -> int:
        """How many of ``raws``, from the first, fit in the mempool now."""
        with self._lock:
            count, size = len(self._txs), self._bytes
            for i, raw in enumerate(raws):
                size += len(raw)
                if count + i >= self.max_txs or size > self.max_bytes:
                    return i
            return len(raws)

    def full_error(self) -> MempoolFull:
        return MempoolFull("the mempool is full; retry later", size=len(self._txs), limit=self.max_txs)

    def add(self, tx_id: bytes, raw: bytes) -> None:
        """Add an admitted transaction (its room checked by :meth:`room` under the same door)."""
        with self._lock:
            if tx_id not in self._txs:
                self._txs[tx_id] = raw
                self._bytes += len(raw)
            self.nonempty.notify_all()

    def take(self, limit: int) -> list[tuple[bytes, bytes]]:
        """Up to ``limit`` ``(tx_id, wire bytes)`` in arrival order (they stay until removed)."""
        with self._lock:
            out = []
            for item in self._txs.items():
                if len(out) >= limit:
                    break
                out.append(item)
            return out

    def remove(self, tx_ids: Iterable[bytes]) -> None:
        """Drop transactions (committed, or left out of a proposal)."""
        with self._lock:
            for tx_id in tx_ids:
                raw = self._txs.pop(tx_id, None)
                if raw is not None:
                    self._bytes -= len(raw)

    def wait(self, timeout: float) -> bool:
        """Wait until the mempool holds something (or ``timeout`` passes)."""
        with self._lock:
            if self._txs:
                return True
            return self.nonempty.wait_for(lambda: bool(self._txs), timeout)
