"""The plain data that crosses the engine boundary (:class:`node.app.Application`).

Shaped after ABCI 2.0's requests and responses (CometBFT v0.38), reduced to
what mulu needs: wire bytes of transactions, heights, times in milliseconds,
validator names, and the chain's own records (:class:`~chain.block.TxResult`).
An engine builds these from its own messages (solo in process, the ABCI server
from protobuf) and never sees a ledger, a store or a mempool of the application.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.block import TxResult
from chain.errors import MuluError


@dataclass(frozen=True)
class AppInfo:
    """What the application has committed (ABCI ``Info``): an engine compares it with its own
    last block to know which blocks to replay."""

    chain_id: str
    profile: str
    genesis_hash: bytes
    height: int
    app_hash: bytes
    """The hash of the last committed mulu block (the genesis hash at height 0)."""
    time: int


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


@dataclass(frozen=True)
class Vote:
    """A validator's vote extension: its signature, with its mulu key, over the mulu header hash
    of the block it votes for (what the block's commit certificate is made of)."""

    validator: str
    extension: bytes = field(repr=False)


@dataclass(frozen=True)
class FinalizeRequest(BlockRequest):
    """A decided block (ABCI ``FinalizeBlock``) with the votes that certify it, when the engine
    holds them at this point: solo does (its own vote extension, more than two thirds of the power)."""

    votes: tuple[Vote, ...] = ()


@dataclass(frozen=True)
class FinalizeResult:
    """What a decided block did (ABCI ``FinalizeBlock`` response): one result per transaction,
    and the mulu block hash, which is the application hash."""

    height: int
    app_hash: bytes
    tx_results: tuple[TxResult, ...] = field(repr=False)


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
