"""Static argument checks for contract methods.

A method declares the shape of its arguments as data; the check runs before a
transaction enters the mempool and again when its block executes, so it must
be deterministic: plain Python, no pydantic (whose behaviour could change
between versions on different nodes), no floats.
"""

from __future__ import annotations

import datetime
import re
import textwrap
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from chain.errors import ArgsInvalid
from contracts import uscc


class Spec(ABC):
    """The shape of one argument."""

    required = True

    @abstractmethod
    def check(self, value: Any, where: str) -> None:
        """Raise :class:`ArgsInvalid` unless ``value`` has this shape."""

    def fail(self, where: str, expected: str) -> None:
        raise ArgsInvalid(f"argument {where}: expected {expected}", field=where, expected=expected)

    def test_source(self, v: str, env: "_Compiler") -> str:
        """A Python expression true exactly when the value named ``v`` passes
        :meth:`check` (see :func:`compile_test`). By default, a call of ``check``."""
        return f"{env.add(_passes(self.check))}({v})"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters no text argument may hold (tab and line breaks are allowed)."""


@dataclass(frozen=True)
class Str(Spec):
    max_len: int = 256
    min_len: int = 1
    pattern: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "_match", None if self.pattern is None else re.compile(self.pattern).fullmatch)

    def check(self, value: Any, where: str) -> None:
        if type(value) is not str or not self.min_len <= len(value) <= self.max_len:
            self.fail(where, f"text of {self.min_len}..{self.max_len} characters")
        if self._match is not None:
            if self._match(value) is None:
                self.fail(where, f"text matching {self.pattern}")
        elif _CONTROL.search(value) is not None:
            self.fail(where, "text without control characters")

    def test_source(self, v: str, env: "_Compiler") -> str:
        text = f"type({v}) is str and {self.min_len} <= len({v}) <= {self.max_len}"
        if self._match is not None:
            matches = _Matches(self._match)
            return f"({text} and ({v} in {env.add(matches.seen)} or {env.add(matches)}({v})))"
        # most text is printable; what is not (tabs, line breaks, wide spaces) goes to the regex
        return f"({text} and ({v}.isprintable() or {env.add(_CONTROL.search)}({v}) is None))"


class _Matches:
    """A pattern's full match that remembers the texts it accepted, up to a bound.

    Data item lengths, dates, class codes and duty item ids repeat across
    thousands of catalog entries, and a set lookup costs a fraction of a
    regular expression match. What is remembered only answers the same
    question again, so the answer never depends on what was seen before.
    """

    def __init__(self, match: Callable[[str], Any], limit: int = 4096) -> None:
        self.match = match
        self.seen: set[str] = set()
        self.limit = limit

    def __call__(self, text: str) -> bool:
        if not self.match(text):
            return False
        if len(self.seen) < self.limit:
            self.seen.add(text)
        return True


@dataclass(frozen=True)
class Int(Spec):
    min: int = 0
    max: int = 2**63 - 1
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if type(value) is not int or not self.min <= value <= self.max:
            self.fail(where, f"an integer in {self.min}..{self.max}")

    def test_source(self, v: str, env: "_Compiler") -> str:
        return f"(type({v}) is int and {self.min} <= {v} <= {self.max})"


@dataclass(frozen=True)
class Bool(Spec):
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if type(value) is not bool:
            self.fail(where, "true or false")

    def test_source(self, v: str, env: "_Compiler") -> str:
        return f"(type({v}) is bool)"


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _real_date(text: str) -> bool:
    """Whether ISO ``YYYY-MM-DD`` text names a day of the calendar (no 2026-13-45, no 02-30)."""
    if _ISO_DATE.fullmatch(text) is None:
        return False
    try:
        datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Date(Spec):
    """A calendar date as ISO ``YYYY-MM-DD`` text: a real day, so 2026-13-45 is refused."""

    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if type(value) is not str or not _real_date(value):
            self.fail(where, "a calendar date YYYY-MM-DD")

    def test_source(self, v: str, env: "_Compiler") -> str:
        matches = _Matches(_real_date)  # dates repeat across entries: remembered once accepted
        return f"(type({v}) is str and ({v} in {env.add(matches.seen)} or {env.add(matches)}({v})))"


@dataclass(frozen=True)
class Uscc(Spec):
    """A 统一社会信用代码 with valid GB 32100 and GB 11714 check characters."""

    required: bool = True

    def check(self, value: Any, where: str) -> None:
        try:
            uscc.validate(value)
        except uscc.InvalidUSCC as exc:
            raise ArgsInvalid(f"argument {where}: {exc}", field=where, reason=exc.reason) from None


@dataclass(frozen=True)
class Bytes(Spec):
    size: int | None = None
    max_len: int = 4096
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if type(value) is not bytes:
            self.fail(where, "bytes")
        if self.size is not None and len(value) != self.size:
            self.fail(where, f"{self.size} bytes")
        if len(value) > self.max_len:
            self.fail(where, f"at most {self.max_len} bytes")


@dataclass(frozen=True)
class OneOf(Spec):
    values: tuple[str, ...]
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if value not in self.values or type(value) is not str:
            self.fail(where, "one of " + ", ".join(self.values))

    def test_source(self, v: str, env: "_Compiler") -> str:
        return f"(type({v}) is str and {v} in {env.add(frozenset(self.values))})"


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    max_items: int = 100
    min_items: int = 0
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        if type(value) is not list or not self.min_items <= len(value) <= self.max_items:
            self.fail(where, f"a list of {self.min_items}..{self.max_items} items")
        check = self.item.check
        for i, item in enumerate(value):
            try:
                check(item, where)
            except ArgsInvalid as exc:  # name the item only when it fails: checks are a hot path
                raise _relocated(exc, where, f"{where}[{i}]") from None

    def test_source(self, v: str, env: "_Compiler") -> str:
        if isinstance(self.item, Obj):  # a list of maps (data items): their checks inline, no call per item
            body = textwrap.indent("\n".join(self.item.test_lines("y", env)), "    ")
        else:
            body = f"    if not {self.item.test_source('y', env)}:\n        return False"
        name = env.function("\n".join([
            "", f"if type(x) is not list or not {self.min_items} <= len(x) <= {self.max_items}:",
            "    return False", "for y in x:", body, "return True"]))
        return f"{name}({v})"


@dataclass(frozen=True)
class Obj(Spec):
    fields: Mapping[str, Spec]
    required: bool = True

    def check(self, value: Any, where: str) -> None:
        check_args(self.fields, value, where + ".")

    def test_lines(self, v: str, env: "_Compiler") -> list[str]:
        """Statements that ``return False`` unless the map named ``v`` passes."""
        lines = [f"if type({v}) is not dict or not {v}.keys() <= {env.add(frozenset(self.fields))}:",
                 "    return False"]
        for n, (field, spec) in enumerate(self.fields.items()):
            lines.append(f"f{n} = {v}.get({field!r}, MISSING)")
            test = spec.test_source(f"f{n}", env)
            if spec.required:
                lines += [f"if f{n} is MISSING or not {test}:", "    return False"]
            else:
                lines += [f"if f{n} is not MISSING and not {test}:", "    return False"]
        return lines

    def test_source(self, v: str, env: "_Compiler") -> str:
        name = env.function("\n".join(["", *self.test_lines("x", env), "return True"]))
        return f"{name}({v})"


_MISSING = object()


def check_args(fields: Mapping[str, Spec], args: Any, prefix: str = "") -> None:
    """Check ``args`` against ``fields``: no unknown names, required ones present.

    A hot path (every data item of every catalog entry, at the door and in the
    block), so the common case is one set comparison and one pass over the fields.
    """
    if type(args) is not dict:
        raise ArgsInvalid(f"arguments {prefix or ''}must be a map", field=prefix.rstrip(".") or "args")
    if not args.keys() <= fields.keys():
        name = next(n for n in args if n not in fields)
        raise ArgsInvalid(f"unknown argument {prefix}{name}", field=prefix + name, allowed=sorted(fields))
    get = args.get
    for name, spec in fields.items():
        value = get(name, _MISSING)
        if value is _MISSING:
            if spec.required:
                raise ArgsInvalid(f"missing argument {prefix}{name}", field=prefix + name)
            continue
        try:
            spec.check(value, name)
        except ArgsInvalid as exc:
            raise (_relocated(exc, name, prefix + name) if prefix else exc) from None


def _relocated(exc: ArgsInvalid, old: str, new: str) -> ArgsInvalid:
    """The same refusal, its field path ``old…`` rewritten as ``new…``."""
    field = exc.details.get("field", "")
    details = {**exc.details, "field": new + field[len(old):] if field.startswith(old) else field}
    return ArgsInvalid(exc.message.replace(old, new, 1), **details)


def _passes(check: Any) -> Any:
    """A predicate from a raising ``check``."""
    def test(value: Any) -> bool:
        try:
            check(value, "")
        except ArgsInvalid:
            return False
        return True
    return test


class _Compiler:
    """Collects the helper functions and constants of a compiled test."""

    def __init__(self) -> None:
        self.env: dict[str, Any] = {"MISSING": _MISSING}
        self.source: list[str] = []

    def add(self, value: Any) -> str:
        name = f"c{len(self.env)}"
        self.env[name] = value
        return name

    def function(self, body: str) -> str:
        name = f"t{len(self.source)}"
        self.source.append(f"def {name}(x):" + textwrap.indent(textwrap.dedent(body), "    "))
        return name


def compile_test(fields: Mapping[str, Spec]) -> Callable[[Any], bool]:
    """A fast predicate: True exactly when :func:`check_args` accepts ``args``.

    Checking every data item of every catalog entry at the door is a hot path,
    so the specs are turned into one Python function (as dataclasses and attrs
    generate theirs) with no calls, error paths or field names in the common
    case. When it says False, :func:`check_args` runs to say what is wrong.
    """
    env = _Compiler()
    top = Obj(fields).test_source("args", env)
    code = "\n".join(env.source) + f"\ndef test(args):\n    return {top}\n"
    exec(compile(code, "<mulu args test>", "exec"), env.env)  # noqa: S102 — code generated from specs only
    return env.env["test"]
