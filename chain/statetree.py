"""The state commitment: a versioned 16-ary Merkle radix tree (Jellyfish-style).

The tree maps 32-byte key hashes to 32-byte value hashes (any fixed width: the
width of ``h``'s output). Its shape is a function of the key set alone, so the
root commits to the state and not to its history:

* an empty tree has root ``h(b"")``;
* a key set of one is a *leaf*, hash ``h(0x00 + key_hash + value_hash)``;
* a larger set at depth ``d`` is an *internal* node whose children are the
  subsets sharing nibble ``d`` (high nibble first) of their key hashes; its hash
  is ``h(0x01 + bitmap + child hashes in nibble order)``, where bit ``n`` of
  the 2-byte big-endian bitmap is ``1 << n`` for each present nibble ``n``.

So a leaf sits at the shortest nibble prefix that tells it apart from every
other key, and deleting a key collapses any internal node left with one leaf.

Nodes are stored by the version that wrote them and never overwritten, so
every old root stays readable and provable. Store layout (bytes → bytes):

* ``b"n" + version (8 BE) + depth (1) + path`` → a node, where ``path`` is the
  first ``depth`` nibbles of any key below it, packed two per byte;
  leaf ``encode([0, key_hash, value_hash])``, internal
  ``encode([1, bitmap, leafmap, child hashes, child versions (8 BE each)])``
  (``leafmap`` marks the children that are leaves, so a child is one read);
* ``b"R" + version (8 BE)`` → ``encode([root_hash, root node version | None])``.

:meth:`StateTree.apply` returns these as a list; the caller persists them
atomically with its block. Decoded nodes are kept in a bounded LRU cache. A
node this tree built but nobody has confirmed persisting (a proposal may be
dropped and another block at the same height committed) is trusted only once
its stored bytes are seen to equal the bytes built.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from chain.encoding import decode_trusted, encode
from chain.errors import BadRequest, ProofInvalid, StoreCorrupt

LEAF = 0
INTERNAL = 1
MAX_VERSION = 2**63 - 1
_NODE_KEY = struct.Struct(">cQB")
_ROOT_KEY = struct.Struct(">cQ")
_HIGH = [bytes((b & 0xF0,)) for b in range(256)]
_BITS = tuple(1 << n for n in range(16))

Hash = Callable[[bytes], bytes]
Node = Any  # decoded: (key_hash, value_hash) for a leaf, a 16-slot list for an internal node
"""An internal node's slot is None or ``(child hash, child version, child is a leaf)``."""


def node_key(version: int, depth: int, key: bytes) -> bytes:
    """Where the node at the first ``depth`` nibbles of ``key``, written at ``version``, is stored."""
    half = depth >> 1
    path = key[:half] + _HIGH[key[half]] if depth & 1 else key[:half]
    return _NODE_KEY.pack(b"n", version, depth) + path


def root_key(version: int) -> bytes:
    """Where the root record of ``version`` is stored."""
    return _ROOT_KEY.pack(b"R", version)


def _nibble(key: bytes, depth: int) -> int:
    b = key[depth >> 1]
    return b & 15 if depth & 1 else b >> 4


def _same_prefix(a: bytes, b: bytes, depth: int) -> bool:
    half = depth >> 1
    return a[:half] == b[:half] and (not depth & 1 or a[half] >> 4 == b[half] >> 4)


@dataclass(frozen=True)
class StateProof:
    """The path from a root down to a key's slot.

    ``levels`` holds, root first, each internal node on the path as
    ``(bitmap, sibling hashes in nibble order)`` (every child but the one on
    the path; all children when the key's slot there is empty). ``leaf`` is the
    ``(key_hash, value_hash)`` in the key's slot: the key itself (inclusion),
    another key sharing the path (non-inclusion), or None (empty slot or tree).
    """

    levels: tuple[tuple[int, tuple[bytes, ...]], ...]
    leaf: tuple[bytes, bytes] | None

    def to_plain(self) -> list:
        return [[[bitmap, list(sibs)] for bitmap, sibs in self.levels],
                None if self.leaf is None else list(self.leaf)]

    @classmethod
    def from_plain(cls, plain: Any) -> "StateProof":
        """Rebuild a proof from :meth:`to_plain`'s form; raises :class:`ProofInvalid` if malformed."""
        try:
            raw_levels, raw_leaf = plain
            levels = []
            for bitmap, sibs in raw_levels:
                if type(bitmap) is not int or not 0 <= bitmap <= 0xFFFF or type(sibs) is not list \
                        or any(type(s) is not bytes for s in sibs):
                    raise ValueError("level")
                levels.append((bitmap, tuple(sibs)))
            leaf = None
            if raw_leaf is not None:
                k, v = raw_leaf
                if type(k) is not bytes or type(v) is not bytes:
                    raise ValueError("leaf")
                leaf = (k, v)
        except (TypeError, ValueError):
            raise ProofInvalid("malformed state proof") from None
        return cls(tuple(levels), leaf)


def verify_state_proof(h: Hash, root: bytes, key_hash: bytes, value_hash: bytes | None,
                       proof: StateProof) -> None:
    """Check that under ``root``, ``key_hash`` maps to ``value_hash`` (None: is absent).

    Raises :class:`ProofInvalid` unless the proof shows exactly that.
    """
    width = len(h(b""))
    if not isinstance(proof, StateProof):
        raise ProofInvalid("not a state proof")
    if type(key_hash) is not bytes or len(key_hash) != width:
        raise ProofInvalid("key hash has the wrong width")
    leaf, depth = proof.leaf, len(proof.levels)
    if depth > 2 * width:
        raise ProofInvalid("state proof is deeper than a key", depth=depth)
    if value_hash is not None:
        if leaf is None or leaf[0] != key_hash or leaf[1] != value_hash:
            raise ProofInvalid("state proof does not show this key with this value")
    elif leaf is not None and leaf[0] == key_hash:
        raise ProofInvalid("state proof shows the key present")
    if leaf is not None:
        if len(leaf[0]) != width or len(leaf[1]) != width or not _same_prefix(leaf[0], key_hash, depth):
            raise ProofInvalid("state proof leaf is not on the key's path")
        current: bytes | None = h(b"\x00" + leaf[0] + leaf[1])
    else:
        current = None
    for d in range(depth - 1, -1, -1):
        bitmap, sibs = proof.levels[d]
        if any(len(s) != width for s in sibs):
            raise ProofInvalid("state proof sibling has the wrong width", depth=d)
        nib = _nibble(key_hash, d)
        present = [n for n in range(16) if bitmap & _BITS[n]]
        if current is None:
            if bitmap & _BITS[nib] or len(sibs) != len(present):
                raise ProofInvalid("state proof empty slot does not match its node", depth=d)
            children = list(sibs)
        else:
            if not bitmap & _BITS[nib] or len(sibs) != len(present) - 1:
                raise ProofInvalid("state proof level does not match its node", depth=d)
            pos = present.index(nib)
            children = [*sibs[:pos], current, *sibs[pos:]]
        current = h(b"\x01" + bitmap.to_bytes(2, "big") + b"".join(children))
    if (h(b"") if current is None else current) != root:
        raise ProofInvalid("state proof does not lead to the root")


class StateTree:
    """Versioned state tree over a node store read through ``get_node``."""

    def __init__(self, h: Hash, get_node: Callable[[bytes], bytes | None], *, cache_size: int = 65536) -> None:
        self._h = h
        self._get = get_node
        self.empty_root = h(b"")
        self._width = len(self.empty_root)
        self._cache: OrderedDict[bytes, tuple[bytes | None, Node]] = OrderedDict()
        self._cache_size = max(1, cache_size)

    # --- reads -----------------------------------------------------------------

    def _root(self, version: int) -> tuple[bytes, int | None]:
        """The root hash of ``version`` and the version its root node was written at."""
        _check_version(version)
        raw = self._get(root_key(version))
        if raw is None:
            raise StoreCorrupt("no state root recorded for this version", version=version)
        try:
            root, at = decode_trusted(raw)
            if type(root) is not bytes or not (at is None or type(at) is int):
                raise ValueError
        except Exception:
            raise StoreCorrupt("state root record is malformed", version=version) from None
        return root, at

    def _read(self, key: bytes) -> Node:
        """The decoded node at ``key``, from the cache when its bytes are known to be stored."""
        cache = self._cache
        entry = cache.get(key)
        if entry is not None and entry[0] is None:
            try:
                cache.move_to_end(key)
            except KeyError:  # evicted by another thread meanwhile
                pass
            return entry[1]
        raw = self._get(key)
        if raw is None:
            raise StoreCorrupt("state tree node is missing", key=key.hex())
        node = entry[1] if entry is not None and entry[0] == raw else self._decode(raw, key)
        self._remember([(key, (None, node))])
        return node

    def _remember(self, entries: list[tuple[bytes, tuple[bytes | None, Node]]]) -> None:
        """Cache ``(key, (raw or None when known stored, node))`` entries, evicting the oldest."""
        cache = self._cache
        try:
            for key, entry in entries:
                cache[key] = entry
                cache.move_to_end(key)
            while len(cache) > self._cache_size:
                cache.popitem(last=False)
        except KeyError:  # raced with another thread's eviction; the cache is only a cache
            pass

    def _decode(self, raw: bytes, key: bytes) -> Node:
        w = self._width
        try:
            value = decode_trusted(raw)
            if value[0] == LEAF and len(value) == 3 and len(value[1]) == len(value[2]) == w:
                return (value[1], value[2])
            _, bitmap, leafmap, hashes, versions = value
            nibs = [n for n in range(16) if bitmap & _BITS[n]]
            at = struct.unpack(f">{len(nibs)}Q", versions)
            if value[0] != INTERNAL or not nibs or len(hashes) != w * len(nibs) \
                    or bitmap >> 16 or leafmap & ~bitmap:
                raise ValueError
        except Exception:
            raise StoreCorrupt("state tree node is malformed", key=key.hex()) from None
        children: list = [None] * 16
        for j, n in enumerate(nibs):
            children[n] = (hashes[j * w:(j + 1) * w], at[j], bool(leafmap & _BITS[n]))
        return children

    def _check_key(self, key_hash: bytes) -> None:
        if type(key_hash) is not bytes or len(key_hash) != self._width:
            raise BadRequest(f"a state key hash is {self._width} bytes", key=repr(key_hash)[:80])

    def root_hash(self, version: int) -> bytes:
        """The state root after ``version`` (one read)."""
        return self._root(version)[0]

    def get(self, version: int, key_hash: bytes) -> bytes | None:
        """The value hash of ``key_hash`` at ``version``, or None when absent."""
        return self._walk(version, key_hash, None)

    def prove(self, version: int, key_hash: bytes) -> StateProof:
        """A proof of ``key_hash``'s value (or absence) under the root of ``version``."""
        levels: list[tuple[int, tuple[bytes, ...]]] = []
        leaf = self._walk(version, key_hash, levels)
        return StateProof(tuple(levels), leaf)

    def _walk(self, version: int, key_hash: bytes, levels: list | None) -> Any:
        """Descend to ``key_hash``'s slot; fill ``levels`` and return the slot's leaf
        when proving, else the key's value hash."""
        self._check_key(key_hash)
        _, at = self._root(version)
        if at is None:
            return None
        node, depth = self._read(node_key(at, 0, key_hash)), 0
        while type(node) is list:
            nib = _nibble(key_hash, depth)
            if levels is not None:
                bitmap = sum(_BITS[n] for n in range(16) if node[n] is not None)
                levels.append((bitmap, tuple(s[0] for n, s in enumerate(node) if s is not None and n != nib)))
            slot = node[nib]
            if slot is None:
                return None
            depth += 1
            node = self._read(node_key(slot[1], depth, key_hash))
        if levels is not None:
            return node
        return node[1] if node[0] == key_hash else None

    # --- writes ----------------------------------------------------------------

    def apply(self, base_version: int | None, version: int,
              updates: Sequence[tuple[bytes, bytes | None]]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """Apply ``updates`` (``(key_hash, value_hash | None)``, None deletes; the last
        write of a key wins) on top of the tree at ``base_version`` (None: empty).

        Returns the new root hash and the nodes to persist as ``(key, bytes)``,
        including the root record of ``version``. Nothing is persisted here.
        """
        _check_version(version)
        if base_version is not None and not (type(base_version) is int and 0 <= base_version < version):
            raise BadRequest("the base version must be below the new version", base=base_version, version=version)
        w = self._width
        for k, v in updates:
            if type(k) is not bytes or len(k) != w or not (v is None or (type(v) is bytes and len(v) == w)):
                raise BadRequest(f"state tree updates are pairs of {w}-byte hashes (value may be None)")
        items = sorted(dict(updates).items())
        h, read, out, built = self._h, self._read, [], []

        def put(key: bytes, raw: bytes, node: Node) -> None:
            out.append((key, raw))
            built.append((key, (raw, node)))

        def build(depth: int, node: Node, nver: int | None, nhash: bytes | None,
                  items: list, lo: int, hi: int) -> tuple | None:
            """The subtree at ``depth`` after ``items[lo:hi]`` on ``node`` (stored at
            ``nver`` with hash ``nhash``): None, or ``(hash, version, key, value)``
            where key/value are None for an internal node (already written) and a
            leaf's version is None until it is written where it settles."""
            if type(node) is not list:  # empty slot or a leaf: rebuild from the merged entries
                if node is None:
                    entries = [kv for kv in items[lo:hi] if kv[1] is not None]
                else:
                    merged = {node[0]: node[1]}
                    merged.update(items[lo:hi])
                    entries = sorted(kv for kv in merged.items() if kv[1] is not None)
                if len(entries) <= 1:
                    if not entries:
                        return None
                    k, v = entries[0]
                    if node is not None and k == node[0] and v == node[1]:
                        return nhash, nver, k, v
                    return h(b"\x00" + k + v), None, k, v
                items, lo, hi, children, node = entries, 0, len(entries), [None] * 16, None
            else:
                children = node.copy()
            shift, byte = (0 if depth & 1 else 4), depth >> 1
            touched = []
            i = lo
            while i < hi:
                nib = items[i][0][byte] >> shift & 15
                j = i + 1
                while j < hi and items[j][0][byte] >> shift & 15 == nib:
                    j += 1
                slot = children[nib]
                if slot is None:
                    res = build(depth + 1, None, None, None, items, i, j)
                else:
                    res = build(depth + 1, read(node_key(slot[1], depth + 1, items[i][0])),
                                slot[1], slot[0], items, i, j)
                children[nib] = None if res is None else (res[0], res[1], res[2] is not None)
                touched.append((nib, res))
                i = j
            count = 16 - children.count(None)
            if count == 0:
                return None
            if count == 1:
                nib = next(n for n in range(16) if children[n] is not None)
                chash, cver, cleaf = children[nib]
                if cleaf:  # collapse: the lone leaf moves up to this node's place
                    res = next((r for n, r in touched if n == nib), None)
                    if res is None:
                        k, v = read(_child_key(cver, depth, items[lo][0], nib))
                        return chash, None, k, v
                    return res[0], None, res[2], res[3]
            if node is not None and children == node:
                return nhash, nver, None, None
            for nib, res in touched:
                if res is not None and res[1] is None:  # a new or moved leaf settles here
                    k, v = res[2], res[3]
                    put(node_key(version, depth + 1, k), encode([LEAF, k, v]), (k, v))
                    children[nib] = (res[0], version, True)
            bitmap = leafmap = 0
            hashes, versions = [], []
            for n in range(16):
                slot = children[n]
                if slot is not None:
                    bitmap |= _BITS[n]
                    if slot[2]:
                        leafmap |= _BITS[n]
                    hashes.append(slot[0])
                    versions.append(slot[1])
            blob = b"".join(hashes)
            put(node_key(version, depth, items[lo][0]),
                encode([INTERNAL, bitmap, leafmap, blob, struct.pack(f">{len(versions)}Q", *versions)]),
                children)
            return h(b"\x01" + bitmap.to_bytes(2, "big") + blob), version, None, None

        if base_version is None:
            root, at = self.empty_root, None
        else:
            root, at = self._root(base_version)
        if items:
            node = None if at is None else read(_NODE_KEY.pack(b"n", at, 0))
            res = build(0, node, at, root, items, 0, len(items))
            if res is None:
                root, at = self.empty_root, None
            else:
                root, at = res[0], res[1]
                if at is None:  # a single leaf as the root
                    put(_NODE_KEY.pack(b"n", version, 0), encode([LEAF, res[2], res[3]]), (res[2], res[3]))
                    at = version
        out.append((root_key(version), encode([root, at])))
        self._remember(built)
        return root, out


def _child_key(version: int, depth: int, key: bytes, nib: int) -> bytes:
    """Where child ``nib`` of the node at the first ``depth`` nibbles of ``key`` is stored."""
    half = depth >> 1
    last = (key[half] & 0xF0) | nib if depth & 1 else nib << 4
    return _NODE_KEY.pack(b"n", version, depth + 1) + key[:half] + bytes((last,))


def _check_version(version: Any) -> None:
    if type(version) is not int or not 0 <= version <= MAX_VERSION:
        raise BadRequest("a state version is an integer from 0", version=repr(version)[:40])
