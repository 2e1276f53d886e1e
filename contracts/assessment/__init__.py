"""绩效考核: the half-yearly assessment of departments' data resources, and rectification (000:第四章).

``review_authority`` assesses every department and district each half year
(000:第十九条). The assessment is computed from the chain alone, as of one
height, by :func:`contracts.assessment.report.compute` — deterministic, so
anyone holding an export recomputes it byte for byte — and its result (the
report's digest and its figures) is anchored here with ``assessment.record``.

Rectification (000:第二十二、二十三条): ``general_office`` issues a 整改令 naming
findings of an anchored assessment; the department answers; the next
assessment shows whether each finding is cleared, and counts the rounds a
finding survived to decide the penalties (僵尸系统, restricted projects, duty
adjustment, public criticism). Lifting an order restores the standing its
findings cost.

The state layout is :mod:`contracts.assessment.keys`; the queries are
:mod:`contracts.assessment.queries`.
"""

from __future__ import annotations

from chain.execution import Effects, StateView
from contracts.args import Bytes, Int, ListOf, Obj, OneOf, Str, Uscc
from contracts.base import Call, Contract, refuse
from contracts.assessment.keys import order_key, orders_key, report_key
from contracts.identity import member_key

ARTICLE_ASSESS = "000:第十九条"
ARTICLE_FINDINGS = "000:第二十一条"
ARTICLE_ORDER = "000:第二十二条"
ARTICLE_LIFT = "000:第二十三条"

PERIOD = r"20[0-9]{2}H[12]"
"""A half year, e.g. ``2026H2``."""
ORDER_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

KINDS = ("not_on_cloud", "credential_not_anchored", "duty_not_anchored", "entry_not_anchored", "catalog_not_updated",
         "catalog_quality_low", "duty_without_data", "sharing_overdue")
"""The findings of 000:第二十一条: (一) 应入云而未入云; (二) 应上链而未上链 — of what 000:第十四条(三) brings under
the chain: a system's credential, the 职责目录 or a duty item, a catalog entry; (三) 应更新而未更新; (四) 目录编制质量过低;
(五) 职责目录长期无数据对应; (六) other — here, sharing answers and disputes left past their deadline."""

contract = Contract("assessment", "绩效考核 assessment and rectification")

QUALITY_MIN = contract.param(
    "quality_min_points", 60, min=0, max=100, article=ARTICLE_FINDINGS,
    summary="the catalog quality score (0-100) below which a department's catalog quality is too low (000:第二十一条(四))")
IDLE_MONTHS = contract.param(
    "duty_idle_months", 12, min=1, max=120, article=ARTICLE_FINDINGS,
    summary="months an approved duty item may go without any catalog entry before it is 长期无数据对应")
ZOMBIE_ROUNDS = contract.param(
    "zombie_rounds", 2, min=1, max=10, article=ARTICLE_ORDER,
    summary="rectification rounds a cloud, chain or update finding survives before its system is a 僵尸系统")
QUALITY_FAILURES = contract.param(
    "quality_failures", 3, min=1, max=10, article=ARTICLE_ORDER,
    summary="consecutive reviews not passed or acceptances refused for catalog quality before next year's "
            "projects are restricted")
ADJUST_MONTHS = contract.param(
    "duty_adjust_months", 12, min=1, max=60, article=ARTICLE_ORDER,
    summary="months a duty item without data stays ordered and uncleared before its duty is adjusted")
CRITICISM_ROUNDS = contract.param(
    "criticism_rounds", 2, min=1, max=10, article=ARTICLE_ORDER,
    summary="rectification rounds another finding survives before public criticism (通报批评)")

PERIOD_ARG = Str(max_len=6, pattern=PERIOD)
FIGURE = Obj({"uscc": Uscc(), "rank": Int(min=1, max=100_000), "score": Int(min=0, max=100),
              "findings": Int(min=0, max=1_000_000), "penalties": Int(min=0, max=1_000_000)})
FINDING = Obj({"kind": OneOf(KINDS), "subject": Str(max_len=200)})


@contract.method(roles=("review_authority",), args={
    "period": PERIOD_ARG, "height": Int(min=1), "digest": Bytes(size=32),
    "figures": ListOf(FIGURE, max_items=2000), "note": Str(max_len=2000, min_len=0, required=False)})
def record(view: StateView, call: Call) -> Effects:
    """经信局 anchors a half-year's assessment: the height it was computed at, its report's digest and figures."""
    a = call.args
    if a["height"] >= call.ctx.height:
        raise refuse("ASSESSMENT_HEIGHT_UNCOMMITTED", f"an assessment is computed over committed blocks, before "
                     f"this one ({call.ctx.height})", article=ARTICLE_ASSESS, field="height")
    ranks = [f["rank"] for f in a["figures"]]
    if sorted(ranks) != list(range(1, len(ranks) + 1)) or len({f["uscc"] for f in a["figures"]}) != len(ranks):
        raise refuse("ASSESSMENT_FIGURES_INVALID", "the figures rank each department once, from 1",
                     field="figures")
    key = report_key(a["period"])
    current = view.get(key)
    result = {"period": a["period"], "height": a["height"], "digest": a["digest"], "figures": a["figures"],
              "note": a.get("note", ""), "version": 1 if current is None else current["version"] + 1,
              "signer": call.sender, "tx_id": call.ctx.tx_id, "recorded_height": call.ctx.height,
              "time": call.ctx.time}
    return Effects({key: result}, [("assessment_recorded", {"period": a["period"], "height": a["height"],
                                                            "version": result["version"]})])


@contract.method(roles=("general_office",), args={
    "order_id": Str(max_len=64, pattern=ORDER_ID), "department": Uscc(), "period": PERIOD_ARG,
    "findings": ListOf(FINDING, min_items=1, max_items=500), "text": Str(max_len=4000)})
def order(view: StateView, call: Call) -> Effects:
    """办公厅 issues a 整改令 to a department, naming findings of an anchored assessment (000:第二十二条)."""
    a = call.args
    key = order_key(a["order_id"])
    if view.get(key) is not None:
        raise refuse("ORDER_EXISTS", f"order {a['order_id']} is already issued", field="order_id")
    if view.get(report_key(a["period"])) is None:
        raise refuse("ASSESSMENT_UNKNOWN", f"no assessment of {a['period']} is anchored", article=ARTICLE_ORDER,
                     field="period")
    member = view.get(member_key(a["department"]))
    if member is None or not {"department", "district"} & set(member["roles"]):
        raise refuse("ORDER_DEPARTMENT_UNKNOWN", f"{a['department']} is not a department or district",
                     field="department")
    findings = sorted({(f["kind"], f["subject"]) for f in a["findings"]})
    record_ = {"order_id": a["order_id"], "department": a["department"], "period": a["period"],
               "findings": [{"kind": k, "subject": s} for k, s in findings], "text": a["text"],
               "issued": {"signer": call.sender, "tx_id": call.ctx.tx_id, "height": call.ctx.height,
                          "time": call.ctx.time},
               "answer": None, "lifted": None}
    return Effects({key: record_, orders_key(a["department"], a["order_id"]): 1},
                   [("rectification_ordered", {"order_id": a["order_id"], "department": a["department"],
                                               "findings": len(findings)})])


def _order(view: StateView, order_id: str) -> dict:
    found = view.get(order_key(order_id))
    if found is None:
        raise refuse("ORDER_UNKNOWN", f"no order {order_id}", field="order_id")
    return found


@contract.method(roles=("department", "district"), args={
    "order_id": Str(max_len=64, pattern=ORDER_ID), "text": Str(max_len=4000)})
def answer(view: StateView, call: Call) -> Effects:
    """The department answers a 整改令 with what it rectified (000:第二十条)."""
    found = _order(view, call.args["order_id"])
    if found["department"] != call.sender:
        raise refuse("ORDER_NOT_YOURS", f"order {found['order_id']} is addressed to {found['department']}",
                     article=ARTICLE_ORDER, field="order_id")
    if found["lifted"] is not None:
        raise refuse("ORDER_LIFTED", f"order {found['order_id']} is lifted", article=ARTICLE_LIFT, field="order_id")
    answered = {**found, "answer": {"text": call.args["text"], "tx_id": call.ctx.tx_id, "height": call.ctx.height,
                                    "time": call.ctx.time}}
    return Effects({order_key(found["order_id"]): answered},
                   [("rectification_answered", {"order_id": found["order_id"], "department": call.sender})])


@contract.method(roles=("general_office",), args={"order_id": Str(max_len=64, pattern=ORDER_ID),
                                                   "text": Str(max_len=4000)})
def lift(view: StateView, call: Call) -> Effects:
    """办公厅 lifts a 整改令 once rectified; the standing its findings cost is restored (000:第二十三条)."""
    found = _order(view, call.args["order_id"])
    if found["lifted"] is not None:
        raise refuse("ORDER_LIFTED", f"order {found['order_id']} is lifted", article=ARTICLE_LIFT, field="order_id")
    lifted = {**found, "lifted": {"text": call.args["text"], "signer": call.sender, "tx_id": call.ctx.tx_id,
                                  "height": call.ctx.height, "time": call.ctx.time}}
    return Effects({order_key(found["order_id"]): lifted},
                   [("rectification_lifted", {"order_id": found["order_id"], "department": found["department"]})])


from contracts.assessment import queries  # noqa: E402,F401 - registers the queries on the contract
