"""Project data catalogs: 申报 (declared), 拟验收 (pre-acceptance) and 已验收 (accepted).

* The **申报项目数据目录** is filed with the application (000:第八条). Each
  line names its data items, 更新周期, 共享属性, 开放属性, the duty items it
  serves or an approved note (000:第九条), and its source: new collection,
  reuse of the department's own data, or obtained by sharing from a named
  provider (000:第十条). A newly collected item that another department
  already provides is flagged (一数一源, 000:第七条) from the data catalog's
  index — recorded, not refused, so the review can ask why.
* When the technical-review opinion is granted the declared catalog **locks**
  (000:第十一条): from then on only a change request approved by
  ``review_authority`` changes it, and only before acceptance.
* The **拟验收项目数据目录** inherits and refines the locked declared catalog
  (000:第十六条). :func:`mismatches` compares them line by line and item by
  item: a declared line missing, a data item dropped, a longer update cycle, a
  narrower share type or an open resource closed is **不符**, listed precisely.
* On acceptance the pre-acceptance catalog becomes the **已验收项目数据目录**,
  archived and immutable (000:第十七条; :mod:`.acceptance`).

A catalog is one record holding all its lines in line-id order (so one state
proof shows the whole of it); a transaction files or removes up to
:data:`MAX_LINES_PER_TX` lines, since a large catalog does not fit one
transaction.
"""

from __future__ import annotations

from typing import Any, Iterable

from chain.execution import Effects, StateView
from contracts import catalog, duty
from contracts.args import Bool, ListOf, Obj, OneOf, Str, Uscc
from contracts.base import Call, param, refuse
from contracts.catalog.elements import standard_name
from contracts.catalog.keys import TERMS, note_key, provides_key
from contracts.text import name_form
from contracts.project import (
    DOC,
    IN_CONSTRUCTION,
    IN_REVIEW,
    PROJECT,
    RESERVE,
    contract,
    document,
    project_of,
    require_owner,
    require_state,
    stamp,
)
from contracts.project.keys import catalog_change_key, catalog_key

DECLARED, PRE_ACCEPTANCE, ACCEPTED = "declared", "pre_acceptance", "accepted"
STAGES = (DECLARED, PRE_ACCEPTANCE, ACCEPTED)
STAGE_NAMES = {DECLARED: "申报项目数据目录", PRE_ACCEPTANCE: "拟验收项目数据目录", ACCEPTED: "已验收项目数据目录"}
SOURCES = ("new", "reuse", "shared")
"""新采集, 复用本部门已有数据, 共享获取 (000:第七、十条)."""

ARTICLE_DECLARED = "000:第九条"
ARTICLE_SINGLE_SOURCE = "000:第七条"
ARTICLE_SHARED_SOURCE = "000:第十条"
ARTICLE_LOCK = "000:第十一条"
ARTICLE_INHERIT = "000:第十六条"

MAX_LINES_PER_TX = 50
MAX_LINES = contract.param(
    "catalog_max_lines", 2000, min=1, max=10000,
    summary="the most lines a project data catalog holds (each transaction files up to 50)")
LINE_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}"
CHANGE_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

LINE = Obj({
    "line_id": Str(max_len=32, pattern=LINE_ID),
    "name": Str(max_len=200),
    "resource_code": Str(max_len=32, pattern=catalog.RESOURCE_CODE, required=False),
    "data_items": ListOf(catalog.DATA_ITEM, min_items=1, max_items=200),
    "update_cycle": OneOf(catalog.UPDATE_CYCLES),
    "share_type": OneOf(catalog.SHARE_TYPES),
    "open_to_public": Bool(),
    "duty_items": ListOf(Str(max_len=64, pattern=duty.ITEM_ID), max_items=20),
    "note_id": Str(max_len=64, pattern=catalog.NOTE_ID, required=False),
    "source": OneOf(SOURCES),
    "provider": Uscc(required=False),
})
LINES = ListOf(LINE, max_items=MAX_LINES_PER_TX)
REMOVE = ListOf(Str(max_len=32, pattern=LINE_ID), max_items=MAX_LINES.max, required=False)

CYCLE_RANK = {cycle: i for i, cycle in enumerate(catalog.UPDATE_CYCLES)}
"""Shorter cycles first: realtime … yearly, then irregular (不定期: weaker than any fixed cycle)."""
SHARE_RANK = {"not_shared": 0, "conditional": 1, "unconditional": 2}
"""Wider sharing ranks higher: 不予共享 < 有条件共享 < 无条件共享."""


def catalog_of(view: StateView, project_id: str, stage: str) -> dict[str, Any]:
    """The project's catalog of ``stage``: its record, or an empty one (version 0) when none is filed."""
    return view.get(catalog_key(project_id, stage)) or {
        "project_id": project_id, "stage": stage, "lines": [], "flags": [], "locked": False, "version": 0}


def _check_line(view: StateView, department: str, line: dict[str, Any], where: str, stage: str) -> None:
    """The rules of one line: its items distinct, its duty mapping (000:第九条), its source's provider,
    and on a pre-acceptance catalog the resource code it is catalogued under."""
    names = [item["name"] for item in line["data_items"]]
    if len(set(names)) != len(names):
        raise refuse("PROJECT_LINE_ITEM_DUPLICATE", "a line's data items are distinct", field=f"{where}.data_items")
    for i, item_id in enumerate(line["duty_items"]):
        if duty.approved_version(view, department, item_id) is None:
            raise refuse("PROJECT_LINE_DUTY_UNMAPPED", f"{item_id} is not an approved duty item of {department}",
                         article=ARTICLE_DECLARED, field=f"{where}.duty_items[{i}]")
    if not line["duty_items"]:
        note_id = line.get("note_id", "")
        if not note_id or view.get(note_key(department, note_id)) is None:
            raise refuse("PROJECT_LINE_NOTE_REQUIRED", "a line serving no duty item carries a note approved by "
                         "review (catalog.approve_note)", article=ARTICLE_DECLARED, field=f"{where}.note_id")
    provider = line.get("provider", "")
    if line["source"] == "shared" and (not provider or provider == department):
        raise refuse("PROJECT_LINE_PROVIDER_MISSING", "data obtained by sharing names its provider, another "
                     "department", article=ARTICLE_SHARED_SOURCE, field=f"{where}.provider")
    if line["source"] != "shared" and provider:
        raise refuse("PROJECT_LINE_PROVIDER_UNEXPECTED", "only data obtained by sharing names a provider",
                     article=ARTICLE_SHARED_SOURCE, field=f"{where}.provider")
    if stage == PRE_ACCEPTANCE and not line.get("resource_code"):
        raise refuse("PROJECT_LINE_CODE_MISSING", "a pre-acceptance line names the 资源代码 it is catalogued "
                     "under in the data catalog", article="000:第十四条(二)", field=f"{where}.resource_code")


def _flags(view: StateView, department: str, line: dict[str, Any]) -> list[dict[str, Any]]:
    """一数一源 (000:第七条): the line's newly collected items that other departments already provide."""
    if line["source"] != "new":
        return []
    found = []
    terms = view.get(TERMS)  # matched as the data catalog matches: by standard name, generic items never
    for item in line["data_items"]:
        standard = standard_name(terms, name_form(item["name"])[0])
        if not standard:
            continue
        rows = view.get(provides_key(standard)) or []
        providers = [row[0] for row in rows if row[0] != department]
        if providers:
            found.append({"line_id": line["line_id"], "item": item["name"], "standard": standard,
                          "providers": providers, "article": ARTICLE_SINGLE_SOURCE})
    return found


def edited(view: StateView, call: Call, department: str, current: dict[str, Any], lines: list[dict[str, Any]],
           remove: Iterable[str], stage: str) -> dict[str, Any]:
    """``current`` with ``lines`` filed (a line replaces the one of its id) and ``remove`` taken out,
    each filed line checked and its 一数一源 flags recomputed; its next version."""
    by_id = {line["line_id"]: line for line in current["lines"]}
    flags = [f for f in current["flags"]]
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if line["line_id"] in seen:
            raise refuse("PROJECT_LINE_REPEATED", f"line {line['line_id']} is filed twice in one transaction",
                         field=f"lines[{i}].line_id")
        seen.add(line["line_id"])
        _check_line(view, department, line, f"lines[{i}]", stage)
    for i, line_id in enumerate(remove):
        if line_id not in by_id or line_id in seen:
            raise refuse("PROJECT_LINE_UNKNOWN", f"no line {line_id} to remove", field=f"remove[{i}]")
        del by_id[line_id]
    changed = seen | set(remove)
    flags = [f for f in flags if f["line_id"] not in changed]
    for line in lines:
        by_id[line["line_id"]] = line
        flags += _flags(view, department, line)
    limit = param(view, MAX_LINES.qualified)
    if len(by_id) > limit:
        raise refuse("PROJECT_CATALOG_TOO_LARGE", f"a project catalog holds at most {limit} lines",
                     field="lines", limit=limit)
    ordered = [by_id[k] for k in sorted(by_id)]
    flags.sort(key=lambda f: (f["line_id"], f["item"]))
    return {**current, "lines": ordered, "flags": flags, "version": current["version"] + 1, **stamp(call)}


@contract.method(roles=("department", "district"), args={
    "project_id": PROJECT, "stage": OneOf((DECLARED, PRE_ACCEPTANCE)), "lines": LINES, "remove": REMOVE})
def file_catalog(view: StateView, call: Call) -> Effects:
    """File lines of the project's 申报 catalog (before it locks) or 拟验收 catalog (in construction, before acceptance)."""
    from contracts.project.acceptance import pre_acceptance_open

    a = call.args
    project = project_of(view, a["project_id"])
    require_owner(project, call)
    stage = a["stage"]
    current = catalog_of(view, project["project_id"], stage)
    if stage == DECLARED:
        if current["locked"]:
            raise refuse("PROJECT_CATALOG_LOCKED", "the 申报项目数据目录 locked when the project passed review: "
                         "request a change (project.request_catalog_change)", article=ARTICLE_LOCK, field="stage")
        require_state(project, RESERVE, IN_REVIEW, article="000:第八条")
    else:
        require_state(project, IN_CONSTRUCTION, article="000:第十五条")
        pre_acceptance_open(view, project)
    if not a["lines"] and not a.get("remove"):
        raise refuse("PROJECT_CATALOG_EMPTY_EDIT", "file at least one line or remove one", field="lines")
    record = edited(view, call, project["department"], current, a["lines"], a.get("remove", []), stage)
    return Effects({catalog_key(project["project_id"], stage): record},
                   [("project_catalog_filed", {"project_id": project["project_id"], "stage": stage,
                                               "version": record["version"], "lines": len(record["lines"]),
                                               "flags": len(record["flags"])})])


def lock_declared(view: StateView, call: Call, project: dict[str, Any]) -> dict[str, Any]:
    """The writes locking the declared catalog when the review opinion is granted (000:第十一条)."""
    current = catalog_of(view, project["project_id"], DECLARED)
    return {catalog_key(project["project_id"], DECLARED): {**current, "locked": True,
                                                           "locked_at": {"height": call.ctx.height,
                                                                         "time": call.ctx.time}}}


@contract.method(roles=("department", "district"), args={
    "project_id": PROJECT, "change_id": Str(max_len=64, pattern=CHANGE_ID), "lines": LINES, "remove": REMOVE,
    "reason": Str(max_len=2000), "doc_id": DOC})
def request_catalog_change(view: StateView, call: Call) -> Effects:
    """Ask 经信局 to change the locked 申报 catalog before acceptance (000:第十一条, 000:第十六条)."""
    from contracts.project.acceptance import not_accepted

    a = call.args
    project = project_of(view, a["project_id"])
    require_owner(project, call)
    current = catalog_of(view, project["project_id"], DECLARED)
    if not current["locked"]:
        raise refuse("PROJECT_CATALOG_NOT_LOCKED", "the 申报项目数据目录 is not locked yet: file the change "
                     "directly (project.file_catalog)", article=ARTICLE_LOCK, field="project_id")
    not_accepted(project)
    key = catalog_change_key(project["project_id"], a["change_id"])
    if view.get(key) is not None:
        raise refuse("PROJECT_CATALOG_CHANGE_EXISTS", f"change {a['change_id']} is already recorded", article=ARTICLE_LOCK,
                     field="change_id")
    if not a["lines"] and not a.get("remove"):
        raise refuse("PROJECT_CATALOG_EMPTY_EDIT", "file at least one line or remove one", field="lines")
    edited(view, call, project["department"], current, a["lines"], a.get("remove", []), DECLARED)  # checks now
    request = {"project_id": project["project_id"], "change_id": a["change_id"], "lines": a["lines"],
               "remove": a.get("remove", []), "reason": a["reason"], "doc": document(view, call),
               "status": "pending", "decision": None, **stamp(call)}
    return Effects({key: request}, [("project_catalog_change_requested",
                                     {"project_id": project["project_id"], "change_id": a["change_id"]})])


@contract.method(roles=("review_authority",), args={
    "project_id": PROJECT, "change_id": Str(max_len=64, pattern=CHANGE_ID), "approve": Bool(), "doc_id": DOC})
def decide_catalog_change(view: StateView, call: Call) -> Effects:
    """经信局 approves (the 申报 catalog changes) or refuses a change request (000:第十一条)."""
    from contracts.project.acceptance import not_accepted

    a = call.args
    project = project_of(view, a["project_id"])
    key = catalog_change_key(project["project_id"], a["change_id"])
    request = view.get(key)
    if request is None:
        raise refuse("PROJECT_CATALOG_CHANGE_UNKNOWN", f"no catalog change {a['change_id']} of {project['project_id']}",
                     article=ARTICLE_LOCK, field="change_id")
    if request["status"] != "pending":
        raise refuse("PROJECT_CATALOG_CHANGE_DECIDED", f"change {a['change_id']} is {request['status']}, not pending",
                     article=ARTICLE_LOCK, field="change_id", status=request["status"])
    not_accepted(project)
    status = "approved" if a["approve"] else "refused"
    writes: dict[str, Any] = {key: {**request, "status": status,
                                    "decision": {"doc": document(view, call), **stamp(call)}}}
    if a["approve"]:
        current = catalog_of(view, project["project_id"], DECLARED)
        changed = edited(view, call, project["department"], current, request["lines"], request["remove"],
                         DECLARED)
        writes[catalog_key(project["project_id"], DECLARED)] = {**changed, "change_id": a["change_id"]}
    return Effects(writes, [("project_catalog_change_" + status,
                             {"project_id": project["project_id"], "change_id": a["change_id"]})])


def mismatches(declared: list[dict[str, Any]], pre: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """不符 (000:第十六条): where the pre-acceptance lines fail to inherit the declared ones.

    A pre-acceptance line refines the declared line of the same id. Listed,
    in line-id order: a declared line missing (``line_missing``); each of its
    data items missing (``item_missing``); a longer update cycle
    (``update_cycle_longer``); a narrower share type (``share_narrower``); an
    open resource no longer open (``open_narrower``). Lines and items added
    are refinement, not 不符.
    """
    refined = {line["line_id"]: line for line in pre}
    found: list[dict[str, Any]] = []
    for d in sorted(declared, key=_line_id):
        line_id = d["line_id"]
        p = refined.get(line_id)
        if p is None:
            found.append({"line_id": line_id, "kind": "line_missing", "declared": d["name"]})
            continue
        kept = {item["name"] for item in p["data_items"]}
        found += [{"line_id": line_id, "kind": "item_missing", "item": item["name"]}
                  for item in sorted(d["data_items"], key=_name) if item["name"] not in kept]
        if CYCLE_RANK[p["update_cycle"]] > CYCLE_RANK[d["update_cycle"]]:
            found.append({"line_id": line_id, "kind": "update_cycle_longer", "declared": d["update_cycle"],
                          "actual": p["update_cycle"]})
        if SHARE_RANK[p["share_type"]] < SHARE_RANK[d["share_type"]]:
            found.append({"line_id": line_id, "kind": "share_narrower", "declared": d["share_type"],
                          "actual": p["share_type"]})
        if d["open_to_public"] and not p["open_to_public"]:
            found.append({"line_id": line_id, "kind": "open_narrower", "declared": True, "actual": False})
    return found


def _line_id(line: dict[str, Any]) -> str:
    return line["line_id"]


def _name(item: dict[str, Any]) -> str:
    return item["name"]
