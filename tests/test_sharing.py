"""共享与校核: sharing requests (002:第十七、十八条, 004:第十九条) and 校核 disputes (004:第十四条).

A chain on a scripted clock of one day per block plays the weeks out. 市卫生健康委
publishes three entries — 有条件共享, 无条件共享 and 不予共享 — and 市教委 asks for
them: the unconditional one needs no request; the others are requested with
purpose and basis and answered with reasons within 10 working days of the
filing date, counted on the chain's calendar across 国庆 2025 and its 调休
days; past that, 经信局 may decide in the provider's stead, and not before. A
dispute is answered within 10 working days or extended once, by at most 10,
with the head's approval anchored. A deadline in 2027, which the calendar does
not cover, is reported as such, never guessed. Every refusal is tried with
its code and article.
"""

from __future__ import annotations

import datetime
import json

import pytest
from fastapi.testclient import TestClient

from cli import main
from cli.client import ApiError, Client, Member
from contracts import sharing
from contracts.sharing import keys
from contracts.sharing import queries as sharing_queries
from node.api import create_app
from tests.test_catalog import EDU, HEALTH, MARKET, entry
from tests.test_duty import BIANBAN, decision, item_args
from tests.test_projects import JINGXIN, ProjectNet
from tests.test_systems import mulu, signing

COND, OPEN_DATA, SECRET = "301001/000001", "301001/000002", "301001/000003"
ONE_DAY = datetime.timedelta(days=1)
D = datetime.date
HOUR = 3_600_000


class SharingNet(ProjectNet):
    """A day-per-block chain calling the sharing contract; a refused call leaves its records as they were."""

    CONTRACT = "sharing"
    RECORDS = ("sharing/", "idx/sharing/")
    PARAMS = "sharing"

    def until(self, day: datetime.date) -> None:
        """Step day by day until the next block falls on ``day``."""
        while self.day() + ONE_DAY < day:
            self.step()

    def filed(self, *txs) -> list[str]:
        """Commit ``txs`` in one block (one day); each must pass; their ids (the filing transactions' hex ids)."""
        ids = self.submit(*txs)
        self.blocks()
        for tx_id in ids:
            assert self.result(tx_id).ok, self.result(tx_id)
        return [tx_id.hex() for tx_id in ids]

    def request(self, request_id: str) -> dict:
        return self.ledger.state.get(keys.request_key(request_id))

    def dispute(self, dispute_id: str) -> dict:
        return self.ledger.state.get(keys.dispute_key(dispute_id))


def morning(day: datetime.date) -> int:
    """The block time of a block on ``day`` (09:00 in China)."""
    return int(datetime.datetime(day.year, day.month, day.day, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def resource(code: str, share_type: str, **extra) -> dict:
    return entry(code=code, owner=HEALTH, provider="北京市卫生健康委员会", name=f"学生健康信息 {code[-1]}",
                 items=(f"体检项目{code[-1]}", f"体检结论{code[-1]}"), share_type=share_type, **extra)


def start(tmp_path, day: datetime.date, **params) -> SharingNet:
    """From ``day``: duty items approved (two days), 市卫生健康委's three entries published (a third)."""
    net = SharingNet(tmp_path / "h", day, **params)
    net.step(*[net.tx(d, "duty", "propose", item_args()) for d in (EDU, HEALTH, MARKET)])
    net.step(*[net.tx(BIANBAN, "duty", "approve", decision(department=d)) for d in (EDU, HEALTH, MARKET)])
    net.step(*[net.tx(HEALTH, "catalog", "publish", e) for e in (
        resource(COND, "conditional", share_condition="仅限教育管理部门核验学生健康状况"),
        resource(OPEN_DATA, "unconditional", share_condition=""),
        resource(SECRET, "not_shared", share_condition="", share_basis="《中华人民共和国传染病防治法》第十二条"))])
    return net


@pytest.fixture
def net(tmp_path):
    n = start(tmp_path, D(2025, 9, 1))
    yield n
    n.ledger.close()


def ask(code: str = COND, **extra) -> dict:
    return {"resource_code": code, "purpose": "新生入学健康状况核验", "law_basis": "《学校卫生工作条例》第十八条",
            "duty_item": "D01-01", "business_need": "入学办理时免于学生家长重复提交体检报告", **extra}


def reply(request_id: str, approve: bool = True, **extra) -> dict:
    return {"request_id": request_id, "approve": approve, "reasons": "符合共享条件，经审核同意", **extra}


def complaint(code: str = COND) -> dict:
    return {"resource_code": code, "problem": "部分学生体检结论与医院原始记录不一致", "data_items": ["体检结论1"]}


def extension(dispute_id: str, **extra) -> dict:
    return {"dispute_id": dispute_id, "head": "王主任", "doc_id": "head-approval-1", "reason": "涉及多家医院数据比对",
            **extra}


# --- access and requests ---------------------------------------------------------------------------------


def test_unconditional_resources_are_read_directly_without_a_request(net):
    """无条件共享 answers its access details and needs no request (002:第十七条); the others need one."""
    state = net.ledger.state
    direct = sharing_queries.access(state, resource_code=OPEN_DATA, requester=EDU)
    assert (direct["share_type"], direct["request_needed"], direct["provider"]) == ("unconditional", False, HEALTH)
    assert direct["share_method"] == "接口" and direct["data_items"][0]["name"] == "体检项目2"
    assert sharing_queries.access(state, resource_code=COND, requester=EDU)["request_needed"] is True
    assert sharing_queries.access(state, resource_code=COND, requester=HEALTH)["request_needed"] is False
    refused = net.refused(EDU, "request", ask(OPEN_DATA), "SHARING_NO_REQUEST_NEEDED")
    assert (refused.article, refused.field) == (sharing.ARTICLE_ANSWER, "resource_code")


def test_invalid_requests_are_refused_with_their_rule(net):
    """A request names another department's catalogued resource and an approved duty item of the requester
    (004:第十九条(一)); one open request per requester and resource; only the provider answers, once."""
    net.refused(EDU, "request", ask("301001/000099"), "SHARING_RESOURCE_UNKNOWN")
    own = net.refused(HEALTH, "request", ask(), "SHARING_OWN_RESOURCE")
    assert own.article == "002:第十七条"
    duty = net.refused(EDU, "request", ask(duty_item="D09-09"), "SHARING_DUTY_ITEM_UNKNOWN")
    assert (duty.article, duty.field) == ("004:第十九条(一)", "duty_item")
    rid = net.ok(EDU, "request", ask()).tx_id.hex()
    again = net.refused(EDU, "request", ask(purpose="另一用途"), "SHARING_REQUEST_OPEN")
    assert again.field == "resource_code"
    net.ok(MARKET, "request", ask())  # another requester's request for the same resource is its own
    net.refused(MARKET, "answer", reply(rid), "SHARING_NOT_PROVIDER")
    net.refused(HEALTH, "answer", reply("0" * 64), "SHARING_REQUEST_UNKNOWN")
    net.ok(HEALTH, "answer", reply(rid, approve=False, reasons="用途超出共享条件"))
    closed = net.refused(HEALTH, "answer", reply(rid), "SHARING_REQUEST_CLOSED")
    assert closed.article == "002:第十七条"
    net.refused(JINGXIN, "decide", reply(rid), "SHARING_REQUEST_CLOSED")
    net.ok(EDU, "request", ask(purpose="另一用途"))  # answered: a new request may be filed


def test_roles_and_shapes_are_checked_at_the_door(net):
    """Only 经信局 decides in a provider's stead; an id is a filing transaction's hex id."""
    nonce = net.nonces[EDU] + 1
    error = net.refused_at_door(net.tx(EDU, "sharing", "decide", reply("0" * 64), nonce=nonce).to_bytes())
    assert error.code == "TX_NOT_AUTHORIZED"
    error = net.refused_at_door(net.tx(HEALTH, "sharing", "answer", reply("R-1"), nonce=net.nonces[HEALTH] + 1)
                                .to_bytes())
    assert error.code == "TX_ARGS_INVALID"


def test_the_provider_answers_with_reasons_and_an_approval_binds_the_use(net):
    """Approved within the deadline: the record carries the purpose, the terms and 002:第十八条; the requester
    then has access. Refused after it: the answer says it was late."""
    net.until(D(2025, 9, 30))
    cond, secret = net.filed(net.tx(EDU, "sharing", "request", ask()), net.tx(EDU, "sharing", "request", ask(SECRET)))
    record = net.request(cond)
    assert (record["status"], record["provider"], record["requester"], record["share_type"]) == \
        ("open", HEALTH, EDU, "conditional")
    assert record["basis"] == {"law": "《学校卫生工作条例》第十八条", "duty_item": "D01-01", "duty_item_version": 2,
                               "business_need": "入学办理时免于学生家长重复提交体检报告", "article": "004:第十九条(一)"}
    assert record["filed"]["tx_id"].hex() == cond and record["filed"]["date"] == "2025-09-30"
    net.until(D(2025, 10, 9))
    net.ok(HEALTH, "answer", reply(cond, conditions="通过共享交换平台接口调用，有效期一年"))
    approved = net.request(cond)
    assert approved["status"] == "approved" and approved["version"] == 2
    assert {k: approved["answer"][k] for k in ("by", "in_stead_of", "late", "deadline", "date")} == \
        {"by": "provider", "in_stead_of": None, "late": False, "deadline": "2025-10-21", "date": "2025-10-09"}
    assert approved["use"] == {"purpose": "新生入学健康状况核验", "duty_item": "D01-01",
                               "conditions": "通过共享交换平台接口调用，有效期一年", "terms": sharing.USE_TERMS,
                               "article": "002:第十八条"}
    state = net.ledger.state
    assert sharing_queries.access(state, resource_code=COND, requester=EDU)["approved_request"] == cond
    net.until(D(2025, 10, 22))
    net.ok(HEALTH, "answer", reply(secret, approve=False, reasons="涉及个人隐私，依法不予共享"))
    refused = net.request(secret)
    assert (refused["status"], refused["use"], refused["answer"]["late"]) == ("refused", None, True)
    assert sharing_queries.access(state, resource_code=SECRET, requester=EDU)["approved_request"] is None
    listed = sharing_queries.requests(state, requester=EDU)["requests"]
    assert sorted(r["request_id"] for r in listed) == sorted([cond, secret])
    assert [r["request_id"] for r in sharing_queries.requests(state, provider=HEALTH, status="refused")["requests"]] \
        == [secret]
    assert sharing_queries.requests(state, requester=MARKET)["requests"] == []
    assert sharing_queries.overdue_requests(state, now=morning(D(2025, 12, 1)))["requests"] == []


@pytest.mark.parametrize("filed, deadline, next_working_day", [
    (D(2025, 9, 30), D(2025, 10, 21), D(2025, 10, 22)),  # the day before 国庆: 10-01..08 off, Saturday 10-11 worked
    (D(2025, 9, 28), D(2025, 10, 17), D(2025, 10, 20)),  # Sunday 09-28, a 调休 make-up workday, and Friday's deadline
], ids=["before-national-day", "on-a-make-up-workday"])
def test_the_authority_decides_in_the_providers_stead_only_once_overdue(tmp_path, filed, deadline,
                                                                         next_working_day):
    """10 working days (002:第十七条) strictly after the filing date, on the chain's calendar: due on the
    deadline day, overdue the working day after — and only then may 经信局 decide in the provider's stead."""
    net = start(tmp_path, filed - 5 * ONE_DAY)
    net.until(filed)
    [rid] = net.filed(net.tx(EDU, "sharing", "request", ask()))
    state = net.ledger.state

    def timely(day):
        return sharing_queries.request(state, request_id=rid, now=morning(day))["timeliness"]

    assert timely(deadline) == {"status": "due", "deadline": deadline.isoformat(), "overdue": False,
                                "article": "002:第十七条"}
    assert timely(next_working_day) == {**timely(deadline), "status": "overdue", "overdue": True}
    assert sharing_queries.overdue_requests(state, now=morning(deadline))["requests"] == []
    net.until(deadline)
    early = net.refused(JINGXIN, "decide", reply(rid), "SHARING_NOT_OVERDUE")
    assert early.article == "002:第十七条"
    net.until(next_working_day)
    [listed] = sharing_queries.overdue_requests(state, now=morning(next_working_day))["requests"]
    assert listed["request_id"] == rid and listed["timeliness"]["status"] == "overdue"
    assert sharing_queries.overdue_requests(state, now=morning(next_working_day), provider=HEALTH)["requests"] \
        == [listed]
    assert sharing_queries.overdue_requests(state, now=morning(next_working_day), provider=EDU)["requests"] == []
    net.ok(JINGXIN, "decide", reply(rid, reasons="经协调，属履职所需，同意共享"))
    decided = net.request(rid)
    assert decided["status"] == "approved" and decided["use"]["article"] == "002:第十八条"
    assert {k: decided["answer"][k] for k in ("by", "in_stead_of", "late", "deadline", "signer")} == \
        {"by": "review_authority", "in_stead_of": HEALTH, "late": True, "deadline": deadline.isoformat(),
         "signer": JINGXIN}
    assert sharing_queries.overdue_requests(state, now=morning(next_working_day))["requests"] == []
    net.refused(HEALTH, "answer", reply(rid), "SHARING_REQUEST_CLOSED")


def test_a_deadline_beyond_the_calendar_is_reported_not_guessed(tmp_path):
    """Filed on 2026-12-24, the 10th working day falls in 2027, which the calendar does not cover: the request
    and the dispute say ``calendar_not_covered``; the overdue lists leave them out while the calendar runs
    (the deadline is surely later) and list them as such once it has run out; 经信局's decision is refused
    with CALENDAR_NOT_COVERED, naming 002:第十七条."""
    net = start(tmp_path, D(2026, 12, 18))
    net.until(D(2026, 12, 24))
    rid, did = net.filed(net.tx(EDU, "sharing", "request", ask()), net.tx(EDU, "sharing", "dispute", complaint()))
    state = net.ledger.state
    uncovered = {"status": "calendar_not_covered", "deadline": None, "year": 2027, "overdue": False,
                 "article": "002:第十七条"}
    assert sharing_queries.request(state, request_id=rid, now=morning(D(2026, 12, 31)))["timeliness"] == uncovered
    assert sharing_queries.dispute(state, dispute_id=did, now=morning(D(2026, 12, 31)))["timeliness"] == \
        {**uncovered, "article": "004:第十四条"}
    assert sharing_queries.overdue_requests(state, now=morning(D(2026, 12, 31)))["requests"] == []
    assert sharing.overdue_answers(state, HEALTH, morning(D(2026, 12, 31))) == []
    later = morning(D(2027, 1, 20))
    [listed] = sharing_queries.overdue_requests(state, now=later)["requests"]
    assert listed["timeliness"] == {**uncovered, "overdue": None}
    assert [d["dispute_id"] for d in sharing_queries.overdue_disputes(state, now=later)["disputes"]] == [did]
    rows = sharing.overdue_answers(state, HEALTH, later)
    assert [(r["kind"], r["status"], r["deadline"]) for r in rows] == [
        ("dispute", "calendar_not_covered", None), ("request", "calendar_not_covered", None)]
    net.until(D(2027, 1, 4))
    refused = net.refused(JINGXIN, "decide", reply(rid), "CALENDAR_NOT_COVERED")
    assert (refused.article, refused.field) == ("002:第十七条", "request_id")
    net.ok(HEALTH, "answer", reply(rid))  # the provider may still answer: whether late cannot be told
    assert net.request(rid)["answer"]["late"] is None and net.request(rid)["answer"]["deadline"] is None


# --- 校核 disputes (004:第十四条) ---------------------------------------------------------------------------


def test_a_dispute_is_extended_once_with_the_heads_approval(net):
    """Filed on 2025-09-30, due 10-21; extended once by 10 working days (to 11-04) with the head named and the
    approval document anchored — not twice, not by more than the parameter, not by another department, not
    after the deadline passed; answered late on 11-05, once."""
    net.refused(HEALTH, "dispute", complaint(), "DISPUTE_OWN_RESOURCE")
    net.refused(EDU, "dispute", complaint("301001/000099"), "SHARING_RESOURCE_UNKNOWN")
    net.until(D(2025, 9, 30))
    did, other = net.filed(net.tx(EDU, "sharing", "dispute", complaint()),
                           net.tx(MARKET, "sharing", "dispute", complaint(OPEN_DATA)))
    state = net.ledger.state
    assert sharing_queries.dispute(state, dispute_id=did, now=morning(D(2025, 10, 21)))["timeliness"]["deadline"] \
        == "2025-10-21"
    net.refused(MARKET, "extend_dispute", extension(did), "DISPUTE_NOT_PROVIDER")
    net.refused(HEALTH, "extend_dispute", extension("0" * 64), "DISPUTE_UNKNOWN")
    missing = net.refused(HEALTH, "extend_dispute", extension(did), "DISPUTE_DOC_UNKNOWN")
    assert (missing.article, missing.field) == ("004:第十四条", "doc_id")
    net.doc(HEALTH, "head-approval-1")
    long = net.refused(HEALTH, "extend_dispute", extension(did, working_days=11), "DISPUTE_EXTENSION_TOO_LONG")
    assert long.field == "working_days"
    net.ok(HEALTH, "extend_dispute", extension(did))
    extended = net.dispute(did)
    assert extended["status"] == "extended"
    assert {k: extended["extension"][k] for k in ("working_days", "head", "previous_deadline", "article")} == \
        {"working_days": 10, "head": "王主任", "previous_deadline": "2025-10-21", "article": "004:第十四条"}
    assert extended["extension"]["doc"]["doc_id"] == "head-approval-1"
    used = net.refused(HEALTH, "extend_dispute", extension(did, working_days=1), "DISPUTE_EXTENSION_USED")
    assert used.article == "004:第十四条"

    def timely(day):
        return sharing_queries.dispute(state, dispute_id=did, now=morning(day))["timeliness"]

    assert (timely(D(2025, 11, 4))["status"], timely(D(2025, 11, 4))["deadline"]) == ("due", "2025-11-04")
    assert timely(D(2025, 11, 5))["status"] == "overdue"
    net.until(D(2025, 10, 22))
    late = net.refused(HEALTH, "extend_dispute", extension(other), "DISPUTE_EXTENSION_LATE")
    assert late.article == "004:第十四条"
    overdue = sharing_queries.overdue_disputes(state, now=morning(D(2025, 10, 22)))["disputes"]
    assert [d["dispute_id"] for d in overdue] == [other]
    net.until(D(2025, 11, 5))
    assert {d["dispute_id"] for d in sharing_queries.overdue_disputes(state, now=morning(D(2025, 11, 5)),
                                                                      provider=HEALTH)["disputes"]} == {did, other}
    net.refused(EDU, "answer_dispute", {"dispute_id": did, "outcome": "corrected", "reply": "x"},
                "DISPUTE_NOT_PROVIDER")
    net.ok(HEALTH, "answer_dispute", {"dispute_id": did, "outcome": "corrected", "reply": "已与医院核对并更正"})
    answered = net.dispute(did)
    assert (answered["status"], answered["answer"]["late"], answered["answer"]["deadline"]) == \
        ("answered", True, "2025-11-04")
    closed = net.refused(HEALTH, "answer_dispute", {"dispute_id": did, "outcome": "no_error", "reply": "x"},
                         "DISPUTE_CLOSED")
    assert closed.article == "004:第十四条"
    net.refused(HEALTH, "extend_dispute", extension(did), "DISPUTE_CLOSED")
    assert [d["dispute_id"] for d in sharing_queries.disputes(state, user=EDU)["disputes"]] == [did]
    assert [d["dispute_id"] for d in sharing_queries.disputes(state, provider=HEALTH, status="open")["disputes"]] \
        == [other]


def test_the_deadlines_are_chain_parameters(tmp_path):
    """With 5 working days to answer a request and 3 a dispute (and no extension at all), filed on 2025-09-30
    the answers are due on 10-14 and 10-11 (a 调休 Saturday)."""
    net = start(tmp_path, D(2025, 9, 25), answer_working_days=5, dispute_answer_working_days=3,
                dispute_extension_working_days=0)
    net.until(D(2025, 9, 30))
    rid, did = net.filed(net.tx(EDU, "sharing", "request", ask()), net.tx(EDU, "sharing", "dispute", complaint()))
    state = net.ledger.state
    now = morning(D(2025, 10, 1))
    assert sharing_queries.request(state, request_id=rid, now=now)["timeliness"]["deadline"] == "2025-10-14"
    assert sharing_queries.dispute(state, dispute_id=did, now=now)["timeliness"]["deadline"] == "2025-10-11"
    assert sharing_queries.access(state, resource_code=COND)["answer_working_days"] == 5
    net.doc(HEALTH, "head-approval-1")
    net.refused(HEALTH, "extend_dispute", extension(did, working_days=1), "DISPUTE_EXTENSION_TOO_LONG")


# --- the assessment's view, the API and the commands -------------------------------------------------------


def overdue_scenario(net: SharingNet) -> dict[str, str]:
    """On 2025-09-30 市教委 and 市市场监管局 each file a request and a dispute with 市卫生健康委, which answers the
    market's request on 10-09 and extends its dispute on 10-10; the chain runs to 10-22's eve."""
    net.until(D(2025, 9, 30))
    ids = net.filed(net.tx(EDU, "sharing", "request", ask()), net.tx(EDU, "sharing", "dispute", complaint()),
                    net.tx(MARKET, "sharing", "request", ask(SECRET)),
                    net.tx(MARKET, "sharing", "dispute", complaint(OPEN_DATA)))
    named = dict(zip(("edu_request", "edu_dispute", "market_request", "market_dispute"), ids))
    net.doc(HEALTH, "head-approval-1")
    net.until(D(2025, 10, 9))
    net.ok(HEALTH, "answer", reply(named["market_request"], approve=False, reasons="依法不予共享"))
    net.ok(HEALTH, "extend_dispute", extension(named["market_dispute"]))
    net.until(D(2025, 10, 22))
    return named


def test_overdue_answers_lists_what_a_provider_owes_past_its_deadline(net):
    """``sharing.overdue_answers(reader, provider, now_ms)`` — for the half-yearly assessment — gives the
    provider's unanswered requests and disputes past their deadline: kind, id, dates and the filing tx id;
    not the answered request, not the extended dispute, nothing of a department that owes none."""
    named = overdue_scenario(net)
    state, now = net.ledger.state, morning(D(2025, 10, 22))
    rows = sharing.overdue_answers(state, HEALTH, now)
    assert [(r["kind"], r["id"]) for r in rows] == [("dispute", named["edu_dispute"]),
                                                    ("request", named["edu_request"])]
    for row in rows:
        assert (row["provider"], row["party"], row["resource_code"], row["filed"], row["deadline"], row["status"],
                row["extended"], row["tx_id"]) == (HEALTH, EDU, COND, "2025-09-30", "2025-10-21", "overdue", False,
                                                   row["id"])
    assert sharing.overdue_answers(state, HEALTH, morning(D(2025, 10, 21))) == []
    assert sharing.overdue_answers(state, EDU, now) == []
    market = sharing.overdue_answers(state, HEALTH, morning(D(2025, 11, 5)))
    assert [(r["kind"], r["party"], r["extended"], r["deadline"]) for r in market if r["party"] == MARKET] == \
        [("dispute", MARKET, True, "2025-11-04")]


def test_api_serves_requests_disputes_overdue_lists_and_access(net):
    """The routes under /v1/sharing answer the queries as of the tip; what is not there is a 404 with its code."""
    named = overdue_scenario(net)
    net.step()
    client = TestClient(create_app(net.node))
    access = client.get("/v1/sharing/access", params={"resource_code": COND, "requester": EDU}).json()
    assert (access["share_type"], access["request_needed"], access["approved_request"]) == ("conditional", True, None)
    listed = client.get("/v1/sharing/requests", params={"provider": HEALTH}).json()
    assert sorted(r["request_id"] for r in listed["requests"]) == sorted([named["edu_request"],
                                                                         named["market_request"]])
    one = client.get(f"/v1/sharing/requests/{named['edu_request']}").json()
    assert (one["status"], one["timeliness"]["status"], one["filed"]["tx_id"]) == \
        ("open", "overdue", named["edu_request"])
    overdue = client.get("/v1/sharing/requests/overdue").json()
    assert overdue["as_of_height"] == net.ledger.tip.height
    assert [r["request_id"] for r in overdue["requests"]] == [named["edu_request"]]
    disputes = client.get("/v1/sharing/disputes", params={"user": MARKET}).json()["disputes"]
    assert [(d["dispute_id"], d["status"]) for d in disputes] == [(named["market_dispute"], "extended")]
    assert client.get(f"/v1/sharing/disputes/{named['market_dispute']}").json()["extension"]["head"] == "王主任"
    assert [d["dispute_id"] for d in client.get("/v1/sharing/disputes/overdue",
                                                params={"provider": HEALTH}).json()["disputes"]] == \
        [named["edu_dispute"]]
    for path, code in ((f"/v1/sharing/requests/{'0' * 64}", "SHARING_REQUEST_NOT_FOUND"),
                       (f"/v1/sharing/disputes/{'0' * 64}", "DISPUTE_NOT_FOUND")):
        answer = client.get(path)
        assert (answer.status_code, answer.json()["code"]) == (404, code)
    answer = client.get("/v1/sharing/access", params={"resource_code": "301001/000099"})
    assert (answer.status_code, answer.json()["code"]) == (404, "CATALOG_ENTRY_NOT_FOUND")
    assert client.get("/v1/sharing/requests/R-1").status_code == 400
    spec = client.get("/v1/openapi.json").json()["paths"]
    assert {"/v1/sharing/access", "/v1/sharing/requests", "/v1/sharing/requests/overdue",
            "/v1/sharing/requests/{request_id}", "/v1/sharing/disputes", "/v1/sharing/disputes/overdue",
            "/v1/sharing/disputes/{dispute_id}"} <= set(spec)


def test_commands_of_sharing_and_disputes(served, monkeypatch):
    """`mulu share access/request/list/show/answer/overdue` and `mulu dispute file/extend/answer/list/show/overdue`
    against a node."""
    monkeypatch.setattr(main.console, "_width", 240)
    home, url = served
    client = Client(url)
    members = {u: Member(client, home.member_key(u), u) for u in (EDU, HEALTH, BIANBAN)}
    for u in (EDU, HEALTH):
        assert members[u].call("duty", "propose", item_args())["status"] == "committed"
        assert members[BIANBAN].call("duty", "approve", decision(department=u))["status"] == "committed"
    assert members[HEALTH].call("catalog", "publish", resource(COND, "conditional"))["status"] == "committed"
    assert members[HEALTH].call("anchor", "put", {"doc_id": "head-approval-1", "title": "主要负责人审批",
                                                  "kind": "other", "digest": bytes(32)})["status"] == "committed"
    signed = signing(home, url)
    assert json.loads(mulu("share", "access", COND, "--node", url))["request_needed"] is True
    filed = json.loads(mulu("share", "request", COND, "--purpose", "新生入学健康状况核验", "--law", "《学校卫生工作条例》",
                            "--duty-item", "D01-01", "--need", "免于重复提交体检报告", *signed(EDU)))
    rid = filed["tx_id"]
    assert "SHARING_REQUEST_OPEN" in mulu("share", "request", COND, "--purpose", "p", "--law", "l", "--duty-item",
                                          "D01-01", "--need", "n", *signed(EDU), code=1)
    assert rid in mulu("share", "list", "--requester", EDU, "--node", url)
    assert json.loads(mulu("share", "show", rid, "--node", url))["timeliness"]["status"] == "due"
    mulu("share", "overdue", "--node", url)
    assert "SHARING_NOT_OVERDUE" in mulu("share", "decide", rid, "--approve", "--reasons", "r", *signed(JINGXIN),
                                         code=1)
    mulu("share", "answer", rid, "--approve", "--reasons", "同意", "--conditions", "接口调用", *signed(HEALTH))
    assert json.loads(mulu("share", "access", COND, "--requester", EDU, "--node", url))["approved_request"] == rid

    did = json.loads(mulu("dispute", "file", COND, "--problem", "体检结论有误", "--items", "体检结论1、体检项目1",
                          *signed(EDU)))["tx_id"]
    mulu("dispute", "extend", did, "--head", "王主任", "--doc-id", "head-approval-1", "--reason", "需核对",
         "--working-days", 5, *signed(HEALTH))
    assert "王主任" in mulu("dispute", "list", "--provider", HEALTH, "--node", url)
    mulu("dispute", "overdue", "--node", url)
    mulu("dispute", "answer", did, "--outcome", "corrected", "--reply", "已更正", *signed(HEALTH))
    shown = json.loads(mulu("dispute", "show", did, "--node", url))
    assert (shown["status"], shown["data_items"], shown["extension"]["working_days"]) == \
        ("answered", ["体检结论1", "体检项目1"], 5)
    with pytest.raises(ApiError) as caught:
        client.get(f"/v1/sharing/disputes/{'0' * 64}")
    assert (caught.value.status, caught.value.code) == (404, "DISPUTE_NOT_FOUND")
