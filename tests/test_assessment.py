"""绩效考核 (000:第十九至二十四条): the half-year assessment from the chain alone, anchored, re-computed.

A chain on a scripted clock of one day per block: departments with systems
off the cloud and credentials not escrowed, catalogs of uneven quality, duty
items without data. The report names each finding with its article and the
transaction that shows it; two computations at one height are byte-identical,
and one re-computed from an export equals the anchored digest. Rectification
orders count rounds: each penalty at its threshold and one short of it, and a
lifted order restores standing.
"""

from __future__ import annotations

import datetime
import io

import pytest
from fastapi.testclient import TestClient

from contracts.assessment import report as assessment
from contracts.assessment.keys import report_key
from node.api import create_app
from node.assessment import assess, verify_archive
from node.samples import by_short
from tests.test_catalog import EDU, HEALTH, MARKET, entry
from tests.test_duty import BIANBAN, decision, item_args
from tests.test_project_acceptance import system_args
from tests.test_projects import JINGXIN, PID, building, line, start

OFFICE = by_short("市政府办公厅").uscc
PERIOD = "2026H1"


def kinds(found: dict, uscc: str) -> list[tuple[str, str]]:
    row = next(r for r in found["report"]["departments"] if r["uscc"] == uscc)
    return [(f["kind"], f["subject"]) for f in row["findings"]]


def penalties(found: dict, uscc: str) -> list[tuple[str, str]]:
    row = next(r for r in found["report"]["departments"] if r["uscc"] == uscc)
    return [(p["kind"], p["subject"]) for p in row["penalties"]]


def record(net, found: dict, period: str = PERIOD):
    return net.ok(JINGXIN, "record", {"period": period, "height": found["report"]["height"],
                                      "digest": found["digest"], "figures": found["figures"]}, "assessment")


def order(net, order_id: str, department: str, findings: list[tuple[str, str]], period: str = PERIOD):
    return net.ok(OFFICE, "order", {"order_id": order_id, "department": department, "period": period,
                                    "findings": [{"kind": k, "subject": s} for k, s in findings],
                                    "text": "限期整改"}, "assessment")


@pytest.fixture
def net(tmp_path):
    n = start(tmp_path)
    n.ok(EDU, "publish", entry(), "catalog")
    n.ok(EDU, "register", {**system_args("other"), "project": ""}, "system")
    yield n
    n.ledger.close()


def test_findings_with_their_articles_and_transactions(net):
    """EDU: a system off the cloud, its credential not escrowed; the departments without a catalog score 0
    and their quality is too low; the ranking puts the better catalog first."""
    found = assess(net.ledger, PERIOD)
    assert kinds(found, EDU) == [("credential_not_anchored", "edu-portal"), ("not_on_cloud", "edu-portal")]
    row = next(r for r in found["report"]["departments"] if r["uscc"] == EDU)
    assert row["rank"] == 1 and row["findings"][1]["article"] == "000:第二十一条(一)"
    assert row["findings"][0]["tx_id"] == net.ledger.state.get("system/info/edu-portal")["tx_id"].hex()
    assert row["quality"] == {"entries": 1, "complete": 1, "mapped": 1, "fresh": 1, "refused": 0, "score": 100}
    assert kinds(found, HEALTH) == [("catalog_quality_low", "catalog")]
    assert [f["rank"] for f in found["figures"]] == list(range(1, len(found["figures"]) + 1))


def test_catalog_quality_counts_metadata_mapping_freshness_and_refusals(net):
    """A second entry without a share method, mapped only by a note; the first, updated daily, three days
    old (stale: fresh is within twice the cycle); one refused submission: 40·1/2 + 30·1/2 + 30·1/2 − 1 = 49."""
    net.ok(JINGXIN, "approve_note", {"department": EDU, "note_id": "n1", "text": "无对应职责"}, "catalog")
    net.ok(EDU, "publish", entry("301001/000002", duty_items=[], note_id="n1", share_method=""), "catalog")
    net.refused(EDU, "publish", entry("301001/000003", share_type="not_shared", share_condition=""),
                "CATALOG_SHARE_BASIS_MISSING", "catalog")
    row = next(r for r in assess(net.ledger, PERIOD)["report"]["departments"] if r["uscc"] == EDU)
    assert row["quality"] == {"entries": 2, "complete": 1, "mapped": 1, "fresh": 1, "refused": 1, "score": 49}


def test_two_computations_at_one_height_are_byte_identical_and_an_export_recomputes_the_anchored_one(net):
    first, second = assess(net.ledger, PERIOD), assess(net.ledger, PERIOD)
    assert assessment.digest(net.profile, first["report"]) == first["digest"] == second["digest"]
    record(net, first)
    anchored = net.ledger.state.get(report_key(PERIOD))
    assert (anchored["height"], anchored["digest"]) == (first["report"]["height"], first["digest"])
    net.step()
    out = io.BytesIO()
    net.ledger.export(out)
    checked = verify_archive(net.genesis, out.getvalue(), PERIOD)
    assert checked["match"] and checked["figures_match"] and checked["computed_digest"] == first["digest"].hex()


def test_a_wrong_digest_is_caught_offline(net):
    found = assess(net.ledger, PERIOD)
    record(net, {**found, "digest": bytes(32)})
    out = io.BytesIO()
    net.ledger.export(out)
    checked = verify_archive(net.genesis, out.getvalue(), PERIOD)
    assert not checked["match"] and checked["anchored_digest"] == "00" * 32


def test_recording_rules(net):
    found = assess(net.ledger, PERIOD)
    args = {"period": PERIOD, "height": net.ledger.tip.height + 1, "digest": found["digest"],
            "figures": found["figures"]}
    net.refused(JINGXIN, "record", args, "ASSESSMENT_HEIGHT_UNCOMMITTED", "assessment")
    bad = [{**f, "rank": 1} for f in found["figures"]]
    net.refused(JINGXIN, "record", {**args, "height": found["report"]["height"], "figures": bad},
                "ASSESSMENT_FIGURES_INVALID", "assessment")


def test_orders_answers_and_lifting(net):
    findings = [("not_on_cloud", "edu-portal")]
    net.refused(OFFICE, "order", {"order_id": "o1", "department": EDU, "period": PERIOD,
                                  "findings": [{"kind": "not_on_cloud", "subject": "x"}], "text": "x"},
                "ASSESSMENT_UNKNOWN", "assessment")
    record(net, assess(net.ledger, PERIOD))
    net.refused(OFFICE, "order", {"order_id": "o1", "department": JINGXIN, "period": PERIOD,
                                  "findings": [{"kind": "not_on_cloud", "subject": "x"}], "text": "x"},
                "ORDER_DEPARTMENT_UNKNOWN", "assessment")
    order(net, "o1", EDU, findings)
    net.refused(OFFICE, "order", {"order_id": "o1", "department": EDU, "period": PERIOD,
                                  "findings": [{"kind": "not_on_cloud", "subject": "x"}], "text": "x"},
                "ORDER_EXISTS", "assessment")
    net.refused(HEALTH, "answer", {"order_id": "o1", "text": "x"}, "ORDER_NOT_YOURS", "assessment")
    net.refused(EDU, "answer", {"order_id": "o9", "text": "x"}, "ORDER_UNKNOWN", "assessment")
    net.ok(EDU, "answer", {"order_id": "o1", "text": "已申请入云"}, "assessment")
    net.ok(OFFICE, "lift", {"order_id": "o1", "text": "已整改"}, "assessment")
    net.refused(OFFICE, "lift", {"order_id": "o1", "text": "again"}, "ORDER_LIFTED", "assessment")
    client = TestClient(create_app(net.node))
    listed = client.get("/v1/assessment/orders", params={"department": EDU}).json()["orders"]
    assert [(o["order_id"], o["answer"]["text"], o["lifted"]["text"]) for o in listed] == [("o1", "已申请入云", "已整改")]
    assert client.get(f"/v1/assessment/results/{PERIOD}").json()["period"] == PERIOD


def test_a_system_is_a_zombie_after_two_failed_rounds_and_a_lifted_order_restores_it(net):
    """000:第二十二条(一): ordered once and still off the cloud: no penalty; ordered twice: 僵尸系统; one
    of the two orders lifted: one round again, no penalty (000:第二十三条)."""
    record(net, assess(net.ledger, PERIOD))
    order(net, "o1", EDU, [("not_on_cloud", "edu-portal")])
    assert penalties(assess(net.ledger, PERIOD), EDU) == []
    order(net, "o2", EDU, [("not_on_cloud", "edu-portal"), ("credential_not_anchored", "edu-portal")])
    found = assess(net.ledger, PERIOD)
    assert penalties(found, EDU) == [("zombie_system", "edu-portal")]
    row = next(r for r in found["report"]["departments"] if r["uscc"] == EDU)
    assert [(o["order_id"], [f["cleared"] for f in o["findings"]]) for o in row["rectification"]] == \
        [("o1", [False]), ("o2", [False, False])]
    net.ok(OFFICE, "lift", {"order_id": "o1", "text": "已整改"}, "assessment")
    assert penalties(assess(net.ledger, PERIOD), EDU) == []
    net.ok(EDU, "register", {**system_args("gov_cloud"), "project": ""}, "system")  # moved to the 政务云
    row = next(r for r in assess(net.ledger, PERIOD)["report"]["departments"] if r["uscc"] == EDU)
    assert [[(f["kind"], f["cleared"]) for f in o["findings"]] for o in row["rectification"]] == \
        [[("credential_not_anchored", False), ("not_on_cloud", True)]], "the next assessment shows what cleared"


def test_three_acceptances_refused_for_catalog_quality_restrict_next_years_projects(net):
    """000:第二十二条(二): two refusals for 不符: no penalty; the third: projects restricted."""
    building(net)
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [line(items=("学生姓名",))]},
           "project")
    net.doc(JINGXIN, "acceptance-1")
    for _ in range(3):
        assert penalties(assess(net.ledger, PERIOD), EDU) == []
        net.ok(JINGXIN, "accept", {"project_id": PID, "doc_id": "acceptance-1"}, "project")
    assert ("projects_restricted", EDU) in penalties(assess(net.ledger, PERIOD), EDU)


def test_duty_items_without_data_for_a_year(tmp_path):
    """000:第二十一条(五): MARKET's approved duty item served by no entry is a finding once 12 months have
    passed since its approval, not a day before; ordered and still without data 12 months later: its duty is
    for adjustment (000:第二十二条(三))."""
    net = start(tmp_path, day=datetime.date(2025, 1, 6))
    net.step(net.tx(MARKET, "duty", "propose", item_args()))
    net.step(net.tx(BIANBAN, "duty", "approve", decision(department=MARKET)))
    approved = net.day()
    while net.day() < approved.replace(year=approved.year + 1) - datetime.timedelta(days=1):
        net.step()
    assert ("duty_without_data", "D01-01") not in kinds(assess(net.ledger, "2025H2"), MARKET)
    net.step()
    assert ("duty_without_data", "D01-01") in kinds(assess(net.ledger, "2025H2"), MARKET)
    record(net, assess(net.ledger, "2025H2"), "2025H2")
    order(net, "d1", MARKET, [("duty_without_data", "D01-01")], "2025H2")
    assert ("duty_adjustment", "D01-01") not in penalties(assess(net.ledger, "2026H1"), MARKET)
    ordered = net.day()
    while net.day() < ordered.replace(year=ordered.year + 1):
        net.step()
    assert ("duty_adjustment", "D01-01") in penalties(assess(net.ledger, "2026H1"), MARKET)
    net.ledger.close()


def test_sharing_answers_left_overdue_twice_ordered_bring_public_criticism(tmp_path):
    """000:第二十一条(六), 第二十二条(四): the provider's request and dispute unanswered past 10 working days
    (002:第十七条, 004:第十四条) are findings; ordered once and still unanswered: nothing more; twice:
    通报批评."""
    from tests import test_sharing

    net = test_sharing.start(tmp_path, datetime.date(2025, 9, 22))
    named = test_sharing.overdue_scenario(net)
    net.step()
    found = assess(net.ledger, "2025H2")
    late = [("sharing_overdue", f"dispute:{named['edu_dispute']}"), ("sharing_overdue", f"request:{named['edu_request']}")]
    assert kinds(found, HEALTH) == late
    record(net, found, "2025H2")
    order(net, "s1", HEALTH, late, "2025H2")
    assert penalties(assess(net.ledger, "2025H2"), HEALTH) == []
    order(net, "s2", HEALTH, late[:1], "2025H2")
    assert penalties(assess(net.ledger, "2025H2"), HEALTH) == [("public_criticism", late[0][1])]
    net.ledger.close()


def test_commands_run_record_report_and_verify(served, monkeypatch, tmp_path):
    """`mulu assess run --record` prints the ranking and anchors it; `mulu assess report` writes the xlsx
    (ranking, findings, evidence; Chinese headers, frozen header rows), csv and json; `mulu assess verify`
    re-computes the anchored report from the node's export and finds the same digest."""
    from openpyxl import load_workbook

    from cli import main
    from cli.client import Client, Member
    from tests.test_systems import mulu, signing

    monkeypatch.setattr(main.console, "_width", 240)
    home, url = served
    client = Client(url)
    edu = Member(client, home.member_key(EDU), EDU)
    assert edu.call("system", "register", {**system_args("other"), "project": ""})["status"] == "committed"
    signed = signing(home, url)
    ran = mulu("assess", "run", "--period", PERIOD, "--record", *signed(JINGXIN))
    assert "应入云而未入云" in ran and "committed" in ran
    xlsx = tmp_path / "考核.xlsx"
    mulu("assess", "report", "--period", PERIOD, "--format", "xlsx", "--out", xlsx, "--node", url)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["排名", "问题", "证据"]
    assert book["排名"]["A1"].value == "名次" and book["排名"].freeze_panes == "A2"
    assert any(row[2] == "应入云而未入云" for row in book["问题"].iter_rows(values_only=True))
    mulu("assess", "report", "--period", PERIOD, "--format", "csv", "--out", tmp_path / "考核.csv", "--node", url)
    assert (tmp_path / "考核-ranking.csv").read_text(encoding="utf-8-sig").startswith("名次")
    mulu("assess", "report", "--period", PERIOD, "--format", "json", "--out", tmp_path / "考核.json", "--node", url)
    archive = tmp_path / "chain.mulu"
    archive.write_bytes(client.export())
    verified = mulu("assess", "verify", "--period", PERIOD, "--archive", archive, "--genesis",
                    home.genesis_file)
    assert '"match": true' in verified
    assert "PERIOD_INVALID" in mulu("assess", "run", "--period", "2026Q3", "--node", url, code=1)
    mulu("assess", "order", "o1", "--department", EDU, "--period", PERIOD, "--finding", "not_on_cloud:edu-portal",
         "--text", "限期整改", *signed(OFFICE))
    assert "FINDING_INVALID" in mulu("assess", "order", "o2", "--department", EDU, "--period", PERIOD,
                                     "--finding", "not_on_cloud", "--text", "x", *signed(OFFICE), code=1)
    mulu("assess", "answer", "o1", "--text", "已申请入云", *signed(EDU))
    mulu("assess", "lift", "o1", "--text", "已整改", *signed(OFFICE))
    listed = mulu("assess", "orders", EDU, "--node", url)
    assert "已申请入云" in listed and "已整改" in listed
