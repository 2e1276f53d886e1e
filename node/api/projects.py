"""Routes of the project library and the review service.

Each register route calls one of :mod:`contracts.project.queries` over committed
state; the review route answers the acceptance verdict with its evidence
(:mod:`node.review`), which ``mulu review check --offline`` re-checks from the
genesis alone. No state key is spelled here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from contracts import catalog
from contracts.project import STATES
from contracts.project import queries as project_queries
from contracts.project.catalogs import STAGES
from contracts.project.keys import PROJECT_ID
from node import review
from node.api.common import MAX_INT, NodeDep, answer, proof_value
from node.api.schemas import Open, SetChangePublic

router = APIRouter(prefix="/v1")
LIMIT = Query(100, ge=1, le=1000)
PROJECT = Path(..., pattern=f"^{PROJECT_ID}$", description="a project's unified code (项目代码)")
AFTER = Query("", max_length=64, pattern=f"^({PROJECT_ID})?$", description="the id the previous page ended on")
TAGS = ["projects"]


class ProjectPublic(Open):
    """A project: its department, figures, state (储备 reserve … 终止 terminated) and the document its last
    transition cites."""

    project_id: str
    department: str
    name: str
    state: str = Field(description=", ".join(STATES))
    version: int
    height: int


class ProjectStatePublic(ProjectPublic):
    opinion: dict[str, Any] | None = Field(description="the technical-review opinion, if granted")
    review: dict[str, Any] | None = Field(description="the last technical-review decision: passed, or not passed "
                                                      "(000:第十三条) with the articles its catalog breaks")


class ProjectsPublic(BaseModel):
    projects: list[ProjectPublic]
    next: str | None


class ProjectHistoryPublic(BaseModel):
    project_id: str
    versions: list[ProjectPublic]


class ChangesPublic(BaseModel):
    project_id: str
    changes: list[dict[str, Any]]
    next: str | None


class ReportsPublic(BaseModel):
    project_id: str
    reports: list[dict[str, Any]]
    next: str | None


class OverdueReportsPublic(BaseModel):
    as_of_height: int
    as_of_time: int
    projects: list[dict[str, Any]]
    next: str | None


class ProjectCatalogPublic(Open):
    """A project data catalog: 申报 (declared), 拟验收 (pre_acceptance) or 已验收 (accepted)."""

    project_id: str
    stage: str
    lines: list[dict[str, Any]]
    flags: list[dict[str, Any]] = Field(description="一数一源 (000:第七条): newly collected items others provide")
    version: int


class MismatchPublic(BaseModel):
    project_id: str
    declared_version: int
    pre_acceptance_version: int
    mismatches: list[dict[str, Any]]
    article: str


class AcceptancePublic(Open):
    project_id: str
    outcome: str = Field(description="passed, or refused with each failing condition")
    failed: list[str]
    conditions: list[dict[str, Any]]


class OwnershipPublic(Open):
    resource_code: str
    owner: str
    commitment: dict[str, Any] | None


class ConditionPublic(BaseModel):
    name: str = Field(description="cloud 入云, update 更新, chain 上链, ownership 确权, integration 对接, "
                                  "inherit 不符")
    title: str
    article: str
    met: bool
    failures: list[dict[str, Any]]
    evidence: list[str] = Field(description="the state keys this condition read, each proven in `records`")


class VerdictPublic(BaseModel):
    project_id: str
    department: str
    state: str
    passed: bool
    conditions: list[ConditionPublic]
    evidence: list[str]
    article: str


class ReviewPublic(BaseModel):
    """The acceptance verdict at a certified height with its evidence: state proofs of every record it
    read and inclusion proofs of the transactions that wrote them (bytes as ``{"b64": …}``)."""

    format: str
    chain_id: str
    project_id: str
    height: int
    verdict: VerdictPublic
    header: list[Any] = Field(description="the block header at ``height`` (its plain form, as in proofs)")
    commit: list[Any] = Field(description="its commit certificate: the validators' signatures")
    set_changes: list[SetChangePublic] = Field(description="the validator-set changes from the genesis set to the "
                                                           "one that signed ``commit`` (empty while genesis's)")
    records: list[dict[str, Any]]
    transactions: list[dict[str, Any]]


@router.get("/projects", response_model=ProjectsPublic, tags=TAGS)
def list_projects(node: NodeDep, department: str = Query("", pattern=r"^([0-9A-Z]{18})?$"),
                  state: str = Query("", pattern=f"^({'|'.join(STATES)})?$"), after: str = AFTER,
                  limit: int = LIMIT) -> Any:
    """Projects of the library: of a department, in a state, or all, by project id; page with ``after``."""
    return answer(project_queries.projects(node.ledger.state, department=department, state=state, after=after,
                                           limit=limit))


@router.get("/projects/reports/overdue", response_model=OverdueReportsPublic, tags=TAGS)
def list_overdue_reports(node: NodeDep, after: str = AFTER, limit: int = LIMIT) -> Any:
    """Projects in construction whose quarterly progress report is past its deadline (001:第六条), as of the
    tip's block time."""
    tip = node.ledger.tip
    page = project_queries.overdue_reports(node.ledger.state, now=tip.time, after=after, limit=limit)
    return {"as_of_height": tip.height, "as_of_time": tip.time, **answer(page)}


@router.get("/projects/{project_id}", response_model=ProjectStatePublic, tags=TAGS)
def get_project(node: NodeDep, project_id: str = PROJECT,
                height: int | None = Query(None, ge=0, le=MAX_INT)) -> Any:
    """A project's current record (or as of ``height``) with its review opinion."""
    return answer(project_queries.project(node.ledger.state, project_id=project_id, height=height))


@router.get("/projects/{project_id}/history", response_model=ProjectHistoryPublic, tags=TAGS)
def get_history(node: NodeDep, project_id: str = PROJECT, after: int = Query(0, ge=0, le=MAX_INT),
                limit: int = LIMIT) -> Any:
    """Every transition of a project, oldest first, with its state, document, signer and block."""
    return answer(project_queries.history(node.ledger.state, project_id=project_id, after=after, limit=limit))


@router.get("/projects/{project_id}/changes", response_model=ChangesPublic, tags=TAGS)
def get_changes(node: NodeDep, project_id: str = PROJECT, after: str = Query("", max_length=64),
                limit: int = LIMIT) -> Any:
    """Changes of main content: filings (备案) and requests with their decisions (001:第十六条)."""
    return answer(project_queries.changes(node.ledger.state, project_id=project_id, after=after, limit=limit))


@router.get("/projects/{project_id}/reports", response_model=ReportsPublic, tags=TAGS)
def get_reports(node: NodeDep, project_id: str = PROJECT, after: str = Query("", max_length=6),
                limit: int = LIMIT) -> Any:
    """Quarterly progress reports, by quarter."""
    return answer(project_queries.reports(node.ledger.state, project_id=project_id, after=after, limit=limit))


@router.get("/projects/{project_id}/catalogs/{stage}", response_model=ProjectCatalogPublic, tags=TAGS)
def get_catalog(node: NodeDep, project_id: str = PROJECT,
                stage: str = Path(..., pattern=f"^({'|'.join(STAGES)})$"),
                height: int | None = Query(None, ge=0, le=MAX_INT)) -> Any:
    """A project data catalog — declared (申报), pre_acceptance (拟验收) or accepted (已验收) — with its flags."""
    return answer(project_queries.catalog(node.ledger.state, project_id=project_id, stage=stage, height=height))


@router.get("/projects/{project_id}/mismatch", response_model=MismatchPublic, tags=TAGS)
def get_mismatch(node: NodeDep, project_id: str = PROJECT) -> Any:
    """不符 (000:第十六条): where the 拟验收 catalog fails to inherit the 申报 catalog, line by line."""
    return answer(project_queries.mismatch(node.ledger.state, project_id=project_id))


@router.get("/projects/{project_id}/catalog-changes", response_model=ChangesPublic, tags=TAGS)
def get_catalog_changes(node: NodeDep, project_id: str = PROJECT, after: str = Query("", max_length=64),
                        limit: int = LIMIT) -> Any:
    """Requests to change the locked 申报 catalog and their decisions (000:第十一条)."""
    return answer(project_queries.catalog_changes(node.ledger.state, project_id=project_id, after=after,
                                                  limit=limit))


@router.get("/projects/{project_id}/acceptance", response_model=AcceptancePublic, tags=TAGS)
def get_acceptance(node: NodeDep, project_id: str = PROJECT) -> Any:
    """The last acceptance decision: passed, or refused naming each failing condition."""
    return answer(project_queries.acceptance(node.ledger.state, project_id=project_id))


@router.get("/ownership", response_model=OwnershipPublic, tags=TAGS)
def get_ownership(node: NodeDep, resource_code: str = Query(..., pattern=f"^{catalog.RESOURCE_CODE}$")) -> Any:
    """确权: the confirmed owner of a catalogued resource and its sharing commitment (000:第十四条(四))."""
    return answer(project_queries.ownership(node.ledger.state, resource_code=resource_code))


@router.get("/review/projects/{project_id}/acceptance", response_model=ReviewPublic, tags=["review"])
def review_acceptance(node: NodeDep, project_id: str = PROJECT,
                      height: int | None = Query(None, ge=1, le=MAX_INT)) -> Any:
    """Whether the project may pass acceptance (001:第二十一条) at a certified height (default: the last), each
    condition with its status, and the evidence: check it with ``mulu review check --offline``."""
    bundle = review.evidence(node.ledger, project_id, height)
    return {**proof_value({k: v for k, v in bundle.items() if k != "verdict"}), "verdict": answer(bundle["verdict"])}
