"""Offline audit: verify a chain archive trusting only the genesis file.

The auditor replays the chain from genesis in a private in-memory ledger:
every block is decoded strictly, every header field recomputed (hash links,
transaction/result/state/history roots, validator set, clock), every
transaction signature and admission rule re-checked, every contract call
re-executed, and every commit's signatures counted against the validators'
power. The first broken block ends the replay (later state would be
meaningless); each finding names the block height and the field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from chain.archive import MAGIC, end_frame, read_frames
from chain.block import Block
from chain.encoding import encode, join_array
from chain.errors import MuluError
from chain.execution import Machine
from chain.genesis import Genesis
from chain.ledger import Ledger
from chain.store import MemoryStore


@dataclass(frozen=True)
class Finding:
    """One thing wrong in an archive: where (block height, field, byte offset) and what."""

    height: int | None
    field: str
    code: str
    message: str
    offset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditReport:
    blocks: int
    transactions: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def audit_archive(genesis: Genesis, data: bytes, machine: Machine) -> AuditReport:
    """Verify archive bytes against ``genesis``; never raises for a bad archive."""
    findings: list[Finding] = []
    blocks = txs = 0
    try:
        frames = list(read_frames(data))
    except MuluError as exc:
        return AuditReport(0, 0, (_finding(None, exc, "archive"),))
    if not frames:
        return AuditReport(0, 0, (Finding(None, "genesis", "ARCHIVE_EMPTY", "the archive holds no frame",
                                          len(MAGIC)),))
    if frames[0].data != join_array([encode("genesis"), genesis.canonical]):
        findings.append(Finding(0, "genesis", "GENESIS_MISMATCH",
                                "the archive's genesis differs from the genesis file", frames[0].offset))
        return AuditReport(0, 0, tuple(findings))
    body, end = frames[1:-1], frames[-1] if len(frames) > 1 else None
    if end is None:
        return AuditReport(0, 0, (Finding(None, "end", "ARCHIVE_TRUNCATED", "the archive has no end frame",
                                          len(data)),))
    ledger = Ledger(MemoryStore(), genesis, machine)
    for fr in body:
        height = ledger.tip.height + 1
        try:
            block = Block.from_bytes(fr.data)
            if block.commit is None:
                raise MuluError("block has no commit", code="BLOCK_INVALID", field="commit")
            proposal = ledger.process(block)
            ledger.append(proposal, block.commit)
        except MuluError as exc:
            findings.append(_finding(height, exc, "block", fr.offset))
            return AuditReport(blocks, txs, tuple(findings))
        blocks += 1
        txs += len(block.txs)
    try:
        count, tip_hash = end_frame(end.data)
    except MuluError as exc:
        return AuditReport(blocks, txs, (_finding(None, exc, "end", end.offset),))
    if count != blocks or tip_hash != ledger.tip.hash:
        findings.append(Finding(count, "end", "ARCHIVE_END_MISMATCH",
                                f"end frame claims {count} blocks ending in {tip_hash.hex()[:16]}…, "
                                f"the archive holds {blocks} ending in {ledger.tip.hash.hex()[:16]}…", end.offset))
    return AuditReport(blocks, txs, tuple(findings))


def _finding(height: int | None, exc: MuluError, default_field: str, offset: int | None = None) -> Finding:
    """A finding at the block's position in the archive (a forged block may claim another height)."""
    field = str(exc.details.get("field") or exc.details.get("record") or default_field)
    message = exc.message
    claimed = exc.details.get("height")
    if claimed is not None and claimed != height:
        message += f" (the block claims height {claimed})"
    return Finding(height, field, exc.code, message, exc.details.get("offset", offset))
