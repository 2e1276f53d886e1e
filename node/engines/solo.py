"""Solo: the one-validator engine, the embedded default (Python only).

It drives the application only through the engine boundary, in CometBFT's
order: ``prepare_proposal`` from its mempool, ``extend_vote`` (its own vote
extension is the block's whole certificate: one validator holds all the
power), ``finalize_block``, ``commit``. A block is made whenever the mempool
holds transactions; under load each block takes up to ``max_block_txs`` of
them, so throughput grows with batching rather than with the number of
blocks. Its time is this node's clock; the application turns it into block
time by the chain's clock (never going backwards, or scripted in genesis).

The door and block production take turns (one lock): run side by side, the
door's verifying threads, which need the GIL back after every signature, take
it from the block being executed at each of its store reads: catalog entries
submitted in batches of 1,000 while blocks were made committed at 2,350 a
second side by side, 2,570 taking turns.
"""

from __future__ import annotations

import logging
import threading
import time as _time
from typing import Sequence

from chain.errors import MuluError
from chain.genesis import Genesis
from node.app import Application
from node.boundary import BlockRequest, CheckTxResult, FinalizeRequest, FinalizeResult, ValidatorPower, Vote
from node.engines.mempool import Mempool

log = logging.getLogger("mulu.solo")


def wall_clock_ms() -> int:
    """This node's clock, in ms since the epoch (used only to stamp proposals)."""
    return _time.time_ns() // 1_000_000


class Solo:
    """The single-validator engine over one :class:`Application`."""

    name = "solo"

    def __init__(self, app: Application, genesis: Genesis) -> None:
        if len(genesis.validators) != 1:
            raise MuluError("solo consensus runs a chain with exactly one validator",
                            code="SOLO_NEEDS_ONE_VALIDATOR", validators=sorted(v.name for v in genesis.validators))
        if app.validator is None:
            raise MuluError("solo consensus needs this node's validator key", code="VALIDATOR_KEY_MISSING")
        self.app = app
        self.genesis = genesis
        self.validator = app.validator[0]
        self.max_block_txs = genesis.params["max_block_txs"]
        self.mempool = Mempool(genesis.params["mempool_max_txs"])
        self._door = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        if app.info().height == 0:
            app.init_chain(genesis.chain_id, genesis.genesis_time,
                           [ValidatorPower(v.name, v.power) for v in genesis.validators])

    # --- the door -----------------------------------------------------------------------------

    def submit(self, raws: Sequence[bytes]) -> list[CheckTxResult]:
        """Admit transactions to the mempool, each answered on its own (``MEMPOOL_FULL`` past its
        bounds, checked before the application sees them, as CometBFT's mempool does)."""
        with self._door:
            room = self.mempool.room(raws)
            if room < len(raws):  # check_txs checks a whole batch itself; here it sees only a part
                self.app.check_batch(raws)
            results = self.app.check_txs(raws[:room]) if room else []
            for raw, result in zip(raws, results):
                if result.ok:
                    self.mempool.add(result.tx_id, raw)
            return results + [CheckTxResult(None, self.mempool.full_error()) for _ in raws[room:]]

    def pending(self, tx_id: bytes) -> bool:
        """Whether ``tx_id`` waits in the mempool."""
        return tx_id in self.mempool

    def pending_count(self) -> int:
        return len(self.mempool)

    def describe(self) -> dict:
        """One node: its own height, no peers, never catching up."""
        return {"engine_height": self.app.info().height, "peers": 0, "catching_up": False}

    # --- blocks -------------------------------------------------------------------------------

    def step(self) -> FinalizeResult | None:
        """Make one block from the mempool, if it holds anything admissible (the door waits meanwhile)."""
        with self._door:
            return self._step()

    def _step(self) -> FinalizeResult | None:
        taken = self.mempool.take(self.max_block_txs)
        if not taken:
            return None
        height = self.app.info().height + 1
        now = wall_clock_ms()
        kept = self.app.prepare_proposal(BlockRequest(height, now, self.validator, tuple(raw for _, raw in taken)))
        if len(kept) < len(taken):
            keep = set(kept)
            self.mempool.remove(tx_id for tx_id, raw in taken if raw not in keep)
        if not kept:
            return None
        block = BlockRequest(height, now, self.validator, tuple(kept))
        vote = Vote(self.validator, self.app.extend_vote(block))
        result = self.app.finalize_block(FinalizeRequest(height, now, self.validator, block.txs, votes=(vote,)))
        self.app.commit()
        self.mempool.remove(r.tx_id for r in result.tx_results)
        return result

    def run_until_empty(self) -> int:
        """Make blocks until the mempool is empty; return how many were made."""
        made = 0
        while self.mempool:
            if self.step() is not None:
                made += 1
        return made

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="solo", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.mempool.wait(0.2):
                continue
            try:
                self.step()
            except Exception as exc:  # a fault here must stop the node loudly, not spin
                log.exception("block production failed; the engine stops")
                self.error = exc
                self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
