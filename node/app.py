"""The node's application behind an ABCI-shaped boundary.

Consensus engines drive the chain only through these calls, named after
CometBFT's ABCI++: :meth:`check_tx` (admission to the mempool),
:meth:`prepare_proposal` / :meth:`process_proposal` (build or check a block),
:meth:`finalize_block` (append it with its commit), :meth:`commit` (release
what the block settled), :meth:`query` and :meth:`info`. ``solo`` sits behind
it today; ``tbft`` or CometBFT could tomorrow.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Sequence

from chain.block import Block, Commit
from chain.errors import (
    BatchTooLarge,
    MuluError,
    NonceGap,
    NonceReplayed,
    SignatureInvalid,
    TxDuplicate,
    TxRejected,
    TxTooLarge,
)
from chain.execution import Authenticator, admit_static, nonce_key
from chain.ledger import Ledger, Proposal
from chain.tx import Transaction
from node.mempool import Mempool


@dataclass(frozen=True)
class Admission:
    """The answer to one submitted transaction: its id, or the error refusing it."""

    tx_id: bytes | None
    error: MuluError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Application:
    """Mempool admission, block building and appending over one :class:`Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.mempool = Mempool(ledger.params["mempool_max_txs"])
        self._door = threading.Lock()
        self.committed = threading.Condition()

    # --- info and admission ----------------------------------------------------

    def info(self) -> dict[str, Any]:
        tip = self.ledger.tip
        g = self.ledger.genesis
        return {"chain_id": g.chain_id, "profile": g.profile.name, "genesis_hash": g.hash.hex(),
                "height": tip.height, "tip_hash": tip.hash.hex(), "tip_time": tip.time,
                "mempool": len(self.mempool)}

    def check_tx(self, raw: bytes) -> bytes:
        """Admit one transaction to the mempool; return its id or raise the refusal."""
        admission = self.check_txs([raw])[0]
        if admission.error is not None:
            raise admission.error
        return admission.tx_id

    def check_txs(self, raws: Sequence[bytes]) -> list[Admission]:
        """Admit a batch; each transaction is answered on its own.

        Signatures are verified in parallel; nonces are checked in order
        against committed state and what the mempool already holds, so one
        sender may submit consecutive nonces in a batch.

        The whole batch is decoded and checked first, then verified on the
        pool while this thread waits: verification overlapped with decoding
        measured slower, since each verifying thread must win the GIL back
        from this busy one after every signature.
        """
        ledger = self.ledger
        params = ledger.params
        if len(raws) > params["max_batch_txs"]:
            raise BatchTooLarge(f"a batch holds at most {params['max_batch_txs']} transactions",
                                size=len(raws), limit=params["max_batch_txs"])
        total = sum(len(r) for r in raws)
        if total > params["max_batch_bytes"]:
            raise BatchTooLarge(f"a batch holds at most {params['max_batch_bytes']} bytes",
                                size=total, limit=params["max_batch_bytes"])
        out: list[Admission | None] = [None] * len(raws)
        staged: list[tuple[int, bytes, bytes, Transaction]] = []
        state = ledger.state
        authenticate = Authenticator(ledger.machine, state)
        for i, raw in enumerate(raws):
            try:
                if len(raw) > params["max_tx_bytes"]:
                    raise TxTooLarge(f"transaction is {len(raw)} bytes; the limit is {params['max_tx_bytes']}",
                                     size=len(raw), limit=params["max_tx_bytes"])
                tx = Transaction.from_bytes(raw)
                admit_static(ledger.genesis, params, tx)
                public_key = authenticate(tx)
                ledger.machine.admit(state, tx)
                staged.append((i, tx.tx_id(ledger.profile), public_key, tx))
            except TxRejected as exc:
                out[i] = Admission(None, exc)
        oks = ledger.signatures.check_many([(t, pk, tx) for _, t, pk, tx in staged])
        with self._door:
            for (i, tx_id, _, tx), ok in zip(staged, oks):
                try:
                    if not ok:
                        raise SignatureInvalid("signature does not verify", sender=tx.sender, key_id=tx.key_id)
                    if tx_id in self.mempool:
                        raise TxDuplicate("this transaction is already waiting for a block", tx_id=tx_id.hex())
                    self._check_nonce(tx)
                    self.mempool.add(tx_id, tx)
                    out[i] = Admission(tx_id)
                except TxRejected as exc:
                    out[i] = Admission(None, exc)
        return out  # type: ignore[return-value]

    def _check_nonce(self, tx: Transaction) -> None:
        committed = self.ledger.state.get(nonce_key(tx.sender)) or 0
        expected = max(committed, self.mempool.pending_nonce(tx.sender)) + 1
        if tx.nonce < expected:
            raise NonceReplayed(f"nonce {tx.nonce} already used or waiting; next is {expected}",
                                sender=tx.sender, nonce=tx.nonce, expected=expected)
        if tx.nonce > expected:
            raise NonceGap(f"nonce {tx.nonce} skips ahead; next is {expected}",
                           sender=tx.sender, nonce=tx.nonce, expected=expected)

    def next_nonce(self, sender: str) -> int:
        committed = self.ledger.state.get(nonce_key(sender)) or 0
        return max(committed, self.mempool.pending_nonce(sender)) + 1

    # --- blocks ----------------------------------------------------------------

    def prepare_proposal(self, time: int, proposer: str) -> Proposal | None:
        """Build the next block from the mempool (None when it is empty)."""
        txs = self.mempool.take(self.ledger.params["max_block_txs"])
        if not txs:
            return None
        proposal = self.ledger.propose(txs, time, proposer)
        if proposal.rejected:
            profile = self.ledger.profile
            self.mempool.remove(tx.tx_id(profile) for tx, _ in proposal.rejected)
        return proposal

    def process_proposal(self, block: Block) -> Proposal:
        """Check a proposed block by re-executing it; raises BlockInvalid."""
        return self.ledger.process(block)

    def finalize_block(self, proposal: Proposal, commit: Commit) -> Block:
        """Append the block with its commit (one atomic write)."""
        return self.ledger.append(proposal, commit)

    def commit(self, block: Block) -> None:
        """Release the block's transactions from the mempool and wake waiters."""
        with self._door:
            self.mempool.remove(r.tx_id for r in block.results)
        with self.committed:
            self.committed.notify_all()

    def wait_for_height(self, height: int, timeout: float) -> bool:
        with self.committed:
            return self.committed.wait_for(lambda: self.ledger.tip.height >= height, timeout)
