"""职责目录: departments propose duty items, 编办 approves or returns them.

Shows that only approved items are in force, that every change is a new
version linked to the previous one by hash with its reason and signer, that
retirement is a change approved like any other, that an approval records the
department's duty-change date, and that every broken rule is refused with its
code, article and field while changing no state.
"""

from __future__ import annotations

import pytest

from contracts import duty
from contracts.duty import queries as duty_queries
from node.samples import by_short
from tests.test_ledger import Net

EDU = by_short("市教委").uscc
HEALTH = by_short("市卫生健康委").uscc
BIANBAN = by_short("市委编办").uscc
JINGXIN = by_short("经信局").uscc


def item_args(item_id="D01-01", title="义务教育学校管理", **extra):
    return {"item_id": item_id, "main_duty": "负责本市基础教育管理工作", "title": title,
            "sanding_text": "（一）统筹管理本市基础教育……", "basis": "《中华人民共和国义务教育法》",
            "reason": "依据三定规定编制", **extra}


def decision(item_id="D01-01", version=1, department=EDU, **extra):
    return {"department": department, "item_id": item_id, "version": version, **extra}


@pytest.fixture
def net(tmp_path):
    n = Net(tmp_path / "home")
    yield n
    n.ledger.close()


def run(net: Net, sender: str, method: str, args: dict):
    """Submit one duty call, make its block, return its result."""
    [tx_id] = net.submit(net.tx(sender, "duty", method, args))
    net.blocks()
    return net.result(tx_id)


def test_propose_then_approve_brings_an_item_into_force(net):
    """A proposal is not in force until 编办 approves it; approval records the change date."""
    assert run(net, EDU, "propose", item_args()).ok
    view = net.ledger.state
    assert view.get(duty.item_key(EDU, "D01-01"))["status"] == "proposed"
    assert duty.approved_version(view, EDU, "D01-01") is None

    result = run(net, BIANBAN, "approve", decision(note="同意"))
    assert result.ok, result
    current = view.get(duty.item_key(EDU, "D01-01"))
    assert (current["status"], current["version"], current["signer"]) == ("approved", 2, BIANBAN)
    assert duty.approved_version(view, EDU, "D01-01") == 2
    assert view.get(duty.changed_key(EDU))["height"] == net.ledger.tip.height
    assert [e[0] for e in result.events] == ["duty_approved"]


def test_versions_link_by_hash_and_keep_reason_and_signer(net):
    """Propose, approve, change, return, change again: five versions, each linked to the last."""
    steps = [(EDU, "propose", item_args()), (BIANBAN, "approve", decision()),
             (EDU, "propose", item_args(title="义务教育与学前教育管理", reason="三定调整")),
             (BIANBAN, "return_item", decision(version=3, note="依据不足")),
             (EDU, "propose", item_args(title="义务教育与学前教育管理", reason="补充依据"))]
    for sender, method, args in steps:
        assert run(net, sender, method, args).ok
    view = net.ledger.state
    versions = duty_queries.versions(view, department=EDU, item_id="D01-01")["versions"]
    # one record: the latest version under the item's key, the four before it in the key's state history
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5]
    assert view.get(duty.item_key(EDU, "D01-01"))["reason"] == "补充依据"
    assert "prev_hash" not in view.get(duty.item_key(EDU, "D01-01")), "the state history links versions"
    assert [v["status"] for v in versions] == ["proposed", "approved", "proposed", "returned", "proposed"]
    assert [v["reason"] for v in versions] == ["依据三定规定编制", "", "三定调整", "依据不足", "补充依据"]
    assert versions[0]["prev_hash"] == bytes(32)
    for before, after in zip(versions, versions[1:]):
        assert after["prev_hash"] == before["hash"]
    # the returned change never came into force: version 2 still is
    assert duty.approved_version(view, EDU, "D01-01") == 2
    assert duty_queries.item(view, department=EDU, item_id="D01-01")["approved"]["status"] == "approved"


def test_retirement_is_an_approved_change(net):
    """Retiring an item takes 编办's approval; afterwards it no longer counts, its history stays."""
    for sender, method, args in [(EDU, "propose", item_args()), (BIANBAN, "approve", decision()),
                                 (EDU, "propose", item_args(retire=True, reason="职能划转")),
                                 (BIANBAN, "approve", decision(version=3))]:
        assert run(net, sender, method, args).ok
    view = net.ledger.state
    assert duty.approved_version(view, EDU, "D01-01") is None
    assert view.get(duty.item_key(EDU, "D01-01"))["retire"] is True
    [second] = duty_queries.versions(view, department=EDU, item_id="D01-01", after=1, limit=1)["versions"]
    assert second["status"] == "approved"


@pytest.mark.parametrize("setup, sender, method, args, code, field", [
    ([(EDU, "propose", item_args())], EDU, "propose", item_args(), "DUTY_PENDING", "item_id"),
    ([], EDU, "propose", item_args(retire=True), "DUTY_ITEM_UNKNOWN", "item_id"),
    ([], BIANBAN, "approve", decision(), "DUTY_ITEM_UNKNOWN", "item_id"),
    ([(EDU, "propose", item_args())], BIANBAN, "approve", decision(version=2), "DUTY_VERSION_MISMATCH", "version"),
    ([(EDU, "propose", item_args()), (BIANBAN, "approve", decision())], BIANBAN, "approve", decision(version=2),
     "DUTY_NOT_PENDING", "item_id"),
    ([], BIANBAN, "approve", decision(department=JINGXIN), "DUTY_DEPARTMENT_UNKNOWN", "department"),
])
def test_invalid_duty_changes_are_refused_with_their_rule(net, setup, sender, method, args, code, field):
    """Each broken rule is recorded as refused, naming its code, article and field; state is unchanged."""
    for s, m, a in setup:
        assert run(net, s, m, a).ok
    before = dict(net.ledger.state.keys("duty/", limit=1000))
    result = run(net, sender, method, args)
    assert (result.status, result.code, result.field) == ("refused", code, field)
    assert result.article == duty.ARTICLE_APPROVAL
    assert dict(net.ledger.state.keys("duty/", limit=1000)) == before


@pytest.mark.parametrize("sender, method, args", [
    (HEALTH, "approve", decision()),          # a department cannot approve duties
    (BIANBAN, "propose", item_args()),        # 编办 has no duty catalog of its own here
    (JINGXIN, "return_item", decision()),     # 经信局 is not the duty authority
])
def test_invalid_callers_are_refused_at_the_door(net, sender, method, args):
    """Methods outside a member's roles never reach the mempool."""
    error = net.refused_at_door(net.tx(sender, "duty", method, args).to_bytes())
    assert error.code == "TX_NOT_AUTHORIZED"
    assert net.node.engine.pending_count() == 0


@pytest.mark.parametrize("args, field", [
    ({**item_args(), "item_id": "bad id"}, "item_id"),
    ({**item_args(), "title": ""}, "title"),
    ({k: v for k, v in item_args().items() if k != "basis"}, "basis"),
    ({**item_args(), "retire": "yes"}, "retire"),
    ({**item_args(), "extra": 1}, "extra"),
])
def test_invalid_duty_arguments_are_refused_at_the_door(net, args, field):
    """Malformed arguments are a TX_ARGS_INVALID naming the field."""
    error = net.refused_at_door(net.tx(EDU, "duty", "propose", args).to_bytes())
    assert (error.code, error.details["field"]) == ("TX_ARGS_INVALID", field)


def test_invalid_department_code_is_refused_at_the_door(net):
    """A department argument that is not a valid 统一社会信用代码 names the failed check."""
    bad = EDU[:-1] + ("0" if EDU[-1] != "0" else "1")
    error = net.refused_at_door(net.tx(BIANBAN, "duty", "approve", decision(department=bad)).to_bytes())
    assert (error.code, error.details["field"]) == ("TX_ARGS_INVALID", "department")


def test_api_lists_items_versions_and_the_version_in_force(net):
    """The duty routes show latest and approved versions, the version chain, and 404s."""
    from fastapi.testclient import TestClient

    from node.api import create_app

    for sender, method, args in [(EDU, "propose", item_args()), (BIANBAN, "approve", decision()),
                                 (EDU, "propose", item_args("D01-02", "学籍管理"))]:
        assert run(net, sender, method, args).ok
    client = TestClient(create_app(net.node))
    listing = client.get(f"/v1/duty/{EDU}").json()
    assert [(i["item_id"], i["status"]) for i in listing["items"]] == [("D01-01", "approved"), ("D01-02", "proposed")]
    page = client.get(f"/v1/duty/{EDU}", params={"limit": 1}).json()
    assert page["next"] == "D01-01"
    assert [i["item_id"] for i in client.get(f"/v1/duty/{EDU}", params={"after": "D01-01"}).json()["items"]] \
        == ["D01-02"]
    item = client.get(f"/v1/duty/{EDU}/D01-02").json()
    assert item["current"]["version"] == 1 and item["approved"] is None
    versions = client.get(f"/v1/duty/{EDU}/D01-01/versions").json()["versions"]
    assert [v["status"] for v in versions] == ["proposed", "approved"]
    pages = [client.get(f"/v1/duty/{EDU}/D01-01/versions", params={"limit": 1, "after": after}).json()["versions"]
             for after in (0, 1, 2)]
    assert [[v["version"] for v in page] for page in pages] == [[1], [2], []]
    assert versions[1]["prev_hash"] == versions[0]["hash"]
    missing = client.get(f"/v1/duty/{EDU}/D09-09")
    assert (missing.status_code, missing.json()["code"]) == (404, "DUTY_ITEM_NOT_FOUND")
