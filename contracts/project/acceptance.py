"""Acceptance (竣工验收), 确权, 对接 and the 投入使用评审.

001:第二十一条: a project that has not finished 入云、更新、上链、确权、对接
does not pass acceptance; 000:第十四条 spells the first four and 000:第十六条
adds that the 拟验收 catalog must not be 不符 with the declared one.
:func:`verdict` computes every condition from state alone — it reads only
single records (``view.get``), never a listing, so that the review service
can hand out a state proof of each record it read and anyone can recompute the
same verdict offline from those proofs (:mod:`node.review`).

``project.accept`` by ``review_authority`` records the verdict either way: a
refusal names each failing condition; a pass archives the 拟验收 catalog as
the 已验收项目数据目录, immutable (000:第十七条) — or, when the acceptance
opinion asks for edits, waits for the edited final version
(``project.archive_catalog``). Within six months the department applies for
the 投入使用评审 (001:第二十三条); ``review_authority`` then puts the project
in operation, refusing one whose accepted catalog is missing or whose data is
not shared (001:第二十四条).
"""

from __future__ import annotations

import datetime
from typing import Any, Callable

from chain.execution import Effects, StateView
from contracts import duty
from contracts.args import Bool, ListOf, Str
from contracts.base import Call, param, refuse
from contracts.text import name_form
from contracts.catalog.keys import entry_key
from contracts.project import (
    DOC,
    IN_CONSTRUCTION,
    IN_OPERATION,
    PROJECT,
    contract,
    add_months,
    document,
    project_of,
    require_owner,
    require_state,
    stamp,
    today,
    transition,
)
from contracts.project.catalogs import ACCEPTED, DECLARED, PRE_ACCEPTANCE, SHARE_RANK, catalog_of, mismatches
from contracts.project.keys import acceptance_key, catalog_key, integration_key, ownership_key, project_key

ARTICLE_ACCEPTANCE = "001:第二十一条"
ARTICLE_ARCHIVE = "000:第十七条"
ARTICLE_COMMISSION_WINDOW = "001:第二十三条"
ARTICLE_COMMISSION = "001:第二十四条"
ARTICLE_OWNERSHIP = "000:第十四条(四)"

COMMISSION_MONTHS = contract.param(
    "commissioning_window_months", 6, min=1, max=36, article=ARTICLE_COMMISSION_WINDOW,
    summary="months after acceptance within which the department applies for the 投入使用评审 (001:第二十三条)")

CONDITIONS = (
    ("cloud", "入云", "000:第十四条(一)"),
    ("update", "更新", "000:第十四条(二)"),
    ("chain", "上链", "000:第十四条(三)"),
    ("ownership", "确权", ARTICLE_OWNERSHIP),
    ("integration", "对接", ARTICLE_ACCEPTANCE),
    ("inherit", "不符", "000:第十六条"),
)
"""The acceptance conditions, in the order a verdict lists them: name, Chinese title, article."""


class Reads:
    """A view that notes every key read, per condition: the records a verdict rests on."""

    def __init__(self, view: StateView) -> None:
        self._view = view
        self.keys: list[str] = []

    def get(self, key: str) -> Any:
        self.keys.append(key)
        return self._view.get(key)

    def taken(self) -> list[str]:
        """The keys read since the last call, each once, in first-read order."""
        out, self.keys = list(dict.fromkeys(self.keys)), []
        return out


def _own(line: dict[str, Any]) -> bool:
    """A line of the department's own data (new or reused), not data it obtains by sharing."""
    return line["source"] != "shared"


def _systems(view: Any, project_id: str) -> list[str]:
    from contracts import system

    return system.project_systems(view, project_id)


def _cloud(view: Any, project: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from contracts import system

    codes = _systems(view, project["project_id"])
    if not codes:
        return [{"kind": "no_systems", "message": "the project has registered no information system"}]
    return [{"kind": "not_on_cloud", "system": code, "message": f"system {code} is not on the 政务云 and has no "
             "approved exemption"} for code in codes if not system.cloud_ok(view, code)]


def _update(view: Any, project: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for line in lines:
        code = line["resource_code"]
        entry = view.get(entry_key(code))
        owner = project["department"] if _own(line) else line["provider"]
        if entry is None or entry["signer"] != owner:
            found.append({"kind": "entry_missing", "line_id": line["line_id"], "resource_code": code,
                          "message": f"{owner}'s data catalog holds no entry {code}"})
            continue
        held = {item["name"] for item in entry["entry"]["data_items"]}
        missing = [item["name"] for item in line["data_items"] if name_form(item["name"])[0] not in held]
        if missing:
            found.append({"kind": "items_missing", "line_id": line["line_id"], "resource_code": code,
                          "items": missing, "message": f"entry {code} lacks data items {'、'.join(missing)}"})
        if SHARE_RANK[entry["entry"]["share_type"]] < SHARE_RANK[line["share_type"]]:
            found.append({"kind": "share_narrower", "line_id": line["line_id"], "resource_code": code,
                          "message": f"entry {code} shares {entry['entry']['share_type']}, the line "
                                     f"{line['share_type']}"})
    return found


def lines_not_anchored(view: Any, department: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The 上链 failures of a project catalog's own lines (000:第十四条(三)): each line whose resource has
    no entry on the chain, and each duty item a line cites with no approved version of ``department``'s.

    Shared by the acceptance verdict (on the 拟验收 catalog) and the half-year assessment (on the
    已验收 catalog of a project in 运维, 000:第二十一条(二)); reads single records only, line by line,
    the entry before its duty items, so that the verdict's evidence keys keep their order."""
    found = []
    for line in lines:
        if not _own(line):
            continue
        if view.get(entry_key(line["resource_code"])) is None:
            found.append({"kind": "entry_not_anchored", "line_id": line["line_id"],
                          "resource_code": line["resource_code"],
                          "message": f"entry {line['resource_code']} is not on the chain"})
        for item_id in line["duty_items"]:
            if duty.approved_version(view, department, item_id) is None:
                found.append({"kind": "duty_not_anchored", "line_id": line["line_id"], "duty_item": item_id,
                              "message": f"duty item {item_id} has no approved version on the chain"})
    return found


def _chain(view: Any, project: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from contracts import system

    found = lines_not_anchored(view, project["department"], lines)
    for code in _systems(view, project["project_id"]):
        if not system.credential_current(view, code):
            found.append({"kind": "credential_not_anchored", "system": code,
                          "message": f"system {code}'s administrator credential is not anchored, sealed to the "
                                     "current custodian key"})
    return found


def _ownership(view: Any, project: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for line in lines:
        if not _own(line):
            continue
        code = line["resource_code"]
        record = view.get(ownership_key(code))
        if record is None or record["owner"] != project["department"]:
            found.append({"kind": "not_confirmed", "line_id": line["line_id"], "resource_code": code,
                          "message": f"编办 has not confirmed {project['department']}'s ownership of {code}"})
        elif record["commitment"] is None:
            found.append({"kind": "no_sharing_commitment", "line_id": line["line_id"], "resource_code": code,
                          "message": f"no commitment to share {code} per its catalog attributes"})
    return found


def _integration(view: Any, project: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if view.get(integration_key(project["project_id"])) is None:
        return [{"kind": "not_recorded", "message": "no connection to the shared infrastructure (对接) is recorded"}]
    return []


def _inherit(view: Any, project: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    declared = catalog_of(view, project["project_id"], DECLARED)
    return [{**m, "message": _MISMATCH[m["kind"]].format(**m)} for m in mismatches(declared["lines"], lines)]


_MISMATCH = {
    "line_missing": "declared line {line_id} ({declared}) is missing",
    "item_missing": "line {line_id} dropped data item {item}",
    "update_cycle_longer": "line {line_id} updates {actual}, declared {declared}",
    "share_narrower": "line {line_id} shares {actual}, declared {declared}",
    "open_narrower": "line {line_id} is no longer open to the public",
}

_CHECKS: dict[str, Callable[[Any, dict[str, Any], list[dict[str, Any]]], list[dict[str, Any]]]] = {
    "cloud": _cloud, "update": _update, "chain": _chain, "ownership": _ownership, "integration": _integration,
    "inherit": _inherit,
}


def verdict(view: Any, project_id: str) -> dict[str, Any]:
    """Whether the project may pass acceptance, condition by condition, with the keys each one read.

    ``view`` needs only ``get``: a state view inside a block, a committed
    reader, or the proven records of a review (:mod:`node.review`).
    """
    reads = Reads(view)
    project = reads.get(project_key(project_id))
    if project is None:
        raise refuse("PROJECT_UNKNOWN", f"no project {project_id} in the library", article="001:第六条",
                     field="project_id", project_id=project_id)
    pre = reads.get(catalog_key(project_id, PRE_ACCEPTANCE))
    base = reads.taken()
    conditions = []
    for name, title, article in CONDITIONS:
        if pre is None and name in ("update", "chain", "ownership", "inherit"):
            failures = [{"kind": "no_pre_acceptance_catalog", "message": "no 拟验收项目数据目录 is filed"}]
            if name == "chain":
                failures += _chain(reads, project, [])
        else:
            failures = _CHECKS[name](reads, project, [] if pre is None else pre["lines"])
        conditions.append({"name": name, "title": title, "article": article, "met": not failures,
                           "failures": failures, "evidence": reads.taken()})
    return {"project_id": project_id, "department": project["department"], "state": project["state"],
            "passed": all(c["met"] for c in conditions), "conditions": conditions, "evidence": base,
            "article": ARTICLE_ACCEPTANCE}


# --- the acceptance decision -------------------------------------------------------------------------


def not_accepted(project: dict[str, Any], article: str = "000:第十一条") -> None:
    """Refuse once the project passed acceptance (its catalogs are then settled)."""
    if project.get("accepted") is not None:
        raise refuse("PROJECT_ALREADY_ACCEPTED", f"project {project['project_id']} passed acceptance",
                     article=article, field="project_id")


def pre_acceptance_open(view: StateView, project: dict[str, Any]) -> None:
    """Refuse a change to the 拟验收 catalog after acceptance, unless the acceptance opinion asked for
    edits and the final version is not archived yet (000:第十七条)."""
    accepted = project.get("accepted")
    if accepted is not None and not accepted["final_pending"]:
        raise refuse("PROJECT_CATALOG_ARCHIVED", f"project {project['project_id']} passed acceptance; its "
                     "catalog is archived", article=ARTICLE_ARCHIVE, field="project_id")


def _archive(view: StateView, call: Call, project: dict[str, Any]) -> dict[str, Any]:
    """The writes archiving the 拟验收 catalog as the 已验收项目数据目录 (000:第十七条)."""
    pre = catalog_of(view, project["project_id"], PRE_ACCEPTANCE)
    archived = {**pre, "stage": ACCEPTED, "from_version": pre["version"], "version": 1, "archived": stamp(call)}
    return {catalog_key(project["project_id"], ACCEPTED): archived}


@contract.method(roles=("review_authority",), args={"project_id": PROJECT, "doc_id": DOC,
                                                     "edits_required": Bool(required=False)})
def accept(view: StateView, call: Call) -> Effects:
    """经信局 decides acceptance: passed only if 入云、更新、上链、确权、对接 hold and nothing is 不符 (001:第二十一条)."""
    a = call.args
    project = project_of(view, a["project_id"])
    require_state(project, IN_CONSTRUCTION, article=ARTICLE_ACCEPTANCE)
    not_accepted(project, ARTICLE_ACCEPTANCE)
    found = verdict(view, project["project_id"])
    doc = document(view, call)
    edits = a.get("edits_required", False)
    record = {"project_id": project["project_id"], "outcome": "passed" if found["passed"] else "refused",
              "failed": [c["name"] for c in found["conditions"] if not c["met"]],
              "conditions": [{k: c[k] for k in ("name", "met", "failures")} for c in found["conditions"]],
              "doc": doc, "edits_required": edits and found["passed"], **stamp(call)}
    writes: dict[str, Any] = {acceptance_key(project["project_id"]): record}
    if not found["passed"]:
        return Effects(writes, [("project_acceptance_refused", {"project_id": project["project_id"],
                                                                "failed": record["failed"],
                                                                "article": ARTICLE_ACCEPTANCE})])
    accepted = {"height": call.ctx.height, "time": call.ctx.time, "date": today(call).isoformat(),
                "final_pending": edits}
    writes.update(transition(view, call, project, IN_CONSTRUCTION, doc, accepted=accepted))
    if not edits:
        writes.update(_archive(view, call, project))
    return Effects(writes, [("project_accepted", {"project_id": project["project_id"], "final_pending": edits})])


@contract.method(roles=("department", "district"), args={"project_id": PROJECT})
def archive_catalog(view: StateView, call: Call) -> Effects:
    """Archive the edited final 拟验收 catalog the acceptance opinion asked for (000:第十七条)."""
    project = project_of(view, call.args["project_id"])
    require_owner(project, call)
    accepted = project.get("accepted")
    if accepted is None or not accepted["final_pending"]:
        raise refuse("PROJECT_FINAL_NOT_PENDING", "only a project accepted with edits required archives a final "
                     "version", article=ARTICLE_ARCHIVE, field="project_id")
    pre = catalog_of(view, project["project_id"], PRE_ACCEPTANCE)
    declared = catalog_of(view, project["project_id"], DECLARED)
    found = mismatches(declared["lines"], pre["lines"])
    if found:
        raise refuse("PROJECT_CATALOG_MISMATCH", f"the final version is 不符 with the 申报 catalog in {len(found)} "
                     "places", article="000:第十六条", field="project_id", mismatches=found[:20])
    writes = _archive(view, call, project)
    writes.update(transition(view, call, project, project["state"], project["doc"],
                             accepted={**accepted, "final_pending": False}))
    return Effects(writes, [("project_catalog_archived", {"project_id": project["project_id"]})])


# --- 确权 and 对接 ------------------------------------------------------------------------------------


RESOURCE = Str(max_len=32, pattern=r"[1-3][0-9]{5}[0-9A-Z]{0,12}/[0-9]{1,12}")


@contract.method(roles=("duty_authority",), args={"resource_code": RESOURCE,
                                                   "note": Str(max_len=1000, required=False)})
def confirm_ownership(view: StateView, call: Call) -> Effects:
    """编办 confirms which department owns a catalogued resource (确权, 000:第十四条(四), 000:第五条(二))."""
    code = call.args["resource_code"]
    entry = view.get(entry_key(code))
    if entry is None:
        raise refuse("PROJECT_RESOURCE_UNKNOWN", f"no catalog entry {code}", article=ARTICLE_OWNERSHIP,
                     field="resource_code")
    key = ownership_key(code)
    current = view.get(key)
    if current is not None and current["owner"] == entry["signer"]:
        raise refuse("PROJECT_OWNERSHIP_CONFIRMED", f"{code}'s owner {entry['signer']} is already confirmed",
                     article=ARTICLE_OWNERSHIP, field="resource_code")
    record = {"resource_code": code, "owner": entry["signer"], "entry_version": entry["version"],
              "note": call.args.get("note", ""), "confirmed": stamp(call), "commitment": None}
    return Effects({key: record}, [("ownership_confirmed", {"resource_code": code, "owner": entry["signer"]})])


@contract.method(roles=("department", "district"), args={"resource_code": RESOURCE})
def commit_sharing(view: StateView, call: Call) -> Effects:
    """The owner commits to share and open the resource per its catalog attributes (000:第十四条(四))."""
    code = call.args["resource_code"]
    key = ownership_key(code)
    record = view.get(key)
    if record is None:
        raise refuse("PROJECT_OWNERSHIP_UNCONFIRMED", f"编办 has not confirmed the owner of {code}",
                     article=ARTICLE_OWNERSHIP, field="resource_code")
    if record["owner"] != call.sender:
        raise refuse("PROJECT_RESOURCE_NOT_OWN", f"{code} belongs to {record['owner']}", article=ARTICLE_OWNERSHIP,
                     field="resource_code", owner=record["owner"])
    entry = view.get(entry_key(code))
    if record["commitment"] is not None and record["commitment"]["entry_version"] == entry["version"]:
        raise refuse("PROJECT_COMMITMENT_EXISTS", f"the commitment for version {entry['version']} of {code} is "
                     "recorded", article=ARTICLE_OWNERSHIP, field="resource_code")
    attributes = entry["entry"]
    commitment = {"entry_version": entry["version"], "share_type": attributes["share_type"],
                  "open_to_public": attributes["open_to_public"], **stamp(call)}
    return Effects({key: {**record, "commitment": commitment}},
                   [("sharing_committed", {"resource_code": code, "owner": call.sender})])


@contract.method(roles=("department", "district"), args={
    "project_id": PROJECT, "infrastructures": ListOf(Str(max_len=100), min_items=1, max_items=20),
    "doc_id": DOC})
def record_integration(view: StateView, call: Call) -> Effects:
    """Record the project's connection to the shared infrastructure (对接: 三京, 七通一平…, 001:第二十一条)."""
    project = project_of(view, call.args["project_id"])
    require_owner(project, call)
    require_state(project, IN_CONSTRUCTION, article=ARTICLE_ACCEPTANCE)
    key = integration_key(project["project_id"])
    current = view.get(key)
    record = {"project_id": project["project_id"], "infrastructures": call.args["infrastructures"],
              "doc": document(view, call), "version": 1 if current is None else current["version"] + 1,
              **stamp(call)}
    return Effects({key: record}, [("integration_recorded", {"project_id": project["project_id"]})])


# --- 投入使用 (001:第二十三、二十四条) -------------------------------------------------------------------


@contract.method(roles=("department", "district"), args={"project_id": PROJECT, "doc_id": DOC})
def apply_commissioning(view: StateView, call: Call) -> Effects:
    """Apply for the 投入使用评审 within six months of acceptance (001:第二十三条)."""
    project = project_of(view, call.args["project_id"])
    require_owner(project, call)
    require_state(project, IN_CONSTRUCTION, article=ARTICLE_COMMISSION_WINDOW)
    accepted = project.get("accepted")
    if accepted is None:
        raise refuse("PROJECT_NOT_ACCEPTED", "a project applies for the 投入使用评审 once it passed acceptance",
                     article=ARTICLE_COMMISSION_WINDOW, field="project_id")
    if accepted["final_pending"]:
        raise refuse("PROJECT_ACCEPTED_CATALOG_MISSING", "the 验收项目数据目录 is not archived: the acceptance "
                     "opinion asked for edits (project.archive_catalog)", article=ARTICLE_COMMISSION,
                     field="project_id")
    if project.get("commissioning_applied") is not None:
        raise refuse("PROJECT_COMMISSIONING_APPLIED", "the application is already filed",
                     article=ARTICLE_COMMISSION_WINDOW, field="project_id")
    months = param(view, COMMISSION_MONTHS.qualified)
    last = add_months(datetime.date.fromisoformat(accepted["date"]), months)
    if today(call) > last:
        raise refuse("PROJECT_COMMISSIONING_LATE", f"the application was due within {months} months of acceptance "
                     f"(by {last.isoformat()})", article=ARTICLE_COMMISSION_WINDOW, field="project_id",
                     deadline=last.isoformat())
    doc = document(view, call)
    writes = transition(view, call, project, IN_CONSTRUCTION, doc,
                        commissioning_applied={"date": today(call).isoformat(), "doc": doc})
    return Effects(writes, [("commissioning_applied", {"project_id": project["project_id"]})])


@contract.method(roles=("review_authority",), args={"project_id": PROJECT, "doc_id": DOC})
def commission(view: StateView, call: Call) -> Effects:
    """经信局 passes the 投入使用评审 (在建 → 运维); refused if the accepted catalog is missing or its data not shared."""
    project = project_of(view, call.args["project_id"])
    require_state(project, IN_CONSTRUCTION, article=ARTICLE_COMMISSION)
    if project.get("commissioning_applied") is None:
        raise refuse("PROJECT_COMMISSIONING_NOT_APPLIED", "the department has not applied for the 投入使用评审",
                     article=ARTICLE_COMMISSION, field="project_id")
    accepted = catalog_of(view, project["project_id"], ACCEPTED)  # archived before the application
    unshared = []
    for line in accepted["lines"]:
        if not _own(line):
            continue
        entry = view.get(entry_key(line["resource_code"]))
        ownership = view.get(ownership_key(line["resource_code"]))
        commitment = None if ownership is None else ownership["commitment"]
        if entry is None or commitment is None or SHARE_RANK[entry["entry"]["share_type"]] < \
                SHARE_RANK[line["share_type"]] or SHARE_RANK[commitment["share_type"]] < SHARE_RANK[line["share_type"]]:
            unshared.append(line["resource_code"])
    if unshared:
        raise refuse("PROJECT_CATALOG_NOT_SHARED", f"{len(unshared)} resources of the 验收项目数据目录 are not "
                     "catalogued and committed to sharing as the catalog says (汇聚共享)", article=ARTICLE_COMMISSION,
                     field="project_id", resources=unshared[:20])
    writes = transition(view, call, project, IN_OPERATION, document(view, call))
    return Effects(writes, [("project_in_operation", {"project_id": project["project_id"]})])
