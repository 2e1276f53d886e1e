"""The plain data that crosses the engine boundary (:class:`node.app.Application`).

Shaped after ABCI 2.0's requests and responses (CometBFT v0.38), reduced to
what mulu needs: wire bytes of transactions, heights, times in milliseconds,
validator names, and the chain's own records (:class:`~chain.block.TxResult`).
An engine builds these from its own messages (solo in process, the ABCI server
from protobuf) and never sees a ledger, a store or a mempool of the application.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.block import Evidence, TxResult
from chain.errors import MuluError


@dataclass(frozen=True)
class AppInfo:
    """What the application has committed (ABCI ``Info``): an engine compares it with its own
    last block to know which blocks to replay."""

    chain_id: str
    profile: str
    genesis_hash: bytes
    height: int
    tip_hash: bytes
    """The hash of the last committed mulu block (the genesis hash at height 0)."""
    app_hash: bytes
    """The application hash: the state root after the last committed block. A block that
    changes no state (one carrying only the certificate of the block before) leaves it as it is."""
    time: int
    certified: int
    """The last block whose commit certificate is stored (the tip, or under an engine that delivers
    certificates with the next block, possibly the block before it)."""


@dataclass(frozen=True)
class ValidatorPower:
    """A validator as an engine knows it: its name in the mulu genesis and its voting power."""

    name: str
    power: int


@dataclass(frozen=True)
class CheckTxResult:
    """The door's answer to one transaction (ABCI ``CheckTx``): its id, or the error refusing it."""

    tx_id: bytes | None
    error: MuluError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def code(self) -> str:
        return "" if self.error is None else self.error.code


@dataclass(frozen=True)
class BlockRequest:
    """A block as an engine proposes, processes, votes on or decides it (ABCI ``PrepareProposal``,
    ``ProcessProposal``, ``ExtendVote``, ``FinalizeBlock``).

    ``time`` is the engine's time for the block in ms since the epoch (solo: its
    clock; CometBFT: BFT time); the mulu block's time follows the chain's clock
    from it. ``proposer`` is the proposing validator's name in the mulu genesis.
    """

    height: int
    time: int
    proposer: str
    txs: tuple[bytes, ...] = field(repr=False)
    engine_hash: bytes = b""
    """The engine's own hash of the block, when it has one (CometBFT's block id): votes name
    blocks by it."""
    misbehavior: tuple[Evidence, ...] = ()
    """Misbehaviour the engine proved and put in this block: the block records it."""


@dataclass(frozen=True)
class Vote:
    """A validator's vote extension: the mulu header hash of the block it votes for and its
    signature over it, with its mulu key (:mod:`node.certificate`); a commit certificate is made of them."""

    validator: str
    extension: bytes = field(repr=False)


@dataclass(frozen=True)
class FinalizeRequest(BlockRequest):
    """A decided block (ABCI ``FinalizeBlock``) with the votes that certify it, when the engine
    holds them at this point: solo does (its own vote extension, more than two thirds of the power);
    CometBFT does not (the certificate rides in the next block)."""

    votes: tuple[Vote, ...] = ()


@dataclass(frozen=True)
class FinalizeResult:
    """What a decided block did (ABCI ``FinalizeBlock`` response): one result per mulu transaction,
    the mulu block hash and the application hash (the state root after the block); ``certificate``
    says whether the block carried the certificate of the block before, ahead of its transactions."""

    height: int
    block_hash: bytes
    app_hash: bytes
    tx_results: tuple[TxResult, ...] = field(repr=False)
    certificate: bool = False
    validator_updates: tuple[tuple[bytes, int], ...] = ()
    """``(consensus key, power)`` for the engine's validator set, when the block changed the mulu set
    (power 0 removes); CometBFT applies them two heights later, when the mulu set changes too."""


@dataclass(frozen=True)
class CommitResult:
    """The block is stored (ABCI ``Commit``); ``retain_height`` 0 keeps every block."""

    height: int
    retain_height: int = 0


@dataclass(frozen=True)
class QueryResult:
    """The answer to a read (ABCI ``Query``): the canonical encoding of the query's value as of
    ``height``, or the error refusing it."""

    height: int
    value: bytes = b""
    error: MuluError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
