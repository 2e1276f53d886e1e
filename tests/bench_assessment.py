"""Benchmark: the half-year assessment over 70 departments, 20,000 catalog entries and 2,000 systems.

A chain whose genesis names the sample authorities and 70 departments (the
sample's five and 65 more) is filled in process: one approved duty item per
department, 20,000 ``catalog.publish`` entries with ten data items each, 2,000
systems (every third off the cloud) and escrowed credentials for half of them.
Then :func:`node.assessment.assess` — every finding, the catalog quality, the
penalties, the block scan for refused submissions, the digest — is timed.
Target: under 10 seconds.
"""

from __future__ import annotations

import os
import time
from typing import Any

from chain.envelope import generate_custodian_key, scheme_for, seal
from chain.tx import make_tx
from contracts import uscc
from contracts.system import escrow
from node.assessment import assess
from node.home import init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS, SampleMember, by_short

DEPARTMENTS = 70
ENTRIES = int(os.environ.get("MULU_BENCH_ASSESS_ENTRIES", "20000"))
SYSTEMS = int(os.environ.get("MULU_BENCH_ASSESS_SYSTEMS", "2000"))
TARGET_S = 10.0
BATCH = 2000


def measure(root: str) -> dict[str, Any]:
    """Build the chain, then time one assessment of it."""
    extra = [SampleMember(f"北京市测试委办局{i}", f"测试局{i}", ("department",), uscc.make("11110000", f"MT{i:06d}"))
             for i in range(DEPARTMENTS - sum("department" in m.roles or "district" in m.roles
                                              for m in SAMPLE_MEMBERS))]
    members = [*SAMPLE_MEMBERS, *extra]
    home = init_home(os.path.join(root, "assess"), chain_id="mulu-bench-assess",
                     genesis_time=1_767_225_600_000, clock_step_ms=3_600_000, members=members)
    node = Node(home)
    chain_id = node.genesis.chain_id
    keys = {m.uscc: home.member_key(m.uscc) for m in members}
    nonces = {m.uscc: 0 for m in members}
    departments = [m for m in members if {"department", "district"} & set(m.roles)]

    def tx(sender: str, contract: str, method: str, args: dict) -> bytes:
        nonces[sender] += 1
        return make_tx(keys[sender], chain_id=chain_id, sender=sender, nonce=nonces[sender], contract=contract,
                       method=method, args=args).to_bytes()

    def run(raws: list[bytes]) -> None:
        for i in range(0, len(raws), BATCH):
            admissions = node.engine.submit(raws[i:i + BATCH])
            if not all(a.ok for a in admissions):
                raise SystemExit(f"assessment bench refused: {[a.error for a in admissions if not a.ok][:2]}")
            node.engine.run_until_empty()

    bianban, jingxin = by_short("市委编办").uscc, by_short("经信局").uscc
    duty = {"item_id": "D01-01", "main_duty": "负责本部门政务数据管理", "title": "政务数据目录编制",
            "sanding_text": "（一）负责本部门政务数据管理。", "basis": "《北京市政务信息资源管理办法（试行）》",
            "reason": "依据三定规定编制"}
    run([tx(d.uscc, "duty", "propose", duty) for d in departments])
    run([tx(bianban, "duty", "approve", {"department": d.uscc, "item_id": "D01-01", "version": 1})
         for d in departments])
    custodian = generate_custodian_key(node.genesis.profile.name)
    run([tx(jingxin, "system", "set_custodian_key", {"public_key": custodian.public_key})])
    entries = []
    for i in range(ENTRIES):
        d = departments[i % len(departments)]
        entries.append(tx(d.uscc, "catalog", "publish", {
            "resource_code": f"301001/{i:07d}", "class": "3", "item": "01", "category": "001",
            "name": f"政务信息资源{i}", "provider": d.name, "provider_code": d.uscc,
            "summary": "本部门履职产生的政务信息资源", "format": "数据库",
            "data_items": [{"name": f"信息项{i}-{j}", "data_type": "C", "length": "64"} for j in range(10)],
            "share_type": "conditional", "share_condition": "用于相关部门履职", "share_method": "接口" if i % 4 else "",
            "open_to_public": False, "update_cycle": "monthly", "published": "2026-07-01",
            "duty_items": ["D01-01"], "reason": "编制数据目录"}))
    run(entries)
    scheme, salt = scheme_for(node.genesis.profile.name), b"\x00" * escrow.SALT_SIZE
    systems, credentials = [], []
    for i in range(SYSTEMS):
        d, code = departments[i % len(departments)], f"sys-{i:05d}"
        systems.append(tx(d.uscc, "system", "register", {"code": code, "name": f"系统{i}", "project": "",
                                                          "deployment": "other" if i % 3 == 0 else "gov_cloud",
                                                          "protection_level": 2}))
    for i in range(0, SYSTEMS, 2):  # signed after every registration: each sender's nonces in order
        d, code = departments[i % len(departments)], f"sys-{i:05d}"
        credentials.append(tx(d.uscc, "system", "submit_credential", {
            "code": code, "commitment": escrow.commitment(node.genesis.profile, "admin", b"pw", salt),
            "envelope": seal(custodian.public_key, escrow.plaintext("admin", b"pw", salt),
                             escrow.context(code), scheme=scheme).to_bytes()}))
    run(systems)
    run(credentials)
    start = time.perf_counter()
    found = assess(node.ledger, "2026H1")
    elapsed = time.perf_counter() - start
    report = found["report"]
    node.stop()
    return {"departments": len(report["departments"]), "catalog_entries": ENTRIES, "systems": SYSTEMS,
            "blocks": report["height"], "findings": report["totals"]["findings"], "seconds": round(elapsed, 2),
            "target_seconds": TARGET_S, "ok": elapsed < TARGET_S}


if __name__ == "__main__":  # python -m tests.bench_assessment: this bench alone, as `make bench` runs it
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        measured = measure(folder)
    print(json.dumps(measured, indent=2))
    sys.exit(0 if measured["ok"] else 1)
