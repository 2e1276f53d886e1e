"""The assessment's read-only queries: anchored results and rectification orders."""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from chain.state import StateReader
from contracts.args import Int, Str, Uscc
from contracts.assessment import PERIOD, contract
from contracts.assessment.keys import order_key, orders_prefix, report_key
from contracts.base import next_cursor, page

LIMIT = Int(min=1, max=1000, required=False)


@contract.query(args={"period": Str(max_len=6, pattern=PERIOD)})
def result(reader: StateReader, period: str) -> dict[str, Any]:
    """The anchored result of a half-year's assessment: its height, the report's digest and the figures."""
    found = reader.get(report_key(period))
    if found is None:
        raise NotFound(f"no assessment of {period} is anchored", code="ASSESSMENT_NOT_FOUND", period=period)
    return found


@contract.query(args={"department": Uscc(), "after": Str(min_len=0, max_len=64, required=False), "limit": LIMIT})
def orders(reader: StateReader, department: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A department's 整改令, by order id: findings, its answer, whether lifted."""
    ids = [oid for oid, _ in page(reader, orders_prefix(department), after, limit)]
    return {"department": department, "orders": [reader.get(order_key(oid)) for oid in ids],
            "next": next_cursor(ids, limit, ids[-1] if ids else None)}


@contract.query(args={"order_id": Str(max_len=64)})
def order(reader: StateReader, order_id: str) -> dict[str, Any]:
    """One 整改令."""
    found = reader.get(order_key(order_id))
    if found is None:
        raise NotFound(f"no order {order_id}", code="ORDER_NOT_FOUND", order_id=order_id)
    return found
