"""Tests of chain.store and chain.state: two stores that must behave the same,
and versioned state read back through a real ledger on each.

MemoryStore and LevelStore are driven by the same random operations and
compared with each other and with a plain dict model; then identical signed
transactions are committed on a ledger over each store, and every block hash,
state root and stored byte must agree; a LevelDB ledger reopened from disk
must carry on where it stopped.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from chain.encoding import decode
from chain.errors import MuluError
from chain.execution import Effects
from chain.ledger import STORE_FORMAT, Ledger, sign_commit
from chain.state import ZERO_HASH, StateReader
from chain.store import LevelStore, MemoryStore
from chain.tx import make_tx
from contracts.args import Int, Str
from contracts.base import Contract
from contracts.registry import ALL_CONTRACTS, Registry
from node.home import init_home
from node.samples import SAMPLE_MEMBERS

# --- the two stores, differentially -------------------------------------------------

keys = st.lists(st.sampled_from([b"\x00", b"a", b"b", b"\xff"]), max_size=3).map(b"".join)
values = st.binary(max_size=4)
bounds = st.none() | keys


def model_items(model: dict, prefix: bytes, start, stop, reverse: bool) -> list:
    out = [(k, model[k]) for k in sorted(model)
           if k.startswith(prefix) and (start is None or k >= start) and (stop is None or k < stop)]
    return out[::-1] if reverse else out


class TwoStores(RuleBasedStateMachine):
    """Random batches and reads on a MemoryStore, a LevelStore and a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="mulu-store-")
        self.memory = MemoryStore()
        self.level = LevelStore(self.dir, create=True, sync=False)
        self.model: dict[bytes, bytes] = {}

    @rule(batch=st.lists(st.tuples(keys, st.none() | values), max_size=8))
    def write(self, batch):
        self.memory.write(batch)
        self.level.write(iter(batch))  # any iterable will do
        for key, value in batch:
            if value is None:
                self.model.pop(key, None)
            else:
                self.model[key] = value

    @rule(key=keys)
    def get(self, key):
        assert self.memory.get(key) == self.level.get(key) == self.model.get(key)

    @rule(prefix=keys, start=bounds, stop=bounds, reverse=st.booleans())
    def items(self, prefix, start, stop, reverse):
        expected = model_items(self.model, prefix, start, stop, reverse)
        assert list(self.memory.items(prefix, start=start, stop=stop, reverse=reverse)) == expected
        assert list(self.level.items(prefix, start=start, stop=stop, reverse=reverse)) == expected

    @rule(prefix=keys, reverse=st.booleans(), batch=st.lists(st.tuples(keys, st.none() | values), max_size=4))
    def write_while_iterating(self, prefix, reverse, batch):
        """An iteration started before a write sees the store as it was when it started."""
        expected = model_items(self.model, prefix, None, None, reverse)
        memory_it = self.memory.items(prefix, reverse=reverse)
        level_it = self.level.items(prefix, reverse=reverse)
        first_memory = next(memory_it, None)
        first_level = next(level_it, None)
        self.write(batch)
        assert [x for x in [first_memory, *memory_it] if x] == expected
        assert [x for x in [first_level, *level_it] if x] == expected

    @invariant()
    def same_contents(self):
        assert list(self.memory.items()) == list(self.level.items()) == sorted(self.model.items())

    def teardown(self):
        self.level.close()
        shutil.rmtree(self.dir, ignore_errors=True)


TwoStores.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
test_stores_agree = TwoStores.TestCase


@pytest.fixture(params=["memory", "level"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else LevelStore(str(tmp_path / "db"), create=True)
    yield s
    s.close()


@pytest.mark.parametrize("bad", [
    [(b"a", b"1"), (b"b", "text")],
    [(b"a", b"1"), ("b", b"2")],
    [(b"a", b"1"), (b"b", 5)],
    [(b"a", b"1"), (None, b"2")],
    [(b"keep", None), (b"a", b"1"), (b"b", [1])],
])
def test_invalid_batch_writes_nothing(store, bad):
    """A batch holding a bad key or value raises StorageError and writes none of its items."""
    store.write([(b"keep", b"old"), (b"z", b"zz")])
    with pytest.raises(MuluError) as info:
        store.write(bad)
    assert info.value.code == "STORAGE_ERROR"
    assert list(store.items()) == [(b"keep", b"old"), (b"z", b"zz")]


def test_batch_applies_in_order(store):
    """Within one batch, later puts and deletes of the same key win."""
    store.write([(b"k", b"1"), (b"k", None), (b"j", None), (b"j", b"2"), (b"m", b"3"), (b"m", b"4")])
    assert list(store.items()) == [(b"j", b"2"), (b"m", b"4")]


def test_prefix_of_ff_bytes(store):
    """A prefix of 0xff bytes has no upper bound key, and still selects exactly its keys."""
    store.write([(b"\xfe", b"1"), (b"\xff", b"2"), (b"\xff\xff", b"3"), (b"\xff\xff\x00", b"4"), (b"\xff\x00", b"5")])
    assert [k for k, _ in store.items(b"\xff\xff")] == [b"\xff\xff", b"\xff\xff\x00"]
    assert [k for k, _ in store.items(b"\xff", reverse=True)] == [b"\xff\xff\x00", b"\xff\xff", b"\xff\x00", b"\xff"]


def test_empty_key_forwards(store):
    """The empty key is a key like any other."""
    store.write([(b"", b"e"), (b"a", b"1")])
    assert store.get(b"") == b"e"
    assert list(store.items()) == [(b"", b"e"), (b"a", b"1")]
    assert list(store.items(stop=b"")) == [] == list(store.items(stop=b"", reverse=True))



@pytest.mark.parametrize("kind", ["memory", "level"])
def test_reverse_iteration_includes_its_lower_bound(kind, tmp_path):
    """A reverse iteration includes a key equal to its prefix or start, as a forward one does."""
    s = MemoryStore() if kind == "memory" else LevelStore(str(tmp_path / "db"), create=True)
    try:
        s.write([(b"", b"e"), (b"a", b"1"), (b"ab", b"2"), (b"b", b"3")])
        assert list(s.items(b"a", reverse=True)) == [(b"ab", b"2"), (b"a", b"1")]
        assert list(s.items(start=b"a", stop=b"b", reverse=True)) == [(b"ab", b"2"), (b"a", b"1")]
        assert list(s.items(start=b"b", reverse=True)) == [(b"b", b"3")]
        assert list(s.items(stop=b"a", reverse=True)) == [(b"", b"e")]
    finally:
        s.close()


def test_invalid_second_open_of_a_level_store(tmp_path):
    """A LevelDB folder held open by one store cannot be opened by another."""
    first = LevelStore(str(tmp_path / "db"), create=True)
    try:
        with pytest.raises(MuluError) as info:
            LevelStore(str(tmp_path / "db"))
        assert info.value.code == "STORE_LOCKED"
    finally:
        first.close()


# --- ledgers on both stores ---------------------------------------------------------------

GENESIS_TIME = 1_750_000_000_000
STEP = 60_000
MEMBERS = SAMPLE_MEMBERS[:4]

kv = Contract("kv", "test records that can be deleted")


@kv.method(args={"key": Str(max_len=16, pattern=r"[a-z0-9]+"), "value": Int(required=False)})
def put(view, call):
    """Set kv/<key> to value, or delete it when value is absent."""
    key = "kv/" + call.args["key"]
    return Effects({key: call.args.get("value")}, [("kv", {"key": key})])


@kv.method(args={"key": Str(max_len=16, pattern=r"[a-z0-9]+"), "value": Int(required=False)})
def index(view, call):
    """Set the derived-index key idx/kv/<key>, or delete it when value is absent."""
    return Effects({"idx/kv/" + call.args["key"]: call.args.get("value")}, [])


def machine() -> Registry:
    return Registry((*ALL_CONTRACTS, kv))


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return init_home(tmp_path_factory.mktemp("store-state") / "home", chain_id="mulu-store",
                     genesis_time=GENESIS_TIME, clock_step_ms=STEP, members=MEMBERS)


class Chain:
    """A ledger over one store, with the home's member keys and validator key."""

    def __init__(self, home, store) -> None:
        self.home = home
        self.ledger = Ledger(store, home.genesis(), machine(), verify_threads=1)
        self.vkey = home.validator_key()

    def commit(self, txs) -> None:
        proposal = self.ledger.execute(txs, 0, "node0", drop_invalid=True)
        assert not proposal.dropped, proposal.dropped
        commit = sign_commit(self.ledger, proposal.block.header, "node0", self.vkey.sign)
        self.ledger.append(proposal, commit)


class Senders:
    """Signs transactions for the home's members, counting their nonces."""

    def __init__(self, home) -> None:
        self.keys = {m.uscc: home.member_key(m.uscc) for m in MEMBERS}
        self.nonces = {m.uscc: 0 for m in MEMBERS}
        self.chain_id = home.genesis().chain_id

    def tx(self, sender: str, contract: str, method: str, args: dict):
        self.nonces[sender] += 1
        return make_tx(self.keys[sender], chain_id=self.chain_id, sender=sender, nonce=self.nonces[sender],
                       contract=contract, method=method, args=args)

    def anchor(self, sender: str, doc_id: str, content: bytes):
        return self.tx(sender, "anchor", "put", {"doc_id": doc_id, "title": f"文件 {doc_id}", "kind": "other",
                                                 "digest": hashlib.sha256(content).digest()})

    def kv(self, sender: str, key: str, value: int | None):
        return self.tx(sender, "kv", "put", {"key": key} if value is None else {"key": key, "value": value})


def random_blocks(senders: Senders, seed: int, n_blocks: int) -> list[list]:
    """Blocks of random anchors (some repeating a digest, so refused) and kv puts and deletes."""
    rng = random.Random(seed)
    blocks = []
    for _ in range(n_blocks):
        txs = []
        for _ in range(rng.randint(1, 6)):
            sender = rng.choice(MEMBERS).uscc
            if rng.random() < 0.5:
                txs.append(senders.anchor(sender, rng.choice(["a", "b"]), bytes([rng.randint(0, 2)])))
            else:
                txs.append(senders.kv(sender, rng.choice(["x", "y", "z"]),
                                      None if rng.random() < 0.3 else rng.randint(0, 2**40)))
        blocks.append(txs)
    return blocks


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ledgers_on_both_stores_agree(home, tmp_path, seed):
    """The same signed transactions committed on a MemoryStore ledger and a
    LevelStore ledger give the same block hashes, state roots and stored bytes
    at every height."""
    memory = Chain(home, MemoryStore())
    level = Chain(home, LevelStore(str(tmp_path / "db"), create=True))
    try:
        assert memory.ledger.tip == level.ledger.tip
        blocks = random_blocks(Senders(home), seed, 6)
        for txs in blocks:
            memory.commit(txs)
            level.commit(txs)
            assert memory.ledger.tip == level.ledger.tip
        assert memory.ledger.tip.height == len(blocks)
        for h in range(1, len(blocks) + 1):
            a, b = memory.ledger.block(h), level.ledger.block(h)
            assert a.to_bytes() == b.to_bytes()
            assert a.header.state_root == b.header.state_root
            assert memory.ledger.block_hash(h) == level.ledger.block_hash(h) == a.header.hash(memory.ledger.profile)
            assert a.header.time == GENESIS_TIME + h * STEP
        assert list(memory.ledger.store.items()) == list(level.ledger.store.items())
    finally:
        memory.ledger.close()
        level.ledger.close()


@pytest.fixture(params=["memory", "level"])
def history_chain(request, home, tmp_path):
    """A chain over each store where kv/x is written at 1, deleted at 3, rewritten at 4,
    and kv/y written at 2; the anchor of doc "a" is refused at height 3 (same digest)."""
    store = MemoryStore() if request.param == "memory" else LevelStore(str(tmp_path / "db"), create=True)
    chain = Chain(home, store)
    s = Senders(home)
    alice, bob = MEMBERS[0].uscc, MEMBERS[1].uscc
    chain.commit([s.kv(alice, "x", 10), s.anchor(bob, "a", b"v1")])   # height 1
    chain.commit([s.kv(bob, "y", 20)])                                # height 2
    chain.commit([s.kv(alice, "x", None), s.anchor(bob, "a", b"v1")])  # height 3 (anchor refused)
    chain.commit([s.kv(alice, "x", 11), s.kv(alice, "z", 30)])        # height 4
    chain.alice, chain.bob = alice, bob
    yield chain
    chain.ledger.close()


def test_state_current_and_as_of_height(history_chain):
    """StateReader gives the current value and the value in force at every height."""
    state = history_chain.ledger.state
    assert state.get("kv/x") == 11 and state.get("kv/y") == 20 and state.get("kv/nope") is None
    expected_x = {0: None, 1: 10, 2: 10, 3: None, 4: 11, 5: 11}
    for height, value in expected_x.items():
        version = state.version("kv/x", height)
        assert (None if version is None else version.value) == value, height
    assert state.version("kv/x", 0) is None
    assert state.version("kv/x", 3).value is None and state.version("kv/x", 3).height == 3
    assert state.version("kv/y", 1) is None and state.version("kv/y", 2).value == 20
    doc = f"anchor/doc/{history_chain.bob}/a"
    assert state.version(doc).height == 1 and state.get(doc)["version"] == 1  # the refusal wrote nothing
    assert state.get(f"nonce/{history_chain.bob}") == 3


def test_state_history_is_a_hash_chain(history_chain):
    """Every version of a record is kept, oldest first, each linked to the one before by hash."""
    state = history_chain.ledger.state
    versions = state.history("kv/x")
    assert [(v.height, v.value) for v in versions] == [(1, 10), (3, None), (4, 11)]
    assert versions[0].prev_hash == ZERO_HASH
    for before, after in zip(versions, versions[1:]):
        assert after.prev_hash == hashlib.sha256(before.raw).digest()
        assert decode(after.raw) == [after.height, after.value, after.prev_hash]
    assert state.record("kv/x") == versions[-1].raw
    assert [v.height for v in state.history("kv/x", start=2)] == [3, 4]
    assert [v.height for v in state.history("kv/x", start=4)] == [4]
    assert [v.height for v in state.history("kv/x", limit=2)] == [1, 3]
    assert state.history("kv/none") == []
    public = versions[1].to_public(history_chain.ledger.profile)
    assert public["deleted"] is True and public["hash"] == hashlib.sha256(versions[1].raw).hexdigest()


def test_each_version_record_is_stored_once(history_chain):
    """The current version lives under c only; a version moves to v when the next replaces it."""
    ledger = history_chain.ledger
    stored = [(k, v) for k, v in ledger.store.items(b"v" + b"kv/x\x00")]
    assert [(int.from_bytes(k[-12:-4], "big"), k[-4:]) for k, _ in stored] == [(1, b"\xff" * 4), (3, b"\xff" * 4)]
    assert ledger.store.get(b"c" + b"kv/x") == ledger.state.version("kv/x").raw
    assert [raw for _, raw in stored] == [v.raw for v in ledger.state.history("kv/x")[:2]]


@pytest.mark.parametrize("kind", ["memory", "level"])
def test_every_write_in_one_block_is_a_version(home, tmp_path, kind):
    """Three transactions of one block writing one key leave three versions of that height, in
    order and chained by hash; as of that height the key has the last; the next block's version
    links to it; versions count from the first (a record numbered by its changes)."""
    store = MemoryStore() if kind == "memory" else LevelStore(str(tmp_path / "db"), create=True)
    chain = Chain(home, store)
    s = Senders(home)
    alice, bob = MEMBERS[0].uscc, MEMBERS[1].uscc
    try:
        chain.commit([s.kv(alice, "w", 1), s.kv(bob, "w", 2), s.kv(alice, "w", None)])  # height 1
        chain.commit([s.kv(bob, "w", 3)])                                                # height 2
        state = chain.ledger.state
        versions = state.history("kv/w")
        assert [(v.height, v.value) for v in versions] == [(1, 1), (1, 2), (1, None), (2, 3)]
        assert versions[0].prev_hash == ZERO_HASH
        for before, after in zip(versions, versions[1:]):
            assert after.prev_hash == hashlib.sha256(before.raw).digest()
        assert state.version("kv/w", 1).value is None and state.version("kv/w", 2).value == 3
        assert [v.value for v in state.versions("kv/w", skip=1, limit=2)] == [2, None]
        assert [v.value for v in state.versions("kv/w", skip=3)] == [3] and state.versions("kv/w", skip=4) == []
        assert [v.height for v in state.history("kv/w", start=2)] == [2]
    finally:
        chain.ledger.close()


def test_state_keys_skip_deleted_and_page(history_chain):
    """keys() lists current records under a prefix in key order, skipping deleted
    ones, and pages with after/limit."""
    state = history_chain.ledger.state
    assert list(state.keys("kv/")) == [("kv/x", 11), ("kv/y", 20), ("kv/z", 30)]
    assert list(state.keys("kv/", limit=2)) == [("kv/x", 11), ("kv/y", 20)]
    assert list(state.keys("kv/", after="kv/x")) == [("kv/y", 20), ("kv/z", 30)]
    assert list(state.keys("kv/", after="kv/z")) == []
    members = [k for k, _ in state.keys("identity/member/")]
    assert members == sorted(f"identity/member/{m.uscc}" for m in MEMBERS)


def test_state_keys_after_a_delete(home):
    """A deleted record is not listed until it is written again."""
    chain = Chain(home, MemoryStore())
    s = Senders(home)
    alice = MEMBERS[0].uscc
    chain.commit([s.kv(alice, "x", 1)])
    chain.commit([s.kv(alice, "x", None)])
    assert list(chain.ledger.state.keys("kv/")) == []
    chain.commit([s.kv(alice, "x", 2)])
    assert list(chain.ledger.state.keys("kv/")) == [("kv/x", 2)]


def test_index_keys_have_a_current_value_only_and_stay_out_of_the_state_root(home):
    """idx/ keys read and list like records and can be deleted, but keep no
    versions, and what they hold does not change the state root."""
    roots = []
    for value in (1, 2):
        chain = Chain(home, MemoryStore())
        s = Senders(home)
        alice = MEMBERS[0].uscc
        chain.commit([s.tx(alice, "kv", "index", {"key": "a", "value": value}),
                      s.tx(alice, "kv", "index", {"key": "b", "value": 5})])
        state = chain.ledger.state
        assert state.get("idx/kv/a") == value and state.get("idx/kv/none") is None
        assert list(state.keys("idx/kv/")) == [("idx/kv/a", value), ("idx/kv/b", 5)]
        assert list(state.keys("idx/kv/", after="idx/kv/a")) == [("idx/kv/b", 5)]
        assert state.record("idx/kv/a") is None
        for read in (state.version, state.history):
            with pytest.raises(MuluError) as info:
                read("idx/kv/a")
            assert info.value.code == "RECORD_NOT_FOUND"
        roots.append(chain.ledger.block(1).header.state_root)
        chain.commit([s.tx(alice, "kv", "index", {"key": "a"})])
        assert state.get("idx/kv/a") is None and list(state.keys("idx/kv/")) == [("idx/kv/b", 5)]
    assert roots[0] == roots[1]


@pytest.mark.parametrize("key", ["", "a\x00b", "k" * 513, None, b"kv/x"], ids=repr)
def test_invalid_state_keys(history_chain, key):
    """State keys are non-empty text without NUL, at most 512 characters."""
    state = history_chain.ledger.state
    for read in (state.get, state.version, state.history, state.record):
        with pytest.raises(MuluError) as info:
            read(key)
        assert info.value.code == "BAD_REQUEST"


def test_state_reader_reads_what_the_store_holds(home):
    """A StateReader opened on a ledger's store alone reads the same state as the ledger."""
    chain = Chain(home, MemoryStore())
    s = Senders(home)
    chain.commit([s.kv(MEMBERS[2].uscc, "q", 7)])
    reader = StateReader(chain.ledger.store, chain.ledger.profile)
    assert reader.get("kv/q") == 7
    assert reader.history("kv/q") == chain.ledger.state.history("kv/q")


def test_reopened_level_store_restores_tip_and_state(home, tmp_path):
    """A LevelStore ledger closed and reopened has the same tip, history and state,
    and goes on to make the same next block as a ledger that never stopped."""
    path = str(tmp_path / "db")
    senders = Senders(home)
    blocks = random_blocks(senders, 7, 4)
    last = [senders.kv(MEMBERS[0].uscc, "after", 1), senders.anchor(MEMBERS[1].uscc, "c", b"new")]
    memory = Chain(home, MemoryStore())
    level = Chain(home, LevelStore(path, create=True))
    for txs in blocks:
        memory.commit(txs)
        level.commit(txs)
    before = level.ledger.tip
    contents = list(level.ledger.store.items())
    level.ledger.close()

    reopened = Chain(home, LevelStore(path))
    try:
        assert reopened.ledger.tip == before == memory.ledger.tip
        assert list(reopened.ledger.store.items()) == contents
        assert reopened.ledger.history.root() == memory.ledger.history.root()
        assert reopened.ledger.params == memory.ledger.params
        assert list(reopened.ledger.state.keys("kv/")) == list(memory.ledger.state.keys("kv/"))
        for txs in (last,):
            memory.commit(txs)
            reopened.commit(txs)
        assert reopened.ledger.tip == memory.ledger.tip
        assert reopened.ledger.block(5).to_bytes() == memory.ledger.block(5).to_bytes()
        assert reopened.ledger.state.get("kv/after") == 1
    finally:
        reopened.ledger.close()
        memory.ledger.close()


def test_invalid_store_of_an_older_layout_is_refused(home):
    """A store written in an older layout (no F record, or another version) is refused when opened,
    never read as if it were of this layout."""
    store = MemoryStore()
    Chain(home, store)
    for old, found in ((None, "1"), (b"2", "2"), (b"3", "3")):
        store.write([(b"F", old)])
        with pytest.raises(MuluError) as info:
            Ledger(store, home.genesis(), machine(), verify_threads=1)
        assert info.value.code == "STORE_FORMAT_OLD"
        assert info.value.details["found"] == found
    store.write([(b"F", STORE_FORMAT)])
    assert Ledger(store, home.genesis(), machine(), verify_threads=1).tip.height == 0
