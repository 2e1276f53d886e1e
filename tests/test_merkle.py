"""Tests of chain.merkle, in the manner of transparency-dev/merkle.

Known answers come from the RFC 6962 reference leaves (tests/vectors/merkle);
everything else is checked against a naive recursive implementation written
straight from the definitions of RFC 9162 §2.1, and every corruption of a
valid proof must be refused with ProofInvalid.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import merkle
from chain.errors import BadRequest, ProofInvalid, StoreCorrupt


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


VECTORS = json.loads((Path(__file__).parent / "vectors" / "merkle" / "rfc6962.json").read_text())
REF_LEAVES = [merkle.leaf_hash(H, bytes.fromhex(x)) for x in VECTORS["leaves"]]
REF_ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]
POOL = [merkle.leaf_hash(H, i.to_bytes(4, "big")) for i in range(1100)]
SOME_HASH = H(b"some other hash")


# --- naive reference, straight from RFC 9162 §2.1 ------------------------------


def ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    """MTH over entries that are already leaf hashes."""
    if not d:
        return H(b"")
    if len(d) == 1:
        return d[0]
    k = ref_split(len(d))
    return H(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = ref_split(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = ref_split(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return [] if m == 0 else ref_subproof(m, d, True)


# --- a dict-backed store that counts reads ---------------------------------------


class DictStore:
    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.reads = 0

    def get(self, level: int, index: int) -> bytes | None:
        self.reads += 1
        return self.nodes.get((level, index))


def build_history(leaves: list[bytes]) -> tuple[merkle.HistoryTree, DictStore]:
    store = DictStore()
    tree = merkle.HistoryTree(H, store.get, 0)
    for leaf in leaves:
        store.nodes.update(tree.append(leaf))
    return tree, store


def flipped(proof: list[bytes], i: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ 16]) + out[i][1:]
    return out


# --- known answers ------------------------------------------------------------------


def test_hashing_is_domain_separated():
    assert merkle.leaf_hash(H, b"x") == H(b"\x00x")
    assert merkle.node_hash(H, b"a", b"b") == H(b"\x01ab")
    assert merkle.empty_root(H).hex() == VECTORS["empty_root"]
    assert merkle.root(H, []) == merkle.empty_root(H)


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(size):
    assert merkle.root(H, REF_LEAVES[:size]) == REF_ROOTS[size - 1]
    assert build_history(REF_LEAVES[:8])[0].root(size) == REF_ROOTS[size - 1]


@pytest.mark.parametrize("vec", VECTORS["inclusion"], ids=lambda v: f"{v['index']}of{v['size']}")
def test_known_inclusion_proofs(vec):
    index, size, proof = vec["index"], vec["size"], [bytes.fromhex(p) for p in vec["proof"]]
    assert merkle.inclusion_proof(H, REF_LEAVES[:size], index) == proof
    assert build_history(REF_LEAVES)[0].inclusion_proof(index, size) == proof
    assert merkle.root_from_inclusion(H, index, size, REF_LEAVES[index], proof) == REF_ROOTS[size - 1]
    merkle.verify_inclusion(H, index, size, REF_LEAVES[index], proof, REF_ROOTS[size - 1])


@pytest.mark.parametrize("vec", VECTORS["consistency"], ids=lambda v: f"{v['old_size']}to{v['new_size']}")
def test_known_consistency_proofs(vec):
    old, new, proof = vec["old_size"], vec["new_size"], [bytes.fromhex(p) for p in vec["proof"]]
    assert merkle.consistency_proof(H, REF_LEAVES, old, new) == proof
    assert build_history(REF_LEAVES)[0].consistency_proof(old, new) == proof
    merkle.verify_consistency(H, old, new, REF_ROOTS[old - 1], REF_ROOTS[new - 1], proof)


def _groups(spans):
    return [[list(node) for node in merkle.subtree_nodes(b, e)] for b, e in spans]


@pytest.mark.parametrize("vec", VECTORS["inclusion_nodes"], ids=lambda v: f"{v['index']}of{v['size']}")
def test_inclusion_needs_known_nodes(vec):
    assert _groups(merkle.inclusion_spans(vec["index"], vec["size"])) == vec["nodes"]


@pytest.mark.parametrize("vec", VECTORS["consistency_nodes"], ids=lambda v: f"{v['old_size']}to{v['new_size']}")
def test_consistency_needs_known_nodes(vec):
    assert _groups(merkle.consistency_spans(vec["old_size"], vec["new_size"])) == vec["nodes"]


def test_invalid_node_requests_are_refused():
    for index, size in VECTORS["inclusion_nodes_invalid"]:
        with pytest.raises(BadRequest):
            merkle.inclusion_spans(index, size)
    for old, new in VECTORS["consistency_nodes_invalid"]:
        with pytest.raises(BadRequest):
            merkle.consistency_spans(old, new)
    with pytest.raises(BadRequest):
        merkle.consistency_proof(H, REF_LEAVES, 2, 9)


# --- agreement with the reference -------------------------------------------------


@st.composite
def size_and_index(draw, max_size=300):
    size = draw(st.integers(1, max_size))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw, max_size=300):
    new = draw(st.integers(0, max_size))
    return draw(st.integers(0, new)), new


@given(st.integers(0, 300))
def test_root_matches_reference(n):
    assert merkle.root(H, POOL[:n]) == ref_mth(POOL[:n])


@given(size_and_index())
def test_inclusion_matches_reference_and_verifies(case):
    index, (size, leaves) = case[1], (case[0], POOL[: case[0]])
    proof = merkle.inclusion_proof(H, leaves, index)
    assert proof == ref_path(index, leaves)
    merkle.verify_inclusion(H, index, size, leaves[index], proof, ref_mth(leaves))
    for i in range(len(proof)):
        with pytest.raises(ProofInvalid):
            merkle.verify_inclusion(H, index, size, leaves[index], flipped(proof, i), ref_mth(leaves))


@given(two_sizes())
def test_consistency_matches_reference_and_verifies(sizes):
    old, new = sizes
    proof = merkle.consistency_proof(H, POOL, old, new)
    assert proof == ref_proof(old, POOL[:new])
    merkle.verify_consistency(H, old, new, ref_mth(POOL[:old]), ref_mth(POOL[:new]), proof)
    for i in range(len(proof)):
        with pytest.raises(ProofInvalid):
            merkle.verify_consistency(H, old, new, ref_mth(POOL[:old]), ref_mth(POOL[:new]), flipped(proof, i))


@settings(max_examples=50)
@given(st.integers(1, 300), st.data())
def test_history_tree_matches_reference(size, data):
    tree, _ = build_history(POOL[:size])
    past = data.draw(st.integers(1, size))
    index = data.draw(st.integers(0, past - 1))
    old = data.draw(st.integers(0, past))
    assert tree.root(past) == ref_mth(POOL[:past])
    assert tree.inclusion_proof(index, past) == ref_path(index, POOL[:past])
    assert tree.consistency_proof(old, past) == ref_proof(old, POOL[:past])


# --- must-fail cases ----------------------------------------------------------------

SMALL = 33
INCLUSION_CASES = [(i, n) for n in range(1, SMALL + 1) for i in range(n)]
CONSISTENCY_CASES = [(m, n) for n in range(2, SMALL + 1) for m in range(1, n)]


def incl(index, size):
    leaves = POOL[:size]
    return leaves[index], merkle.inclusion_proof(H, leaves, index), merkle.root(H, leaves)


def cons(old, new):
    return merkle.root(H, POOL[:old]), merkle.root(H, POOL[:new]), merkle.consistency_proof(H, POOL, old, new)


def refuses_inclusion(index, size, leaf, proof, root) -> bool:
    try:
        merkle.verify_inclusion(H, index, size, leaf, proof, root)
    except ProofInvalid:
        return True
    return False


def refuses_consistency(old, new, old_root, new_root, proof) -> bool:
    try:
        merkle.verify_consistency(H, old, new, old_root, new_root, proof)
    except ProofInvalid:
        return True
    return False


def test_invalid_inclusion_flipped_hash():
    for index, size in INCLUSION_CASES:
        leaf, proof, root = incl(index, size)
        for i in range(len(proof)):
            assert refuses_inclusion(index, size, leaf, flipped(proof, i), root), (index, size, i)


def test_invalid_inclusion_truncated():
    for index, size in INCLUSION_CASES[1:]:
        leaf, proof, root = incl(index, size)
        if proof:
            assert refuses_inclusion(index, size, leaf, proof[:-1], root)
            assert refuses_inclusion(index, size, leaf, proof[1:], root)


def test_invalid_inclusion_extended():
    for index, size in INCLUSION_CASES:
        leaf, proof, root = incl(index, size)
        for extra in (root, SOME_HASH, b""):
            assert refuses_inclusion(index, size, leaf, proof + [extra], root)
            assert refuses_inclusion(index, size, leaf, [extra] + proof, root)
        if len(proof) > 1:
            assert refuses_inclusion(index, size, leaf, proof[:1] + [SOME_HASH] + proof[1:], root)


def test_invalid_inclusion_wrong_index():
    for index, size in INCLUSION_CASES:
        leaf, proof, root = incl(index, size)
        for wrong in {index - 1, index + 1, index ^ 2} - {index}:
            assert refuses_inclusion(wrong, size, leaf, proof, root), (index, size, wrong)


def test_invalid_inclusion_wrong_size():
    for index, size in INCLUSION_CASES:
        leaf, proof, root = incl(index, size)
        for wrong in {size * 2, size // 2} - {size}:
            assert refuses_inclusion(index, wrong, leaf, proof, root), (index, size, wrong)


def test_invalid_inclusion_index_out_of_range():
    leaf, proof, root = incl(2, 5)
    for index, size in [(5, 5), (6, 5), (-1, 5), (0, 0), (1, 0)]:
        with pytest.raises(ProofInvalid, match="out of range") as err:
            merkle.verify_inclusion(H, index, size, leaf, proof, root)
        assert err.value.code == "PROOF_INVALID" and err.value.details["index"] == index


def test_invalid_inclusion_wrong_leaf_or_root():
    leaf, proof, root = incl(3, 7)
    for bad_leaf, bad_root in [(POOL[4], root), (leaf, merkle.empty_root(H)), (leaf, SOME_HASH),
                               (b"WrongLeaf", root), (leaf, root[:-1])]:
        assert refuses_inclusion(3, 7, bad_leaf, proof, bad_root)
    with pytest.raises(ProofInvalid, match="wrong proof length") as err:
        merkle.verify_inclusion(H, 3, 7, leaf, proof[:-1], root)
    assert err.value.details == {"expected": 3, "got": 2, "index": 3, "size": 7}
    assert refuses_inclusion(0, 1, b"", [], b"")  # one-leaf tree: root == leaf, but not of the wrong width


def test_invalid_consistency_flipped_hash():
    for old, new in CONSISTENCY_CASES:
        r1, r2, proof = cons(old, new)
        for i in range(len(proof)):
            assert refuses_consistency(old, new, r1, r2, flipped(proof, i)), (old, new, i)


def test_invalid_consistency_truncated():
    for old, new in CONSISTENCY_CASES:
        r1, r2, proof = cons(old, new)
        for cut in (proof[:-1], proof[1:], []):
            assert refuses_consistency(old, new, r1, r2, cut), (old, new)


def test_invalid_consistency_extended():
    for old, new in CONSISTENCY_CASES:
        r1, r2, proof = cons(old, new)
        for extra in (r1, r2, proof[0], SOME_HASH, b""):
            assert refuses_consistency(old, new, r1, r2, proof + [extra])
            assert refuses_consistency(old, new, r1, r2, [extra] + proof)


def test_invalid_consistency_wrong_sizes():
    for old, new in CONSISTENCY_CASES:
        r1, r2, proof = cons(old, new)
        for m, n in {(old - 1, new), (old + 1, new), (old ^ 2, new), (old, new * 2), (old, new // 2)} - {(old, new)}:
            assert refuses_consistency(m, n, r1, r2, proof), (old, new, m, n)


def test_invalid_consistency_old_size_greater_than_new():
    r1, r2, proof = cons(3, 7)
    for old, new in [(7, 3), (1, 0), (2, 1), (-1, 3)]:
        with pytest.raises(ProofInvalid, match="out of order"):
            merkle.verify_consistency(H, old, new, r1, r2, proof)


def test_invalid_consistency_empty_old_tree():
    empty = merkle.empty_root(H)
    merkle.verify_consistency(H, 0, 5, empty, merkle.root(H, POOL[:5]), [])
    merkle.verify_consistency(H, 0, 0, empty, empty, [])
    assert refuses_consistency(0, 5, empty, merkle.root(H, POOL[:5]), [empty])
    assert refuses_consistency(0, 0, empty, empty, [empty])
    assert refuses_consistency(0, 5, SOME_HASH, merkle.root(H, POOL[:5]), [])


def test_invalid_consistency_same_size():
    r = merkle.root(H, POOL[:4])
    merkle.verify_consistency(H, 4, 4, r, r, [])
    assert refuses_consistency(4, 4, r, SOME_HASH, [])
    assert refuses_consistency(4, 4, r, r, [r])


def test_invalid_consistency_swapped_or_wrong_roots():
    for old, new in CONSISTENCY_CASES:
        r1, r2, proof = cons(old, new)
        for a, b in [(r2, r1), (SOME_HASH, r2), (r1, SOME_HASH), (b"WrongRoot", r2)]:
            assert refuses_consistency(old, new, a, b, proof), (old, new)


# --- the history tree -------------------------------------------------------------------


def test_history_tree_thousand_leaves_costs_log_reads():
    tree, store = build_history([])
    for n, leaf in enumerate(POOL[:1000], start=1):
        store.reads = 0
        new_nodes = tree.append(leaf)
        assert tree.size == n and store.reads == len(new_nodes) - 1 <= math.log2(n)
        assert all(pos not in store.nodes for pos, _ in new_nodes)
        store.nodes.update(new_nodes)
    assert len(store.nodes) == 2 * 1000 - bin(1000).count("1")  # every perfect subtree, once

    sizes = sorted({1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 777, 999, 1000} | set(range(5, 1000, 97)))
    for n in sizes:
        bound = 2 * math.ceil(math.log2(n)) + 2
        store.reads = 0
        assert tree.root(n) == ref_mth(POOL[:n])
        assert store.reads <= bin(n).count("1")
        for index in {0, n // 3, n // 2, n - 1}:
            store.reads = 0
            proof = tree.inclusion_proof(index, n)
            assert store.reads <= bound
            assert proof == ref_path(index, POOL[:n])
            merkle.verify_inclusion(H, index, n, POOL[index], proof, tree.root(n))
        for old in {0, 1, n // 3, n // 2, n - 1, n}:
            store.reads = 0
            proof = tree.consistency_proof(old, n)
            assert store.reads <= bound
            assert proof == ref_proof(old, POOL[:n])
            merkle.verify_consistency(H, old, n, tree.root(old), tree.root(n), proof)
    assert tree.root() == merkle.root(H, POOL[:1000]) == tree.root(1000)


def test_history_tree_reopens_from_store():
    tree, store = build_history(POOL[:37])
    again = merkle.HistoryTree(H, store.get, 37)
    store.nodes.update(again.append(POOL[37]))
    assert again.root() == merkle.root(H, POOL[:38])
    assert merkle.HistoryTree(H, store.get, 0).root() == merkle.empty_root(H)


def test_history_tree_missing_node_is_store_corrupt():
    tree, store = build_history(POOL[:6])
    del store.nodes[(1, 2)]
    with pytest.raises(StoreCorrupt) as err:
        tree.root(6)
    assert err.value.code == "STORE_CORRUPT" and err.value.details == {"level": 1, "index": 2, "size": 6}
    with pytest.raises(StoreCorrupt):
        merkle.HistoryTree(H, store.get, 7).append(POOL[7])  # needs leaf 6, never stored


def test_history_tree_refuses_sizes_beyond_it():
    tree, _ = build_history(POOL[:10])
    for call in (lambda: tree.root(11), lambda: tree.inclusion_proof(0, 11),
                 lambda: tree.inclusion_proof(10, 10), lambda: tree.consistency_proof(5, 11),
                 lambda: tree.consistency_proof(6, 5), lambda: tree.root(-1)):
        with pytest.raises(BadRequest):
            call()


def test_node_key_is_fixed_width_and_ordered():
    positions = [(0, 0), (0, 1), (0, 2**40), (1, 0), (3, 7), (63, 1)]
    keys = [merkle.node_key(*p) for p in positions]
    assert {len(k) for k in keys} == {9} and keys == sorted(keys)
    assert merkle.node_key(2, 5) == bytes([2]) + (5).to_bytes(8, "big")


def test_transaction_root_of_a_full_block():
    leaves = [merkle.leaf_hash(H, i.to_bytes(8, "big")) for i in range(5000)]
    assert merkle.root(H, leaves) == build_history(leaves)[0].root() == ref_mth(leaves)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_batched_inclusion_proofs_equal_single_ones(size, data):
    """Proving several leaves at once gives each leaf's RFC 9162 proof, as proving it alone does."""
    leaves = [merkle.leaf_hash(H, i.to_bytes(4, "big")) for i in range(size)]
    indices = data.draw(st.lists(st.integers(min_value=0, max_value=size - 1), max_size=10))
    assert merkle.inclusion_proofs(H, leaves, indices) == [merkle.inclusion_proof(H, leaves, i) for i in indices]
