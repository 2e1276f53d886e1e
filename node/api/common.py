"""What every router of the API shares: the node behind a request, and views of bytes."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import Depends, Request

from chain.errors import BadRequest, NotFound
from node.api.views import jsonable
from node.node import Node


MAX_INT = 2**63 - 1
"""The largest integer a path or query parameter may carry (heights, versions: 8 bytes in the store)."""


def node_of(request: Request) -> Node:
    """The node this API serves."""
    return request.app.state.node


NodeDep = Annotated[Node, Depends(node_of)]


def answer(value: Any) -> Any:
    """A query's value as JSON: bytes as lowercase hex."""
    return jsonable(value)


def hex_bytes(text: str, where: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise BadRequest(f"{where} must be hex", field=where) from None


def proof_value(value: Any) -> Any:
    """Proof material in JSON: bytes as base64 so they round-trip exactly."""
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return [proof_value(v) for v in value]
    if isinstance(value, dict):
        return {k: proof_value(v) for k, v in value.items()}
    return value


def check_height(node: Node, height: int | None) -> None:
    """Refuse a read as of a height the chain has not reached."""
    if height is not None and height > node.ledger.tip.height:
        raise NotFound(f"no state at height {height}; the tip is {node.ledger.tip.height}",
                       code="BLOCK_NOT_FOUND", height=height)
