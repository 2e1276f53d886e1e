"""共享与校核: sharing requests (002:第五章, 004:第四章) and data disputes (004:第十四条).

A catalog entry's 共享属性 (002:第十六条) says how others get it:

* 无条件共享 (``unconditional``): any department reads it directly, no request
  (002:第十七条 使用部门有共用许可权的,可直接获取; 004:第十九条(一));
* 有条件共享 and 不予共享: a department files a request (``request``) naming the
  resource, its purpose and its basis — the law or policy, its own approved duty
  item, the business need (004:第十九条(一)). The provider, the entry's owner,
  approves or refuses with reasons within N working days (``answer``, 002:第十七条,
  Beijing 10). Once that deadline has passed unanswered, ``review_authority`` may
  decide in the provider's stead (``decide``: 协商未果的,由领导小组办公室协调).
  An approval binds the use to the stated purpose and says so, citing 002:第十八条.

A user department that doubts a provider's data files a 校核 dispute
(``dispute``, :mod:`.disputes`); the provider answers within N working days and
may extend once, by at most M, with its head's approval recorded (004:第十四条).

Every deadline is the N-th working day strictly after the filing date on the
chain's calendar (:func:`contracts.workdays.add_working_days`), N fixed when the
record is filed; a deadline in a year the calendar does not cover is reported as
``calendar_not_covered``, never guessed. Every step is a signed transaction
stamped with its block; a request's or dispute's id is the hex id of the
transaction that filed it. The half-yearly assessment reads
:func:`overdue_answers`. The state layout is :mod:`contracts.sharing.keys`; the
queries are :mod:`.queries`.
"""

from __future__ import annotations

import datetime
from typing import Any

from chain.errors import RuleViolation
from chain.execution import Effects, StateView
from contracts import duty, workdays
from contracts.args import Bool, Str
from contracts.base import Call, Contract, every, param, refuse
from contracts.catalog import RESOURCE_CODE
from contracts.catalog.keys import entry_key
from contracts.duty import ITEM_ID, OWNER_ROLES
from contracts.sharing.keys import (
    BY_PROVIDER,
    BY_REQUESTER,
    DISPUTE_PENDING,
    PENDING,
    RECORD_ID,
    dispute_key,
    granted_key,
    member_key,
    member_prefix,
    open_key,
    request_key,
)

ARTICLE_ANSWER = "002:第十七条"
ARTICLE_USE = "002:第十八条"
ARTICLE_BASIS = "004:第十九条(一)"
ARTICLE_DISPUTE = "004:第十四条"

UNCONDITIONAL = "unconditional"
OPEN, APPROVED, REFUSED = "open", "approved", "refused"
REQUEST_STATUSES = (OPEN, APPROVED, REFUSED)

USE_TERMS = "只能用于履行职责需要，不得以任何方式提供给第三方，也不得用于或变相用于其他目的"
"""What 002:第十八条 binds a department's use of shared data to, recorded with every approval."""

contract = Contract("sharing", "共享与校核 sharing requests and data disputes")

ANSWER_DAYS = contract.param(
    "answer_working_days", 10, min=1, max=60, article=ARTICLE_ANSWER,
    summary="working days after a sharing request's filing date within which the provider answers "
            "(10 in Beijing, 002:第十七条)")

CODE = Str(max_len=32, pattern=RESOURCE_CODE)
RECORD = Str(min_len=64, max_len=64, pattern=RECORD_ID)
REASONS = Str(max_len=2000)


# --- reading and checking ----------------------------------------------------------------------------


def entry_of(view: StateView, code: str) -> dict[str, Any]:
    """The catalog entry ``code`` (its current version), or SHARING_RESOURCE_UNKNOWN."""
    found = view.get(entry_key(code))
    if found is None:
        raise refuse("SHARING_RESOURCE_UNKNOWN", f"no catalog entry {code}", field="resource_code",
                     resource_code=code)
    return found


def stamp(call: Call) -> dict[str, Any]:
    """Who, when and by which transaction: what every step of a request or dispute carries."""
    return {"signer": call.sender, "tx_id": call.ctx.tx_id, "height": call.ctx.height, "time": call.ctx.time,
            "date": workdays.china_date(call.ctx.time).isoformat()}


def working_days(record: dict[str, Any]) -> int:
    """The working days a request or dispute gives its provider: fixed at filing, plus a dispute's extension."""
    extension = record.get("extension")
    return record["working_days"] + (extension["working_days"] if extension else 0)


def deadline(view: StateView, record: dict[str, Any], field: str) -> datetime.date:
    """The answer deadline of a request or dispute; CALENDAR_NOT_COVERED for a year the calendar lacks."""
    filed, n = datetime.date.fromisoformat(record["filed"]["date"]), working_days(record)
    if "dispute_id" in record:
        return workdays.add_working_days(view, filed, n, article=ARTICLE_DISPUTE, field=field)
    return workdays.add_working_days(view, filed, n, article=ARTICLE_ANSWER, field=field)


def timeliness(view: StateView, record: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """The answer deadline of a request or dispute as of block time ``now_ms``.

    ``status`` is ``due`` (the deadline day itself is still in time), ``overdue``
    or ``calendar_not_covered`` (the deadline lies in a year the calendar does
    not cover: ``year`` names it); ``overdue`` is True, False, or None when it
    cannot be known — the calendar stops before the deadline and ``now_ms`` lies
    past the calendar's end. A deadline beyond the calendar is never guessed,
    but a date before the calendar's end is surely before that deadline.
    """
    today = workdays.china_date(now_ms)
    try:
        due = deadline(view, record, "id")
    except RuleViolation as exc:
        if exc.code != "CALENDAR_NOT_COVERED":
            raise
        year = exc.details["year"]
        return {"status": "calendar_not_covered", "deadline": None, "year": year,
                "overdue": None if today.year >= year else False, "article": record["article"]}
    late = today > due
    return {"status": "overdue" if late else "due", "deadline": due.isoformat(), "overdue": late,
            "article": record["article"]}


def open_request(view: StateView, request_id: str) -> dict[str, Any]:
    """The request ``request_id`` while it waits for its answer; refused when unknown or closed."""
    found = view.get(request_key(request_id))
    if found is None:
        raise refuse("SHARING_REQUEST_UNKNOWN", f"no sharing request {request_id}", field="request_id",
                      request_id=request_id)
    if found["status"] != OPEN:
        raise refuse("SHARING_REQUEST_CLOSED", f"request {request_id} is already {found['status']}",
                     article=ARTICLE_ANSWER, field="request_id", status=found["status"])
    return found


# --- requests (002:第十七、十八条, 004:第十九条) --------------------------------------------------------------


@contract.method(roles=OWNER_ROLES, args={
    "resource_code": CODE,
    "purpose": Str(max_len=1000),
    "law_basis": Str(max_len=1000),
    "duty_item": Str(max_len=64, pattern=ITEM_ID),
    "business_need": Str(max_len=2000),
})
def request(view: StateView, call: Call) -> Effects:
    """Request a 有条件共享 or 不予共享 resource of another department, with purpose and basis."""
    a, sender = call.args, call.sender
    code = a["resource_code"]
    entry = entry_of(view, code)
    provider, share_type = entry["entry"]["provider_code"], entry["entry"]["share_type"]
    if provider == sender:
        raise refuse("SHARING_OWN_RESOURCE", f"{code} is your own resource: a request goes to another "
                     "department's", article=ARTICLE_ANSWER, field="resource_code")
    if share_type == UNCONDITIONAL:
        raise refuse("SHARING_NO_REQUEST_NEEDED", f"{code} is 无条件共享: read it directly, no request is needed "
                     "(mulu share access)", article=ARTICLE_ANSWER, field="resource_code", share_type=share_type)
    duty_version = duty.approved_version(view, sender, a["duty_item"])
    if duty_version is None:
        raise refuse("SHARING_DUTY_ITEM_UNKNOWN", f"{a['duty_item']} is no approved duty item of {sender}: a "
                     "request rests on the requester's own duty", article=ARTICLE_BASIS, field="duty_item")
    waiting = view.get(open_key(sender, code))
    if waiting is not None:
        raise refuse("SHARING_REQUEST_OPEN", f"your request {waiting} for {code} still waits for its answer",
                     field="resource_code", request_id=waiting)
    request_id = call.ctx.tx_id.hex()
    record = {"request_id": request_id, "resource_code": code, "resource_name": entry["entry"]["name"],
              "provider": provider, "requester": sender, "share_type": share_type,
              "entry_version": entry["version"], "purpose": a["purpose"],
              "basis": {"law": a["law_basis"], "duty_item": a["duty_item"], "duty_item_version": duty_version,
                        "business_need": a["business_need"], "article": ARTICLE_BASIS},
              "working_days": param(view, ANSWER_DAYS.qualified), "article": ARTICLE_ANSWER, "status": OPEN,
              "filed": stamp(call), "answer": None, "use": None, "version": 1}
    writes = {request_key(request_id): record, member_key(BY_REQUESTER, sender, request_id): OPEN,
              member_key(BY_PROVIDER, provider, request_id): OPEN,
              member_key(PENDING, provider, request_id): record["filed"]["date"], open_key(sender, code): request_id}
    return Effects(writes, [_event("sharing_requested", record)])


ANSWER_ARGS = {
    "request_id": RECORD,
    "approve": Bool(),
    "reasons": REASONS,
    "conditions": Str(max_len=1000, min_len=0, required=False),
}


@contract.method(roles=OWNER_ROLES, args=ANSWER_ARGS)
def answer(view: StateView, call: Call) -> Effects:
    """The provider approves or refuses a request, with reasons (within N working days, 002:第十七条)."""
    record = open_request(view, call.args["request_id"])
    if record["provider"] != call.sender:
        raise refuse("SHARING_NOT_PROVIDER", f"request {record['request_id']} is answered by its provider, "
                     f"{record['provider']}", article=ARTICLE_ANSWER, field="request_id",
                     provider=record["provider"])
    timely = timeliness(view, record, call.ctx.time)
    return _close(call, record, "provider", timely["deadline"], timely["overdue"])


@contract.method(roles=("review_authority",), args=ANSWER_ARGS)
def decide(view: StateView, call: Call) -> Effects:
    """经信局 decides an overdue request in the provider's stead (协商未果, 002:第十七条)."""
    record = open_request(view, call.args["request_id"])
    due = deadline(view, record, "request_id")
    if workdays.china_date(call.ctx.time) <= due:
        raise refuse("SHARING_NOT_OVERDUE", f"the provider has until {due.isoformat()} to answer; the authority "
                     "decides only once that has passed", article=ARTICLE_ANSWER, field="request_id",
                     deadline=due.isoformat())
    return _close(call, record, "review_authority", due.isoformat(), True)


def _close(call: Call, record: dict[str, Any], by: str, due: str | None, late: bool | None) -> Effects:
    """The writes of a request's answer: approved (its use bound to the purpose, 002:第十八条) or refused."""
    a = call.args
    status = APPROVED if a["approve"] else REFUSED
    answered = {"approve": a["approve"], "reasons": a["reasons"], "conditions": a.get("conditions", ""),
                "by": by, "in_stead_of": record["provider"] if by != "provider" else None, "deadline": due,
                "late": late, "article": ARTICLE_ANSWER, **stamp(call)}
    use = None
    if a["approve"]:
        use = {"purpose": record["purpose"], "duty_item": record["basis"]["duty_item"],
               "conditions": answered["conditions"], "terms": USE_TERMS, "article": ARTICLE_USE}
    closed = {**record, "status": status, "answer": answered, "use": use, "version": record["version"] + 1}
    rid, requester, provider = record["request_id"], record["requester"], record["provider"]
    writes: dict[str, Any] = {request_key(rid): closed, member_key(BY_REQUESTER, requester, rid): status,
                              member_key(BY_PROVIDER, provider, rid): status, member_key(PENDING, provider, rid): None,
                              open_key(requester, record["resource_code"]): None}
    if a["approve"]:
        writes[granted_key(requester, record["resource_code"])] = rid
    return Effects(writes, [_event("sharing_" + status, closed, by=by, late=late)])


def _event(name: str, record: dict[str, Any], **extra: Any) -> tuple[str, dict[str, Any]]:
    return (name, {"request_id": record["request_id"], "resource_code": record["resource_code"],
                   "provider": record["provider"], "requester": record["requester"], **extra})


# --- for the assessment (000:第十九至二十四条) -----------------------------------------------------------------


def overdue_answers(reader: Any, provider: str, now_ms: int) -> list[dict[str, Any]]:
    """The requests and disputes of ``provider`` whose answer is overdue at block time ``now_ms``.

    ``reader`` is committed state (a :class:`~chain.state.StateReader` or one as of a
    height: ``get`` and ``keys`` by prefix). Each row: ``kind`` (``request`` or
    ``dispute``), ``id``, ``resource_code``, ``party`` (the requester or user),
    ``filed`` (the filing date), ``deadline`` (ISO, or None), ``status``
    (``overdue``, or ``calendar_not_covered`` when the deadline lies in a year the
    calendar does not cover and ``now_ms`` lies past the calendar's end),
    ``extended`` (a dispute's extension was used), ``article`` and ``tx_id`` (hex of
    the transaction that filed it, which is also its id) — ordered by filing
    height, then kind and id. Requests answered late are not owed any more: their
    answers say ``late``.
    """
    rows = []
    for kind, index, key_of, party in (("request", PENDING, request_key, "requester"),
                                       ("dispute", DISPUTE_PENDING, dispute_key, "user")):
        for record_id, _ in every(reader, member_prefix(index, provider)):
            record = reader.get(key_of(record_id))
            timely = timeliness(reader, record, now_ms)
            if timely["overdue"] is False:
                continue
            rows.append({"kind": kind, "id": record_id, "provider": provider, "resource_code": record["resource_code"],
                         "party": record[party], "filed": record["filed"]["date"], "filed_height":
                         record["filed"]["height"], "deadline": timely["deadline"], "status": timely["status"],
                         "extended": record.get("extension") is not None, "article": record["article"],
                         "tx_id": record["filed"]["tx_id"].hex()})
    rows.sort(key=_filing_order)
    return rows


def _filing_order(row: dict[str, Any]) -> tuple[int, str, str]:
    return row["filed_height"], row["kind"], row["id"]


from contracts.sharing import disputes, queries  # noqa: E402,F401 - registers the dispute methods and the queries
