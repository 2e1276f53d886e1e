"""The half-year assessment computed from the chain alone (000:第十九至二十二条).

:func:`compute` reads committed state — a ledger's state at the height the
assessment is made at — and nothing else, in a fixed order, with integer
arithmetic only, so two nodes at the same height, or an auditor replaying an
export to it, get byte-identical reports. Per department and district:

* **findings** (000:第二十一条), each with its subject and the transaction that
  shows it, where one does: (一) systems not on the 政务云 without an approved
  exemption; (二) 应上链而未上链 — what 000:第十四条(三) brings under the chain's
  management and is not there: a system whose administrator credential is not
  escrowed to the current custodian key (``credential_not_anchored``, subject
  the system); a department with no approved duty item at all, whose 职责目录
  is not on the chain (``duty_not_anchored``, subject ``duty_catalog``); and,
  for each project in 运维, the acceptance verdict's 上链 checks
  (:func:`contracts.project.acceptance.lines_not_anchored`) re-run on its
  已验收 catalog — an own line's resource with no entry on the chain
  (``entry_not_anchored``, subject ``<project>:<resource code>``), a duty item
  an own line cites with no approved version left (``duty_not_anchored``,
  subject ``<project>:<duty item>``); (三) a catalog not updated within the
  deadline after a duty change (002:第九条); (四) catalog quality below the
  parameter; (五) approved duty items that no catalog entry has served for N
  months; (六) sharing requests and 校核 disputes left unanswered past their
  deadline;
* **catalog quality**, 0–100 points: 40 × the share of entries with the
  recommended metadata (a summary of 10+ characters, a format, a share
  method, an open condition when open), 30 × the share mapped to duty items
  (not only a note), 30 × the share fresh against their declared 更新周期 (a
  version within twice the cycle), minus one point per catalog submission
  refused in the period (at most ten);
* **penalties** (000:第二十二条), counted from the 整改令 still in force: a
  cloud, chain or update finding that survived ``zombie_rounds`` orders makes
  the systems it concerns 僵尸系统 (相关信息系统, one penalty per system: a
  system's own finding, that system; a project line's, the project's systems;
  the 职责目录's, all the department's systems; a catalog not updated, the
  systems the entries serving the changed duty name); ``quality_failures``
  consecutive reviews not passed (000:第十三条) or acceptances refused for
  catalog quality (更新 or 不符) restrict next year's projects; a duty item
  without data ordered ``duty_adjust_months`` ago and still without data is
  for duty adjustment; another finding that survived ``criticism_rounds`` orders brings public
  criticism. A lifted order counts no more (000:第二十三条). Each penalty
  names what it falls on (``subject``) and the finding that brought it
  (``finding``, ``finding_subject``).

Departments are ranked by score, then fewest findings, then code.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterable

from chain.encoding import encode
from contracts import duty, system, workdays
from contracts.assessment import (
    ADJUST_MONTHS,
    CRITICISM_ROUNDS,
    IDLE_MONTHS,
    QUALITY_FAILURES,
    QUALITY_MIN,
    ZOMBIE_ROUNDS,
)
from contracts.assessment.keys import order_key, orders_prefix
from contracts.base import every, param
from contracts.catalog import update_status
from contracts.catalog.keys import dept_prefix as entries_prefix
from contracts.catalog.keys import entry_key
from contracts.duty.keys import item_key, items_prefix
from contracts.identity.keys import member_key, role_key
from contracts.project import IN_OPERATION, add_months
from contracts.project.acceptance import lines_not_anchored
from contracts.project.catalogs import ACCEPTED
from contracts.project.keys import acceptance_key, catalog_key, review_key
from contracts.project.keys import dept_prefix as projects_prefix
from contracts.system.keys import dept_prefix as systems_prefix
from contracts.system.keys import system_key

FORMAT = "mulu/assessment/v1"
FRESH_DAYS = {"realtime": 2, "daily": 2, "weekly": 14, "monthly": 62, "quarterly": 184, "half_yearly": 366,
              "yearly": 731}
"""How old an entry's latest version may be and still be fresh: twice its 更新周期 (irregular: always)."""
ARTICLES = {"not_on_cloud": "000:第二十一条(一)", "credential_not_anchored": "000:第二十一条(二)",
            "duty_not_anchored": "000:第二十一条(二)", "entry_not_anchored": "000:第二十一条(二)",
            "catalog_not_updated": "000:第二十一条(三)", "catalog_quality_low": "000:第二十一条(四)",
            "duty_without_data": "000:第二十一条(五)", "sharing_overdue": "000:第二十一条(六)"}
TITLES = {"not_on_cloud": "应入云而未入云", "credential_not_anchored": "应上链而未上链",
          "duty_not_anchored": "应上链而未上链", "entry_not_anchored": "应上链而未上链",
          "catalog_not_updated": "应更新而未更新", "catalog_quality_low": "目录编制质量过低",
          "duty_without_data": "职责目录长期无数据对应", "sharing_overdue": "共享或校核答复逾期"}
DUTY_CATALOG = "duty_catalog"
"""The subject of ``duty_not_anchored`` for a department with no approved duty item at all: its 职责目录."""
ZOMBIE_KINDS = ("not_on_cloud", "credential_not_anchored", "duty_not_anchored", "entry_not_anchored",
                "catalog_not_updated")
"""The findings of 000:第二十一条(一)(二)(三), whose systems become 僵尸系统 after ``zombie_rounds`` orders."""
PENALTY_TITLES = {"zombie_system": "僵尸系统", "projects_restricted": "来年项目申报受限",
                  "duty_adjustment": "调整三定职责", "public_criticism": "通报批评"}


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a half year (``2026H2`` → 2026-07-01, 2026-12-31)."""
    year, half = int(period[:4]), int(period[5])
    return (datetime.date(year, 1, 1), datetime.date(year, 6, 30)) if half == 1 else \
        (datetime.date(year, 7, 1), datetime.date(year, 12, 31))


def _hex(tx_id: Any) -> str:
    return tx_id.hex() if isinstance(tx_id, bytes) else ""


def _finding(kind: str, subject: str, detail: str, tx_id: Any = None) -> dict[str, Any]:
    return {"kind": kind, "title": TITLES[kind], "article": ARTICLES[kind], "subject": subject, "detail": detail,
            "tx_id": _hex(tx_id)}


def _quality(entries: list[dict[str, Any]], day: datetime.date, refused: int) -> dict[str, Any]:
    n = len(entries)
    complete = mapped = fresh = 0
    for record in entries:
        e = record["entry"]
        complete += (len(e.get("summary", "")) >= 10 and bool(e.get("format")) and bool(e.get("share_method"))
                     and (not e["open_to_public"] or bool(e.get("open_condition"))))
        mapped += bool(e["duty_items"])
        limit = FRESH_DAYS.get(e["update_cycle"])
        fresh += limit is None or (day - workdays.china_date(record["time"])).days <= limit
    points = 0 if n == 0 else 40 * complete // n + 30 * mapped // n + 30 * fresh // n
    return {"entries": n, "complete": complete, "mapped": mapped, "fresh": fresh, "refused": refused,
            "score": max(0, points - min(10, refused))}


def _department(reader: Any, uscc: str, as_of: int, refused: int) -> dict[str, Any]:
    day = workdays.china_date(as_of)
    findings: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    systems = [code for code, _ in every(reader, systems_prefix(uscc))]
    for code in systems:
        record = reader.get(system_key(code))
        if not system.cloud_ok(reader, code):
            findings.append(_finding("not_on_cloud", code, f"system {code} is {record['deployment']}, without an "
                                     "approved 入云 exemption", record.get("tx_id")))
        if not system.credential_current(reader, code):
            findings.append(_finding("credential_not_anchored", code, f"system {code}'s administrator credential "
                                     "is not escrowed to the custodian's current key", record.get("tx_id")))
    status = update_status(reader, uscc, as_of)
    if status is not None and status["status"] == "overdue":
        findings.append(_finding("catalog_not_updated", status["duty_item"], f"duty change of "
                                 f"{status['changed_date']}: the catalog was due by {status['deadline']}"))
    elif status is not None and status["status"] == "calendar_not_covered":
        notes.append({"kind": "calendar_not_covered", "year": status["year"],
                      "detail": "the update deadline falls in a year the chain's calendar does not cover"})
    entries = [reader.get(entry_key(code)) for code, _ in every(reader, entries_prefix(uscc))]
    quality = _quality(entries, day, refused)
    if quality["score"] < param(reader, QUALITY_MIN.qualified):
        findings.append(_finding("catalog_quality_low", "catalog", f"catalog quality {quality['score']} points, "
                                 f"below {param(reader, QUALITY_MIN.qualified)}"))
    findings += _duty_items(reader, uscc, entries, day)
    projects = list(every(reader, projects_prefix(uscc)))
    findings += _projects_not_anchored(reader, uscc, projects)
    for late in _overdue_answers(reader, uscc, as_of):
        findings.append(_finding("sharing_overdue", f"{late['kind']}:{late['id']}", f"{late['kind']} {late['id']} "
                                 f"was due by {late['deadline']}", late.get("tx_id")))
    findings.sort(key=lambda f: (f["kind"], f["subject"]))
    orders = _orders_in_force(reader, uscc)
    return {"uscc": uscc, "findings": findings, "quality": quality, "notes": notes,
            "penalties": _penalties(reader, uscc, findings, entries, orders, day, systems,
                                    [project_id for project_id, _ in projects]),
            "rectification": _rectification(orders, findings)}


def _duty_items(reader: Any, uscc: str, entries: list[dict[str, Any]], day: datetime.date) -> list[dict[str, Any]]:
    """The department's duty findings from one pass over its items: each approved item no entry has served
    for ``duty_idle_months`` (000:第二十一条(五)); and, when not one item is approved, its 职责目录 not on the
    chain (000:第十四条(三), 第二十一条(二)) — every department has 三定 duties, so none approved means none
    anchored."""
    found = []
    served = {item for record in entries for item in record["entry"]["duty_items"]}
    idle = param(reader, IDLE_MONTHS.qualified)
    approved = unapproved = 0
    for item_id, item in every(reader, items_prefix(uscc)):
        if duty.approved_version(reader, uscc, item_id) is None:
            unapproved += 1
            continue
        approved += 1
        if item_id not in served and add_months(workdays.china_date(item["time"]), idle) <= day:
            found.append(_finding("duty_without_data", item_id, f"duty item {item_id} has had no catalog "
                                  f"entry for {idle} months or more", item.get("tx_id")))
    if not approved:
        found.append(_finding("duty_not_anchored", DUTY_CATALOG, f"no duty item of {uscc} is approved on the "
                              f"chain (职责目录 not anchored; {unapproved} proposed, returned or retired)"))
    return found


def _projects_not_anchored(reader: Any, uscc: str, projects: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """应上链而未上链 after acceptance (000:第十四条(三), 第二十一条(二)): for each of the department's projects
    in 运维 (``projects``: its project index, id and state), the acceptance verdict's 上链 checks of own lines
    (:func:`contracts.project.acceptance.lines_not_anchored`) on its 已验收 catalog — they held when it was
    accepted; a resource with no entry, or a cited duty item with no approved version left, is found now.
    One finding per resource or duty item of a project, naming the lines that cite it."""
    found = []
    for project_id, state in projects:
        if state != IN_OPERATION:
            continue
        accepted = reader.get(catalog_key(project_id, ACCEPTED))
        if accepted is None:  # 投入使用评审 requires it: nothing to check
            continue
        cited: dict[tuple[str, str], list[str]] = {}  # in line order
        for failure in lines_not_anchored(reader, uscc, accepted["lines"]):
            what = failure["resource_code"] if failure["kind"] == "entry_not_anchored" else failure["duty_item"]
            cited.setdefault((failure["kind"], what), []).append(failure["line_id"])
        archived = accepted.get("archived") or {}
        for (kind, what), line_ids in cited.items():
            lines = "、".join(dict.fromkeys(line_ids))
            if kind == "entry_not_anchored":
                found.append(_finding(kind, f"{project_id}:{what}", f"resource {what} of line {lines} of project "
                                      f"{project_id}'s accepted catalog (已验收项目数据目录) has no entry on the chain",
                                      archived.get("tx_id")))
            else:
                item = reader.get(item_key(uscc, what)) or {}
                found.append(_finding(kind, f"{project_id}:{what}", f"duty item {what}, cited by line {lines} of "
                                      f"project {project_id}'s accepted catalog (已验收项目数据目录), has no approved "
                                      "version on the chain", item.get("tx_id") or archived.get("tx_id")))
    return found


def _orders_in_force(reader: Any, uscc: str) -> list[dict[str, Any]]:
    """The department's 整改令 not lifted (a lifted one counts no more, 000:第二十三条), in order id order."""
    orders = (reader.get(order_key(order_id)) for order_id, _ in every(reader, orders_prefix(uscc)))
    return [order for order in orders if order["lifted"] is None]


def _rectification(orders: list[dict[str, Any]], findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each 整改令 in force with whether the department answered it and whether each of its findings is
    cleared now (not found again)."""
    found = {(f["kind"], f["subject"]) for f in findings}
    return [{"order_id": order["order_id"], "period": order["period"], "answered": order["answer"] is not None,
             "findings": [{**f, "cleared": (f["kind"], f["subject"]) not in found} for f in order["findings"]]}
            for order in orders]


def _overdue_answers(reader: Any, uscc: str, as_of: int) -> list[dict[str, Any]]:
    from contracts import sharing

    return sharing.overdue_answers(reader, uscc, as_of)


def _concerned(reader: Any, f: dict[str, Any], entries: list[dict[str, Any]], systems: list[str]) -> list[str]:
    """The information systems a cloud, chain or update finding concerns (相关信息系统, 000:第二十二条(一)):
    a system's own finding, that system; a project line's (``<project>:…``), the project's systems; the
    department's 职责目录 not anchored, every system of the department (``systems``); a catalog not updated
    after a duty change, the systems named by the entries serving that duty."""
    kind, subject = f["kind"], f["subject"]
    if kind in ("not_on_cloud", "credential_not_anchored"):
        return [subject]
    if kind == "catalog_not_updated":
        return sorted({name for e in entries if subject in e["entry"]["duty_items"]
                       for name in e["entry"].get("systems", [])})
    if subject == DUTY_CATALOG:
        return systems
    return system.project_systems(reader, subject.split(":", 1)[0])


def _penalties(reader: Any, uscc: str, findings: list[dict[str, Any]], entries: list[dict[str, Any]],
               orders: list[dict[str, Any]], day: datetime.date, systems: list[str],
               projects: list[str]) -> list[dict[str, Any]]:
    """The penalties of 000:第二十二条, each naming what it falls on (``subject``: a system, a duty item, a
    request, the department) and the finding that brought it (``finding``, ``finding_subject``) with the
    orders it survived."""
    ordered: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for order in sorted(orders, key=lambda o: (o["issued"]["height"], o["order_id"])):
        for f in order["findings"]:
            ordered.setdefault((f["kind"], f["subject"]), []).append(order)
    zombie, criticism = param(reader, ZOMBIE_ROUNDS.qualified), param(reader, CRITICISM_ROUNDS.qualified)
    adjust = param(reader, ADJUST_MONTHS.qualified)
    out = []
    for f in findings:
        rounds = ordered.get((f["kind"], f["subject"]), [])
        why = {"finding": f["kind"], "finding_subject": f["subject"], "rounds": len(rounds),
               "orders": [o["order_id"] for o in rounds]}
        if f["kind"] in ZOMBIE_KINDS:
            if len(rounds) >= zombie:
                out += [{"kind": "zombie_system", "subject": code, **why}
                        for code in _concerned(reader, f, entries, systems)]
        elif f["kind"] == "duty_without_data" and rounds and \
                add_months(workdays.china_date(rounds[0]["issued"]["time"]), adjust) <= day:
            out.append({"kind": "duty_adjustment", "subject": f["subject"], **why})
        elif f["kind"] == "sharing_overdue" and len(rounds) >= criticism:
            out.append({"kind": "public_criticism", "subject": f["subject"], **why})
    failures = _quality_failures(reader, projects)
    if failures >= param(reader, QUALITY_FAILURES.qualified):
        out.append({"kind": "projects_restricted", "subject": uscc, "finding": "catalog_quality_low",
                    "finding_subject": "catalog", "rounds": failures, "orders": []})
    for p in out:
        p["title"] = PENALTY_TITLES[p["kind"]]
    return out


def _quality_failures(reader: Any, projects: list[str]) -> int:
    """Technical reviews not passed (000:第十三条: the 申报 catalog breaks 第七至十条) and acceptances refused
    for catalog quality (更新 or 不符) of the department's projects, consecutively up to now, across its
    projects in the order they were decided: a review passed, or an acceptance passed or refused for
    another reason, ends the run."""
    decisions = []
    for project_id in projects:
        for key in (review_key(project_id), acceptance_key(project_id)):
            decisions += [v.value for v in reader.history(key, limit=1000) if v.value]
    run = 0
    for decision in sorted(decisions, key=lambda d: (d["height"], d["project_id"], "failed" in d)):
        failed = set(decision["failed"]) & {"update", "inherit"} if "failed" in decision else decision["articles"]
        run = run + 1 if decision["outcome"] == "refused" and failed else 0
    return run


def departments(reader: Any) -> list[str]:
    """Every department and district, by code."""
    return sorted({*(reader.get(role_key("department")) or ()), *(reader.get(role_key("district")) or ())})


def refused_in(blocks: Iterable[Any], start: datetime.date, end: datetime.date) -> dict[str, int]:
    """Catalog submissions refused in the period, per department, from the period's blocks."""
    counts: dict[str, int] = {}
    for block in blocks:
        if not start <= workdays.china_date(block.header.time) <= end:
            continue
        for tx, result in zip(block.txs, block.results):
            if result.status == "refused" and (tx.contract, tx.method) == ("catalog", "publish"):
                counts[tx.sender] = counts.get(tx.sender, 0) + 1
    return counts


def compute(reader: Any, *, chain_id: str, period: str, height: int, as_of: int,
            refused: dict[str, int]) -> dict[str, Any]:
    """The assessment of ``period`` from ``reader`` (the state at block ``height``, whose time is ``as_of``)."""
    rows = []
    for uscc in departments(reader):
        row = _department(reader, uscc, as_of, refused.get(uscc, 0))
        member = reader.get(member_key(uscc))
        rows.append({**row, "name": member["name"] if member else ""})
    rows.sort(key=lambda r: (-r["quality"]["score"], len(r["findings"]), r["uscc"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    start, end = period_bounds(period)
    return {"format": FORMAT, "chain_id": chain_id, "period": period, "from": start.isoformat(),
            "to": end.isoformat(), "height": height, "as_of": as_of,
            "as_of_date": workdays.china_date(as_of).isoformat(), "departments": rows,
            "totals": {"departments": len(rows), "findings": sum(len(r["findings"]) for r in rows),
                       "penalties": sum(len(r["penalties"]) for r in rows)}}


def figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``assessment.record`` anchors of a report besides its digest: each department's rank, score and
    counts of findings and penalties."""
    return [{"uscc": r["uscc"], "rank": r["rank"], "score": r["quality"]["score"], "findings": len(r["findings"]),
             "penalties": len(r["penalties"])} for r in report["departments"]]


def digest(profile: Any, report: dict[str, Any]) -> bytes:
    """The report's digest: the chain's hash of its canonical encoding."""
    return profile.hash(encode(report))
