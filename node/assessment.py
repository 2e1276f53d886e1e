"""Running the half-year assessment on a node's ledger, and re-computing it from an export.

:func:`assess` computes :func:`contracts.assessment.report.compute` over the
ledger's state at its certified tip (the height the result is anchored with),
or at an earlier certified height asked for — by the ledger's state when no
block after it changed anything, else by replaying the node's own blocks up to
it into memory — so that any two nodes asked for one height return the same
bytes; :func:`verify_archive` replays an export — checking every block, as the
audit does — to the height an anchored result names, computes the report there
and compares its digest with the anchored one.
"""

from __future__ import annotations

from typing import Any, Iterable

from chain.archive import read_frames
from chain.audit import audit_archive
from chain.block import Block
from chain.errors import BadRequest, MuluError, NotFound
from chain.genesis import Genesis
from chain.ledger import Ledger
from chain.store import MemoryStore
from contracts.assessment import report as assessment
from contracts.assessment.keys import report_key
from contracts.registry import Registry

REPLAY_LIMIT = 20_000
"""The most transactions a node replays in memory to answer an assessment at an earlier height: a
request may not make it re-execute (and hold) a whole large chain; an export is assessed offline."""


def _report(ledger: Ledger, period: str, blocks: Any, height: int, as_of: int) -> dict[str, Any]:
    start, end = assessment.period_bounds(period)
    found = assessment.compute(ledger.state, chain_id=ledger.genesis.chain_id, period=period, height=height,
                               as_of=as_of, refused=assessment.refused_in(blocks, start, end))
    return {"report": found, "digest": assessment.digest(ledger.profile, found), "figures": assessment.figures(found)}


def _changed_after(ledger: Ledger, height: int) -> int | None:
    """The first block after ``height`` that changed state (one with transactions or evidence), or None:
    while None, the ledger's current state is the state after block ``height``."""
    for later in range(height + 1, ledger.tip.height + 1):
        block = ledger.block(later)
        if block.txs or block.evidence:
            return later
    return None


def _replayed(genesis: Genesis, blocks: Iterable[Block], machine: Registry | None = None) -> Ledger:
    """A ledger in memory holding ``blocks`` re-executed and checked from the genesis, as an auditor would."""
    ledger = Ledger(MemoryStore(), genesis, machine or Registry())
    for block in blocks:
        ledger.append(ledger.process(block), block.commit)
    return ledger


def assess(ledger: Ledger, period: str, height: int | None = None) -> dict[str, Any]:
    """The assessment of ``period`` as of certified block ``height`` (default: the last certified, as an
    export ends there).

    Computed over the ledger's state when no block after ``height`` changed anything (on CometBFT the tip
    may be the block carrying the last certificate), checked again once computed, so that a block
    committed meanwhile is never half read. Otherwise an asked-for height is computed over the node's
    blocks up to it replayed into memory (what ``mulu assess verify`` does with an export: slower, the same
    bytes); with no height asked for, BLOCK_NOT_CERTIFIED says to try again once the tip is certified."""
    certified = ledger.certified
    if certified < 1:
        raise NotFound("no block is certified yet", code="BLOCK_NOT_CERTIFIED", height=certified)
    if height is not None and not 1 <= height <= certified:
        raise NotFound(f"no certified block {height} to assess at; the last certified is {certified}",
                       code="BLOCK_NOT_CERTIFIED", height=height, certified=certified)
    at = certified if height is None else height
    later = _changed_after(ledger, at)
    if later is None:
        found = _report(ledger, period, (ledger.block(h) for h in range(1, at + 1)), at, ledger.block(at).header.time)
        later = _changed_after(ledger, at)
        if later is None:
            return found
    if height is None:
        raise NotFound(f"block {later} is not certified yet; assess once it is", code="BLOCK_NOT_CERTIFIED",
                       height=later, certified=certified)
    blocks, replaying = [], 0
    for h in range(1, at + 1):
        blocks.append(ledger.block(h))
        replaying += len(blocks[-1].txs)
        if replaying > REPLAY_LIMIT:
            raise BadRequest(f"assessing at block {at} means replaying more than {REPLAY_LIMIT} transactions in "
                             "memory here: export the chain (mulu export) and compute it offline (mulu assess "
                             "verify), or ask for the last certified block", code="ASSESSMENT_REPLAY_TOO_LONG",
                             height=at, limit=REPLAY_LIMIT)
    replay = _replayed(ledger.genesis, blocks)
    try:
        return _report(replay, period, blocks, at, replay.tip.time)
    finally:
        replay.close()


def verify_archive(genesis: Genesis, data: bytes, period: str) -> dict[str, Any]:
    """Re-compute the anchored assessment of ``period`` from an export and compare digests."""
    machine = Registry()
    audit = audit_archive(genesis, data, machine)
    if not audit.ok:
        raise MuluError("the export does not verify: " + "; ".join(f.message for f in audit.findings[:3]),
                        code="ARCHIVE_INVALID")
    blocks = [Block.from_bytes(fr.data) for fr in list(read_frames(data))[1:-1]]
    ledger = _replayed(genesis, blocks, machine)
    anchored = ledger.state.get(report_key(period))
    if anchored is None:
        raise NotFound(f"the export anchors no assessment of {period}", code="ASSESSMENT_NOT_FOUND", period=period)
    replay = _replayed(genesis, blocks[:anchored["height"]], machine)
    computed = _report(replay, period, blocks[:anchored["height"]], replay.tip.height, replay.tip.time)
    return {"period": period, "height": anchored["height"], "anchored_digest": anchored["digest"].hex(),
            "computed_digest": computed["digest"].hex(), "match": computed["digest"] == anchored["digest"],
            "figures_match": computed["figures"] == anchored["figures"], "report": computed["report"]}
