"""Block and consistency proofs: an auditor holding one committed header checks others.

A small chain of single-transaction blocks is built in process; every block is
proven into every later header's history root, every pair of heads is proven
consistent, all offline through ``chain.proofs.verify`` with only the genesis,
and any changed byte makes the proof fail with PROOF_INVALID.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chain import proofs
from chain.errors import MuluError
from cli.main import _unb64
from node.api import create_app
from tests.test_ledger import ALICE, Net

BLOCKS = 7


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Net(tmp_path_factory.mktemp("proofs") / "home")
    for i in range(BLOCKS):
        n.submit(n.anchor(ALICE, "doc", f"version {i}"))
        n.blocks()
    assert n.ledger.tip.height == BLOCKS
    yield n
    n.ledger.close()


def _flips(value, path=()):
    """Every (path, mutated copy) with one byte of one bytes field changed."""
    if isinstance(value, bytes):
        for i in range(len(value)):
            yield path, value[:i] + bytes([value[i] ^ 1]) + value[i + 1:]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for p, m in _flips(item, path + (i,)):
                yield p, value[:i] + [m] + value[i + 1:]
    elif isinstance(value, dict):
        for k, item in value.items():
            for p, m in _flips(item, path + (k,)):
                yield p, {**value, k: m}


def test_every_block_is_in_every_later_history(net):
    """Block h (genesis at 0) is proven into the history root of each block after it."""
    for at in range(1, BLOCKS + 1):
        for height in range(at):
            proof = {"type": "block", **net.ledger.block_proof(height, at)}
            assert proofs.verify(net.genesis, proof)["block_hash"] == net.ledger.block_hash(height).hex()


def test_every_pair_of_heads_is_consistent(net):
    """The history at any head extends the history at every earlier head."""
    for new in range(1, BLOCKS + 1):
        for old in range(1, new + 1):
            proof = {"type": "consistency", **net.ledger.consistency_proof(old, new)}
            checked = proofs.verify(net.genesis, proof)
            assert checked["old_hash"] == net.ledger.block_hash(old).hex()


def test_invalid_block_proof_with_any_byte_changed(net):
    """Flipping any byte of a block proof (hash, path, header or commit) breaks it."""
    proof = {"type": "block", **net.ledger.block_proof(2, 6)}
    count = 0
    for path, mutated in _flips(proof):
        with pytest.raises(MuluError) as err:
            proofs.verify(net.genesis, mutated)
        assert err.value.code == "PROOF_INVALID", path
        count += 1
    assert count > 300


def test_invalid_consistency_proof_with_any_byte_changed(net):
    """Flipping any byte of a consistency proof (path, either header or commit) breaks it."""
    proof = {"type": "consistency", **net.ledger.consistency_proof(3, 7)}
    for path, mutated in _flips(proof):
        with pytest.raises(MuluError) as err:
            proofs.verify(net.genesis, mutated)
        assert err.value.code == "PROOF_INVALID", path


def test_invalid_proofs_with_wrong_heights(net):
    """Heights that disagree with the headers, or a genesis block that is not the genesis."""
    block = {"type": "block", **net.ledger.block_proof(2, 6)}
    for bad in ({**block, "height": 3}, {**block, "at": 5}, {**block, "height": 0}):
        with pytest.raises(MuluError) as err:
            proofs.verify(net.genesis, bad)
        assert err.value.code == "PROOF_INVALID"
    cons = {"type": "consistency", **net.ledger.consistency_proof(3, 7)}
    for bad in ({**cons, "old": 2}, {**cons, "new": 6}, {**cons, "type": "nonsense"}):
        with pytest.raises(MuluError) as err:
            proofs.verify(net.genesis, bad)
        assert err.value.code == "PROOF_INVALID"


def test_invalid_proof_requests(net):
    """Inconsistent heights are a BAD_REQUEST and a block past the tip is BLOCK_NOT_FOUND, never a
    proof of nothing."""
    for height, at, code in ((3, 3, "BAD_REQUEST"), (5, 2, "BAD_REQUEST"), (-1, 3, "BAD_REQUEST"),
                             (0, BLOCKS + 1, "BLOCK_NOT_FOUND")):
        with pytest.raises(MuluError) as err:
            net.ledger.block_proof(height, at)
        assert err.value.code == code
    for old, new, code in ((0, 3, "BAD_REQUEST"), (4, 3, "BAD_REQUEST"), (1, BLOCKS + 1, "BLOCK_NOT_FOUND")):
        with pytest.raises(MuluError) as err:
            net.ledger.consistency_proof(old, new)
        assert err.value.code == code


def test_api_serves_block_and_consistency_proofs(net):
    """The API's proofs, turned back from JSON, verify offline; bad ranges are 400."""
    client = TestClient(create_app(net.node))
    block = client.get("/v1/blocks/1/proof", params={"at": 4})
    assert block.status_code == 200
    assert proofs.verify(net.genesis, _unb64(block.json()))["at"] == 4
    tip = client.get("/v1/consistency", params={"old": 2})
    assert tip.status_code == 200
    assert proofs.verify(net.genesis, _unb64(tip.json()))["new"] == BLOCKS
    bad = client.get("/v1/consistency", params={"old": 5, "new": 3})
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST"
