"""A Python client for a mulu node: reads, and signed submissions.

>>> client = Client("http://127.0.0.1:8500")
>>> dept = Member(client, key, "11110000MB000201XX")
>>> dept.call("anchor", "put", {...})          # signs with the next nonce, waits for the block

Errors from the node come back as :class:`ApiError` carrying the node's stable
error ``code``, ``message`` and ``details``.
"""

from __future__ import annotations

import base64
import threading
from typing import Any, Iterable

import httpx

from chain.crypto import PrivateKey
from chain.encoding import encode
from chain.errors import MuluError
from chain.tx import Transaction, make_tx

MSGPACK = "application/msgpack"


class ApiError(MuluError):
    """An error answered by the node (or the failure to reach it)."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, **(details or {}))
        self.status = status


class Client:
    """Typed calls to one node's ``/v1`` API."""

    def __init__(self, url: str = "http://127.0.0.1:8500", *, timeout: float = 60.0,
                 http: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise ApiError(0, "NODE_URL_INVALID", f"the node's URL {url!r} must begin with http:// or https://")
        try:
            self.http = http or httpx.Client(base_url=self.url, timeout=timeout)
        except httpx.InvalidURL as exc:
            raise ApiError(0, "NODE_URL_INVALID", f"the node's URL {url!r} is not a URL: {exc}") from None

    def _request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ApiError(0, "NODE_UNREACHABLE", f"cannot reach the node at {self.url}: {exc}") from None
        if response.status_code >= 400:
            try:
                body = response.json()
                raise ApiError(response.status_code, body["code"], body["message"], body.get("details"))
            except (ValueError, KeyError, TypeError):
                raise ApiError(response.status_code, "HTTP_ERROR", response.text[:500]) from None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def get(self, path: str, **params: Any) -> Any:
        return self._request("GET", path, params={k: v for k, v in params.items() if v is not None})

    # --- reads -----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return self.get("/v1/status")

    def block(self, height: int) -> dict[str, Any]:
        return self.get(f"/v1/blocks/{height}")

    def block_results(self, height: int) -> dict[str, Any]:
        """The outcome of each transaction of a block, without the transactions' bodies."""
        return self.get(f"/v1/blocks/{height}/results")

    def tx(self, tx_id: str) -> dict[str, Any]:
        return self.get(f"/v1/txs/{tx_id}")

    def tx_proof(self, tx_id: str) -> dict[str, Any]:
        return self.get(f"/v1/txs/{tx_id}/proof")

    def block_proof(self, height: int, at: int | None = None) -> dict[str, Any]:
        return self.get(f"/v1/blocks/{height}/proof", at=at)

    def consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        return self.get("/v1/consistency", old=old, new=new)

    def state(self, key: str, height: int | None = None) -> dict[str, Any]:
        return self.get("/v1/state", key=key, height=height)

    def history(self, key: str, start: int = 0, limit: int = 100) -> dict[str, Any]:
        return self.get("/v1/state/history", key=key, start=start, limit=limit)

    def state_proof(self, key: str, height: int | None = None) -> dict[str, Any]:
        return self.get("/v1/state/proof", key=key, height=height)

    def state_values(self, keys: list[str]) -> list[Any]:
        """The current values of up to 1000 state keys at once (None where there is none)."""
        return self._request("POST", "/v1/state/batch", json={"keys": keys})["values"]

    def members(self, after: str = "", limit: int = 100) -> dict[str, Any]:
        return self.get("/v1/members", after=after or None, limit=limit)

    def member(self, code: str) -> dict[str, Any]:
        return self.get(f"/v1/members/{code}")

    def export(self) -> bytes:
        return self._request("GET", "/v1/export")

    # --- writes ----------------------------------------------------------------

    def submit(self, raw: bytes, *, wait: bool = False, timeout: float = 30.0) -> dict[str, Any]:
        """Submit one transaction's canonical bytes."""
        return self._request("POST", "/v1/txs", params={"wait": wait, "timeout": timeout},
                             content=raw, headers={"content-type": MSGPACK})

    def submit_json(self, raw: bytes, *, wait: bool = False) -> dict[str, Any]:
        """Submit one transaction as JSON ``{"tx": base64}``."""
        return self._request("POST", "/v1/txs", params={"wait": wait},
                             json={"tx": base64.b64encode(raw).decode()})

    def submit_batch(self, raws: Iterable[bytes]) -> dict[str, Any]:
        """Submit many transactions in one msgpack request; each is answered on its own."""
        return self._request("POST", "/v1/txs/batch", content=encode(list(raws)),
                             headers={"content-type": MSGPACK})


class Member:
    """A member signing and submitting its own transactions, keeping its nonce."""

    def __init__(self, client: Client, key: PrivateKey, sender: str, chain_id: str | None = None) -> None:
        self.client = client
        self.key = key
        self.sender = sender
        self.chain_id = chain_id or client.status()["chain_id"]
        self._nonce: int | None = None
        self._lock = threading.Lock()

    def next_nonce(self) -> int:
        with self._lock:
            if self._nonce is None:
                self._nonce = self.client.member(self.sender)["next_nonce"]
            nonce = self._nonce
            self._nonce += 1
            return nonce

    def resync(self) -> None:
        """Forget the local nonce (after a refusal); the next call asks the node."""
        with self._lock:
            self._nonce = None

    def sign(self, contract: str, method: str, args: dict[str, Any], nonce: int | None = None) -> Transaction:
        return make_tx(self.key, chain_id=self.chain_id, sender=self.sender,
                       nonce=self.next_nonce() if nonce is None else nonce,
                       contract=contract, method=method, args=args)

    def call(self, contract: str, method: str, args: dict[str, Any], *, wait: bool = True) -> dict[str, Any]:
        """Sign and submit one call; with ``wait`` return its committed result."""
        tx = self.sign(contract, method, args)
        try:
            return self.client.submit(tx.to_bytes(), wait=wait)
        except ApiError:
            self.resync()
            raise
