"""The node's application: the one boundary every consensus engine drives.

Shaped after ABCI 2.0 (CometBFT v0.38), so that an ABCI server can serve it to
CometBFT unchanged while ``solo`` drives the same calls in process:

* :meth:`Application.info`, :meth:`~Application.init_chain`: what is committed; the genesis check;
* :meth:`~Application.check_tx` (:meth:`~Application.check_txs` for a batch): the door
  before an engine's mempool (:mod:`chain.admission`);
* :meth:`~Application.prepare_proposal`, :meth:`~Application.process_proposal`: build a
  block from the mempool's transactions, or check one proposed by another;
* :meth:`~Application.extend_vote`, :meth:`~Application.verify_vote_extension`: this
  validator's signature, with its mulu key, over the block's mulu header hash, and the
  check of another's; the block's commit certificate is made of them;
* :meth:`~Application.finalize_block`, :meth:`~Application.commit`: execute a decided
  block, then store it;
* :meth:`~Application.query`: the contracts' read-only queries.

Every call takes and returns plain data (:mod:`node.boundary`). The application
persists only in :meth:`commit`: a block executed while proposing, processing,
voting or finalizing is held as a candidate until then, so a block that is
never decided leaves nothing behind, and a crash before commit leaves the
previous block as the tip.

The door keeps a *check state*: the transactions it admitted that no block has
settled yet, so that a sender may queue consecutive nonces and a resubmitted
transaction is a duplicate. A committed block settles its transactions; a
proposal settles those it leaves out.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

from chain.admission import Screen, check_nonce, committed_nonce
from chain.block import Commit, CommitSig, vote_bytes
from chain.crypto import PrivateKey
from chain.encoding import decode, encode
from chain.errors import (
    BadRequest,
    BatchTooLarge,
    BlockInvalid,
    EncodingError,
    GenesisInvalid,
    MuluError,
    TxDuplicate,
    TxRejected,
)
from chain.ledger import Candidate, Ledger
from chain.tx import Transaction
from contracts.registry import Registry
from node.boundary import (
    AppInfo,
    BlockRequest,
    CheckTxResult,
    CommitResult,
    FinalizeRequest,
    FinalizeResult,
    QueryResult,
    ValidatorPower,
)

ROUND = 0
"""The round a mulu commit certificate names: its signatures are over the block's mulu header hash,
which is the same whichever engine round decided the block."""


class Application:
    """The chain behind the engine boundary, over one :class:`Ledger` run by the contract :class:`Registry`.

    ``validator`` is this node's validator name in genesis and its mulu key
    (None on a node that does not vote): :meth:`extend_vote` signs with it.
    """

    def __init__(self, ledger: Ledger, registry: Registry, validator: tuple[str, PrivateKey] | None = None) -> None:
        self.ledger = ledger
        self.registry = registry
        self.genesis = ledger.genesis
        self.profile = ledger.profile
        self._validators = {v.name: v for v in self.genesis.validators}
        if validator is not None:
            name, key = validator
            if name not in self._validators or self._validators[name].public_key != key.public_key:
                raise MuluError(f"this node's key is not the key of validator {name!r} in genesis",
                                code="VALIDATOR_KEY_MISMATCH", validator=name)
        self.validator = validator
        self._door = threading.Lock()
        self._waiting: dict[bytes, Transaction] = {}  # check state: wire bytes -> admitted transaction
        self._next: dict[str, int] = {}  # sender -> highest nonce waiting
        self._count: dict[str, int] = {}  # sender -> transactions waiting
        self._candidates: list[Candidate] = []  # blocks executed at the next height, not yet decided
        self._decided: tuple[Candidate, Commit] | None = None  # finalized, stored by commit()
        self.committed = threading.Condition()

    # --- info -------------------------------------------------------------------------------

    def info(self) -> AppInfo:
        tip = self.ledger.tip
        g = self.genesis
        return AppInfo(g.chain_id, g.profile.name, g.hash, tip.height, tip.hash, tip.time)

    def init_chain(self, chain_id: str, time: int, validators: Sequence[ValidatorPower]) -> bytes:
        """Check that the engine runs the chain of this genesis; return the application hash.

        The engine's chain id, genesis time and validator set (names and
        power) must be the mulu genesis's; the initial state is the genesis's
        own, written when the store was made.
        """
        g = self.genesis
        ours = sorted((v.name, v.power) for v in g.validators)
        theirs = sorted((v.name, v.power) for v in validators)
        for name, mine, given in (("chain_id", g.chain_id, chain_id), ("genesis_time", g.genesis_time, time),
                                  ("validators", ours, theirs)):
            if mine != given:
                raise GenesisInvalid(f"the engine's {name} differs from the mulu genesis", field=name,
                                     expected=repr(mine)[:200], got=repr(given)[:200])
        return self.ledger.block_hash(0)

    # --- the door ---------------------------------------------------------------------------

    def check_tx(self, raw: bytes) -> CheckTxResult:
        """Admit one transaction to the check state (ABCI ``CheckTx``)."""
        return self.check_txs([raw])[0]

    def check_txs(self, raws: Sequence[bytes]) -> list[CheckTxResult]:
        """Admit a batch; each transaction is answered on its own.

        Steps 1 to 6 of admission run over committed state for the whole
        batch, signatures in parallel (verification overlapped with decoding
        measured slower: each verifying thread must win the GIL back from this
        busy one after every signature); then, in order, each transaction must
        be new and carry its sender's next nonce after committed state and
        what already waits, so one sender may submit consecutive nonces in a batch.
        """
        self.check_batch(raws)
        params = self.ledger.params
        ledger = self.ledger
        state = ledger.state
        screened = Screen(ledger.machine, self.genesis, params, state, ledger.signatures).screen(raws)
        out: list[CheckTxResult] = []
        with self._door:
            for raw, tx in zip(raws, screened):
                try:
                    if isinstance(tx, TxRejected):
                        raise tx
                    if raw in self._waiting:
                        raise TxDuplicate("this transaction is already waiting for a block",
                                          tx_id=tx.tx_id(self.profile).hex())
                    sender = tx.sender
                    check_nonce(tx, max(committed_nonce(state, sender), self._next.get(sender, 0)) + 1)
                except TxRejected as exc:
                    out.append(CheckTxResult(None, exc))
                    continue
                self._waiting[tx.to_bytes()] = tx
                self._next[sender] = tx.nonce
                self._count[sender] = self._count.get(sender, 0) + 1
                out.append(CheckTxResult(tx.tx_id(self.profile)))
        return out

    def check_batch(self, raws: Sequence[bytes]) -> None:
        """Refuse a batch over the chain's limits (``max_batch_txs``, ``max_batch_bytes``) as a whole."""
        params = self.ledger.params
        if len(raws) > params["max_batch_txs"]:
            raise BatchTooLarge(f"a batch holds at most {params['max_batch_txs']} transactions",
                                size=len(raws), limit=params["max_batch_txs"])
        total = sum(len(r) for r in raws)
        if total > params["max_batch_bytes"]:
            raise BatchTooLarge(f"a batch holds at most {params['max_batch_bytes']} bytes",
                                size=total, limit=params["max_batch_bytes"])

    def next_nonce(self, sender: str) -> int:
        """The nonce ``sender``'s next transaction must carry: after committed state and what waits."""
        with self._door:
            return max(committed_nonce(self.ledger.state, sender), self._next.get(sender, 0)) + 1

    def _settle(self, raws: Sequence[bytes]) -> None:
        """Forget waiting transactions a block committed or a proposal left out."""
        with self._door:
            for raw in raws:
                tx = self._waiting.pop(raw, None)
                if tx is None:
                    continue
                sender = tx.sender
                self._count[sender] -= 1
                if not self._count[sender]:
                    del self._count[sender], self._next[sender]

    # --- blocks -----------------------------------------------------------------------------

    def _execute(self, req: BlockRequest, *, drop_invalid: bool) -> Candidate:
        """Execute ``req`` over the tip (or find it executed already) and hold it as a candidate."""
        for candidate in self._candidates:
            if self._matches(candidate, req):
                return candidate
        tip = self.ledger.tip
        if req.height != tip.height + 1:
            raise BlockInvalid(f"a block at height {req.height} does not follow the tip at {tip.height}",
                               height=req.height, field="header.height")
        if req.proposer not in self._validators:
            raise BlockInvalid(f"the proposer {req.proposer!r} is not a validator", height=req.height,
                               field="header.proposer")
        items = [self._waiting.get(raw) or raw for raw in req.txs]
        candidate = self.ledger.execute(items, req.time, req.proposer, drop_invalid=drop_invalid)
        self._candidates.append(candidate)
        return candidate

    @staticmethod
    def _matches(candidate: Candidate, req: BlockRequest) -> bool:
        header = candidate.block.header
        return (header.height == req.height and header.proposer == req.proposer
                and candidate.engine_time == req.time
                and [tx.to_bytes() for tx in candidate.block.txs] == list(req.txs))

    def prepare_proposal(self, req: BlockRequest) -> list[bytes]:
        """The transactions of the block this node proposes from ``req.txs`` (the mempool's, in
        order): those failing admission by now are left out, and leave the check state."""
        candidate = self._execute(req, drop_invalid=True)
        if candidate.dropped:
            self._settle([req.txs[i] for i, _ in candidate.dropped])
        return [tx.to_bytes() for tx in candidate.block.txs]

    def process_proposal(self, req: BlockRequest) -> bool:
        """Whether a proposed block is valid: every transaction admissible, in order."""
        try:
            self._execute(req, drop_invalid=False)
        except BlockInvalid:
            return False
        return True

    def extend_vote(self, req: BlockRequest) -> bytes:
        """This validator's vote extension for a block: its signature over the block's mulu header
        hash (executing the block first if this node has not seen it); empty on a non-validator."""
        if self.validator is None:
            return b""
        candidate = self._execute(req, drop_invalid=False)
        return self.validator[1].sign(self._vote_message(candidate))

    def verify_vote_extension(self, req: BlockRequest, validator: str, extension: bytes) -> bool:
        """Whether ``extension`` is ``validator``'s signature over the mulu header hash of ``req``'s block."""
        v = self._validators.get(validator)
        if v is None:
            return False
        try:
            candidate = self._execute(req, drop_invalid=False)
        except BlockInvalid:
            return False
        return self.profile.verify(v.public_key, self._vote_message(candidate), extension)

    def _vote_message(self, candidate: Candidate) -> bytes:
        header = candidate.block.header
        return vote_bytes(self.genesis.chain_id, header.height, ROUND, header.hash(self.profile))

    def finalize_block(self, req: FinalizeRequest) -> FinalizeResult:
        """Execute a decided block (or take the candidate executed from the same request) and
        certify it with ``req.votes``; nothing is stored before :meth:`commit`.

        Raises :class:`BlockInvalid` when the block or its certificate does not
        hold: an engine must stop rather than go on from a block this node
        cannot execute.
        """
        candidate = self._execute(req, drop_invalid=False)
        header = candidate.block.header
        commit = Commit(header.height, ROUND, header.hash(self.profile),
                        tuple(CommitSig(v.validator, v.extension) for v in req.votes))
        self.ledger.check_commit(header, commit)
        self._decided = (candidate, commit)
        return FinalizeResult(header.height, commit.block_hash, candidate.block.results)

    def commit(self) -> CommitResult:
        """Store the finalized block in one atomic write; settle its transactions; wake waiters."""
        if self._decided is None:
            raise BlockInvalid("commit without a finalized block", field="commit")
        candidate, commit = self._decided
        block = self.ledger.append(candidate, commit)
        self._decided = None
        self._candidates.clear()
        self._settle([tx.to_bytes() for tx in block.txs])
        with self.committed:
            self.committed.notify_all()
        return CommitResult(block.height)

    def wait_for_height(self, height: int, timeout: float) -> bool:
        """Wait until block ``height`` is committed (or ``timeout`` seconds pass)."""
        with self.committed:
            return self.committed.wait_for(lambda: self.ledger.tip.height >= height, timeout)

    # --- reads ------------------------------------------------------------------------------

    def query(self, path: str, data: bytes = b"") -> QueryResult:
        """Run the read-only query ``path`` (``/contract/query``) with the arguments ``data``
        (the canonical encoding of a map, or empty) over committed state; its value canonically
        encoded. The same queries serve the HTTP API and the CLI."""
        height = self.ledger.tip.height
        try:
            args = _query_args(data)
            value = self.registry.run_query(self.ledger.state, path, args)
        except MuluError as exc:
            return QueryResult(height, error=exc)
        return QueryResult(height, encode(value))


def _query_args(data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    try:
        args = decode(data)
    except EncodingError as exc:
        raise BadRequest(f"query arguments: {exc.message}", field="data") from None
    if type(args) is not dict:
        raise BadRequest("query arguments are a map", field="data")
    return args
