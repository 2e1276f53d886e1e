"""The project library's read-only queries: what the API, the CLI and the engine's ``query`` serve.

Listings page with a cursor (``after``) and a ``limit`` over the contract's
indexes (:mod:`contracts.project.keys`); the acceptance verdict is
:func:`contracts.project.acceptance.verdict` over committed state.
"""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from chain.state import StateReader
from contracts.args import Int, OneOf, Str, Uscc
from contracts.base import next_cursor, page
from contracts.duty.queries import linked
from contracts.project import STATES, contract, opinion_status, reports_due
from contracts.project.acceptance import verdict as acceptance_verdict
from contracts.project.catalogs import DECLARED, PRE_ACCEPTANCE, STAGES, catalog_of, mismatches
from contracts.project.keys import (
    PROJECT_ID,
    acceptance_key,
    catalog_change_key,
    catalog_changes_prefix,
    catalog_key,
    change_key,
    changes_prefix,
    dept_prefix,
    INFO,
    integration_key,
    opinion_key,
    review_key,
    ownership_key,
    project_key,
    reports_prefix,
    state_prefix,
)
from contracts.workdays import china_date

LIMIT = Int(min=1, max=1000, required=False)
PROJECT = Str(max_len=64, pattern=PROJECT_ID)
AFTER = Str(min_len=0, max_len=64, required=False)
HEIGHT = Int(min=0, required=False)


def _not_found(project_id: str, what: str = "") -> NotFound:
    return NotFound(f"no project {project_id}{what}", code="PROJECT_NOT_FOUND", project_id=project_id)


def _project(reader: StateReader, project_id: str, height: int | None = None) -> dict[str, Any]:
    version = reader.version(project_key(project_id), height)
    if version is None or version.value is None:
        raise _not_found(project_id, "" if height is None else f" at height {height}")
    return version.value


def _listing(reader: StateReader, project_id: str, name: str, prefix: str, after: str, limit: int) -> dict[str, Any]:
    """One page of a project's records under ``prefix``, as ``{project_id, <name>: [...], next}``."""
    _project(reader, project_id)
    rows = page(reader, prefix, after, limit)
    return {"project_id": project_id, name: [v for _, v in rows],
            "next": next_cursor(rows, limit, rows[-1][0] if rows else None)}


@contract.query(args={"project_id": PROJECT, "height": HEIGHT})
def project(reader: StateReader, project_id: str, height: int | None = None) -> dict[str, Any]:
    """A project's current record (or as of ``height``) with its review opinion and its last review decision
    (passed, or not passed under 000:第十三条)."""
    record = _project(reader, project_id, height)
    current = height is None
    return {**record, "opinion": reader.get(opinion_key(project_id)) if current else None,
            "review": reader.get(review_key(project_id)) if current else None}


@contract.query(args={"project_id": PROJECT, "after": Int(min=0, required=False), "limit": LIMIT})
def history(reader: StateReader, project_id: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every version of a project — each transition with its state, document, signer and block — oldest first."""
    found = reader.versions(project_key(project_id), skip=after, limit=limit)
    if not found and not after:
        raise _not_found(project_id)
    return {"project_id": project_id, "versions": [linked(v, reader) for v in found]}


@contract.query(args={"department": Uscc(required=False), "state": OneOf(STATES, required=False),
                      "after": AFTER, "limit": LIMIT})
def projects(reader: StateReader, department: str = "", state: str = "", after: str = "",
             limit: int = 100) -> dict[str, Any]:
    """Projects of a department, or in a state, or both, by project id; page with ``after``."""
    if department:
        rows = [(pid, s) for pid, s in page(reader, dept_prefix(department), after, limit)]
        found = [reader.get(project_key(pid)) for pid, s in rows if not state or s == state]
        last = rows[-1][0] if rows else None
        return {"projects": found, "next": next_cursor(rows, limit, last)}
    if not state:
        rows = page(reader, INFO, after, limit)
        return {"projects": [v for _, v in rows], "next": next_cursor(rows, limit, rows[-1][0] if rows else None)}
    ids = [pid for pid, _ in page(reader, state_prefix(state), after, limit)]
    return {"projects": [reader.get(project_key(pid)) for pid in ids],
            "next": next_cursor(ids, limit, ids[-1] if ids else None)}


@contract.query(args={"project_id": PROJECT, "after": AFTER, "limit": LIMIT})
def changes(reader: StateReader, project_id: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """The project's changes of main content: filings (备案) and requests for approval (001:第十六条)."""
    return _listing(reader, project_id, "changes", changes_prefix(project_id), after, limit)


@contract.query(args={"project_id": PROJECT, "change_id": Str(max_len=64)})
def change(reader: StateReader, project_id: str, change_id: str) -> dict[str, Any]:
    """One change of main content."""
    found = reader.get(change_key(project_id, change_id))
    if found is None:
        raise NotFound(f"no change {change_id} of {project_id}", code="PROJECT_CHANGE_NOT_FOUND",
                       project_id=project_id, change_id=change_id)
    return found


@contract.query(args={"project_id": PROJECT, "after": AFTER, "limit": LIMIT})
def reports(reader: StateReader, project_id: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """The project's quarterly progress reports, by quarter."""
    return _listing(reader, project_id, "reports", reports_prefix(project_id), after, limit)


@contract.query(args={"now": Int(min=0), "after": AFTER, "limit": LIMIT})
def overdue_reports(reader: StateReader, now: int, after: str = "", limit: int = 100) -> dict[str, Any]:
    """Projects in construction with quarterly reports past their deadline as of block time ``now``;
    a page looks at ``limit`` projects in construction from after ``after``."""
    ids = [pid for pid, _ in page(reader, state_prefix("in_construction"), after, limit)]
    day = china_date(now)
    rows = []
    for pid in ids:
        record = reader.get(project_key(pid))
        late = reports_due(reader, record, day)
        if late:
            rows.append({"project_id": pid, "department": record["department"], "name": record["name"],
                         "quarters": late})
    return {"projects": rows, "next": next_cursor(ids, limit, ids[-1] if ids else None)}


@contract.query(args={"project_id": PROJECT, "now": Int(min=0)})
def opinion(reader: StateReader, project_id: str, now: int) -> dict[str, Any]:
    """The technical-review opinion with whether it is valid at block time ``now`` (001:第十五条)."""
    _project(reader, project_id)
    found = opinion_status(reader, project_id, china_date(now))
    if found is None:
        raise NotFound(f"project {project_id} has no review opinion", code="PROJECT_OPINION_NOT_FOUND",
                       project_id=project_id)
    return found


@contract.query(args={"project_id": PROJECT, "stage": OneOf(STAGES), "height": HEIGHT})
def catalog(reader: StateReader, project_id: str, stage: str, height: int | None = None) -> dict[str, Any]:
    """A project data catalog (申报, 拟验收 or 已验收), current or as of ``height``, with its 一数一源 flags."""
    _project(reader, project_id, height)
    version = reader.version(catalog_key(project_id, stage), height)
    if version is None or version.value is None:
        raise NotFound(f"project {project_id} has no {stage} catalog", code="PROJECT_CATALOG_NOT_FOUND",
                       project_id=project_id, stage=stage)
    return version.value


@contract.query(args={"project_id": PROJECT})
def mismatch(reader: StateReader, project_id: str) -> dict[str, Any]:
    """不符 (000:第十六条): where the 拟验收 catalog fails to inherit the locked 申报 catalog, line by line."""
    _project(reader, project_id)
    declared = catalog_of(reader, project_id, DECLARED)
    pre = catalog_of(reader, project_id, PRE_ACCEPTANCE)
    found = mismatches(declared["lines"], pre["lines"]) if pre["version"] else []
    return {"project_id": project_id, "declared_version": declared["version"], "pre_acceptance_version":
            pre["version"], "mismatches": found, "article": "000:第十六条"}


@contract.query(args={"project_id": PROJECT, "after": AFTER, "limit": LIMIT})
def catalog_changes(reader: StateReader, project_id: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """Requests to change the locked 申报 catalog, with their decisions (000:第十一条)."""
    return _listing(reader, project_id, "changes", catalog_changes_prefix(project_id), after, limit)


@contract.query(args={"project_id": PROJECT, "change_id": Str(max_len=64)})
def catalog_change(reader: StateReader, project_id: str, change_id: str) -> dict[str, Any]:
    """One request to change the locked 申报 catalog."""
    found = reader.get(catalog_change_key(project_id, change_id))
    if found is None:
        raise NotFound(f"no catalog change {change_id} of {project_id}", code="PROJECT_CHANGE_NOT_FOUND",
                       project_id=project_id, change_id=change_id)
    return found


@contract.query(args={"project_id": PROJECT})
def acceptance(reader: StateReader, project_id: str) -> dict[str, Any]:
    """The last acceptance decision, passed or refused with each failing condition (every earlier one in
    its history)."""
    _project(reader, project_id)
    found = reader.get(acceptance_key(project_id))
    if found is None:
        raise NotFound(f"project {project_id} has no acceptance decision", code="PROJECT_ACCEPTANCE_NOT_FOUND",
                       project_id=project_id)
    return found


@contract.query(args={"project_id": PROJECT})
def verdict(reader: StateReader, project_id: str) -> dict[str, Any]:
    """Whether the project may pass acceptance now: each condition, its failures, the records it read."""
    _project(reader, project_id)
    return acceptance_verdict(reader, project_id)


@contract.query(args={"project_id": PROJECT})
def integration(reader: StateReader, project_id: str) -> dict[str, Any]:
    """The project's recorded connection to the shared infrastructure (对接)."""
    found = reader.get(integration_key(project_id))
    if found is None:
        raise NotFound(f"project {project_id} recorded no 对接", code="PROJECT_INTEGRATION_NOT_FOUND",
                       project_id=project_id)
    return found


@contract.query(args={"resource_code": Str(max_len=32)})
def ownership(reader: StateReader, resource_code: str) -> dict[str, Any]:
    """确权: the confirmed owner of a catalogued resource and its sharing commitment (000:第十四条(四))."""
    found = reader.get(ownership_key(resource_code))
    if found is None:
        raise NotFound(f"no ownership confirmation of {resource_code}", code="OWNERSHIP_NOT_FOUND",
                       resource_code=resource_code)
    return found
