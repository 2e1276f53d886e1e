"""Benchmark: the acceptance verdict with its evidence, on a chain holding the catalog bench's entries.

A project of :data:`LINES` catalog lines (each naming one of the department's
published entries, with five of its data items) is walked to acceptance on
the catalog bench's node — 100,000 entries by default — with two systems,
their escrowed credentials, 确权 and 对接. Then :func:`node.review.evidence`
(the verdict at the certified tip, a state proof of every record it read and
the writing transactions' inclusion proofs) is timed — the first answer, with
no block's trees in memory, against the target; then the same question again,
as a review service answering it a second time (``again_ms``) — and the
evidence is re-checked offline once. Target: under 100 ms per verdict with
evidence, cold.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

from chain.envelope import generate_custodian_key, scheme_for, seal
from contracts.system import escrow
from node import review
from node.node import Node
from node.samples import by_short

LINES = 200
PID = "BENCH-2026-000001"
TARGET_MS = 100.0


def _walk(node: Node, tx: Callable[[str, str, str, dict], bytes], department: str, codes: list[str]) -> None:
    """Every step from registering the project to what acceptance needs, each batch in its own block."""
    jingxin, bianban, finance = (by_short(s).uscc for s in ("经信局", "市委编办", "市财政局"))

    def run(*raws: bytes) -> None:
        admissions = node.engine.submit(list(raws))
        if not all(a.ok for a in admissions):
            raise SystemExit(f"review bench refused: {[a.error for a in admissions if not a.ok][:2]}")
        node.engine.run_until_empty()

    def anchor(sender: str, doc_id: str) -> bytes:
        return tx(sender, "anchor", "put", {"doc_id": doc_id, "title": doc_id, "kind": "other",
                                            "digest": node.genesis.profile.hash(doc_id.encode())})

    state = node.ledger.state
    lines = []
    for n, code in enumerate(codes):
        items = state.get(f"catalog/entry/{code}")["entry"]["data_items"][:5]
        lines.append({"line_id": f"L{n:04d}", "name": f"数据{n}", "resource_code": code, "data_items": items,
                      "update_cycle": "daily", "share_type": "conditional", "open_to_public": False,
                      "duty_items": ["D01-01"], "source": "reuse"})
    run(anchor(department, "apply"), anchor(jingxin, "accept"), anchor(jingxin, "opinion"),
        anchor(finance, "invest"), anchor(department, "contract"), anchor(department, "integration"),
        anchor(jingxin, "acceptance"))
    run(tx(department, "project", "register", {"project_id": PID, "name": "基准项目", "investment": 10_000_000,
                                                "summary": "benchmark", "doc_id": "apply"}))
    for stage in ("declared", "pre_acceptance"):
        if stage == "pre_acceptance":
            run(tx(jingxin, "project", "accept_for_review", {"project_id": PID, "doc_id": "accept"}))
            run(tx(jingxin, "project", "grant_opinion", {"project_id": PID, "doc_id": "opinion"}))
            run(tx(finance, "project", "approve_investment", {"project_id": PID, "investment": 9_000_000,
                                                               "construction_months": 12, "doc_id": "invest"}))
            run(tx(department, "project", "start_construction", {"project_id": PID, "doc_id": "contract"}))
        run(*[tx(department, "project", "file_catalog", {"project_id": PID, "stage": stage,
                                                         "lines": lines[i:i + 50]}) for i in range(0, len(lines), 50)])
    custodian = generate_custodian_key(node.genesis.profile.name)
    run(tx(jingxin, "system", "set_custodian_key", {"public_key": custodian.public_key}),
        *[tx(department, "system", "register", {"code": f"bench-sys-{i}", "name": f"系统{i}", "project": PID,
                                                "deployment": "gov_cloud", "protection_level": 3}) for i in range(2)],
        *[tx(bianban, "project", "confirm_ownership", {"resource_code": code}) for code in codes])
    salt = b"\x00" * escrow.SALT_SIZE
    scheme = scheme_for(node.genesis.profile.name)
    run(*[tx(department, "project", "commit_sharing", {"resource_code": code}) for code in codes],
        *[tx(department, "system", "submit_credential", {
            "code": f"bench-sys-{i}", "commitment": escrow.commitment(node.genesis.profile, "admin", b"pw", salt),
            "envelope": seal(custodian.public_key, escrow.plaintext("admin", b"pw", salt),
                             escrow.context(f"bench-sys-{i}"), scheme=scheme).to_bytes()}) for i in range(2)],
        tx(department, "project", "record_integration", {"project_id": PID, "infrastructures": ["三京"],
                                                          "doc_id": "integration"}))


def measure(node: Node, tx: Callable[[str, str, str, dict], bytes], department: str,
            codes: list[str]) -> dict[str, Any]:
    """Walk a project of ``len(codes)`` lines to acceptance, then time its verdict with evidence."""
    _walk(node, tx, department, codes)
    ledger = node.ledger
    times = []
    for _ in range(7):  # the first with no block's trees in memory (cold), then as a service answers again
        start = time.perf_counter()
        bundle = review.evidence(ledger, PID)
        times.append(time.perf_counter() - start)
    if not bundle["verdict"]["passed"]:
        failures = [c for c in bundle["verdict"]["conditions"] if not c["met"]]
        raise SystemExit(f"review bench: the project should pass acceptance: {failures[:1]}")
    start = time.perf_counter()
    checked = review.check(node.genesis, bundle)
    offline = time.perf_counter() - start
    if not checked["verified"]:
        raise SystemExit(f"review bench: the evidence does not verify: {checked['errors'][:2]}")
    cold, warm = times[0] * 1000, statistics.median(times[1:]) * 1000
    return {"lines": len(codes), "catalog_entries_on_chain": None, "records_proven": len(bundle["records"]),
            "transactions_proven": len(bundle["transactions"]), "verdict_with_evidence_ms": round(cold, 1),
            "again_ms": round(warm, 1), "offline_check_ms": round(offline * 1000, 1), "target_ms": TARGET_MS,
            "ok": cold < TARGET_MS}
