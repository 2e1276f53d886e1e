"""Routes of sharing requests and 校核 data disputes (002:第五章, 004:第十四、十九条).

Each route calls one of :mod:`contracts.sharing.queries` over committed state;
deadlines are as of the tip's block time, which every answer names. No state
key is spelled here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from contracts.catalog import RESOURCE_CODE
from contracts.sharing import REQUEST_STATUSES
from contracts.sharing import queries as sharing_queries
from contracts.sharing.disputes import DISPUTE_STATUSES
from contracts.sharing.keys import RECORD_ID
from node.api.common import NodeDep, answer
from node.api.schemas import Open

router = APIRouter(prefix="/v1/sharing")
LIMIT = Query(100, ge=1, le=1000)
USCC = r"^([0-9A-Z]{18})?$"


def member(role: str) -> Any:
    """A query parameter naming a member by its 统一社会信用代码 (one per parameter: FastAPI binds a
    parameter object to the first name it serves)."""
    return Query("", pattern=USCC, description=f"the {role}'s 统一社会信用代码")


AFTER = Query("", max_length=64, pattern=r"^([0-9a-f]{1,64})?$", description="the id the previous page ended on")
PENDING_AFTER = Query("", max_length=83, pattern=r"^(([0-9A-Z]{18}/)?[0-9a-f]{1,64})?$",
                      description="the cursor the previous page ended on: an id, or <provider>/<id> across providers")
REQUEST = Path(..., pattern=f"^{RECORD_ID}$", description="the hex id of the transaction that filed the request")
DISPUTE = Path(..., pattern=f"^{RECORD_ID}$", description="the hex id of the transaction that filed the dispute")
TAGS: list[Any] = ["sharing and 校核"]


class TimelinessPublic(BaseModel):
    """An answer's deadline as of the tip: the N-th working day strictly after the filing date."""

    status: str = Field(description="due, overdue, or calendar_not_covered (the deadline lies in a year the "
                                    "calendar does not cover: `year`)")
    deadline: str | None
    overdue: bool | None = Field(description="None when it cannot be known: the calendar ends before the deadline "
                                             "and the tip lies past its end")
    year: int | None = None
    article: str


class RequestPublic(Open):
    """A sharing request: resource, purpose, basis; the answer or the authority's decision; the bound use."""

    request_id: str
    resource_code: str
    provider: str
    requester: str
    share_type: str
    purpose: str
    basis: dict[str, Any] = Field(description="law, duty_item (an approved item of the requester), business_need")
    status: str = Field(description=", ".join(REQUEST_STATUSES))
    filed: dict[str, Any] = Field(description="signer, tx_id, height, time and date of the filing")
    answer: dict[str, Any] | None = Field(description="approve, reasons, by provider or review_authority, late")
    use: dict[str, Any] | None = Field(description="an approval's bound use: purpose, terms, article 002:第十八条")
    timeliness: TimelinessPublic | None = Field(description="while it waits: its deadline as of the tip")


class DisputePublic(Open):
    """A 校核 dispute: resource, problem, the extension with its head and approval document, the answer."""

    dispute_id: str
    resource_code: str
    provider: str
    user: str
    problem: str
    status: str = Field(description=", ".join(DISPUTE_STATUSES))
    filed: dict[str, Any]
    extension: dict[str, Any] | None
    answer: dict[str, Any] | None
    timeliness: TimelinessPublic | None


class RequestsPublic(BaseModel):
    requests: list[RequestPublic]
    next: str | None


class DisputesPublic(BaseModel):
    disputes: list[DisputePublic]
    next: str | None


class OverdueRequestsPublic(RequestsPublic):
    as_of_height: int
    as_of_time: int


class OverdueDisputesPublic(DisputesPublic):
    as_of_height: int
    as_of_time: int


class AccessPublic(Open):
    """How to get a resource: its 共享属性 and access details, and whether a request is needed."""

    resource_code: str
    provider: str
    share_type: str = Field(description="unconditional (read directly), conditional or not_shared (by request)")
    share_condition: str
    share_method: str
    request_needed: bool
    approved_request: str | None = Field(description="the requester's last approved request, if any")
    article: str


def _as_of(node: Any, page: dict[str, Any]) -> dict[str, Any]:
    tip = node.ledger.tip
    return {"as_of_height": tip.height, "as_of_time": tip.time, **answer(page)}


@router.get("/access", response_model=AccessPublic, tags=TAGS)
def get_access(node: NodeDep, resource_code: str = Query(..., pattern=f"^{RESOURCE_CODE}$"),
               requester: str = member("requester")) -> Any:
    """How a department gets a resource: 无条件共享 is read directly (002:第十七条), the others by request."""
    return answer(sharing_queries.access(node.ledger.state, resource_code=resource_code, requester=requester))


@router.get("/requests", response_model=RequestsPublic, tags=TAGS)
def list_requests(node: NodeDep, requester: str = member("requester"), provider: str = member("provider"),
                  status: str = Query("", pattern=f"^({'|'.join(REQUEST_STATUSES)})?$"), after: str = AFTER,
                  limit: int = LIMIT) -> Any:
    """Sharing requests of a requester, or to a provider, or all, by id, those waiting with their deadline as of
    the tip; page with ``after``."""
    return answer(sharing_queries.requests(node.ledger.state, requester=requester, provider=provider,
                                           status=status, now=node.ledger.tip.time, after=after, limit=limit))


@router.get("/requests/overdue", response_model=OverdueRequestsPublic, tags=TAGS)
def list_overdue_requests(node: NodeDep, provider: str = member("provider"), after: str = PENDING_AFTER,
                          limit: int = LIMIT) -> Any:
    """Requests unanswered past their deadline (002:第十七条) as of the tip's block time: the authority may
    decide them in the provider's stead."""
    return _as_of(node, sharing_queries.overdue_requests(node.ledger.state, now=node.ledger.tip.time,
                                                         provider=provider, after=after, limit=limit))


@router.get("/requests/{request_id}", response_model=RequestPublic, tags=TAGS)
def get_request(node: NodeDep, request_id: str = REQUEST) -> Any:
    """One sharing request, with its deadline as of the tip while it waits."""
    return answer(sharing_queries.request(node.ledger.state, request_id=request_id, now=node.ledger.tip.time))


@router.get("/disputes", response_model=DisputesPublic, tags=TAGS)
def list_disputes(node: NodeDep, user: str = member("user department"), provider: str = member("provider"),
                  status: str = Query("", pattern=f"^({'|'.join(DISPUTE_STATUSES)})?$"), after: str = AFTER,
                  limit: int = LIMIT) -> Any:
    """校核 disputes filed by a user department, or about a provider's resources, or all, by id."""
    return answer(sharing_queries.disputes(node.ledger.state, user=user, provider=provider, status=status,
                                           now=node.ledger.tip.time, after=after, limit=limit))


@router.get("/disputes/overdue", response_model=OverdueDisputesPublic, tags=TAGS)
def list_overdue_disputes(node: NodeDep, provider: str = member("provider"), after: str = PENDING_AFTER,
                          limit: int = LIMIT) -> Any:
    """Disputes unanswered past their (possibly extended) deadline (004:第十四条) as of the tip's block time."""
    return _as_of(node, sharing_queries.overdue_disputes(node.ledger.state, now=node.ledger.tip.time,
                                                         provider=provider, after=after, limit=limit))


@router.get("/disputes/{dispute_id}", response_model=DisputePublic, tags=TAGS)
def get_dispute(node: NodeDep, dispute_id: str = DISPUTE) -> Any:
    """One 校核 dispute, with its deadline as of the tip while it waits."""
    return answer(sharing_queries.dispute(node.ledger.state, dispute_id=dispute_id, now=node.ledger.tip.time))
