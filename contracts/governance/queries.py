"""Governance's read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from contracts.args import Int, OneOf, Str
from contracts.base import next_cursor, page
from contracts.governance import APPROVED, EXPIRED, FAILED, OPEN, REJECTED, contract
from contracts.governance.keys import PROPOSAL, proposal_key, status_prefix

STATUSES = (OPEN, APPROVED, REJECTED, EXPIRED, FAILED)


@contract.query(args={"status": OneOf(STATUSES, required=False),
                      "after": Str(min_len=0, max_len=64, required=False),
                      "limit": Int(min=1, max=1000, required=False)})
def proposals(reader: Any, status: str | None = None, after: str = "", limit: int = 100) -> dict[str, Any]:
    """Proposals with their votes and status, by id; only those in ``status`` when given (from the
    status index); page with ``after`` (an id)."""
    if status is None:
        rows = [v for _, v in page(reader, PROPOSAL, after, limit)]
    else:
        ids = [pid for pid, _ in page(reader, status_prefix(status), after, limit)]
        rows = [reader.get(proposal_key(i)) for i in ids]
    return {"proposals": rows, "next": next_cursor(rows, limit, rows[-1]["id"] if rows else None)}


@contract.query(args={"proposal_id": Str(min_len=1, max_len=64)})
def proposal(reader: Any, proposal_id: str) -> dict[str, Any]:
    """One proposal with its votes, status and outcome."""
    value = reader.get(proposal_key(proposal_id))
    if value is None:
        raise NotFound(f"no proposal {proposal_id}", code="PROPOSAL_NOT_FOUND", proposal_id=proposal_id)
    return value
