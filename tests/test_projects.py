"""项目库: a project's lifecycle (001:第六条), its review opinion, changes, reports and data catalogs.

A chain on a scripted clock of one day per block plays the months out. Each
transition is made only by the role 001:第六条 names, from the right state,
citing an anchored document; each threshold — the one-year opinion and its
six-month extension (001:第十五条), the 15% change filing (001:第十六条) — is
tried at its value and one past it. The 申报 catalog locks when the opinion is
granted (000:第十一条), and 不符 (000:第十六条) is checked against a plain
reference over generated catalogs.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import catalog, project
from contracts.project import catalogs, keys
from contracts.project import queries as project_queries
from node.samples import by_short
from tests.test_catalog import EDU, HEALTH, entry
from tests.test_catalog_deadline import DAY, DailyNet
from tests.test_duty import BIANBAN, decision, item_args

JINGXIN = by_short("经信局").uscc
FINANCE = by_short("市财政局").uscc
PID = "2026-110000-65-01-000123"


class ProjectNet(DailyNet):
    """A DailyNet that calls contracts one block (one day) at a time and anchors documents."""

    CONTRACT = "project"
    """The contract called when a call names none."""
    RECORDS = ("project/", "idx/project/", "catalog/")
    """The prefixes of the records a refused call must leave as they were."""

    def call(self, sender: str, method: str, args: dict, contract: str = ""):
        [tx_id] = self.submit(self.tx(sender, contract or self.CONTRACT, method, args))
        self.blocks()
        return self.result(tx_id)

    def ok(self, sender: str, method: str, args: dict, contract: str = ""):
        result = self.call(sender, method, args, contract)
        assert result.ok, result
        return result

    def refused(self, sender: str, method: str, args: dict, code: str, contract: str = ""):
        before = self.records()
        result = self.call(sender, method, args, contract)
        assert (result.status, result.code) == ("refused", code), result
        assert self.records() == before, "a refused call changes no record"
        return result

    def records(self) -> list:
        """Every record under :data:`RECORDS` (the contract's, its indexes', the catalog's)."""
        state = self.ledger.state
        return [list(state.keys(prefix, limit=100_000)) for prefix in self.RECORDS]

    def doc(self, sender: str, doc_id: str) -> str:
        self.ok(sender, "put", {"doc_id": doc_id, "title": doc_id, "kind": "other",
                                "digest": bytes(32 - len(doc_id.encode()[:32])) + doc_id.encode()[:32]}, "anchor")
        return doc_id

    def state(self) -> str:
        return self.ledger.state.get(keys.project_key(PID))["state"]


def line(line_id="L1", items=("学生姓名", "学籍号"), **extra) -> dict:
    return {"line_id": line_id, "name": f"数据 {line_id}", "resource_code": "301001/000001",
            "data_items": [{"name": n, "data_type": "C", "length": "32"} for n in items],
            "update_cycle": "daily", "share_type": "conditional", "open_to_public": False,
            "duty_items": ["D01-01"], "source": "new", **extra}


def start(tmp_path, day=datetime.date(2026, 1, 5), **params) -> ProjectNet:
    net = ProjectNet(tmp_path / "h", day)
    if params:  # contract parameters of the project contract
        net.ledger.close()
        net = _with_params(tmp_path, day, params)
    net.step(net.tx(EDU, "duty", "propose", item_args()))
    net.step(net.tx(BIANBAN, "duty", "approve", decision()))
    return net


def _with_params(tmp_path, day, params) -> ProjectNet:
    from node.home import init_home

    net = ProjectNet.__new__(ProjectNet)
    ms = int(datetime.datetime(day.year, day.month, day.day, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    net.home = init_home(tmp_path / "p", chain_id="mulu-project-test", genesis_time=ms - DAY, clock_step_ms=DAY,
                         contract_params={f"project.{k}": v for k, v in params.items()})
    net._open()
    return net


def registered(net: ProjectNet, lines=None) -> None:
    net.doc(EDU, "apply-1")
    net.ok(EDU, "register", {"project_id": PID, "name": "智慧教育平台", "investment": 10_000_000,
                             "summary": "建设全市统一的智慧教育平台", "doc_id": "apply-1"})
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "declared", "lines": lines or [line()]})


def reviewed(net: ProjectNet, lines=None) -> None:
    registered(net, lines)
    net.doc(JINGXIN, "accept-1")
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"})
    net.doc(JINGXIN, "opinion-1")
    net.ok(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "opinion-1"})


def building(net: ProjectNet, lines=None) -> None:
    reviewed(net, lines)
    net.doc(FINANCE, "invest-1")
    net.ok(FINANCE, "approve_investment", {"project_id": PID, "investment": 9_000_000, "construction_months": 12,
                                           "doc_id": "invest-1"})
    net.doc(EDU, "contract-1")
    net.ok(EDU, "start_construction", {"project_id": PID, "doc_id": "contract-1"})


@pytest.fixture
def net(tmp_path):
    n = start(tmp_path)
    yield n
    n.ledger.close()


# --- the lifecycle -----------------------------------------------------------------------------------


def test_a_project_walks_from_reserve_to_construction_with_its_documents(net):
    """储备 → 在审 → 待建 → 在建, each by the role 001:第六条 names, each version citing its anchored document;
    the history lists every transition in order."""
    net.refused(EDU, "register", {"project_id": PID, "name": "x", "investment": 1, "summary": "x",
                                  "doc_id": "apply-1"}, "PROJECT_DOC_UNKNOWN")
    net.doc(EDU, "apply-1")
    net.ok(EDU, "register", {"project_id": PID, "name": "智慧教育平台", "investment": 10_000_000,
                             "summary": "建设全市统一的智慧教育平台", "doc_id": "apply-1"})
    assert net.state() == "reserve"
    net.refused(EDU, "register", {"project_id": PID, "name": "x", "investment": 1, "summary": "x",
                                  "doc_id": "apply-1"}, "PROJECT_EXISTS")
    net.doc(JINGXIN, "accept-1")
    refused = net.refused(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"},
                          "PROJECT_CATALOG_MISSING")
    assert refused.article == "000:第八条"
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "declared", "lines": [line()]})
    wrong = net.refused(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "accept-1"}, "PROJECT_STATE")
    assert (wrong.article, wrong.field) == ("001:第六条", "project_id")
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"})
    net.doc(FINANCE, "invest-1")
    net.refused(FINANCE, "approve_investment", {"project_id": PID, "investment": 9_000_000,
                                                "construction_months": 12, "doc_id": "invest-1"},
                "PROJECT_OPINION_MISSING")
    net.doc(JINGXIN, "opinion-1")
    net.ok(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "opinion-1"})
    net.refused(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "opinion-1"}, "PROJECT_OPINION_EXISTS")
    net.ok(FINANCE, "approve_investment", {"project_id": PID, "investment": 9_000_000, "construction_months": 12,
                                           "doc_id": "invest-1"})
    net.doc(HEALTH, "contract-x")
    net.refused(HEALTH, "start_construction", {"project_id": PID, "doc_id": "contract-x"}, "PROJECT_NOT_OWNER")
    net.doc(EDU, "contract-1")
    net.ok(EDU, "start_construction", {"project_id": PID, "doc_id": "contract-1"})
    record = net.ledger.state.get(keys.project_key(PID))
    assert (record["state"], record["approved_investment"], record["construction_months"]) == \
        ("in_construction", 9_000_000, 12)
    assert record["doc"]["doc_id"] == "contract-1" and record["doc"]["issuer"] == EDU
    history = project_queries.history(net.ledger.state, project_id=PID)["versions"]
    assert [(v["state"], v["transition"], v["signer"]) for v in history] == [
        ("reserve", "register", EDU), ("in_review", "accept_for_review", JINGXIN),
        ("approved", "approve_investment", FINANCE), ("in_construction", "start_construction", EDU)]
    listed = project_queries.projects(net.ledger.state, department=EDU)["projects"]
    assert [p["project_id"] for p in listed] == [PID]
    assert project_queries.projects(net.ledger.state, state="in_construction")["projects"][0]["project_id"] == PID
    assert project_queries.projects(net.ledger.state, state="reserve")["projects"] == []


def refuse(net, doc_id: str = "review-no", articles=("000:第九条",)):
    """经信局 does not pass the project's review, citing ``articles`` (000:第十三条)."""
    net.doc(JINGXIN, doc_id)
    return net.ok(JINGXIN, "refuse_review", {"project_id": PID, "doc_id": doc_id, "articles": list(articles),
                                             "reason": "申报项目数据目录未关联职责，经通知未修改完善"})


def test_a_review_not_passed_returns_the_project_to_reserve_to_be_revised(net):
    """000:第十三条: 经信局 does not pass the review of a project whose 申报 catalog breaks 第七至十条 and was not
    revised as notified: 在审 → 储备, the decision kept with its articles and document; the department revises
    its catalog and the project is reviewed again; once the opinion is granted the review is decided."""
    registered(net)
    net.doc(JINGXIN, "accept-1")
    net.doc(JINGXIN, "review-no")
    args = {"project_id": PID, "doc_id": "review-no", "articles": ["000:第九条"], "reason": "未关联职责"}
    net.refused(JINGXIN, "refuse_review", args, "PROJECT_STATE")  # 储备: not in review
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"})
    net.refused(JINGXIN, "refuse_review", {**args, "doc_id": "no-such-doc"}, "PROJECT_DOC_UNKNOWN")
    result = refuse(net, "review-no-2", ("000:第十条", "000:第九条", "000:第十条"))
    assert net.state() == "reserve"
    [event] = [e for e in result.events if e[0] == "project_review_refused"]
    assert event[1]["articles"] == ["000:第九条", "000:第十条"] and event[1]["article"] == "000:第十三条"
    decision = net.ledger.state.get(keys.review_key(PID))
    assert (decision["outcome"], decision["articles"], decision["doc"]["doc_id"], decision["signer"]) == (
        "refused", ["000:第九条", "000:第十条"], "review-no-2", JINGXIN)
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "declared", "lines": [line(line_id="L2")]})  # revised
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"})
    net.doc(JINGXIN, "opinion-1")
    net.ok(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "opinion-1"})
    shown = project_queries.project(net.ledger.state, project_id=PID)
    assert (shown["review"]["outcome"], shown["review"]["doc"]["doc_id"]) == ("passed", "opinion-1")
    decided = net.refused(JINGXIN, "refuse_review", args, "PROJECT_REVIEW_DECIDED")
    assert decided.article == "000:第十三条"
    history = project_queries.history(net.ledger.state, project_id=PID)["versions"]
    assert [(v["state"], v["transition"]) for v in history] == [
        ("reserve", "register"), ("in_review", "accept_for_review"), ("reserve", "refuse_review"),
        ("in_review", "accept_for_review")]


def test_roles_are_checked_at_the_door(net):
    """Only 经信局 accepts a review and only 财政/发改 approve investment: others are refused before a block."""
    registered(net)
    for sender, method in ((EDU, "accept_for_review"), (JINGXIN, "approve_investment"), (EDU, "confirm_ownership"),
                           (EDU, "refuse_review")):
        error = net.refused_at_door(net.tx(sender, "project", method, {"project_id": PID, "doc_id": "x"},
                                           nonce=net.nonces[sender] + 1).to_bytes())
        assert error.code == "TX_NOT_AUTHORIZED", (method, error)


def test_terminate_from_any_state_by_its_department_or_the_review_authority(net):
    """终止 is reachable from any state, by the department or 经信局; not twice, not by another department."""
    net.refused(EDU, "terminate", {"project_id": PID, "reason": "x", "doc_id": "x"}, "PROJECT_UNKNOWN")
    registered(net)
    net.doc(HEALTH, "stop-h")
    net.refused(HEALTH, "terminate", {"project_id": PID, "reason": "停止", "doc_id": "stop-h"}, "PROJECT_NOT_OWNER")
    net.doc(JINGXIN, "stop-1")
    net.ok(JINGXIN, "terminate", {"project_id": PID, "reason": "项目停止实施", "doc_id": "stop-1"})
    assert net.state() == "terminated"
    net.refused(JINGXIN, "terminate", {"project_id": PID, "reason": "again", "doc_id": "stop-1"}, "PROJECT_STATE")


# --- the review opinion: one year, one extension of at most six months (001:第十五条) -------------------------


def test_the_opinion_is_valid_one_year_and_not_a_day_more(tmp_path):
    """Granted on 2026-01-?? it is valid through the same day a year later; investment approved on that day
    passes, the day after is PROJECT_OPINION_EXPIRED."""
    for late in (False, True):
        net = start(tmp_path / str(late))
        reviewed(net)
        opinion = net.ledger.state.get(keys.opinion_key(PID))
        until = datetime.date.fromisoformat(opinion["valid_until"])
        assert until == project.add_months(datetime.date.fromisoformat(opinion["granted"]), 12)
        net.doc(FINANCE, "invest-1")
        while net.day() < until - datetime.timedelta(days=0 if late else 1):
            net.step()
        args = {"project_id": PID, "investment": 1, "construction_months": 6, "doc_id": "invest-1"}
        if late:
            assert net.day() == until
            refused = net.refused(FINANCE, "approve_investment", args, "PROJECT_OPINION_EXPIRED")
            assert refused.article == "001:第十五条"
        else:
            net.ok(FINANCE, "approve_investment", args)
            assert net.ledger.state.get(keys.project_key(PID))["since"]["time"] == net.ledger.tip.time
            assert net.day() == until
        net.ledger.close()


def test_one_extension_of_at_most_six_months_while_unchanged(net):
    """7 months is too long, 6 extends the validity by six months, a second extension is refused; a
    project whose content changed since the opinion is not extended."""
    reviewed(net)
    net.doc(JINGXIN, "ext-1")
    opinion = net.ledger.state.get(keys.opinion_key(PID))
    refused = net.refused(JINGXIN, "extend_opinion", {"project_id": PID, "months": 7, "doc_id": "ext-1"},
                          "PROJECT_EXTENSION_TOO_LONG")
    assert (refused.article, refused.field) == ("001:第十五条", "months")
    net.ok(JINGXIN, "extend_opinion", {"project_id": PID, "months": 6, "doc_id": "ext-1"})
    extended = net.ledger.state.get(keys.opinion_key(PID))
    assert extended["valid_until"] == project.add_months(datetime.date.fromisoformat(opinion["valid_until"]),
                                                         6).isoformat()
    net.refused(JINGXIN, "extend_opinion", {"project_id": PID, "months": 1, "doc_id": "ext-1"},
                "PROJECT_EXTENSION_USED")


def test_a_changed_project_is_not_extended(net):
    reviewed(net)
    net.doc(EDU, "chg-1")
    net.ok(EDU, "request_change", change_args("c1", 500))
    net.doc(JINGXIN, "ext-1")
    net.refused(JINGXIN, "extend_opinion", {"project_id": PID, "months": 6, "doc_id": "ext-1"},
                "PROJECT_EXTENSION_CHANGED")


def test_extension_needs_an_opinion(net):
    registered(net)
    net.doc(JINGXIN, "accept-1")
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"})
    net.refused(JINGXIN, "extend_opinion", {"project_id": PID, "months": 6, "doc_id": "accept-1"},
                "PROJECT_OPINION_MISSING")


def test_add_months_clamps_to_the_month_end():
    assert project.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert project.add_months(datetime.date(2026, 8, 31), 6) == datetime.date(2027, 2, 28)
    assert project.add_months(datetime.date(2027, 12, 15), 12) == datetime.date(2028, 12, 15)
    assert project.add_months(datetime.date(2028, 2, 29), 12) == datetime.date(2029, 2, 28)


# --- changes of main content (001:第十六条) ---------------------------------------------------------------


def change_args(change_id, ratio, investment=9_000_000, reason="technical", goal=True):
    return {"project_id": PID, "change_id": change_id, "description": "调整建设内容", "reason_kind": reason,
            "ratio_basis_points": ratio, "investment": investment, "goal_unchanged": goal, "doc_id": "chg-1"}


def test_a_change_of_at_most_15_percent_is_a_filing_and_more_needs_approval(net):
    """1500 basis points within the approved investment, goal unchanged, a listed reason: filed. 1501,
    more money, a changed goal or an unlisted reason: pending, each reason named; 经信局 decides once."""
    building(net)
    net.doc(EDU, "chg-1")
    net.ok(EDU, "request_change", change_args("c1", 1500))
    assert net.ledger.state.get(keys.change_key(PID, "c1"))["status"] == "filed"
    net.refused(EDU, "request_change", change_args("c1", 100), "PROJECT_CHANGE_EXISTS")
    cases = {"c2": (change_args("c2", 1501), ["ratio_over_limit"]),
             "c3": (change_args("c3", 100, investment=9_000_001), ["investment_over_approval"]),
             "c4": (change_args("c4", 100, goal=False), ["goal_changed"]),
             "c5": (change_args("c5", 100, reason="other"), ["reason_not_listed"])}
    for change_id, (args, why) in cases.items():
        net.ok(EDU, "request_change", args)
        recorded = net.ledger.state.get(keys.change_key(PID, change_id))
        assert (recorded["status"], recorded["needs_approval"]) == ("pending", why)
    assert net.ledger.state.get(keys.project_key(PID))["changes"] == 1
    net.doc(JINGXIN, "decide-1")
    net.refused(JINGXIN, "decide_change", {"project_id": PID, "change_id": "c9", "approve": True,
                                           "doc_id": "decide-1"}, "PROJECT_CHANGE_UNKNOWN")
    net.ok(JINGXIN, "decide_change", {"project_id": PID, "change_id": "c3", "approve": True, "doc_id": "decide-1"})
    record = net.ledger.state.get(keys.project_key(PID))
    assert (record["investment"], record["changes"]) == (9_000_001, 2)
    net.refused(JINGXIN, "decide_change", {"project_id": PID, "change_id": "c3", "approve": False,
                                           "doc_id": "decide-1"}, "PROJECT_CHANGE_DECIDED")
    net.refused(JINGXIN, "decide_change", {"project_id": PID, "change_id": "c1", "approve": True,
                                           "doc_id": "decide-1"}, "PROJECT_CHANGE_DECIDED")
    listed = project_queries.changes(net.ledger.state, project_id=PID)["changes"]
    assert [(c["change_id"], c["status"]) for c in listed] == [
        ("c1", "filed"), ("c2", "pending"), ("c3", "approved"), ("c4", "pending"), ("c5", "pending")]


# --- quarterly progress reports (001:第六条) ------------------------------------------------------------


def test_quarterly_reports_and_the_overdue_list(net):
    """In construction since 2026-01-xx: 2026Q2 cannot be reported in Q1; Q1 is due within 10 working days
    of 03-31 and listed as overdue after; reporting it clears the list."""
    building(net)
    args = {"project_id": PID, "period": "2026Q2", "progress": "完成需求分析"}
    refused = net.refused(EDU, "report_progress", args, "PROJECT_REPORT_PERIOD")
    assert refused.field == "period"
    net.ok(EDU, "report_progress", {**args, "period": "2026Q1"})
    net.refused(EDU, "report_progress", {**args, "period": "2026Q1"}, "PROJECT_REPORT_EXISTS")
    while net.day() < datetime.date(2026, 7, 20):
        net.step()
    overdue = project_queries.overdue_reports(net.ledger.state, now=net.ledger.tip.time)["projects"]
    assert [(p["project_id"], [q["period"] for q in p["quarters"]]) for p in overdue] == [(PID, ["2026Q2"])]
    deadline = overdue[0]["quarters"][0]["deadline"]
    assert deadline == "2026-07-14", "10 working days after 06-30"
    net.ok(EDU, "report_progress", {**args, "period": "2026Q2"})
    assert project_queries.overdue_reports(net.ledger.state, now=net.ledger.tip.time)["projects"] == []
    assert [r["period"] for r in project_queries.reports(net.ledger.state, project_id=PID)["reports"]] == \
        ["2026Q1", "2026Q2"]


# --- project data catalogs (000:第二、三章) ---------------------------------------------------------------


def test_declared_lines_are_checked_and_single_source_flagged(net):
    """Each line maps to an approved duty item or an approved note (000:第九条); shared data names its
    provider (000:第十条); a newly collected item another department provides is flagged (000:第七条)."""
    net.step(net.tx(HEALTH, "duty", "propose", item_args()))
    net.step(net.tx(BIANBAN, "duty", "approve", decision(department=HEALTH)))
    net.ok(HEALTH, "publish", entry("302001/000001", HEALTH, ("身份证号", "患者姓名", "序号"),
                                    provider="北京市卫生健康委员会"), "catalog")
    net.doc(EDU, "apply-1")
    net.ok(EDU, "register", {"project_id": PID, "name": "智慧教育平台", "investment": 1, "summary": "x",
                             "doc_id": "apply-1"})
    file = {"project_id": PID, "stage": "declared"}
    cases = [
        (line(duty_items=["D09"]), "PROJECT_LINE_DUTY_UNMAPPED", "lines[0].duty_items[0]"),
        (line(duty_items=[]), "PROJECT_LINE_NOTE_REQUIRED", "lines[0].note_id"),
        (line(source="shared"), "PROJECT_LINE_PROVIDER_MISSING", "lines[0].provider"),
        (line(source="shared", provider=EDU), "PROJECT_LINE_PROVIDER_MISSING", "lines[0].provider"),
        (line(provider=HEALTH), "PROJECT_LINE_PROVIDER_UNEXPECTED", "lines[0].provider"),
        (line(items=("学籍号", "学籍号")), "PROJECT_LINE_ITEM_DUPLICATE", "lines[0].data_items"),
    ]
    for bad, code, field in cases:
        assert net.refused(EDU, "file_catalog", {**file, "lines": [bad]}, code).field == field
    net.refused(EDU, "file_catalog", {**file, "lines": [line(), line()]}, "PROJECT_LINE_REPEATED")
    net.refused(EDU, "file_catalog", {**file, "lines": [], "remove": ["L1"]}, "PROJECT_LINE_UNKNOWN")
    net.refused(EDU, "file_catalog", {**file, "lines": []}, "PROJECT_CATALOG_EMPTY_EDIT")
    net.refused(EDU, "file_catalog", {**file, "stage": "pre_acceptance", "lines": [line()]}, "PROJECT_STATE")
    net.ok(EDU, "file_catalog", {**file, "lines": [line(items=("学生姓名", "身份证号码", "序号")),
                                                   line("L2", source="shared", provider=HEALTH,
                                                        items=("身份证号",))]})
    filed = net.ledger.state.get(keys.catalog_key(PID, "declared"))
    assert [entry["line_id"] for entry in filed["lines"]] == ["L1", "L2"]
    # matched through the data-element dictionary: a synonym joins, a generic item (序号) never overlaps
    assert filed["flags"] == [{"line_id": "L1", "item": "身份证号码", "standard": "公民身份号码", "providers": [HEALTH],
                               "article": "000:第七条"}], "data obtained by sharing is not flagged"
    net.ok(EDU, "file_catalog", {**file, "lines": [line(items=("学生姓名",))], "remove": ["L2"]})
    filed = net.ledger.state.get(keys.catalog_key(PID, "declared"))
    assert (filed["version"], filed["flags"], len(filed["lines"])) == (2, [], 1)
    net.refused(HEALTH, "file_catalog", {**file, "lines": [line()]}, "PROJECT_NOT_OWNER")


def test_a_catalog_holds_at_most_its_parameter_of_lines(tmp_path):
    net = start(tmp_path, catalog_max_lines=2)
    registered(net, [line("L1"), line("L2")])
    refused = net.refused(EDU, "file_catalog", {"project_id": PID, "stage": "declared", "lines": [line("L3")]},
                          "PROJECT_CATALOG_TOO_LARGE")
    assert "at most 2 lines" in refused.message
    net.ledger.close()


def test_the_declared_catalog_locks_at_review_and_changes_only_with_approval(net):
    """000:第十一条: after the opinion, filing is PROJECT_CATALOG_LOCKED; a change request approved by
    经信局 makes the next version of the 申报 catalog; a refused one changes nothing."""
    registered(net)
    net.doc(EDU, "why-1")
    change = {"project_id": PID, "change_id": "cc1", "lines": [line("L2")], "reason": "新增数据", "doc_id": "why-1"}
    net.refused(EDU, "request_catalog_change", change, "PROJECT_CATALOG_NOT_LOCKED")
    net.doc(JINGXIN, "accept-1")
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"})
    net.doc(JINGXIN, "opinion-1")
    net.ok(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "opinion-1"})
    locked = net.ledger.state.get(keys.catalog_key(PID, "declared"))
    assert locked["locked"] and locked["version"] == 1
    refused = net.refused(EDU, "file_catalog", {"project_id": PID, "stage": "declared", "lines": [line("L2")]},
                          "PROJECT_CATALOG_LOCKED")
    assert refused.article == "000:第十一条"
    net.ok(EDU, "request_catalog_change", change)
    net.refused(EDU, "request_catalog_change", change, "PROJECT_CATALOG_CHANGE_EXISTS")
    net.ok(EDU, "request_catalog_change", {**change, "change_id": "cc2", "lines": [line("L3")]})
    net.doc(JINGXIN, "d-1")
    decide = {"project_id": PID, "change_id": "cc1", "approve": True, "doc_id": "d-1"}
    net.refused(JINGXIN, "decide_catalog_change", {**decide, "change_id": "nope"}, "PROJECT_CATALOG_CHANGE_UNKNOWN")
    net.ok(JINGXIN, "decide_catalog_change", decide)
    net.ok(JINGXIN, "decide_catalog_change", {**decide, "change_id": "cc2", "approve": False})
    net.refused(JINGXIN, "decide_catalog_change", decide, "PROJECT_CATALOG_CHANGE_DECIDED")
    changed = net.ledger.state.get(keys.catalog_key(PID, "declared"))
    assert ([x["line_id"] for x in changed["lines"]], changed["version"], changed["locked"], changed["change_id"]) \
        == (["L1", "L2"], 2, True, "cc1")
    assert [c["status"] for c in project_queries.catalog_changes(net.ledger.state, project_id=PID)["changes"]] == \
        ["approved", "refused"]


def test_pre_acceptance_lines_name_their_resource_code(net):
    building(net)
    net.refused(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance",
                                      "lines": [{k: v for k, v in line().items() if k != "resource_code"}]},
                "PROJECT_LINE_CODE_MISSING")
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [line()]})


# --- 不符 (000:第十六条) ---------------------------------------------------------------------------------

CYCLES = list(catalog.UPDATE_CYCLES)
SHARES = ["not_shared", "conditional", "unconditional"]


def reference_mismatches(declared, pre):
    """The rule read plainly: for each declared line in id order, what the pre-acceptance line of its id
    lost — the line, any data item, a cycle at least as frequent, a share type at least as wide, openness."""
    out = []
    for d in sorted(declared, key=lambda x: x["line_id"]):
        match = [p for p in pre if p["line_id"] == d["line_id"]]
        if not match:
            out.append(("line_missing", d["line_id"], None))
            continue
        p = match[0]
        for name in sorted(i["name"] for i in d["data_items"]):
            if name not in [i["name"] for i in p["data_items"]]:
                out.append(("item_missing", d["line_id"], name))
        if CYCLES.index(p["update_cycle"]) > CYCLES.index(d["update_cycle"]):
            out.append(("update_cycle_longer", d["line_id"], None))
        if SHARES.index(p["share_type"]) < SHARES.index(d["share_type"]):
            out.append(("share_narrower", d["line_id"], None))
        if d["open_to_public"] and not p["open_to_public"]:
            out.append(("open_narrower", d["line_id"], None))
    return out


NAMES = st.sampled_from(["姓名", "身份证号", "学籍号", "地址", "电话", "成绩", "学校"])


@st.composite
def catalog_lines(draw, ids):
    lines = []
    for line_id in ids:
        items = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
        lines.append(line(line_id, items=items, update_cycle=draw(st.sampled_from(CYCLES)),
                          share_type=draw(st.sampled_from(SHARES)), open_to_public=draw(st.booleans())))
    return lines


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mismatches_equal_a_plain_reference(data):
    ids = ["L1", "L2", "L3", "L4"]
    declared = data.draw(catalog_lines(data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=4))))
    pre = data.draw(catalog_lines(data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=4))))
    found = catalogs.mismatches(declared, pre)
    assert [(m["kind"], m["line_id"], m.get("item")) for m in found] == reference_mismatches(declared, pre)
    assert catalogs.mismatches(declared, declared) == [], "a catalog inherits itself"


def test_refinement_is_not_a_mismatch():
    """More lines, more items, a shorter cycle, wider sharing, newly open: all refinement."""
    declared = [line("L1", items=("姓名",), update_cycle="monthly", share_type="conditional")]
    pre = [line("L1", items=("姓名", "电话"), update_cycle="daily", share_type="unconditional", open_to_public=True),
           line("L2")]
    assert catalogs.mismatches(declared, pre) == []
    weakened = [line("L1", items=("电话",), update_cycle="irregular", share_type="not_shared")]
    assert [m["kind"] for m in catalogs.mismatches(declared, weakened)] == [
        "item_missing", "update_cycle_longer", "share_narrower"]


# --- 确权 (000:第十四条(四)) -----------------------------------------------------------------------------


def test_ownership_is_confirmed_by_bianban_and_committed_by_its_owner(net):
    code = "301001/000001"
    net.refused(BIANBAN, "confirm_ownership", {"resource_code": code}, "PROJECT_RESOURCE_UNKNOWN")
    net.ok(EDU, "publish", entry(), "catalog")
    net.refused(EDU, "commit_sharing", {"resource_code": code}, "PROJECT_OWNERSHIP_UNCONFIRMED")
    net.ok(BIANBAN, "confirm_ownership", {"resource_code": code, "note": "依据三定"})
    net.refused(BIANBAN, "confirm_ownership", {"resource_code": code}, "PROJECT_OWNERSHIP_CONFIRMED")
    net.refused(HEALTH, "commit_sharing", {"resource_code": code}, "PROJECT_RESOURCE_NOT_OWN")
    net.ok(EDU, "commit_sharing", {"resource_code": code})
    record = project_queries.ownership(net.ledger.state, resource_code=code)
    assert (record["owner"], record["commitment"]["share_type"], record["commitment"]["entry_version"]) == \
        (EDU, "conditional", 1)
    net.refused(EDU, "commit_sharing", {"resource_code": code}, "PROJECT_COMMITMENT_EXISTS")
