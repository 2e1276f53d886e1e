"""What a contract is: named methods with argument shapes, policies and rules.

A contract method is a pure function ``(view, call) -> Effects``: it reads
state through ``view``, knows the block only through ``call.ctx`` (height and
block time, never a clock), and returns the writes and events it wants, or
raises :class:`~chain.errors.RuleViolation` naming the rule's code, its seed
article and the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from chain.errors import RuleViolation
from chain.execution import Effects, StateView, TxContext
from chain.genesis import Genesis
from chain.tx import Transaction
from contracts.args import Spec, check_args


@dataclass(frozen=True)
class Call:
    """One method call as a contract sees it."""

    tx: Transaction
    ctx: TxContext

    @property
    def sender(self) -> str:
        return self.tx.sender

    @property
    def args(self) -> dict[str, Any]:
        return self.tx.args


MethodFn = Callable[[StateView, Call], Effects]


@dataclass(frozen=True)
class Method:
    """A callable method: its function, argument shape and default policy."""

    contract: str
    name: str
    fn: MethodFn
    args: Mapping[str, Spec]
    roles: frozenset[str] | None  # None: any member may call
    summary: str

    @property
    def qualified(self) -> str:
        return f"{self.contract}.{self.name}"

    def check_args(self, args: Any) -> None:
        check_args(self.args, args)


@dataclass
class Contract:
    """A named group of methods, with an optional genesis hook."""

    name: str
    title: str
    methods: dict[str, Method] = field(default_factory=dict)
    genesis: Callable[[Genesis], dict[str, Any]] | None = None

    def method(self, *, args: Mapping[str, Spec], roles: tuple[str, ...] | None = None):
        """Register a method; its docstring's first line is its summary."""

        def register(fn: MethodFn) -> MethodFn:
            summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
            self.methods[fn.__name__] = Method(self.name, fn.__name__, fn, dict(args),
                                               None if roles is None else frozenset(roles), summary)
            return fn

        return register

    def on_genesis(self, fn: Callable[[Genesis], dict[str, Any]]):
        self.genesis = fn
        return fn


def refuse(code: str, message: str, *, article: str = "", field: str = "", **details: Any) -> RuleViolation:
    """Build a rule violation to ``raise``; reads as ``raise refuse(...)``."""
    return RuleViolation(code, message, article=article, field=field, **details)
