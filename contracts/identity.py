"""Identity: who may sign on this chain, with which keys and roles.

The members are named in genesis — departments, districts and the
authorities of the policy texts, each identified by its 统一社会信用代码 — so
the chain is permissioned from block one: a transaction from an unknown sender
or with an unknown or revoked key never enters a block.

A member record (state key ``identity/member/<uscc>``)::

    {"uscc", "name", "roles": [...], "keys": {key_id: {"public_key", "status", "added", "revoked"}}}

Members manage their own keys: add one, revoke one (never the last active
one). A revoked key signs nothing from the next block on, because senders are
authenticated against the state at the start of the block; its history stays.
"""

from __future__ import annotations

from typing import Any

from chain.crypto import CryptoProfile, key_id
from chain.errors import CryptoError, GenesisInvalid, KeyUnknown, SenderUnknown
from chain.execution import Effects, StateView
from chain.genesis import Genesis
from chain.tx import Transaction
from contracts import uscc
from contracts.args import Bytes, Str
from contracts.base import Call, Contract, refuse

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

contract = Contract("identity", "成员与密钥 members and keys")


def member_key(code: str) -> str:
    return f"identity/member/{code}"


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
    return {"uscc": code, "name": raw["name"], "roles": [r for r in ROLES if r in roles], "keys": keys}


def _key_record(public_key: bytes, height: int) -> dict[str, Any]:
    return {"public_key": public_key, "status": KEY_ACTIVE, "added": height, "revoked": 0}


@contract.on_genesis
def genesis_members(genesis: Genesis) -> dict[str, Any]:
    """Members from the genesis ``members`` list; every validator's operator must be one."""
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
    return writes


def authenticate(view: StateView, tx: Transaction) -> bytes:
    """The public key ``tx`` must be signed with; refuses unknown senders and keys."""
    member = view.get(member_key(tx.sender))
    if member is None:
        raise SenderUnknown(f"{tx.sender} is not a member of this chain", sender=tx.sender)
    record = member["keys"].get(tx.key_id)
    if record is None:
        raise KeyUnknown(f"{tx.sender} has no key {tx.key_id}", sender=tx.sender, key_id=tx.key_id)
    if record["status"] != KEY_ACTIVE:
        raise KeyUnknown(f"key {tx.key_id} of {tx.sender} was revoked at height {record['revoked']}",
                         code="TX_KEY_REVOKED", sender=tx.sender, key_id=tx.key_id)
    return record["public_key"]


def roles_of(view: StateView, code: str) -> list[str]:
    member = view.get(member_key(code))
    return [] if member is None else member["roles"]


@contract.method(args={"public_key": Bytes(max_len=128)})
def add_key(view: StateView, call: Call) -> Effects:
    """Add a signing key (of the chain's profile) to the sender's own member record."""
    member = dict(view.get(member_key(call.sender)))
    public_key = call.args["public_key"]
    prof = call.ctx.profile
    try:
        prof.check_public_key(public_key)
    except CryptoError as exc:
        raise refuse("KEY_INVALID", f"not a {prof.name} public key: {exc.message}", field="public_key") from None
    kid = key_id(prof, public_key)
    if kid in member["keys"]:
        raise refuse("KEY_EXISTS", f"key {kid} is already registered", field="public_key", key_id=kid)
    member["keys"] = {**member["keys"], kid: _key_record(public_key, call.ctx.height)}
    return Effects({member_key(call.sender): member}, [("key_added", {"uscc": call.sender, "key_id": kid})])


@contract.method(args={"key_id": Str(max_len=64)})
def revoke_key(view: StateView, call: Call) -> Effects:
    """Revoke one of the sender's keys; it signs nothing from the next block on."""
    member = dict(view.get(member_key(call.sender)))
    kid = call.args["key_id"]
    record = member["keys"].get(kid)
    if record is None or record["status"] != KEY_ACTIVE:
        raise refuse("KEY_NOT_ACTIVE", f"{call.sender} has no active key {kid}", field="key_id", key_id=kid)
    active = [k for k, r in member["keys"].items() if r["status"] == KEY_ACTIVE]
    if active == [kid]:
        raise refuse("KEY_LAST_ACTIVE", "a member keeps at least one active key", field="key_id", key_id=kid)
    member["keys"] = {**member["keys"], kid: {**record, "status": KEY_REVOKED, "revoked": call.ctx.height}}
    return Effects({member_key(call.sender): member}, [("key_revoked", {"uscc": call.sender, "key_id": kid})])
