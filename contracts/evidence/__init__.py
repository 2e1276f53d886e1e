"""Evidence: validators' misbehaviour, as the consensus engine proved it, recorded on chain.

Departments run validators and do not fully trust each other: when CometBFT
proves that a validator signed two different votes at one height (a
duplicate vote) or took part in a light-client attack, the block that carries
the proof records it here — the validator (its name in genesis, or CometBFT's
address in hex for a key genesis does not map), the height, the kind, the time
— so that anyone reading the chain, and the governance that may remove the
validator, sees it. No transaction writes here: the records come from the
block's evidence (:class:`chain.block.Evidence`), which the engine verified
before deciding the block, and every node records the same.

The state layout is :mod:`contracts.evidence.keys`; the queries are
:mod:`contracts.evidence.queries`.
"""

from __future__ import annotations

from typing import Any, Sequence

from chain.block import Evidence
from chain.execution import StateView
from contracts.base import Contract
from contracts.evidence.keys import evidence_key

KINDS = ("duplicate_vote", "light_client_attack")
"""The misbehaviour CometBFT proves (ABCI ``MisbehaviorType``)."""

contract = Contract("evidence", "验证节点作恶证据 validator misbehaviour")


def record(view: StateView, evidence: Sequence[Evidence], height: int) -> dict[str, Any]:
    """The writes recording a block's evidence (one record per validator, height and kind)."""
    return {evidence_key(e.validator, e.height, e.kind): {"validator": e.validator, "height": e.height,
                                                          "kind": e.kind, "time": e.time, "recorded_height": height}
            for e in evidence}


from contracts.evidence import queries  # noqa: E402,F401 - registers the queries on the contract
