"""The commit certificate under CometBFT, in process: four validators' applications driven through
the ABCI adapter by a double that sends CometBFT v0.38's requests in its order (tests/abci_double.py).

What is pinned: block h's certificate (the validators' mulu signatures, carried
in their vote extensions) rides first in block h+1 and is stored with block h;
a block carrying only a certificate leaves the application hash unchanged (so
an idle CometBFT stops after it); a forged extension is refused and left out of
the certificate, which still forms from the others; a proposal without the
certificate, or with a forged one, is rejected; locked rounds and block sync
work; a node whose state disagrees stops with STATE_DIVERGED; the door takes a
sender's nonces out of order within a window and a proposal puts them in order;
a bundle of transactions is admitted while any of them is, a proposal unpacks the
mempool's bundles and packs what it keeps, and a bundle that does not decode is
refused at the door and in a proposal.
"""

from __future__ import annotations

import io

import pytest

from chain.audit import audit_archive
from chain.block import Commit
from chain.tx import make_tx
from node import bundle, certificate
from node.abci.proto import abci
from node.app import NONCE_WINDOW
from node.samples import SAMPLE_MEMBERS
from tests.abci_double import GENESIS_TIME, Double, network, ts

EDU = SAMPLE_MEMBERS[6].uscc


@pytest.fixture
def net(tmp_path):
    genesis, peers, keys = network(tmp_path, validators=4, followers=1)
    double = Double(genesis, peers)
    double.keys = keys
    yield double
    for p in peers:
        p.app.ledger.close()


def anchors(net, count: int, first: int = 1) -> list[bytes]:
    return [make_tx(net.keys[EDU], chain_id=net.genesis.chain_id, sender=EDU, nonce=first + i, contract="anchor",
                    method="put", args={"doc_id": f"doc-{first + i}", "title": "三定规定", "kind": "sanding",
                                        "digest": bytes([i + 1]) * 32}).to_bytes() for i in range(count)]


def check(peer, raws) -> list[abci.ResponseCheckTx]:
    return [peer.call(check_tx=abci.RequestCheckTx(tx=raw)).check_tx for raw in raws]


def test_a_blocks_certificate_rides_in_the_next_block_and_is_stored_with_it(net):
    """Block 1 is stored uncertified; block 2 carries its certificate first (four mulu signatures over
    block 1's hash) and every node stores block 1 with it; the certificate-only block changes no state."""
    raws = anchors(net, 3)
    assert all(r.code == 0 for r in check(net.peers[0], raws))
    first = net.run_height(raws)
    assert first == [bundle.join(raws)], "height 1 has no block before it to certify: its transactions, one bundle"
    assert len(net.tips()) == 1
    app = net.peers[0].app
    assert (app.ledger.tip.height, app.ledger.certified) == (1, 0)
    assert app.ledger.block(1).commit is None
    root = app.info().app_hash

    second = net.run_height([])
    assert len(second) == 1 and second[0].startswith(certificate.TAG)
    commit, rest = certificate.split(second, 2)
    assert rest == () and commit.height == 1 and commit.block_hash == app.ledger.block_hash(1)
    assert sorted(s.validator for s in commit.signatures) == ["node0", "node1", "node2", "node3"]
    assert len(net.tips()) == 1, "all five nodes, the follower too, agree"
    for p in net.peers:
        assert p.app.ledger.block(1).commit == commit and p.app.ledger.certified == 1
    assert app.info().app_hash == root, "a block carrying only a certificate leaves the application hash"


def test_exports_are_byte_identical_and_audit_against_the_genesis_alone(net):
    """Every node exports the same bytes up to its last certified block, which audit accepts."""
    raws = anchors(net, 6)
    net.run_height(raws[:3])
    net.run_height(raws[3:])
    net.run_height([])
    exports = set()
    for p in net.peers:
        out = io.BytesIO()
        p.app.ledger.export(out)
        exports.add(out.getvalue())
    assert len(exports) == 1
    report = audit_archive(net.genesis, exports.pop(), net.peers[0].app.ledger.machine)
    assert report.ok and report.blocks == 2, report


def test_a_forged_extension_is_refused_and_the_certificate_forms_from_the_others(net):
    """VerifyVoteExtension rejects node3's forged extension; its own proposal leaves it out of the
    certificate (naming it in the log), which still holds more than two thirds of the power."""
    net.run_height(anchors(net, 1), forge=(net.validators[3],))
    assert len(net.last_votes) == 4, "node3's own view holds its forged extension"
    block = net.prepare([], proposer=net.validators[3])
    commit, _ = certificate.split(block, 2)
    assert sorted(s.validator for s in commit.signatures) == ["node0", "node1", "node2"]
    assert all(net.process(p, block, proposer=net.validators[3]) for p in net.peers)


def test_a_proposal_without_or_with_a_forged_certificate_is_rejected(net):
    net.run_height(anchors(net, 1))
    good = net.prepare([])
    assert all(net.process(p, good) for p in net.peers)
    assert not any(net.process(p, []) for p in net.peers), "the certificate of block 1 is missing"
    commit, _ = certificate.split(good, 2)
    forged = Commit(commit.height, commit.round, commit.block_hash,
                    commit.signatures[:2] + (type(commit.signatures[0])(commit.signatures[2].validator, bytes(64)),))
    assert not any(net.process(p, [certificate.certificate_tx(forged)]) for p in net.peers)
    thin = Commit(commit.height, commit.round, commit.block_hash, commit.signatures[:2])
    assert not any(net.process(p, [certificate.certificate_tx(thin)]) for p in net.peers), "half the power"
    late = [good[0], good[0]]
    assert not any(net.process(p, late) for p in net.peers), "a certificate rides only first"


def test_locked_round_and_block_sync(net):
    """A validator that never processed the block executes it at ExtendVote; the follower that sees
    only FinalizeBlock (block sync) executes it there; all end on the same tip."""
    raws = anchors(net, 4)
    net.run_height(raws[:2], skip_process=(net.validators[2],))
    net.run_height(raws[2:], sync_only=(net.peers[4],))
    net.run_height([], skip_process=tuple(net.peers[1:]))
    assert len(net.tips()) == 1
    assert net.peers[4].app.ledger.state.get(f"nonce/{EDU}") == 4


def test_a_node_whose_state_disagrees_stops(net):
    """A node that executed another block at height 1 meets the network's certificate of its own
    block 1 and answers FinalizeBlock with an exception: STATE_DIVERGED, reported to the node."""
    raws = anchors(net, 2)
    odd = net.peers[4]
    block = net.prepare(raws[:1])
    for p in net.peers:
        txs = raws if p is odd else block  # the odd node decided another block (a bug, a tampered store)
        assert net.finalize(p, txs).WhichOneof("value") == "finalize_block"
    votes = [abci.ExtendedVoteInfo(validator=abci.Validator(address=p.address, power=1),
                                   vote_extension=certificate.extension(
                                       net.validators[0].app.ledger.tip.hash,
                                       p.app.validator[1].sign(p.app._vote_message(p.app.ledger.block(1).header))),
                                   block_id_flag=2) for p in net.validators]
    net.height = 1
    nxt = net.prepare([], votes=votes)
    answer = net.finalize(odd, nxt)
    assert answer.WhichOneof("value") == "exception" and "STATE_DIVERGED" in answer.exception.error
    assert odd.faults and odd.faults[0].code == "STATE_DIVERGED"
    assert odd.app.ledger.tip.height == 1


def test_the_door_takes_nonces_out_of_order_within_a_window(net):
    """A peer may see nonce 2 before 1: CheckTx admits both; the proposal orders them; a nonce more
    than the window past the highest seen is refused; after the block, a re-check refuses the used nonce."""
    raws = anchors(net, 3)
    peer = net.peers[1]
    answers = check(peer, [raws[2], raws[0], raws[1]])
    assert [a.code for a in answers] == [0, 0, 0]
    far = anchors(net, 1, first=3 + NONCE_WINDOW + 1)
    refused = check(peer, far)[0]
    assert (refused.code, refused.info) == (1, "TX_NONCE_GAP"), "past the window after the highest seen (3)"
    assert check(peer, anchors(net, 1, first=3 + NONCE_WINDOW))[0].code == 0, "a long queue of one sender"
    block = net.run_height([raws[2], raws[0], raws[1]])
    assert bundle.flatten(block) == tuple(raws), "each sender's transactions in nonce order"
    again = check(peer, [raws[0]])[0]
    assert (again.code, again.info) == (1, "TX_NONCE_REPLAYED")


def test_a_recheck_after_a_block_refuses_only_used_nonces(net):
    """CheckTx of type RECHECK (CometBFT's re-check of its mempool after each block) answers on the
    nonce alone: a transaction whose nonce a block used is refused, a later one still waits."""
    raws = anchors(net, 3)
    peer = net.peers[2]
    net.run_height(raws[:2])
    answers = [peer.call(check_tx=abci.RequestCheckTx(tx=raw, type=abci.RECHECK)).check_tx for raw in raws]
    assert [(a.code, a.info) for a in answers] == [(1, "TX_NONCE_REPLAYED"), (1, "TX_NONCE_REPLAYED"), (0, "")]


def test_misbehaviour_in_a_block_is_recorded_and_replayed_by_audit(net):
    """A block whose FinalizeBlock (and proposal) carries CometBFT's duplicate-vote evidence records
    it on every node, queryable by validator; the exported chain carries it, and audit's replay
    reaches the same state."""
    raws = anchors(net, 1)
    net.run_height(raws)
    proof = abci.Misbehavior(type=abci.DUPLICATE_VOTE, validator=abci.Validator(address=net.validators[2].address,
                                                                                power=1),
                             height=1, time=ts(GENESIS_TIME + 1), total_voting_power=4)
    net.misbehavior = [proof]
    net.run_height(anchors(net, 1, first=2))
    net.misbehavior = []
    net.run_height([])
    assert len(net.tips()) == 1
    for p in net.peers:
        found = p.app.registry.run_query(p.app.ledger.state, "/evidence/misbehaviour", {"validator": "node2"})
        assert found["evidence"] == [{"validator": "node2", "height": 1, "kind": "duplicate_vote",
                                      "time": GENESIS_TIME + 1, "recorded_height": 2}]
    assert net.peers[0].app.ledger.block(2).evidence[0].validator == "node2"
    out = io.BytesIO()
    net.peers[0].app.ledger.export(out)
    report = audit_archive(net.genesis, out.getvalue(), net.peers[0].app.ledger.machine)
    assert report.ok and report.blocks == 2, report


def test_next_nonce_follows_the_door_and_forgets_what_the_mempool_refused(net):
    """Under CometBFT the door remembers the highest nonce it admitted, for clients asking the next
    one; a transaction the engine's mempool then refuses is withdrawn, and a block settles the rest."""
    app = net.peers[0].app
    raws = anchors(net, 3)
    assert all(r.ok for r in app.check_txs(raws))
    assert app.next_nonce(EDU) == 4
    app.withdraw(raws[2:])
    assert app.next_nonce(EDU) == 3, "nonce 3 never reached the mempool: offered again"
    net.run_height(raws[:2])
    assert app.next_nonce(EDU) == 3


def test_a_bundle_is_admitted_while_any_of_its_transactions_is(net):
    """CheckTx of a bundle checks each of its transactions: admitted (saying how many are admissible)
    while one is, refused with the first one's error when none is, or when it does not decode; a
    re-check keeps it while a transaction of it is still to come."""
    raws = anchors(net, 4)
    peer = net.peers[1]
    whole = check(peer, [bundle.join(raws[:3])])[0]
    assert (whole.code, whole.info) == (0, "bundle: 3 of 3 admissible")
    forged = raws[3][:-8] + bytes(8)
    part = check(net.peers[2], [bundle.join([forged, raws[0]])])[0]
    assert (part.code, part.info) == (0, "bundle: 1 of 2 admissible")
    none = check(net.peers[2], [bundle.join([forged, forged[:-1] + b"\x01"])])[0]
    assert (none.code, none.info) == (1, "TX_SIGNATURE_INVALID")
    bad = check(peer, [bundle.TAG + b"\x92\x01\x02"])[0]
    assert (bad.code, bad.info) == (1, "TX_MALFORMED")
    assert check(peer, [bundle.TAG + bundle.join([raws[0]])])[0].info == "TX_MALFORMED", "one transaction is no bundle"
    net.run_height(raws[:2])
    recheck = [peer.call(check_tx=abci.RequestCheckTx(tx=tx, type=abci.RECHECK)).check_tx
               for tx in (bundle.join(raws[:2]), bundle.join(raws[1:3]))]
    assert [(a.code, a.info) for a in recheck] == [(1, "TX_NONCE_REPLAYED"), (0, "bundle: 1 of 2 admissible")]


def test_a_proposal_unpacks_the_mempools_bundles_and_packs_what_it_keeps(net):
    """The proposer unpacks bundles and single transactions alike, leaves out what may not enter (here a
    nonce already used) and proposes the rest as one bundle; every node executes the bundle's
    transactions as the block, one FinalizeBlock result per CometBFT transaction."""
    raws = anchors(net, 5)
    net.run_height(raws[:1])
    block = net.run_height([bundle.join(raws[:3]), raws[3], bundle.join(raws[4:] + raws[4:])])
    assert len(block) == 2 and block[0].startswith(certificate.TAG)
    assert bundle.flatten(block[1:]) == tuple(raws[1:]), "the used nonce and the repeat left out, in nonce order"
    results = net.finalized["node0"].tx_results
    assert [r.info for r in results] == ["certificate", "bundle: 4 committed, 0 refused"]
    assert len(net.tips()) == 1
    assert net.peers[4].app.ledger.state.get(f"nonce/{EDU}") == 5
    assert net.peers[4].app.ledger.block(2).txs[0].to_bytes() == raws[1]


def test_a_proposal_with_a_bundle_that_does_not_decode_is_rejected(net):
    raws = anchors(net, 2)
    assert not net.process(net.peers[1], [raws[0], bundle.TAG + b"\xc0"])
    assert net.process(net.peers[1], [bundle.join(raws)])


def test_a_proposer_leaves_out_a_mempool_bundle_that_does_not_decode(net):
    """PrepareProposal passes over what it cannot unpack (it never passed CheckTx) and proposes the rest."""
    raws = anchors(net, 2)
    block = net.run_height([bundle.TAG + b"\xc0", bundle.join(raws)])
    assert bundle.flatten(block) == tuple(raws)
