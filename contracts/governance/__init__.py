"""Governance: changes to the chain's own rules by proposal and k-of-n votes.

The policy texts give the administration of the catalog chain to four bodies
acting jointly — 市经济和信息化局, 市委编办, 市财政局 and 市政府办公厅
(000:第五条: "依分工联合施行"). So no single member changes who the members
are, what roles they hold, a contract parameter, a method's policy or the
working-day calendar: each of those is a ``governed=True`` method, refused at
the door, that runs only as the *action* of a proposal approved by
``threshold`` of the members holding an approver role (genesis section
``"governance": {"approvers": [...], "threshold": k}``; by default the four
authority roles and a majority of their members).

A proposal is open until it is approved (its action runs in the transaction
of the deciding vote, with the proposer as sender), rejected (approval has
become impossible), expired (block time passed its expiry; any member may then
close it) or failed (approved, but its action broke a rule: the reason is
recorded and nothing else changes). The electorate and threshold are fixed
when the proposal is made. An action may not leave governance unable to act
(fewer approver members than the threshold, or a policy keeping approvers
from proposing or voting): such an action fails with ``GOVERNANCE_LOCKOUT``.

Policies are data too: which roles may call each non-governed method
(``null`` = any member), from the method's code default, the genesis section
``"policies": {"contract.method": [...] | null}``, then governance.

The state layout is :mod:`contracts.governance.keys` (and the parameter
``params/governance.vote_expiry_ms``); the read-only queries are
:mod:`contracts.governance.queries`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Iterable, Protocol

from chain.errors import ArgsInvalid, ContractUnknown, GenesisInvalid, MethodUnknown, RuleViolation, TxRejected
from chain.execution import Effects, Overlay, StateView
from chain.genesis import Genesis
from chain.tx import Transaction
from contracts import identity
from contracts.args import Bool, Int, Obj, Spec, Str, check_args
from contracts.base import Call, Contract, Method, Param, param, refuse
from contracts.governance.keys import RULES_KEY, policy_key, proposal_key, status_key
from contracts.identity import RoleList, ordered_roles

ARTICLE = "000:第五条"
"""数据资源管理工作由市经济和信息化局、市委编办、市财政局以及市政府办公厅依分工联合施行."""

DEFAULT_APPROVERS = ("review_authority", "duty_authority", "finance_authority", "general_office")
"""The four bodies of 000:第五条 by their roles."""

OPEN, APPROVED, REJECTED, EXPIRED, FAILED = "open", "approved", "rejected", "expired", "failed"

DAY_MS = 24 * 60 * 60 * 1000
PROPOSAL_ID = r"[0-9a-f]{64}"
QUALIFIED = r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"

contract = Contract("governance", "治理 proposals, votes, rules and policies")

VOTE_EXPIRY = contract.param("vote_expiry_ms", 7 * DAY_MS, min=60_000, max=366 * DAY_MS,
                             summary="how long a proposal stays open for votes, in ms of block time")


class Methods(Protocol):
    """What governance needs to know of the registry it runs in."""

    def method(self, contract: str, name: str) -> Method:
        """The method ``contract.name``; raises ContractUnknown/MethodUnknown."""

    def params(self) -> dict[str, Param]:
        """Every declared contract parameter by qualified name."""


@dataclass(frozen=True)
class GovernanceCall(Call):
    """A call of a governance method: it may look up, and run, other contracts' methods."""

    methods: Methods


def _closing(writes: dict[str, Any], pid: str, status: str) -> None:
    """Move proposal ``pid`` from the open ones to those in ``status`` in the status index."""
    writes[status_key(OPEN, pid)] = None
    writes[status_key(status, pid)] = True


def majority(n: int) -> int:
    """The default threshold: more than half of ``n`` approvers (at least one)."""
    return n // 2 + 1


def rules_of(view: StateView) -> dict[str, Any]:
    return view.get(RULES_KEY)


def policy_roles(view: StateView, method: Method) -> Collection[str] | None:
    """The roles that may call ``method`` now (None: any member); one state read.

    A method without a policy record (one added after genesis) has its code default.
    """
    record = view.get(policy_key(method.qualified))
    return method.roles if record is None else record["roles"]


# --- the action of a proposal ------------------------------------------------------------------


class AnyMap(Spec):
    """A map of arguments, checked later against the method it is for."""

    required = True

    def check(self, value: Any, where: str) -> None:
        if type(value) is not dict:
            self.fail(where, "a map of arguments")


ACTION = Obj({"contract": Str(max_len=64), "method": Str(max_len=64), "args": AnyMap()})


def check_action(methods: Methods, action: dict[str, Any]) -> Method:
    """The governed method ``action`` calls, its arguments checked; refused at the door otherwise."""
    try:
        target = methods.method(action["contract"], action["method"])
    except (ContractUnknown, MethodUnknown) as exc:
        where = "action.contract" if isinstance(exc, ContractUnknown) else "action.method"
        raise type(exc)(exc.message, field=where, **exc.details) from None
    if not target.governed:
        raise ArgsInvalid(f"{target.qualified} is not a governed method: its callers call it directly",
                          code="TX_ACTION_NOT_GOVERNED", field="action.method", method=target.qualified)
    check_args(target.args, action["args"], "action.args.")
    return target


def check_workable(view: StateView) -> None:
    """Refuse a state in which governance could never act again (000:第五条).

    There must be at least ``threshold`` members holding an approver role;
    every approver role may vote; some approver role may propose.
    """
    rules = rules_of(view)
    approvers = rules["approvers"]
    electorate = identity.members_with(view, approvers)
    if len(electorate) < rules["threshold"]:
        raise refuse("GOVERNANCE_LOCKOUT", f"{len(electorate)} members hold an approver role, fewer than the "
                     f"threshold {rules['threshold']}", article=ARTICLE, field="action",
                     approvers=len(electorate), threshold=rules["threshold"])
    voters = policy_roles(view, contract.methods["vote"])
    if voters is not None and not set(approvers) <= set(voters):
        raise refuse("GOVERNANCE_LOCKOUT", "every approver role must be allowed to vote", article=ARTICLE,
                     field="action", approvers=approvers, policy=sorted(voters))
    proposers = policy_roles(view, contract.methods["propose"])
    if proposers is not None and not set(approvers) & set(proposers):
        raise refuse("GOVERNANCE_LOCKOUT", "some approver role must be allowed to propose", article=ARTICLE,
                     field="action", approvers=approvers, policy=sorted(proposers))


# --- genesis -----------------------------------------------------------------------------------


def genesis_state(genesis: Genesis, methods: Iterable[Method], view: StateView) -> dict[str, Any]:
    """The rules and policies a genesis document defines, over the members in ``view``.

    Without a ``governance`` section the approvers are the four authority
    roles and the threshold a majority of their members; without
    ``policies`` every method has its code default.
    """
    writes = {RULES_KEY: _genesis_rules(genesis.doc.get("governance"), view)}
    writes.update(_genesis_policies(genesis.doc.get("policies", {}), methods))
    inert = "governance" not in genesis.doc and not identity.members_with(view, DEFAULT_APPROVERS)
    if not inert:  # a chain with no authority at all may run without governance
        try:
            check_workable(Overlay(view, writes))
        except RuleViolation as exc:
            details = {k: v for k, v in exc.details.items() if k not in ("article", "field")}
            raise GenesisInvalid(f"governance could never act: {exc.message}", field="governance",
                                 **details) from None
    return writes


def _genesis_rules(raw: Any, view: StateView) -> dict[str, Any]:
    raw = {} if raw is None else raw
    if type(raw) is not dict or not set(raw) <= {"approvers", "threshold"}:
        raise GenesisInvalid("governance is {\"approvers\": [roles], \"threshold\": k}", field="governance")
    approvers = raw.get("approvers", list(DEFAULT_APPROVERS))
    try:
        RoleList().check(approvers, "governance.approvers")
    except ArgsInvalid as exc:
        raise GenesisInvalid(exc.message, field="governance.approvers") from None
    n = len(identity.members_with(view, approvers))
    threshold = raw.get("threshold", majority(n))
    if type(threshold) is not int or not 1 <= threshold <= max(n, 1):
        raise GenesisInvalid(f"governance.threshold must be an integer in 1..{n}, the members holding an "
                             "approver role", field="governance.threshold")
    return {"approvers": ordered_roles(approvers), "threshold": threshold}


def _genesis_policies(raw: Any, methods: Iterable[Method]) -> dict[str, Any]:
    if type(raw) is not dict:
        raise GenesisInvalid("policies maps contract.method names to role lists or null", field="policies")
    by_name = {m.qualified: m for m in methods}
    for name in sorted(raw):
        where = f"policies.{name}"
        m = by_name.get(name)
        if m is None:
            raise GenesisInvalid(f"{where}: no method {name}", field=where, known=sorted(by_name))
        if m.governed:
            raise GenesisInvalid(f"{where}: {name} is governed; it runs only by proposal", field=where)
        try:
            RoleList(nullable=True).check(raw[name], where)
        except ArgsInvalid as exc:
            raise GenesisInvalid(exc.message, field=where) from None
    writes: dict[str, Any] = {}
    for name, m in sorted(by_name.items()):
        if not m.governed:
            roles = raw[name] if name in raw else m.roles
            writes[policy_key(name)] = {"roles": None if roles is None else ordered_roles(roles)}
    return writes


# --- proposals and votes -----------------------------------------------------------------------


@contract.method(args={"action": ACTION, "reason": Str(max_len=2000)})
def propose(view: StateView, call: Call) -> Effects:
    """Propose a call of a governed method, for the approvers to vote on.

    The record, at ``governance/proposal/<tx id hex>``::

        {"id", "proposer", "action": {"contract", "method", "args"}, "reason",
         "height", "time", "expires", "approvers": [roles], "electorate": [uscc],
         "threshold", "votes": [{"voter", "approve", "height", "time"}],
         "status", "decided" (height, 0 while open), "outcome" (the failure, or None)}

    The door has already checked that the action names a governed method
    with well-formed arguments (:func:`check_action`).
    """
    rules = rules_of(view)
    electorate = identity.members_with(view, rules["approvers"])
    if len(electorate) < rules["threshold"]:
        raise refuse("GOVERNANCE_LOCKOUT", f"only {len(electorate)} members hold an approver role; "
                     f"{rules['threshold']} approvals are needed", article=ARTICLE, field="action")
    action = call.args["action"]
    pid = call.ctx.tx_id.hex()
    record = {
        "id": pid, "proposer": call.sender, "action": action, "reason": call.args["reason"],
        "height": call.ctx.height, "time": call.ctx.time,
        "expires": call.ctx.time + param(view, VOTE_EXPIRY.qualified),
        "approvers": rules["approvers"], "electorate": electorate, "threshold": rules["threshold"],
        "votes": [], "status": OPEN, "decided": 0, "outcome": None,
    }
    event = {"id": pid, "proposer": call.sender, "action": f"{action['contract']}.{action['method']}",
             "expires": record["expires"]}
    return Effects({proposal_key(pid): record, status_key(OPEN, pid): True}, [("proposed", event)])


def _open_proposal(view: StateView, pid: str) -> dict[str, Any]:
    """The open proposal ``pid``. A decided one stays decided (000:第五条): one more vote must not
    run an approved action again, nor revive a rejected one."""
    p = view.get(proposal_key(pid))
    if p is None:
        raise refuse("PROPOSAL_UNKNOWN", f"no proposal {pid}", field="proposal_id")
    if p["status"] != OPEN:
        raise refuse("PROPOSAL_CLOSED", f"proposal {pid} is {p['status']}", article=ARTICLE, field="proposal_id",
                     status=p["status"])
    return p


@contract.method(args={"proposal_id": Str(min_len=64, max_len=64, pattern=PROPOSAL_ID), "approve": Bool()})
def vote(view: StateView, call: GovernanceCall) -> Effects:
    """Approve or reject an open proposal; the deciding approval runs its action.

    Each member of the proposal's electorate votes once, while it still
    holds one of the proposal's approver roles and before the proposal
    expires (000:第五条).
    """
    pid, approve, ctx = call.args["proposal_id"], call.args["approve"], call.ctx
    p = _open_proposal(view, pid)
    if ctx.time > p["expires"]:
        raise refuse("PROPOSAL_EXPIRED", f"proposal {pid} expired at {p['expires']}", article=ARTICLE,
                     field="proposal_id", expires=p["expires"])
    if call.sender not in p["electorate"] or not set(identity.roles_of(view, call.sender)) & set(p["approvers"]):
        raise refuse("VOTE_NOT_ELIGIBLE", f"{call.sender} is not among this proposal's approvers",
                     article=ARTICLE, field="proposal_id", approvers=p["approvers"])
    if any(v["voter"] == call.sender for v in p["votes"]):
        raise refuse("ALREADY_VOTED", f"{call.sender} has already voted on {pid}", article=ARTICLE,
                     field="proposal_id")
    votes = [*p["votes"], {"voter": call.sender, "approve": approve, "height": ctx.height, "time": ctx.time}]
    p = {**p, "votes": votes}
    events: list[tuple[str, dict]] = [("voted", {"id": pid, "voter": call.sender, "approve": approve})]
    writes: dict[str, Any] = {}
    approvals = sum(1 for v in votes if v["approve"])
    if approvals >= p["threshold"]:
        try:
            effects = _run_action(view, call, p)
        except RuleViolation as exc:
            outcome = {"code": exc.code, "message": exc.message, "article": exc.article, "field": exc.field}
            p = {**p, "status": FAILED, "decided": ctx.height, "outcome": outcome}
            events.append(("proposal_failed", {"id": pid, "code": exc.code}))
        else:
            writes.update(effects.writes)
            p = {**p, "status": APPROVED, "decided": ctx.height}
            events.append(("proposal_approved", {"id": pid}))
            events.extend(effects.events)
    elif approvals + len(p["electorate"]) - len(votes) < p["threshold"]:
        p = {**p, "status": REJECTED, "decided": ctx.height}
        events.append(("proposal_rejected", {"id": pid}))
    writes[proposal_key(pid)] = p
    if p["status"] != OPEN:
        _closing(writes, pid, p["status"])
    return Effects(writes, events)


def _run_action(view: StateView, call: GovernanceCall, p: dict[str, Any]) -> Effects:
    """Run an approved proposal's action as a call from its proposer, in this block.

    The action sees the block's time and height and this vote's tx id; it
    must leave governance able to act (:func:`check_workable`).
    """
    action = p["action"]
    try:
        target = call.methods.method(action["contract"], action["method"])
    except TxRejected as exc:  # the method left this build after the proposal was made
        raise refuse("ACTION_UNAVAILABLE", exc.message, field="action") from None
    tx = Transaction(call.ctx.chain_id, p["proposer"], "", 0, action["contract"], action["method"], action["args"])
    ctx = replace(call.ctx, sender=p["proposer"], key_id="")
    effects = target.fn(view, GovernanceCall(tx, ctx, call.methods))
    check_workable(Overlay(view, effects.writes))
    return effects


@contract.method(args={"proposal_id": Str(min_len=64, max_len=64, pattern=PROPOSAL_ID)})
def expire(view: StateView, call: Call) -> Effects:
    """Close an open proposal whose voting time has passed (any member may; until then it is
    the approvers' to decide, 000:第五条)."""
    pid = call.args["proposal_id"]
    p = _open_proposal(view, pid)
    if call.ctx.time <= p["expires"]:
        raise refuse("PROPOSAL_NOT_EXPIRED", f"proposal {pid} is open until {p['expires']}", article=ARTICLE,
                     field="proposal_id", expires=p["expires"])
    p = {**p, "status": EXPIRED, "decided": call.ctx.height}
    writes: dict[str, Any] = {proposal_key(pid): p}
    _closing(writes, pid, EXPIRED)
    return Effects(writes, [("proposal_expired", {"id": pid})])


# --- governed actions of this contract ------------------------------------------------------------


@contract.method(governed=True, args={"approvers": RoleList(), "threshold": Int(min=1, max=1000)})
def set_rules(view: StateView, call: Call) -> Effects:
    """Change who approves proposals and how many approvals they need."""
    rules = {"approvers": ordered_roles(call.args["approvers"]), "threshold": call.args["threshold"]}
    return Effects({RULES_KEY: rules}, [("rules_set", {"before": rules_of(view), "after": rules})])


@contract.method(governed=True, args={"name": Str(max_len=129, pattern=QUALIFIED),
                                      "value": Int(min=-(2**63), max=2**63 - 1)})
def set_param(view: StateView, call: GovernanceCall) -> Effects:
    """Change a contract parameter within its declared range."""
    name, value = call.args["name"], call.args["value"]
    p = call.methods.params().get(name)
    if p is None:
        raise refuse("PARAM_UNKNOWN", f"no contract parameter {name}", field="name")
    if not p.min <= value <= p.max:
        raise refuse("PARAM_OUT_OF_RANGE", f"{name} must be in {p.min}..{p.max}", article=p.article,
                     field="value", min=p.min, max=p.max)
    return Effects({p.key: value}, [("param_set", {"name": name, "before": view.get(p.key), "after": value})])


@contract.method(governed=True, args={"method": Str(max_len=129, pattern=QUALIFIED),
                                      "roles": RoleList(nullable=True)})
def set_policy(view: StateView, call: GovernanceCall) -> Effects:
    """Replace the roles that may call a method (null: any member); a governed method has no
    policy, since only the approvers run it (000:第五条)."""
    name = call.args["method"]
    contract_name, method_name = name.split(".")
    try:
        m = call.methods.method(contract_name, method_name)
    except TxRejected:
        raise refuse("POLICY_METHOD_UNKNOWN", f"no method {name}", field="method") from None
    if m.governed:
        raise refuse("POLICY_GOVERNED", f"{name} is governed: it runs only by proposal", article=ARTICLE,
                     field="method")
    roles = call.args["roles"]
    record = {"roles": None if roles is None else ordered_roles(roles)}
    before = policy_roles(view, m)
    return Effects({policy_key(name): record},
                   [("policy_set", {"method": name, "before": None if before is None else ordered_roles(before),
                                    "after": record["roles"]})])


from contracts.governance import queries  # noqa: E402,F401 - registers the queries on the contract
