"""Tests of the state tree against its rule (chain.statetree_rule.reference_root), and of its proofs."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.encoding import decode, encode
from chain.errors import BadRequest, ProofInvalid, StoreCorrupt
from chain.statetree import StateProof, StateTree, node_key, root_key, verify_state_proof
from chain.statetree_rule import reference_root


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


EMPTY = H(b"")


class Chain:
    """A tree over a plain dict store, applying batches as versions 0, 1, 2..."""

    def __init__(self, cache_size: int = 65536) -> None:
        self.store: dict[bytes, bytes] = {}
        self.tree = StateTree(H, self.store.get, cache_size=cache_size)
        self.version = -1
        self.states: list[dict[bytes, bytes]] = []
        self.roots: list[bytes] = []

    def apply(self, batch) -> bytes:
        base = None if self.version < 0 else self.version
        self.version += 1
        root, nodes = self.tree.apply(base, self.version, batch)
        keys = [k for k, _ in nodes]
        assert len(set(keys)) == len(keys), "a node is written twice in one version"
        assert not any(k in self.store for k in keys), "a stored node is overwritten"
        self.store.update(nodes)
        state = dict(self.states[-1]) if self.states else {}
        for k, v in batch:
            if v is None:
                state.pop(k, None)
            else:
                state[k] = v
        self.states.append(state)
        self.roots.append(root)
        return root


def _key(*prefix: int, fill: int = 0) -> bytes:
    return bytes(prefix) + bytes([fill]) * (32 - len(prefix))


# Keys with long shared prefixes (down to the last nibble) as well as random ones.
KEYS = [
    _key(), _key()[:31] + b"\x01", _key()[:31] + b"\x10", _key(0, 0, 0, 0x0F),
    _key(0x10), _key(0x01), _key(0x11), _key(0x10, 0x01), _key(fill=0xFF), _key(fill=0xFF)[:31] + b"\xfe",
    _key(0xFF, 0x0F, fill=0xFF), _key(0xAB, 0xCD, fill=7), _key(0xAB, 0xCE, fill=7),
] + [H(b"k%d" % i) for i in range(11)]
VALUES = [H(b"v%d" % i) for i in range(4)]

keys_st = st.sampled_from(KEYS)
update_st = st.tuples(keys_st, st.one_of(st.none(), st.sampled_from(VALUES)))
batch_st = st.lists(update_st, max_size=10)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the rule ---------------------------------------------------------------


def test_reference_root_known_answers():
    """The rule on small key sets gives the roots hashed here by hand."""
    a, b, c = _key(0x10), _key(0x01), _key(0x11)  # a and c share nibble 0 (1) and part at nibble 1
    v0, v1, v2 = VALUES[:3]

    def leaf(k: bytes, v: bytes) -> bytes:
        return H(b"\x00" + k + v)

    assert reference_root(H, {}) == EMPTY
    assert reference_root(H, {a: v0}) == leaf(a, v0)
    assert reference_root(H, {a: v0, b: v1}) == H(b"\x01" + b"\x00\x03" + leaf(b, v1) + leaf(a, v0))
    under_1 = H(b"\x01" + b"\x00\x03" + leaf(a, v0) + leaf(c, v2))
    assert reference_root(H, {c: v2, b: v1, a: v0}) == H(b"\x01" + b"\x00\x03" + leaf(b, v1) + under_1)
    for bad in ({a[:31]: v0}, {a: v0[:31]}):
        with pytest.raises(ValueError):
            reference_root(H, bad)


# --- roots against the reference --------------------------------------------


@FAST
@given(st.lists(batch_st, min_size=1, max_size=12), st.sampled_from([65536, 3]))
def test_roots_match_reference_at_every_version(batches, cache_size):
    chain = Chain(cache_size)
    for batch in batches:
        root = chain.apply(batch)
        assert root == reference_root(H, chain.states[-1])
        for version, expected in enumerate(chain.roots):
            assert chain.tree.root_hash(version) == expected == reference_root(H, chain.states[version])
    for version, state in enumerate(chain.states):
        for k in KEYS:
            assert chain.tree.get(version, k) == state.get(k)


@FAST
@given(st.dictionaries(keys_st, st.sampled_from(VALUES), max_size=len(KEYS)), st.randoms(use_true_random=False),
       st.lists(update_st, max_size=20))
def test_root_is_independent_of_order_and_batching(state, rnd, noise):
    one = Chain()
    one.apply(list(state.items()))
    # Same final state reached through noise, deletes and reinserts in shuffled batches.
    other = Chain()
    other.apply(noise)
    items = list(state.items())
    rnd.shuffle(items)
    deletes = [(k, None) for k in KEYS if k not in state]
    rnd.shuffle(deletes)
    mixed = items + deletes
    rnd.shuffle(mixed)
    while mixed:
        if rnd.random() < 0.2:
            other.apply([])
        n = rnd.randint(1, len(mixed))
        other.apply(mixed[:n])
        mixed = mixed[n:]
    assert one.roots[-1] == other.roots[-1] == reference_root(H, state)


any_key_st = st.one_of(keys_st, st.binary(min_size=32, max_size=32))
any_value_st = st.one_of(st.sampled_from(VALUES), st.binary(min_size=32, max_size=32))


def writes_on(state: dict[bytes, bytes]) -> st.SearchStrategy:
    """A batch of writes on ``state``, possibly empty: inserts, deletes of absent
    keys and, when there are keys, updates, deletes and rewrites of a value with itself."""
    ops = [st.tuples(any_key_st, any_value_st), st.tuples(any_key_st, st.none())]
    if state:
        present = st.sampled_from(sorted(state))
        ops += [st.tuples(present, any_value_st), st.tuples(present, st.none()), present.map(lambda k: (k, state[k]))]
    return st.lists(st.one_of(ops), max_size=12)


@FAST
@given(st.data())
def test_every_apply_matches_the_rule_and_proves_against_it(data):
    """After each random batch the root is the rule's root of the key set, proofs
    of present and absent keys verify against it, and a batch that changes
    nothing writes only the root record."""
    chain = Chain(data.draw(st.sampled_from([65536, 4]), label="cache size"))
    for _ in range(data.draw(st.integers(1, 8), label="batches")):
        before = chain.states[-1] if chain.states else {}
        stored = len(chain.store)
        root = chain.apply(data.draw(writes_on(before), label="batch"))
        state = chain.states[-1]
        assert root == reference_root(H, state)
        if state == before:
            assert len(chain.store) == stored + 1
        probes = st.one_of(any_key_st, st.sampled_from(sorted(state))) if state else any_key_st
        for k in data.draw(st.lists(probes, min_size=1, max_size=6), label="probes"):
            verify_state_proof(H, root, k, state.get(k), chain.tree.prove(chain.version, k))


def test_empty_tree_and_empty_batches():
    chain = Chain()
    assert chain.apply([]) == EMPTY
    assert chain.apply([(KEYS[0], None)]) == EMPTY
    r = chain.apply([(KEYS[0], VALUES[0])])
    assert r == H(b"\x00" + KEYS[0] + VALUES[0])
    before = len(chain.store)
    assert chain.apply([]) == r
    assert len(chain.store) == before + 1  # only the root record
    assert chain.tree.root_hash(3) == chain.tree.root_hash(2) == r
    assert chain.apply([(KEYS[0], None)]) == EMPTY
    assert chain.tree.get(4, KEYS[0]) is None and chain.tree.get(3, KEYS[0]) == VALUES[0]


def test_last_write_in_a_batch_wins_and_noop_writes_add_no_nodes():
    chain = Chain()
    chain.apply([(k, VALUES[0]) for k in KEYS])
    before = len(chain.store)
    chain.apply([(k, VALUES[0]) for k in KEYS] + [(H(b"absent"), None)])
    assert len(chain.store) == before + 1 and chain.roots[-1] == chain.roots[-2]
    chain.apply([(KEYS[0], VALUES[1]), (KEYS[0], None), (KEYS[1], None), (KEYS[1], VALUES[2])])
    assert chain.tree.get(2, KEYS[0]) is None and chain.tree.get(2, KEYS[1]) == VALUES[2]
    assert chain.roots[-1] == reference_root(H, chain.states[-1])


def test_deep_leaves_and_collapse():
    chain = Chain()
    a, b = _key(), _key()[:31] + b"\x01"  # differ only in the last nibble
    chain.apply([(a, VALUES[0]), (b, VALUES[1])])
    assert node_key(0, 64, a) in chain.store and node_key(0, 63, a) in chain.store
    chain.apply([(b, None)])
    assert chain.roots[-1] == H(b"\x00" + a + VALUES[0])
    assert node_key(1, 0, a) in chain.store  # the lone leaf moved up to the root
    assert chain.tree.prove(0, b).leaf == (b, VALUES[1])


def test_node_format():
    chain = Chain()
    chain.apply([(KEYS[4], VALUES[0]), (KEYS[5], VALUES[1])])  # 0x10.. and 0x01..
    raw = chain.store[node_key(0, 0, b"")]
    assert set(chain.store) == {node_key(0, 0, b""), node_key(0, 1, KEYS[4]), node_key(0, 1, KEYS[5]), root_key(0)}
    bitmap, leafmap, hashes, versions = decode(raw)
    assert (bitmap, leafmap, versions) == (b"\x00\x03", b"\x00\x03", bytes(16))
    assert hashes == H(b"\x00" + KEYS[5] + VALUES[1]) + H(b"\x00" + KEYS[4] + VALUES[0])
    assert decode(chain.store[node_key(0, 1, KEYS[4])]) == [KEYS[4], VALUES[0]]
    assert decode(chain.store[root_key(0)]) == [chain.roots[0], 0, None]


# --- proofs -----------------------------------------------------------------


@FAST
@given(st.lists(batch_st, min_size=1, max_size=8), st.data())
def test_proofs_verify_at_every_version(batches, data):
    chain = Chain()
    for batch in batches:
        chain.apply(batch)
    version = data.draw(st.integers(0, chain.version))
    root, state = chain.roots[version], chain.states[version]
    for k in KEYS + [H(b"never")]:
        proof = chain.tree.prove(version, k)
        again = StateProof.from_plain(decode(encode(proof.to_plain())))
        assert again == proof
        verify_state_proof(H, root, k, state.get(k), again)
        with pytest.raises(ProofInvalid):  # claim the opposite
            verify_state_proof(H, root, k, None if k in state else VALUES[0], proof)


def _flips(proof: StateProof):
    """Every proof obtained by flipping one byte of one sibling hash."""
    for d, (bitmap, sibs) in enumerate(proof.levels):
        for i, s in enumerate(sibs):
            for pos in (0, 31):
                bad = s[:pos] + bytes([s[pos] ^ 1]) + s[pos + 1:]
                levels = list(proof.levels)
                levels[d] = (bitmap, sibs[:i] + (bad,) + sibs[i + 1:])
                yield StateProof(tuple(levels), proof.leaf)


@pytest.fixture(scope="module")
def big():
    chain = Chain()
    keys = [H(b"key%d" % i) for i in range(300)]
    chain.apply([(k, H(k)) for k in keys[:200]])
    chain.apply([(k, H(k + b"2")) for k in keys[100:300]] + [(k, None) for k in keys[:50]])
    return chain, keys


def test_inclusion_and_non_inclusion_at_current_and_old_versions(big):
    chain, keys = big
    for version in (0, 1):
        for k in keys + [H(b"missing%d" % i) for i in range(50)]:
            v = chain.states[version].get(k)
            verify_state_proof(H, chain.roots[version], k, v, chain.tree.prove(version, k))
    kinds = {(chain.tree.prove(1, H(b"missing%d" % i)).leaf is None) for i in range(50)}
    assert kinds == {True, False}  # both empty-slot and other-leaf non-inclusion occur


def test_invalid_flipped_sibling_byte(big):
    chain, keys = big
    for k in (keys[120], H(b"missing1"), H(b"missing2")):
        proof = chain.tree.prove(1, k)
        assert proof.levels
        for bad in _flips(proof):
            with pytest.raises(ProofInvalid):
                verify_state_proof(H, chain.roots[1], k, chain.states[1].get(k), bad)


def test_invalid_flipped_bitmap(big):
    chain, keys = big
    proof = chain.tree.prove(1, keys[120])
    bitmap, sibs = proof.levels[0]
    for bit in range(16):
        bad = StateProof(((bitmap ^ (1 << bit), sibs),) + proof.levels[1:], proof.leaf)
        with pytest.raises(ProofInvalid):
            verify_state_proof(H, chain.roots[1], keys[120], H(keys[120] + b"2"), bad)


def test_invalid_wrong_value_hash(big):
    chain, keys = big
    proof = chain.tree.prove(1, keys[120])
    with pytest.raises(ProofInvalid):
        verify_state_proof(H, chain.roots[1], keys[120], H(keys[120]), proof)
    forged = StateProof(proof.levels, (keys[120], H(keys[120])))
    with pytest.raises(ProofInvalid):
        verify_state_proof(H, chain.roots[1], keys[120], H(keys[120]), forged)


def test_invalid_wrong_key(big):
    chain, keys = big
    proof = chain.tree.prove(1, keys[120])
    with pytest.raises(ProofInvalid):
        verify_state_proof(H, chain.roots[1], keys[121], H(keys[120] + b"2"), proof)
    with pytest.raises(ProofInvalid):  # nor does it prove the other key absent
        verify_state_proof(H, chain.roots[1], keys[121], None, proof)


def test_invalid_proof_for_another_versions_root(big):
    chain, keys = big
    for k, version in ((keys[120], 0), (keys[10], 0), (keys[250], 1)):
        proof = chain.tree.prove(version, k)
        verify_state_proof(H, chain.roots[version], k, chain.states[version].get(k), proof)
        with pytest.raises(ProofInvalid):
            verify_state_proof(H, chain.roots[1 - version], k, chain.states[version].get(k), proof)


def test_invalid_truncated_proof(big):
    chain, keys = big
    for k in (keys[120], H(b"missing1")):
        proof = chain.tree.prove(1, k)
        v = chain.states[1].get(k)
        cuts = [StateProof(proof.levels[:n], proof.leaf) for n in range(len(proof.levels))]
        cuts += [StateProof(proof.levels[n:], proof.leaf) for n in range(1, len(proof.levels) + 1)]
        last_bitmap, last_sibs = proof.levels[-1]
        if last_sibs:
            cuts.append(StateProof(proof.levels[:-1] + ((last_bitmap, last_sibs[:-1]),), proof.leaf))
        cuts.append(StateProof(proof.levels, None))
        for bad in cuts:
            with pytest.raises(ProofInvalid):
                verify_state_proof(H, chain.roots[1], k, v, bad)
    for plain in ([], [[[1]], None], [[[1, [b"x"]]], [b"k"]], [[["1", []]], None], [[[70000, []]], None], 7):
        with pytest.raises(ProofInvalid):
            StateProof.from_plain(plain)


def test_invalid_non_inclusion_claimed_as_inclusion(big):
    chain, keys = big
    for i in range(20):
        k = H(b"missing%d" % i)
        proof = chain.tree.prove(1, k)
        for value in VALUES + ([proof.leaf[1]] if proof.leaf else []):
            with pytest.raises(ProofInvalid):
                verify_state_proof(H, chain.roots[1], k, value, proof)
    gone = chain.tree.prove(1, keys[0])  # deleted at version 1
    with pytest.raises(ProofInvalid):
        verify_state_proof(H, chain.roots[1], keys[0], H(keys[0]), gone)


def test_invalid_leaf_off_the_path(big):
    chain, keys = big
    a, b = keys[120], next(k for k in keys[100:] if k[0] >> 4 != keys[120][0] >> 4)
    proof = chain.tree.prove(1, a)
    with pytest.raises(ProofInvalid):  # b's leaf is not where a would be
        verify_state_proof(H, chain.roots[1], b, None, proof)


def test_single_leaf_and_empty_tree_proofs():
    chain = Chain()
    chain.apply([])
    chain.apply([(KEYS[0], VALUES[0])])
    p0 = chain.tree.prove(0, KEYS[0])
    assert p0 == StateProof((), None)
    verify_state_proof(H, EMPTY, KEYS[0], None, p0)
    p1 = chain.tree.prove(1, KEYS[0])
    verify_state_proof(H, chain.roots[1], KEYS[0], VALUES[0], p1)
    verify_state_proof(H, chain.roots[1], KEYS[1], None, chain.tree.prove(1, KEYS[1]))
    with pytest.raises(ProofInvalid):
        verify_state_proof(H, chain.roots[1], KEYS[0], None, p0)


def test_invalid_malformed_proof_objects(big):
    chain, keys = big
    k, v = keys[120], H(keys[120] + b"2")
    proof = chain.tree.prove(1, k)
    (bitmap, sibs), rest = proof.levels[0], proof.levels[1:]
    bad = [
        StateProof(((str(bitmap), sibs),) + rest, proof.leaf),
        StateProof(((bitmap | 1 << 16, sibs),) + rest, proof.leaf),
        StateProof(((bitmap, sibs[:-1] + (sibs[-1].hex(),)),) + rest, proof.leaf),
        StateProof(((bitmap, sibs[:-1] + (sibs[-1] + b"x",)),) + rest, proof.leaf),
        StateProof(proof.levels, (k, v.hex())),
        StateProof(proof.levels, (k,)),
        StateProof(((0, ()),) * 65 + proof.levels, proof.leaf),
        StateProof(((bitmap,),) + rest, proof.leaf),
        proof.to_plain(),
    ]
    for p in bad:
        with pytest.raises(ProofInvalid):
            verify_state_proof(H, chain.roots[1], k, v, p)
    verify_state_proof(H, chain.roots[1], k, v, proof)


# --- storage, errors and the cache -------------------------------------------


def test_missing_and_corrupt_nodes_raise_store_corrupt():
    chain = Chain(cache_size=1)
    chain.apply([(k, VALUES[0]) for k in KEYS])
    with pytest.raises(StoreCorrupt):
        chain.tree.root_hash(5)
    with pytest.raises(StoreCorrupt):
        chain.tree.apply(4, 5, [])
    fresh = StateTree(H, chain.store.get)
    del chain.store[node_key(0, 0, b"")]
    with pytest.raises(StoreCorrupt):
        fresh.get(0, KEYS[0])
    chain.store[node_key(0, 0, b"")] = encode([b"\x00\x03", b"\x00\x00", b"short", b""])
    with pytest.raises(StoreCorrupt):
        fresh.prove(0, KEYS[0])
    chain.store[root_key(0)] = b"\xc1"
    with pytest.raises(StoreCorrupt):
        fresh.root_hash(0)


def test_bad_arguments():
    tree = StateTree(H, {}.get)
    for base, version, updates in ((None, -1, []), (3, 3, []), (None, 0, [(b"short", None)]),
                                   (None, 0, [(KEYS[0], b"short")]), (None, True, [])):
        with pytest.raises(BadRequest):
            tree.apply(base, version, updates)
    with pytest.raises(ProofInvalid):
        verify_state_proof(H, EMPTY, b"short", None, StateProof((), None))


def test_dropped_proposal_does_not_poison_the_cache():
    """Two blocks proposed at one height: the tree must read what was committed."""
    chain = Chain()
    chain.apply([(k, VALUES[0]) for k in KEYS])
    a = [(k, VALUES[1]) for k in KEYS[:8]]
    b = [(k, VALUES[2]) for k in KEYS[4:]] + [(KEYS[0], None)]
    root_a, nodes_a = chain.tree.apply(0, 1, a)
    root_b, nodes_b = chain.tree.apply(0, 1, b)  # built last, but A is committed
    chain.store.update(nodes_a)
    state = {k: VALUES[0] for k in KEYS} | dict(a)
    assert chain.tree.root_hash(1) == root_a == reference_root(H, state)
    for k in KEYS:
        assert chain.tree.get(1, k) == state[k]
    root, nodes = chain.tree.apply(1, 2, [(KEYS[-1], None)])
    chain.store.update(nodes)
    state.pop(KEYS[-1])
    assert root == reference_root(H, state)
    for k in KEYS:
        verify_state_proof(H, root, k, state.get(k), chain.tree.prove(2, k))


def test_committed_nodes_are_served_from_the_cache():
    reads = []
    store: dict[bytes, bytes] = {}
    tree = StateTree(H, lambda k: reads.append(k) or store.get(k))
    _, nodes = tree.apply(None, 0, [(k, VALUES[0]) for k in KEYS])
    store.update(nodes)
    reads.clear()
    for k in KEYS:
        assert tree.get(0, k) == VALUES[0]
    assert set(reads) == {root_key(0)}  # confirmed by the root record, then no node reads
    other = StateTree(H, store.get, cache_size=2)  # a cold, tiny cache reads the store
    for k in KEYS:
        assert other.get(0, k) == VALUES[0]
