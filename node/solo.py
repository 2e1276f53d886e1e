"""Solo consensus: one validator builds, signs and appends every block.

It drives the application only through its ABCI-shaped calls. A block is made
whenever the mempool holds transactions; under load each block takes up to
``max_block_txs`` of them, so throughput grows with batching rather than with
the number of blocks. Block time is the validator's clock (never going
backwards) unless the genesis sets a scripted clock.
"""

from __future__ import annotations

import logging
import threading
import time as _time

from chain.block import Block
from chain.crypto import PrivateKey
from chain.errors import MuluError
from chain.ledger import sign_commit
from node.app import Application

log = logging.getLogger("mulu.solo")


def wall_clock_ms() -> int:
    """The validator's clock, in ms since the epoch (used only to stamp proposals)."""
    return _time.time_ns() // 1_000_000


class Solo:
    """The single-validator engine."""

    def __init__(self, app: Application, name: str, key: PrivateKey) -> None:
        validators = {v.name: v for v in app.ledger.genesis.validators}
        if name not in validators or validators[name].public_key != key.public_key:
            raise MuluError(f"this node's key is not the key of validator {name!r} in genesis",
                            code="VALIDATOR_KEY_MISMATCH", validator=name)
        if len(validators) != 1:
            raise MuluError("solo consensus runs a chain with exactly one validator",
                            code="SOLO_NEEDS_ONE_VALIDATOR", validators=sorted(validators))
        self.app = app
        self.name = name
        self.key = key
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def step(self) -> Block | None:
        """Make one block from the mempool, if it holds anything."""
        proposal = self.app.prepare_proposal(wall_clock_ms(), self.name)
        if proposal is None:
            return None
        if not proposal.block.txs:
            return None
        commit = sign_commit(self.app.ledger, proposal.block.header, self.name, self.key.sign)
        block = self.app.finalize_block(proposal, commit)
        self.app.commit(block)
        return block

    def run_until_empty(self) -> int:
        """Make blocks until the mempool is empty; return how many were made."""
        made = 0
        while self.step() is not None:
            made += 1
        return made

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="solo", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.app.mempool.wait(0.2):
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
