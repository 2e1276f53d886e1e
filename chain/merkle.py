"""RFC 6962 / RFC 9162 Merkle trees: roots, proofs, verifiers, a history tree.

Every function takes the hash ``h`` of the chain's crypto profile; leaves and
inner nodes are domain-separated (RFC 9162 §2.1.1), so a leaf can never pass
for a node. The module keeps three concerns apart, as transparency-dev/merkle
does:

* *which nodes* a proof needs: :func:`inclusion_spans`, :func:`consistency_spans`
  and :func:`subtree_nodes` -- pure arithmetic on sizes and indexes;
* *fetching* them: from a full leaf list (:func:`inclusion_proof`,
  :func:`consistency_proof`) or from stored perfect subtrees (:class:`HistoryTree`);
* *verifying*: :func:`verify_inclusion` and :func:`verify_consistency`, pure
  functions that trust nothing and raise :class:`ProofInvalid`.

A *span* ``(begin, end)`` is the leaf range ``[begin, end)`` of one node of an
RFC tree. Every span in a proof is either a perfect subtree or the right border
of the tree, so it is the fold of at most ``log2(n)`` perfect subtrees.
"""

from __future__ import annotations

import struct
from typing import Callable, Sequence

from chain.errors import BadRequest, ProofInvalid, StoreCorrupt

Hash = Callable[[bytes], bytes]
NodeId = tuple[int, int]
"""A perfect subtree ``(level, index)``: leaves ``[index << level, (index + 1) << level)``."""
Span = tuple[int, int]


# --- hashing -----------------------------------------------------------------


def leaf_hash(h: Hash, data: bytes) -> bytes:
    """The hash of one entry: ``h(0x00 || data)``."""
    return h(b"\x00" + data)


def node_hash(h: Hash, left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: ``h(0x01 || left || right)``."""
    return h(b"\x01" + left + right)


def empty_root(h: Hash) -> bytes:
    """The root of the empty tree: ``h("")``."""
    return h(b"")


def root(h: Hash, leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already leaf-hashed entries, bottom-up in ``n - 1`` hashes.

    Pairing each level left to right and carrying a lone last node up unchanged
    gives exactly the RFC's split at the largest power of two below ``n``.
    """
    level = list(leaf_hashes)
    if not level:
        return h(b"")
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        level = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if odd is not None:
            level.append(odd)
    return level[0]


# --- which nodes a proof needs -----------------------------------------------


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The spans whose roots form the inclusion proof of leaf ``index`` (RFC 9162 §2.1.3.1).

    Ordered as in the proof: the leaf's sibling first, the root's child last.
    """
    if not 0 <= index < size:
        raise BadRequest("leaf index out of range", index=index, size=size)
    spans: list[Span] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            spans.append((mid, hi))
            hi = mid
        else:
            spans.append((lo, mid))
            lo = mid
    spans.reverse()
    return spans


def consistency_spans(old_size: int, new_size: int) -> list[Span]:
    """The spans whose roots form the consistency proof ``old_size -> new_size`` (RFC 9162 §2.1.4.1).

    Empty when ``old_size`` is 0 or equal to ``new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise BadRequest("tree sizes out of order", old_size=old_size, new_size=new_size)
    if old_size == 0 or old_size == new_size:
        return []
    spans: list[Span] = []
    lo, hi, whole = 0, new_size, True  # ``whole``: [lo, hi) still starts at leaf 0
    while old_size != hi:
        mid = lo + _split(hi - lo)
        if old_size <= mid:
            spans.append((mid, hi))
            hi = mid
        else:
            spans.append((lo, mid))
            lo, whole = mid, False
    if not whole:
        spans.append((lo, hi))
    spans.reverse()
    return spans


def subtree_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees that make up the span ``[begin, end)``, largest first.

    The span's root is their right fold: ``node(p1, node(p2, ... pk))``. Only
    meaningful for spans of an RFC tree (``begin`` aligned to a power of two at
    least ``end - begin``), which all proof spans are.
    """
    nodes: list[NodeId] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


# --- proofs from a full leaf list --------------------------------------------


def inclusion_proof(h: Hash, leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of all ``leaf_hashes``."""
    return [root(h, leaf_hashes[b:e]) for b, e in inclusion_spans(index, len(leaf_hashes))]


def tree_levels(h: Hash, leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """The perfect subtrees' roots of the tree of ``leaf_hashes``, level by level from the leaves
    (fewer than ``n`` hashes for ``n`` leaves): everything an inclusion proof of any leaf needs."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([h(b"\x01" + below[i] + below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def inclusion_proofs(h: Hash, leaf_hashes: Sequence[bytes], indices: Sequence[int],
                     levels: list[list[bytes]] | None = None) -> list[list[bytes]]:
    """The inclusion proofs of several leaves of one tree, each inner node hashed at most once; a
    proof's span is the right fold of the perfect subtrees it is made of (:func:`subtree_nodes`).
    ``levels`` are the tree's :func:`tree_levels`, if already known."""
    levels = tree_levels(h, leaf_hashes) if levels is None else levels
    size = len(levels[0])
    spans: dict[Span, bytes] = {}

    def span_root(begin: int, end: int) -> bytes:
        found = spans.get((begin, end))
        if found is None:
            nodes = [levels[level][index] for level, index in subtree_nodes(begin, end)]
            found = nodes[-1]
            for node in reversed(nodes[:-1]):
                found = node_hash(h, node, found)
            spans[(begin, end)] = found
        return found

    return [[span_root(b, e) for b, e in inclusion_spans(i, size)] for i in indices]


def consistency_proof(h: Hash, leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof between the trees of the first ``old_size`` and ``new_size`` leaves."""
    if new_size > len(leaf_hashes):
        raise BadRequest("tree size beyond the leaves", new_size=new_size, leaves=len(leaf_hashes))
    return [root(h, leaf_hashes[b:e]) for b, e in consistency_spans(old_size, new_size)]


# --- verifiers -----------------------------------------------------------------


def _check_hashes(h: Hash, **named: bytes | Sequence[bytes]) -> None:
    """Refuse any hash (or proof element) that is not one digest long."""
    width = len(h(b""))
    for name, value in named.items():
        items = [value] if isinstance(value, (bytes, bytearray)) else list(value)
        for i, item in enumerate(items):
            if not isinstance(item, (bytes, bytearray)) or len(item) != width:
                where = name if isinstance(value, (bytes, bytearray)) else f"{name}[{i}]"
                raise ProofInvalid(f"{where} is not a {width}-byte hash", field=where, expected=width)


def _check_length(proof: Sequence[bytes], expected: int, **context: int) -> None:
    if len(proof) != expected:
        raise ProofInvalid("wrong proof length", expected=expected, got=len(proof), **context)


def root_from_inclusion(h: Hash, index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` in a tree of ``size`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofInvalid("leaf index out of range", index=index, size=size)
    _check_length(proof, len(inclusion_spans(index, size)), index=index, size=size)
    _check_hashes(h, leaf_hash=leaf, proof=proof)
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            raise ProofInvalid("inclusion proof too long", index=index, size=size)
        if fn & 1 or fn == sn:
            r = node_hash(h, p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(h, r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("inclusion proof too short", index=index, size=size)
    return r


def verify_inclusion(h: Hash, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Check that ``leaf`` is entry ``index`` of the tree of ``size`` with ``root_hash``."""
    _check_hashes(h, root=root_hash)
    if root_from_inclusion(h, index, size, leaf, proof) != root_hash:
        raise ProofInvalid("inclusion proof does not lead to the root", index=index, size=size)


def verify_consistency(
    h: Hash, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends that of ``old_size`` (RFC 9162 §2.1.4.2).

    The empty tree is a prefix of every tree, but its root must be ``h("")``.
    """
    sizes = dict(old_size=old_size, new_size=new_size)
    if not 0 <= old_size <= new_size:
        raise ProofInvalid("tree sizes out of order", **sizes)
    _check_length(proof, len(consistency_spans(old_size, new_size)), **sizes)
    _check_hashes(h, old_root=old_root, new_root=new_root, proof=proof)
    if old_size == 0:
        if old_root != empty_root(h):
            raise ProofInvalid("old root is not the empty tree's root", **sizes)
        return
    if old_size == new_size:
        if old_root != new_root:
            raise ProofInvalid("same size but different roots", **sizes)
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a perfect old tree is its own first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("consistency proof too long", **sizes)
        if fn & 1 or fn == sn:
            fr, sr = node_hash(h, c, fr), node_hash(h, c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(h, sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("consistency proof too short", **sizes)
    if fr != old_root:
        raise ProofInvalid("consistency proof does not lead to the old root", **sizes)
    if sr != new_root:
        raise ProofInvalid("consistency proof does not lead to the new root", **sizes)


# --- the append-only history tree ----------------------------------------------


def node_key(level: int, index: int) -> bytes:
    """The fixed-width key suffix of node ``(level, index)``: 1 byte level, 8 bytes index, big-endian."""
    return struct.pack(">BQ", level, index)


class HistoryTree:
    """An append-only Merkle tree whose perfect subtrees live in the caller's store.

    Only perfect nodes are stored, addressed by ``(level, index)``; any other
    node (the right border of a tree of any past size) is a fold of at most
    ``log2(n)`` of them. So appending, :meth:`root` at any past size and both
    kinds of proof each read O(log n) nodes through ``get_node``.
    """

    def __init__(self, h: Hash, get_node: Callable[[int, int], bytes | None], size: int) -> None:
        self.h = h
        self.get_node = get_node
        self.size = size

    def _node(self, level: int, index: int) -> bytes:
        value = self.get_node(level, index)
        if value is None:
            raise StoreCorrupt("history tree node missing", level=level, index=index, size=self.size)
        return value

    def _span(self, begin: int, end: int) -> bytes:
        """The root of span ``[begin, end)``, folded from its stored perfect subtrees."""
        nodes = subtree_nodes(begin, end)
        acc = self._node(*nodes[-1])
        for level, index in reversed(nodes[:-1]):
            acc = node_hash(self.h, self._node(level, index), acc)
        return acc

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise BadRequest("tree size beyond the history", size=size, history_size=self.size)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf hash; return the new perfect nodes for the caller to persist."""
        index, node, level = self.size, leaf, 0
        new: list[tuple[NodeId, bytes]] = [((0, index), node)]
        while index & 1:
            node = node_hash(self.h, self._node(level, index - 1), node)
            level, index = level + 1, index >> 1
            new.append(((level, index), node))
        self.size += 1
        return new

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        self._check_size(size)
        return self._span(0, size) if size else empty_root(self.h)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of leaf ``index`` in the tree of ``size``."""
        self._check_size(size)
        return [self._span(b, e) for b, e in inclusion_spans(index, size)]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The consistency proof from the tree of ``old_size`` to that of ``new_size``."""
        self._check_size(new_size)
        return [self._span(b, e) for b, e in consistency_spans(old_size, new_size)]
