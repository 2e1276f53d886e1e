"""Members' read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from contracts.args import Int, Str
from contracts.base import next_cursor, page
from contracts.identity import MEMBER_ACTIVE, contract
from contracts.identity.keys import MEMBER, member_key


def member_public(value: dict[str, Any]) -> dict[str, Any]:
    """A member record as shown: its keys as a list with their ids."""
    return {"uscc": value["uscc"], "name": value["name"], "roles": value["roles"],
            "status": value.get("status", MEMBER_ACTIVE),
            "keys": [{"key_id": k, **r} for k, r in value["keys"].items()]}


@contract.query(args={"after": Str(min_len=0, max_len=18, required=False), "limit": Int(min=1, max=1000, required=False)})
def members(reader: Any, after: str = "", limit: int = 100) -> dict[str, Any]:
    """Members (departments, districts, authorities) by 统一社会信用代码; page with ``after``."""
    rows = [member_public(v) for _, v in page(reader, MEMBER, after, limit)]
    return {"members": rows, "next": next_cursor(rows, limit, rows[-1]["uscc"] if rows else None)}


@contract.query(args={"uscc": Str(min_len=1, max_len=64)})
def member(reader: Any, uscc: str) -> dict[str, Any]:
    """One member with its roles and keys."""
    value = reader.get(member_key(uscc))
    if value is None:
        raise NotFound(f"{uscc} is not a member", code="MEMBER_NOT_FOUND", uscc=uscc)
    return member_public(value)
