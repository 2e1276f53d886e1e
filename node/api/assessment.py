"""Routes of the half-year assessment: the report computed at a certified height (the tip by default),
anchored results, 整改令."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from contracts.assessment import PERIOD
from contracts.assessment import queries as assessment_queries
from node import assessment
from node.api.common import MAX_INT, NodeDep, answer
from node.api.schemas import Open

router = APIRouter(prefix="/v1")
TAGS = ["assessment"]
PERIOD_Q = Query(..., pattern=f"^{PERIOD}$", description="a half year, e.g. 2026H2")


class AssessmentPublic(BaseModel):
    """The assessment computed from the chain at the node's certified tip: the report, its digest (what
    ``assessment.record`` anchors) and the figures."""

    report: dict[str, Any] = Field(description="per department: rank, findings with their articles and "
                                               "transactions, catalog quality, penalties")
    digest: str
    figures: list[dict[str, Any]]


class ResultPublic(Open):
    period: str
    height: int
    digest: str
    figures: list[dict[str, Any]]


class OrdersPublic(BaseModel):
    department: str
    orders: list[dict[str, Any]]
    next: str | None


@router.get("/assessment/compute", response_model=AssessmentPublic, tags=TAGS)
def compute(node: NodeDep, period: str = PERIOD_Q,
            height: int | None = Query(None, ge=1, le=MAX_INT, description="a certified block to compute it "
                                       "at (default: the last certified); any node answers the same bytes "
                                       "for one height; a height not yet certified is BLOCK_NOT_CERTIFIED")) -> Any:
    """Compute the assessment of ``period`` at a certified block, the last by default (000:第十九至二十二条)."""
    return answer(assessment.assess(node.ledger, period, height))


@router.get("/assessment/results/{period}", response_model=ResultPublic, tags=TAGS)
def get_result(node: NodeDep, period: str = Path(..., pattern=f"^{PERIOD}$")) -> Any:
    """The anchored result of a half-year's assessment."""
    return answer(assessment_queries.result(node.ledger.state, period=period))


@router.get("/assessment/orders", response_model=OrdersPublic, tags=TAGS)
def list_orders(node: NodeDep, department: str = Query(..., pattern=r"^[0-9A-Z]{18}$"),
                after: str = Query("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$"),
                limit: int = Query(100, ge=1, le=1000)) -> Any:
    """A department's 整改令 with their answers and whether lifted."""
    return answer(assessment_queries.orders(node.ledger.state, department=department, after=after, limit=limit))


@router.get("/assessment/orders/{order_id}", response_model=Open, tags=TAGS)
def get_order(node: NodeDep, order_id: str = Path(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")) -> Any:
    """One 整改令."""
    return answer(assessment_queries.order(node.ledger.state, order_id=order_id))
