"""The four-validator figures of ``make bench``: a CometBFT network of four department nodes on
this machine, eight processes on its two cores (tests/bench.py calls :func:`measure`).

* ``commit_tx_per_s`` — steady load: four clients, one per department, each
  posting msgpack batches of 500 signed ``anchor.put`` transactions to its
  own node as fast as the node takes them; committed transactions per second,
  from the first submission until the last is in a block.
* ``latency_ms`` — p50/p99 from submission to commit (seen by polling the
  node's tip every 10 ms) at half the steady rate: batches of 25 paced evenly.

Targets (issue 17): at least 0.3 of the solo in-process rate measured in the
same run, at least 1,000 tx/s (ChainMaker's published four-node figure per
core), p99 under 2 s.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

from chain.tx import make_tx
from cli.localnet import LocalNetwork
from node.cometbft.network import NetworkPlan, write_network
from tests.functional.network import free_block

NET_TXS = int(os.environ.get("MULU_BENCH_NET_TXS", "20000"))
BATCH = 500
LATENCY_SECONDS = float(os.environ.get("MULU_BENCH_NET_LATENCY_S", "10"))
LATENCY_BATCH = 25


def _signed(homes, plan, per: int, first: int = 1) -> list[list[bytes]]:
    out = []
    for i in range(plan.nodes):
        member = plan.operator(i)
        key = homes[0].member_key(member.uscc)
        out.append([make_tx(key, chain_id=plan.chain_id, sender=member.uscc, nonce=first + n, contract="anchor",
                            method="put", args={"doc_id": f"bench-{first + n}", "title": "三定规定", "kind": "sanding",
                                                "digest": (first + n).to_bytes(32, "big")}).to_bytes()
                    for n in range(per)])
    return out


def _wait_committed(client, tx_ids: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    for tx_id in tx_ids:
        while True:
            try:
                client.tx(tx_id)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"transaction {tx_id} not committed within {timeout} s")
                time.sleep(0.02)


def _steady(net: LocalNetwork, txs: list[list[bytes]]) -> float:
    last_ids: list[str] = []
    errors: list[str] = []

    def feed(i: int) -> None:
        client = net.clients[i]
        for k in range(0, len(txs[i]), BATCH):
            answer = client.submit_batch(txs[i][k:k + BATCH])
            if answer["rejected"]:
                errors.append(repr(answer["results"][0]))
            last = answer["results"][-1]
            if k + BATCH >= len(txs[i]):
                last_ids.append(last.get("tx_id", ""))

    start = time.perf_counter()
    threads = [threading.Thread(target=feed, args=(i,)) for i in range(len(txs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"transactions refused under load: {errors[:3]}")
    _wait_committed(net.clients[0], last_ids)
    return sum(len(t) for t in txs) / (time.perf_counter() - start)


def _latency(net: LocalNetwork, txs: list[list[bytes]], rate: float) -> dict:
    """Submit at ``rate`` tx/s in paced batches; each transaction's time from its submission to the
    first poll that finds its block committed."""
    sent: dict[str, float] = {}
    done: dict[str, float] = {}
    stop = threading.Event()
    client = net.clients[0]

    def watch() -> None:
        seen = client.status()["height"]
        give_up = None
        while not stop.is_set() or len(done) < len(sent):
            if stop.is_set():
                give_up = give_up or time.perf_counter() + 30
                if time.perf_counter() > give_up:
                    return
            height = client.status()["height"]
            now = time.perf_counter()
            for h in range(seen + 1, height + 1):
                for tx in client.block(h)["txs"]:
                    done.setdefault(tx["tx_id"], now)
            seen = height
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    interval = LATENCY_BATCH / rate
    cursors = [0] * len(txs)
    deadline = time.perf_counter() + LATENCY_SECONDS
    turn = 0
    next_at = time.perf_counter()
    while time.perf_counter() < deadline:
        i = turn % len(txs)
        batch = txs[i][cursors[i]:cursors[i] + LATENCY_BATCH]
        if not batch:
            break
        cursors[i] += len(batch)
        at = time.perf_counter()
        answer = net.clients[i].submit_batch(batch)
        for r in answer["results"]:
            if r["status"] == "pending":
                sent[r["tx_id"]] = at
        turn += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    stop.set()
    watcher.join(60)
    latencies = sorted((done[t] - s) * 1000 for t, s in sent.items() if t in done)
    if not latencies:
        raise RuntimeError("no transaction committed in the latency run")
    return {"offered_tx_per_s": round(rate), "transactions": len(latencies),
            "p50_ms": round(statistics.median(latencies)), "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1])}


def measure(root: str, solo_rate: float) -> dict:
    """The four-validator figures beside ``solo_rate`` (the in-process rate of the same run)."""
    plan = NetworkPlan(nodes=4, chain_id="mulu-bench-net", base_port=free_block(40),
                       genesis_time=time.time_ns() // 1_000_000)
    homes = write_network(Path(root) / "network", plan)
    net = LocalNetwork(homes)
    net.start()
    try:
        per = NET_TXS // plan.nodes
        rate = _steady(net, _signed(homes, plan, per))
        paced_per = int(rate / 2 * LATENCY_SECONDS / plan.nodes) + LATENCY_BATCH
        paced = _latency(net, _signed(homes, plan, paced_per, first=per + 1), rate / 2)
    finally:
        net.stop()
    figures = {"validators": 4, "transactions": per * plan.nodes, "commit_tx_per_s": round(rate),
               "ratio_to_solo_inprocess": round(rate / solo_rate, 3), "latency_at_half_load": paced,
               "target_ratio_to_solo": 0.3, "target_tx_per_s": 1000, "target_p99_ms": 2000}
    figures["ok"] = (figures["ratio_to_solo_inprocess"] >= 0.3 and rate >= 1000 and paced["p99_ms"] < 2000)
    return figures


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(tmp, float(os.environ.get("MULU_BENCH_SOLO_RATE", "5000"))), indent=2))
