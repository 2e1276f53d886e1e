"""Multi-node networks on CometBFT, with real processes on loopback (tests/functional/network.py).

Each node is a ``mulu node start`` process and a ``cometbft start`` process;
departments submit to their own nodes through the same HTTP API as under solo.
"""

from __future__ import annotations

import signal
import threading

import pytest

from chain.tx import make_tx
from node.samples import SAMPLE_MEMBERS
from tests.functional.framework import run_mulu, wait_until
from tests.functional.network import TestNetwork

pytestmark = pytest.mark.slow
DEPARTMENTS = [m for m in SAMPLE_MEMBERS if "department" in m.roles]


def anchors(net, member, first: int, count: int) -> list[bytes]:
    key = net.homes[0].member_key(member.uscc)
    return [make_tx(key, chain_id=net.plan.chain_id, sender=member.uscc, nonce=first + i, contract="anchor",
                    method="put", args={"doc_id": f"doc-{member.uscc}-{first + i}", "title": "三定规定",
                                        "kind": "sanding", "digest": bytes([(first + i) % 256]) * 32}).to_bytes()
            for i in range(count)]


def committed_everywhere(net, tx_ids: list[str], nodes=None) -> bool:
    for n in nodes or net.nodes:
        status = n.status()
        for tx_id in tx_ids:
            if n.client.get(f"/v1/txs/{tx_id}")["height"] > status["certified"]:
                return False
    return True


def export_bytes(net, node, tmp_path) -> bytes:
    out = tmp_path / f"export{node.index}.mulu"
    done = run_mulu("export", "--node", node.mulu.url, "--out", out)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def submit(node, raws) -> list[str]:
    answer = node.client.submit_batch(raws)
    assert answer["rejected"] == 0, answer
    return [r["tx_id"] for r in answer["results"]]


def test_four_departments_each_submit_to_their_own_node_and_every_node_agrees(tmp_path):
    """Four validators; each department submits to its own node; every node ends on the same
    certified tip and application hash; the four exports are byte-identical and pass
    ``mulu audit verify`` against the mulu genesis alone."""
    with TestNetwork(tmp_path, nodes=4) as net:
        net.start()
        ids = []
        for node, member in zip(net.nodes, DEPARTMENTS):
            ids += submit(node, anchors(net, member, 1, 20))
        wait_until(lambda: committed_everywhere(net, ids), timeout=60, what="every transaction, certified, everywhere")
        assert len(net.tips()) == 1, net.tips()
        exports = {export_bytes(net, n, tmp_path) for n in net.nodes}
        assert len(exports) == 1
        archive = tmp_path / "export0.mulu"
        done = run_mulu("audit", "verify", "--genesis", net.homes[0].genesis_file, "--archive", archive)
        assert done.returncode == 0 and '"ok": true' in done.stdout, done.stdout + done.stderr
