"""The data catalog's read-only queries: what the API, the CLI and the engine's ``query`` serve.

Each is a function of committed state (:class:`~chain.state.StateReader`) and
keyword arguments; listings page with a cursor (``after``) and a ``limit``,
and are served by the contract's indexes (:mod:`contracts.catalog.keys`).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from chain.errors import NotFound
from chain.state import StateReader
from contracts import duty
from contracts.args import Bool, Int, Str, Uscc
from contracts.base import next_cursor, page
from contracts.duty.queries import linked
from contracts.text import normalize
from contracts.catalog import contract, diff, update_status
from contracts.catalog.elements import standard_name
from contracts.catalog.keys import (
    ELEMENT,
    GENERIC,
    OVERLAP,
    TERMS,
    declares_prefix,
    dept_prefix,
    entry_key,
    overlap_key,
    provides_key,
)

LIMIT = Int(min=1, max=1000, required=False)
AFTER_TEXT = Str(min_len=0, max_len=512, required=False)
CODE = Str(max_len=64)
HEIGHT = Int(min=0, required=False)


def _not_found(code: str, what: str = "", **details: Any) -> NotFound:
    return NotFound(f"no catalog entry {code}{what}", code="CATALOG_ENTRY_NOT_FOUND", resource_code=code, **details)


@contract.query(args={"code": CODE, "height": HEIGHT})
def entry(reader: StateReader, code: str, height: int | None = None) -> dict[str, Any]:
    """An entry by 资源代码: its current version, or the version in force at ``height``, with its
    一数一源 overlaps."""
    version = reader.version(entry_key(code), height)
    if version is None or version.value is None:
        raise _not_found(code, "" if height is None else f" at height {height}")
    return {**version.value, "overlaps": reader.get(overlap_key(code)) or []}


@contract.query(args={"code": CODE, "after": Int(min=0, required=False), "limit": LIMIT})
def versions(reader: StateReader, code: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every version of an entry after number ``after``, oldest first, each with the hash of its state
    version and of the one before (the record's state history)."""
    found = reader.versions(entry_key(code), skip=after, limit=limit)
    if not found and not after:
        raise _not_found(code)
    return {"resource_code": code, "versions": [linked(v, reader) for v in found]}


def _version(reader: StateReader, code: str, number: int) -> dict[str, Any]:
    found = reader.versions(entry_key(code), skip=number - 1, limit=1)
    if not found:
        raise NotFound(f"no version {number} of catalog entry {code}", code="CATALOG_ENTRY_NOT_FOUND",
                       resource_code=code, version=number)
    return found[0].value


@contract.query(args={"code": CODE, "from_version": Int(min=1), "to_version": Int(min=1)})
def changes(reader: StateReader, code: str, from_version: int, to_version: int) -> dict[str, Any]:
    """What changed between two versions: fields, and 信息项 added, removed or changed."""
    return diff(_version(reader, code, from_version), _version(reader, code, to_version))


@contract.query(args={"department": Uscc(), "after": AFTER_TEXT, "limit": LIMIT})
def entries(reader: StateReader, department: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A department's entries (current versions) by 资源代码; page with ``after`` (a code)."""
    prefix = dept_prefix(department)
    codes = [code for code, _ in page(reader, prefix, after, limit)]
    rows = [reader.get(entry_key(c)) for c in codes]
    return {"department": department, "entries": rows, "next": next_cursor(codes, limit, codes[-1] if codes else None)}


@contract.query(args={"after": AFTER_TEXT, "limit": LIMIT})
def overlaps(reader: StateReader, after: str = "", limit: int = 100) -> dict[str, Any]:
    """一数一源: entries declaring data items another department already provides, each item with
    that department and how many of its entries declare it; page with ``after`` (a code)."""
    rows = [{"resource_code": code, "overlaps": v} for code, v in page(reader, OVERLAP, after, limit)]
    return {"overlaps": rows, "next": next_cursor(rows, limit, rows[-1]["resource_code"] if rows else None)}


@contract.query(args={"item": Str(max_len=100), "limit": LIMIT})
def provides(reader: StateReader, item: str, limit: int = 100) -> dict[str, Any]:
    """一数一源: the departments whose current entries declare data item ``item``, each with how
    many and the first ``limit`` of their resource codes (``next`` pages on with
    :func:`declared_by`) — what review checks before a department collects it again.

    ``item`` is matched through the data-element dictionary: the answer names the standard
    name (``item``) and the name asked (``asked``); a generic item (``generic``) has no
    providers. Each entry's own names stay in the entry, and in its overlap records."""
    asked = normalize(item)
    terms = reader.get(TERMS)
    name = standard_name(terms, asked)
    if not name:  # generic: never indexed, never an overlap
        return {"item": asked, "asked": asked, "generic": True, "providers": []}
    rows = []
    for row in reader.get(provides_key(name)) or ():
        codes = _codes_page(reader, name, row, "", limit)
        rows.append({"provider": row[0], "entries": row[1], "resource_codes": codes,
                     "written": _written(reader, terms, name, codes),
                     "next": next_cursor(codes, limit, codes[-1] if codes else None)})
    return {"item": name, "asked": asked, "generic": False, "providers": rows}


def _written(reader: StateReader, terms: Any, name: str, codes: list[str]) -> list[str]:
    """The names as written, in the entries ``codes``, of the data items matched under the standard
    name ``name`` (社会信用代码 and 信用代码 for 统一社会信用代码): one read per listed entry."""
    found = set()
    for code in codes:
        record = reader.get(entry_key(code))
        if record is not None:
            found.update(item["name"] for item in record["entry"]["data_items"]
                         if standard_name(terms, item["name"]) == name)
    return sorted(found)


@contract.query(args={"after": AFTER_TEXT, "limit": LIMIT})
def data_elements(reader: StateReader, after: str = "", limit: int = 100) -> dict[str, Any]:
    """数据元: the dictionary's standard data elements by name (with their synonyms), and the generic
    item names; page the elements with ``after`` (a name)."""
    rows = [v for _, v in page(reader, ELEMENT, after, limit)]
    return {"elements": rows, "generic": reader.get(GENERIC) or [],
            "next": next_cursor(rows, limit, rows[-1]["name"] if rows else None)}


@contract.query(args={"item": Str(max_len=100), "provider": Uscc(), "after": AFTER_TEXT, "limit": LIMIT})
def declared_by(reader: StateReader, item: str, provider: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """The resource codes of ``provider``'s current entries declaring data item ``item``; page with
    ``after`` (a code). Served by the 一数一源 index: the item's row of the provider, or its declares
    keys (:mod:`contracts.catalog.keys`)."""
    name = standard_name(reader.get(TERMS), normalize(item))
    row = next((row for row in reader.get(provides_key(name)) or () if row[0] == provider), None) if name else None
    codes = [] if row is None else _codes_page(reader, name, row, after, limit)
    return {"item": name, "provider": provider, "resource_codes": codes,
            "next": next_cursor(codes, limit, codes[-1] if codes else None)}


def _codes_page(reader: StateReader, item: str, row: list[Any], after: str, limit: int) -> list[str]:
    """One page of the codes of the entries declaring ``item`` of the department of its index
    ``row``: from the row while they fit there, else from their declares keys."""
    provider, _, codes = row
    if codes is None:
        return [code for code, _ in page(reader, declares_prefix(item, provider), after, limit)]
    start = bisect_right(codes, after)
    return codes[start:start + limit]


@contract.query(args={"now": Int(min=0), "include_due": Bool(required=False), "after": AFTER_TEXT, "limit": LIMIT})
def overdue(reader: StateReader, now: int, include_due: bool = False, after: str = "",
            limit: int = 100) -> dict[str, Any]:
    """Departments whose data catalog was not updated within N working days of a duty change
    (002:第九条) as of block time ``now``; ``include_due`` adds those still within the deadline.
    A page looks at ``limit`` departments with a duty change, from after ``after``."""
    departments = duty.changed_departments(reader, after=after, limit=limit)
    rows = []
    for department in departments:
        row = update_status(reader, department, now)
        if row is not None and (include_due or row["status"] != "due"):
            rows.append(row)
    return {"departments": rows, "next": next_cursor(departments, limit, departments[-1] if departments else None)}
