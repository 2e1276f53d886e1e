"""The node's HTTP API under ``/v1`` (FastAPI, OpenAPI at ``/v1/openapi.json``).

Routes stay thin: they decode the request, call the application or the
ledger, and render a view. Every domain error reaches the client through one
handler as ``{code, message, details}`` with the HTTP status of its class.

Transactions are submitted as their canonical bytes: in JSON as base64
(``{"tx": ...}`` or ``{"txs": [...]}``), or as a msgpack body
(``Content-Type: application/msgpack``: one transaction's bytes, or for a batch
an array of them).
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any, Callable

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain.encoding import decode
from chain.errors import BadRequest, EncodingError, MuluError, NotFound, TxMalformed
from chain.state import Version
from contracts import catalog, duty, governance, workdays
from contracts.identity import member_key
from node.boundary import CheckTxResult
from node.node import Node
from node.errors import status_for
from node.views import block_view, jsonable, result_view, tx_view

MSGPACK = "application/msgpack"


class TxSubmit(BaseModel):
    """One signed transaction: its canonical bytes in base64."""

    tx: str = Field(description="base64 of the transaction's canonical bytes")


class TxBatchSubmit(BaseModel):
    """Signed transactions, each as base64 of its canonical bytes."""

    txs: list[str]


class Accepted(BaseModel):
    tx_id: str
    status: str = Field(description="pending, or committed/refused when waited for")
    height: int | None = None
    result: dict[str, Any] | None = None


def _b64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TxMalformed(f"{where} is not base64", field=where) from None


def _version_view(v: Version | None, key: str, profile) -> dict[str, Any]:
    if v is None:
        raise NotFound(f"no record at {key!r}", code="RECORD_NOT_FOUND", key=key)
    return jsonable(v.to_public(profile))


def create_app(node: Node, *, export: Callable[[], Any] | None = None) -> FastAPI:
    """The FastAPI application serving ``node``."""
    app, engine = node.app, node.engine
    ledger = app.ledger
    profile = ledger.profile
    api = FastAPI(title="mulu — the catalog chain (目录链)", version="1",
                  openapi_url="/v1/openapi.json", docs_url="/v1/docs", redoc_url=None,
                  description=__doc__)

    @api.exception_handler(MuluError)
    async def mulu_error(_: Request, exc: MuluError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=status_for(exc))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse({"code": code, "message": str(exc.detail), "details": {}},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"code": "REQUEST_INVALID", "message": "the request does not match the API",
                             "details": {"errors": jsonable(_plain_errors(exc.errors()))}}, status_code=400)

    async def _body_txs(request: Request, batch: bool) -> list[bytes]:
        body = await request.body()
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
            raise TxMalformed('expected JSON {"tx": base64} or {"txs": [base64, ...]}, or a msgpack body') \
                from None
        if batch:
            return [_b64(t, f"txs[{i}]") for i, t in enumerate(model.txs)]
        return [_b64(model.tx, "tx")]

    @api.post("/v1/txs", response_model=Accepted, status_code=202, tags=["transactions"])
    async def submit(request: Request, wait: bool = Query(False, description="wait for the block"),
                     timeout: float = Query(10.0, ge=0, le=60)) -> Any:
        """Submit one signed transaction; refused input gets a 4xx with its error code."""
        [raw] = await _body_txs(request, batch=False)
        [admission] = await run_in_threadpool(engine.submit, [raw])
        if not admission.ok:
            raise admission.error
        tx_id = admission.tx_id
        if not wait:
            return Accepted(tx_id=tx_id.hex(), status="pending")
        return await run_in_threadpool(_wait_result, tx_id, timeout)

    def _wait_result(tx_id: bytes, timeout: float) -> Accepted:
        deadline = time.monotonic() + timeout
        while True:
            target = ledger.tip.height + 1
            try:
                block, index = ledger.transaction(tx_id)
            except NotFound:
                left = deadline - time.monotonic()
                if left <= 0 or not engine.pending(tx_id) and not _committed(tx_id):
                    return Accepted(tx_id=tx_id.hex(), status="pending")
                app.wait_for_height(target, left)
                continue
            result = block.results[index]
            return Accepted(tx_id=tx_id.hex(), status="committed" if result.ok else "refused",
                            height=block.height, result=result_view(result))

    def _committed(tx_id: bytes) -> bool:
        try:
            ledger.locate(tx_id)
            return True
        except NotFound:
            return False

    @api.post("/v1/txs/batch", tags=["transactions"])
    async def submit_batch(request: Request) -> Any:
        """Submit up to ``max_batch_txs`` transactions; each is answered on its own."""
        raws = await _body_txs(request, batch=True)
        admissions: list[CheckTxResult] = await run_in_threadpool(engine.submit, raws)
        results = [{"tx_id": a.tx_id.hex(), "status": "pending"} if a.ok
                   else {"status": "rejected", "error": a.error.to_dict()} for a in admissions]
        return {"accepted": sum(a.ok for a in admissions), "rejected": sum(not a.ok for a in admissions),
                "results": results}

    @api.get("/v1/status", tags=["chain"])
    def status() -> Any:
        """Chain id, profile, genesis hash, tip and mempool size."""
        g = ledger.genesis
        info = app.info()
        return {"chain_id": info.chain_id, "profile": info.profile, "genesis_hash": info.genesis_hash.hex(),
                "height": info.height, "tip_hash": info.app_hash.hex(), "tip_time": info.time,
                "engine": engine.name, "mempool": engine.pending_count(), "validators": [{"name": v.name, "operator": v.operator,
                                              "public_key": v.public_key.hex(), "power": v.power}
                                             for v in g.validators],
                "clock": g.doc["clock"], "params": ledger.params}

    @api.get("/v1/blocks/{height}", tags=["chain"])
    def get_block(height: int) -> Any:
        """A committed block: header, transactions with results, commit."""
        return block_view(ledger.block(height), profile)

    @api.get("/v1/blocks/{height}/proof", tags=["proofs"])
    def get_block_proof(height: int, at: int | None = Query(None, ge=1)) -> Any:
        """Block ``height``'s hash with a path to the history root of block ``at`` (default: tip)."""
        return {"type": "block", **_proof_value(ledger.block_proof(height, at))}

    @api.get("/v1/consistency", tags=["proofs"])
    def get_consistency(old: int = Query(..., ge=1), new: int | None = Query(None, ge=1)) -> Any:
        """Proof that block ``new``'s history extends block ``old``'s (RFC 9162 consistency)."""
        return {"type": "consistency", **_proof_value(ledger.consistency_proof(old, new))}

    @api.get("/v1/txs/{tx_id}", tags=["transactions"])
    def get_tx(tx_id: str) -> Any:
        """A committed transaction with its result and where it is."""
        block, index = ledger.transaction(_hex(tx_id, "tx_id"))
        return {"height": block.height, "index": index, "block_hash": block.header.hash(profile).hex(),
                "time": block.header.time, **tx_view(block.txs[index], profile),
                "result": result_view(block.results[index])}

    @api.get("/v1/txs/{tx_id}/proof", tags=["proofs"])
    def get_tx_proof(tx_id: str) -> Any:
        """The transaction and its result with Merkle paths to a committed header (check offline)."""
        proof = ledger.tx_proof(_hex(tx_id, "tx_id"))
        return {"type": "tx", **{k: _proof_value(v) for k, v in proof.items()}}

    @api.get("/v1/state", tags=["state"])
    def get_state(key: str, height: int | None = Query(None, ge=0)) -> Any:
        """A record's current version, or the version in force at ``height``."""
        if height is not None and height > ledger.tip.height:
            raise NotFound(f"no state at height {height}; the tip is {ledger.tip.height}",
                           code="BLOCK_NOT_FOUND", height=height)
        return _version_view(ledger.state.version(key, height), key, profile)

    @api.get("/v1/state/history", tags=["state"])
    def get_history(key: str, start: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)) -> Any:
        """Every version of a record, oldest first, each linked to the one before by hash."""
        versions = ledger.state.history(key, start=start, limit=limit)
        if not versions and start == 0:
            raise NotFound(f"no record at {key!r}", code="RECORD_NOT_FOUND", key=key)
        return {"key": key, "versions": [jsonable(v.to_public(profile)) for v in versions]}

    @api.get("/v1/state/proof", tags=["proofs"])
    def get_state_proof(key: str, height: int | None = Query(None, ge=0)) -> Any:
        """A record's version with a state-tree proof against the block header at ``height``."""
        proof = ledger.state_proof(key, height)
        out: dict[str, Any] = {"type": "state", **{k: _proof_value(v) for k, v in proof.items()}}
        if proof["height"] >= 1:
            block = ledger.block(proof["height"])
            out["header"] = _proof_value(block.header.to_plain())
            out["commit"] = _proof_value(block.commit.to_plain())
        return out

    @api.get("/v1/members", tags=["members"])
    def list_members(after: str = "", limit: int = Query(100, ge=1, le=1000)) -> Any:
        """Members (departments, districts, authorities), by 统一社会信用代码; page with ``after``."""
        items = [_member_view(v) for _, v in ledger.state.keys("identity/member/", after=_member_after(after),
                                                               limit=limit)]
        return {"members": items, "next": items[-1]["uscc"] if len(items) == limit else None}

    @api.get("/v1/members/{code}", tags=["members"])
    def get_member(code: str) -> Any:
        value = ledger.state.get(member_key(code))
        if value is None:
            raise NotFound(f"{code} is not a member", code="MEMBER_NOT_FOUND", uscc=code)
        return {**_member_view(value), "next_nonce": app.next_nonce(code)}

    @api.get("/v1/duty/{code}", tags=["duty catalog"])
    def list_duty_items(code: str, after: str = "", limit: int = Query(100, ge=1, le=1000)) -> Any:
        """A department's duty items (职责事项): each one's latest version; page with ``after``."""
        prefix = f"duty/item/{code}/"
        items = [jsonable(v) for _, v in ledger.state.keys(prefix, after=prefix + after if after else "",
                                                           limit=limit)]
        return {"uscc": code, "items": items, "next": items[-1]["item_id"] if len(items) == limit else None}

    @api.get("/v1/duty/{code}/{item_id}", tags=["duty catalog"])
    def get_duty_item(code: str, item_id: str) -> Any:
        """A duty item's latest version and the version in force (approved), if any."""
        current = ledger.state.get(duty.item_key(code, item_id))
        if current is None:
            raise NotFound(f"{code} has no duty item {item_id}", code="DUTY_ITEM_NOT_FOUND")
        return {"current": jsonable(current), "approved": jsonable(duty.approved_item(ledger.state, code, item_id))}

    @api.get("/v1/duty/{code}/{item_id}/versions", tags=["duty catalog"])
    def get_duty_versions(code: str, item_id: str, after: int = Query(0, ge=0),
                          limit: int = Query(100, ge=1, le=1000)) -> Any:
        """Every version of a duty item, oldest first, each linked to the one before by hash."""
        versions = _versions(duty.item_key(code, item_id), lambda n: duty.version_key(code, item_id, n), after,
                             limit)
        if not versions and not after:
            raise NotFound(f"{code} has no duty item {item_id}", code="DUTY_ITEM_NOT_FOUND")
        return {"uscc": code, "item_id": item_id, "versions": versions}

    def _versions(current_key: str, version_key: Callable[[int], str], after: int, limit: int) -> list[Any]:
        """Versions after number ``after`` of a record kept as duty items and catalog entries are:
        the current one under ``current_key``, each earlier one moved to ``version_key(n)``."""
        # the current version first: every version it replaced has moved to its key by then (a block
        # appended meanwhile may move it too, hence the comparison with the last one listed)
        current = ledger.state.get(current_key)
        prefix = version_key(0)[:-6]  # version keys end in six digits
        versions = [v for _, v in ledger.state.keys(prefix, after=version_key(after) if after else "",
                                                   limit=limit)]
        last = versions[-1]["version"] if versions else after
        if current is not None and len(versions) < limit and current["version"] > last:
            versions.append(current)
        return [jsonable(v) for v in versions]

    def _entry_version(code: str, version: int) -> dict[str, Any]:
        record = catalog.entry_version(ledger.state, code, version)
        if record is None:
            raise NotFound(f"no version {version} of catalog entry {code}", code="CATALOG_ENTRY_NOT_FOUND",
                           resource_code=code, version=version)
        return record

    @api.get("/v1/catalog/entry", tags=["data catalog"])
    def get_catalog_entry(code: str, height: int | None = Query(None, ge=0)) -> Any:
        """A catalog entry by 资源代码: its latest version, or the version in force at ``height``."""
        if height is not None and height > ledger.tip.height:
            raise NotFound(f"no state at height {height}", code="BLOCK_NOT_FOUND", height=height)
        version = ledger.state.version(catalog.entry_key(code), height)
        if version is None or version.value is None:
            raise NotFound(f"no catalog entry {code}" + ("" if height is None else f" at height {height}"),
                           code="CATALOG_ENTRY_NOT_FOUND", resource_code=code)
        return {**jsonable(version.value), "overlaps": jsonable(ledger.state.get(catalog.overlap_key(code)) or [])}

    @api.get("/v1/catalog/versions", tags=["data catalog"])
    def get_catalog_versions(code: str, after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)) -> Any:
        """Every version of an entry, oldest first, each with the previous version's hash; page with
        ``after`` (a version number)."""
        versions = _versions(catalog.entry_key(code), lambda n: catalog.version_key(code, n), after, limit)
        if not versions and not after:
            raise NotFound(f"no catalog entry {code}", code="CATALOG_ENTRY_NOT_FOUND", resource_code=code)
        return {"resource_code": code, "versions": versions}

    @api.get("/v1/catalog/diff", tags=["data catalog"])
    def get_catalog_diff(code: str, from_version: int = Query(..., alias="from", ge=1),
                         to_version: int = Query(..., alias="to", ge=1)) -> Any:
        """What changed between two versions: fields, and 信息项 added, removed or changed."""
        return jsonable(catalog.diff(_entry_version(code, from_version), _entry_version(code, to_version)))

    @api.get("/v1/catalog/entries", tags=["data catalog"])
    def list_catalog_entries(department: str, after: str = "", limit: int = Query(100, ge=1, le=1000)) -> Any:
        """A department's catalog entries (latest versions), by 资源代码; page with ``after``."""
        prefix = catalog.dept_key(department, "")
        codes = [k[len(prefix):] for k, _ in ledger.state.keys(prefix, after=prefix + after if after else "",
                                                                limit=limit)]
        entries = [jsonable(ledger.state.get(catalog.entry_key(c))) for c in codes]
        return {"department": department, "entries": entries, "next": codes[-1] if len(codes) == limit else None}

    @api.get("/v1/catalog/overlaps", tags=["data catalog"])
    def list_overlaps(after: str = "", limit: int = Query(100, ge=1, le=1000)) -> Any:
        """一数一源: entries declaring data items another department already provides."""
        prefix = "catalog/overlap/"
        rows = [{"resource_code": k[len(prefix):], "overlaps": jsonable(v)}
                for k, v in ledger.state.keys(prefix, after=prefix + after if after else "", limit=limit)]
        return {"overlaps": rows, "next": rows[-1]["resource_code"] if len(rows) == limit else None}

    @api.get("/v1/catalog/provides", tags=["data catalog"])
    def who_provides(item: str = Query(..., min_length=1, max_length=100)) -> Any:
        """一数一源: the departments whose current entries declare data item ``item``, each with
        the resource codes of those entries — what review checks before a department collects it again."""
        providers = ledger.state.get(catalog.provides_key(item.strip())) or []
        rows = []
        for uscc, count in providers:
            prefix = catalog.dept_key(uscc, "")
            codes = [k[len(prefix):] for k, _ in ledger.state.keys(prefix, limit=100_000)]
            records = (ledger.state.get(catalog.entry_key(c)) for c in codes)
            rows.append({"provider": uscc, "entries": count, "resource_codes": [
                r["resource_code"] for r in records
                if r is not None and any(i["name"] == item.strip() for i in r["entry"]["data_items"])]})
        return {"item": item.strip(), "providers": rows}

    @api.get("/v1/catalog/overdue", tags=["data catalog"])
    def list_overdue(include_due: bool = False) -> Any:
        """Departments whose data catalog was not updated within N working days of a duty change
        (002:第九条), as of the tip's block time; ``include_due`` adds those still within the deadline."""
        now = ledger.tip.time
        rows = []
        for key, _ in ledger.state.keys(duty.changed_key(""), limit=100_000):
            row = catalog.update_status(ledger.state, key.rsplit("/", 1)[1], now)
            if row is not None and (include_due or row["status"] != "due"):
                rows.append(row)
        return {"as_of_height": ledger.tip.height, "as_of_time": now, "departments": rows}

    @api.get("/v1/calendar", tags=["calendar"])
    def calendar_years() -> Any:
        """The years the chain's working-day calendar covers (deadlines elsewhere are refused)."""
        return workdays.years(ledger.state)

    @api.get("/v1/calendar/{year}", tags=["calendar"])
    def calendar_year(year: int) -> Any:
        """One year's statutory holidays and 调休 make-up workdays, as chain data."""
        return workdays.year(ledger.state, year)

    @api.get("/v1/governance/proposals", tags=["governance"])
    def list_proposals(status: str | None = None, limit: int = Query(100, ge=1, le=1000)) -> Any:
        """Governance proposals with their votes and status (``open``, ``approved``, ``failed``...)."""
        rows = [jsonable(v) for _, v in ledger.state.keys("governance/proposal/", limit=100_000)
                if status is None or v["status"] == status]
        return {"proposals": rows[:limit]}

    @api.get("/v1/governance/proposals/{proposal_id}", tags=["governance"])
    def get_proposal(proposal_id: str) -> Any:
        value = ledger.state.get(governance.proposal_key(proposal_id))
        if value is None:
            raise NotFound(f"no proposal {proposal_id}", code="PROPOSAL_NOT_FOUND")
        return jsonable(value)

    @api.get("/v1/contracts", tags=["chain"])
    def contracts() -> Any:
        """The contract methods this chain runs, with their policies."""
        return {"methods": ledger.machine.describe(ledger.state),
                "params": {name: ledger.state.get(p.key) for name, p in sorted(ledger.machine.params().items())}}

    if export is not None:
        @api.get("/v1/export", tags=["chain"])
        def export_chain() -> Any:
            """The whole chain as one archive file, for ``mulu audit verify``."""
            return StreamingResponse(export(), media_type="application/octet-stream",
                                     headers={"content-disposition": 'attachment; filename="chain.mulu"'})

    return api


def _member_after(after: str) -> str:
    return member_key(after) if after else ""


def _member_view(value: dict[str, Any]) -> dict[str, Any]:
    return {"uscc": value["uscc"], "name": value["name"], "roles": value["roles"],
            "status": value.get("status", "active"),
            "keys": [{"key_id": k, **jsonable(r)} for k, r in value["keys"].items()]}


def _hex(text: str, where: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise BadRequest(f"{where} must be hex", field=where) from None


def _proof_value(value: Any) -> Any:
    """Proof material in JSON: bytes as base64 so they round-trip exactly."""
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return [_proof_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _proof_value(v) for k, v in value.items()}
    return value


def _plain_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
