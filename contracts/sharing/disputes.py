"""校核: data disputes (004:第十四条).

对政务数据有疑义或者发现有错误的, 使用部门 … 向提供部门申请校核. 提供部门应当在收到申请之日起
10个工作日内予以校核. 如需延长校核期限的, 应当经提供部门主要负责人同意, 延长校核期限不超过10个工作日.

A user department files a dispute about another department's catalog entry
(``dispute``); the provider answers it (``answer_dispute``: corrected, or no
error found, with its reply) within N working days of the filing date, or —
once, before that deadline passes — extends it by at most M working days
(``extend_dispute``), naming the head (主要负责人) who approved and citing the
approval document it anchored. Both numbers are chain parameters.
"""

from __future__ import annotations

from typing import Any

from chain.execution import Effects, StateView
from contracts import workdays
from contracts.anchor.keys import doc_key
from contracts.args import Int, ListOf, OneOf, Str
from contracts.base import Call, param, refuse
from contracts.duty import OWNER_ROLES
from contracts.sharing import (
    ARTICLE_DISPUTE,
    CODE,
    RECORD,
    contract,
    deadline,
    entry_of,
    stamp,
    timeliness,
)
from contracts.sharing.keys import DISPUTE_BY_PROVIDER, DISPUTE_BY_USER, DISPUTE_PENDING, dispute_key, member_key

OPEN, EXTENDED, ANSWERED = "open", "extended", "answered"
DISPUTE_STATUSES = (OPEN, EXTENDED, ANSWERED)
OUTCOMES = ("corrected", "no_error")
"""已更正 (the data was wrong and is corrected) or 经核无误 (checked, no error)."""

DISPUTE_DAYS = contract.param(
    "dispute_answer_working_days", 10, min=1, max=60, article=ARTICLE_DISPUTE,
    summary="working days after a 校核 dispute's filing date within which the provider answers "
            "(10, 004:第十四条)")
EXTENSION_DAYS = contract.param(
    "dispute_extension_working_days", 10, min=0, max=60, article=ARTICLE_DISPUTE,
    summary="the longest single extension of a 校核 dispute, in working days, approved by the provider's head "
            "(不超过10个工作日, 004:第十四条; 0: none)")

DOC_ID = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}"


def open_dispute(view: StateView, call: Call) -> dict[str, Any]:
    """The dispute the call names, while it waits for its answer and the sender is its provider."""
    dispute_id = call.args["dispute_id"]
    found = view.get(dispute_key(dispute_id))
    if found is None:
        raise refuse("DISPUTE_UNKNOWN", f"no 校核 dispute {dispute_id}", field="dispute_id", dispute_id=dispute_id)
    if found["status"] == ANSWERED:
        raise refuse("DISPUTE_CLOSED", f"dispute {dispute_id} is already answered", article=ARTICLE_DISPUTE,
                     field="dispute_id")
    if found["provider"] != call.sender:
        raise refuse("DISPUTE_NOT_PROVIDER", f"dispute {dispute_id} is answered by its provider, {found['provider']}",
                     article=ARTICLE_DISPUTE, field="dispute_id", provider=found["provider"])
    return found


def _writes(record: dict[str, Any], status: str, pending: bool) -> dict[str, Any]:
    """The dispute's record and its indexes in ``status``; its pending row kept while it waits."""
    did, provider = record["dispute_id"], record["provider"]
    return {dispute_key(did): record, member_key(DISPUTE_BY_USER, record["user"], did): status,
            member_key(DISPUTE_BY_PROVIDER, provider, did): status,
            member_key(DISPUTE_PENDING, provider, did): record["filed"]["date"] if pending else None}


def _event(name: str, record: dict[str, Any], **extra: Any) -> tuple[str, dict[str, Any]]:
    return (name, {"dispute_id": record["dispute_id"], "resource_code": record["resource_code"],
                   "provider": record["provider"], "user": record["user"], **extra})


@contract.method(roles=OWNER_ROLES, args={
    "resource_code": CODE,
    "problem": Str(max_len=4000),
    "data_items": ListOf(Str(max_len=100), max_items=100, required=False),
})
def dispute(view: StateView, call: Call) -> Effects:
    """File a 校核 dispute: what is doubtful or wrong in another department's resource (004:第十四条)."""
    a = call.args
    entry = entry_of(view, a["resource_code"])
    provider = entry["entry"]["provider_code"]
    if provider == call.sender:
        raise refuse("DISPUTE_OWN_RESOURCE", f"{a['resource_code']} is your own resource: correct it with a new "
                     "catalog version", article=ARTICLE_DISPUTE, field="resource_code")
    did = call.ctx.tx_id.hex()
    record = {"dispute_id": did, "resource_code": a["resource_code"], "resource_name": entry["entry"]["name"],
              "provider": provider, "user": call.sender, "entry_version": entry["version"], "problem": a["problem"],
              "data_items": a.get("data_items", []), "working_days": param(view, DISPUTE_DAYS.qualified),
              "article": ARTICLE_DISPUTE, "status": OPEN, "filed": stamp(call), "extension": None, "answer": None,
              "version": 1}
    return Effects(_writes(record, OPEN, True), [_event("dispute_filed", record)])


@contract.method(roles=OWNER_ROLES, args={
    "dispute_id": RECORD,
    "head": Str(max_len=100),
    "doc_id": Str(max_len=128, pattern=DOC_ID),
    "reason": Str(max_len=1000),
    "working_days": Int(min=1, max=60, required=False),
})
def extend_dispute(view: StateView, call: Call) -> Effects:
    """The provider extends a dispute once, before its deadline, with its head's approval (004:第十四条)."""
    a = call.args
    record = open_dispute(view, call)
    if record["extension"] is not None:
        raise refuse("DISPUTE_EXTENSION_USED", f"dispute {record['dispute_id']} was extended on "
                     f"{record['extension']['date']}; it may be extended once", article=ARTICLE_DISPUTE,
                     field="dispute_id")
    limit = param(view, EXTENSION_DAYS.qualified)
    days = a.get("working_days", limit)
    if days > limit:
        raise refuse("DISPUTE_EXTENSION_TOO_LONG", f"an extension is at most {limit} working days",
                     article=ARTICLE_DISPUTE, field="working_days", limit=limit)
    due = deadline(view, record, "dispute_id")
    if workdays.china_date(call.ctx.time) > due:
        raise refuse("DISPUTE_EXTENSION_LATE", f"the answer was due on {due.isoformat()}: an extension is "
                     "approved before the deadline passes", article=ARTICLE_DISPUTE, field="dispute_id",
                     deadline=due.isoformat())
    anchored = view.get(doc_key(call.sender, a["doc_id"]))
    if anchored is None:
        raise refuse("DISPUTE_DOC_UNKNOWN", f"{call.sender} anchored no document {a['doc_id']}: anchor the head's "
                     "approval first (mulu anchor put)", article=ARTICLE_DISPUTE, field="doc_id")
    extension = {"working_days": days, "head": a["head"], "reason": a["reason"],
                 "doc": {"issuer": call.sender, "doc_id": a["doc_id"], "version": anchored["version"],
                         "digest": anchored["digest"]},
                 "previous_deadline": due.isoformat(), "article": ARTICLE_DISPUTE, **stamp(call)}
    extended = {**record, "status": EXTENDED, "extension": extension, "version": record["version"] + 1}
    return Effects(_writes(extended, EXTENDED, True), [_event("dispute_extended", extended, working_days=days)])


@contract.method(roles=OWNER_ROLES, args={
    "dispute_id": RECORD,
    "outcome": OneOf(OUTCOMES),
    "reply": Str(max_len=4000),
})
def answer_dispute(view: StateView, call: Call) -> Effects:
    """The provider answers a dispute: corrected, or checked with no error found, with its reply."""
    a = call.args
    record = open_dispute(view, call)
    timely = timeliness(view, record, call.ctx.time)
    answered = {"outcome": a["outcome"], "reply": a["reply"], "deadline": timely["deadline"],
                "late": timely["overdue"], "article": ARTICLE_DISPUTE, **stamp(call)}
    closed = {**record, "status": ANSWERED, "answer": answered, "version": record["version"] + 1}
    return Effects(_writes(closed, ANSWERED, False),
                   [_event("dispute_answered", closed, outcome=a["outcome"], late=timely["overdue"])])
