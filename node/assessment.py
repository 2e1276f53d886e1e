"""Running the half-year assessment on a node's ledger, and re-computing it from an export.

:func:`assess` computes :func:`contracts.assessment.report.compute` over the
ledger's state at its certified tip (the height the result is anchored with);
:func:`verify_archive` replays an export — checking every block, as the audit
does — to the height an anchored result names, computes the report there and
compares its digest with the anchored one.
"""

from __future__ import annotations

from typing import Any

from chain.archive import read_frames
from chain.audit import audit_archive
from chain.block import Block
from chain.errors import MuluError, NotFound
from chain.genesis import Genesis
from chain.ledger import Ledger
from chain.store import MemoryStore
from contracts.assessment import report as assessment
from contracts.assessment.keys import report_key
from contracts.registry import Registry


def _report(ledger: Ledger, period: str, blocks: Any, height: int, as_of: int) -> dict[str, Any]:
    start, end = assessment.period_bounds(period)
    found = assessment.compute(ledger.state, chain_id=ledger.genesis.chain_id, period=period, height=height,
                               as_of=as_of, refused=assessment.refused_in(blocks, start, end))
    return {"report": found, "digest": assessment.digest(ledger.profile, found), "figures": assessment.figures(found)}


def assess(ledger: Ledger, period: str) -> dict[str, Any]:
    """The assessment of ``period`` as of the last certified block (an export ends there), computed over
    the state at the tip: so the tip must be that block, or a block after it that changed nothing (on
    CometBFT, the block carrying the last certificate)."""
    height = ledger.certified
    for later in range(height + 1, ledger.tip.height + 1):
        block = ledger.block(later)
        if block.txs or block.evidence:
            raise NotFound(f"block {later} is not certified yet; assess once it is", code="BLOCK_NOT_CERTIFIED",
                           height=later, certified=height)
    if height < 1:
        raise NotFound("no block is certified yet", code="BLOCK_NOT_CERTIFIED", height=height)
    return _report(ledger, period, (ledger.block(h) for h in range(1, height + 1)), height,
                   ledger.block(height).header.time)


def verify_archive(genesis: Genesis, data: bytes, period: str) -> dict[str, Any]:
    """Re-compute the anchored assessment of ``period`` from an export and compare digests."""
    machine = Registry()
    audit = audit_archive(genesis, data, machine)
    if not audit.ok:
        raise MuluError("the export does not verify: " + "; ".join(f.message for f in audit.findings[:3]),
                        code="ARCHIVE_INVALID")
    frames = list(read_frames(data))[1:-1]
    ledger = Ledger(MemoryStore(), genesis, machine)
    blocks = []
    for fr in frames:
        block = Block.from_bytes(fr.data)
        ledger.append(ledger.process(block), block.commit)
        blocks.append(block)
    anchored = ledger.state.get(report_key(period))
    if anchored is None:
        raise NotFound(f"the export anchors no assessment of {period}", code="ASSESSMENT_NOT_FOUND", period=period)
    replay = Ledger(MemoryStore(), genesis, machine)
    for block in blocks[:anchored["height"]]:
        replay.append(replay.process(block), block.commit)
    computed = _report(replay, period, blocks[:anchored["height"]], replay.tip.height, replay.tip.time)
    return {"period": period, "height": anchored["height"], "anchored_digest": anchored["digest"].hex(),
            "computed_digest": computed["digest"].hex(), "match": computed["digest"] == anchored["digest"],
            "figures_match": computed["figures"] == anchored["figures"], "report": computed["report"]}
