"""Checking catalog rows before anything is signed: the chain's own argument specs and contract rules.

Each row is checked with ``catalog.publish``'s argument specs (every field, every data item)
and then with the contract's rules (:func:`contracts.catalog.rule_problems`, every rule it
breaks), over one of two views of state:

* :class:`NodeView`, the node's current state, read in batches of up to 1000 keys
  (``POST /v1/state/batch``) before the rows are checked: whether a code is another
  department's, a duty item approved, a note approved, a related code catalogued;
* :class:`FileView`, the file alone: what the chain holds is taken to agree with the
  file (its duty items approved, its notes approved, its related codes catalogued), so
  only what the file itself shows wrong is reported.

Rows checked in file order see the rows before them (a related code to an earlier row is
fine). A row whose entry is on chain unchanged is marked ``unchanged``, to be skipped.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterable

from chain.errors import ArgsInvalid, RuleViolation
from chain.execution import Overlay
from cli.client import Client
from cli.intake import Intake, Row
from contracts import catalog
from contracts.args import ListOf, Obj
from contracts.base import Call
from contracts.catalog import ENTRY_ARGS
from contracts.catalog.keys import ENTRY, NOTE, entry_key, note_key
from contracts.duty.keys import APPROVED, approved_key

PUBLISH = catalog.contract.methods["publish"]
READ_BATCH = 1000
"""Keys a node is asked for in one request (the API's limit)."""


class NodeView:
    """The node's current state for the keys :meth:`prefetch` read; any other key is read on its own."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.values: dict[str, Any] = {}

    def prefetch(self, keys: Iterable[str]) -> None:
        wanted = sorted(set(keys) - self.values.keys())
        for start in range(0, len(wanted), READ_BATCH):
            chunk = wanted[start:start + READ_BATCH]
            self.values.update(zip(chunk, self.client.state_values(chunk)))

    def get(self, key: str) -> Any:
        if key not in self.values:
            self.prefetch([key])
        return self.values[key]


class FileView:
    """The file alone: every entry, duty item and note the rules ask about is taken to be there as the
    file says (an entry is the sender's own), so only what the file shows wrong is found."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    def prefetch(self, keys: Iterable[str]) -> None:
        pass

    def get(self, key: str) -> Any:
        if key.startswith(ENTRY):
            return {"signer": self.sender, "entry": None}
        if key.startswith((NOTE, APPROVED)):
            return 1
        return None


def spec_problems(args: dict[str, Any], skip: set[str]) -> list[ArgsInvalid]:
    """Every argument of ``args`` that ``catalog.publish``'s specs refuse (each data item on its own),
    except the fields in ``skip`` (already reported when their cells were read)."""
    if not skip:
        try:
            PUBLISH.check_args(args)  # the door's compiled test: the common case, passing, at once
            return []
        except ArgsInvalid:
            pass
    found = [ArgsInvalid(f"unknown argument {name}", field=name) for name in args if name not in ENTRY_ARGS]
    for name, spec in ENTRY_ARGS.items():
        if name in skip:
            continue
        if name not in args:
            if spec.required:
                found.append(ArgsInvalid(f"missing argument {name}", field=name))
            continue
        try:
            value = args[name]
            if isinstance(spec, ListOf) and isinstance(spec.item, Obj):  # every data item, not the first bad one
                if type(value) is not list or not spec.min_items <= len(value) <= spec.max_items:
                    spec.check(value, name)
                for i, item in enumerate(value):
                    try:
                        spec.item.check(item, f"{name}[{i}]")
                    except ArgsInvalid as exc:
                        found.append(exc)
            else:
                spec.check(value, name)
        except ArgsInvalid as exc:
            found.append(exc)
    return found


class Checker:
    """Checks rows in file order, in as many calls as they come (a file is checked while it is read):
    each row sees the rows checked before it."""

    def __init__(self, intake: Intake, sender: str, view: NodeView | FileView) -> None:
        self.intake, self.sender, self.view = intake, sender, view
        self.seen: dict[str, int] = {}
        self.state = Overlay(view)

    def check(self, rows: list[Row]) -> None:
        """Add to each of ``rows`` every problem the specs and rules find, and mark those whose entry is
        on chain unchanged (``row.unchanged``)."""
        sender, intake, state = self.sender, self.intake, self.state
        keys = []
        for row in rows:
            a = row.args
            keys += [entry_key(c) for c in (a.get("resource_code"), *(a.get("related_codes") or ()))
                     if type(c) is str]
            keys += [approved_key(sender, i) for i in a.get("duty_items") or () if type(i) is str]
            if type(a.get("note_id")) is str:
                keys.append(note_key(sender, a["note_id"]))
        self.view.prefetch(keys)
        for row in rows:
            for exc in spec_problems(row.args, {p.field.split("[")[0] for p in row.problems}):
                field = exc.details.get("field", "")
                row.problems.append(intake.problem(row, field, exc.code, _plain(exc.message)))
            code = row.args.get("resource_code")
            if type(code) is str and code in self.seen:
                row.problems.append(intake.problem(row, "resource_code", "INTAKE_CODE_REPEATED",
                                                   f"资源代码 {code} is also the code of row {self.seen[code]}"))
            call = Call(SimpleNamespace(sender=sender, args=row.args, key_id=""), None)
            for exc in catalog.rule_problems(state, call):
                row.problems.append(intake.problem(row, exc.field, exc.code, _rule_message(exc)))
            if row.problems:
                continue
            self.seen[code] = row.number
            current = state.get(entry_key(code))
            row.unchanged = bool(current and current.get("entry")) and current["entry"] == catalog.stored_entry(
                row.args)
            state.writes[entry_key(code)] = {"signer": sender, "entry": None}  # later rows see it catalogued


def _plain(message: str) -> str:
    """An argument refusal as a clerk reads it: without the word "argument"."""
    return message.removeprefix("argument ")


def _rule_message(exc: RuleViolation) -> str:
    return f"{exc.message} ({exc.article})" if exc.article else exc.message
