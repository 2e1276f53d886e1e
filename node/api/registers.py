"""Routes of the contracts' registers: members, duty items, catalog entries, proposals, the calendar.

Each route calls one of the contract's queries (``contracts.<name>.queries``)
over committed state: the same functions the CLI reaches through this API and
the engine's ``query`` runs by path. No state key is spelled here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from contracts import anchor, catalog, duty, governance
from contracts.anchor import queries as anchor_queries
from contracts.catalog import queries as catalog_queries
from contracts.duty import queries as duty_queries
from contracts.evidence import queries as evidence_queries
from contracts.validators import queries as validator_queries
from contracts.governance import queries as governance_queries
from contracts.identity import queries as identity_queries
from contracts.workdays import queries as calendar_queries
from node.api.common import MAX_INT, NodeDep, answer, check_height
from node.api.schemas import (CalendarYearPublic, DocumentPublic, DocumentsPublic, MisbehaviourPublic, ValidatorSetsPublic, CalendarYearsPublic, CatalogDiffPublic, CatalogEntriesPublic,
                              CatalogEntryStatePublic, CatalogVersionsPublic, DeclaredByPublic,
                              DutyItemsPublic, DutyItemStatePublic, DutyVersionsPublic, MemberPublic,
                              MembersPublic, OverduePublic, OverlapsPublic, ProposalPublic, ProposalsPublic,
                              ProvidesPublic, DataElementsPublic)

router = APIRouter(prefix="/v1")
LIMIT = Query(100, ge=1, le=1000)
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text without control characters (what every text argument of the contracts is)."""
USCC = Path(..., pattern=r"^[0-9A-Z]{18}$", description="a 统一社会信用代码")
RESOURCE_CODE = Query(..., pattern=f"^{catalog.RESOURCE_CODE}$", description="a 信息资源代码")


def cursor(max_length: int) -> Any:
    """The cursor of a page: where the previous page ended (empty: from the start)."""
    return Query("", max_length=max_length, pattern=TEXT)


DUTY_ITEM = Path(..., pattern=f"^{duty.ITEM_ID}$", description="a duty item's id")


# --- members -------------------------------------------------------------------------------------


@router.get("/members", response_model=MembersPublic, tags=["members"])
def list_members(node: NodeDep, after: str = cursor(18), limit: int = LIMIT) -> Any:
    """Members (departments, districts, authorities), by 统一社会信用代码; page with ``after``."""
    return answer(identity_queries.members(node.ledger.state, after=after, limit=limit))


@router.get("/members/{code}", response_model=MemberPublic, tags=["members"])
def get_member(node: NodeDep, code: str = USCC) -> Any:
    """A member with its roles and keys, and the nonce its next transaction must carry."""
    return {**answer(identity_queries.member(node.ledger.state, uscc=code)), "next_nonce": node.app.next_nonce(code)}


# --- anchored documents --------------------------------------------------------------------------


@router.get("/anchors/{code}", response_model=DocumentsPublic, tags=["documents"])
def list_documents(node: NodeDep, code: str = USCC, after: str = cursor(128), limit: int = LIMIT) -> Any:
    """A member's anchored documents (文件存证), latest versions, by document id; page with ``after``."""
    return answer(anchor_queries.documents(node.ledger.state, uscc=code, after=after, limit=limit))


@router.get("/anchors/{code}/{doc_id:path}", response_model=DocumentPublic, tags=["documents"])
def get_document(node: NodeDep, code: str = USCC,
                 doc_id: str = Path(..., pattern=f"^{anchor.DOC_ID}$")) -> Any:
    """One anchored document: its latest version and every version, oldest first (check a file's
    digest against them)."""
    return answer(anchor_queries.document(node.ledger.state, uscc=code, doc_id=doc_id))


# --- validators -----------------------------------------------------------------------------------


@router.get("/validators", response_model=ValidatorSetsPublic, tags=["chain"])
def list_validator_sets(node: NodeDep) -> Any:
    """Every validator set: genesis's, and each one governance scheduled, by the block it takes effect at."""
    return answer(validator_queries.history(node.ledger.state))


# --- validators' misbehaviour ---------------------------------------------------------------------


@router.get("/evidence", response_model=MisbehaviourPublic, tags=["chain"])
def list_evidence(node: NodeDep, validator: str = Query("", max_length=64, pattern=TEXT), after: str = cursor(200),
                  limit: int = LIMIT) -> Any:
    """Validators' misbehaviour CometBFT proved (duplicate votes...), recorded on chain; one validator's
    with ``validator``; page with ``after``."""
    return answer(evidence_queries.misbehaviour(node.ledger.state, validator=validator, after=after, limit=limit))


# --- duty catalog --------------------------------------------------------------------------------


@router.get("/duty/{code}", response_model=DutyItemsPublic, tags=["duty catalog"])
def list_duty_items(node: NodeDep, code: str = USCC, after: str = cursor(64), limit: int = LIMIT) -> Any:
    """A department's duty items (职责事项): each one's latest version; page with ``after``."""
    return answer(duty_queries.items(node.ledger.state, department=code, after=after, limit=limit))


@router.get("/duty/{code}/{item_id}", response_model=DutyItemStatePublic, tags=["duty catalog"])
def get_duty_item(node: NodeDep, code: str = USCC, item_id: str = DUTY_ITEM) -> Any:
    """A duty item's latest version and the version in force (approved), if any."""
    return answer(duty_queries.item(node.ledger.state, department=code, item_id=item_id))


@router.get("/duty/{code}/{item_id}/versions", response_model=DutyVersionsPublic, tags=["duty catalog"])
def get_duty_versions(node: NodeDep, code: str = USCC, item_id: str = DUTY_ITEM, after: int = Query(0, ge=0, le=MAX_INT),
                      limit: int = LIMIT) -> Any:
    """Every version of a duty item, oldest first, each linked to the one before by hash."""
    return answer(duty_queries.versions(node.ledger.state, department=code, item_id=item_id, after=after,
                                        limit=limit))


# --- data catalog --------------------------------------------------------------------------------


@router.get("/catalog/entry", response_model=CatalogEntryStatePublic, tags=["data catalog"])
def get_catalog_entry(node: NodeDep, code: str = RESOURCE_CODE, height: int | None = Query(None, ge=0, le=MAX_INT)) -> Any:
    """A catalog entry by 资源代码: its latest version, or the version in force at ``height``."""
    check_height(node, height)
    return answer(catalog_queries.entry(node.ledger.state, code=code, height=height))


@router.get("/catalog/versions", response_model=CatalogVersionsPublic, tags=["data catalog"])
def get_catalog_versions(node: NodeDep, code: str = RESOURCE_CODE, after: int = Query(0, ge=0, le=MAX_INT), limit: int = LIMIT) -> Any:
    """Every version of an entry, oldest first, each with the previous version's hash; page with
    ``after`` (a version number)."""
    return answer(catalog_queries.versions(node.ledger.state, code=code, after=after, limit=limit))


@router.get("/catalog/diff", response_model=CatalogDiffPublic, tags=["data catalog"])
def get_catalog_diff(node: NodeDep, code: str = RESOURCE_CODE, from_version: int = Query(..., alias="from", ge=1, le=MAX_INT),
                     to_version: int = Query(..., alias="to", ge=1, le=MAX_INT)) -> Any:
    """What changed between two versions: fields, and 信息项 added, removed or changed."""
    return answer(catalog_queries.changes(node.ledger.state, code=code, from_version=from_version,
                                          to_version=to_version))


@router.get("/catalog/entries", response_model=CatalogEntriesPublic, tags=["data catalog"])
def list_catalog_entries(node: NodeDep, department: str = Query(..., pattern=r"^[0-9A-Z]{18}$"),
                         after: str = cursor(64),
                         limit: int = LIMIT) -> Any:
    """A department's catalog entries (latest versions), by 资源代码; page with ``after``."""
    return answer(catalog_queries.entries(node.ledger.state, department=department, after=after, limit=limit))


@router.get("/catalog/overlaps", response_model=OverlapsPublic, tags=["data catalog"])
def list_overlaps(node: NodeDep, after: str = cursor(64), limit: int = LIMIT) -> Any:
    """一数一源: entries declaring data items another department already provides."""
    return answer(catalog_queries.overlaps(node.ledger.state, after=after, limit=limit))


@router.get("/catalog/provides", response_model=ProvidesPublic, tags=["data catalog"])
def who_provides(node: NodeDep, item: str = Query(..., min_length=1, max_length=100, pattern=TEXT),
                 limit: int = LIMIT) -> Any:
    """一数一源: the departments whose current entries declare data item ``item``, each with how many
    and the resource codes of those entries (the first ``limit``; ``/v1/catalog/declared`` pages on)."""
    return answer(catalog_queries.provides(node.ledger.state, item=item, limit=limit))


@router.get("/catalog/elements", response_model=DataElementsPublic, tags=["data catalog"])
def list_data_elements(node: NodeDep, after: str = cursor(100), limit: int = LIMIT) -> Any:
    """数据元: the data-element dictionary 一数一源 matches through — standard names with their types and
    synonyms, by name (page with ``after``), and the generic items that are never an overlap."""
    return answer(catalog_queries.data_elements(node.ledger.state, after=after, limit=limit))


@router.get("/catalog/declared", response_model=DeclaredByPublic, tags=["data catalog"])
def declared_by(node: NodeDep, item: str = Query(..., min_length=1, max_length=100, pattern=TEXT),
                provider: str = Query(..., pattern=r"^[0-9A-Z]{18}$"), after: str = cursor(64),
                limit: int = LIMIT) -> Any:
    """一数一源: the resource codes of one provider's entries declaring data item ``item``; page with ``after``."""
    return answer(catalog_queries.declared_by(node.ledger.state, item=item, provider=provider, after=after,
                                              limit=limit))


@router.get("/catalog/overdue", response_model=OverduePublic, tags=["data catalog"])
def list_overdue(node: NodeDep, include_due: bool = False, after: str = cursor(18),
                 limit: int = LIMIT) -> Any:
    """Departments whose data catalog was not updated within N working days of a duty change
    (002:第九条), as of the tip's block time; ``include_due`` adds those still within the deadline."""
    tip = node.ledger.tip
    page = catalog_queries.overdue(node.ledger.state, now=tip.time, include_due=include_due, after=after,
                                   limit=limit)
    return {"as_of_height": tip.height, "as_of_time": tip.time, **answer(page)}


# --- governance and the calendar -----------------------------------------------------------------


@router.get("/governance/proposals", response_model=ProposalsPublic, tags=["governance"])
def list_proposals(node: NodeDep, status: str | None = Query(None, pattern="^(open|approved|rejected|expired|failed)$"),
                   after: str = cursor(64), limit: int = LIMIT) -> Any:
    """Governance proposals with their votes and status (``open``, ``approved``, ``failed``...)."""
    return answer(governance_queries.proposals(node.ledger.state, status=status, after=after, limit=limit))


@router.get("/governance/proposals/{proposal_id}", response_model=ProposalPublic, tags=["governance"])
def get_proposal(node: NodeDep, proposal_id: str = Path(..., pattern=f"^{governance.PROPOSAL_ID}$")) -> Any:
    """One proposal with its votes, status and outcome."""
    return answer(governance_queries.proposal(node.ledger.state, proposal_id=proposal_id))


@router.get("/calendar", response_model=CalendarYearsPublic, tags=["calendar"])
def calendar_years(node: NodeDep) -> Any:
    """The years the chain's working-day calendar covers (deadlines elsewhere are refused)."""
    return calendar_queries.years(node.ledger.state)


@router.get("/calendar/{year}", response_model=CalendarYearPublic, tags=["calendar"])
def calendar_year(node: NodeDep, year: int = Path(..., ge=0, le=9999)) -> Any:
    """One year's statutory holidays and 调休 make-up workdays, as chain data."""
    return calendar_queries.year(node.ledger.state, year)
