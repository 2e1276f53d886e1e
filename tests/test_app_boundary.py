"""The engine boundary, driven as CometBFT drives it: the calls of ABCI 2.0 in their
documented order, with plain data only, on an application over an in-memory store.

It shows that the application stores nothing before ``commit``, that a block
decided elsewhere is executed when it is first seen (at ``extend_vote`` for a
locked round, at ``finalize_block`` for block sync), that an invalid proposal is
rejected without a trace, that vote extensions are signatures over the mulu
header hash that only the right validator key makes, and that a block without
more than two thirds of the power in its votes is not finalized.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from chain.errors import BlockInvalid, MuluError
from chain.encoding import decode, encode
from chain.store import MemoryStore
from chain.tx import make_tx
from node import certificate
from node.boundary import BlockRequest, FinalizeRequest, ValidatorPower, Vote
from node.home import init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS
from tests.functional.framework import GENESIS_TIME

EDU = SAMPLE_MEMBERS[6].uscc
STEP = 1000


@pytest.fixture
def node(tmp_path):
    home = init_home(tmp_path / "home", chain_id="mulu-boundary", genesis_time=GENESIS_TIME, clock_step_ms=STEP)
    n = Node(home, store=MemoryStore(), verify_threads=1)
    n.keys = {m.uscc: home.member_key(m.uscc) for m in SAMPLE_MEMBERS}
    yield n
    n.ledger.close()


def anchors(node, count: int, first_nonce: int = 1) -> list[bytes]:
    return [make_tx(node.keys[EDU], chain_id=node.genesis.chain_id, sender=EDU, nonce=first_nonce + i,
                    contract="anchor", method="put",
                    args={"doc_id": f"doc-{first_nonce + i}", "title": "三定规定", "kind": "sanding",
                          "digest": bytes([i + 1]) * 32}).to_bytes() for i in range(count)]


def block(node, txs, height=None, time=GENESIS_TIME) -> BlockRequest:
    height = node.app.info().height + 1 if height is None else height
    return BlockRequest(height, time, "node0", tuple(txs))


def decide(node, req: BlockRequest):
    """ExtendVote, FinalizeBlock with the vote, Commit: what follows a decided proposal."""
    vote = Vote("node0", node.app.extend_vote(req))
    result = node.app.finalize_block(FinalizeRequest(req.height, req.time, req.proposer, req.txs, votes=(vote,)))
    node.app.commit()
    return result


def test_info_and_init_chain_check_the_engine_runs_this_genesis(node):
    """info names the committed tip; init_chain answers the genesis state root (the application
    hash), and refuses an engine whose chain id, genesis time or validators differ from the mulu
    genesis, naming the field."""
    info = node.app.info()
    assert (info.chain_id, info.height, info.tip_hash, info.certified) == ("mulu-boundary", 0, node.genesis.hash, 0)
    assert info.app_hash == node.ledger.state_root(0)
    assert node.app.init_chain("mulu-boundary", GENESIS_TIME, [ValidatorPower("node0", 1)]) == info.app_hash
    for args, field in ((("other", GENESIS_TIME, [ValidatorPower("node0", 1)]), "chain_id"),
                        (("mulu-boundary", 1, [ValidatorPower("node0", 1)]), "genesis_time"),
                        (("mulu-boundary", GENESIS_TIME, [ValidatorPower("node0", 2)]), "validators")):
        with pytest.raises(MuluError) as info:
            node.app.init_chain(*args)
        assert (info.value.code, info.value.details["field"]) == ("GENESIS_INVALID", field)


def test_nothing_is_stored_before_commit(node):
    """A prepared, voted and finalized block changes no committed state until commit, then
    appears whole, with the results FinalizeBlock reported and its certificate."""
    raws = anchors(node, 3)
    assert all(r.ok for r in node.app.check_txs(raws))
    req = block(node, raws)
    assert node.app.prepare_proposal(req) == raws
    assert node.app.process_proposal(req)
    vote = Vote("node0", node.app.extend_vote(req))
    result = node.app.finalize_block(FinalizeRequest(req.height, req.time, "node0", req.txs, votes=(vote,)))
    assert node.app.info().height == 0 and node.ledger.state.get(f"nonce/{EDU}") is None
    assert node.app.next_nonce(EDU) == 4, "the three still wait"
    node.app.commit()
    info = node.app.info()
    assert info.height == 1 and info.app_hash == result.app_hash and info.tip_hash == result.block_hash
    assert info.certified == 1, "solo certifies a block with itself"
    stored = node.ledger.block(1)
    assert stored.results == result.tx_results and [r.ok for r in stored.results] == [True] * 3
    assert stored.header.state_root == result.app_hash
    assert certificate.read_extension(vote.extension) == (result.block_hash, stored.commit.signatures[0].signature)
    assert stored.header.time == GENESIS_TIME + STEP, "the scripted clock sets block time"
    assert node.app.next_nonce(EDU) == 4 and node.ledger.state.get(f"nonce/{EDU}") == 3


def test_a_block_never_processed_is_executed_when_first_seen(node):
    """Locked rounds: ExtendVote for a block this node never processed executes it first.
    Block sync: FinalizeBlock for a block never seen (its transactions never at this door)."""
    first, second = anchors(node, 2)
    decide(node, block(node, [first]))  # extend_vote executes it: no prepare or process before
    assert node.app.info().height == 1
    req = block(node, [second])
    vote = Vote("node0", node.app.extend_vote(req))
    other = FinalizeRequest(req.height, req.time, "node0", req.txs, votes=(vote,))
    assert node.app.finalize_block(other).tx_results[0].ok
    node.app.commit()
    assert node.ledger.state.get(f"nonce/{EDU}") == 2


def test_invalid_proposal_rejected_and_leaves_nothing(node):
    """ProcessProposal rejects a block holding a transaction its node would refuse at the door
    (here a skipped nonce), or from a proposer that is no validator, or at the wrong height;
    FinalizeBlock of such a block raises BLOCK_INVALID rather than store it."""
    (raw,) = anchors(node, 1, first_nonce=2)
    assert not node.app.process_proposal(block(node, [raw]))
    assert not node.app.process_proposal(BlockRequest(1, GENESIS_TIME, "mallory", ()))
    assert not node.app.process_proposal(BlockRequest(5, GENESIS_TIME, "node0", ()))
    with pytest.raises(BlockInvalid):
        node.app.finalize_block(FinalizeRequest(1, GENESIS_TIME, "node0", (raw,)))
    with pytest.raises(BlockInvalid):
        node.app.commit()
    assert node.app.info().height == 0


def test_prepare_leaves_out_what_became_invalid(node):
    """PrepareProposal keeps the mempool's order and leaves out a transaction that fails
    admission by now (a replayed nonce); the rest form the block."""
    raws = anchors(node, 2)
    node.app.check_txs(raws)
    decide(node, block(node, raws[:1]))
    kept = node.app.prepare_proposal(block(node, raws))
    assert kept == raws[1:]


def test_vote_extensions_are_mulu_signatures_over_the_header_hash(node):
    """A vote extension verifies for its validator and height only, and, once this node executed
    the block the engine names, for that block's hash only; an empty or forged one does not, and a
    finalize whose votes do not reach more than two thirds of the power is refused."""
    raws = anchors(node, 1)
    req = replace(block(node, raws), engine_hash=b"A" * 32)
    ext = node.app.extend_vote(req)
    assert node.app.verify_vote_extension(1, "node0", ext, b"A" * 32)
    assert node.app.verify_vote_extension(1, "node0", ext), "a block this node has not executed: the signature"
    assert not node.app.verify_vote_extension(2, "node0", ext), "signed for height 1"
    assert not node.app.verify_vote_extension(1, "node0", b"")
    assert not node.app.verify_vote_extension(1, "node0", bytes(len(ext)))
    assert not node.app.verify_vote_extension(1, "nobody", ext)
    other = replace(block(node, []), engine_hash=b"B" * 32)  # another block at the same height
    other_ext = node.app.extend_vote(other)
    assert node.app.verify_vote_extension(1, "node0", other_ext, b"B" * 32)
    assert not node.app.verify_vote_extension(1, "node0", other_ext, b"A" * 32), "the hash of another block"
    with pytest.raises(BlockInvalid) as info:
        node.app.finalize_block(FinalizeRequest(req.height, req.time, "node0", req.txs, votes=()))
    assert info.value.details["field"] == "commit.signatures"
    with pytest.raises(BlockInvalid):
        node.app.finalize_block(FinalizeRequest(req.height, req.time, "node0", req.txs,
                                                votes=(Vote("node0", bytes(len(ext))),)))
    assert node.app.info().height == 0


def test_query_runs_contract_queries_by_path(node):
    """The engine's query runs a contract query by its path with canonically encoded arguments,
    and answers errors with their codes, never raising."""
    answer = node.app.query("/calendar/years")
    assert answer.ok and 2026 in decode(answer.value)["years"]
    assert node.app.query("/nothing/here").error.code == "QUERY_UNKNOWN"
    assert node.app.query("/calendar/year", encode({"year": "x"})).error.code == "QUERY_ARGS_INVALID"
    assert node.app.query("/calendar/year", b"\xc1").error.code == "BAD_REQUEST"
