"""Routes of information systems and escrowed credentials (000:第十四条), with their response schemas.

Each route calls one of the ``system`` contract's queries (:mod:`contracts.system.queries`) over
committed state. A credential's envelope is served as it is, sealed: the custodian opens it on its
own machine (``mulu credential open``), so no secret ever passes through a node, its log or this API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from contracts.project.keys import PROJECT_ID
from contracts.system import SYSTEM_CODE
from contracts.system import queries as system_queries
from node.api.common import MAX_INT, NodeDep, answer, check_height
from node.api.schemas import Open

router = APIRouter(prefix="/v1")
LIMIT = Query(100, ge=1, le=1000)
CODE = Path(..., pattern=f"^{SYSTEM_CODE}$", description="a system's code")
TAGS: list[Any] = ["systems and credentials"]


# --- schemas ---------------------------------------------------------------------------------------


class SystemPublic(Open):
    """A system's version: its department, project, 部署位置 and 等保级别."""

    code: str
    department: str
    name: str
    project: str = Field(description="the project that built it ('' for none)")
    deployment: str = Field(description="gov_cloud or other")
    protection_level: int = Field(description="等保级别, 1..5")
    version: int
    height: int
    time: int


class ExemptionPublic(Open):
    """A 入云 exemption: the application and the decision on it."""

    code: str
    department: str
    status: str = Field(description="pending, approved or refused")
    reason: str
    applied: dict[str, Any]
    decision: dict[str, Any] | None
    version: int


class SystemStatePublic(SystemPublic):
    exemption: ExemptionPublic | None
    cloud_ok: bool = Field(description="on the government cloud, or with an approved exemption (000:第十四条(一))")
    credential_current: bool = Field(description="a credential is escrowed, sealed to the custodian's current key")


class SystemsPublic(BaseModel):
    department: str | None = None
    project_id: str | None = None
    systems: list[SystemPublic]
    next: str | None


class SystemVersionsPublic(BaseModel):
    code: str
    versions: list[SystemPublic]


class CredentialPublic(Open):
    """An escrowed credential: the commitment and the sealed envelope, never the secret."""

    code: str
    department: str
    commitment: str = Field(description="hex of H(salt || account) in the chain's hash")
    envelope: str = Field(description="hex of the envelope's canonical bytes, sealed to the custodian")
    envelope_digest: str
    scheme: str
    custodian_key_id: str
    version: int
    height: int
    time: int
    sealed_to_current_key: bool


class CustodianPublic(Open):
    """The custodian's current encryption public key."""

    scheme: str
    public_key: str
    key_id: str
    version: int
    height: int


class PendingPublic(BaseModel):
    code: str
    department: str
    custodian_key_id: str = Field(description="the older key it is still sealed to")
    version: int


class PendingResealPublic(BaseModel):
    custodian_key_id: str | None = Field(description="the current custodian key")
    credentials: list[PendingPublic]
    next: str | None


class AccessPublic(Open):
    """A recorded opening of a credential by the custodian: who, why, which version."""

    code: str
    by: str
    reason: str
    credential_version: int
    seq: int
    height: int
    time: int


class AccessesPublic(BaseModel):
    code: str
    accesses: list[AccessPublic]
    next: int | None


# --- routes ----------------------------------------------------------------------------------------


AFTER = Query("", max_length=64, pattern=f"^({SYSTEM_CODE})?$", description="the code the previous page ended on")


@router.get("/systems", response_model=SystemsPublic, tags=TAGS)
def list_systems(node: NodeDep, department: str = Query(..., pattern=r"^[0-9A-Z]{18}$"), after: str = AFTER,
                 limit: int = LIMIT) -> Any:
    """A department's systems, current versions by code; page with ``after``."""
    return answer(system_queries.systems(node.ledger.state, department=department, after=after, limit=limit))


@router.get("/projects/{project_id}/systems", response_model=SystemsPublic, tags=TAGS)
def list_project_systems(node: NodeDep, project_id: str = Path(..., pattern=f"^{PROJECT_ID}$"), after: str = AFTER,
                         limit: int = LIMIT) -> Any:
    """A project's systems, current versions by code; page with ``after``."""
    return answer(system_queries.systems_of_project(node.ledger.state, project_id=project_id, after=after,
                                                    limit=limit))


@router.get("/systems/{code}", response_model=SystemStatePublic, tags=TAGS)
def get_system(node: NodeDep, code: str = CODE) -> Any:
    """A system's current version, its 入云 exemption, whether it meets 入云, and whether its
    credential is sealed to the custodian's current key."""
    return answer(system_queries.system(node.ledger.state, code=code))


@router.get("/systems/{code}/versions", response_model=SystemVersionsPublic, tags=TAGS)
def get_system_versions(node: NodeDep, code: str = CODE, after: int = Query(0, ge=0, le=MAX_INT),
                        limit: int = LIMIT) -> Any:
    """Every version of a system, oldest first; page with ``after`` (a version number)."""
    return answer(system_queries.system_versions(node.ledger.state, code=code, after=after, limit=limit))


@router.get("/systems/{code}/credential", response_model=CredentialPublic, tags=TAGS)
def get_credential(node: NodeDep, code: str = CODE, height: int | None = Query(None, ge=0, le=MAX_INT)) -> Any:
    """A system's escrowed credential (commitment and sealed envelope), current or as of ``height``."""
    check_height(node, height)
    return answer(system_queries.credential(node.ledger.state, code=code, height=height))


@router.get("/systems/{code}/accesses", response_model=AccessesPublic, tags=TAGS)
def get_accesses(node: NodeDep, code: str = CODE, after: int = Query(0, ge=0, le=MAX_INT),
                 limit: int = LIMIT) -> Any:
    """Every recorded opening of a system's credential by the custodian, oldest first."""
    return answer(system_queries.accesses(node.ledger.state, code=code, after=after, limit=limit))


@router.get("/credentials/custodian", response_model=CustodianPublic, tags=TAGS)
def get_custodian(node: NodeDep) -> Any:
    """The custodian's current encryption public key: what credentials must be sealed to."""
    return answer(system_queries.custodian(node.ledger.state))


@router.get("/credentials/pending", response_model=PendingResealPublic, tags=TAGS)
def list_pending_reseal(node: NodeDep, after: str = Query("", max_length=96, pattern=r"^[0-9A-Za-z/._-]*$"),
                        limit: int = LIMIT) -> Any:
    """Credentials still sealed to an older custodian key: they must be sealed again to the current
    one; page with ``after`` (``<key_id>/<code>``)."""
    return answer(system_queries.pending_reseal(node.ledger.state, after=after, limit=limit))
