"""The benchmark (`make bench`): pipeline throughput as ratios to this machine's limits.

Absolute times drift on shared machines, so every figure is reported beside the
machine's own single-core Ed25519 verification rate measured in the same run:

* ``verify_1thread_per_s`` — one thread verifying signatures back to back;
* ``inprocess_commit_tx_per_s`` — signed transactions driven through the
  application's ABCI-shaped calls by one thread: admitted in batches of 5000
  (decode, checks, signatures on the verification threads) and committed by
  solo consensus into LevelDB;
* ``http_batch_commit_tx_per_s`` — a real node (API threads, the solo engine's
  thread) fed msgpack batches of 1000 over HTTP from a client in this process.

Targets (floors, from the foundation issue): in process ≥ 0.5 of the one-thread
verification rate, HTTP with batches ≥ 1/3. Prints one JSON object; exits 1 when a
floor is missed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from chain.crypto import profile
from chain.encoding import encode
from chain.tx import make_tx
from node.home import Home, init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS

TXS = int(os.environ.get("MULU_BENCH_TXS", "20000"))
BATCH = 1000
IN_PROCESS_BATCH = 5000


def verify_rate(threads: int, n: int = 4000) -> float:
    """Ed25519 verifications per second on ``threads`` threads."""
    prof = profile("ed25519-sha256")
    key = prof.generate()
    message = b"m" * 200
    sig = key.sign(message)
    public = key.public_key
    per = n // threads

    def work(_: int) -> None:
        for _ in range(per):
            prof.verify(public, message, sig)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return per * threads / (time.perf_counter() - start)


def signed_txs(home: Home, chain_id: str, count: int) -> list[bytes]:
    """``count`` anchor transactions spread over every member, nonces in order."""
    keys = [(m.uscc, home.member_key(m.uscc)) for m in SAMPLE_MEMBERS]
    nonces = {code: 0 for code, _ in keys}
    out = []
    for i in range(count):
        code, key = keys[i % len(keys)]
        nonces[code] += 1
        args = {"doc_id": f"doc-{i % 500}", "title": "北京市政务信息资源目录", "kind": "data_catalog",
                "digest": hashlib.sha256(i.to_bytes(8, "big")).digest()}
        out.append(make_tx(key, chain_id=chain_id, sender=code, nonce=nonces[code], contract="anchor",
                           method="put", args=args).to_bytes())
    return out


def fresh_home(root: str, name: str) -> Home:
    return init_home(os.path.join(root, name), genesis_time=1_782_000_000_000, api="127.0.0.1:0")


def bench_in_process(root: str) -> float:
    home = fresh_home(root, "inproc")
    node = Node(home)
    raws = signed_txs(home, node.genesis.chain_id, TXS)
    start = time.perf_counter()
    for i in range(0, len(raws), IN_PROCESS_BATCH):
        admissions = node.app.check_txs(raws[i:i + IN_PROCESS_BATCH])
        if not all(a.ok for a in admissions):
            raise SystemExit(f"bench transactions refused: {[a.error for a in admissions if not a.ok][:3]}")
        node.engine.run_until_empty()
    _wait_all_committed(node)
    elapsed = time.perf_counter() - start
    node.stop()
    return TXS / elapsed


def _wait_all_committed(node: Node) -> None:
    """Poll until every member's nonce shows all its transactions committed."""
    expected = {m.uscc: TXS // len(SAMPLE_MEMBERS) + (i < TXS % len(SAMPLE_MEMBERS))
                for i, m in enumerate(SAMPLE_MEMBERS)}
    while any((node.ledger.state.get("nonce/" + code) or 0) != n for code, n in expected.items()):
        if node.engine.error is not None:
            raise SystemExit(f"the engine stopped: {node.engine.error!r}")
        time.sleep(0.002)


def bench_http(root: str) -> float:
    import httpx

    from cli.serve import Server

    home = fresh_home(root, "http")
    node = Node(home)
    port = _free_port()
    server = Server(node, f"127.0.0.1:{port}")
    raws = signed_txs(home, node.genesis.chain_id, TXS)
    bodies = [encode(raws[i:i + BATCH]) for i in range(0, len(raws), BATCH)]
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            start = time.perf_counter()
            for body in bodies:
                r = http.post("/v1/txs/batch", content=body, headers={"content-type": "application/msgpack"})
                if r.status_code != 200 or r.json()["rejected"]:
                    raise SystemExit(f"batch refused: {r.text[:300]}")
            _wait_all_committed(node)
            elapsed = time.perf_counter() - start
    finally:
        server.stop()
    return TXS / elapsed


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as root:
        v1 = verify_rate(1)
        v2 = verify_rate(2)
        inproc = bench_in_process(root)
        http = bench_http(root)
        v1_after = verify_rate(1)
    base = (v1 + v1_after) / 2
    report = {
        "transactions": TXS,
        "verify_1thread_per_s": round(base),
        "verify_2threads_per_s": round(v2),
        "inprocess_commit_tx_per_s": round(inproc),
        "http_batch_commit_tx_per_s": round(http),
        "ratio_inprocess_to_verify": round(inproc / base, 3),
        "ratio_http_to_verify": round(http / base, 3),
        "target_inprocess": 0.5,
        "target_http": round(1 / 3, 3),
    }
    report["ok"] = report["ratio_inprocess_to_verify"] >= 0.5 and report["ratio_http_to_verify"] >= 1 / 3
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
