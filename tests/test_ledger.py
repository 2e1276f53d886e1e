"""Tests of the state transition, run in process with solo consensus.

A node is built from a fresh home with a scripted clock over a MemoryStore;
transactions go in through the application's door (check_txs) and blocks are
made by the solo engine. The tests show what committed and refused
transactions leave in blocks and state, how keys are added and revoked, that
every door rejection keeps a transaction out of the mempool, that tampered
blocks and commits are refused naming the field, that proofs verify offline
and break when any byte changes, and that bad genesis documents are refused.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import replace

import pytest

from chain import proofs
from chain.block import Block, CommitSig, TxResult
from chain.encoding import decode, encode
from chain.errors import MuluError
from chain.execution import BlockView
from chain.genesis import Genesis
from chain.ledger import Ledger, sign_commit
from chain.store import MemoryStore
from chain.tx import Transaction, make_tx
from contracts import uscc
from contracts.identity import member_key
from contracts.registry import Registry
from node.home import init_home
from node.engines.mempool import Mempool
from node.node import Node
from node.samples import SAMPLE_MEMBERS

GENESIS_TIME = 1_767_225_600_000  # 2026-01-01T00:00:00Z
STEP = 60_000

ALICE = SAMPLE_MEMBERS[6].uscc  # 市教委
BOB = SAMPLE_MEMBERS[7].uscc    # 市卫生健康委
CAROL = SAMPLE_MEMBERS[8].uscc  # 市市场监管局
STRANGER = uscc.make("1111" + "0000", "QQ000001")  # a valid code that is no member


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


class Net:
    """One solo node in process, and clients that sign for its members."""

    def __init__(self, path) -> None:
        self.home = init_home(path, chain_id="mulu-ledger-test", genesis_time=GENESIS_TIME, clock_step_ms=STEP)
        self.node = Node(self.home, store=MemoryStore(), verify_threads=1)
        self.ledger = self.node.ledger
        self.app = self.node.app
        self.genesis = self.node.genesis
        self.profile = self.genesis.profile
        self.keys = {m.uscc: self.home.member_key(m.uscc) for m in SAMPLE_MEMBERS}
        self.nonces = {m.uscc: 0 for m in SAMPLE_MEMBERS}

    def tx(self, sender: str, contract: str, method: str, args: dict, *, key=None, nonce=None,
           chain_id=None) -> Transaction:
        """A signed transaction; the sender's nonce advances unless one is given."""
        if nonce is None:
            self.nonces[sender] += 1
            nonce = self.nonces[sender]
        return make_tx(key or self.keys[sender], chain_id=chain_id or self.genesis.chain_id, sender=sender,
                       nonce=nonce, contract=contract, method=method, args=args)

    def anchor(self, sender: str, doc_id: str, content: str, **kw) -> Transaction:
        return self.tx(sender, "anchor", "put", {"doc_id": doc_id, "title": f"三定规定 {doc_id}",
                                                  "kind": "sanding", "digest": digest(content)}, **kw)

    def submit(self, *txs) -> list:
        """Send transactions through the door; every one must be admitted."""
        admissions = self.node.engine.submit([t if isinstance(t, bytes) else t.to_bytes() for t in txs])
        assert all(a.ok for a in admissions), [a.error for a in admissions]
        return [a.tx_id for a in admissions]

    def refused_at_door(self, raw: bytes) -> MuluError:
        (admission,) = self.node.engine.submit([raw])
        assert not admission.ok and admission.tx_id is None
        return admission.error

    def blocks(self) -> int:
        return self.node.engine.run_until_empty()

    def result(self, tx_id: bytes) -> TxResult:
        block, index = self.ledger.transaction(tx_id)
        return block.results[index]


@pytest.fixture
def net(tmp_path):
    n = Net(tmp_path / "home")
    yield n
    n.ledger.close()


# --- committed and refused transactions ----------------------------------------------------


def test_anchor_versions_refusal_and_nonces(net):
    """Anchoring the same document twice makes versions 1 and 2; anchoring an
    unchanged digest is recorded as refused (ANCHOR_UNCHANGED, field digest),
    changes no record, and still uses up the sender's nonce."""
    key = f"anchor/doc/{ALICE}/sanding-2026"
    (first,) = net.submit(net.anchor(ALICE, "sanding-2026", "v1"))
    assert net.blocks() == 1
    r = net.result(first)
    assert r.ok and r.code == ""
    assert r.events == (("anchored", {"uscc": ALICE, "doc_id": "sanding-2026", "version": 1}),)
    record = net.ledger.state.get(key)
    assert record["version"] == 1 and record["digest"] == digest("v1")
    assert record["height"] == 1 and record["time"] == GENESIS_TIME + STEP and record["tx_id"] == first

    (second,) = net.submit(net.anchor(ALICE, "sanding-2026", "v2"))
    net.blocks()
    assert net.result(second).ok
    assert net.ledger.state.get(key)["version"] == 2
    assert [v.value["version"] for v in net.ledger.state.history(key)] == [1, 2]

    before = net.ledger.state.record(key)
    (third,) = net.submit(net.anchor(ALICE, "sanding-2026", "v2"))
    net.blocks()
    refused = net.result(third)
    assert (refused.status, refused.code, refused.field) == ("refused", "ANCHOR_UNCHANGED", "digest")
    assert refused.events == ()
    assert net.ledger.state.record(key) == before
    assert len(net.ledger.state.history(key)) == 2
    assert net.ledger.state.get(f"nonce/{ALICE}") == 3
    assert net.ledger.locate(third) == (3, 0)

    # the refused transaction's nonce is spent: reusing it is a replay, the next one is fine
    error = net.refused_at_door(net.anchor(ALICE, "other", "x", nonce=3).to_bytes())
    assert error.code == "TX_NONCE_REPLAYED"
    net.submit(net.anchor(ALICE, "other", "x", nonce=4))
    net.blocks()
    assert net.ledger.state.get(f"nonce/{ALICE}") == 4


def test_one_batch_one_block_in_order(net):
    """Consecutive nonces of several senders submitted in one batch land in one
    block, in submission order, each answered with its id."""
    txs = [net.anchor(ALICE, "a", "1"), net.anchor(BOB, "b", "1"), net.anchor(ALICE, "a", "2"),
           net.anchor(ALICE, "a", "2")]
    ids = net.submit(*txs)
    assert ids == [t.tx_id(net.profile) for t in txs]
    assert net.node.engine.pending_count() == 4
    assert net.blocks() == 1
    assert net.node.engine.pending_count() == 0
    block = net.ledger.block(1)
    assert block.txs == tuple(txs)
    assert [r.status for r in block.results] == ["ok", "ok", "ok", "refused"]
    assert net.ledger.state.get(f"anchor/doc/{ALICE}/a")["version"] == 2


def test_scripted_clock(net):
    """With a scripted clock, block h has time genesis_time + h * step."""
    for i in range(4):
        net.submit(net.anchor(BOB, f"doc{i}", "x"))
        net.blocks()
    assert net.ledger.tip.height == 4
    for h in range(1, 5):
        assert net.ledger.block(h).header.time == GENESIS_TIME + h * STEP
    assert net.ledger.tip.time == GENESIS_TIME + 4 * STEP
    assert net.app.info().time == GENESIS_TIME + 4 * STEP


# --- identity: adding and revoking keys --------------------------------------------------------


def test_add_and_revoke_keys(net):
    """A member adds a key and signs with it; revoking the old key takes effect
    from the next block: transactions signed with it in the same block still
    count, later ones are refused (TX_KEY_REVOKED) at the door and by proposals."""
    old = net.keys[ALICE]
    new = net.profile.generate()
    (added,) = net.submit(net.tx(ALICE, "identity", "add_key", {"public_key": new.public_key}))
    net.blocks()
    assert net.result(added).events == (("key_added", {"uscc": ALICE, "key_id": new.key_id}),)
    member = net.ledger.state.get(member_key(ALICE))
    assert member["keys"][new.key_id] == {"public_key": new.public_key, "status": "active", "added": 1,
                                          "revoked": 0}

    revoke = net.tx(ALICE, "identity", "revoke_key", {"key_id": old.key_id}, key=new)
    same_block = net.anchor(ALICE, "still-ok", "x", key=old)
    ids = net.submit(revoke, same_block)
    net.blocks()
    assert net.ledger.tip.height == 2
    assert [net.result(i).ok for i in ids] == [True, True]
    record = net.ledger.state.get(member_key(ALICE))["keys"][old.key_id]
    assert (record["status"], record["revoked"]) == ("revoked", 2)

    late = net.anchor(ALICE, "too-late", "x", key=old)
    error = net.refused_at_door(late.to_bytes())
    assert error.code == "TX_KEY_REVOKED" and error.details["key_id"] == old.key_id
    proposal = net.ledger.execute([late], 0, "node0", drop_invalid=True)
    assert [exc.code for _, exc in proposal.dropped] == ["TX_KEY_REVOKED"]
    assert proposal.block.txs == ()

    with pytest.raises(MuluError) as info:
        net.ledger.process(Block(proposal.block.header, (late,), ()))
    assert info.value.code == "BLOCK_INVALID"
    assert info.value.details["field"] == "txs[0]" and info.value.details["reason"] == "TX_KEY_REVOKED"

    net.nonces[ALICE] -= 1  # `late` never entered a block
    net.submit(net.anchor(ALICE, "with-new-key", "x", key=new))
    net.blocks()
    assert net.ledger.state.get(f"anchor/doc/{ALICE}/with-new-key")["version"] == 1


def test_key_rules(net):
    """Key management refusals are recorded with their codes and change no member record:
    KEY_LAST_ACTIVE, KEY_NOT_ACTIVE, KEY_EXISTS and KEY_INVALID."""
    only = net.keys[BOB]
    before = net.ledger.state.record(member_key(BOB))
    ids = net.submit(
        net.tx(BOB, "identity", "revoke_key", {"key_id": only.key_id}),
        net.tx(BOB, "identity", "revoke_key", {"key_id": "0000000000000000"}),
        net.tx(BOB, "identity", "add_key", {"public_key": only.public_key}),
        net.tx(BOB, "identity", "add_key", {"public_key": b"\x01" * 31}),
    )
    net.blocks()
    results = [net.result(i) for i in ids]
    assert [(r.status, r.code, r.field) for r in results] == [
        ("refused", "KEY_LAST_ACTIVE", "key_id"),
        ("refused", "KEY_NOT_ACTIVE", "key_id"),
        ("refused", "KEY_EXISTS", "public_key"),
        ("refused", "KEY_INVALID", "public_key"),
    ]
    assert net.ledger.state.record(member_key(BOB)) == before
    assert net.ledger.state.get(f"nonce/{BOB}") == 4

    # revoking an already revoked key is KEY_NOT_ACTIVE too
    extra = net.profile.generate()
    net.submit(net.tx(BOB, "identity", "add_key", {"public_key": extra.public_key}))
    net.blocks()
    net.submit(net.tx(BOB, "identity", "revoke_key", {"key_id": extra.key_id}))
    net.blocks()
    (again,) = net.submit(net.tx(BOB, "identity", "revoke_key", {"key_id": extra.key_id}))
    net.blocks()
    assert net.result(again).code == "KEY_NOT_ACTIVE"


# --- the door ----------------------------------------------------------------------------------


def _raw_with_signature(tx: Transaction, signature: bytes) -> bytes:
    return replace(tx, signature=signature).to_bytes()


def _door_case(net: Net, case: str) -> bytes:
    """The raw bytes of a transaction refused at the door for reason ``case``."""
    anchor_args = {"doc_id": "d", "title": "t", "kind": "sanding", "digest": digest("x")}
    good = lambda **kw: net.anchor(CAROL, "d", "x", **kw)  # noqa: E731
    if case == "TX_MALFORMED:shape":
        return encode(["mulu-ledger-test", CAROL, "k", 2])
    if case == "TX_MALFORMED:nonce0":
        return encode(good(nonce=0).to_plain())
    if case == "ENCODING_INVALID":
        return b"\xc1\x00garbage"
    if case == "ENCODING_TRAILING_BYTES":
        return good(nonce=2).to_bytes() + b"\x00"
    if case == "ENCODING_NON_CANONICAL":
        raw = good(nonce=2).to_bytes()
        return b"\xdc\x00\x08" + raw[1:]  # an array16 header for 8 fields
    if case == "ENCODING_UNSUPPORTED_VALUE":
        raw = good(nonce=2).to_bytes()
        return raw[:-66] + b"\xcb" + bytes(8)  # a float where the signature goes
    if case == "TX_CHAIN_ID_MISMATCH":
        return good(nonce=2, chain_id="mulu-other").to_bytes()
    if case == "TX_SIGNATURE_INVALID:flipped":
        tx = good(nonce=2)
        return _raw_with_signature(tx, tx.signature[:10] + bytes([tx.signature[10] ^ 1]) + tx.signature[11:])
    if case == "TX_SIGNATURE_INVALID:other-key":
        impostor = net.profile.generate()
        tx = good(nonce=2)
        signed = Transaction(tx.chain_id, tx.sender, tx.key_id, tx.nonce, tx.contract, tx.method, tx.args)
        return replace(signed, signature=impostor.sign(signed.signing_bytes())).to_bytes()
    if case == "TX_SIGNATURE_INVALID:empty":
        return _raw_with_signature(good(nonce=2), b"")
    if case == "TX_SENDER_UNKNOWN":
        return make_tx(net.keys[CAROL], chain_id=net.genesis.chain_id, sender=STRANGER, nonce=1,
                       contract="anchor", method="put", args=anchor_args).to_bytes()
    if case == "TX_KEY_UNKNOWN":
        return good(nonce=2, key=net.profile.generate()).to_bytes()
    if case == "TX_NONCE_REPLAYED":
        return good(nonce=1).to_bytes()
    if case == "TX_NONCE_GAP":
        return good(nonce=3).to_bytes()
    if case == "TX_TOO_LARGE":
        big = dict(anchor_args, title="大" * 30_000)  # 90,000 bytes of UTF-8
        return net.tx(CAROL, "anchor", "put", big, nonce=2).to_bytes()
    if case == "CONTRACT_UNKNOWN":
        return net.tx(CAROL, "no_such_contract", "put", anchor_args, nonce=2).to_bytes()
    if case == "METHOD_UNKNOWN":
        return net.tx(CAROL, "anchor", "delete", anchor_args, nonce=2).to_bytes()
    if case.startswith("TX_ARGS_INVALID:"):
        args = dict(anchor_args)
        change = case.split(":", 1)[1]
        if change == "missing":
            del args["digest"]
        elif change == "unknown":
            args["colour"] = "red"
        elif change == "digest-size":
            args["digest"] = b"\x00" * 31
        elif change == "digest-type":
            args["digest"] = digest("x").hex()
        elif change == "kind":
            args["kind"] = "poem"
        elif change == "doc-id-pattern":
            args["doc_id"] = "-bad id-"
        elif change == "title-empty":
            args["title"] = ""
        elif change == "uri-too-long":
            args["uri"] = "u" * 513
        elif change == "key-type":
            return net.tx(CAROL, "identity", "revoke_key", {"key_id": 5}, nonce=2).to_bytes()
        return net.tx(CAROL, "anchor", "put", args, nonce=2).to_bytes()
    raise AssertionError(case)


DOOR_CASES = [
    ("TX_MALFORMED:shape", "TX_MALFORMED"),
    ("TX_MALFORMED:nonce0", "TX_MALFORMED"),
    ("ENCODING_INVALID", "TX_MALFORMED"),
    ("ENCODING_TRAILING_BYTES", "TX_MALFORMED"),
    ("ENCODING_NON_CANONICAL", "TX_MALFORMED"),
    ("ENCODING_UNSUPPORTED_VALUE", "TX_MALFORMED"),
    ("TX_CHAIN_ID_MISMATCH", "TX_CHAIN_ID_MISMATCH"),
    ("TX_SIGNATURE_INVALID:flipped", "TX_SIGNATURE_INVALID"),
    ("TX_SIGNATURE_INVALID:other-key", "TX_SIGNATURE_INVALID"),
    ("TX_SIGNATURE_INVALID:empty", "TX_SIGNATURE_INVALID"),
    ("TX_SENDER_UNKNOWN", "TX_SENDER_UNKNOWN"),
    ("TX_KEY_UNKNOWN", "TX_KEY_UNKNOWN"),
    ("TX_NONCE_REPLAYED", "TX_NONCE_REPLAYED"),
    ("TX_NONCE_GAP", "TX_NONCE_GAP"),
    ("TX_TOO_LARGE", "TX_TOO_LARGE"),
    ("CONTRACT_UNKNOWN", "CONTRACT_UNKNOWN"),
    ("METHOD_UNKNOWN", "METHOD_UNKNOWN"),
    ("TX_ARGS_INVALID:missing", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:unknown", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:digest-size", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:digest-type", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:kind", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:doc-id-pattern", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:title-empty", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:uri-too-long", "TX_ARGS_INVALID"),
    ("TX_ARGS_INVALID:key-type", "TX_ARGS_INVALID"),
]


@pytest.mark.parametrize("case,code", DOOR_CASES, ids=[c for c, _ in DOOR_CASES])
def test_invalid_transactions_refused_at_the_door(net, case, code):
    """Each kind of bad transaction is refused at the door with its stable code,
    never reaches the mempool, and so never reaches a block."""
    net.submit(net.anchor(CAROL, "first", "x"))  # CAROL's nonce 1 is committed
    net.blocks()
    raw = _door_case(net, case)
    error = net.refused_at_door(raw)
    assert error.code == code, error
    if code == "TX_MALFORMED" and case.startswith("ENCODING_"):
        assert error.details["encoding"] == case
    assert net.node.engine.pending_count() == 0
    assert net.blocks() == 0
    assert net.ledger.tip.height == 1
    assert net.app.check_tx(raw).code == code


def test_invalid_and_valid_in_one_batch(net):
    """In a batch, each transaction is answered on its own: the bad ones are
    refused, the good ones admitted and committed."""
    good = [net.anchor(ALICE, "a", "1"), net.anchor(BOB, "b", "1")]
    raws = [good[0].to_bytes(), b"\xc1", net.anchor(CAROL, "c", "1", nonce=5).to_bytes(), good[1].to_bytes()]
    admissions = net.node.engine.submit(raws)
    assert [a.error.code if a.error else "ok" for a in admissions] == ["ok", "TX_MALFORMED", "TX_NONCE_GAP", "ok"]
    assert net.node.engine.pending_count() == 2
    net.blocks()
    assert net.ledger.block(1).txs == tuple(good)


def test_invalid_batches_too_large(net):
    """A batch with too many transactions or bytes is refused whole (BATCH_TOO_LARGE)."""
    params = net.ledger.params
    too_many = [b""] * (params["max_batch_txs"] + 1)
    half = b"\x00" * (params["max_batch_bytes"] // 2)
    too_big = [half, half, b"\x00"]
    for raws in (too_many, too_big):
        with pytest.raises(MuluError) as info:
            net.node.engine.submit(raws)
        assert info.value.code == "BATCH_TOO_LARGE"
    assert net.node.engine.pending_count() == 0


def test_block_view_reads_each_key_of_the_starting_state_once():
    """A block's transactions read the state it starts from through one view: each key is read
    from the store once per block (absent keys too), and a key the block wrote reads as written."""
    reads: list[str] = []

    class Base:
        def get(self, key: str):
            reads.append(key)
            return {"terms": {"信用代码": "统一社会信用代码"}}.get(key)

    writes: dict = {}
    view = BlockView(Base(), writes)
    first = view.get("terms")
    assert view.get("terms") is first and view.get("absent") is None and view.get("absent") is None
    writes["terms"], writes["absent"] = {}, 7
    assert view.get("terms") == {} and view.get("absent") == 7
    writes["terms"] = None
    assert view.get("terms") is None, "a key the block deleted reads as absent, not as it was"
    assert reads == ["terms", "absent"]


def test_mempool_keeps_arrival_order_within_its_bounds():
    """Solo's mempool holds a transaction id once, hands transactions out in arrival order,
    and says how many of a batch still fit, by count and by bytes."""
    pool = Mempool(3, max_bytes=10)
    assert pool.room([b"aaaa", b"bbbb", b"cccc"]) == 2, "the third would pass 10 bytes"
    pool.add(b"\x01" * 32, b"aaaa")
    pool.add(b"\x01" * 32, b"aaaa")
    pool.add(b"\x02" * 32, b"bb")
    assert len(pool) == 2
    assert pool.take(5) == [(b"\x01" * 32, b"aaaa"), (b"\x02" * 32, b"bb")]
    assert pool.room([b"c", b"d"]) == 1, "a count of 3 at most"
    pool.remove([b"\x01" * 32])
    assert pool.take(5) == [(b"\x02" * 32, b"bb")] and pool.room([b"x"] * 5) == 2


def test_invalid_resubmitted_transaction_is_a_duplicate(net):
    """Submitting a transaction that is already waiting in the mempool is refused as TX_DUPLICATE."""
    tx = net.anchor(ALICE, "a", "1")
    net.submit(tx)
    error = net.refused_at_door(tx.to_bytes())
    assert net.node.engine.pending_count() == 1
    assert error.code == "TX_DUPLICATE"


def test_invalid_deeply_nested_arguments(net):
    """A transaction whose arguments nest deeper than the encoder can check is
    refused at the door (TX_MALFORMED), not a crash of the door itself."""
    head = b"".join(encode(x) for x in [net.genesis.chain_id, ALICE, net.keys[ALICE].key_id, 1, "anchor", "put"])
    raw = b"\x98" + head + b"\x81\xa1x" + b"\x91" * 1000 + b"\xc0" + encode(b"s" * 64)
    error = net.refused_at_door(raw)
    assert error.code == "TX_MALFORMED"


# --- blocks from elsewhere: process and commits --------------------------------------------------


@pytest.fixture
def proposed(net):
    """A chain at height 1 and a proposal for block 2 (executed, not appended)."""
    net.submit(net.anchor(ALICE, "a", "1"))
    net.blocks()
    txs = [net.anchor(ALICE, "a", "2"), net.anchor(BOB, "b", "1"), net.anchor(ALICE, "a", "2")]
    proposal = net.ledger.execute(txs, 0, "node0", drop_invalid=True)
    assert not proposal.dropped and len(proposal.block.txs) == 3
    return net, proposal.block


def test_process_accepts_an_honest_block(proposed):
    """Re-executing an honest proposal gives back the same header and results,
    and the block can be appended with a valid commit."""
    net, block = proposed
    checked = net.ledger.process(block)
    assert checked.block == block
    commit = sign_commit(net.ledger, block.header, "node0", net.home.validator_key().sign)
    net.ledger.append(checked, commit)
    assert net.ledger.tip.height == 2 and net.ledger.block(2).results == block.results


def _bumped(value):
    if isinstance(value, bytes):
        return value[:-1] + bytes([value[-1] ^ 1])
    if isinstance(value, int):
        return value + 1
    return value + "x"


@pytest.mark.parametrize("name", ["chain_id", "height", "time", "prev_hash", "tx_root", "result_root",
                                  "state_root", "history_root", "validators_hash", "proposer"])
def test_invalid_block_header_fields(proposed, name):
    """A block whose header differs in any one field from what re-execution
    gives is refused, naming that field."""
    net, block = proposed
    tampered = replace(block, header=replace(block.header, **{name: _bumped(getattr(block.header, name))}))
    with pytest.raises(MuluError) as info:
        net.ledger.process(tampered)
    assert info.value.code == "BLOCK_INVALID"
    assert info.value.details["field"] == f"header.{name}"
    assert net.ledger.tip.height == 1


def test_invalid_block_transactions_and_results(proposed):
    """A tampered transaction, a tampered or missing result, a reordered or
    foreign transaction: each is refused naming the transaction or result."""
    net, block = proposed
    txs, results = list(block.txs), list(block.results)

    def refused(**changes):
        with pytest.raises(MuluError) as info:
            net.ledger.process(replace(block, **changes))
        assert info.value.code == "BLOCK_INVALID"
        return info.value.details

    forged = replace(txs[1], args={**txs[1].args, "title": "改过的"})
    details = refused(txs=(txs[0], forged, txs[2]))
    assert (details["field"], details["reason"]) == ("txs[1]", "TX_SIGNATURE_INVALID")

    details = refused(txs=(txs[2], txs[1], txs[0]))  # ALICE's nonce 3 before her nonce 2
    assert (details["field"], details["reason"]) == ("txs[0]", "TX_NONCE_GAP")

    details = refused(txs=(txs[0], txs[1], txs[0]))  # ALICE's nonce 2 twice
    assert (details["field"], details["reason"]) == ("txs[2]", "TX_NONCE_REPLAYED")

    foreign = net.anchor(CAROL, "c", "1", chain_id="mulu-other")
    details = refused(txs=(*txs, foreign))
    assert (details["field"], details["reason"]) == ("txs[3]", "TX_CHAIN_ID_MISMATCH")

    stranger = make_tx(net.keys[CAROL], chain_id=net.genesis.chain_id, sender=STRANGER, nonce=1,
                       contract="anchor", method="put", args=txs[0].args)
    details = refused(txs=(stranger, *txs))
    assert (details["field"], details["reason"]) == ("txs[0]", "TX_SENDER_UNKNOWN")

    assert refused(results=(results[0], replace(results[1], status="refused", code="X"), results[2]))["field"] \
        == "results[1]"
    assert refused(results=tuple(results[:2]))["field"] == "results[2]"
    assert refused(results=(results[0], results[1], replace(results[2], message="fine")))["field"] == "results[2]"
    assert net.ledger.tip.height == 1


def test_invalid_commits(proposed):
    """check_commit refuses wrong, missing, repeated or foreign signatures and
    commits for another block, naming the field; append then leaves the tip alone."""
    net, block = proposed
    header = block.header
    vkey = net.home.validator_key()
    good = sign_commit(net.ledger, header, "node0", vkey.sign)
    net.ledger.check_commit(header, good)
    sig = good.signatures[0]
    member = net.keys[ALICE]
    cases = [
        (replace(good, signatures=()), "commit.signatures"),
        (replace(good, signatures=(CommitSig("node0", _bumped(sig.signature)),)), "commit.signatures[0].signature"),
        (replace(good, signatures=(CommitSig("node0", b""),)), "commit.signatures[0].signature"),
        (replace(good, signatures=(sig, sig)), "commit.signatures[1].validator"),
        (replace(good, signatures=(CommitSig("node9", sig.signature),)), "commit.signatures[0].validator"),
        (sign_commit(net.ledger, header, "node0", member.sign), "commit.signatures[0].signature"),
        (replace(good, round=1), "commit.signatures[0].signature"),
        (replace(good, block_hash=_bumped(good.block_hash)), "commit.block_hash"),
        (replace(good, height=header.height + 1), "commit.block_hash"),
        (sign_commit(net.ledger, replace(header, time=header.time + 1), "node0", vkey.sign), "commit.block_hash"),
    ]
    proposal = net.ledger.process(block)
    for commit, field in cases:
        with pytest.raises(MuluError) as info:
            net.ledger.check_commit(header, commit)
        assert info.value.code == "BLOCK_INVALID"
        assert info.value.details["field"] == field, commit
        with pytest.raises(MuluError):
            net.ledger.append(proposal, commit)
        assert net.ledger.tip.height == 1
    net.ledger.append(proposal, good)
    assert net.ledger.tip.height == 2


# --- proofs ------------------------------------------------------------------------------------


def mutations(value, path="$"):
    """Every one-place change of a proof: each byte of each byte string flipped,
    each integer bumped, each text changed. Yields (where, changed value)."""
    if isinstance(value, bytes):
        for i in range(len(value)):
            yield f"{path}[byte {i}]", value[:i] + bytes([value[i] ^ 0x01]) + value[i + 1:]
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        yield path, value + 1
    elif isinstance(value, str):
        yield path, value + "x"
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            for where, changed in mutations(item, f"{path}[{i}]"):
                yield where, [*value[:i], changed, *value[i + 1:]]
    elif isinstance(value, dict):
        for k, item in value.items():
            for where, changed in mutations(item, f"{path}.{k}"):
                yield where, {**value, k: changed}


def _proof_chain(net):
    ids = net.submit(net.anchor(ALICE, "a", "1"), net.anchor(BOB, "b", "1"), net.anchor(ALICE, "a", "1"))
    net.blocks()
    net.submit(net.anchor(ALICE, "a", "2"))
    net.blocks()
    return ids


def tx_proof(net, tx_id) -> dict:
    return {"type": "tx", **net.ledger.tx_proof(tx_id)}


def state_proof(net, key, height=None) -> dict:
    proof = net.ledger.state_proof(key, height)
    block = net.ledger.block(proof["height"])
    return {"type": "state", **proof, "header": block.header.to_plain(), "commit": block.commit.to_plain()}


def test_tx_proofs_verify_and_break_on_any_change(net):
    """A transaction proof checks offline against the genesis, for an ok and a
    refused transaction; changing any byte, integer or text of it breaks it.

    Two integers are left out: ``height`` (see the test below) and ``size``,
    which no root commits to (the header does not carry the transaction count),
    so a size giving the same path shape, such as 4 for index 1 of 3, passes.
    """
    ids = _proof_chain(net)
    for tx_id, status in ((ids[1], "ok"), (ids[2], "refused")):
        proof = tx_proof(net, tx_id)
        shown = proofs.verify(net.genesis, proof)
        assert (shown["tx_id"], shown["height"], shown["status"]) == (tx_id.hex(), 1, status)
        count = 0
        for where, changed in mutations(proof):
            if where in ("$.height", "$.size"):
                continue
            with pytest.raises(MuluError) as info:
                proofs.verify(net.genesis, changed)
            assert info.value.code == "PROOF_INVALID", where
            count += 1
        assert count > 500


def test_state_proofs_verify_and_break_on_any_change(net):
    """A state proof of a present record, of the same record at an older height
    and of an absent key checks offline; changing any byte, integer or text of
    it (but the record bytes, see below) breaks it."""
    _proof_chain(net)
    key = f"anchor/doc/{ALICE}/a"
    cases = [(state_proof(net, key), 2, True), (state_proof(net, key, 1), 1, True),
             (state_proof(net, f"anchor/doc/{ALICE}/none"), 2, False)]
    for proof, height, present in cases:
        shown = proofs.verify(net.genesis, proof)
        assert (shown["height"], shown["present"]) == (height, present)
        if present:
            assert shown["value"]["version"] == height
        for where, changed in mutations(proof):
            if where.startswith("$.record"):
                continue
            with pytest.raises(MuluError) as info:
                proofs.verify(net.genesis, changed)
            assert info.value.code == "PROOF_INVALID", where


def test_invalid_tx_proof_height(net):
    """A transaction proof claiming another height than its header's is refused."""
    ids = _proof_chain(net)
    proof = tx_proof(net, ids[0])
    with pytest.raises(MuluError) as info:
        proofs.verify(net.genesis, {**proof, "height": proof["height"] + 1})
    assert info.value.code == "PROOF_INVALID"


def test_invalid_tx_proof_size_changing_the_path(net):
    """A transaction proof whose size does not fit its path is refused."""
    ids = _proof_chain(net)
    proof = tx_proof(net, ids[1])  # index 1 of 3
    for size in (0, 1, 2, 5, 8):
        with pytest.raises(MuluError) as info:
            proofs.verify(net.genesis, {**proof, "size": size})
        assert info.value.code == "PROOF_INVALID", size


def test_invalid_state_proof_record_bytes(net):
    """Flipping any byte of a state proof's record is refused as PROOF_INVALID."""
    _proof_chain(net)
    proof = state_proof(net, f"anchor/doc/{ALICE}/a")
    for where, changed in mutations(proof["record"], "$.record"):
        with pytest.raises(MuluError) as info:
            proofs.verify(net.genesis, {**proof, "record": changed})
        assert info.value.code == "PROOF_INVALID", where


def test_invalid_proofs_of_another_chain(net, tmp_path):
    """A proof from one chain does not verify against another chain's genesis."""
    ids = _proof_chain(net)
    other = Net(tmp_path / "other")
    try:
        for proof in (tx_proof(net, ids[0]), state_proof(net, f"anchor/doc/{ALICE}/a")):
            with pytest.raises(MuluError) as info:
                proofs.verify(other.genesis, proof)
            assert info.value.code == "PROOF_INVALID"
    finally:
        other.ledger.close()


# --- genesis -----------------------------------------------------------------------------------


def _genesis_error(doc) -> MuluError:
    """The error a genesis document gets, from parsing it or from writing its state."""
    store = MemoryStore()
    with pytest.raises(MuluError) as info:
        Ledger(store, Genesis.from_doc(doc), Registry())
    assert list(store.items()) == []  # nothing written
    return info.value


def _edit(doc: dict, change) -> dict:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


GENESIS_CASES = [
    ("bad uscc", lambda d: d["members"][0].update(uscc="91350100M000100Y44"), "members[0].uscc"),
    ("lower-case uscc", lambda d: d["members"][0].update(uscc=d["members"][0]["uscc"].lower()), "members[0].uscc"),
    ("unknown role", lambda d: d["members"][1].update(roles=["department", "emperor"]), "members[1].roles"),
    ("no role", lambda d: d["members"][1].update(roles=[]), "members[1].roles"),
    ("repeated role", lambda d: d["members"][1].update(roles=["district", "district"]), "members[1].roles"),
    ("duplicate member", lambda d: d["members"].append(copy.deepcopy(d["members"][3])), "members[11].uscc"),
    ("bad key hex", lambda d: d["members"][2].update(keys=["zz"]), "members[2].keys[0]"),
    ("short key", lambda d: d["members"][2].update(keys=["ab" * 31]), "members[2].keys[0]"),
    ("no keys", lambda d: d["members"][2].update(keys=[]), "members[2].keys"),
    ("member without name", lambda d: d["members"][4].pop("name"), "members[4]"),
    ("no members", lambda d: d.update(members=[]), "members"),
    ("operator not a member", lambda d: d["validators"][0].update(operator=STRANGER), "validators"),
    ("bad validator key", lambda d: d["validators"][0].update(public_key="00" * 31), "validators[0].public_key"),
    ("no validators", lambda d: d.update(validators=[]), "validators"),
    ("zero power", lambda d: d["validators"][0].update(power=0), "validators[0].power"),
    ("bad chain id", lambda d: d.update(chain_id="Mulu Chain"), "chain_id"),
    ("unknown profile", lambda d: d.update(profile="rsa-md5"), "profile"),
    ("bad clock", lambda d: d.update(clock={"mode": "scripted"}), "clock"),
    ("zero clock step", lambda d: d.update(clock={"mode": "scripted", "step": 0}), "clock.step"),
    ("unknown param", lambda d: d.update(params={"max_gas": 5}), "params.max_gas"),
    ("bad param", lambda d: d.update(params={"max_tx_bytes": 0}), "params.max_tx_bytes"),
    ("missing genesis_time", lambda d: d.pop("genesis_time"), "genesis_time"),
    ("text genesis_time", lambda d: d.update(genesis_time="2026-01-01"), "genesis_time"),
]


@pytest.mark.parametrize("name,change,field", GENESIS_CASES, ids=[c[0] for c in GENESIS_CASES])
def test_invalid_genesis(net, name, change, field):
    """A genesis document breaking a chain or membership rule is refused with
    GENESIS_INVALID naming the field, and nothing is written to the store."""
    doc = _edit(net.genesis.doc, change)
    error = _genesis_error(doc)
    assert error.code == "GENESIS_INVALID"
    assert error.details.get("field") == field


def test_invalid_genesis_values(net):
    """A genesis holding a value JSON cannot carry canonically (a float) is refused."""
    error = _genesis_error(_edit(net.genesis.doc, lambda d: d["params"].update(max_tx_bytes=1.5)))
    assert error.code == "GENESIS_INVALID"
    with pytest.raises(MuluError) as info:
        Genesis.from_json("{not json")
    assert info.value.code == "GENESIS_INVALID"


def test_genesis_round_trip_and_hash(net):
    """The genesis file on disk parses to the same document and hash as the node's."""
    again = Genesis.load(str(net.home.genesis_file))
    assert again.doc == net.genesis.doc
    assert again.hash == net.genesis.hash == hashlib.sha256(encode(net.genesis.doc)).digest()
    assert net.ledger.block_hash(0) == net.genesis.hash
    assert decode(encode(again.doc)) == net.genesis.doc


def test_invalid_store_of_another_chain(net, tmp_path):
    """A store holding one chain refuses to open with another chain's genesis."""
    net.submit(net.anchor(ALICE, "a", "1"))
    net.blocks()
    other = init_home(tmp_path / "other", chain_id="mulu-ledger-test", genesis_time=GENESIS_TIME,
                      clock_step_ms=STEP)
    with pytest.raises(MuluError) as info:
        Ledger(net.ledger.store, other.genesis(), Registry())
    assert info.value.code == "GENESIS_INVALID"
    reopened = Ledger(net.ledger.store, net.genesis, Registry())
    assert reopened.tip == net.ledger.tip
