"""CometBFT: department nodes in a BFT network, CometBFT running beside each mulu node.

The mulu node serves its application to its own CometBFT node over ABCI
(:mod:`node.abci`, at ``node.json``'s ``abci`` address) and forwards the
transactions its API receives to that node's RPC (``rpc``), which checks them
through the same application (``CheckTx``) and gossips them. Blocks are made
by CometBFT; the application sees them only through the boundary. One client
code path serves solo and CometBFT: :meth:`submit` answers each transaction
with its id or the door's error.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any, Sequence

import httpx

from chain import errors as e
from chain.cache import BoundedSet
from chain.errors import GenesisInvalid, MuluError
from chain.genesis import Genesis
from node import bundle
from node.app import Application
from node.boundary import CheckTxResult
from node.home import NodeConfig

log = logging.getLogger("mulu.cometbft")


def engine_error(message: str) -> MuluError:
    """An error CometBFT's RPC gave for a transaction before the application saw it."""
    if "mempool is full" in message:
        return e.MempoolFull(f"CometBFT's mempool is full: {message}")
    if "already exists in cache" in message:
        return e.TxDuplicate("this transaction is already in CometBFT's mempool (or was, recently)")
    if "too large" in message:
        return e.TxTooLarge(f"CometBFT refused the transaction: {message}")
    return e.Unavailable(f"CometBFT refused the transaction: {message}", code="ENGINE_REFUSED")


class CometBFT:
    """The engine of a node whose CometBFT runs beside it."""

    name = "cometbft"

    def __init__(self, app: Application, genesis: Genesis, config: NodeConfig) -> None:
        missing = [v.name for v in genesis.validators if not v.consensus_key]
        if missing:
            raise GenesisInvalid("every validator of a CometBFT chain needs its consensus_key", field="validators",
                                 validators=missing)
        if not config.abci or not config.rpc:
            raise MuluError("node.json names no abci or rpc address for CometBFT", code="NODE_CONFIG_INVALID",
                            fields=[f for f in ("abci", "rpc") if not getattr(config, f)])
        from node.abci.adapter import Adapter  # the generated ABCI types are needed only here
        from node.abci.server import AbciServer

        self.app = app
        self.genesis = genesis
        self.config = config
        self.error: BaseException | None = None
        self.adapter = Adapter(app, genesis, on_fault=self._fault)
        self.server = AbciServer(self.adapter, config.abci)
        self.rpc = httpx.Client(base_url=config.rpc, timeout=30.0)
        self._submitted = BoundedSet(200_000)
        self._lock = threading.Lock()

    def _fault(self, exc: BaseException) -> None:
        self.error = exc

    # --- the door -----------------------------------------------------------------------------

    def submit(self, raws: Sequence[bytes]) -> list[CheckTxResult]:
        """Check transactions at this node's door, then forward those admitted to its CometBFT as
        bundles (:mod:`node.bundle`; ``broadcast_tx_async``, one JSON-RPC batch), which checks them
        again through the same application (its signatures remembered, so cheaply) and gossips them.

        CometBFT's synchronous broadcast waits for each ``CheckTx`` answer in
        turn; checking here first answers each transaction with the door's
        own error at once, and a batch in one round trip. CometBFT's mempool
        can still refuse (full, or a duplicate in its cache): that answer is
        returned too.
        """
        results = self.app.check_txs(raws)
        admitted = [i for i, r in enumerate(results) if r.ok]
        if not admitted:
            return results
        forwarded = [raws[i] for i in admitted]
        spans = bundle.spans(forwarded)
        txs = [bundle.join(forwarded[span.start:span.stop]) for span in spans]
        groups = [[admitted[j] for j in span] for span in spans]  # each bundle's transactions, by index in raws
        calls = [{"jsonrpc": "2.0", "id": k, "method": "broadcast_tx_async",
                  "params": {"tx": base64.b64encode(tx).decode()}} for k, tx in enumerate(txs)]
        try:
            answers = self._call(calls)
        except MuluError:
            self.app.withdraw([raws[i] for i in admitted])
            raise
        refused = []
        for k, group in enumerate(groups):
            answer = answers.get(k)
            if answer is None:
                error = e.Unavailable("CometBFT gave no answer", code="ENGINE_UNAVAILABLE")
            elif "error" in answer:
                err = answer["error"]
                error = engine_error(f"{err.get('message', '')} {err.get('data', '')}".strip())
            else:
                error = None
            for i in group:
                if error is None:
                    self._submitted.add(results[i].tx_id)
                else:
                    results[i] = CheckTxResult(None, error)
                    refused.append(raws[i])
        self.app.withdraw(refused)
        return results

    def _call(self, calls: list[dict[str, Any]]) -> dict[int, dict]:
        try:
            response = self.rpc.post("/", json=calls)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise e.Unavailable(f"this node's CometBFT does not answer at {self.config.rpc}: {exc}",
                                code="ENGINE_UNAVAILABLE", rpc=self.config.rpc) from None
        if isinstance(body, dict):
            body = [body]
        return {a.get("id"): a for a in body if isinstance(a, dict)}

    def rpc_get(self, method: str, **params: Any) -> dict:
        """A read from this node's CometBFT RPC (``status``, ``net_info``...)."""
        try:
            response = self.rpc.get(f"/{method}", params=params, timeout=5.0)
            response.raise_for_status()
            return response.json()["result"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise e.Unavailable(f"this node's CometBFT does not answer at {self.config.rpc}: {exc}",
                                code="ENGINE_UNAVAILABLE", rpc=self.config.rpc) from None

    def pending(self, tx_id: bytes) -> bool:
        """Whether ``tx_id`` was accepted here and may still be decided."""
        return tx_id in self._submitted

    def pending_count(self) -> int:
        """How many transactions wait in CometBFT's mempool, a bundle counting once (0 when it does not answer)."""
        try:
            return int(self.rpc_get("num_unconfirmed_txs")["total"])
        except (MuluError, KeyError, ValueError):
            return 0

    def describe(self) -> dict[str, Any]:
        """CometBFT's view: its height, peers, whether it is catching up (None fields when it is down)."""
        try:
            status = self.rpc_get("status")
            peers = self.rpc_get("net_info")
        except MuluError:
            return {"engine_height": None, "peers": None, "catching_up": None}
        return {"engine_height": int(status["sync_info"]["latest_block_height"]),
                "peers": int(peers["n_peers"]), "catching_up": bool(status["sync_info"]["catching_up"])}

    # --- running ------------------------------------------------------------------------------

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.rpc.close()
