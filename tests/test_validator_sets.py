"""Validator sets changed by governance (contracts/validators): a change made by block H takes effect
at H + 2 for the mulu set (header hash, certificates) and, through FinalizeBlock's validator updates,
for CometBFT's set at the same height; every refusal of ``validators.update`` is pinned here."""

from __future__ import annotations

import hashlib
import io

import pytest

from chain.audit import audit_archive
from chain.genesis import validators_hash
from chain.proofs import verify_tx
from chain.tx import make_tx
from node import certificate
from node.samples import by_short
from tests.abci_double import Double, consensus_key, network
from tests.test_governance import BIANBAN, CAIZHENG, JINGXIN, NEWCOMER, decide, net, proposal  # noqa: F401

EDU = by_short("市教委").uscc


def failed(net, args) -> tuple[str, str]:
    pid, _ = decide(net, "validators", "update", args)
    outcome = proposal(net, pid)["outcome"]
    return outcome["code"], outcome["field"]


def test_solo_chain_refusals(net):
    """On a solo chain (no consensus keys): unknown, last, unchanged, a second validator, a bad key or
    operator are refused, each naming its field; the set stays the genesis set."""
    node0 = net.genesis.validators[0]
    same = {"name": "node0", "operator": node0.operator, "public_key": node0.public_key, "power": 1}
    assert failed(net, {**same, "name": "nobody", "power": 0}) == ("VALIDATOR_UNKNOWN", "name")
    assert failed(net, {**same, "power": 0}) == ("VALIDATOR_SET_EMPTY", "name")
    assert failed(net, same) == ("VALIDATOR_UNCHANGED", "name")
    assert failed(net, {**same, "name": "node1"}) == ("VALIDATOR_SOLO_ONE", "name")
    assert failed(net, {**same, "public_key": b"\x01" * 31}) == ("VALIDATOR_KEY_INVALID", "public_key")
    assert failed(net, {**same, "operator": NEWCOMER}) == ("VALIDATOR_OPERATOR_UNKNOWN", "operator")
    assert net.ledger.validators_at(net.ledger.tip.height + 5) == net.genesis.validators


@pytest.fixture
def cmt(tmp_path):
    genesis, peers, keys = network(tmp_path, validators=4, followers=1)
    double = Double(genesis, peers)
    double.keys = keys
    double.nonces = {}
    yield double
    for p in peers:
        p.app.ledger.close()


def call(d: Double, sender: str, contract: str, method: str, args: dict) -> bytes:
    d.nonces[sender] = d.nonces.get(sender, 0) + 1
    return make_tx(d.keys[sender], chain_id=d.genesis.chain_id, sender=sender, nonce=d.nonces[sender],
                   contract=contract, method=method, args=args).to_bytes()


def govern(d: Double, args: dict) -> list:
    """Propose ``validators.update`` and approve it in one block each; the deciding block's results."""
    d.run_height([call(d, JINGXIN, "governance", "propose", {"action": {"contract": "validators", "method": "update",
                                                                      "args": args}, "reason": "测试"})])
    pid = d.peers[0].app.ledger.block(d.height).results[0].tx_id.hex()
    for voter in (JINGXIN, BIANBAN, CAIZHENG):
        d.run_height([call(d, voter, "governance", "vote", {"proposal_id": pid, "approve": True})])
    return pid


def test_a_fifth_validator_joins_two_blocks_after_the_decision(cmt):
    """Governance adds the follower as a validator: the deciding block's FinalizeBlock returns its
    consensus key with power 1; two blocks later the mulu set has five validators (the header's
    validators hash changes), the follower votes, and certificates need four of the five; proofs of later
    blocks carry the change."""
    d = cmt
    follower = d.peers[4]
    key = consensus_key()
    follower.address = hashlib.sha256(key).digest()[:20]
    mulu_key = follower.app.validator
    assert mulu_key is None  # the double made it a follower: give it its validator key
    new_key = follower.app.profile.generate()
    follower.app.validator = ("node4", new_key)
    args = {"name": "node4", "operator": by_short("市卫生健康委").uscc, "public_key": new_key.public_key, "power": 1,
            "consensus_key": key}
    govern(d, args)
    decided = d.height
    updates = list(d.finalized["node0"].validator_updates)
    assert [(u.pub_key.ed25519, u.power) for u in updates] == [(key, 1)]
    ledger = d.peers[0].app.ledger
    assert len(ledger.validators_at(decided + 1)) == 4 and len(ledger.validators_at(decided + 2)) == 5
    d.run_height([])  # decided + 1: the old set still
    d.run_height([])  # decided + 2: five validators, the follower among them
    header = ledger.block(decided + 2).header
    assert header.validators_hash == validators_hash(ledger.profile, ledger.validators_at(decided + 2))
    assert header.validators_hash != ledger.block(decided + 1).header.validators_hash
    block = d.run_height([])  # carries the certificate of decided + 2, signed by the five
    commit, _ = certificate.split(block, d.height)
    assert "node4" in {s.validator for s in commit.signatures} and len(commit.signatures) == 5
    assert len(d.tips()) == 1

    # the export replays (audit reads each height's set from state); a proof carries the change
    out = io.BytesIO()
    ledger.export(out)
    assert audit_archive(d.genesis, out.getvalue(), ledger.machine).ok
    d.run_height([call(d, EDU, "anchor", "put", {"doc_id": "after", "title": "三定规定", "kind": "sanding",
                                                 "digest": bytes(32)})])
    d.run_height([])
    proof = ledger.tx_proof(ledger.block(d.height - 1).results[0].tx_id)
    assert [c["height"] for c in proof["set_changes"]] == [decided]
    assert verify_tx(d.genesis, proof, ledger.machine)["call"] == "anchor.put"


def test_cometbft_chain_refusals(cmt):
    """Validators of a CometBFT chain need a consensus key, and no two the same."""
    d = cmt
    v = d.genesis.validators[0]
    args = {"name": "node9", "operator": v.operator, "public_key": d.peers[0].app.profile.generate().public_key,
            "power": 1}
    for extra, code in (({}, "VALIDATOR_CONSENSUS_KEY_MISSING"),
                        ({"consensus_key": v.consensus_key}, "VALIDATOR_CONSENSUS_KEY_TAKEN")):
        pid = govern(d, {**args, **extra})
        record = d.peers[0].app.registry.run_query(d.peers[0].app.ledger.state, "/governance/proposal",
                                                   {"proposal_id": pid})
        assert (record["status"], record["outcome"]["code"]) == ("failed", code)
