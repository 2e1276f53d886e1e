"""Sharing's and 校核's read-only queries: what the API, the CLI and the engine's ``query`` serve.

Listings page with a cursor (``after``) and a ``limit`` over the contract's
indexes (:mod:`contracts.sharing.keys`). The overdue listings look at one page
of waiting records and keep those past their deadline at block time ``now``
(with those whose deadline lies beyond the calendar once ``now`` does too).
"""

from __future__ import annotations

from typing import Any, Callable

from chain.errors import NotFound
from chain.state import StateReader
from contracts.args import Int, OneOf, Str, Uscc
from contracts.base import next_cursor, page
from contracts.catalog.keys import entry_key
from contracts.sharing import (
    ANSWER_DAYS,
    ARTICLE_ANSWER,
    REQUEST_STATUSES,
    UNCONDITIONAL,
    contract,
    timeliness,
)
from contracts.sharing.disputes import DISPUTE_STATUSES
from contracts.sharing.keys import (
    BY_PROVIDER,
    BY_REQUESTER,
    DISPUTE,
    DISPUTE_BY_PROVIDER,
    DISPUTE_BY_USER,
    DISPUTE_PENDING,
    PENDING,
    REQUEST,
    dispute_key,
    granted_key,
    member_prefix,
    request_key,
)

LIMIT = Int(min=1, max=1000, required=False)
ID = Str(max_len=64)
AFTER = Str(min_len=0, max_len=64, required=False)
PENDING_AFTER = Str(min_len=0, max_len=83, required=False)
"""A cursor over every provider's waiting records: ``<provider>/<id>``."""
NOW = Int(min=0, required=False)
MEMBER = Uscc(required=False)


@contract.query(args={"resource_code": Str(max_len=64), "requester": MEMBER})
def access(reader: StateReader, resource_code: str, requester: str = "") -> dict[str, Any]:
    """How a department gets a resource: its 共享属性 and access details, whether a request is needed
    (无条件共享 is read directly, 002:第十七条), and ``requester``'s approved request, if any."""
    found = reader.get(entry_key(resource_code))
    if found is None:
        raise NotFound(f"no catalog entry {resource_code}", code="CATALOG_ENTRY_NOT_FOUND",
                       resource_code=resource_code)
    e = found["entry"]
    owner = e["provider_code"]
    granted = reader.get(granted_key(requester, resource_code)) if requester and requester != owner else None
    return {"resource_code": resource_code, "name": e["name"], "provider": owner, "provider_name": e["provider"],
            "version": found["version"], "share_type": e["share_type"], "share_condition": e["share_condition"],
            "share_method": e["share_method"], "share_basis": e["share_basis"], "open_to_public": e["open_to_public"],
            "open_condition": e["open_condition"], "format": e["format"], "update_cycle": e["update_cycle"],
            "data_items": e["data_items"], "request_needed": e["share_type"] != UNCONDITIONAL and requester != owner,
            "requester": requester or None, "approved_request": granted,
            "answer_working_days": reader.get(ANSWER_DAYS.key), "article": ARTICLE_ANSWER}


def _with_timeliness(reader: StateReader, record: dict[str, Any], now: int | None) -> dict[str, Any]:
    """The record, with its answer deadline as of ``now`` (``timeliness``) while it waits for an answer."""
    waiting = record["answer"] is None
    return {**record, "timeliness": timeliness(reader, record, now) if waiting and now is not None else None}


def _record(reader: StateReader, key: str, now: int | None, what: str, record_id: str, code: str) -> dict[str, Any]:
    found = reader.get(key)
    if found is None:
        raise NotFound(f"no {what} {record_id}", code=code, id=record_id)
    return _with_timeliness(reader, found, now)


def _listing(reader: StateReader, name: str, everything: str, indexes: tuple[tuple[str, str], ...],
             key_of: Callable[[str], str], status: str, now: int | None, after: str, limit: int) -> dict[str, Any]:
    """One page of records: by the first member index given (``(prefix, uscc)``), filtered by the others
    and by ``status``; or every record under ``everything`` when no member is given. Those waiting for
    their answer carry their deadline as of ``now``."""
    given = [(prefix, uscc) for prefix, uscc in indexes if uscc]
    if not given:
        rows = page(reader, everything, after, limit)
        found = [v for _, v in rows if not status or v["status"] == status]
    else:
        (prefix, uscc), others = given[0], given[1:]
        rows = page(reader, member_prefix(prefix, uscc), after, limit)
        found = [reader.get(key_of(record_id)) for record_id, record_status in rows
                 if not status or record_status == status]
        found = [r for r in found if all(_party(r, p) == u for p, u in others)]
    return {name: [_with_timeliness(reader, r, now) for r in found],
            "next": next_cursor(rows, limit, rows[-1][0] if rows else None)}


def _party(record: dict[str, Any], prefix: str) -> str:
    return record["provider"] if prefix in (BY_PROVIDER, DISPUTE_BY_PROVIDER) else \
        record.get("requester") or record.get("user")


def _overdue(reader: StateReader, name: str, index: str, key_of: Callable[[str], str], now: int, provider: str,
             after: str, limit: int) -> dict[str, Any]:
    """A page of waiting records (a provider's, or everyone's from ``<provider>/<id>``) past their deadline."""
    prefix = member_prefix(index, provider) if provider else index
    rows = page(reader, prefix, after, limit)
    found = []
    for rest, _ in rows:
        record = _with_timeliness(reader, reader.get(key_of(rest.rpartition("/")[2])), now)
        if record["timeliness"]["overdue"] is not False:
            found.append(record)
    return {name: found, "next": next_cursor(rows, limit, rows[-1][0] if rows else None)}


# --- requests ------------------------------------------------------------------------------------------


@contract.query(args={"request_id": ID, "now": NOW})
def request(reader: StateReader, request_id: str, now: int | None = None) -> dict[str, Any]:
    """A sharing request: purpose, basis, answer or decision, bound use (002:第十八条); while it waits,
    its deadline as of block time ``now``."""
    return _record(reader, request_key(request_id), now, "sharing request", request_id, "SHARING_REQUEST_NOT_FOUND")


@contract.query(args={"requester": MEMBER, "provider": MEMBER, "status": OneOf(REQUEST_STATUSES, required=False),
                      "now": NOW, "after": AFTER, "limit": LIMIT})
def requests(reader: StateReader, requester: str = "", provider: str = "", status: str = "", now: int | None = None,
             after: str = "", limit: int = 100) -> dict[str, Any]:
    """Sharing requests of a requester, or to a provider (or all), by id; only those in ``status`` when given;
    those waiting with their deadline as of block time ``now``; page with ``after`` (an id)."""
    return _listing(reader, "requests", REQUEST, ((BY_REQUESTER, requester), (BY_PROVIDER, provider)), request_key,
                    status, now, after, limit)


@contract.query(args={"now": Int(min=0), "provider": MEMBER, "after": PENDING_AFTER, "limit": LIMIT})
def overdue_requests(reader: StateReader, now: int, provider: str = "", after: str = "",
                     limit: int = 100) -> dict[str, Any]:
    """Requests unanswered past their deadline (002:第十七条) at block time ``now``, of one provider or all;
    a page looks at ``limit`` waiting requests from after ``after`` (an id, or ``<provider>/<id>``)."""
    return _overdue(reader, "requests", PENDING, request_key, now, provider, after, limit)


# --- disputes ------------------------------------------------------------------------------------------


@contract.query(args={"dispute_id": ID, "now": NOW})
def dispute(reader: StateReader, dispute_id: str, now: int | None = None) -> dict[str, Any]:
    """A 校核 dispute: the problem, its extension (head and approval document) and answer; while it waits,
    its deadline as of block time ``now`` (004:第十四条)."""
    return _record(reader, dispute_key(dispute_id), now, "校核 dispute", dispute_id, "DISPUTE_NOT_FOUND")


@contract.query(args={"user": MEMBER, "provider": MEMBER, "status": OneOf(DISPUTE_STATUSES, required=False),
                      "now": NOW, "after": AFTER, "limit": LIMIT})
def disputes(reader: StateReader, user: str = "", provider: str = "", status: str = "", now: int | None = None,
             after: str = "", limit: int = 100) -> dict[str, Any]:
    """校核 disputes filed by a user department, or about a provider's resources (or all), by id; only those
    in ``status`` when given; those waiting with their deadline as of block time ``now``; page with ``after``."""
    return _listing(reader, "disputes", DISPUTE, ((DISPUTE_BY_USER, user), (DISPUTE_BY_PROVIDER, provider)),
                    dispute_key, status, now, after, limit)


@contract.query(args={"now": Int(min=0), "provider": MEMBER, "after": PENDING_AFTER, "limit": LIMIT})
def overdue_disputes(reader: StateReader, now: int, provider: str = "", after: str = "",
                     limit: int = 100) -> dict[str, Any]:
    """Disputes unanswered past their (possibly extended) deadline (004:第十四条) at block time ``now``, of one
    provider or all; a page looks at ``limit`` waiting disputes from after ``after``."""
    return _overdue(reader, "disputes", DISPUTE_PENDING, dispute_key, now, provider, after, limit)
