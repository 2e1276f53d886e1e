"""Evidence's read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any

from chain.state import StateReader
from contracts.args import Int, Str
from contracts.base import next_cursor, page
from contracts.evidence import contract
from contracts.evidence.keys import EVIDENCE, validator_prefix

LIMIT = Int(min=1, max=1000, required=False)


@contract.query(args={"validator": Str(min_len=0, max_len=64, required=False),
                      "after": Str(min_len=0, max_len=200, required=False), "limit": LIMIT})
def misbehaviour(reader: StateReader, validator: str = "", after: str = "", limit: int = 100) -> dict[str, Any]:
    """Recorded misbehaviour, by validator then height; one validator's with ``validator``; page with
    ``after`` (the previous page's ``next``)."""
    prefix = validator_prefix(validator) if validator else EVIDENCE
    found = list(page(reader, prefix, after, limit))
    rows = [v for _, v in found]
    return {"evidence": rows, "next": next_cursor(rows, limit, found[-1][0] if found else None)}
