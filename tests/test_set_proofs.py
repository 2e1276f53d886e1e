"""Proofs across validator set changes: each proof carries the set changes from the genesis set to the
set that certified its header, and checks offline from the genesis alone.

A CometBFT chain of four validators is driven in process (:mod:`tests.abci_double`) through two
governance changes: node4 joins (five validators from block E1), then node1 leaves (four from E2).
Every kind of proof, for blocks before, at and after each change, verifies with only the genesis
and the chain's application; any tampering with a set change (its state proof, header, commit, the
order, a skipped or repeated change, a record that is not a set) is refused, naming the field.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import proofs
from chain.block import Commit, CommitSig, vote_bytes
from chain.errors import MuluError, StateDiverged
from cli.main import _unb64
from contracts.registry import Registry
from node.api import create_app
from node.api.common import proof_value
from node.samples import by_short
from tests.abci_double import Double, consensus_key, network
from tests.test_chain_proofs import _flips
from tests.test_cli import mulu_json
from tests.test_validator_sets import EDU, call, govern

MACHINE = Registry()
"""The verifier's own application: it reads the set records, trusting nothing the node says."""


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Blocks 1…: an anchor in each; node4 joins at E1, node1 leaves at E2; the last block certified."""
    genesis, peers, keys = network(tmp_path_factory.mktemp("sets"), validators=4, followers=1)
    d = Double(genesis, peers)
    d.keys, d.nonces = keys, {}
    docs = iter(range(1000))

    def anchor() -> list[bytes]:
        return [call(d, EDU, "anchor", "put", {"doc_id": f"doc{next(docs)}", "title": "三定规定",
                                               "kind": "sanding", "digest": bytes(32)})]

    d.run_height(anchor())
    follower = peers[4]
    key, mulu_key = consensus_key(), follower.app.profile.generate()
    follower.address = hashlib.sha256(key).digest()[:20]
    follower.app.validator = ("node4", mulu_key)
    govern(d, {"name": "node4", "operator": by_short("市卫生健康委").uscc, "public_key": mulu_key.public_key,
               "power": 1, "consensus_key": key})
    e1 = d.height + 2
    for _ in range(3):
        d.run_height(anchor())
    node1 = genesis.validators[1]
    govern(d, {"name": "node1", "operator": node1.operator, "public_key": node1.public_key, "power": 0})
    e2 = d.height + 2
    for _ in range(3):
        d.run_height(anchor())
    d.run_height([])  # certifies the block before
    ledger = peers[0].app.ledger
    assert [len(ledger.validators_at(h)) for h in (e1 - 1, e1, e2 - 1, e2)] == [4, 5, 5, 4]
    yield SimpleNamespace(genesis=genesis, ledger=ledger, e1=e1, e2=e2, last=ledger.certified, peers=peers)
    for p in peers:
        p.app.ledger.close()


def changes_by(c, height: int) -> int:
    return (height >= c.e1) + (height >= c.e2)


def tx_id(c, height: int) -> bytes:
    return c.ledger.block(height).results[0].tx_id


def refused(c, proof: dict) -> MuluError:
    with pytest.raises(MuluError) as info:
        proofs.verify(c.genesis, proof, MACHINE)
    assert info.value.code == "PROOF_INVALID", info.value
    return info.value


def field_of(c, proof: dict) -> str:
    return refused(c, proof).details.get("field")


def test_every_kind_of_proof_at_every_height_verifies_from_genesis(chain):
    """Tx, state, block and consistency proofs for each block, before, at and after each change, carry
    exactly the changes in force by their header and verify with the genesis and the application."""
    c, ledger = chain, chain.ledger
    for h in range(1, c.last + 1):
        found = [{"type": "state", **ledger.state_proof("validators/latest", h)},
                 {"type": "block", **ledger.block_proof(h - 1, h)},
                 {"type": "consistency", **ledger.consistency_proof(1, h)},
                 {"type": "consistency", **ledger.consistency_proof(h, c.last)}]
        if ledger.block(h).results:
            found.append({"type": "tx", **ledger.tx_proof(tx_id(c, h))})
        for proof in found:
            expect = changes_by(c, proof.get("new", proof.get("at", h)))
            assert len(proof["set_changes"]) == expect, (h, proof["type"])
            assert proofs.verify(c.genesis, proof, MACHINE)["type"] == proof["type"]
    latest = proofs.verify(c.genesis, {"type": "state", **ledger.state_proof("validators/latest")}, MACHINE)
    assert latest["value"] == c.e2


def test_each_change_is_proven_under_a_header_of_the_set_before_it(chain):
    """A change is its set's record with a state proof under the block that wrote it (two before it
    takes effect), which the set before it certified."""
    c = chain
    first, second = c.ledger.set_changes(c.last)
    assert (first["height"], second["height"]) == (c.e1 - 2, c.e2 - 2)
    assert first["key"] == f"validators/set/{c.e1:012d}" and second["key"] == f"validators/set/{c.e2:012d}"
    assert len(first["commit"][3]) == 4 and len(second["commit"][3]) == 5  # signed by the set then in force


def test_a_set_is_in_force_from_its_effective_height(chain):
    """The last block of the old set verifies with or without the change to come (and, carrying none, as
    a proof made before proofs carried changes); the first block of the new set verifies only with it."""
    c = chain
    before = {"type": "tx", **c.ledger.tx_proof(tx_id(c, c.e1 - 1))}
    later = c.ledger.set_changes(c.last)
    assert before["set_changes"] == []
    unchanged = {k: v for k, v in before.items() if k != "set_changes"}  # a proof made before the field
    assert proofs.verify(c.genesis, unchanged) == proofs.verify(c.genesis, before, MACHINE)
    for changes in ([], later[:1], later):
        proofs.verify(c.genesis, {**before, "set_changes": changes}, MACHINE)
    at = {"type": "tx", **c.ledger.tx_proof(tx_id(c, c.e1))}
    assert field_of(c, {**at, "set_changes": []}) == "header.validators_hash"
    proofs.verify(c.genesis, at, MACHINE)


def test_invalid_changes_tampered_piece_by_piece(chain):
    """Each piece of a change, tampered with, is refused naming that piece."""
    c = chain
    proof = {"type": "tx", **c.ledger.tx_proof(tx_id(c, c.last - 1))}
    t1, t2 = proof["set_changes"]

    def with_change(i: int, **changed) -> dict:
        changes = list(proof["set_changes"])
        changes[i] = {**changes[i], **changed}
        return {**proof, "set_changes": changes}

    levels, leaf = t2["proof"]
    bitmap, sibs = levels[0]
    bad_path = [[[bitmap, [bytes(len(sibs[0])), *sibs[1:]]], *levels[1:]], leaf]
    assert field_of(c, with_change(1, proof=bad_path)) == "set_changes[1].proof"
    record = bytearray(t1["record"])
    record[-1] ^= 1
    assert field_of(c, with_change(0, record=bytes(record))) == "set_changes[0].record"
    header = list(t1["header"])
    header[2] += 1  # its time
    assert field_of(c, with_change(0, header=header)) == "set_changes[0].commit.block_hash"
    header = list(t2["header"])
    header[8] = bytes(32)  # its validators hash
    assert field_of(c, with_change(1, header=header)) == "set_changes[1].header.validators_hash"
    commit = list(t2["commit"])
    commit[3] = [commit[3][0][:1] + [bytes(64)], *commit[3][1:]]
    assert field_of(c, with_change(1, commit=commit)) == "set_changes[1].commit.signatures[0].signature"
    commit[3] = commit[3][1:2]  # one signature of five
    assert field_of(c, with_change(1, commit=commit)) == "set_changes[1].commit.signatures"
    assert field_of(c, with_change(1, height=t2["height"] + 1)) == "set_changes[1].height"
    assert field_of(c, {**proof, "set_changes": [t1, {"nonsense": 1}]}) == "set_changes[1].header"
    assert field_of(c, {**proof, "set_changes": t1}) == "set_changes"


def test_invalid_changes_out_of_order_skipped_or_repeated(chain):
    """Reordered, skipped or repeated changes, or none, are refused; the header of the first change out
    of step names a set the walk does not hold in force."""
    c = chain
    proof = {"type": "block", **c.ledger.block_proof(3, c.last)}
    t1, t2 = proof["set_changes"]
    cases = [([t2, t1], "set_changes[0].header.validators_hash"),
             ([t2], "set_changes[0].header.validators_hash"),
             ([t1], "header.validators_hash"),
             ([], "header.validators_hash"),
             ([t1, t1, t2], "set_changes[1].key"),
             ([t1, t2, t2], "set_changes[2].key")]
    for changes, field in cases:
        assert field_of(c, {**proof, "set_changes": changes}) == field, changes


def test_invalid_change_proving_a_record_that_is_not_a_set(chain):
    """A genuine state proof of another record, under a genuine header of the set then in force, is not a
    set change; nor is the absence of a set's record."""
    c = chain
    proof = {"type": "tx", **c.ledger.tx_proof(tx_id(c, c.e1))}
    (t1,) = proof["set_changes"]
    latest = c.ledger.state_proof("validators/latest", t1["height"])
    assert field_of(c, {**proof, "set_changes": [latest]}) == "set_changes[0].key"
    absent = c.ledger.state_proof(f"validators/set/{c.e1 + 1:012d}", t1["height"])
    assert absent["record"] is None
    assert field_of(c, {**proof, "set_changes": [absent]}) == "set_changes[0].key"


def test_invalid_change_proven_under_a_header_of_its_own_set(chain):
    """A set's record proven under a block its own set certified cannot bring that set in: the header
    names a set the walk does not hold in force there."""
    c = chain
    proof = {"type": "tx", **c.ledger.tx_proof(tx_id(c, c.e1 + 1))}
    own = c.ledger.state_proof(f"validators/set/{c.e1:012d}", c.e1)
    assert own["record"] is not None
    assert field_of(c, {**proof, "set_changes": [own]}) == "set_changes[0].header.validators_hash"


class EveryRecordASet:
    """An application that reads any record as the genesis set taking effect at block ``effective``."""

    def __init__(self, genesis, effective: int) -> None:
        self.genesis, self.effective = genesis, effective

    def scheduled_sets(self, writes: dict) -> list:
        return [(self.effective, self.genesis.validators)]


def test_invalid_change_taking_effect_by_its_own_header(chain):
    """A change proven under a block at or after its effective height would have a set vouch for itself:
    refused even where the header names the same validators (which only such an application allows)."""
    c = chain
    proof = {"type": "block", **c.ledger.block_proof(1, c.e1 - 1)}
    mislead = {**proof, "set_changes": [c.ledger.state_proof("validators/latest", 3)]}
    proofs.verify(c.genesis, mislead, EveryRecordASet(c.genesis, 4))  # in force after the header: accepted
    for effective in (3, 2):
        with pytest.raises(MuluError) as info:
            proofs.verify(c.genesis, mislead, EveryRecordASet(c.genesis, effective))
        assert info.value.details["field"] == "set_changes[0].height"


def test_invalid_changes_without_the_application(chain):
    """A verifier that cannot read set records refuses a proof carrying changes, and says why."""
    c = chain
    proof = {"type": "tx", **c.ledger.tx_proof(tx_id(c, c.e1))}
    with pytest.raises(MuluError) as info:
        proofs.verify(c.genesis, proof)
    assert (info.value.code, info.value.details["field"]) == ("PROOF_INVALID", "set_changes")


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.sampled_from([0, 1]), max_size=3), offset=st.integers(min_value=0, max_value=40))
def test_only_the_changes_in_order_verify(chain, picks, offset):
    """Any sequence of the two changes verifies exactly when it starts with every change in force by the
    header's height, oldest first, each once."""
    c = chain
    height = 1 + offset % c.last
    proof = {"type": "block", **c.ledger.block_proof(0, height)}
    everything = c.ledger.set_changes(c.last)
    changes = [everything[i] for i in picks]
    ok = picks == [0, 1][:len(picks)] and len(picks) >= changes_by(c, height)
    if ok:
        proofs.verify(c.genesis, {**proof, "set_changes": changes}, MACHINE)
    else:
        refused(c, {**proof, "set_changes": changes})


@settings(max_examples=150, deadline=None)
@given(pick=st.integers(min_value=0))
def test_invalid_proof_with_any_byte_of_its_changes_flipped(chain, pick):
    """Flipping any one byte of a change (record, path, header, commit) breaks the proof."""
    c = chain
    proof = {"type": "consistency", **c.ledger.consistency_proof(2, c.last)}
    flips = list(_flips(proof["set_changes"]))
    path, changed = flips[pick % len(flips)]
    error = refused(c, {**proof, "set_changes": changed})
    assert error.details.get("field", "").startswith(f"set_changes[{path[0]}]"), (path, error)


def test_api_and_cli_carry_the_changes(chain, tmp_path):
    """The proof routes serve the changes (bytes as base64, in the published schema); the saved JSON
    verifies with `mulu proof verify` against the genesis file alone."""
    c = chain
    client = TestClient(create_app(SimpleNamespace(ledger=c.ledger, genesis=c.genesis)))
    schema = client.get("/v1/openapi.json").json()["components"]["schemas"]
    assert "set_changes" in schema["ProofPublic"]["properties"] and "SetChangePublic" in schema
    answers = {"tx": client.get(f"/v1/txs/{tx_id(c, c.e2).hex()}/proof"),
               "state": client.get("/v1/state/proof", params={"key": "validators/latest"}),
               "block": client.get("/v1/blocks/2/proof", params={"at": c.e2}),
               "consistency": client.get("/v1/consistency", params={"old": c.e1})}
    genesis = tmp_path / "genesis.json"
    genesis.write_text(c.genesis.to_json())
    for kind, answer in answers.items():
        assert answer.status_code == 200, answer.json()
        assert len(answer.json()["set_changes"]) == 2
        assert proofs.verify(c.genesis, _unb64(answer.json()), MACHINE)["type"] == kind
        saved = tmp_path / f"{kind}.json"
        saved.write_text(json.dumps(answer.json()))
        assert mulu_json("proof", "verify", "--genesis", genesis, "--proof", saved)["ok"] is True
    assert proof_value(c.ledger.set_changes(c.last)) == answers["tx"].json()["set_changes"]


def test_a_changed_set_certifying_another_block_means_this_node_diverged(chain):
    """After the set changed, a certificate of another block at this node's tip, validly signed by the set
    in force (node4 in it, node1 gone), says this node's state disagrees: STATE_DIVERGED, not a forged
    proposal (the signatures are checked against the set in force, not genesis's)."""
    app = chain.peers[0].app
    tip = app.ledger.tip
    other = bytes(32)
    message = vote_bytes(chain.genesis.chain_id, tip.height, 0, other)
    signers = {p.app.validator[0]: p.app.validator[1] for p in chain.peers if p.app.validator is not None}
    in_force = app.ledger.validators_at(tip.height)
    assert "node4" in {v.name for v in in_force} and "node1" not in {v.name for v in in_force}
    commit = Commit(tip.height, 0, other, tuple(CommitSig(v.name, signers[v.name].sign(message)) for v in in_force))
    with pytest.raises(StateDiverged):
        app._check_certificate(commit)
