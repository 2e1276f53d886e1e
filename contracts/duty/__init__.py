"""职责目录: a department's 三定 duties as items, approved by 市委编办.

A department (or district) proposes its duty items — 主要职责 → 职责事项, with
the 三定 text and legal basis each comes from; ``duty_authority`` (市委编办)
approves or returns them (000:第五条(二): 编办 依据"三定"职责…基于职责目录推动部门履职).
Only approved items count: a data catalog entry maps to approved items
(000:第九条).

Every change is a new version of the item's one record, numbered from 1, with
the reason and the signer: the state layer keeps every version of every
record, linked to the one before by hash, so the contract keeps a number, not
another copy (the in-force version is its number). Nothing is overwritten or
deleted. Retiring an item is a
change like any other, approved the same way. An approval of a change records
the date of the department's duty change, from which its data catalog must be
updated within N working days (002:第九条).

The state layout is :mod:`contracts.duty.keys`; the read-only queries are
:mod:`contracts.duty.queries`.
"""

from __future__ import annotations

from typing import Any

from chain.execution import Effects, StateView
from contracts.args import Bool, Int, Str, Uscc
from contracts.base import Call, Contract, page, refuse
from contracts.duty.keys import CHANGED, approved_key, changed_key, item_key
from contracts.identity import member_key

ARTICLE_APPROVAL = "000:第五条(二)"
ARTICLE_UPDATE = "002:第九条"

PROPOSED, APPROVED, RETURNED = "proposed", "approved", "returned"
ITEM_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
OWNER_ROLES = ("department", "district")

contract = Contract("duty", "职责目录 responsibility catalog")


def approved_version(view: StateView, code: str, item_id: str) -> int | None:
    """The number of the approved, in-force version of a department's duty item, or None."""
    return view.get(approved_key(code, item_id))


def _new_version(view: StateView, call: Call, code: str, item_id: str, fields: dict[str, Any],
                 status: str, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The next version of an item (linked to the current one by hash) and its writes."""
    current = view.get(item_key(code, item_id))
    record = {
        "uscc": code, "item_id": item_id, **fields, "status": status, "reason": reason,
        "version": 1 if current is None else current["version"] + 1,
        "signer": call.sender, "key_id": call.tx.key_id, "tx_id": call.ctx.tx_id,
        "height": call.ctx.height, "time": call.ctx.time,
    }
    return record, {item_key(code, item_id): record}


@contract.method(roles=OWNER_ROLES, args={
    "item_id": Str(max_len=64, pattern=ITEM_ID),
    "main_duty": Str(max_len=512),
    "title": Str(max_len=512),
    "sanding_text": Str(max_len=4000),
    "basis": Str(max_len=2000),
    "reason": Str(max_len=1000),
    "retire": Bool(required=False),
})
def propose(view: StateView, call: Call) -> Effects:
    """Propose a new duty item, a change to one, or (retire=true) its retirement."""
    args = call.args
    code, item_id = call.sender, args["item_id"]
    current = view.get(item_key(code, item_id))
    if current is not None and current["status"] == PROPOSED:
        raise refuse("DUTY_PENDING", f"version {current['version']} of {item_id} awaits 编办's decision",
                     article=ARTICLE_APPROVAL, field="item_id", version=current["version"])
    retire = args.get("retire", False)
    if retire and approved_version(view, code, item_id) is None:
        raise refuse("DUTY_ITEM_UNKNOWN", f"{item_id} has no approved version to retire",
                     article=ARTICLE_APPROVAL, field="item_id")
    fields = {k: args[k] for k in ("main_duty", "title", "sanding_text", "basis")}
    record, writes = _new_version(view, call, code, item_id, {**fields, "retire": retire}, PROPOSED,
                                  args["reason"])
    return Effects(writes, [("duty_proposed", {"uscc": code, "item_id": item_id, "version": record["version"],
                                               "retire": retire})])


_DECISION_ARGS = {
    "department": Uscc(),
    "item_id": Str(max_len=64, pattern=ITEM_ID),
    "version": Int(min=1),
    "note": Str(max_len=1000, min_len=0, required=False),
}


def _pending(view: StateView, call: Call) -> dict[str, Any]:
    args = call.args
    member = view.get(member_key(args["department"]))
    if member is None or not set(OWNER_ROLES) & set(member["roles"]):
        raise refuse("DUTY_DEPARTMENT_UNKNOWN", f"{args['department']} is not a department or district",
                     article=ARTICLE_APPROVAL, field="department")
    current = view.get(item_key(args["department"], args["item_id"]))
    if current is None:
        raise refuse("DUTY_ITEM_UNKNOWN", f"{args['department']} has no duty item {args['item_id']}",
                     article=ARTICLE_APPROVAL, field="item_id")
    if current["status"] != PROPOSED:
        raise refuse("DUTY_NOT_PENDING", f"{args['item_id']} version {current['version']} is {current['status']}",
                     article=ARTICLE_APPROVAL, field="item_id", status=current["status"])
    if current["version"] != args["version"]:
        raise refuse("DUTY_VERSION_MISMATCH", f"the pending version is {current['version']}, not {args['version']}",
                     article=ARTICLE_APPROVAL, field="version", pending=current["version"])
    return current


def _decide(view: StateView, call: Call, status: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """编办's decision on the pending version: (that version, the decision's version, writes)."""
    current = _pending(view, call)
    fields = {k: current[k] for k in ("main_duty", "title", "sanding_text", "basis", "retire")}
    record, writes = _new_version(view, call, current["uscc"], current["item_id"], fields, status,
                                  call.args.get("note", ""))
    return current, record, writes


@contract.method(roles=("duty_authority",), args=_DECISION_ARGS)
def approve(view: StateView, call: Call) -> Effects:
    """编办 approves a pending duty item version; it comes into force (or retires)."""
    current, record, writes = _decide(view, call, APPROVED)
    code, item_id = current["uscc"], current["item_id"]
    writes[approved_key(code, item_id)] = None if current["retire"] else record["version"]
    writes[changed_key(code)] = {"height": call.ctx.height, "time": call.ctx.time, "item_id": item_id}
    return Effects(writes, [("duty_approved", {"uscc": code, "item_id": item_id, "version": record["version"],
                                               "retire": current["retire"]})])


@contract.method(roles=("duty_authority",), args=_DECISION_ARGS)
def return_item(view: StateView, call: Call) -> Effects:
    """编办 returns a pending version to the department; the version in force is unchanged."""
    current, record, writes = _decide(view, call, RETURNED)
    return Effects(writes, [("duty_returned", {"uscc": current["uscc"], "item_id": current["item_id"],
                                               "version": record["version"]})])


def changed_departments(reader: Any, *, after: str = "", limit: int = 100) -> list[str]:
    """Departments with an approved duty change, by uscc after ``after`` (at most ``limit``)."""
    return [code for code, _ in page(reader, CHANGED, after, limit)]


from contracts.duty import queries  # noqa: E402,F401 - registers the queries on the contract
