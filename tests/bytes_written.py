"""Bytes a block writes to the store per record change, for the benchmark's JSON.

Runs a solo chain over a store that counts what each batch writes (keys and
values), then reports the bytes per transaction of: new catalog entries with 20
data items, new versions of those entries (one data item changed), and duty
items proposed and then approved (two versions each). Every write counts:
the block and its index, state versions, derived indexes, state-tree and
history-tree nodes.
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterable

from chain.store import MemoryStore
from chain.tx import make_tx
from node.home import init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS, by_short

ENTRIES = 400


class CountingStore(MemoryStore):
    """A memory store that adds up the bytes of every batch written."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def write(self, batch: Iterable[tuple[bytes, bytes | None]]) -> None:
        items = list(batch)
        self.written += sum(len(k) + len(v or b"") for k, v in items)
        super().write(items)


def measure(root: str) -> dict[str, int]:
    home = init_home(os.path.join(root, "bytes"), genesis_time=1_782_000_000_000, api="127.0.0.1:8599")
    store = CountingStore()
    node = Node(home, store=store, verify_threads=1)
    chain_id = node.genesis.chain_id
    keys = {m.uscc: home.member_key(m.uscc) for m in SAMPLE_MEMBERS}
    nonces = {m.uscc: 0 for m in SAMPLE_MEMBERS}
    departments = [m for m in SAMPLE_MEMBERS if {"department", "district"} & set(m.roles)]
    bianban = by_short("市委编办").uscc

    def tx(sender: str, contract: str, method: str, args: dict) -> bytes:
        nonces[sender] += 1
        return make_tx(keys[sender], chain_id=chain_id, sender=sender, nonce=nonces[sender], contract=contract,
                       method=method, args=args).to_bytes()

    def run(raws: list[bytes]) -> int:
        """Bytes written per transaction committing ``raws``."""
        before = store.written
        assert all(r.ok for r in node.engine.submit(raws))
        node.engine.run_until_empty()
        return round((store.written - before) / len(raws))

    def duty(d, item_id: str) -> dict:
        return {"item_id": item_id, "main_duty": "负责本部门政务数据管理", "title": "政务数据目录编制",
                "sanding_text": "（一）负责本部门政务数据管理。", "basis": "《北京市政务信息资源管理办法（试行）》",
                "reason": "依据三定规定编制"}

    figures = {"duty_propose_bytes_per_tx": run([tx(d.uscc, "duty", "propose", duty(d, f"D{i:02d}"))
                                                  for d in departments for i in range(10)])}
    figures["duty_approve_bytes_per_tx"] = run([tx(bianban, "duty", "approve", {"department": d.uscc,
                                                                                 "item_id": f"D{i:02d}",
                                                                                 "version": 1})
                                                 for d in departments for i in range(10)])

    def entry(i: int, changed: bool = False) -> bytes:
        d = departments[i % len(departments)]
        items = [{"name": f"信息项{i}-{j}", "data_type": "C", "length": "64" if j or not changed else "128"}
                 for j in range(20)]
        args = {"resource_code": f"301001/{i:07d}", "class": "3", "item": "01", "category": "001",
                "name": f"政务信息资源{i}", "provider": d.name, "provider_code": d.uscc,
                "summary": "本部门履职产生的政务信息资源", "format": "数据库", "data_items": items,
                "share_type": "conditional", "share_condition": "用于相关部门履职", "share_method": "接口",
                "open_to_public": False, "update_cycle": "daily", "published": "2026-07-01",
                "duty_items": ["D00"], "reason": "更新" if changed else "编制数据目录"}
        return tx(d.uscc, "catalog", "publish", args)

    figures["catalog_new_entry_bytes_per_tx"] = run([entry(i) for i in range(ENTRIES)])
    figures["catalog_new_version_bytes_per_tx"] = run([entry(i, changed=True) for i in range(ENTRIES)])
    node.ledger.close()
    return figures


if __name__ == "__main__":
    import json

    with tempfile.TemporaryDirectory() as root:
        print(json.dumps(measure(root), indent=2))
