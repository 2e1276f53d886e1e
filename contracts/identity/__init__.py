"""Identity: who may sign on this chain, with which keys and roles.

The members are named in genesis — departments, districts and the
authorities of the policy texts, each identified by its 统一社会信用代码 — so
the chain is permissioned from block one: a transaction from an unknown or
removed sender, or with an unknown or revoked key, never enters a block.

The state layout is :mod:`contracts.identity.keys`; the read-only queries are
:mod:`contracts.identity.queries`.

Members manage their own keys: add one, revoke one (never the last active
one), or rotate (add a new one and revoke an old one in one call). Who is a
member and with which roles changes only through governance (``add_member``,
``remove_member``, ``set_roles`` are governed methods, 000:第五条). Nothing is
deleted: a revoked key and a removed member keep their records, with the
height of the change, and every earlier version stays in state history. A
revoked key or a removed member signs nothing from the next block on, because
senders are authenticated against the state at the start of the block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from chain.crypto import CryptoProfile, key_id
from chain.errors import CryptoError, GenesisInvalid, KeyUnknown, SenderRemoved, SenderUnknown
from chain.execution import Effects, Overlay, StateView
from chain.genesis import Genesis
from chain.tx import Transaction
from contracts import uscc
from contracts.args import Bytes, ListOf, Obj, Spec, Str, Uscc
from contracts.base import Call, Contract, refuse
from contracts.identity.keys import member_key, role_key

ROLES = (
    "review_authority",   # 市经济和信息化局 (经信局) / 大数据局
    "duty_authority",     # 市委编办 — 000:第五条(二)
    "finance_authority",  # 市发展改革委 / 市财政局 — 001:第六条
    "general_office",     # 市政府办公厅 — 000:第二十二、二十三条
    "department",         # 市级政务部门
    "district",           # 区
    "auditor",            # 审计局, third-party assessors
    "validator",          # node operators: no business rights by being one
)
"""The roles of DOMAIN.md, in the order shown to people."""

ROLE_NAMES = {
    "review_authority": "审核部门 (经信局)", "duty_authority": "编办", "finance_authority": "财政/发改",
    "general_office": "办公厅", "department": "政务部门", "district": "区", "auditor": "审计",
    "validator": "记账节点",
}

KEY_ACTIVE = "active"
KEY_REVOKED = "revoked"
MEMBER_ACTIVE = "active"
MEMBER_REMOVED = "removed"
MAX_KEYS_PER_CALL = 8
MAX_MEMBERS_PER_CALL = 200
"""Members one ``add_members`` action admits at most (a transaction stays well under its size limit)."""

contract = Contract("identity", "成员与密钥 members and keys")


def ordered_roles(roles: Iterable[str]) -> list[str]:
    """``roles`` in the order of :data:`ROLES`, the one order every record uses."""
    wanted = set(roles)
    return [r for r in ROLES if r in wanted]


@dataclass(frozen=True)
class RoleList(Spec):
    """An argument naming distinct roles of :data:`ROLES`, at least one.

    With ``nullable``, ``null`` is accepted too (a policy's "any member").
    """

    nullable: bool = False
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if value is None and self.nullable:
            return
        expected = "a list of distinct roles of " + ", ".join(ROLES) + (", or null" if self.nullable else "")
        if type(value) is not list or not value or len(value) > len(ROLES):
            self.fail(where, expected)
        if any(type(r) is not str or r not in ROLES for r in value) or len(set(value)) != len(value):
            self.fail(where, expected)


# --- genesis -----------------------------------------------------------------------------------


def _genesis_member(prof: CryptoProfile, raw: Any, where: str) -> dict[str, Any]:
    if type(raw) is not dict or not {"uscc", "name", "roles", "keys"} <= set(raw):
        raise GenesisInvalid(f"{where} needs uscc, name, roles and keys", field=where)
    try:
        code = uscc.validate(raw["uscc"])
    except uscc.InvalidUSCC as exc:
        raise GenesisInvalid(f"{where}.uscc: {exc}", field=f"{where}.uscc") from None
    if type(raw["name"]) is not str or not raw["name"]:
        raise GenesisInvalid(f"{where}.name must be non-empty text", field=f"{where}.name")
    roles = raw["roles"]
    if type(roles) is not list or not roles or any(r not in ROLES for r in roles) or len(set(roles)) != len(roles):
        raise GenesisInvalid(f"{where}.roles must be distinct roles of {', '.join(ROLES)}", field=f"{where}.roles")
    keys: dict[str, Any] = {}
    if type(raw["keys"]) is not list or not raw["keys"]:
        raise GenesisInvalid(f"{where}.keys must list at least one public key", field=f"{where}.keys")
    for i, hex_key in enumerate(raw["keys"]):
        try:
            public_key = bytes.fromhex(hex_key)
            prof.check_public_key(public_key)
        except (ValueError, TypeError, CryptoError) as exc:
            raise GenesisInvalid(f"{where}.keys[{i}] is not a {prof.name} public key: {exc}",
                                 field=f"{where}.keys[{i}]") from None
        keys[key_id(prof, public_key)] = _key_record(public_key, 0)
    return _member_record(code, raw["name"], roles, keys, 0)


def _member_record(code: str, name: str, roles: Iterable[str], keys: dict[str, Any], height: int) -> dict[str, Any]:
    return {"uscc": code, "name": name, "roles": ordered_roles(roles), "keys": keys,
            "status": MEMBER_ACTIVE, "added": height, "removed": 0}


def _key_record(public_key: bytes, height: int) -> dict[str, Any]:
    return {"public_key": public_key, "status": KEY_ACTIVE, "added": height, "revoked": 0}


@contract.on_genesis
def genesis_members(genesis: Genesis) -> dict[str, Any]:
    """Members from the genesis ``members`` list, and the role index; every
    validator's operator must be a member."""
    raw = genesis.doc.get("members")
    if type(raw) is not list or not raw:
        raise GenesisInvalid("genesis lists no members", field="members")
    writes: dict[str, Any] = {}
    for i, item in enumerate(raw):
        member = _genesis_member(genesis.profile, item, f"members[{i}]")
        key = member_key(member["uscc"])
        if key in writes:
            raise GenesisInvalid(f"members[{i}].uscc appears twice", field=f"members[{i}].uscc")
        writes[key] = member
    for v in genesis.validators:
        if member_key(v.operator) not in writes:
            raise GenesisInvalid(f"validator {v.name}'s operator {v.operator} is not a member",
                                 field="validators")
    members = [writes[k] for k in sorted(writes)]
    for role in ROLES:
        writes[role_key(role)] = [m["uscc"] for m in members if role in m["roles"]]
    return writes


# --- reading members ---------------------------------------------------------------------------


def member_of(view: StateView, code: str) -> dict[str, Any]:
    """The record of a current member; refuses unknown and removed senders."""
    member = view.get(member_key(code))
    if member is None:
        raise SenderUnknown(f"{code} is not a member of this chain", sender=code)
    if member.get("status") == MEMBER_REMOVED:
        raise SenderRemoved(f"{code} was removed from this chain at height {member['removed']}",
                            sender=code, removed=member["removed"])
    return member


def signing_key(member: dict[str, Any], tx: Transaction) -> bytes:
    """The public key ``tx`` must be signed with; refuses unknown and revoked keys."""
    record = member["keys"].get(tx.key_id)
    if record is None:
        raise KeyUnknown(f"{tx.sender} has no key {tx.key_id}", sender=tx.sender, key_id=tx.key_id)
    if record["status"] != KEY_ACTIVE:
        raise KeyUnknown(f"key {tx.key_id} of {tx.sender} was revoked at height {record['revoked']}",
                         code="TX_KEY_REVOKED", sender=tx.sender, key_id=tx.key_id)
    return record["public_key"]


def authenticate(view: StateView, tx: Transaction) -> bytes:
    """The public key ``tx`` must be signed with; refuses unknown or removed senders and keys."""
    return signing_key(member_of(view, tx.sender), tx)


def roles_of(view: StateView, code: str) -> list[str]:
    """The roles of a current member; none for an unknown or removed one."""
    member = view.get(member_key(code))
    return [] if member is None or member.get("status") == MEMBER_REMOVED else member["roles"]


def members_with(view: StateView, roles: Iterable[str]) -> list[str]:
    """The active members holding any of ``roles``, sorted by uscc."""
    codes: set[str] = set()
    for role in roles:
        codes.update(view.get(role_key(role)) or ())
    return sorted(codes)


# --- keys: each member manages its own -----------------------------------------------------------


def _with_key(member: dict[str, Any], prof: CryptoProfile, public_key: bytes, height: int,
              field: str) -> tuple[dict[str, Any], str]:
    """``member`` with ``public_key`` added as an active key, and the key's id."""
    try:
        prof.check_public_key(public_key)
    except CryptoError as exc:
        raise refuse("KEY_INVALID", f"not a {prof.name} public key: {exc.message}", field=field) from None
    kid = key_id(prof, public_key)
    if kid in member["keys"]:
        raise refuse("KEY_EXISTS", f"key {kid} is already registered", field=field, key_id=kid)
    return {**member, "keys": {**member["keys"], kid: _key_record(public_key, height)}}, kid


def _without_key(member: dict[str, Any], kid: str, height: int) -> dict[str, Any]:
    """``member`` with key ``kid`` revoked at ``height``; its record stays."""
    record = member["keys"].get(kid)
    if record is None or record["status"] != KEY_ACTIVE:
        raise refuse("KEY_NOT_ACTIVE", f"{member['uscc']} has no active key {kid}", field="key_id", key_id=kid)
    active = [k for k, r in sorted(member["keys"].items()) if r["status"] == KEY_ACTIVE]
    if active == [kid]:
        raise refuse("KEY_LAST_ACTIVE", "a member keeps at least one active key", field="key_id", key_id=kid)
    return {**member, "keys": {**member["keys"], kid: {**record, "status": KEY_REVOKED, "revoked": height}}}


@contract.method(args={"public_key": Bytes(max_len=128)})
def add_key(view: StateView, call: Call) -> Effects:
    """Add a signing key (of the chain's profile) to the sender's own member record."""
    member, kid = _with_key(view.get(member_key(call.sender)), call.ctx.profile, call.args["public_key"],
                            call.ctx.height, "public_key")
    return Effects({member_key(call.sender): member}, [("key_added", {"uscc": call.sender, "key_id": kid})])


@contract.method(args={"key_id": Str(max_len=64)})
def revoke_key(view: StateView, call: Call) -> Effects:
    """Revoke one of the sender's keys; it signs nothing from the next block on."""
    kid = call.args["key_id"]
    member = _without_key(view.get(member_key(call.sender)), kid, call.ctx.height)
    return Effects({member_key(call.sender): member}, [("key_revoked", {"uscc": call.sender, "key_id": kid})])


@contract.method(args={"public_key": Bytes(max_len=128), "key_id": Str(max_len=64)})
def rotate_key(view: StateView, call: Call) -> Effects:
    """Replace one of the sender's keys: add ``public_key`` and revoke ``key_id`` in one call.

    The old key may be the last active one, since the new key takes its
    place; it signs nothing from the next block on.
    """
    old = call.args["key_id"]
    member, new = _with_key(view.get(member_key(call.sender)), call.ctx.profile, call.args["public_key"],
                            call.ctx.height, "public_key")
    member = _without_key(member, old, call.ctx.height)
    return Effects({member_key(call.sender): member},
                   [("key_rotated", {"uscc": call.sender, "key_id": new, "revoked": old})])


# --- membership and roles: governed (000:第五条) ------------------------------------------------


def _index_writes(view: StateView, code: str, before: Iterable[str], after: Iterable[str]) -> dict[str, Any]:
    """The role index records that change when ``code``'s roles go from ``before`` to ``after``."""
    before, after = set(before), set(after)
    writes: dict[str, Any] = {}
    for role in ROLES:
        if (role in before) != (role in after):
            codes = [c for c in view.get(role_key(role)) or () if c != code]
            writes[role_key(role)] = sorted([*codes, code]) if role in after else codes
    return writes


def _active_member(view: StateView, code: str) -> dict[str, Any]:
    member = view.get(member_key(code))
    if member is None:
        raise refuse("MEMBER_UNKNOWN", f"{code} is not a member", field="uscc", uscc=code)
    if member.get("status") == MEMBER_REMOVED:
        raise refuse("MEMBER_REMOVED", f"{code} was removed at height {member['removed']}", field="uscc",
                     uscc=code, removed=member["removed"])
    return member


MEMBER_ARGS = {
    "uscc": Uscc(),
    "name": Str(max_len=256),
    "roles": RoleList(),
    "keys": ListOf(Bytes(max_len=128), min_items=1, max_items=MAX_KEYS_PER_CALL),
}


def _admitted(view: StateView, call: Call, args: dict[str, Any], where: str = "") -> Effects:
    """The writes and event admitting one new member; ``where`` prefixes the fields a refusal names."""
    code, height = args["uscc"], call.ctx.height
    current = view.get(member_key(code))
    if current is not None:
        raise refuse("MEMBER_EXISTS", f"{code} already has a member record ({current.get('status')})",
                     field=f"{where}uscc", uscc=code, status=current.get("status", MEMBER_ACTIVE))
    member = _member_record(code, args["name"], args["roles"], {}, height)
    for i, public_key in enumerate(args["keys"]):
        member, _ = _with_key(member, call.ctx.profile, public_key, height, f"{where}keys[{i}]")
    writes = {member_key(code): member, **_index_writes(view, code, (), member["roles"])}
    return Effects(writes, [("member_added", {"uscc": code, "roles": member["roles"],
                                              "keys": sorted(member["keys"])})])


@contract.method(governed=True, args=MEMBER_ARGS)
def add_member(view: StateView, call: Call) -> Effects:
    """Admit a new member with its name, roles and signing keys."""
    return _admitted(view, call, call.args)


@contract.method(governed=True, args={"members": ListOf(Obj(MEMBER_ARGS), min_items=1,
                                                        max_items=MAX_MEMBERS_PER_CALL)})
def add_members(view: StateView, call: Call) -> Effects:
    """Admit many new members at once — onboarding departments in bulk, one proposal voted on once;
    all or none: a member already on chain (or listed twice) fails the whole action."""
    writes: dict[str, Any] = {}
    events: list[tuple[str, dict[str, Any]]] = []
    state = Overlay(view, writes)
    for i, args in enumerate(call.args["members"]):
        effects = _admitted(state, call, args, f"members[{i}].")
        writes.update(effects.writes)
        events += effects.events
    return Effects(writes, events)


@contract.method(governed=True, args={"uscc": Uscc()})
def remove_member(view: StateView, call: Call) -> Effects:
    """Remove a member: its record stays, marked removed; it signs nothing from the next block on."""
    code = call.args["uscc"]
    member = _active_member(view, code)
    removed = {**member, "status": MEMBER_REMOVED, "removed": call.ctx.height}
    writes = {member_key(code): removed, **_index_writes(view, code, member["roles"], ())}
    return Effects(writes, [("member_removed", {"uscc": code})])


@contract.method(governed=True, args={"uscc": Uscc(), "roles": RoleList()})
def set_roles(view: StateView, call: Call) -> Effects:
    """Replace a member's roles."""
    code = call.args["uscc"]
    member = _active_member(view, code)
    roles = ordered_roles(call.args["roles"])
    if roles == member["roles"]:
        raise refuse("ROLES_UNCHANGED", f"{code} already holds exactly these roles", field="roles")
    writes = {member_key(code): {**member, "roles": roles}, **_index_writes(view, code, member["roles"], roles)}
    return Effects(writes, [("roles_set", {"uscc": code, "before": member["roles"], "after": roles})])


from contracts.identity import queries  # noqa: E402,F401 - registers the queries on the contract
