"""The node's HTTP API under ``/v1`` (FastAPI, OpenAPI at ``/v1/openapi.json``).

Routers per area stay thin: transactions go to the node's engine
(:mod:`node.api.txs`); the chain's blocks, proofs and raw records come from the
ledger (:mod:`node.api.chain`); the registers (members, duty items, catalog
entries, proposals, the calendar) come from the contracts' queries
(:mod:`node.api.registers`), and so do information systems and escrowed
credentials (:mod:`node.api.systems`), projects (:mod:`node.api.projects`), sharing requests
and 校核 disputes (:mod:`node.api.sharing`). Every answer has its schema
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
from node.api import assessment, chain, projects, registers, sharing, systems, txs
from node.api.schemas import ErrorPublic
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
    for module in (txs, chain, registers, systems, projects, sharing, assessment):
        api.include_router(module.router, responses=ERROR_RESPONSES)
    api.openapi = lambda: _openapi(api)

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


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic, "description": "the request is malformed: REQUEST_INVALID (a parameter out of "
                                                "range or of the wrong type), BAD_REQUEST, QUERY_ARGS_INVALID"},
    404: {"model": ErrorPublic, "description": "no such record, block, transaction or page"},
    500: {"model": ErrorPublic, "description": "INTERNAL: the node could not answer; the fault is in its log"},
}
"""The errors every route may answer, each ``{code, message, details}`` (:mod:`node.errors`)."""


def _openapi(api: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, made true where FastAPI's defaults are not: a request that does not
    match the API answers 400 ``{code, message, details}``, never 422 ``HTTPValidationError``."""
    if api.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
        for path in doc["paths"].values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        schemas = doc.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        api.openapi_schema = doc
    return api.openapi_schema


def _plain_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
