"""The contract registry: the application the ledger executes.

It implements :class:`chain.execution.Machine` over the contracts a genesis
names: it authenticates senders through :mod:`contracts.identity`, admits calls
to known methods with well-formed arguments from members whose roles the
method's policy allows, and runs them.
"""

from __future__ import annotations

from typing import Any, Iterable

from chain.errors import ContractUnknown, GenesisInvalid, MethodUnknown, NotAuthorized
from chain.execution import Effects, StateView, TxContext
from chain.genesis import Genesis
from chain.tx import Transaction
from contracts import anchor, catalog, duty, identity
from contracts.base import Call, Contract, Method, Param

ALL_CONTRACTS: tuple[Contract, ...] = (identity.contract, anchor.contract, duty.contract, catalog.contract)
"""Every contract this build provides, by name."""


class Registry:
    """A :class:`~chain.execution.Machine` over a set of contracts."""

    def __init__(self, contracts: Iterable[Contract] = ALL_CONTRACTS) -> None:
        self.contracts = {c.name: c for c in contracts}

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
        if not writes:
            raise GenesisInvalid("the genesis defines no state")
        return writes

    def authenticate(self, view: StateView, tx: Transaction) -> bytes:
        return identity.authenticate(view, tx)

    def admit(self, view: StateView, tx: Transaction) -> None:
        m = self.method(tx.contract, tx.method)
        if m.governed:
            raise NotAuthorized(f"{m.qualified} runs only as the action of an approved governance proposal",
                                code="TX_GOVERNED_ONLY", method=m.qualified)
        m.check_args(tx.args)
        if m.roles is not None:
            roles = identity.roles_of(view, tx.sender)
            if not m.roles.intersection(roles):
                raise NotAuthorized(f"{m.qualified} needs one of the roles {sorted(m.roles)}",
                                    method=m.qualified, roles=roles)

    def execute(self, view: StateView, tx: Transaction, ctx: TxContext) -> Effects:
        return self.contracts[tx.contract].methods[tx.method].fn(view, Call(tx, ctx))

    def describe(self) -> list[dict[str, Any]]:
        """Every method with its summary and policy, for the API and CLI."""
        return [{"contract": m.contract, "method": m.name, "summary": m.summary,
                 "roles": None if m.roles is None else sorted(m.roles), "args": sorted(m.args)}
                for c in self.contracts.values() for m in c.methods.values()]
