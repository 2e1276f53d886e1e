"""Validators: the set that signs the chain's commit certificates, changed only by governance.

The genesis names the first set; an approved governance proposal's action
``validators.update`` adds a validator, changes its power or keys, or removes
it (power 0). A change made by block H takes effect at block H + 2
(:data:`EFFECTIVE_AFTER`): CometBFT applies the validator updates a
``FinalizeBlock`` returns two heights later, and the mulu set — the
validators whose mulu signatures certify a block, and whose hash its header
carries — changes at the same height. Each change writes the whole new set
under its effective height, so the set in force at any height is one read
(:func:`in_force`), for the ledger, the engine and an auditor replaying the chain.

The state layout is :mod:`contracts.validators.keys`; the queries are
:mod:`contracts.validators.queries`.
"""

from __future__ import annotations

from typing import Any

from chain.errors import CryptoError
from chain.execution import Effects, StateView
from chain.genesis import Genesis, Validator
from contracts.args import Bytes, Int, Str, Uscc
from contracts.base import Call, Contract, refuse
from contracts.identity.keys import member_key
from contracts.validators.keys import LATEST, SET, set_key  # noqa: F401 - SET for the registry

EFFECTIVE_AFTER = 2
"""Blocks between the one that changes the set and the first the new set certifies (CometBFT's rule)."""
NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

contract = Contract("validators", "记账节点 validator set")


def _genesis(genesis: Genesis) -> dict[str, Any]:
    return {set_key(0): [record(v) for v in sorted(genesis.validators, key=lambda v: v.name)], LATEST: 0}


contract.genesis = _genesis


def record(v: Validator) -> dict[str, Any]:
    return {"name": v.name, "operator": v.operator, "public_key": v.public_key, "power": v.power,
            "consensus_key": v.consensus_key}


def validator(r: dict[str, Any]) -> Validator:
    return Validator(r["name"], r["operator"], r["public_key"], r["power"], r["consensus_key"])


def sets(reader: Any) -> list[tuple[int, tuple[Validator, ...]]]:
    """Every set the chain has had or has scheduled, by effective height (a reader with ``keys``)."""
    return [(int(k[len(SET):]), tuple(validator(r) for r in v)) for k, v in reader.keys(SET, limit=100_000)]


@contract.method(governed=True, args={
    "name": Str(max_len=64, pattern=NAME),
    "operator": Uscc(),
    "public_key": Bytes(max_len=128),
    "power": Int(min=0, max=1_000_000),
    "consensus_key": Bytes(size=32, required=False),
})
def update(view: StateView, call: Call) -> Effects:
    """Add a validator, change one's power or keys, or remove one (power 0), from two blocks on."""
    a = call.args
    latest = view.get(LATEST)
    current = {r["name"]: r for r in view.get(set_key(latest))}
    name, power = a["name"], a["power"]
    if power == 0:
        if name not in current:
            raise refuse("VALIDATOR_UNKNOWN", f"{name} is not a validator", field="name")
        del current[name]
        if not current:
            raise refuse("VALIDATOR_SET_EMPTY", "the last validator cannot be removed", field="name")
    else:
        if view.get(member_key(a["operator"])) is None:
            raise refuse("VALIDATOR_OPERATOR_UNKNOWN", f"{a['operator']} is not a member", field="operator")
        try:
            call.ctx.profile.check_public_key(a["public_key"])
        except CryptoError as exc:
            raise refuse("VALIDATOR_KEY_INVALID", f"public_key is not a {call.ctx.profile.name} key: {exc.message}",
                         field="public_key") from None
        engine = any(r["consensus_key"] for r in current.values())
        consensus = a.get("consensus_key", b"")
        if engine and not consensus:
            raise refuse("VALIDATOR_CONSENSUS_KEY_MISSING", "validators of this chain need their CometBFT "
                         "consensus_key", field="consensus_key")
        if any(r["consensus_key"] == consensus and consensus and n != name for n, r in current.items()):
            raise refuse("VALIDATOR_CONSENSUS_KEY_TAKEN", "another validator has this consensus key",
                         field="consensus_key")
        new = {"name": name, "operator": a["operator"], "public_key": a["public_key"], "power": power,
               "consensus_key": consensus}
        if current.get(name) == new:
            raise refuse("VALIDATOR_UNCHANGED", f"{name} is a validator with exactly these keys and power",
                         field="name")
        current[name] = new
    if len(current) != 1 and not any(r["consensus_key"] for r in current.values()):
        raise refuse("VALIDATOR_SOLO_ONE", "a chain without CometBFT consensus keys runs solo: exactly one "
                     "validator", field="name", validators=len(current))
    effective = call.ctx.height + EFFECTIVE_AFTER
    writes = {set_key(effective): [current[n] for n in sorted(current)], LATEST: effective}
    return Effects(writes, [("validator_set_changed", {"name": name, "power": power, "effective": effective})])


from contracts.validators import queries  # noqa: E402,F401 - registers the queries on the contract
