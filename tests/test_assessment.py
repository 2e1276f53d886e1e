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
import json

import pytest
from fastapi.testclient import TestClient

from chain.encoding import encode

from contracts.assessment import report as assessment
from contracts.assessment.keys import report_key
from contracts.catalog.keys import dept_key as entry_index_key
from contracts.catalog.keys import entry_key
from contracts.project.keys import catalog_key
from node.api import create_app
from node.assessment import assess, verify_archive
from node import assessment as node_assessment
from node.samples import by_short
from tests.test_catalog import EDU, HEALTH, MARKET, entry
from tests.test_duty import BIANBAN, decision, item_args
from tests.test_project_acceptance import CODE, accept, ready, system_args
from tests.test_projects import JINGXIN, PID, building, line, registered, start
from tests.test_projects import refuse as refuse_review

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
    and their quality is too low, and those without an approved duty item have not anchored their 职责目录
    (EDU, with one, has not that finding); the ranking puts the better catalog first."""
    found = assess(net.ledger, PERIOD)
    assert kinds(found, EDU) == [("credential_not_anchored", "edu-portal"), ("not_on_cloud", "edu-portal")]
    row = next(r for r in found["report"]["departments"] if r["uscc"] == EDU)
    assert row["rank"] == 1 and row["findings"][1]["article"] == "000:第二十一条(一)"
    assert row["findings"][0]["tx_id"] == net.ledger.state.get("system/info/edu-portal")["tx_id"].hex()
    assert row["quality"] == {"entries": 1, "complete": 1, "mapped": 1, "fresh": 1, "refused": 0, "score": 100}
    assert kinds(found, HEALTH) == [("catalog_quality_low", "catalog"), ("duty_not_anchored", "duty_catalog")]
    duty_catalog = next(r for r in found["report"]["departments"] if r["uscc"] == HEALTH)["findings"][1]
    assert (duty_catalog["title"], duty_catalog["article"]) == ("应上链而未上链", "000:第二十一条(二)")
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


def test_an_earlier_certified_height_gives_the_bytes_computed_then_and_a_later_one_is_refused(net, monkeypatch):
    """An assessment asked for at a certified height is the same bytes whenever and wherever it is asked:
    at the tip over the state, and once later blocks changed the state, over the node's blocks replayed
    to it (over HTTP too); a height not certified is BLOCK_NOT_CERTIFIED (404), never a 5xx."""
    then = assess(net.ledger, PERIOD)
    height = then["report"]["height"]
    assert encode(assess(net.ledger, PERIOD, height)["report"]) == encode(then["report"])
    net.ok(EDU, "register", {**system_args("gov_cloud"), "project": ""}, "system")  # moved to the 政务云
    now = assess(net.ledger, PERIOD)
    assert now["report"]["height"] > height and now["digest"] != then["digest"]
    again = assess(net.ledger, PERIOD, height)
    assert encode(again["report"]) == encode(then["report"]) and again["digest"] == then["digest"]
    client = TestClient(create_app(net.node))
    got = client.get("/v1/assessment/compute", params={"period": PERIOD, "height": height})
    assert (got.status_code, got.json()["digest"]) == (200, then["digest"].hex())
    ahead = client.get("/v1/assessment/compute", params={"period": PERIOD, "height": net.ledger.certified + 1})
    assert (ahead.status_code, ahead.json()["code"]) == (404, "BLOCK_NOT_CERTIFIED")
    assert client.get("/v1/assessment/compute", params={"period": PERIOD, "height": 0}).status_code < 500
    monkeypatch.setattr(node_assessment, "REPLAY_LIMIT", 1)  # a long chain: replay refused, offline named
    long = client.get("/v1/assessment/compute", params={"period": PERIOD, "height": height})
    assert (long.status_code, long.json()["code"]) == (400, "ASSESSMENT_REPLAY_TOO_LONG")
    assert "mulu assess verify" in long.json()["message"]
    assert assess(net.ledger, PERIOD)["digest"] == now["digest"]  # the last certified needs no replay


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


def chain_findings(found: dict, uscc: str) -> list[tuple[str, str]]:
    """The department's 应上链而未上链 findings (000:第二十一条(二)), whatever their kind."""
    return [k for k in kinds(found, uscc) if k[0] in ("credential_not_anchored", "duty_not_anchored",
                                                      "entry_not_anchored")]


def test_the_duty_catalog_is_anchored_by_one_approved_item_and_not_by_a_proposed_one(tmp_path):
    """000:第十四条(三), 第二十一条(二): MARKET with no duty item has not anchored its 职责目录; one proposed
    is not enough; one approved is; retired, it is not anchored again."""
    from tests.test_projects import ProjectNet

    net = ProjectNet(tmp_path / "h", datetime.date(2026, 1, 5))
    net.step()
    gone = ("duty_not_anchored", "duty_catalog")
    assert gone in kinds(assess(net.ledger, PERIOD), MARKET)
    net.ok(MARKET, "propose", item_args(), "duty")
    assert gone in kinds(assess(net.ledger, PERIOD), MARKET)
    net.ok(BIANBAN, "approve", decision(department=MARKET), "duty")
    assert gone not in kinds(assess(net.ledger, PERIOD), MARKET)
    net.ok(MARKET, "propose", item_args(retire=True, reason="职能划转"), "duty")
    assert gone not in kinds(assess(net.ledger, PERIOD), MARKET), "a retirement proposed is not in force"
    net.ok(BIANBAN, "approve", decision(department=MARKET, version=3), "duty")
    assert gone in kinds(assess(net.ledger, PERIOD), MARKET)
    net.ledger.close()


def in_operation(tmp_path):
    """EDU's project in 运维: accepted with its line citing duty item D01-01 and entry CODE, its system
    edu-portal escrowed; and a second EDU system, edu-oa, of no project, on the 政务云."""
    net = start(tmp_path)
    ready(net)
    accept(net)
    net.doc(EDU, "use-1")
    net.ok(EDU, "apply_commissioning", {"project_id": PID, "doc_id": "use-1"})
    net.doc(JINGXIN, "use-review")
    net.ok(JINGXIN, "commission", {"project_id": PID, "doc_id": "use-review"})
    net.ok(EDU, "register", {**system_args(), "code": "edu-oa", "name": "办公系统", "project": ""}, "system")
    return net


def test_a_duty_item_of_an_accepted_catalog_retired_is_not_anchored_and_its_systems_become_zombies(tmp_path):
    """A project in 运维 whose accepted line cites a duty item with an approved version: nothing to find.
    The item retired: the project's line is 应上链而未上链 (its evidence, the retirement), and so is the
    department's 职责目录 (no approved item left). Ordered once: no penalty; twice (000:第二十二条(一)): the
    project's finding makes the project's system a 僵尸系统, the 职责目录's every system of the department."""
    net = in_operation(tmp_path)
    assert chain_findings(assess(net.ledger, PERIOD), EDU) == [("credential_not_anchored", "edu-oa")]
    net.ok(EDU, "propose", item_args(retire=True, reason="职能划转"), "duty")
    retired = net.ok(BIANBAN, "approve", decision(version=3), "duty")
    found = assess(net.ledger, PERIOD)
    line = ("duty_not_anchored", f"{PID}:D01-01")
    assert chain_findings(found, EDU) == [("credential_not_anchored", "edu-oa"), line,
                                          ("duty_not_anchored", "duty_catalog")]
    row = next(r for r in found["report"]["departments"] if r["uscc"] == EDU)
    [finding] = [f for f in row["findings"] if (f["kind"], f["subject"]) == line]
    assert finding["tx_id"] == retired.tx_id.hex() and "L1" in finding["detail"]
    assert (finding["title"], finding["article"]) == ("应上链而未上链", "000:第二十一条(二)")
    record(net, found)
    order(net, "c1", EDU, [line, ("duty_not_anchored", "duty_catalog")])
    assert penalties(assess(net.ledger, PERIOD), EDU) == []
    order(net, "c2", EDU, [line, ("duty_not_anchored", "duty_catalog")])
    found = assess(net.ledger, PERIOD)
    row = next(r for r in found["report"]["departments"] if r["uscc"] == EDU)
    assert [(p["kind"], p["subject"], p["finding_subject"], p["orders"]) for p in row["penalties"]] == [
        ("zombie_system", "edu-portal", f"{PID}:D01-01", ["c1", "c2"]),
        ("zombie_system", "edu-oa", "duty_catalog", ["c1", "c2"]),
        ("zombie_system", "edu-portal", "duty_catalog", ["c1", "c2"])]
    net.ledger.close()


class Without:
    """Committed state with some records gone — what no contract does today (an entry is never withdrawn,
    and the 投入使用评审 needs every own line's entry), to show what the assessment would find."""

    def __init__(self, reader, *gone: str) -> None:
        self._reader, self._gone = reader, set(gone)

    def get(self, key: str):
        return None if key in self._gone else self._reader.get(key)

    def keys(self, prefix: str, *, after: str = "", limit: int = 100):
        rows = self._reader.keys(prefix, after=after, limit=limit + len(self._gone))
        return iter([(k, v) for k, v in rows if k not in self._gone][:limit])

    def __getattr__(self, name: str):
        return getattr(self._reader, name)


def test_an_accepted_entry_no_longer_on_the_chain_is_not_anchored(tmp_path):
    """A project in 运维 whose accepted line's entry is on the chain: nothing to find; were the entry gone
    (withdrawn), the line would be 应上链而未上链, with the archived catalog as evidence, and ordered twice
    the project's system a 僵尸系统."""
    net = in_operation(tmp_path)
    tip = net.ledger.tip
    args = dict(chain_id=net.genesis.chain_id, period=PERIOD, height=tip.height, as_of=tip.time, refused={})
    entry_line = ("entry_not_anchored", f"{PID}:{CODE}")
    assert entry_line not in [(f["kind"], f["subject"]) for r in assessment.compute(net.ledger.state, **args)
                              ["departments"] for f in r["findings"]]
    withdrawn = Without(net.ledger.state, entry_key(CODE), entry_index_key(EDU, CODE))
    report = assessment.compute(withdrawn, **args)
    row = next(r for r in report["departments"] if r["uscc"] == EDU)
    [finding] = [f for f in row["findings"] if f["kind"] == "entry_not_anchored"]
    assert (finding["subject"], finding["article"]) == (entry_line[1], "000:第二十一条(二)")
    archived = net.ledger.state.get(catalog_key(PID, "accepted"))["archived"]
    assert finding["tx_id"] == archived["tx_id"].hex()
    record(net, assess(net.ledger, PERIOD))
    order(net, "e1", EDU, [entry_line])
    order(net, "e2", EDU, [entry_line])
    tip = net.ledger.tip
    report = assessment.compute(withdrawn, **{**args, "height": tip.height, "as_of": tip.time})
    row = next(r for r in report["departments"] if r["uscc"] == EDU)
    assert [(p["kind"], p["subject"], p["finding"]) for p in row["penalties"]] == [
        ("zombie_system", "edu-portal", "entry_not_anchored")]
    net.ledger.close()


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


def test_reviews_not_passed_count_as_failures_for_catalog_quality(net):
    """000:第二十二条(二) with 000:第十三条: two technical reviews not passed: no penalty; the third: next year's
    projects restricted; a review passed then ends the run."""
    registered(net)
    net.doc(JINGXIN, "accept-1")
    for n in range(3):
        assert penalties(assess(net.ledger, PERIOD), EDU) == []
        net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"}, "project")
        refuse_review(net, f"review-no-{n}")
    assert ("projects_restricted", EDU) in penalties(assess(net.ledger, PERIOD), EDU)
    net.ok(JINGXIN, "accept_for_review", {"project_id": PID, "doc_id": "accept-1"}, "project")
    net.doc(JINGXIN, "opinion-1")
    net.ok(JINGXIN, "grant_opinion", {"project_id": PID, "doc_id": "opinion-1"}, "project")
    assert penalties(assess(net.ledger, PERIOD), EDU) == []


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
    problems = list(book["问题"].iter_rows(values_only=True))
    assert any(row[2] == "应入云而未入云" and row[-1] == "not_on_cloud" for row in problems)
    assert any(row[2] == "应上链而未上链" and row[-1] == "duty_not_anchored" and row[4] == "duty_catalog"
               for row in problems), "three kinds share the title: the kind tells them"
    mulu("assess", "report", "--period", PERIOD, "--format", "csv", "--out", tmp_path / "考核.csv", "--node", url)
    assert (tmp_path / "考核-ranking.csv").read_text(encoding="utf-8-sig").startswith("名次")
    mulu("assess", "report", "--period", PERIOD, "--format", "json", "--out", tmp_path / "考核.json", "--node", url)
    archive = tmp_path / "chain.mulu"
    archive.write_bytes(client.export())
    verified = mulu("assess", "verify", "--period", PERIOD, "--archive", archive, "--genesis",
                    home.genesis_file)
    assert '"match": true' in verified
    anchored = client.get(f"/v1/assessment/results/{PERIOD}")  # blocks since changed the state
    mulu("assess", "report", "--period", PERIOD, "--height", anchored["height"], "--format", "json", "--out",
         tmp_path / "then.json", "--node", url)
    assert json.loads((tmp_path / "then.json").read_text(encoding="utf-8"))["digest"] == anchored["digest"]
    assert "PERIOD_INVALID" in mulu("assess", "run", "--period", "2026Q3", "--node", url, code=1)
    mulu("assess", "order", "o1", "--department", EDU, "--period", PERIOD, "--finding", "not_on_cloud:edu-portal",
         "--text", "限期整改", *signed(OFFICE))
    assert "FINDING_INVALID" in mulu("assess", "order", "o2", "--department", EDU, "--period", PERIOD,
                                     "--finding", "not_on_cloud", "--text", "x", *signed(OFFICE), code=1)
    mulu("assess", "answer", "o1", "--text", "已申请入云", *signed(EDU))
    mulu("assess", "lift", "o1", "--text", "已整改", *signed(OFFICE))
    listed = mulu("assess", "orders", EDU, "--node", url)
    assert "已申请入云" in listed and "已整改" in listed
