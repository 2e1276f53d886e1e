"""The contract registry: the application the ledger executes.

It implements :class:`chain.execution.Machine` over the contracts a genesis
names. Authentication settles everything about the *sender*, as of the state
at the start of the block: a current member (:mod:`contracts.identity`), an
active key, and a role the method's policy allows — the policy is data in
state (:mod:`contracts.governance`), so one member read and one policy read
per transaction. Admission settles the *call*: a known method, not a governed
one (those run only as approved proposals' actions), well-formed arguments.
Then it runs the call.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from chain.block import Evidence
from chain.cache import BoundedMap, BoundedSet
from chain.crypto import profile_of_public_key, profile_of_signature
from chain.errors import ContractUnknown, GenesisInvalid, MethodUnknown, NotAuthorized, NotFound, ProfileMismatch
from chain.execution import Effects, StateView, TxContext
from chain.genesis import Genesis, Validator
from chain.tx import Transaction
from contracts import (anchor, assessment, catalog, duty, evidence, governance, identity, project, sharing,
                       system, validators, workdays)
from contracts.base import Call, Contract, Method, Param

ALL_CONTRACTS: tuple[Contract, ...] = (identity.contract, governance.contract, anchor.contract, duty.contract,
                                        catalog.contract, workdays.contract, evidence.contract, validators.contract,
                                        project.contract, system.contract, sharing.contract, assessment.contract)
"""Every contract this build provides, by name."""


ADMITTED_MEMORY = 100_000
"""How many statically admitted transactions the registry remembers."""


class Registry:
    """A :class:`~chain.execution.Machine` over a set of contracts."""

    def __init__(self, contracts: Iterable[Contract] = ALL_CONTRACTS) -> None:
        self.contracts = {c.name: c for c in contracts}
        self._genesis_state: BoundedMap[bytes, dict[str, Any]] = BoundedMap(8)
        self._admitted: BoundedSet[bytes] = BoundedSet(ADMITTED_MEMORY)

    def method(self, contract: str, name: str) -> Method:
        c = self.contracts.get(contract)
        if c is None:
            raise ContractUnknown(f"no contract {contract!r}", contract=contract, known=sorted(self.contracts))
        m = c.methods.get(name)
        if m is None:
            raise MethodUnknown(f"contract {contract} has no method {name!r}", contract=contract,
                                method=name, known=sorted(c.methods))
        return m

    def params(self) -> dict[str, Param]:
        """Every declared contract parameter by qualified name."""
        return {p.qualified: p for c in self.contracts.values() for p in c.params.values()}

    def genesis_writes(self, genesis: Genesis) -> dict[str, Any]:
        """The initial state of ``genesis`` (computed once per genesis hash: auditors replay often)."""
        writes = self._genesis_state.get(genesis.hash)
        if writes is None:
            writes = self._genesis_writes(genesis)
            self._genesis_state.put(genesis.hash, writes)
        return dict(writes)

    def _genesis_writes(self, genesis: Genesis) -> dict[str, Any]:
        writes: dict[str, Any] = {}
        for c in self.contracts.values():
            if c.genesis is not None:
                writes.update(c.genesis(genesis))
        declared = self.params()
        overrides = genesis.doc.get("contract_params", {})
        if type(overrides) is not dict:
            raise GenesisInvalid("contract_params must map contract.param names to integers",
                                 field="contract_params")
        for name, value in overrides.items():
            p = declared.get(name)
            if p is None:
                raise GenesisInvalid(f"contract_params.{name} is not a declared parameter",
                                     field=f"contract_params.{name}", known=sorted(declared))
            if type(value) is not int or not p.min <= value <= p.max:
                raise GenesisInvalid(f"contract_params.{name} must be an integer in {p.min}..{p.max}",
                                     field=f"contract_params.{name}")
        for name, p in declared.items():
            writes[p.key] = overrides.get(name, p.default)
        writes.update(governance.genesis_state(genesis, self.methods(), writes))
        if not writes:
            raise GenesisInvalid("the genesis defines no state")
        return writes

    def methods(self) -> list[Method]:
        """Every method of every contract, in registration order."""
        return [m for c in self.contracts.values() for m in c.methods.values()]

    def authenticate(self, view: StateView, tx: Transaction) -> bytes:
        """The sender's public key, once the sender may make this call at all.

        Refuses an unknown or removed sender, a signature of another crypto
        profile than the chain's, an unknown or revoked key, and a sender none
        of whose roles the method's policy (in ``view``) allows. Membership,
        keys, roles and policies are all read from ``view``, the state at the
        start of the block, so a change to any of them takes effect from the
        next block on. An unknown or governed method is left for :meth:`admit`
        to refuse.
        """
        member = identity.member_of(view, tx.sender)
        _check_profile(member, tx)
        public_key = identity.signing_key(member, tx)
        c = self.contracts.get(tx.contract)
        m = None if c is None else c.methods.get(tx.method)
        if m is not None and not m.governed:
            allowed = governance.policy_roles(view, m)
            if allowed is not None and not any(r in allowed for r in member["roles"]):
                raise NotAuthorized(f"{m.qualified} needs one of the roles {identity.ordered_roles(allowed)}",
                                    method=m.qualified, roles=member["roles"])
        return public_key

    def admit(self, view: StateView, tx: Transaction) -> None:
        """Static checks of the call: a known, non-governed method with well-formed arguments.

        They depend on the transaction's bytes alone, so a transaction checked
        at the door is not checked again when its block executes here.
        """
        wire = tx.to_bytes()
        if wire in self._admitted:
            return
        self._admit(tx)
        self._admitted.add(wire)

    def _admit(self, tx: Transaction) -> None:
        m = self.method(tx.contract, tx.method)
        if m.governed:
            raise NotAuthorized(f"{m.qualified} runs only as the action of an approved governance proposal",
                                code="TX_GOVERNED_ONLY", method=m.qualified)
        m.check_args(tx.args)
        if m.fn is governance.propose:
            governance.check_action(self, tx.args["action"])

    def execute(self, view: StateView, tx: Transaction, ctx: TxContext) -> Effects:
        m = self.contracts[tx.contract].methods[tx.method]
        if m.contract == governance.contract.name:
            return m.fn(view, governance.GovernanceCall(tx, ctx, self))
        return m.fn(view, Call(tx, ctx))

    def evidence_writes(self, view: StateView, found: Sequence[Evidence], height: int) -> dict[str, Any]:
        """What a block's evidence records (:mod:`contracts.evidence`)."""
        return evidence.record(view, found, height)

    def validator_sets(self, reader: Any) -> list[tuple[int, tuple[Validator, ...]]]:
        """Every validator set by effective height (:mod:`contracts.validators`)."""
        return validators.sets(reader)

    def scheduled_sets(self, writes: dict[str, Any]) -> list[tuple[int, tuple[Validator, ...]]]:
        """The validator sets a block's writes schedule, by effective height."""
        keys = sorted(k for k in writes if k.startswith(validators.SET))  # a catalog block writes 100,000 others
        return [(int(k[len(validators.SET):]), tuple(validators.validator(r) for r in writes[k])) for k in keys]

    def run_query(self, reader: Any, path: str, args: Any) -> Any:
        """Run the query at ``path`` (``/contract/query``) over ``reader`` with keyword ``args``."""
        contract_name, _, name = path.strip("/").partition("/")
        c = self.contracts.get(contract_name)
        q = None if c is None else c.queries.get(name)
        if q is None:
            raise NotFound(f"no query {path!r}", code="QUERY_UNKNOWN", path=path,
                           known=sorted(q.path for c in self.contracts.values() for q in c.queries.values()))
        return q.run(reader, args)

    def describe(self, view: StateView | None = None) -> list[dict[str, Any]]:
        """Every method with its summary and policy, for the API and CLI.

        With ``view`` the policies are those in state; without, the code defaults.
        """
        out = []
        for m in self.methods():
            roles = m.roles if view is None or m.governed else governance.policy_roles(view, m)
            out.append({"contract": m.contract, "method": m.name, "summary": m.summary, "governed": m.governed,
                        "roles": None if roles is None else identity.ordered_roles(roles), "args": sorted(m.args)})
        return out


def _check_profile(member: dict[str, Any], tx: Transaction) -> None:
    """Refuse a transaction signed under another crypto profile than the chain's.

    A chain never mixes profiles, and every key a member holds is of the
    chain's (genesis and ``identity.add_key`` check it), so the shape of any of
    them names the chain's profile without a state read. A transaction whose
    key id is none of the sender's and whose signature has another profile's
    shape was signed with a key of that profile; it would otherwise fail as an
    unknown key, and "signed under ed25519-sha256, but this chain uses
    sm2-sm3" tells its sender what is actually wrong. When the key id is one
    of the sender's, a signature of the wrong shape (say, SM2 as raw r || s
    instead of DER) is just an invalid signature, left for verification to
    refuse; so is a signature of no known shape.
    """
    records = member["keys"]
    if not records or tx.key_id in records:
        return
    chain = profile_of_public_key(next(iter(records.values()))["public_key"])
    if chain is None or chain.recognizes_signature(tx.signature):
        return
    signed = profile_of_signature(tx.signature)
    if signed is not None:
        raise ProfileMismatch(f"signed under {signed.name} (by its signature's shape), but this chain uses "
                              f"{chain.name}", sender=tx.sender, key_id=tx.key_id, chain_profile=chain.name,
                              signature_profile=signed.name)
