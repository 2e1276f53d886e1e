"""The validator sets' read-only queries."""

from __future__ import annotations

from typing import Any

from chain.state import StateReader
from contracts.validators import contract, record, sets


@contract.query(args={})
def history(reader: StateReader) -> dict[str, Any]:
    """Every validator set by the height it takes effect at (0: genesis), the newest last."""
    return {"sets": [{"effective": e, "validators": [record(v) for v in vs]} for e, vs in sets(reader)]}
