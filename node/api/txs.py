"""Routes of transactions: submit one or a batch through the node's engine, read a committed one.

Transactions are submitted as their canonical bytes: in JSON as base64
(``{"tx": ...}`` or ``{"txs": [...]}``), or as a msgpack body
(``Content-Type: application/msgpack``: one transaction's bytes, or for a batch
an array of them).
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain.encoding import decode
from chain.errors import BatchTooLarge, EncodingError, NotFound, TxMalformed, TxTooLarge
from node.api.common import NodeDep, hex_bytes, proof_value
from node.api.schemas import BatchPublic, ErrorPublic, ProofPublic, TxAccepted, TxBatchSubmit, TxPublic, TxSubmit
from node.api.views import result_view, tx_view
from node.node import Node

MSGPACK = "application/msgpack"
router = APIRouter(prefix="/v1/txs", tags=["transactions"])


def _b64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TxMalformed(f"{where} is not base64", field=where) from None


def body_limit(node: Node, batch: bool) -> int:
    """The most bytes a submission body may hold: the chain's limit on a transaction or a batch,
    with room for base64 in JSON (4 bytes for 3) and the framing around it."""
    params = node.ledger.params
    return (params["max_batch_bytes"] if batch else params["max_tx_bytes"]) * 4 // 3 + 64 * 1024


async def _read_body(request: Request, node: Node, batch: bool) -> bytes:
    """The request body, refused (413) by its declared length before it is read, or as soon as a
    chunked body passes the limit: a node never holds more than the limit of one request."""
    limit = body_limit(node, batch)
    error = BatchTooLarge if batch else TxTooLarge
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise error(f"the body is {declared} bytes; at most {limit} are read", size=int(declared), limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise error(f"the body passes {limit} bytes; at most {limit} are read", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _body_txs(request: Request, node: Node, batch: bool) -> list[bytes]:
    body = await _read_body(request, node, batch)
    if request.headers.get("content-type", "").split(";")[0].strip() == MSGPACK:
        if not batch:
            return [body]
        try:
            items = decode(body)
        except EncodingError as exc:
            raise TxMalformed(f"batch body: {exc.message}", encoding=exc.code) from None
        if type(items) is not list or any(type(i) is not bytes for i in items):
            raise TxMalformed("a msgpack batch is an array of transaction byte strings")
        return items
    try:
        model = (TxBatchSubmit if batch else TxSubmit).model_validate_json(body)
    except ValueError:
        raise TxMalformed('expected JSON {"tx": base64} or {"txs": [base64, ...]}, or a msgpack body') from None
    if batch:
        return [_b64(t, f"txs[{i}]") for i, t in enumerate(model.txs)]
    return [_b64(model.tx, "tx")]


def _body(model: type, description: str) -> dict[str, Any]:
    """The OpenAPI request body of a submission: JSON with base64, or the raw msgpack bytes."""
    return {"requestBody": {"required": True, "description": description, "content": {
        "application/json": {"schema": model.model_json_schema()},
        MSGPACK: {"schema": {"type": "string", "format": "binary"}}}}}


SUBMIT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorPublic, "description": "the sender, its key or its role may not make this call"},
    409: {"model": ErrorPublic, "description": "a replayed or skipped nonce, or a transaction already waiting"},
    413: {"model": ErrorPublic, "description": "the transaction or the batch is too large"},
    503: {"model": ErrorPublic, "description": "MEMPOOL_FULL: retry later"},
}


@router.post("", response_model=TxAccepted, status_code=202, responses=SUBMIT_ERRORS,
             openapi_extra=_body(TxSubmit, "one signed transaction: JSON {\"tx\": base64} or its msgpack bytes"))
async def submit(request: Request, node: NodeDep, wait: bool = Query(False, description="wait for the block"),
                 timeout: float = Query(10.0, ge=0, le=60)) -> Any:
    """Submit one signed transaction; refused input gets a 4xx with its error code."""
    [raw] = await _body_txs(request, node, batch=False)
    [admission] = await run_in_threadpool(node.engine.submit, [raw])
    if not admission.ok:
        raise admission.error
    if not wait:
        return TxAccepted(tx_id=admission.tx_id.hex(), status="pending")
    return await run_in_threadpool(_wait_result, node, admission.tx_id, timeout)


def _wait_result(node: Node, tx_id: bytes, timeout: float) -> TxAccepted:
    """The transaction's result once its block is committed, or ``pending`` after ``timeout`` seconds."""
    ledger, deadline = node.ledger, time.monotonic() + timeout
    while True:
        target = ledger.tip.height + 1
        try:
            block, index = ledger.transaction(tx_id)
        except NotFound:
            left = deadline - time.monotonic()
            if left <= 0 or not node.engine.pending(tx_id) and not _committed(node, tx_id):
                return TxAccepted(tx_id=tx_id.hex(), status="pending")
            node.app.wait_for_height(target, left)
            continue
        result = block.results[index]
        return TxAccepted(tx_id=tx_id.hex(), status="committed" if result.ok else "refused",
                          height=block.height, result=result_view(result))


def _committed(node: Node, tx_id: bytes) -> bool:
    try:
        node.ledger.locate(tx_id)
        return True
    except NotFound:
        return False


@router.post("/batch", response_model=BatchPublic, response_model_exclude_unset=True, responses=SUBMIT_ERRORS,
             openapi_extra=_body(TxBatchSubmit, "signed transactions: JSON {\"txs\": [base64, ...]} or a msgpack "
                                                "array of their bytes"))
async def submit_batch(request: Request, node: NodeDep) -> Any:
    """Submit up to ``max_batch_txs`` transactions; each is answered on its own."""
    raws = await _body_txs(request, node, batch=True)
    admissions = await run_in_threadpool(node.engine.submit, raws)
    results = [{"tx_id": a.tx_id.hex(), "status": "pending"} if a.ok
               else {"status": "rejected", "error": a.error.to_dict()} for a in admissions]
    return {"accepted": sum(a.ok for a in admissions), "rejected": sum(not a.ok for a in admissions),
            "results": results}


@router.api_route("/batch", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def batch_other_methods() -> None:
    """Only POST submits a batch: without this, GET /v1/txs/batch would read as a transaction id."""
    raise StarletteHTTPException(405, "only POST submits a batch", headers={"Allow": "POST"})


TX_ID = Path(..., pattern="^[0-9a-f]{64}$", description="a transaction id, lowercase hex")


@router.get("/{tx_id}", response_model=TxPublic)
def get_tx(node: NodeDep, tx_id: str = TX_ID) -> Any:
    """A committed transaction with its result and where it is."""
    block, index = node.ledger.transaction(hex_bytes(tx_id, "tx_id"))
    profile = node.ledger.profile
    return {"height": block.height, "index": index, "block_hash": block.header.hash(profile).hex(),
            "time": block.header.time, **tx_view(block.txs[index], profile),
            "result": result_view(block.results[index])}


@router.get("/{tx_id}/proof", response_model=ProofPublic, tags=["proofs"])
def get_tx_proof(node: NodeDep, tx_id: str = TX_ID) -> Any:
    """The transaction and its result with Merkle paths to a committed header (check offline)."""
    proof = node.ledger.tx_proof(hex_bytes(tx_id, "tx_id"))
    return {"type": "tx", **{k: proof_value(v) for k, v in proof.items()}}
