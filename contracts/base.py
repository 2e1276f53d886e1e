"""What a contract is: named methods with argument shapes, policies and rules.

A contract method is a pure function ``(view, call) -> Effects``: it reads
state through ``view``, knows the block only through ``call.ctx`` (height and
block time, never a clock), and returns the writes and events it wants, or
raises :class:`~chain.errors.RuleViolation` naming the rule's code, its seed
article and the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Mapping

from chain.errors import ArgsInvalid, BadRequest, RuleViolation
from chain.execution import Effects, StateView, TxContext
from chain.genesis import Genesis
from chain.tx import Transaction
from contracts.args import Spec, check_args, compile_test


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
    governed: bool = False  # True: only an approved governance proposal may call it

    @property
    def qualified(self) -> str:
        return f"{self.contract}.{self.name}"

    def check_args(self, args: Any) -> None:
        """Raise :class:`ArgsInvalid` unless ``args`` fit the method's argument specs."""
        if not self._test(args):
            check_args(self.args, args)  # says what is wrong

    @cached_property
    def _test(self) -> Callable[[Any], bool]:
        return compile_test(self.args)


QueryFn = Callable[..., Any]


@dataclass(frozen=True)
class Query:
    """A read-only query of a contract: a function of committed state (a
    :class:`~chain.state.StateReader`) and keyword arguments, returning plain
    data. The HTTP API, the CLI and the engine's ``query`` all call these."""

    contract: str
    name: str
    fn: QueryFn
    args: Mapping[str, Spec]
    summary: str

    @property
    def path(self) -> str:
        return f"/{self.contract}/{self.name}"

    def run(self, reader: Any, args: Any) -> Any:
        """Check ``args`` against the query's argument specs, then run it."""
        try:
            check_args(self.args, args)
        except ArgsInvalid as exc:
            raise BadRequest(exc.message, code="QUERY_ARGS_INVALID", **exc.details) from None
        return self.fn(reader, **args)


def page(reader: Any, prefix: str, after: str = "", limit: int = 100) -> list[tuple[str, Any]]:
    """One page of a listing: the current records under ``prefix`` whose key's rest comes after
    ``after`` (the cursor a previous page ended on), at most ``limit``, as ``(rest of the key, value)``."""
    return [(k[len(prefix):], v) for k, v in reader.keys(prefix, after=prefix + after if after else "", limit=limit)]


def every(reader: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Every current record under ``prefix`` in key order, as ``(rest of the key, value)``, read a page at
    a time (for work over a whole listing: the assessment, a provider's open answers)."""
    after = ""
    while True:
        rows = page(reader, prefix, after, 1000)
        yield from rows
        if len(rows) < 1000:
            return
        after = rows[-1][0]


def next_cursor(rows: list[Any], limit: int, last: Any) -> Any:
    """The cursor of the page after ``rows``: ``last`` when the page is full, else None (no more)."""
    return last if rows and len(rows) == limit else None


@dataclass(frozen=True)
class Param:
    """A contract parameter: a chain-wide integer set in genesis, changed by governance.

    Its value lives in state at ``params/<contract>.<name>``; contracts read it
    with :func:`param`.
    """

    contract: str
    name: str
    default: int
    min: int
    max: int
    summary: str
    article: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.contract}.{self.name}"

    @property
    def key(self) -> str:
        return param_key(self.qualified)


def param_key(qualified: str) -> str:
    return f"params/{qualified}"


def param(view: StateView, qualified: str) -> int:
    """The current value of the contract parameter ``contract.name``."""
    value = view.get(param_key(qualified))
    if value is None:
        raise RuleViolation("PARAM_UNKNOWN", f"no chain parameter {qualified}", field=qualified)
    return value


@dataclass
class Contract:
    """A named group of methods and parameters, with an optional genesis hook."""

    name: str
    title: str
    methods: dict[str, Method] = field(default_factory=dict)
    queries: dict[str, Query] = field(default_factory=dict)
    params: dict[str, Param] = field(default_factory=dict)
    genesis: Callable[[Genesis], dict[str, Any]] | None = None

    def method(self, *, args: Mapping[str, Spec], roles: tuple[str, ...] | None = None, governed: bool = False):
        """Register a method; its docstring's first line is its summary.

        ``roles`` is the default policy (genesis may override it); a
        ``governed`` method runs only as the action of an approved proposal.
        """

        def register(fn: MethodFn) -> MethodFn:
            summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
            self.methods[fn.__name__] = Method(self.name, fn.__name__, fn, dict(args),
                                               None if roles is None else frozenset(roles), summary, governed)
            return fn

        return register

    def query(self, *, args: Mapping[str, Spec] | None = None):
        """Register a read-only query under its function's name; ``args`` are the specs of its
        keyword arguments (checked when it is called by name, as the engine's ``query`` does)."""

        def register(fn: QueryFn) -> QueryFn:
            summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
            self.queries[fn.__name__] = Query(self.name, fn.__name__, fn, dict(args or {}), summary)
            return fn

        return register

    def param(self, name: str, default: int, *, min: int = 0, max: int = 2**31, summary: str = "",
              article: str = "") -> Param:
        """Declare a parameter with its default (Beijing's value where the seeds give one)."""
        p = Param(self.name, name, default, min, max, summary, article)
        self.params[name] = p
        return p

    def on_genesis(self, fn: Callable[[Genesis], dict[str, Any]]):
        self.genesis = fn
        return fn


def refuse(code: str, message: str, *, article: str = "", field: str = "", **details: Any) -> RuleViolation:
    """Build a rule violation to ``raise``; reads as ``raise refuse(...)``."""
    return RuleViolation(code, message, article=article, field=field, **details)
