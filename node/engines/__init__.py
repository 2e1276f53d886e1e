"""Consensus engines: what drives the application (:mod:`node.app`) through its boundary.

A chain's genesis names its engine (``"engine"``, default ``solo``); every
node of the chain runs that one. An engine admits transactions through the
application's door, orders them into blocks, and calls the block methods in
CometBFT's order. It never reaches into the ledger.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from chain.errors import GenesisInvalid
from chain.genesis import Genesis
from node.app import Application
from node.boundary import CheckTxResult
from node.home import NodeConfig
from node.engines.solo import Solo


class Engine(Protocol):
    """What the node and its API need of an engine."""

    name: str
    error: BaseException | None
    """The fault that stopped the engine, or None while it runs."""

    def submit(self, raws: Sequence[bytes]) -> list[CheckTxResult]:
        """Admit transactions for a block, each answered on its own."""

    def pending(self, tx_id: bytes) -> bool:
        """Whether the transaction waits for a block."""

    def pending_count(self) -> int:
        """How many transactions wait for a block."""

    def start(self) -> None:
        """Start making blocks in the background."""

    def stop(self) -> None:
        """Stop making blocks."""

    def describe(self) -> dict:
        """What the engine adds to the node's status (its own height, peers, catching up)."""


def _cometbft(app: Application, genesis: Genesis, config: NodeConfig) -> Engine:
    from node.engines.cometbft import CometBFT  # needs the generated ABCI types; solo does not

    return CometBFT(app, genesis, config)


ENGINES = {"solo": lambda app, genesis, config: Solo(app, genesis), "cometbft": _cometbft}
"""The engines this build provides, by the name a genesis gives."""


def engine_for(genesis: Genesis, app: Application, config: NodeConfig) -> Engine:
    """The engine ``genesis`` names, driving ``app`` for the node configured by ``config``."""
    name = genesis.engine
    factory = ENGINES.get(name)
    if factory is None:
        raise GenesisInvalid(f"this build runs no engine {name!r}", code="ENGINE_UNKNOWN", field="engine",
                             known=sorted(ENGINES))
    return factory(app, genesis, config)
