"""Governance: proposals approved by k of n authorities, policies as data, keys and members.

Shows that every governed change — adding or removing a member, changing a
member's roles, a contract parameter, a method's policy, the approval rules —
runs only as the action of a proposal approved by ``threshold`` members
holding an approver role (000:第五条), in the transaction of the deciding vote;
that votes are counted once per approver, refused from non-approvers and after
expiry; that a proposal is rejected once approval is impossible, and failed
(with the reason kept) when its action breaks a rule; that governed methods,
removed members and revoked keys are refused at the door; and, in the
authorization matrix, that every role may call exactly the methods the policy
table says.

The sample network has five approvers (经信局, 市委编办, 市财政局, 市发展改革委,
市政府办公厅), so by default a proposal needs three approvals.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from chain.errors import MuluError, NotAuthorized
from chain.genesis import Genesis
from chain.store import MemoryStore
from chain.tx import make_tx
from contracts import governance, uscc
from contracts.identity import ROLES, member_key, role_key
from contracts.registry import Registry
from node.home import init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS, SampleMember, by_short
from tests.test_ledger import GENESIS_TIME, STEP, Net, digest

JINGXIN = by_short("经信局").uscc
BIANBAN = by_short("市委编办").uscc
CAIZHENG = by_short("市财政局").uscc
FAGAI = by_short("市发展改革委").uscc
BANGONGTING = by_short("市政府办公厅").uscc
AUDIT = by_short("市审计局").uscc
EDU = by_short("市教委").uscc
HEALTH = by_short("市卫生健康委").uscc
HAIDIAN = by_short("海淀区").uscc
APPROVERS = sorted([JINGXIN, BIANBAN, CAIZHENG, FAGAI, BANGONGTING])
NEWCOMER = uscc.make("11110000", "MB000299")  # a valid code, not yet a member
BAD_CODE = EDU[:-1] + ("0" if EDU[-1] != "0" else "1")  # a wrong check character


class GovNet(Net):
    """A :class:`Net` whose genesis document gets extra sections before the node starts."""

    def __init__(self, path, *, members=SAMPLE_MEMBERS, **sections) -> None:
        self.home = init_home(path, chain_id="mulu-gov-test", genesis_time=GENESIS_TIME, clock_step_ms=STEP,
                              members=members)
        if sections:
            doc = {**self.home.genesis().doc, **sections}
            self.home.genesis_file.write_text(Genesis.from_doc(doc).to_json(), encoding="utf-8")
        self.node = Node(self.home, store=MemoryStore(), verify_threads=1)
        self.ledger = self.node.ledger
        self.app = self.node.app
        self.genesis = self.node.genesis
        self.profile = self.genesis.profile
        self.keys = {m.uscc: self.home.member_key(m.uscc) for m in members}
        self.nonces = {m.uscc: 0 for m in members}


@pytest.fixture
def net(tmp_path):
    n = GovNet(tmp_path / "home")
    yield n
    n.ledger.close()


def run(net: Net, sender: str, contract: str, method: str, args: dict, **kw):
    """Submit one call, make its block, return its result."""
    [tx_id] = net.submit(net.tx(sender, contract, method, args, **kw))
    net.blocks()
    return net.result(tx_id)


def action(contract: str, method: str, args: dict) -> dict:
    return {"contract": contract, "method": method, "args": args}


def propose(net: Net, contract: str, method: str, args: dict, *, by: str = JINGXIN) -> str:
    """Make a proposal in its own block; return its id."""
    result = run(net, by, "governance", "propose", {"action": action(contract, method, args), "reason": "测试"})
    assert result.ok, result
    return result.tx_id.hex()


def vote(net: Net, pid: str, voter: str, approve: bool = True):
    return run(net, voter, "governance", "vote", {"proposal_id": pid, "approve": approve})


def decide(net: Net, contract: str, method: str, args: dict, voters=(JINGXIN, BIANBAN, CAIZHENG)):
    """Propose and vote until the last voter; return the proposal id and the last vote's result."""
    pid = propose(net, contract, method, args)
    results = [vote(net, pid, v) for v in voters]
    assert all(r.ok for r in results), results
    return pid, results[-1]


def proposal(net: Net, pid: str) -> dict:
    return net.ledger.state.get(governance.proposal_key(pid))


def new_key(net: Net, code: str):
    """A fresh key for a member the test admits; the test signs with it."""
    key = net.profile.generate()
    net.keys[code], net.nonces[code] = key, 0
    return key


# --- propose, vote, execute ---------------------------------------------------------------------


def test_add_member_runs_on_the_third_approval(net):
    """Two approvals leave the proposal open and change nothing; the third runs
    add_member in the same transaction. The new member signs from the next block."""
    key = new_key(net, NEWCOMER)
    args = {"uscc": NEWCOMER, "name": "北京市数据局", "roles": ["department", "review_authority"],
            "keys": [key.public_key]}
    pid = propose(net, "identity", "add_member", args)
    record = proposal(net, pid)
    assert (record["status"], record["proposer"], record["threshold"]) == ("open", JINGXIN, 3)
    assert record["electorate"] == APPROVERS
    assert record["expires"] == record["time"] + 7 * 24 * 3600 * 1000
    assert record["action"] == action("identity", "add_member", args)

    for voter in (JINGXIN, BIANBAN):
        assert vote(net, pid, voter).ok
        assert proposal(net, pid)["status"] == "open"
        assert net.ledger.state.get(member_key(NEWCOMER)) is None

    deciding = vote(net, pid, CAIZHENG)
    assert deciding.ok
    assert [name for name, _ in deciding.events] == ["voted", "proposal_approved", "member_added"]
    decided = proposal(net, pid)
    assert (decided["status"], decided["decided"], decided["outcome"]) == ("approved", net.ledger.tip.height, None)
    assert [(v["voter"], v["approve"]) for v in decided["votes"]] == [(JINGXIN, True), (BIANBAN, True),
                                                                      (CAIZHENG, True)]
    member = net.ledger.state.get(member_key(NEWCOMER))
    assert (member["name"], member["roles"], member["status"]) == ("北京市数据局", ["review_authority", "department"],
                                                                   "active")
    assert member["added"] == net.ledger.tip.height and list(member["keys"]) == [key.key_id]
    assert NEWCOMER in net.ledger.state.get(role_key("review_authority"))
    assert NEWCOMER in net.ledger.state.get(role_key("department"))

    assert run(net, NEWCOMER, "anchor", "put", {"doc_id": "d", "title": "三定", "kind": "sanding",
                                                "digest": digest("x")}).ok
    # the newcomer holds an approver role: later proposals count it in the electorate
    assert NEWCOMER in proposal(net, propose(net, "governance", "set_rules",
                                             {"approvers": ["review_authority"], "threshold": 1}))["electorate"]


def test_add_members_onboards_many_departments_with_one_vote(net):
    """Onboarding in bulk: one identity.add_members proposal admits 150 departments, decided by one
    round of votes; each signs from the next block, and the role index lists them all. A list naming
    a member already on chain fails whole, naming the member's place (MEMBER_EXISTS), and admits none."""
    codes = [uscc.make("11110000", f"MB{700000 + i:06d}") for i in range(150)]
    keys = [new_key(net, code) for code in codes]
    members = [{"uscc": code, "name": f"北京市第{i}委办局", "roles": ["department"], "keys": [key.public_key]}
               for i, (code, key) in enumerate(zip(codes, keys))]
    pid, deciding = decide(net, "identity", "add_members", {"members": members})
    assert proposal(net, pid)["status"] == "approved"
    assert sum(name == "member_added" for name, _ in deciding.events) == 150
    assert set(codes) <= set(net.ledger.state.get(role_key("department")))
    assert run(net, codes[-1], "anchor", "put", {"doc_id": "d", "title": "三定", "kind": "sanding",
                                                 "digest": digest("y")}).ok
    again = [{**members[0], "uscc": NEWCOMER}, members[1]]
    pid, _ = decide(net, "identity", "add_members", {"members": again})
    outcome = proposal(net, pid)["outcome"]
    assert (outcome["code"], outcome["field"]) == ("MEMBER_EXISTS", "members[1].uscc")
    assert net.ledger.state.get(member_key(NEWCOMER)) is None


def test_a_whole_proposal_fits_in_one_block(net):
    """Proposal and votes may share a block: each sees the state the one before left."""
    key = new_key(net, NEWCOMER)
    txs = [net.tx(JINGXIN, "governance", "propose", {
        "action": action("identity", "add_member", {"uscc": NEWCOMER, "name": "北京市数据局", "roles": ["department"],
                                                    "keys": [key.public_key]}), "reason": "同块"})]
    pid = txs[0].tx_id(net.profile).hex()
    txs += [net.tx(v, "governance", "vote", {"proposal_id": pid, "approve": True}) for v in APPROVERS[:3]]
    ids = net.submit(*txs)
    assert net.blocks() == 1
    assert [net.result(i).ok for i in ids] == [True] * 4
    assert proposal(net, pid)["status"] == "approved"
    assert net.ledger.state.get(member_key(NEWCOMER))["roles"] == ["department"]


def test_remove_member_keeps_the_record_and_closes_the_door(net):
    """A removed member's record stays (status removed, with the height); its
    transactions in the deciding block still count, later ones are refused at
    the door and by proposals with TX_SENDER_REMOVED."""
    pid = propose(net, "identity", "remove_member", {"uscc": EDU})
    for voter in (JINGXIN, BIANBAN):
        assert vote(net, pid, voter).ok
    same_block = net.anchor(EDU, "last-words", "x")
    ids = net.submit(net.tx(CAIZHENG, "governance", "vote", {"proposal_id": pid, "approve": True}), same_block)
    net.blocks()
    assert [net.result(i).ok for i in ids] == [True, True]
    height = net.ledger.tip.height

    member = net.ledger.state.get(member_key(EDU))
    assert (member["status"], member["removed"], member["roles"]) == ("removed", height, ["department"])
    assert [v.value["status"] for v in net.ledger.state.history(member_key(EDU))] == ["active", "removed"]
    assert EDU not in net.ledger.state.get(role_key("department"))

    late = net.anchor(EDU, "too-late", "x")
    error = net.refused_at_door(late.to_bytes())
    assert error.code == "TX_SENDER_REMOVED" and error.details["removed"] == height
    assert [exc.code for _, exc in net.ledger.execute([late], 0, "node0", drop_invalid=True).dropped] == ["TX_SENDER_REMOVED"]

    # removing again, or changing a removed member's roles, fails the proposal
    for method, args in (("remove_member", {"uscc": EDU}), ("set_roles", {"uscc": EDU, "roles": ["district"]})):
        pid, _ = decide(net, "identity", method, args)
        assert (proposal(net, pid)["status"], proposal(net, pid)["outcome"]["code"]) == ("failed", "MEMBER_REMOVED")


def test_set_roles_changes_what_a_member_may_call_from_the_next_block(net):
    """Giving 市教委 the duty_authority role lets it call duty.approve; taking
    department away closes duty.propose to it."""
    item = {"item_id": "D1", "main_duty": "m", "title": "t", "sanding_text": "s", "basis": "b", "reason": "r"}
    assert run(net, HEALTH, "duty", "propose", item).ok
    refused = net.refused_at_door(net.tx(EDU, "duty", "approve", {"department": HEALTH, "item_id": "D1",
                                                                  "version": 1}, nonce=1).to_bytes())
    assert refused.code == "TX_NOT_AUTHORIZED"

    pid, deciding = decide(net, "identity", "set_roles", {"uscc": EDU, "roles": ["duty_authority"]})
    assert deciding.events[-1] == ("roles_set", {"uscc": EDU, "before": ["department"], "after": ["duty_authority"]})
    assert net.ledger.state.get(member_key(EDU))["roles"] == ["duty_authority"]
    assert EDU in net.ledger.state.get(role_key("duty_authority"))
    assert EDU not in net.ledger.state.get(role_key("department"))

    assert run(net, EDU, "duty", "approve", {"department": HEALTH, "item_id": "D1", "version": 1}).ok
    error = net.refused_at_door(net.tx(EDU, "duty", "propose", item, nonce=2).to_bytes())
    assert error.code == "TX_NOT_AUTHORIZED" and error.details["roles"] == ["duty_authority"]

    # the same roles again say nothing new: the proposal fails
    pid, _ = decide(net, "identity", "set_roles", {"uscc": EDU, "roles": ["duty_authority"]})
    assert proposal(net, pid)["outcome"]["code"] == "ROLES_UNCHANGED"


def test_set_param_within_its_declared_range(net):
    """A contract parameter changes by proposal; a value outside the declared
    range fails the proposal (PARAM_OUT_OF_RANGE), an undeclared name too."""
    name = "governance.vote_expiry_ms"
    _, deciding = decide(net, "governance", "set_param", {"name": name, "value": 3 * STEP})
    assert deciding.events[-1] == ("param_set", {"name": name, "before": 7 * 24 * 3600 * 1000, "after": 3 * STEP})
    assert net.ledger.state.get(f"params/{name}") == 3 * STEP
    pid = propose(net, "identity", "remove_member", {"uscc": EDU})
    assert proposal(net, pid)["expires"] == proposal(net, pid)["time"] + 3 * STEP

    for args, code in (({"name": name, "value": 1}, "PARAM_OUT_OF_RANGE"),
                       ({"name": "governance.no_such_param", "value": 1}, "PARAM_UNKNOWN")):
        pid, _ = decide(net, "governance", "set_param", args)
        assert proposal(net, pid)["outcome"]["code"] == code
    assert net.ledger.state.get(f"params/{name}") == 3 * STEP


def test_set_policy_replaces_who_may_call_a_method(net):
    """anchor.put is open to any member by default; a policy limiting it to
    departments and districts refuses the auditor at the door; null opens it again."""
    anchor_args = {"doc_id": "a", "title": "t", "kind": "other", "digest": digest("a")}
    assert run(net, AUDIT, "anchor", "put", anchor_args).ok
    _, deciding = decide(net, "governance", "set_policy", {"method": "anchor.put", "roles": ["district", "department"]})
    assert deciding.events[-1] == ("policy_set", {"method": "anchor.put", "before": None,
                                                  "after": ["department", "district"]})
    assert net.ledger.state.get(governance.policy_key("anchor.put")) == {"roles": ["department", "district"]}
    error = net.refused_at_door(net.tx(AUDIT, "anchor", "put", anchor_args, nonce=2).to_bytes())
    assert error.code == "TX_NOT_AUTHORIZED"
    assert run(net, HAIDIAN, "anchor", "put", anchor_args).ok
    described = {f"{m['contract']}.{m['method']}": m for m in net.ledger.machine.describe(net.ledger.state)}
    assert described["anchor.put"]["roles"] == ["department", "district"]
    assert described["identity.add_member"]["governed"] is True

    decide(net, "governance", "set_policy", {"method": "anchor.put", "roles": None})
    assert net.ledger.state.get(governance.policy_key("anchor.put")) == {"roles": None}
    assert run(net, AUDIT, "anchor", "put", {**anchor_args, "digest": digest("b")}).ok

    for args, code in (({"method": "identity.add_member", "roles": ["department"]}, "POLICY_GOVERNED"),
                       ({"method": "anchor.delete", "roles": None}, "POLICY_METHOD_UNKNOWN")):
        pid, _ = decide(net, "governance", "set_policy", args)
        assert proposal(net, pid)["outcome"]["code"] == code


def test_set_rules_changes_approvers_and_threshold(net):
    """After set_rules (finance_authority only, 2 of 2) a proposal needs both
    finance members; other authorities are no longer eligible."""
    decide(net, "governance", "set_rules", {"approvers": ["finance_authority"], "threshold": 2})
    assert net.ledger.state.get(governance.RULES_KEY) == {"approvers": ["finance_authority"], "threshold": 2}
    pid = propose(net, "identity", "set_roles", {"uscc": HAIDIAN, "roles": ["district", "auditor"]}, by=CAIZHENG)
    assert proposal(net, pid)["electorate"] == sorted([CAIZHENG, FAGAI])
    refused = vote(net, pid, JINGXIN)
    assert (refused.code, refused.article) == ("VOTE_NOT_ELIGIBLE", governance.ARTICLE)
    assert vote(net, pid, CAIZHENG).ok and proposal(net, pid)["status"] == "open"
    assert vote(net, pid, FAGAI).ok and proposal(net, pid)["status"] == "approved"
    assert net.ledger.state.get(member_key(HAIDIAN))["roles"] == ["district", "auditor"]


def test_any_governed_method_is_an_action_calendar_set_year(net):
    """The working-day calendar's set_year (another contract's governed method)
    runs the same way: proposed, approved, written in the deciding vote."""
    args = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电〔2026〕N号"}
    _, deciding = decide(net, "calendar", "set_year", args)
    assert [name for name, _ in deciding.events] == ["voted", "proposal_approved", "calendar_year_set"]
    assert net.ledger.state.get("calendar/year/2027")["holidays"] == ["2027-01-01"]


# --- counting ------------------------------------------------------------------------------------


def test_votes_count_once_and_only_from_approvers(net):
    """A second vote by the same member is ALREADY_VOTED (even to change its
    mind); a department's vote is VOTE_NOT_ELIGIBLE; neither counts."""
    pid = propose(net, "identity", "remove_member", {"uscc": HEALTH})
    assert vote(net, pid, JINGXIN).ok
    again = vote(net, pid, JINGXIN)
    assert (again.status, again.code, again.field) == ("refused", "ALREADY_VOTED", "proposal_id")
    assert vote(net, pid, JINGXIN, approve=False).code == "ALREADY_VOTED"
    outsider = vote(net, pid, EDU)
    assert (outsider.code, outsider.field) == ("VOTE_NOT_ELIGIBLE", "proposal_id")
    assert vote(net, pid, AUDIT).code == "VOTE_NOT_ELIGIBLE"
    assert [v["voter"] for v in proposal(net, pid)["votes"]] == [JINGXIN]
    assert vote(net, pid, BIANBAN).ok and proposal(net, pid)["status"] == "open"
    assert vote(net, pid, FAGAI).ok and proposal(net, pid)["status"] == "approved"
    unknown = vote(net, "00" * 32, FAGAI)
    assert unknown.code == "PROPOSAL_UNKNOWN"


def test_rejected_once_approval_is_impossible(net):
    """With 3 of 5 needed and one approval, two rejections leave it open; the third makes it rejected.
    Later votes are PROPOSAL_CLOSED and the action never runs."""
    pid = propose(net, "identity", "remove_member", {"uscc": HEALTH})
    assert vote(net, pid, JINGXIN, approve=True).ok
    for voter in (BIANBAN, CAIZHENG):
        assert vote(net, pid, voter, approve=False).ok
        assert proposal(net, pid)["status"] == "open"
    last = vote(net, pid, FAGAI, approve=False)
    assert [name for name, _ in last.events] == ["voted", "proposal_rejected"]
    assert (proposal(net, pid)["status"], proposal(net, pid)["decided"]) == ("rejected", net.ledger.tip.height)
    closed = vote(net, pid, BANGONGTING)
    assert closed.code == "PROPOSAL_CLOSED"
    assert net.ledger.state.get(member_key(HEALTH))["status"] == "active"


def test_failed_action_is_recorded_and_the_vote_commits(net):
    """An approved action that breaks a rule (here: adding an existing member)
    leaves the proposal failed with the rule's code, message and field; the
    deciding vote is still committed and changes nothing else."""
    key = new_key(net, NEWCOMER)
    before = net.ledger.state.record(member_key(EDU))
    pid, deciding = decide(net, "identity", "add_member", {"uscc": EDU, "name": "重复", "roles": ["department"],
                                                          "keys": [key.public_key]})
    assert deciding.ok
    assert [name for name, _ in deciding.events] == ["voted", "proposal_failed"]
    record = proposal(net, pid)
    assert record["status"] == "failed" and len(record["votes"]) == 3
    assert (record["outcome"]["code"], record["outcome"]["field"]) == ("MEMBER_EXISTS", "uscc")
    assert record["outcome"]["message"]
    assert net.ledger.state.record(member_key(EDU)) == before
    assert vote(net, pid, FAGAI).code == "PROPOSAL_CLOSED"

    # a key that is not a key of the chain's profile fails the same way, field keys[0]
    pid, _ = decide(net, "identity", "add_member", {"uscc": NEWCOMER, "name": "新", "roles": ["department"],
                                                   "keys": [b"\x01" * 31]})
    assert (proposal(net, pid)["outcome"]["code"], proposal(net, pid)["outcome"]["field"]) == ("KEY_INVALID",
                                                                                               "keys[0]")
    assert net.ledger.state.get(member_key(NEWCOMER)) is None


def test_failed_actions_naming_no_member(net):
    """remove_member and set_roles of a code that is no member fail the proposal with
    MEMBER_UNKNOWN (field uscc, no article: the record named does not exist); no member
    record is made."""
    for method, args in (("remove_member", {"uscc": NEWCOMER}),
                         ("set_roles", {"uscc": NEWCOMER, "roles": ["department"]})):
        pid, deciding = decide(net, "identity", method, args)
        assert [name for name, _ in deciding.events] == ["voted", "proposal_failed"]
        record = proposal(net, pid)
        assert (record["status"], record["outcome"]["code"], record["outcome"]["field"],
                record["outcome"]["article"]) == ("failed", "MEMBER_UNKNOWN", "uscc", "")
    assert net.ledger.state.get(member_key(NEWCOMER)) is None
    assert NEWCOMER not in net.ledger.state.get(role_key("department"))


@pytest.mark.parametrize("gone", ["contract", "method"])
def test_failed_action_gone_from_the_build(net, monkeypatch, gone):
    """A proposal for calendar.set_year is made and voted on under a build that has it; the
    deciding vote runs under one without the calendar contract, or without that method (say,
    after an upgrade). The vote commits, the proposal fails with ACTION_UNAVAILABLE (field
    action, no article: a fault of the build, not of a rule), and no calendar year is written."""
    args = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电〔2026〕N号"}
    pid = propose(net, "calendar", "set_year", args)
    for voter in (JINGXIN, BIANBAN):
        assert vote(net, pid, voter).ok
    contracts = net.ledger.machine.contracts  # the registry the node executes blocks with
    if gone == "contract":
        monkeypatch.delitem(contracts, "calendar")
    else:
        calendar = contracts["calendar"]
        methods = {name: m for name, m in calendar.methods.items() if name != "set_year"}
        monkeypatch.setitem(contracts, "calendar", dataclasses.replace(calendar, methods=methods))

    deciding = vote(net, pid, CAIZHENG)
    assert deciding.ok
    assert deciding.events == (("voted", {"id": pid, "voter": CAIZHENG, "approve": True}),
                               ("proposal_failed", {"id": pid, "code": "ACTION_UNAVAILABLE"}))
    outcome = proposal(net, pid)["outcome"]
    assert (proposal(net, pid)["status"], outcome["code"], outcome["field"], outcome["article"]) == (
        "failed", "ACTION_UNAVAILABLE", "action", "")
    assert "calendar" in outcome["message"]
    assert net.ledger.state.get("calendar/year/2027") is None


def test_actions_that_would_lock_governance_out_fail(net):
    """No action may leave fewer approver members than the threshold, or keep
    approvers from voting or proposing: GOVERNANCE_LOCKOUT (000:第五条)."""
    cases = [
        ("governance", "set_rules", {"approvers": ["general_office"], "threshold": 2}),
        ("governance", "set_rules", {"approvers": ["review_authority"], "threshold": 2}),
        ("governance", "set_policy", {"method": "governance.vote", "roles": ["review_authority"]}),
        ("governance", "set_policy", {"method": "governance.propose", "roles": ["department"]}),
    ]
    for contract, method, args in cases:
        pid, _ = decide(net, contract, method, args)
        record = proposal(net, pid)
        assert (record["status"], record["outcome"]["code"], record["outcome"]["article"]) == \
            ("failed", "GOVERNANCE_LOCKOUT", governance.ARTICLE), args

    # with 3 of 3 finance/office approvers, removing one of them is a lockout too
    decide(net, "governance", "set_rules", {"approvers": ["finance_authority", "general_office"], "threshold": 3})
    pid, _ = decide(net, "identity", "remove_member", {"uscc": FAGAI}, voters=(CAIZHENG, FAGAI, BANGONGTING))
    assert proposal(net, pid)["outcome"]["code"] == "GOVERNANCE_LOCKOUT"
    assert net.ledger.state.get(member_key(FAGAI))["status"] == "active"


# --- expiry, on the scripted clock -----------------------------------------------------------------


def test_votes_after_expiry_are_refused_and_the_proposal_can_be_closed(tmp_path):
    """With governance.vote_expiry_ms = 3 blocks (genesis contract_params), a
    vote three blocks after the proposal still counts, one four blocks after is
    PROPOSAL_EXPIRED; any member may then close it as expired, not before."""
    net = GovNet(tmp_path / "home", contract_params={"governance.vote_expiry_ms": 3 * STEP})
    try:
        pid = propose(net, "identity", "remove_member", {"uscc": HEALTH})
        created = proposal(net, pid)
        assert created["expires"] == created["time"] + 3 * STEP
        early = run(net, EDU, "governance", "expire", {"proposal_id": pid})
        assert (early.code, early.field) == ("PROPOSAL_NOT_EXPIRED", "proposal_id")
        assert vote(net, pid, JINGXIN).ok
        assert vote(net, pid, BIANBAN).ok  # block time = created + 3 steps: the last moment
        assert net.ledger.tip.time == created["expires"]
        late = vote(net, pid, CAIZHENG)
        assert (late.status, late.code, late.article) == ("refused", "PROPOSAL_EXPIRED", governance.ARTICLE)
        assert proposal(net, pid)["status"] == "open"

        closed = run(net, EDU, "governance", "expire", {"proposal_id": pid})
        assert closed.ok and closed.events == (("proposal_expired", {"id": pid}),)
        assert (proposal(net, pid)["status"], proposal(net, pid)["decided"]) == ("expired", net.ledger.tip.height)
        assert vote(net, pid, CAIZHENG).code == "PROPOSAL_CLOSED"
        assert net.ledger.state.get(member_key(HEALTH))["status"] == "active"
    finally:
        net.ledger.close()


# --- the door ------------------------------------------------------------------------------------


GOVERNED = [("identity", "add_member", {"uscc": NEWCOMER, "name": "n", "roles": ["department"],
                                        "keys": [b"\x00" * 32]}),
            ("identity", "remove_member", {"uscc": EDU}),
            ("identity", "set_roles", {"uscc": EDU, "roles": ["district"]}),
            ("governance", "set_param", {"name": "governance.vote_expiry_ms", "value": 60_000}),
            ("governance", "set_policy", {"method": "anchor.put", "roles": None}),
            ("governance", "set_rules", {"approvers": ["review_authority"], "threshold": 1})]


@pytest.mark.parametrize("contract, method, args", GOVERNED, ids=[f"{c}.{m}" for c, m, _ in GOVERNED])
def test_governed_methods_are_refused_at_the_door(net, contract, method, args):
    """Even the approvers cannot call a governed method directly: TX_GOVERNED_ONLY."""
    for sender in (JINGXIN, EDU):
        error = net.refused_at_door(net.tx(sender, contract, method, args, nonce=1).to_bytes())
        assert error.code == "TX_GOVERNED_ONLY" and error.details["method"] == f"{contract}.{method}"
    assert net.node.engine.pending_count() == 0


@pytest.mark.parametrize("act, code, field", [
    (action("anchor", "put", {}), "TX_ACTION_NOT_GOVERNED", "action.method"),
    (action("identity", "add_key", {"public_key": b"k"}), "TX_ACTION_NOT_GOVERNED", "action.method"),
    (action("identity", "drop_member", {}), "METHOD_UNKNOWN", "action.method"),
    (action("ministry", "add_member", {}), "CONTRACT_UNKNOWN", "action.contract"),
    (action("identity", "remove_member", {"uscc": BAD_CODE}), "TX_ARGS_INVALID", "action.args.uscc"),
    (action("identity", "remove_member", {}), "TX_ARGS_INVALID", "action.args.uscc"),
    (action("identity", "set_roles", {"uscc": EDU, "roles": ["department", "department"]}), "TX_ARGS_INVALID",
     "action.args.roles"),
    (action("identity", "set_roles", {"uscc": EDU, "roles": ["emperor"]}), "TX_ARGS_INVALID", "action.args.roles"),
    (action("governance", "set_policy", {"method": "anchor.put", "roles": []}), "TX_ARGS_INVALID",
     "action.args.roles"),
    (action("identity", "remove_member", {"uscc": EDU, "why": "x"}), "TX_ARGS_INVALID", "action.args.why"),
    ({"contract": "identity", "method": "remove_member"}, "TX_ARGS_INVALID", "action.args"),
])
def test_invalid_proposals_are_refused_at_the_door(net, act, code, field):
    """A proposal's action must call a known governed method with well-formed arguments."""
    error = net.refused_at_door(net.tx(JINGXIN, "governance", "propose", {"action": act, "reason": "r"}).to_bytes())
    assert (error.code, error.details.get("field")) == (code, field)


# --- keys --------------------------------------------------------------------------------------------


def test_rotate_key_replaces_the_only_key_and_keeps_history(net):
    """rotate_key adds the new key and revokes the old one in one call, even the
    last active one; the old key still counts in its own block, then signs
    nothing (TX_KEY_REVOKED); both key records and every member version stay."""
    old, new = net.keys[EDU], net.profile.generate()
    rotate = net.tx(EDU, "identity", "rotate_key", {"public_key": new.public_key, "key_id": old.key_id})
    same_block = net.anchor(EDU, "same-block", "x", key=old)
    ids = net.submit(rotate, same_block)
    net.blocks()
    height = net.ledger.tip.height
    assert [net.result(i).ok for i in ids] == [True, True]
    assert net.result(ids[0]).events == (("key_rotated", {"uscc": EDU, "key_id": new.key_id,
                                                           "revoked": old.key_id}),)
    keys = net.ledger.state.get(member_key(EDU))["keys"]
    assert keys[old.key_id] == {"public_key": old.public_key, "status": "revoked", "added": 0, "revoked": height}
    assert keys[new.key_id] == {"public_key": new.public_key, "status": "active", "added": height, "revoked": 0}
    history = net.ledger.state.history(member_key(EDU))
    assert [sorted(v.value["keys"]) for v in history] == [[old.key_id], sorted([old.key_id, new.key_id])]

    error = net.refused_at_door(net.anchor(EDU, "late", "x", key=old).to_bytes())
    assert error.code == "TX_KEY_REVOKED"
    net.nonces[EDU] -= 1
    assert run(net, EDU, "anchor", "put", {"doc_id": "n", "title": "t", "kind": "other", "digest": digest("n")},
               key=new).ok

    # rotating to a registered key, or away from a revoked one, is refused and changes nothing
    before = net.ledger.state.record(member_key(EDU))
    other = net.profile.generate()
    for args, code, field in (({"public_key": new.public_key, "key_id": new.key_id}, "KEY_EXISTS", "public_key"),
                              ({"public_key": other.public_key, "key_id": old.key_id}, "KEY_NOT_ACTIVE", "key_id")):
        refused = run(net, EDU, "identity", "rotate_key", args, key=new)
        assert (refused.code, refused.field) == (code, field)
    assert net.ledger.state.record(member_key(EDU)) == before


# --- genesis --------------------------------------------------------------------------------------


def test_genesis_sections_set_rules_and_policies(tmp_path):
    """"governance" and "policies" sections are written to state; without them
    the defaults hold (four authority roles, a majority; each method's code default)."""
    net = GovNet(tmp_path / "home", governance={"approvers": ["review_authority", "general_office"], "threshold": 2},
                 policies={"anchor.put": ["department", "district"], "governance.propose": None})
    try:
        state = net.ledger.state
        assert state.get(governance.RULES_KEY) == {"approvers": ["review_authority", "general_office"],
                                                   "threshold": 2}
        assert state.get(governance.policy_key("anchor.put")) == {"roles": ["department", "district"]}
        assert state.get(governance.policy_key("duty.approve")) == {"roles": ["duty_authority"]}
        assert state.get(governance.policy_key("identity.add_member")) is None  # governed: no policy
        assert net.refused_at_door(net.anchor(AUDIT, "a", "x").to_bytes()).code == "TX_NOT_AUTHORIZED"
        pid = propose(net, "identity", "remove_member", {"uscc": HEALTH}, by=BANGONGTING)
        assert proposal(net, pid)["electorate"] == sorted([JINGXIN, BANGONGTING])
    finally:
        net.ledger.close()

    default = Registry().genesis_writes(Genesis.from_doc(_sample_doc(tmp_path / "default")))
    assert default[governance.RULES_KEY] == {"approvers": list(governance.DEFAULT_APPROVERS), "threshold": 3}
    assert default[governance.policy_key("anchor.put")] == {"roles": None}
    assert default[role_key("finance_authority")] == sorted([CAIZHENG, FAGAI])


def _sample_doc(path) -> dict:
    return copy.deepcopy(init_home(path, chain_id="mulu-gov-test", genesis_time=GENESIS_TIME,
                                   clock_step_ms=STEP).genesis().doc)


@pytest.mark.parametrize("sections, field", [
    ({"governance": {"approvers": ["review_authority"], "threshold": 2}}, "governance.threshold"),
    ({"governance": {"approvers": [], "threshold": 1}}, "governance.approvers"),
    ({"governance": {"approvers": ["emperor"]}}, "governance.approvers"),
    ({"governance": {"threshold": 0}}, "governance.threshold"),
    ({"governance": {"threshold": 6}}, "governance.threshold"),
    ({"governance": {"quorum": 3}}, "governance"),
    ({"governance": ["review_authority"]}, "governance"),
    ({"policies": {"anchor.delete": None}}, "policies.anchor.delete"),
    ({"policies": {"identity.add_member": ["department"]}}, "policies.identity.add_member"),
    ({"policies": {"anchor.put": []}}, "policies.anchor.put"),
    ({"policies": {"anchor.put": ["department", "department"]}}, "policies.anchor.put"),
    ({"policies": {"anchor.put": "department"}}, "policies.anchor.put"),
    ({"policies": ["anchor.put"]}, "policies"),
    ({"policies": {"governance.vote": ["review_authority"]}}, "governance"),
    ({"policies": {"governance.propose": ["auditor"]}}, "governance"),
])
def test_invalid_genesis_governance_sections(tmp_path, sections, field):
    """Bad rules or policies are GENESIS_INVALID, naming the field."""
    doc = {**_sample_doc(tmp_path / "home"), **sections}
    with pytest.raises(MuluError) as info:
        Registry().genesis_writes(Genesis.from_doc(doc))
    assert (info.value.code, info.value.details["field"]) == ("GENESIS_INVALID", field)


def test_a_genesis_without_authorities_runs_without_governance(tmp_path):
    """A chain of departments only (no approver member) starts; its proposals are GOVERNANCE_LOCKOUT."""
    members = [m for m in SAMPLE_MEMBERS if set(m.roles) <= {"department", "district", "auditor"}]
    members[0] = SampleMember(members[0].name, members[0].short, ("department", "validator"), members[0].uscc)
    net = GovNet(tmp_path / "home", members=members)
    try:
        result = run(net, EDU, "governance", "propose", {"action": action("identity", "remove_member",
                                                                          {"uscc": HEALTH}), "reason": "r"})
        assert result.code == "GOVERNANCE_LOCKOUT"
    finally:
        net.ledger.close()


# --- the authorization matrix -----------------------------------------------------------------------

ANY, GOV = "any member", "governed"
DEPTS = {"department", "district"}
PINNED: dict[str, object] = {
    "identity.add_key": ANY, "identity.revoke_key": ANY, "identity.rotate_key": ANY,
    "identity.add_member": GOV, "identity.add_members": GOV, "identity.remove_member": GOV, "identity.set_roles": GOV,
    "governance.propose": ANY, "governance.vote": ANY, "governance.expire": ANY,
    "governance.set_rules": GOV, "governance.set_param": GOV, "governance.set_policy": GOV,
    "anchor.put": ANY,
    "duty.propose": DEPTS, "duty.approve": {"duty_authority"}, "duty.return_item": {"duty_authority"},
    "catalog.publish": DEPTS, "catalog.approve_note": {"review_authority"},
    "catalog.set_element": GOV, "catalog.remove_element": GOV, "catalog.set_generic": GOV,
    "calendar.set_year": GOV,
    "validators.update": GOV,
    "system.register": DEPTS, "system.apply_exemption": DEPTS, "system.submit_credential": DEPTS,
    "system.decide_exemption": {"review_authority"}, "system.set_custodian_key": {"review_authority"},
    "system.record_access": {"review_authority"},
    "project.register": DEPTS, "project.report_progress": DEPTS, "project.start_construction": DEPTS,
    "project.request_change": DEPTS, "project.file_catalog": DEPTS, "project.request_catalog_change": DEPTS,
    "project.archive_catalog": DEPTS, "project.commit_sharing": DEPTS, "project.record_integration": DEPTS,
    "project.apply_commissioning": DEPTS, "project.terminate": DEPTS | {"review_authority"},
    "project.accept_for_review": {"review_authority"}, "project.grant_opinion": {"review_authority"},
    "project.refuse_review": {"review_authority"},
    "project.extend_opinion": {"review_authority"}, "project.decide_change": {"review_authority"},
    "project.decide_catalog_change": {"review_authority"}, "project.accept": {"review_authority"},
    "project.commission": {"review_authority"}, "project.approve_investment": {"finance_authority"},
    "project.confirm_ownership": {"duty_authority"},
    "sharing.request": DEPTS, "sharing.answer": DEPTS, "sharing.dispute": DEPTS, "sharing.extend_dispute": DEPTS,
    "sharing.answer_dispute": DEPTS, "sharing.decide": {"review_authority"},
    "assessment.record": {"review_authority"}, "assessment.order": {"general_office"},
    "assessment.answer": DEPTS, "assessment.lift": {"general_office"},
}
"""The policy of every method as written by hand: a change of policy must change this table.

(Votes are open to any member at the door; the contract counts only the
proposal's electorate.)
"""

ONE_PER_ROLE = tuple(SampleMember(f"成员 {role}", role, (role,), uscc.make("11110000", f"MR{i:06d}"))
                     for i, role in enumerate(ROLES))


def _outcome(registry: Registry, state, tx) -> str:
    """allowed / refused / governed at the door, for this sender and method (arguments aside)."""
    try:
        registry.authenticate(state, tx)
        registry.admit(state, tx)
    except NotAuthorized as exc:
        return "governed" if exc.code == "TX_GOVERNED_ONLY" else "refused"
    except MuluError as exc:
        assert exc.code == "TX_ARGS_INVALID", exc  # the empty arguments, checked after the caller
    return "allowed"


def _matrix(net: Net) -> dict[str, dict[str, str]]:
    registry, state = net.ledger.machine, net.ledger.state
    by_role = {m.roles[0]: m for m in ONE_PER_ROLE}
    return {m.qualified: {role: _outcome(registry, state, make_tx(
        net.keys[by_role[role].uscc], chain_id=net.genesis.chain_id, sender=by_role[role].uscc, nonce=1,
        contract=m.contract, method=m.name, args={})) for role in ROLES} for m in registry.methods()}


def _expected(allowed) -> dict[str, str]:
    if allowed == GOV:
        return {role: "governed" for role in ROLES}
    return {role: "allowed" if allowed == ANY or role in allowed else "refused" for role in ROLES}


@pytest.mark.parametrize("policies", [{}, {"anchor.put": ["department", "district"], "duty.approve": None,
                                           "governance.expire": ["auditor", "review_authority"]}])
def test_authorization_matrix(tmp_path, policies):
    """Every role × every method of every registered contract is allowed,
    refused or governed exactly as the policy table in state says — with the
    default policies and with genesis overrides."""
    net = GovNet(tmp_path / "home", members=ONE_PER_ROLE, policies=policies)
    try:
        matrix = _matrix(net)
        state = net.ledger.state
        for m in net.ledger.machine.methods():
            if m.governed:
                assert state.get(governance.policy_key(m.qualified)) is None
                expected = _expected(GOV)
            else:
                roles = state.get(governance.policy_key(m.qualified))["roles"]
                expected = _expected(ANY if roles is None else set(roles))
            assert matrix[m.qualified] == expected, m.qualified
        if not policies:
            unpinned = sorted(set(matrix) - set(PINNED))
            assert not unpinned, f"add the policies of {unpinned} to PINNED"
            for name, allowed in PINNED.items():
                assert matrix[name] == _expected(allowed), name
        else:
            assert matrix["anchor.put"] == _expected(DEPTS)
            assert matrix["duty.approve"] == _expected(ANY)
            assert matrix["governance.expire"] == _expected({"auditor", "review_authority"})
    finally:
        net.ledger.close()
