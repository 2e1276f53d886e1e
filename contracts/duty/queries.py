"""The duty catalog's read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from chain.state import StateReader, Version
from contracts.args import Int, Str, Uscc
from contracts.base import next_cursor, page
from contracts.duty import ITEM_ID, approved_version, contract
from contracts.duty.keys import item_key, items_prefix

LIMIT = Int(min=1, max=1000, required=False)
ITEM = Str(max_len=64, pattern=ITEM_ID)


def _not_found(department: str, item_id: str) -> NotFound:
    return NotFound(f"{department} has no duty item {item_id}", code="DUTY_ITEM_NOT_FOUND", uscc=department,
                    item_id=item_id)


@contract.query(args={"department": Uscc(), "after": Str(min_len=0, max_len=64, required=False), "limit": LIMIT})
def items(reader: StateReader, department: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A department's duty items (职责事项): each one's latest version; page with ``after`` (an item id)."""
    rows = [v for _, v in page(reader, items_prefix(department), after, limit)]
    return {"uscc": department, "items": rows, "next": next_cursor(rows, limit, rows[-1]["item_id"] if rows else None)}


@contract.query(args={"department": Uscc(), "item_id": ITEM})
def item(reader: StateReader, department: str, item_id: str) -> dict[str, Any]:
    """A duty item's latest version and the version in force (approved), if any."""
    current = reader.get(item_key(department, item_id))
    if current is None:
        raise _not_found(department, item_id)
    number = approved_version(reader, department, item_id)
    approved = None if number is None else reader.versions(item_key(department, item_id), skip=number - 1,
                                                           limit=1)[0].value
    return {"current": current, "approved": approved}


@contract.query(args={"department": Uscc(), "item_id": ITEM, "after": Int(min=0, required=False), "limit": LIMIT})
def versions(reader: StateReader, department: str, item_id: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every version of a duty item after number ``after``, oldest first, each with the hash of its
    state version and of the one before (the record's state history)."""
    found = reader.versions(item_key(department, item_id), skip=after, limit=limit)
    if not found and not after:
        raise _not_found(department, item_id)
    return {"uscc": department, "item_id": item_id, "versions": [linked(v, reader) for v in found]}


def linked(version: Version, reader: StateReader) -> dict[str, Any]:
    """A record's version with its state height and its links: its own hash and the previous one's."""
    return {**version.value, "state_height": version.height, "prev_hash": version.prev_hash,
            "hash": reader.version_hash(version)}
