"""The node's HTTP API under ``/v1`` (FastAPI, OpenAPI at ``/v1/openapi.json``).

Routers per area stay thin: transactions go to the node's engine
(:mod:`node.api.txs`); the chain's blocks, proofs and raw records come from the
ledger (:mod:`node.api.chain`); the registers (members, duty items, catalog
entries, proposals, the calendar) come from the contracts' queries
(:mod:`node.api.registers`). Every answer has its schema
(:mod:`node.api.schemas`), and every error reaches the client through one
handler as ``{code, message, details}`` with the HTTP status of its class
(:mod:`node.errors`).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain.errors import MuluError
from node.api import chain, registers, txs
from node.api.views import jsonable
from node.errors import status_for
from node.node import Node

log = logging.getLogger("mulu.api")


def create_app(node: Node, *, export: Callable[[], Any] | None = None) -> FastAPI:
    """The FastAPI application serving ``node`` (``export`` streams the chain archive, if given)."""
    api = FastAPI(title="mulu — the catalog chain (目录链)", version="1",
                  openapi_url="/v1/openapi.json", docs_url="/v1/docs", redoc_url=None,
                  description=__doc__)
    api.state.node = node
    api.state.export = export
    for module in (txs, chain, registers):
        api.include_router(module.router)

    @api.exception_handler(MuluError)
    async def mulu_error(_: Request, exc: MuluError) -> JSONResponse:
        return JSONResponse(jsonable(exc.to_dict()), status_code=status_for(exc))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse({"code": code, "message": str(exc.detail), "details": {}},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected fault answering %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"code": "INTERNAL", "message": "the node could not answer this request; the fault "
                             "is in its log", "details": {}}, status_code=500)

    @api.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"code": "REQUEST_INVALID", "message": "the request does not match the API",
                             "details": {"errors": jsonable(_plain_errors(exc.errors()))}}, status_code=400)

    return api


def _plain_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
