"""The mempool: admitted transactions waiting for a block, in arrival order.

It refuses duplicates and keeps, per sender, the highest nonce it holds, so
that a sender may queue several transactions (nonces n, n+1, ...) before the
first is committed, while a replayed or skipped nonce is refused at the door.
It is bounded by a count and by bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable

from chain.errors import MempoolFull, TxDuplicate
from chain.tx import Transaction


class Mempool:
    """Admitted, uncommitted transactions (thread-safe)."""

    def __init__(self, max_txs: int, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self._txs: OrderedDict[bytes, Transaction] = OrderedDict()
        self._bytes = 0
        self._nonces: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.nonempty = threading.Condition(self._lock)

    def __len__(self) -> int:
        return len(self._txs)

    def __contains__(self, tx_id: bytes) -> bool:
        return tx_id in self._txs

    def pending_nonce(self, sender: str) -> int:
        """The highest nonce of ``sender`` waiting here (0 when none)."""
        return self._nonces.get(sender, 0)

    def add(self, tx_id: bytes, tx: Transaction) -> None:
        size = len(tx.to_bytes())
        with self._lock:
            if tx_id in self._txs:
                raise TxDuplicate("this transaction is already waiting for a block", tx_id=tx_id.hex())
            if len(self._txs) >= self.max_txs or self._bytes + size > self.max_bytes:
                raise MempoolFull("the mempool is full; retry later", size=len(self._txs), limit=self.max_txs)
            self._txs[tx_id] = tx
            self._bytes += size
            if tx.nonce > self._nonces.get(tx.sender, 0):
                self._nonces[tx.sender] = tx.nonce
            self._counts[tx.sender] = self._counts.get(tx.sender, 0) + 1
            self.nonempty.notify_all()

    def take(self, limit: int) -> list[Transaction]:
        """Up to ``limit`` transactions in arrival order (they stay until removed)."""
        with self._lock:
            out = []
            for tx in self._txs.values():
                if len(out) >= limit:
                    break
                out.append(tx)
            return out

    def remove(self, tx_ids: Iterable[bytes]) -> None:
        """Drop transactions (committed, or no longer admissible)."""
        with self._lock:
            for tx_id in tx_ids:
                tx = self._txs.pop(tx_id, None)
                if tx is None:
                    continue
                self._bytes -= len(tx.to_bytes())
                self._counts[tx.sender] -= 1
                if not self._counts[tx.sender]:
                    del self._counts[tx.sender], self._nonces[tx.sender]

    def wait(self, timeout: float) -> bool:
        """Wait until the mempool holds something (or ``timeout`` passes)."""
        with self._lock:
            if self._txs:
                return True
            return self.nonempty.wait_for(lambda: bool(self._txs), timeout)
