"""The duty catalog's read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from chain.state import StateReader
from contracts.args import Int, Str, Uscc
from contracts.duty import ITEM_ID, approved_item, contract
from contracts.duty.keys import item_key, items_prefix, version_key, versions_prefix

LIMIT = Int(min=1, max=1000, required=False)
ITEM = Str(max_len=64, pattern=ITEM_ID)


def _not_found(department: str, item_id: str) -> NotFound:
    return NotFound(f"{department} has no duty item {item_id}", code="DUTY_ITEM_NOT_FOUND", uscc=department,
                    item_id=item_id)


@contract.query(args={"department": Uscc(), "after": Str(min_len=0, max_len=64, required=False), "limit": LIMIT})
def items(reader: StateReader, department: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A department's duty items (职责事项): each one's latest version; page with ``after`` (an item id)."""
    prefix = items_prefix(department)
    rows = [v for _, v in reader.keys(prefix, after=prefix + after if after else "", limit=limit)]
    return {"uscc": department, "items": rows, "next": rows[-1]["item_id"] if len(rows) == limit else None}


@contract.query(args={"department": Uscc(), "item_id": ITEM})
def item(reader: StateReader, department: str, item_id: str) -> dict[str, Any]:
    """A duty item's latest version and the version in force (approved), if any."""
    current = reader.get(item_key(department, item_id))
    if current is None:
        raise _not_found(department, item_id)
    return {"current": current, "approved": approved_item(reader, department, item_id)}


@contract.query(args={"department": Uscc(), "item_id": ITEM, "after": Int(min=0, required=False), "limit": LIMIT})
def versions(reader: StateReader, department: str, item_id: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every version of a duty item after number ``after``, oldest first, each linked to the one before."""
    current = reader.get(item_key(department, item_id))
    prefix = versions_prefix(department, item_id)
    listed = [v for _, v in reader.keys(prefix, after=version_key(department, item_id, after) if after else "",
                                        limit=limit)]
    last = listed[-1]["version"] if listed else after
    if current is not None and len(listed) < limit and current["version"] > last:
        listed.append(current)
    if not listed and not after:
        raise _not_found(department, item_id)
    return {"uscc": department, "item_id": item_id, "versions": listed}
