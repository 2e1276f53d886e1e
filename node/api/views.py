"""JSON views of chain records for the API and the CLI.

Bytes are shown as lowercase hex. Where a reader may want to check a record
offline, the view also carries its exact canonical bytes in base64 (``raw``).
"""

from __future__ import annotations

import base64
from typing import Any

from chain.block import Block, BlockHeader, Commit, TxResult
from chain.crypto import CryptoProfile
from chain.tx import Transaction


def jsonable(value: Any) -> Any:
    """A canonical value made JSON-friendly: bytes become hex."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def header_view(header: BlockHeader, profile: CryptoProfile) -> dict[str, Any]:
    return {"hash": header.hash(profile).hex(), **{name: jsonable(getattr(header, name))
                                                   for name, _ in BlockHeader.SPEC}}


def commit_view(commit: Commit | None) -> dict[str, Any] | None:
    if commit is None:
        return None
    return {"height": commit.height, "round": commit.round, "block_hash": commit.block_hash.hex(),
            "signatures": [{"validator": s.validator, "signature": s.signature.hex()} for s in commit.signatures]}


def result_view(result: TxResult) -> dict[str, Any]:
    return {"status": result.status, "code": result.code, "message": result.message,
            "article": result.article, "field": result.field,
            "events": [{"type": t, "attributes": jsonable(a)} for t, a in result.events]}


def tx_view(tx: Transaction, profile: CryptoProfile) -> dict[str, Any]:
    return {"tx_id": tx.tx_id(profile).hex(), "chain_id": tx.chain_id, "sender": tx.sender,
            "key_id": tx.key_id, "nonce": tx.nonce, "contract": tx.contract, "method": tx.method,
            "args": jsonable(tx.args), "signature": tx.signature.hex(), "raw": b64(tx.to_bytes())}


def block_view(block: Block, profile: CryptoProfile) -> dict[str, Any]:
    return {
        "header": header_view(block.header, profile),
        "txs": [{**tx_view(tx, profile), "result": result_view(r)} for tx, r in zip(block.txs, block.results)],
        "commit": commit_view(block.commit),
    }
