"""Multi-node networks on CometBFT, with real processes on loopback (tests/functional/network.py).

Each node is a ``mulu node start`` process and a ``cometbft start`` process;
departments submit to their own nodes through the same HTTP API as under solo.
"""

from __future__ import annotations

import json
import re
import signal
import sys
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
    """Every transaction is in a certified block of the first node, and every node has certified
    that block, with the same hash (so the same chain up to it)."""
    nodes = nodes or net.nodes
    certified = nodes[0].status()["certified"]
    top = max((nodes[0].client.tx(tx_id)["height"] for tx_id in tx_ids), default=1)
    if top > certified or any(n.status()["certified"] < top for n in nodes):
        return False
    return len({n.client.block(top)["header"]["hash"] for n in nodes}) == 1


def export_bytes(net, node, tmp_path) -> bytes:
    out = tmp_path / f"export{node.index}.mulu"
    done = run_mulu("export", "--node", node.mulu.url, "--out", out)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def submit(node, raws) -> list[str]:
    answer = node.client.submit_batch(raws)
    assert answer["rejected"] == 0, answer
    return [r["tx_id"] for r in answer["results"]]


def legacy_system(net, member, nonce: int) -> bytes:
    """The department registers a system off the 政务云 (an assessment finding, with its transaction)."""
    key = net.homes[0].member_key(member.uscc)
    return make_tx(key, chain_id=net.plan.chain_id, sender=member.uscc, nonce=nonce, contract="system",
                   method="register", args={"code": f"legacy-{member.uscc[-6:]}", "name": "旧业务系统", "project": "",
                                            "deployment": "other", "protection_level": 2}).to_bytes()


def same_assessment_everywhere(net, profile_name: str, height: int | None = None) -> dict:
    """The half-year assessment (000:第十九条) fetched from every node at one certified height (default:
    the lowest last certified): the same report and digest on each, and the digest the chain's hash of
    the report's canonical encoding. Returns it, as JSON text and as the report."""
    from chain.crypto import profile
    from chain.encoding import encode
    from contracts.workdays import china_date

    height = height or min(n.status()["certified"] for n in net.nodes)
    day = china_date(net.nodes[0].client.block(height)["header"]["time"])
    period = f"{day.year}H{1 if day.month <= 6 else 2}"
    found = [n.client.get("/v1/assessment/compute", period=period, height=height) for n in net.nodes]
    texts = {json.dumps(f, sort_keys=True, ensure_ascii=False) for f in found}
    assert len(texts) == 1, [f["digest"] for f in found]
    report = found[0]["report"]
    assert report["height"] == height and profile(profile_name).hash(encode(report)).hex() == found[0]["digest"]
    return {"text": texts.pop(), "report": report}


@pytest.mark.parametrize("profile_name", ["ed25519-sha256", "sm2-sm3"])
def test_four_departments_each_submit_to_their_own_node_and_every_node_agrees(tmp_path, profile_name):
    """Four validators; each department submits to its own node; every node ends on the same
    certified tip and application hash; the four exports are byte-identical and pass
    ``mulu audit verify`` against the mulu genesis alone; on a 国密 chain too, whose
    certificates are SM2 signatures. The assessment computed at one certified height is the same
    bytes on every node, with each department's system off the 政务云 found, naming its transaction."""
    with TestNetwork(tmp_path, nodes=4, profile_name=profile_name) as net:
        net.start()
        ids = []
        for node, member in zip(net.nodes, DEPARTMENTS):
            ids += submit(node, anchors(net, member, 1, 20) + [legacy_system(net, member, 21)])
        wait_until(lambda: committed_everywhere(net, ids), timeout=60, what="every transaction, certified, everywhere")
        assert len(net.tips()) == 1, net.tips()
        assessed = same_assessment_everywhere(net, profile_name)
        report = assessed["report"]
        found = {(r["uscc"], f["kind"]): f["tx_id"] for r in report["departments"] for f in r["findings"]}
        assert all(found.get((m.uscc, "not_on_cloud")) for m in DEPARTMENTS[:4]), found
        later = submit(net.nodes[1], anchors(net, DEPARTMENTS[1], 22, 1))  # the state moves on
        wait_until(lambda: committed_everywhere(net, later), timeout=60, what="a later block, everywhere")
        again = same_assessment_everywhere(net, profile_name, report["height"])  # by replay, on every node
        assert again["text"] == assessed["text"]
        exports = {export_bytes(net, n, tmp_path) for n in net.nodes}
        assert len(exports) == 1
        archive = tmp_path / "export0.mulu"
        done = run_mulu("audit", "verify", "--genesis", net.homes[0].genesis_file, "--archive", archive)
        assert done.returncode == 0 and '"ok": true' in done.stdout, done.stdout + done.stderr


class Load:
    """One department submitting batches to one node in the background, keeping what was accepted."""

    def __init__(self, net, node, member, batch: int = 20) -> None:
        self.net, self.node, self.member, self.batch = net, node, member, batch
        self.accepted: list[str] = []
        self.nonce = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            raws = anchors(self.net, self.member, self.nonce, self.batch)
            try:
                answer = self.node.client.submit_batch(raws)
            except Exception:  # the node may be restarting: try again later
                self._stop.wait(0.2)
                continue
            for r in answer["results"]:
                if r["status"] == "pending":
                    self.accepted.append(r["tx_id"])
            ok = sum(r["status"] == "pending" for r in answer["results"])
            self.nonce += ok
            self._stop.wait(0.05)

    def __enter__(self) -> "Load":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)


def test_killed_processes_restart_and_lose_no_committed_transaction(tmp_path):
    """Under load: SIGKILL one node's mulu process, then another node's CometBFT process; restart
    each (mulu first, CometBFT catches up by block sync, re-executing every block). No accepted
    transaction is lost, every node agrees on the certified tip and application hash."""
    with TestNetwork(tmp_path, nodes=4) as net:
        net.start()
        with Load(net, net.nodes[0], DEPARTMENTS[0]) as load:
            wait_until(lambda: len(load.accepted) >= 100, timeout=60, what="load")
            victim = net.nodes[2]
            victim.mulu.kill(signal.SIGKILL)
            wait_until(lambda: not victim.cometbft.running, timeout=30, what="CometBFT stops without its application")
            wait_until(lambda: len(load.accepted) >= 200, timeout=60, what="the other three go on")
            victim.start()
            other = net.nodes[3]
            other.cometbft.kill(signal.SIGKILL)
            wait_until(lambda: len(load.accepted) >= 300, timeout=60, what="the other three go on")
            other.cometbft.start()
        wait_until(lambda: committed_everywhere(net, load.accepted), timeout=120,
                   what="every accepted transaction, certified, everywhere")
        net.wait_all(lambda s: s["mempool"] == 0, what="empty mempools")
        wait_until(lambda: len(net.tips()) == 1, timeout=30, what="one tip")


def test_demo_on_four_nodes_each_department_on_its_own_node(tmp_path):
    """``mulu demo --nodes 4 --exit`` writes a network, starts its eight processes, runs the scenario
    with each department submitting to the node it operates, prints every node agreeing, and stops them."""
    from tests.functional.network import free_block

    base = free_block(40)
    done = run_mulu("demo", "--nodes", "4", "--exit", "--home", tmp_path / "net", "--base-port", base, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert out.count("已上链 committed") >= 10 and "CATALOG_SHARE_BASIS_MISSING" in out
    hashes = {line.split("app hash ")[1][:16] for line in out.splitlines() if line.startswith("node")}
    assert len(hashes) == 1, out[-2000:]
    assert all(f"node{i} (" in out for i in range(4))


def test_partitions_one_against_three_and_two_against_two(tmp_path):
    """1|3: the three go on and decide; the one stays behind, then catches up when healed.
    2|2: nobody holds more than two thirds, so no block is decided; after healing all go on."""
    with TestNetwork(tmp_path, nodes=4, proxied=True) as net:
        net.start()
        edu, health = DEPARTMENTS[0], DEPARTMENTS[1]
        net.partition([3], [0, 1, 2])
        ids = submit(net.nodes[0], anchors(net, edu, 1, 5))
        wait_until(lambda: committed_everywhere(net, ids, nodes=net.nodes[:3]), timeout=60,
                   what="the three decide without the fourth")
        behind = net.nodes[3].status()["height"]
        assert behind < net.nodes[0].status()["height"]
        net.heal()
        wait_until(lambda: committed_everywhere(net, ids), timeout=90, what="the fourth catches up")

        net.partition([0, 1], [2, 3])
        before = {n.index: n.status()["height"] for n in net.nodes}
        stuck = submit(net.nodes[0], anchors(net, health, 1, 3))
        with pytest.raises(AssertionError):
            wait_until(lambda: any(n.status()["height"] > before[n.index] for n in net.nodes), timeout=8,
                       what="no block decided in a 2|2 split")
        net.heal()
        wait_until(lambda: committed_everywhere(net, stuck), timeout=120, what="all go on after healing")
        wait_until(lambda: len(net.tips()) == 1, timeout=30, what="one tip")


def test_a_forged_vote_extension_is_not_counted(tmp_path):
    """One validator's mulu process forges its vote extensions: the others refuse them, every block
    is still certified by the other three, and that validator's name is in no certificate."""
    with TestNetwork(tmp_path, nodes=4) as net:
        forger = net.nodes[3]
        forger.mulu.args = lambda: [sys.executable, "-m", "tests.functional.forging_node", "node", "start",
                                    "--home", str(forger.home.path), "--api", f"127.0.0.1:{forger.mulu.port}"]
        net.start()
        ids = submit(net.nodes[0], anchors(net, DEPARTMENTS[0], 1, 10))
        ids += submit(net.nodes[1], anchors(net, DEPARTMENTS[1], 1, 10))
        wait_until(lambda: committed_everywhere(net, ids), timeout=150, what="blocks certified without node3")
        client = net.nodes[0].client
        certified = client.status()["certified"]
        signers = set()
        for height in range(1, certified + 1):
            commit = client.block(height)["commit"]
            names = {s["validator"] for s in commit["signatures"]}
            assert len(names) >= 3, (height, names)
            signers |= names
        assert "node3" not in signers and signers == {"node0", "node1", "node2"}
        # refused by VerifyVoteExtension, or (a precommit arriving after the height moved on) left out by
        # the proposer that assembles the certificate: either way named — once node3's precommit reaches
        # another node before its height is decided, which more blocks make sure of
        more = iter(range(11, 200))

        def named() -> bool:
            logs = "".join(n.mulu.log_text() for n in net.nodes[:3])
            if "extension of node3" in logs:
                return "does not verify" in logs or "does not sign it" in logs
            submit(net.nodes[0], anchors(net, DEPARTMENTS[0], next(more), 1))
            return False

        wait_until(named, timeout=90, interval=0.5, what="node3's forged extension named in a log")


def test_a_follower_joins_late_and_catches_up_to_the_same_chain(tmp_path):
    """A fifth node, not a validator, started after blocks were decided, catches up by block sync,
    re-executing every block, and exports the same bytes as a validator."""
    with TestNetwork(tmp_path, nodes=5, validators=4) as net:
        net.start([0, 1, 2, 3])
        ids = submit(net.nodes[0], anchors(net, DEPARTMENTS[0], 1, 30))
        wait_until(lambda: committed_everywhere(net, ids, nodes=net.nodes[:4]), timeout=60, what="decided")
        net.start([4])
        ids += submit(net.nodes[4], anchors(net, DEPARTMENTS[1], 1, 5))
        wait_until(lambda: committed_everywhere(net, ids), timeout=90, what="the follower catches up")
        assert export_bytes(net, net.nodes[4], tmp_path) == export_bytes(net, net.nodes[0], tmp_path)


def test_equivocation_evidence_is_recorded_on_chain(tmp_path):
    """Duplicate prevotes signed with node1's CometBFT key, submitted through node0's RPC
    ``broadcast_evidence``: CometBFT verifies the evidence and puts it in a block, and every node
    records it (validator, height, kind), queryable at /v1/evidence."""
    from tests.functional.equivocation import submit_duplicate_vote

    with TestNetwork(tmp_path, nodes=4) as net:
        net.start()
        ids = submit(net.nodes[0], anchors(net, DEPARTMENTS[0], 1, 3))
        wait_until(lambda: committed_everywhere(net, ids), timeout=60, what="a first block")
        height = net.nodes[0].status()["certified"]
        answer = submit_duplicate_vote(net.homes[0].config().rpc, net.homes[1].path / "cometbft",
                                       net.plan.chain_id, height)
        assert "result" in answer, answer
        more = submit(net.nodes[2], anchors(net, DEPARTMENTS[2], 1, 2))  # a block to carry the evidence
        wait_until(lambda: committed_everywhere(net, more), timeout=60, what="another block")

        def recorded():
            found = [n.client.get("/v1/evidence", validator="node1")["evidence"] for n in net.nodes]
            return all(f for f in found) and found

        found = wait_until(recorded, timeout=60, what="the evidence recorded on every node")
        assert {(e["validator"], e["height"], e["kind"]) for f in found for e in f} == {("node1", height,
                                                                                         "duplicate_vote")}


def test_a_node_whose_state_disagrees_stops_and_says_so(tmp_path):
    """A validator whose store was tampered with while it was stopped (a department's nonce changed
    under the state tree) cannot execute the network's next block of that department: its mulu
    process exits 1 with STATE_DIVERGED naming the refusal, and the other three go on."""
    from chain.encoding import decode_trusted, encode
    from chain.store import LevelStore

    with TestNetwork(tmp_path, nodes=4) as net:
        net.start()
        edu = DEPARTMENTS[0]
        ids = submit(net.nodes[0], anchors(net, edu, 1, 3))
        wait_until(lambda: committed_everywhere(net, ids), timeout=60, what="a first block")
        odd = net.nodes[3]
        odd.cometbft.kill(signal.SIGTERM)
        odd.mulu.stop()
        store = LevelStore(str(odd.home.data_dir))
        key = b"c" + f"nonce/{edu.uscc}".encode()
        record = decode_trusted(store.get(key))
        record[1] += 5
        store.write([(key, encode(record))])
        store.close()
        odd.start(wait=False)
        wait_until(lambda: odd.client.status()["engine_height"] is not None, timeout=60, what="node 3 back")
        more = submit(net.nodes[0], anchors(net, edu, 4, 2))
        wait_until(lambda: committed_everywhere(net, more, nodes=net.nodes[:3]), timeout=60, what="the three go on")
        assert odd.mulu.wait_exit(60) == 1
        assert re.search(r"error STATE_DIVERGED: the validators accepted block \d+, which this node cannot execute "
                         r"\(BLOCK_INVALID", odd.mulu.log_text()), odd.mulu.log_tail()


def test_governance_makes_the_follower_a_validator(tmp_path):
    """Four validators and a follower; governance adds the follower (its mulu key and its CometBFT
    consensus key): CometBFT applies the update two blocks after the decision, and from then on the
    follower's mulu signature is in the certificates, beside the four others; a proof of such a block
    carries the change and verifies offline."""
    import base64
    import json

    from chain.crypto import load_private_key_file
    from cli.client import Member
    from node.samples import by_short

    import time

    # BFT time is this machine's clock: a genesis of today, so that the proposal does not expire at once
    with TestNetwork(tmp_path, nodes=5, validators=4, genesis_time=time.time_ns() // 1_000_000) as net:
        net.start()
        follower = net.nodes[4]
        consensus = json.loads((follower.home.path / "cometbft" / "config" / "priv_validator_key.json").read_text())
        mulu_key = load_private_key_file(str(follower.home.path / "validator.pem"))
        args = {"name": "node4", "operator": by_short("市卫生健康委").uscc, "public_key": mulu_key.public_key,
                "power": 1, "consensus_key": base64.b64decode(consensus["pub_key"]["value"])}
        client = net.nodes[0].client

        def member(short):
            code = by_short(short).uscc
            return Member(client, net.homes[0].member_key(code), code, net.plan.chain_id)

        made = member("经信局").call("governance", "propose", {"action": {"contract": "validators", "method": "update",
                                                                       "args": args}, "reason": "新增记账节点"})
        assert made["status"] == "committed", made
        for short in ("经信局", "市委编办", "市财政局"):
            voted = member(short).call("governance", "vote", {"proposal_id": made["tx_id"], "approve": True})
            assert voted["status"] == "committed", voted
        decided = voted["height"]
        sets = client.get("/v1/validators")["sets"]
        assert [len(s["validators"]) for s in sets] == [4, 5] and sets[1]["effective"] == decided + 2

        def signed_by_node4():
            top = client.status()["certified"]
            return any("node4" in {s["validator"] for s in client.block(h)["commit"]["signatures"]}
                       for h in range(decided + 2, top + 1))

        nonce = 1
        while not signed_by_node4():  # each transaction makes a block, and certifies the one before
            assert nonce <= 10, "no certificate signed by the new validator after ten blocks"
            ids = submit(net.nodes[1], anchors(net, DEPARTMENTS[1], nonce, 1))
            wait_until(lambda: committed_everywhere(net, ids), timeout=60, what="a block after the change")
            nonce += 1
        assert len(net.tips()) == 1

        # a proof of a block the five certify carries the change, and checks offline from the genesis file
        ids = submit(net.nodes[1], anchors(net, DEPARTMENTS[1], nonce, 1))
        wait_until(lambda: committed_everywhere(net, ids), timeout=60, what="a block of the five")
        proof = tmp_path / "proof.json"
        proof.write_text(json.dumps(client.tx_proof(ids[0])))
        assert [c["height"] for c in json.loads(proof.read_text())["set_changes"]] == [decided]
        checked = run_mulu("proof", "verify", "--genesis", net.homes[0].genesis_file, "--proof", proof)
        assert checked.returncode == 0 and '"ok": true' in checked.stdout, checked.stdout + checked.stderr
