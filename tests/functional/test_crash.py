"""SIGKILL safety: a node killed at random moments while it commits never loses a committed block.

A real node on a LevelDB home takes a steady load: several members submit
batches from a thread (:class:`Load`), recording which transactions the node
accepted. The test kills the node with SIGKILL many times, restarting it each
time on the same home: at random moments, and every other time at once when
a status poll finds transactions waiting (so the kill cuts the block being
made). It shows that:

* the node restarts every time (the store is never left corrupt);
* every transaction the node reported committed before a kill — in a block
  it served, or by ``/v1/txs/{id}`` — is still there, at the same height, after
  the restart, and every block it served keeps its hash;
* heights never go backwards across restarts;
* the final store exports an archive that ``mulu audit verify`` passes, so no
  half-written block exists anywhere in it.

Transactions accepted into the mempool but not yet committed may be lost by a
kill; that is expected (clients resynchronise their nonces and go on). Set
``MULU_CRASH_SEED`` to replay the kill schedule of a failed run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from chain.errors import NotFound
from cli.client import ApiError, Client, Member
from node.home import Home
from node.node import open_ledger
from node.samples import by_short
from tests.functional.framework import TestNode, make_home, run_mulu, wait_until

pytestmark = pytest.mark.slow

KILLS = 10
MEMBERS = ("市教委", "市卫生健康委", "市市场监管局", "市规划自然资源委", "海淀区")
BATCH = 100
MAX_JITTER_S = 1.2
"""A random kill comes this long after the node is seen committing: uniform in [0, MAX_JITTER_S)."""
AIM_POLL_S = 0.002
"""An aimed kill comes as soon as a status poll (this often) finds transactions waiting: a block is being made."""
LOAD_PAUSE_S = 0.05
"""Pacing between batches, so the final audit (a full re-execution) stays short."""


class Load(threading.Thread):
    """Members submitting batches of anchors through every restart, recording what the node accepted."""

    def __init__(self, url: str, home: Home) -> None:
        super().__init__(name="load", daemon=True)
        self.client = Client(url, timeout=10.0)
        chain_id = home.genesis().chain_id
        self.members = [Member(self.client, home.member_key(by_short(s).uscc), by_short(s).uscc, chain_id)
                        for s in MEMBERS]
        self.signed: set[str] = set()
        self.accepted: set[str] = set()
        self.unexpected: list[str] = []
        self.batches = 0
        self.outages = 0
        self.halt = threading.Event()
        self._lock = threading.Lock()

    def snapshot(self) -> tuple[set[str], set[str]]:
        with self._lock:
            return set(self.signed), set(self.accepted)

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            member = self.members[n % len(self.members)]
            n += 1
            try:
                txs = [member.sign("anchor", "put", {
                    "doc_id": f"load/{n}/{i}", "title": f"load {n}.{i}", "kind": "other",
                    "digest": hashlib.sha256(f"{member.sender}/{n}/{i}".encode()).digest()})
                    for i in range(BATCH)]
                ids = [t.tx_id(member.key.profile).hex() for t in txs]
                with self._lock:
                    self.signed.update(ids)
                answer = self.client.submit_batch([t.to_bytes() for t in txs])
            except ApiError as exc:
                if exc.code != "NODE_UNREACHABLE":
                    self.unexpected.append(f"batch {n}: {exc.code} {exc.message}")
                self._wait_for_node()
                continue
            self.batches += 1
            with self._lock:
                self.accepted.update(i for i, r in zip(ids, answer["results"]) if r["status"] == "pending")
            codes = {r["error"]["code"] for r in answer["results"] if r["status"] == "rejected"}
            if codes:
                # after a restart the node forgot its mempool: our nonces run ahead of it
                if not codes <= {"TX_NONCE_GAP", "TX_NONCE_REPLAYED", "MEMPOOL_FULL"}:
                    self.unexpected.append(f"batch {n}: rejected {sorted(codes)}")
                member.resync()
            self.halt.wait(LOAD_PAUSE_S)

    def _wait_for_node(self) -> None:
        """The node is down: wait until it answers again, then ask it for every member's next nonce."""
        self.outages += 1
        for m in self.members:
            m.resync()
        while not self.halt.is_set():
            try:
                self.client.status()
                return
            except ApiError:
                self.halt.wait(0.05)


class Committed:
    """What the node reported committed: each served block's hash, and tx id → height."""

    def __init__(self) -> None:
        self.block_hash: dict[int, str] = {}
        self.tx_height: dict[str, int] = {}
        self.by_id: dict[str, int] = {}
        """Transactions ``/v1/txs/{id}`` returned, with their height."""
        self.fresh: list[str] = []
        """Those of ``by_id`` not yet checked after a restart."""
        self.height = 0

    def catch_up(self, node: TestNode, accepted: set[str], rng: random.Random) -> dict:
        """Read every block the node made since last time, and ask for a few accepted txs by id."""
        status = node.status()
        for h in range(self.height + 1, status["height"] + 1):
            block = node.client.block(h)
            self.block_hash[h] = block["header"]["hash"]
            for t in block["txs"]:
                self.tx_height[t["tx_id"]] = h
            self.height = h
        unknown = sorted(accepted - self.by_id.keys())
        for tx_id in rng.sample(unknown, min(5, len(unknown))):
            try:
                self.by_id[tx_id] = node.client.tx(tx_id)["height"]
                self.fresh.append(tx_id)
            except ApiError as exc:
                assert exc.code == "TX_NOT_FOUND", exc
        return status


def check_after_restart(node: TestNode, committed: Committed, since: int, rng: random.Random, where: str) -> int:
    """Everything reported committed before the kill is still there; return the node's height."""
    status = node.status()
    assert status["height"] >= committed.height, \
        f"{where}: height went back from {committed.height} to {status['height']}"
    for h in range(max(1, since), committed.height + 1):
        assert node.client.block(h)["header"]["hash"] == committed.block_hash[h], f"{where}: block {h} changed"
    if committed.height:
        assert node.client.block(1)["header"]["hash"] == committed.block_hash[1], f"{where}: block 1 changed"
    older = sorted(committed.by_id.keys() - set(committed.fresh))
    for tx_id in committed.fresh + rng.sample(older, min(20, len(older))):
        assert node.client.tx(tx_id)["height"] == committed.by_id[tx_id], f"{where}: tx {tx_id} moved or vanished"
    committed.fresh.clear()
    sample = rng.sample(sorted(committed.tx_height), min(30, len(committed.tx_height)))
    for tx_id in sample:
        assert node.client.tx(tx_id)["height"] == committed.tx_height[tx_id], f"{where}: tx {tx_id} lost"
    return status["height"]


def _height_of(ledger, tx_id: str) -> int | None:
    try:
        return ledger.locate(bytes.fromhex(tx_id))[0]
    except NotFound:
        return None


def test_sigkill_never_loses_a_committed_block(tmp_path: Path, profile_name: str):
    """Kill -9 a committing node again and again: no committed block is lost, none is half written
    (on a chain of each crypto profile)."""
    seed = int(os.environ.get("MULU_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    print(f"MULU_CRASH_SEED={seed}")
    started = time.monotonic()
    home = make_home(tmp_path / "node0", profile=profile_name)
    committed = Committed()
    kills: list[dict] = []
    restarts: list[float] = []

    with TestNode(0, home) as node:
        node.start()
        load = Load(node.url, home)
        load.start()
        try:
            for k in range(KILLS):
                where = f"kill {k + 1}/{KILLS} (seed {seed})"
                # Wait until the node commits under load, then keep reading what it commits until the kill.
                floor = committed.height
                wait_until(lambda: node.height() >= floor + 2, timeout=30, nodes=[node],
                           what=f"blocks under load before {where}")
                deadline = time.monotonic() + rng.uniform(0, MAX_JITTER_S)
                status = committed.catch_up(node, load.snapshot()[1], rng)
                while time.monotonic() < deadline:
                    status = committed.catch_up(node, load.snapshot()[1], rng)
                    time.sleep(0.02)
                aimed = k % 2 == 1
                if aimed:  # every other kill lands while the node holds transactions: it is making a block
                    status = wait_until(lambda: (s := node.status())["mempool"] and s, timeout=10, nodes=[node],
                                        interval=AIM_POLL_S, what=f"a busy moment for {where}")
                rc = node.kill(signal.SIGKILL)
                assert rc == -signal.SIGKILL, f"{where}: the node had already exited with {rc}\n{node.log_tail()}"
                kills.append({"height": committed.height, "aimed": aimed, "seen": status["height"]})

                restart_started = time.monotonic()
                node.start()  # fails with the node's log if the store does not open
                restarts.append(time.monotonic() - restart_started)
                kills[-1]["after"] = check_after_restart(node, committed, floor, rng, where)
                assert not load.unexpected, load.unexpected
        finally:
            load.halt.set()
            load.join(timeout=30)

        # With the load stopped the mempool drains; then read and check everything once more.
        wait_until(lambda: node.status()["mempool"] == 0, timeout=30, nodes=[node], what="the mempool to drain")
        committed.catch_up(node, load.snapshot()[1], rng)
        final_height = check_after_restart(node, committed, 1, rng, "the end")
        assert node.stop() in (0, -signal.SIGTERM), node.log_tail()

    signed, accepted = load.snapshot()
    assert not load.unexpected, load.unexpected
    assert load.outages >= KILLS // 2, "the load never noticed the kills"

    # Every transaction reported committed is in the final store at its height; none came from elsewhere.
    assert committed.tx_height.keys() <= signed
    ledger = open_ledger(home)
    try:
        assert ledger.tip.height == final_height
        for tx_id, height in committed.tx_height.items():
            assert _height_of(ledger, tx_id) == height, f"tx {tx_id}, reported committed at {height}, moved or is lost"
        lost = sum(1 for t in accepted if _height_of(ledger, t) is None)
    finally:
        ledger.close()

    # The whole store exports and audits clean: no half-written block anywhere.
    audit_started = time.monotonic()
    archive = tmp_path / "chain.mulu"
    exported = run_mulu("export", "--home", home.path, "--out", archive, timeout=120)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    audited = run_mulu("audit", "verify", "--genesis", home.genesis_file, "--archive", archive, timeout=120)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    verdict = json.loads(audited.stdout)
    assert verdict["ok"] and verdict["blocks"] == final_height

    print(f"{len(kills)} kills in {time.monotonic() - started:.1f}s (restarts {sum(restarts):.1f}s, export and "
          f"audit {time.monotonic() - audit_started:.1f}s); heights at the kills "
          f"{[k['height'] for k in kills]}, final {final_height}; {len(accepted)} txs accepted, "
          f"{len(committed.tx_height)} seen committed, {lost} lost to kills (expected), "
          f"{verdict['transactions']} audited; {sum(k['after'] == k['seen'] for k in kills if k['aimed'])} of "
          f"{sum(k['aimed'] for k in kills)} aimed kills cut the block being made")
