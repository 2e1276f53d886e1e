"""Routes of the chain itself: status, blocks, proofs, raw state records, contracts, export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from chain.errors import NotFound
from node.api.common import MAX_INT, NodeDep, answer, check_height, proof_value
from node.api.schemas import (BlockPublic, BlockResultsPublic, ContractsPublic, HistoryPublic, ProofPublic, StateKeysCreate,
                              StateValuesPublic, StatusPublic, VersionPublic)
from node.api.views import block_view, jsonable

router = APIRouter(prefix="/v1")
STATE_KEY = Query(..., min_length=1, max_length=512, pattern=r"^[^\x00]+$",
                  description="a state key (the layouts are in contracts/<name>/keys.py); derived-index keys "
                              "keep no versions and are not served here")


@router.get("/status", response_model=StatusPublic, tags=["chain"])
def status(node: NodeDep) -> Any:
    """Chain id, profile, genesis hash, tip, the engine and what waits for a block."""
    g, info = node.genesis, node.app.info()
    return {"chain_id": info.chain_id, "profile": info.profile, "genesis_hash": info.genesis_hash.hex(),
            "height": info.height, "tip_hash": info.tip_hash.hex(), "tip_time": info.time,
            "certified": info.certified, "app_hash": info.app_hash.hex(),
            "engine": node.engine.name, "mempool": node.engine.pending_count(), **node.engine.describe(),
            "validators": [{"name": v.name, "operator": v.operator, "public_key": v.public_key.hex(),
                            "power": v.power} for v in g.validators],
            "clock": g.doc["clock"], "params": node.ledger.params}


@router.get("/blocks/{height}", response_model=BlockPublic, tags=["chain"])
def get_block(node: NodeDep, height: int = Path(..., ge=0, le=MAX_INT)) -> Any:
    """A committed block: header, transactions with results, commit."""
    return block_view(node.ledger.block(height), node.ledger.profile)


@router.get("/blocks/{height}/results", response_model=BlockResultsPublic, tags=["chain"])
def get_block_results(node: NodeDep, height: int = Path(..., ge=0, le=MAX_INT)) -> Any:
    """What became of each transaction of a block — its id, sender, nonce and result, without its body
    or events: what a client that sent thousands of calls reads back, a fraction of the whole block."""
    block, profile = node.ledger.block(height), node.ledger.profile
    return {"height": height, "results": [
        {"tx_id": tx.tx_id(profile).hex(), "sender": tx.sender, "nonce": tx.nonce, "status": r.status,
         "code": r.code, "message": r.message, "field": r.field, "article": r.article}
        for tx, r in zip(block.txs, block.results)]}


@router.get("/blocks/{height}/proof", response_model=ProofPublic, tags=["proofs"])
def get_block_proof(node: NodeDep, height: int = Path(..., ge=0, le=MAX_INT),
                    at: int | None = Query(None, ge=1, le=MAX_INT)) -> Any:
    """Block ``height``'s hash with a path to the history root of block ``at`` (default: tip)."""
    return {"type": "block", **proof_value(node.ledger.block_proof(height, at))}


@router.get("/consistency", response_model=ProofPublic, tags=["proofs"])
def get_consistency(node: NodeDep, old: int = Query(..., ge=1, le=MAX_INT),
                    new: int | None = Query(None, ge=1, le=MAX_INT)) -> Any:
    """Proof that block ``new``'s history extends block ``old``'s (RFC 9162 consistency)."""
    return {"type": "consistency", **proof_value(node.ledger.consistency_proof(old, new))}


@router.get("/state", response_model=VersionPublic, tags=["state"])
def get_state(node: NodeDep, key: str = STATE_KEY, height: int | None = Query(None, ge=0, le=MAX_INT)) -> Any:
    """A record's current version, or the version in force at ``height``."""
    check_height(node, height)
    version = node.ledger.state.version(key, height)
    if version is None:
        raise NotFound(f"no record at {key!r}", code="RECORD_NOT_FOUND", key=key)
    return answer(version.to_public(node.ledger.profile))


@router.post("/state/batch", response_model=StateValuesPublic, tags=["state"])
def read_state_batch(node: NodeDep, body: StateKeysCreate) -> Any:
    """The current values of up to 1000 keys at once, derived-index keys included (null where there is
    none): what a client reads to check many calls before it signs them (`mulu catalog publish --check`)."""
    state = node.ledger.state
    height = node.ledger.tip.height
    return {"height": height, "values": [jsonable(state.get(key)) for key in body.keys]}


@router.get("/state/history", response_model=HistoryPublic, tags=["state"])
def get_history(node: NodeDep, key: str = STATE_KEY, start: int = Query(0, ge=0, le=MAX_INT),
                limit: int = Query(100, ge=1, le=1000)) -> Any:
    """Every version of a record, oldest first, each linked to the one before by hash."""
    versions = node.ledger.state.history(key, start=start, limit=limit)
    if not versions and start == 0:
        raise NotFound(f"no record at {key!r}", code="RECORD_NOT_FOUND", key=key)
    return {"key": key, "versions": [answer(v.to_public(node.ledger.profile)) for v in versions]}


@router.get("/state/proof", response_model=ProofPublic, tags=["proofs"])
def get_state_proof(node: NodeDep, key: str = STATE_KEY, height: int | None = Query(None, ge=0, le=MAX_INT)) -> Any:
    """A record's version with a state-tree proof against the block header at ``height`` (default: the
    last certified block)."""
    return {"type": "state", **proof_value(node.ledger.state_proof(key, height))}


@router.get("/contracts", response_model=ContractsPublic, tags=["chain"])
def contracts(node: NodeDep) -> Any:
    """The contract methods this chain runs, with their policies, and the contract parameters."""
    registry, state = node.app.registry, node.ledger.state
    return {"methods": registry.describe(state),
            "params": {name: state.get(p.key) for name, p in sorted(registry.params().items())}}


@router.get("/export", tags=["chain"], response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "the chain as one archive file, for `mulu audit verify`"}})
def export_chain(request: Request) -> Any:
    """The whole chain as one archive file, for ``mulu audit verify``."""
    export = request.app.state.export
    if export is None:
        raise NotFound("this node serves no export", code="EXPORT_UNAVAILABLE")
    return StreamingResponse(export(), media_type="application/octet-stream",
                             headers={"content-disposition": 'attachment; filename="chain.mulu"'})
