"""项目库: the project library — a project's life from 储备 to 运维, and its data catalogs.

001:第六条 gives every informatization project one code and a state:
储备 (``reserve``) on entering the library, 在审 (``in_review``) when
``review_authority`` accepts its technical review, 待建 (``approved``) when
``finance_authority`` approves its investment with a construction period, 在建
(``in_construction``) once procurement or construction starts (quarterly
progress reports), 运维 (``in_operation``) after the 投入使用评审, and 终止
(``terminated``) from any state. Each transition is made only by the role the
article names, only from the right state, and cites a document its signer
anchored (:mod:`contracts.anchor`): the record keeps the document's version and
digest, so the transition can be checked against the file. Every transition is
a new version of the project's one record; the state layer keeps them all.

Around the lifecycle:

* the technical-review opinion is valid one year from its grant, with one
  extension of at most six months while content, investment and technical
  plan are unchanged (001:第十五条);
* a change of main content of at most 15% within the approved investment and
  goal, for one of the three listed reasons, is a filing (备案); anything else
  waits for ``review_authority``'s approval (001:第十六条);
* while in construction the department reports each quarter (001:第六条);
* the project's data catalogs (申报, 拟验收, 已验收) are :mod:`.catalogs`;
  acceptance, 确权, 对接 and the 投入使用评审 are :mod:`.acceptance`.

Every number is a chain parameter with Beijing's value as default. The state
layout is :mod:`contracts.project.keys`; the queries are :mod:`.queries`.
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from chain.errors import RuleViolation
from chain.execution import Effects, StateView
from contracts import workdays
from contracts.anchor.keys import doc_key
from contracts.args import Bool, Int, ListOf, OneOf, Str
from contracts.base import Call, Contract, param, refuse
from contracts.duty import OWNER_ROLES
from contracts.project.keys import (
    PROJECT_ID,
    change_key,
    dept_key,
    opinion_key,
    project_key,
    report_key,
    review_key,
    state_key,
)

ARTICLE_LIBRARY = "001:第六条"
ARTICLE_VALIDITY = "001:第十五条"
ARTICLE_CHANGE = "001:第十六条"
ARTICLE_REVIEW_REFUSED = "000:第十三条"
REVIEW_ARTICLES = ("000:第七条", "000:第八条", "000:第九条", "000:第十条")
"""The rules of a 申报项目数据目录 whose breach, not revised as notified, fails the technical review (000:第十三条)."""

RESERVE, IN_REVIEW, APPROVED = "reserve", "in_review", "approved"
IN_CONSTRUCTION, IN_OPERATION, TERMINATED = "in_construction", "in_operation", "terminated"
STATES = (RESERVE, IN_REVIEW, APPROVED, IN_CONSTRUCTION, IN_OPERATION, TERMINATED)
"""储备, 在审, 待建, 在建, 运维, 终止 — in the order of 001:第六条."""
STATE_NAMES = {RESERVE: "储备", IN_REVIEW: "在审", APPROVED: "待建", IN_CONSTRUCTION: "在建",
               IN_OPERATION: "运维", TERMINATED: "终止"}

CHANGE_REASONS = ("directive", "duty_or_data", "technical", "other")
"""001:第十六条's three reasons a department may change content by filing: (一) a 党中央、国务院、市委、
市政府 directive, (二) a change of the duties or data resources involved, (三) the business's need to
improve the technical plan — and ``other``, which always needs approval."""

PERIOD = r"20[0-9]{2}Q[1-4]"
"""A quarter, e.g. ``2026Q3``."""

contract = Contract("project", "项目库 project library")

OPINION_MONTHS = contract.param(
    "opinion_validity_months", 12, min=1, max=60, article=ARTICLE_VALIDITY,
    summary="months a technical-review opinion stays valid from its grant (一年, 001:第十五条)")
EXTENSION_MONTHS = contract.param(
    "extension_max_months", 6, min=0, max=24, article=ARTICLE_VALIDITY,
    summary="the longest single extension of a review opinion, in months (一般不超过半年, 001:第十五条)")
CHANGE_FILING_BP = contract.param(
    "change_filing_max_basis_points", 1500, min=0, max=10000, article=ARTICLE_CHANGE,
    summary="the largest change of main content a department may make by filing, in basis points of the "
            "content (15% = 1500, 001:第十六条)")
REPORT_DUE_DAYS = contract.param(
    "report_due_working_days", 10, min=1, max=60, article=ARTICLE_LIBRARY,
    summary="working days after a quarter's end within which a project in construction reports its progress "
            "(每季度报告, 001:第六条)")

DOC_ID = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}"
PROJECT = Str(max_len=64, pattern=PROJECT_ID)
DOC = Str(max_len=128, pattern=DOC_ID)
YUAN = Int(min=0, max=10**13)
"""An amount of money in 元 (an integer: no floats on the consensus path)."""


# --- reading and checking ----------------------------------------------------------------------------


def project_of(view: StateView, project_id: str, field: str = "project_id") -> dict[str, Any]:
    """The project's current record, or PROJECT_UNKNOWN."""
    record = view.get(project_key(project_id))
    if record is None:
        raise refuse("PROJECT_UNKNOWN", f"no project {project_id} in the library", article=ARTICLE_LIBRARY,
                     field=field, project_id=project_id)
    return record


def require_state(project: dict[str, Any], *states: str, article: str = ARTICLE_LIBRARY) -> None:
    """Refuse unless the project is in one of ``states`` (PROJECT_STATE names both)."""
    if project["state"] not in states:
        wanted = "/".join(f"{STATE_NAMES[s]} ({s})" for s in states)
        raise refuse("PROJECT_STATE", f"project {project['project_id']} is {STATE_NAMES[project['state']]} "
                     f"({project['state']}); this needs {wanted}", article=article, field="project_id",
                     state=project["state"], expected=list(states))


def require_owner(project: dict[str, Any], call: Call) -> None:
    """Refuse unless the sender is the project's department (项目单位)."""
    if project["department"] != call.sender:
        raise refuse("PROJECT_NOT_OWNER", f"project {project['project_id']} belongs to {project['department']}",
                     article=ARTICLE_LIBRARY, field="project_id", owner=project["department"])


def document(view: StateView, call: Call, field: str = "doc_id") -> dict[str, Any]:
    """The anchored document ``call.args[field]`` of the sender, as a transition cites it: its id,
    version and digest (so the transition can be checked against the file), or PROJECT_DOC_UNKNOWN."""
    doc_id = call.args[field]
    anchored = view.get(doc_key(call.sender, doc_id))
    if anchored is None:
        raise refuse("PROJECT_DOC_UNKNOWN", f"{call.sender} anchored no document {doc_id}: anchor it first "
                     "(mulu anchor put)", article=ARTICLE_LIBRARY, field=field, doc_id=doc_id)
    return {"issuer": call.sender, "doc_id": doc_id, "version": anchored["version"], "digest": anchored["digest"]}


def stamp(call: Call) -> dict[str, Any]:
    """When and by which transaction: what every record of this contract carries."""
    return {"signer": call.sender, "tx_id": call.ctx.tx_id, "height": call.ctx.height, "time": call.ctx.time}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's last (01-31 + 1 → 02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def today(call: Call) -> datetime.date:
    """The block's date in China (the only clock a contract sees)."""
    return workdays.china_date(call.ctx.time)


def transition(view: StateView, call: Call, project: dict[str, Any], state: str, doc: dict[str, Any],
               **fields: Any) -> dict[str, Any]:
    """The writes of the project's next version in ``state`` (with the cited document) and its indexes."""
    record = {**project, **fields, "state": state, "transition": call.tx.method, "doc": doc,
              "version": project["version"] + 1, **stamp(call)}
    if state != project["state"]:
        record["since"] = {"height": call.ctx.height, "time": call.ctx.time}
    writes: dict[str, Any] = {project_key(project["project_id"]): record,
                              dept_key(project["department"], project["project_id"]): state}
    if state != project["state"]:
        writes[state_key(project["state"], project["project_id"])] = None
        writes[state_key(state, project["project_id"])] = 1
    return writes


def _event(name: str, project: dict[str, Any], state: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return (name, {"project_id": project["project_id"], "department": project["department"], "state": state,
                   **extra})


# --- the lifecycle (001:第六条) ------------------------------------------------------------------------


@contract.method(roles=OWNER_ROLES, args={
    "project_id": PROJECT,
    "name": Str(max_len=200),
    "investment": YUAN,
    "summary": Str(max_len=2000),
    "doc_id": DOC,
})
def register(view: StateView, call: Call) -> Effects:
    """Enter a project in the library (储备), citing the anchored application (申报书)."""
    a = call.args
    if view.get(project_key(a["project_id"])) is not None:
        raise refuse("PROJECT_EXISTS", f"project {a['project_id']} is already in the library",
                     article=ARTICLE_LIBRARY, field="project_id")
    doc = document(view, call)
    record = {"project_id": a["project_id"], "department": call.sender, "name": a["name"],
              "investment": a["investment"], "approved_investment": None, "construction_months": None,
              "summary": a["summary"], "state": RESERVE, "transition": "register", "doc": doc,
              "since": {"height": call.ctx.height, "time": call.ctx.time}, "accepted": None,
              "commissioning_applied": None, "version": 1, **stamp(call)}
    writes = {project_key(a["project_id"]): record, dept_key(call.sender, a["project_id"]): RESERVE,
              state_key(RESERVE, a["project_id"]): 1}
    return Effects(writes, [_event("project_registered", record, RESERVE)])


@contract.method(roles=("review_authority",), args={"project_id": PROJECT, "doc_id": DOC})
def accept_for_review(view: StateView, call: Call) -> Effects:
    """经信局 accepts the project's technical review (储备 → 在审); its 申报 catalog must be filed (000:第八条)."""
    from contracts.project.catalogs import DECLARED, catalog_of

    project = project_of(view, call.args["project_id"])
    require_state(project, RESERVE)
    if not catalog_of(view, project["project_id"], DECLARED)["lines"]:
        raise refuse("PROJECT_CATALOG_MISSING", "a project is reviewed with its 申报项目数据目录: file it first",
                     article="000:第八条", field="project_id")
    writes = transition(view, call, project, IN_REVIEW, document(view, call))
    return Effects(writes, [_event("project_in_review", project, IN_REVIEW)])


@contract.method(roles=("review_authority",), args={"project_id": PROJECT, "doc_id": DOC})
def grant_opinion(view: StateView, call: Call) -> Effects:
    """经信局 grants the technical-review opinion (valid one year, 001:第十五条); the 申报 catalog locks (000:第十一条)."""
    from contracts.project.catalogs import lock_declared

    project = project_of(view, call.args["project_id"])
    require_state(project, IN_REVIEW)
    key = opinion_key(project["project_id"])
    if view.get(key) is not None:
        raise refuse("PROJECT_OPINION_EXISTS", "the project's technical-review opinion is already granted; "
                     "extend it instead", article=ARTICLE_VALIDITY, field="project_id")
    granted = today(call)
    until = add_months(granted, param(view, OPINION_MONTHS.qualified))
    opinion = {"project_id": project["project_id"], "doc": document(view, call), "granted": granted.isoformat(),
               "valid_until": until.isoformat(), "extended_months": 0, "extension_doc": None,
               "changes_at_grant": project.get("changes", 0), **stamp(call)}
    writes = {key: opinion, **lock_declared(view, call, project),
              review_key(project["project_id"]): _review(project, "passed", opinion["doc"], call)}
    return Effects(writes, [_event("review_opinion_granted", project, IN_REVIEW, valid_until=until.isoformat())])


def _review(project: dict[str, Any], outcome: str, doc: dict[str, Any], call: Call,
            articles: Sequence[str] = (), reason: str = "") -> dict[str, Any]:
    """A technical-review decision: what the assessment counts among review and acceptance outcomes (000:第二十二条(二))."""
    return {"project_id": project["project_id"], "outcome": outcome, "articles": list(articles), "reason": reason,
            "doc": doc, **stamp(call)}


@contract.method(roles=("review_authority",), args={
    "project_id": PROJECT, "doc_id": DOC, "articles": ListOf(OneOf(REVIEW_ARTICLES), min_items=1, max_items=4),
    "reason": Str(max_len=1000)})
def refuse_review(view: StateView, call: Call) -> Effects:
    """经信局 does not pass the technical review of a project whose 申报项目数据目录 breaks 000:第七条至第十条 and
    was not revised as notified (000:第十三条): 在审 → 储备, where the department revises its catalog and the
    project may be accepted for review again. The decision names the articles and the anchored review
    document; the assessment counts it as a review failure for catalog quality (000:第二十二条(二))."""
    a = call.args
    project = project_of(view, a["project_id"])
    require_state(project, IN_REVIEW)
    if view.get(opinion_key(project["project_id"])) is not None:
        raise refuse("PROJECT_REVIEW_DECIDED", f"project {project['project_id']}'s technical-review opinion is "
                     "granted: its review has passed", article=ARTICLE_REVIEW_REFUSED, field="project_id")
    doc = document(view, call)
    articles = sorted(set(a["articles"]), key=REVIEW_ARTICLES.index)
    decision = _review(project, "refused", doc, call, articles, a["reason"])
    writes = {review_key(project["project_id"]): decision, **transition(view, call, project, RESERVE, doc)}
    return Effects(writes, [_event("project_review_refused", project, RESERVE, articles=articles,
                                   article=ARTICLE_REVIEW_REFUSED)])


def opinion_status(view: StateView, project_id: str, day: datetime.date) -> dict[str, Any] | None:
    """The review opinion with ``valid`` as of ``day`` (valid through ``valid_until`` inclusive), or None."""
    opinion = view.get(opinion_key(project_id))
    if opinion is None:
        return None
    return {**opinion, "valid": day <= datetime.date.fromisoformat(opinion["valid_until"])}


@contract.method(roles=("review_authority",), args={"project_id": PROJECT, "months": Int(min=1, max=24),
                                                     "doc_id": DOC})
def extend_opinion(view: StateView, call: Call) -> Effects:
    """Extend the review opinion once, by at most six months, while content, investment and plan are unchanged."""
    a = call.args
    project = project_of(view, a["project_id"])
    require_state(project, IN_REVIEW, article=ARTICLE_VALIDITY)
    opinion = view.get(opinion_key(project["project_id"]))
    if opinion is None:
        raise refuse("PROJECT_OPINION_MISSING", "the project has no technical-review opinion to extend",
                     article=ARTICLE_VALIDITY, field="project_id")
    if opinion["extended_months"]:
        raise refuse("PROJECT_EXTENSION_USED", f"the opinion was already extended by {opinion['extended_months']} "
                     "months; it may be extended once", article=ARTICLE_VALIDITY, field="project_id")
    limit = param(view, EXTENSION_MONTHS.qualified)
    if a["months"] > limit:
        raise refuse("PROJECT_EXTENSION_TOO_LONG", f"an extension is at most {limit} months",
                     article=ARTICLE_VALIDITY, field="months", limit=limit)
    if project.get("changes", 0) != opinion["changes_at_grant"]:
        raise refuse("PROJECT_EXTENSION_CHANGED", "content, investment or technical plan changed since the "
                     "opinion: only an unchanged project is extended; apply for a new review",
                     article=ARTICLE_VALIDITY, field="project_id")
    until = add_months(datetime.date.fromisoformat(opinion["valid_until"]), a["months"])
    extended = {**opinion, "valid_until": until.isoformat(), "extended_months": a["months"],
                "extension_doc": document(view, call), **stamp(call)}
    return Effects({opinion_key(project["project_id"]): extended},
                   [_event("review_opinion_extended", project, IN_REVIEW, valid_until=until.isoformat())])


@contract.method(roles=("finance_authority",), args={
    "project_id": PROJECT, "investment": YUAN, "construction_months": Int(min=1, max=120), "doc_id": DOC})
def approve_investment(view: StateView, call: Call) -> Effects:
    """发改委/财政局 approve the investment with a construction period (在审 → 待建), under a valid opinion."""
    a = call.args
    project = project_of(view, a["project_id"])
    require_state(project, IN_REVIEW)
    opinion = opinion_status(view, project["project_id"], today(call))
    if opinion is None:
        raise refuse("PROJECT_OPINION_MISSING", "investment is approved on a granted technical-review opinion",
                     article=ARTICLE_VALIDITY, field="project_id")
    if not opinion["valid"]:
        raise refuse("PROJECT_OPINION_EXPIRED", f"the technical-review opinion expired after "
                     f"{opinion['valid_until']}; extend it (once) or review the project again",
                     article=ARTICLE_VALIDITY, field="project_id", valid_until=opinion["valid_until"])
    writes = transition(view, call, project, APPROVED, document(view, call), approved_investment=a["investment"],
                        construction_months=a["construction_months"])
    return Effects(writes, [_event("project_approved", project, APPROVED, investment=a["investment"])])


@contract.method(roles=OWNER_ROLES, args={"project_id": PROJECT, "doc_id": DOC})
def start_construction(view: StateView, call: Call) -> Effects:
    """The department starts procurement or construction (待建 → 在建), citing the contract or notice."""
    project = project_of(view, call.args["project_id"])
    require_owner(project, call)
    require_state(project, APPROVED)
    writes = transition(view, call, project, IN_CONSTRUCTION, document(view, call),
                        construction_started=today(call).isoformat())
    return Effects(writes, [_event("project_in_construction", project, IN_CONSTRUCTION)])


@contract.method(roles=("department", "district", "review_authority"), args={
    "project_id": PROJECT, "reason": Str(max_len=1000), "doc_id": DOC})
def terminate(view: StateView, call: Call) -> Effects:
    """Stop the project (终止, from any state): by its department, or by 经信局."""
    project = project_of(view, call.args["project_id"])
    roles_ok = call.sender == project["department"] or _is_review_authority(view, call.sender)
    if not roles_ok:
        raise refuse("PROJECT_NOT_OWNER", f"only {project['department']} or 经信局 stops project "
                     f"{project['project_id']}", article=ARTICLE_LIBRARY, field="project_id")
    require_state(project, *STATES[:-1])
    writes = transition(view, call, project, TERMINATED, document(view, call), termination=call.args["reason"])
    return Effects(writes, [_event("project_terminated", project, TERMINATED)])


def _is_review_authority(view: StateView, uscc: str) -> bool:
    from contracts.identity import member_key

    member = view.get(member_key(uscc))
    return member is not None and "review_authority" in member["roles"]


# --- quarterly progress (001:第六条) -----------------------------------------------------------------


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_end(period: str) -> datetime.date:
    """The last day of quarter ``period`` (``2026Q3`` → 2026-09-30)."""
    year, q = int(period[:4]), int(period[5])
    return add_months(datetime.date(year, 3 * q - 2, 1), 3) - datetime.timedelta(days=1)


@contract.method(roles=OWNER_ROLES, args={"project_id": PROJECT, "period": Str(max_len=6, pattern=PERIOD),
                                          "progress": Str(max_len=4000),
                                          "doc_id": Str(max_len=128, pattern=DOC_ID, required=False)})
def report_progress(view: StateView, call: Call) -> Effects:
    """Report a quarter's progress while in construction (每季度报告, 001:第六条)."""
    a = call.args
    project = project_of(view, a["project_id"])
    require_owner(project, call)
    require_state(project, IN_CONSTRUCTION)
    period = a["period"]
    first = quarter_of(datetime.date.fromisoformat(project["construction_started"]))
    if not first <= period <= quarter_of(today(call)):
        raise refuse("PROJECT_REPORT_PERIOD", f"reports cover the quarters from the start of construction "
                     f"({first}) to the current one", article=ARTICLE_LIBRARY, field="period", first=first,
                     current=quarter_of(today(call)))
    key = report_key(project["project_id"], period)
    if view.get(key) is not None:
        raise refuse("PROJECT_REPORT_EXISTS", f"{period} is already reported", article=ARTICLE_LIBRARY,
                     field="period")
    report = {"project_id": project["project_id"], "period": period, "progress": a["progress"],
              "doc": document(view, call) if a.get("doc_id") else None, **stamp(call)}
    return Effects({key: report}, [_event("progress_reported", project, IN_CONSTRUCTION, period=period)])


def reports_due(view: StateView, project: dict[str, Any], day: datetime.date) -> list[dict[str, Any]]:
    """The quarters of a project in construction whose report deadline passed by ``day`` with no report:
    each ended quarter from the start of construction is due within N working days of its end."""
    if project["state"] != IN_CONSTRUCTION:
        return []
    n = param(view, REPORT_DUE_DAYS.qualified)
    period = quarter_of(datetime.date.fromisoformat(project["construction_started"]))
    late = []
    while quarter_end(period) < day:
        if view.get(report_key(project["project_id"], period)) is None:
            try:
                deadline = workdays.add_working_days(view, quarter_end(period), n, article=ARTICLE_LIBRARY)
            except RuleViolation:  # a year the calendar does not cover: reported, never guessed
                late.append({"period": period, "deadline": None, "status": "calendar_not_covered"})
            else:
                if deadline < day:
                    late.append({"period": period, "deadline": deadline.isoformat(), "status": "overdue"})
        year, q = int(period[:4]), int(period[5])
        period = f"{year + q // 4}Q{q % 4 + 1}"
    return late


# --- changes of main content (001:第十六条) ------------------------------------------------------------


@contract.method(roles=OWNER_ROLES, args={
    "project_id": PROJECT,
    "change_id": Str(max_len=64, pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"),
    "description": Str(max_len=4000),
    "reason_kind": OneOf(CHANGE_REASONS),
    "ratio_basis_points": Int(min=0, max=10000),
    "investment": YUAN,
    "goal_unchanged": Bool(),
    "doc_id": DOC,
})
def request_change(view: StateView, call: Call) -> Effects:
    """Change the project's main content: a filing (备案) when 001:第十六条 allows one, else a request for approval."""
    a = call.args
    project = project_of(view, a["project_id"])
    require_owner(project, call)
    require_state(project, IN_REVIEW, APPROVED, IN_CONSTRUCTION, article=ARTICLE_CHANGE)
    if view.get(opinion_key(project["project_id"])) is None:
        raise refuse("PROJECT_OPINION_MISSING", "main content changes after the technical review; before it, "
                     "amend the application", article=ARTICLE_VALIDITY, field="project_id")
    key = change_key(project["project_id"], a["change_id"])
    if view.get(key) is not None:
        raise refuse("PROJECT_CHANGE_EXISTS", f"change {a['change_id']} is already recorded", article=ARTICLE_CHANGE,
                     field="change_id")
    limit = param(view, CHANGE_FILING_BP.qualified)
    needs = [why for why, fails in (
        ("ratio_over_limit", a["ratio_basis_points"] > limit),
        ("investment_over_approval", a["investment"] > (project["approved_investment"] or project["investment"])),
        ("goal_changed", not a["goal_unchanged"]),
        ("reason_not_listed", a["reason_kind"] == "other")) if fails]
    change = {"project_id": project["project_id"], "change_id": a["change_id"], "description": a["description"],
              "reason_kind": a["reason_kind"], "ratio_basis_points": a["ratio_basis_points"],
              "investment": a["investment"], "goal_unchanged": a["goal_unchanged"], "doc": document(view, call),
              "needs_approval": needs, "status": "pending" if needs else "filed", "decision": None, **stamp(call)}
    writes: dict[str, Any] = {key: change}
    if not needs:
        writes.update(_apply_change(view, call, project, change))
    return Effects(writes, [_event("project_change_" + change["status"], project, project["state"],
                                   change_id=a["change_id"], needs_approval=needs)])


def _apply_change(view: StateView, call: Call, project: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A filed or approved change: the project counts it (an opinion is extended only while none was made)."""
    return transition(view, call, project, project["state"], change["doc"], changes=project.get("changes", 0) + 1,
                      investment=change["investment"])


@contract.method(roles=("review_authority",), args={
    "project_id": PROJECT, "change_id": Str(max_len=64, pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"),
    "approve": Bool(), "doc_id": DOC})
def decide_change(view: StateView, call: Call) -> Effects:
    """经信局 approves or refuses a change that needed approval (变更审批, 001:第十六条)."""
    a = call.args
    project = project_of(view, a["project_id"])
    key = change_key(project["project_id"], a["change_id"])
    change = view.get(key)
    if change is None:
        raise refuse("PROJECT_CHANGE_UNKNOWN", f"no change {a['change_id']} of {project['project_id']}",
                     article=ARTICLE_CHANGE, field="change_id")
    if change["status"] != "pending":
        raise refuse("PROJECT_CHANGE_DECIDED", f"change {a['change_id']} is {change['status']}, not pending",
                     article=ARTICLE_CHANGE, field="change_id", status=change["status"])
    require_state(project, IN_REVIEW, APPROVED, IN_CONSTRUCTION, article=ARTICLE_CHANGE)
    status = "approved" if a["approve"] else "refused"
    decided = {**change, "status": status, "decision": {"doc": document(view, call), **stamp(call)}}
    writes: dict[str, Any] = {key: decided}
    if a["approve"]:
        writes.update(_apply_change(view, call, project, decided))
    return Effects(writes, [_event("project_change_" + status, project, project["state"], change_id=a["change_id"])])


from contracts.project import acceptance, catalogs, queries  # noqa: E402,F401 - registers methods and queries
