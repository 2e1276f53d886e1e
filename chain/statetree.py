"""The state commitment: a versioned 16-ary Merkle radix tree (Jellyfish-style).

Which root a key set has is the rule in :mod:`chain.statetree_rule`; this
module builds the same root incrementally, touching only the changed paths.

Nodes are stored by the version that wrote them and never overwritten, so
every old root stays readable and provable. Store layout (bytes → bytes):

* ``b"n" + version (8 BE) + depth (1) + path`` → a node, where ``path`` is the
  first ``depth`` nibbles of any key below it, packed two per byte;
  leaf ``encode([key_hash, value_hash])``, internal ``encode([bitmap, leafmap,
  child hashes, child versions])``, the maps 2 bytes BE (``leafmap`` marks the
  children that are leaves, so a child is one read), the versions 8 bytes BE each;
* ``b"R" + version (8 BE)`` → ``encode([root_hash, root node version | None,
  base version | None])``, so a version without writes still has its root.

Node and root records are this node's own storage, never hashed as bytes nor
sent (a node's hash is computed from its fields), so they are packed with
:func:`~chain.encoding.encode_local`: lists of bytes and integers, whose bytes
are the canonical encoding's anyway.

:meth:`StateTree.apply` (through a :class:`TreeUpdate`) returns these as a
list; the caller persists them atomically with its block. Decoded nodes are
kept in a bounded cache of two generations (recent, and the one before). Nodes
this tree built join the cache only once their version's root record is read
back from the store exactly as built: a proposal may be dropped and another
block at the same height committed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from chain.encoding import decode_trusted, encode_local
from chain.errors import BadRequest, ProofInvalid, StoreCorrupt
from chain.statetree_rule import Hash, nibble

MAX_VERSION = 2**63 - 1
_NODE_KEY = struct.Struct(">cQB")
_ROOT_KEY = struct.Struct(">cQ")
_HIGH = [bytes((b & 0xF0,)) for b in range(256)]
_BITS = tuple(1 << n for n in range(16))
_VERSIONS = [struct.Struct(f">{n}Q") for n in range(17)]


def node_key(version: int, depth: int, key: bytes) -> bytes:
    """Where the node at the first ``depth`` nibbles of ``key``, written at ``version``, is stored."""
    half = depth >> 1
    return _NODE_KEY.pack(b"n", version, depth) + (key[:half] + _HIGH[key[half]] if depth & 1 else key[:half])


def root_key(version: int) -> bytes:
    """Where the root record of ``version`` is stored."""
    return _ROOT_KEY.pack(b"R", version)


@dataclass(frozen=True)
class StateProof:
    """The path from a root down to a key's slot.

    ``levels`` holds, root first, each internal node on the path as
    ``(bitmap, sibling hashes in nibble order)``: every child but the one on
    the path, or all of them when the key's slot there is empty. ``leaf`` is the
    ``(key_hash, value_hash)`` in the key's slot: the key itself (inclusion),
    another key sharing the path (non-inclusion), or None (empty slot or tree).
    """

    levels: tuple[tuple[int, tuple[bytes, ...]], ...]
    leaf: tuple[bytes, bytes] | None

    def to_plain(self) -> list:
        return [[[bitmap, list(sibs)] for bitmap, sibs in self.levels], None if self.leaf is None else list(self.leaf)]

    @classmethod
    def from_plain(cls, plain: Any) -> "StateProof":
        """Rebuild a proof from :meth:`to_plain`'s form; raises :class:`ProofInvalid` if malformed."""
        try:
            raw_levels, leaf = plain
            levels = tuple((bitmap, tuple(sibs)) for bitmap, sibs in raw_levels)
            ok = all(type(b) is int and 0 <= b <= 0xFFFF and type(s) is list and all(type(x) is bytes for x in s)
                     for b, s in raw_levels)
            if leaf is not None:
                ok = ok and type(leaf) is list and len(leaf) == 2 and all(type(x) is bytes for x in leaf)
                leaf = tuple(leaf)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ProofInvalid("malformed state proof")
        return cls(levels, leaf)


def verify_state_proof(h: Hash, root: bytes, key_hash: bytes, value_hash: bytes | None,
                       proof: StateProof) -> None:
    """Check that under ``root``, ``key_hash`` maps to ``value_hash`` (None: is absent).

    Raises :class:`ProofInvalid` unless the proof shows exactly that.
    """
    try:
        _verify(h, root, key_hash, value_hash, proof)
    except (TypeError, ValueError, AttributeError, IndexError):  # a proof built of the wrong types
        raise ProofInvalid("malformed state proof") from None


def _verify(h: Hash, root: bytes, key_hash: bytes, value_hash: bytes | None, proof: StateProof) -> None:
    empty = h(b"")
    width = len(empty)
    if not isinstance(proof, StateProof) or type(key_hash) is not bytes or len(key_hash) != width:
        raise ProofInvalid("not a state proof for a key hash")
    leaf, depth = proof.leaf, len(proof.levels)
    if depth > 2 * width:
        raise ProofInvalid("state proof is deeper than a key", depth=depth)
    if value_hash is not None:
        if leaf is None or leaf[0] != key_hash or leaf[1] != value_hash:
            raise ProofInvalid("state proof does not show this key with this value")
    elif leaf is not None and leaf[0] == key_hash:
        raise ProofInvalid("state proof shows the key present")
    current = None
    if leaf is not None:
        half = depth >> 1
        if len(leaf[0]) != width or len(leaf[1]) != width or leaf[0][:half] != key_hash[:half] \
                or depth & 1 and leaf[0][half] >> 4 != key_hash[half] >> 4:
            raise ProofInvalid("state proof leaf is not on the key's path")
        current = h(b"\x00" + leaf[0] + leaf[1])
    for d in range(depth - 1, -1, -1):
        bitmap, sibs = proof.levels[d]
        bit = _BITS[nibble(key_hash, d)]
        if type(bitmap) is not int or not 0 <= bitmap < 0x10000 or bool(bitmap & bit) != (current is not None) \
                or len(sibs) != bitmap.bit_count() - (current is not None) \
                or any(type(s) is not bytes or len(s) != width for s in sibs):
            raise ProofInvalid("state proof level does not match its node", depth=d)
        if current is not None:
            pos = (bitmap & (bit - 1)).bit_count()
            sibs = (*sibs[:pos], current, *sibs[pos:])
        current = h(b"\x01" + bitmap.to_bytes(2, "big") + b"".join(sibs))
    if (empty if current is None else current) != root:
        raise ProofInvalid("state proof does not lead to the root")


class StateTree:
    """Versioned state tree over a node store read through ``get_node``.

    Decoded nodes: a leaf is ``(key_hash, value_hash)``; an internal node is
    ``(bitmap, leafmap, child hashes, child versions)``, the hashes one bytes
    string and the versions a tuple, both in nibble order.
    """

    def __init__(self, h: Hash, get_node: Callable[[bytes], bytes | None], *, cache_size: int = 65536) -> None:
        self._h = h
        self._get = get_node
        self.empty_root = h(b"")
        self._width = len(self.empty_root)
        # The cache: recent nodes, then the generation before. chain.cache.BoundedMap's
        # scheme, kept inline: its method calls on this hot path made a chained
        # apply + commit about 6% slower (instructions counted under callgrind).
        self._young: dict[bytes, tuple] = {}
        self._old: dict[bytes, tuple] = {}
        self._generation = max(1, cache_size // 2)
        self._pending: dict[int, dict[bytes, dict]] = {}  # version -> root record -> nodes built

    # --- reads -----------------------------------------------------------------

    def _root(self, version: int) -> tuple[bytes, int | None]:
        """The root hash of ``version`` and the version its root node was written at.

        Finding a root record this tree built confirms that build was persisted
        (the caller stores a version's nodes atomically, and they are a function
        of the base version, the root and the version), so its nodes join the cache.
        """
        if type(version) is not int or not 0 <= version <= MAX_VERSION:
            raise BadRequest("a state version is an integer from 0", version=repr(version)[:40])
        raw = self._get(root_key(version))
        if raw is None:
            raise StoreCorrupt("no state root recorded for this version", version=version)
        built = self._pending.pop(version, None)
        if built and raw in built:
            self._remember(built[raw])
        try:
            root, at, _ = decode_trusted(raw)
            if type(root) is bytes and (at is None or type(at) is int):
                return root, at
        except Exception:
            pass
        raise StoreCorrupt("state root record is malformed", version=version)

    def _read(self, key: bytes) -> tuple:
        """The decoded node stored at ``key``."""
        node = self._young.get(key) or self._old.get(key)
        if node is None:
            raw = self._get(key)
            if raw is None:
                raise StoreCorrupt("state tree node is missing", key=key.hex())
            node = self._decode(raw, key)
        young = self._young
        young[key] = node
        if len(young) >= self._generation:
            self._old, self._young = young, {}
        return node

    def _remember(self, nodes: dict[bytes, tuple]) -> None:
        """Cache stored nodes; a full generation becomes the old one, dropping the one
        before, so the cache holds between half and all of ``cache_size`` nodes."""
        young = self._young
        young.update(nodes)
        if len(young) >= self._generation:
            self._old, self._young = young, {}

    def _decode(self, raw: bytes, key: bytes) -> tuple:
        w = self._width
        try:
            value = decode_trusted(raw)
            if len(value) == 2 and len(value[0]) == len(value[1]) == w:
                return value[0], value[1]
            bitmap, leafmap = int.from_bytes(value[0], "big"), int.from_bytes(value[1], "big")
            count = bitmap.bit_count()
            if 0 < bitmap < 0x10000 and not leafmap & ~bitmap and len(value[2]) == w * count:
                return bitmap, leafmap, value[2], _VERSIONS[count].unpack(value[3])
        except Exception:
            pass
        raise StoreCorrupt("state tree node is malformed", key=key.hex())

    def root_hash(self, version: int) -> bytes:
        """The state root after ``version`` (one read)."""
        return self._root(version)[0]

    def get(self, version: int, key_hash: bytes) -> bytes | None:
        """The value hash of ``key_hash`` at ``version``, or None when absent."""
        leaf = self._walk(version, key_hash, None)
        return leaf[1] if leaf is not None and leaf[0] == key_hash else None

    def prove(self, version: int, key_hash: bytes) -> StateProof:
        """A proof of ``key_hash``'s value (or absence) under the root of ``version``."""
        levels: list[tuple[int, tuple[bytes, ...]]] = []
        leaf = self._walk(version, key_hash, levels)
        return StateProof(tuple(levels), leaf)

    def _walk(self, version: int, key_hash: bytes, levels: list | None) -> tuple[bytes, bytes] | None:
        """The leaf in ``key_hash``'s slot at ``version`` (None: empty), noting the
        internal nodes on the way in ``levels`` when given."""
        w = self._width
        if type(key_hash) is not bytes or len(key_hash) != w:
            raise BadRequest(f"a state key hash is {w} bytes", key=repr(key_hash)[:80])
        _, at = self._root(version)
        if at is None:
            return None
        node, depth = self._read(node_key(at, 0, key_hash)), 0
        while len(node) == 4:
            bitmap, _, hashes, versions = node
            bit = _BITS[nibble(key_hash, depth)]
            idx = (bitmap & (bit - 1)).bit_count()
            if levels is not None:
                skip = idx * w if bitmap & bit else -1
                levels.append((bitmap, tuple(hashes[i:i + w] for i in range(0, len(hashes), w) if i != skip)))
            if not bitmap & bit:
                return None
            depth += 1
            node = self._read(node_key(versions[idx], depth, key_hash))
        return node

    # --- writes ----------------------------------------------------------------

    def apply(self, base_version: int | None, version: int,
              updates: Sequence[tuple[bytes, bytes | None]]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """Apply ``updates`` (``(key_hash, value_hash | None)``, None deletes; the last
        write of a key wins) on top of the tree at ``base_version`` (None: empty).

        Returns the new root hash and the nodes to persist as ``(key, bytes)``,
        the root record of ``version`` last. Nothing is persisted here. Only
        changed nodes are written: rewriting a value with itself writes none.
        """
        if type(version) is not int or not 0 <= version <= MAX_VERSION:
            raise BadRequest("a state version is an integer from 0", version=repr(version)[:40])
        if base_version is not None and not (type(base_version) is int and 0 <= base_version < version):
            raise BadRequest("the base version must be below the new version", base=base_version, version=version)
        w = self._width
        for k, v in updates:
            if type(k) is not bytes or len(k) != w or not (v is None or (type(v) is bytes and len(v) == w)):
                raise BadRequest(f"state tree updates are pairs of {w}-byte hashes (value may be None)")
        items = sorted(dict(updates).items())
        root, at = (self.empty_root, None) if base_version is None else self._root(base_version)
        update = TreeUpdate(self._h, w, self._read, self._young.get, version)
        if items:
            top = update.tree(root, at, items)
            root, at = (self.empty_root, None) if top is None else top[:2]
        record = encode_local([root, at, base_version])
        update.out.append((root_key(version), record))
        self._hold(version, record, update.built)
        return root, update.out

    def _hold(self, version: int, record: bytes, built: dict[bytes, tuple]) -> None:
        """Keep the nodes built for ``version`` until its root record ``record`` is
        read back (see :meth:`_root`); only a few unconfirmed builds are kept."""
        pending = self._pending.setdefault(version, {})
        pending[record] = built
        while len(pending) > 4 or len(self._pending) > 8:
            victim = pending if len(pending) > 4 else self._pending
            victim.pop(next(iter(victim)), None)


Subtree = tuple[bytes, int | None, bytes | None, bytes | None]
"""A non-empty subtree as an update leaves it: ``(hash, version, key, value)``.

``version`` is where its top node is stored; None for a new or moved leaf,
which is written only where it settles (below the internal node that ends up
holding it, or as the root). ``key`` and ``value`` are a leaf's hashes, None
for an internal node. A plain tuple, not a NamedTuple: one is built per touched
node, and a NamedTuple's constructor made :meth:`StateTree.apply` about 8%
slower (instructions counted under callgrind).
"""


_NO_NODE = (0, 0, b"", ())  # an internal node without children, to build a new one from


class TreeUpdate:
    """One :meth:`StateTree.apply`: the nodes written at ``version``.

    It walks the sorted updates down the base tree, reading nodes through
    ``read`` (``cached``: a cache lookup tried first, to skip a call), and
    appends each changed node to ``out`` as ``(store key, bytes)`` and to
    ``built`` decoded, for the cache. Its methods return the subtree left by
    the updates they are given: None when empty, else a :class:`Subtree`.
    Updates are ``(key_hash, value_hash | None)`` sorted by key, one per key,
    passed as a list and the bounds ``lo:hi`` of the ones for this subtree.
    """

    __slots__ = ("_h", "_width", "_read", "_cached", "_version", "out", "built")

    def __init__(self, h: Hash, width: int, read: Callable[[bytes], tuple],
                 cached: Callable[[bytes], tuple | None], version: int) -> None:
        self._h = h
        self._width = width
        self._read = read
        self._cached = cached
        self._version = version
        self.out: list[tuple[bytes, bytes]] = []
        self.built: dict[bytes, tuple] = {}

    def tree(self, root: bytes, at: int | None, items: list) -> Subtree | None:
        """The whole tree after ``items`` on the one whose root is ``root``, its
        root node stored at ``at`` (None: the empty tree)."""
        node = None if at is None else self._read(node_key(at, 0, b""))
        if node is not None and len(node) == 4:
            top = self.internal(0, b"", node, at, root, items, 0, len(items))
        else:
            top = self.leaf(0, b"", node, at, root, items, 0, len(items))
        if top is not None and top[1] is None:  # a new or moved leaf settles as the root
            _, _, k, v = top
            self._put(node_key(self._version, 0, b""), encode_local([k, v]), (k, v))
            return top[0], self._version, k, v
        return top

    def leaf(self, depth: int, path: bytes, node: tuple | None, node_version: int | None,
             node_hash: bytes | None, items: list, lo: int, hi: int) -> Subtree | None:
        """The subtree at ``depth`` (packed ``path``) after ``items[lo:hi]`` on an empty
        slot (``node`` None) or the leaf ``node`` (stored at ``node_version`` with hash
        ``node_hash``). A changed leaf comes back unwritten; two keys or more make
        a new internal node here."""
        if hi - lo == 1:  # the common case: one write meets one leaf or none
            k, v = items[lo]
            if node is not None and k != node[0]:
                if v is None:
                    return node_hash, node_version, node[0], node[1]
                pair = [node, (k, v)] if node[0] < k else [(k, v), node]
                return self.internal(depth, path, None, None, None, pair, 0, 2)
            if v is None:
                return None
            if node is not None and v == node[1]:
                return node_hash, node_version, k, v
            return self._h(b"\x00" + k + v), None, k, v
        merged = {} if node is None else {node[0]: node[1]}
        merged.update(items[lo:hi])
        entries = sorted(kv for kv in merged.items() if kv[1] is not None)
        if len(entries) > 1:
            return self.internal(depth, path, None, None, None, entries, 0, len(entries))
        if not entries:
            return None
        k, v = entries[0]
        return (node_hash, node_version, k, v) if entries[0] == node else (self._h(b"\x00" + k + v), None, k, v)

    def internal(self, depth: int, path: bytes, node: tuple | None, node_version: int | None,
                 node_hash: bytes | None, items: list, lo: int, hi: int) -> Subtree | None:
        """The subtree at ``depth`` (packed ``path``) after ``items[lo:hi]`` on the
        internal ``node`` (stored at ``node_version`` with hash ``node_hash``; None:
        a new node of the entries ``items[lo:hi]``). A changed node is written here;
        one left with a single leaf gives way to that leaf."""
        bitmap, leafmap, hashes, versions = node or _NO_NODE
        w = self._width
        shift, byte, below = (0 if depth & 1 else 4), depth >> 1, depth + 1
        half, odd = below >> 1, below & 1
        cached, read = self._cached, self._read
        new_bitmap, new_leafmap, new_hashes, new_versions = bitmap, leafmap, [], []
        settle, kept, pos, changed = [], None, 0, node is None
        i = lo
        while i < hi:  # one group of updates per touched child, in nibble order
            key = items[i][0]
            nib = key[byte] >> shift & 15
            j = i + 1
            while j < hi and items[j][0][byte] >> shift & 15 == nib:
                j += 1
            bit = _BITS[nib]
            idx = (bitmap & (bit - 1)).bit_count()
            path_below = key[:half] + _HIGH[key[half]] if odd else key[:half]
            if idx > pos:  # untouched children before this one
                new_hashes.append(hashes[pos * w:idx * w])
                new_versions.extend(versions[pos:idx])
            if bitmap & bit:
                pos = idx + 1
                old_hash, old_version = hashes[idx * w:pos * w], versions[idx]
                child_key = _NODE_KEY.pack(b"n", old_version, below) + path_below
                child = cached(child_key) or read(child_key)
                if len(child) == 4:
                    res = self.internal(below, path_below, child, old_version, old_hash, items, i, j)
                else:
                    res = self.leaf(below, path_below, child, old_version, old_hash, items, i, j)
            else:
                pos, old_hash, old_version = idx, None, None
                res = self.leaf(below, path_below, None, None, None, items, i, j)
            if res is None:
                new_bitmap &= ~bit
                new_leafmap &= ~bit
                changed = changed or old_hash is not None
            else:
                kept = res
                child_hash, child_version, k, v = res
                new_bitmap |= bit
                if k is None:
                    new_leafmap &= ~bit
                else:
                    new_leafmap |= bit
                    if child_version is None:  # a new or moved leaf settles below this node
                        settle.append((path_below, k, v))
                        child_version = self._version
                new_hashes.append(child_hash)
                new_versions.append(child_version)
                changed = changed or child_hash != old_hash or child_version != old_version
            i = j
        if not changed:
            return node_hash, node_version, None, None
        if not new_bitmap:
            return None
        if new_bitmap == new_leafmap and not new_bitmap & (new_bitmap - 1):  # one leaf left: it moves up
            if kept is not None:
                return kept[0], None, kept[2], kept[3]
            return self._lift(depth, path, bitmap, hashes, versions, new_bitmap.bit_length() - 1)
        if pos < len(versions):
            new_hashes.append(hashes[pos * w:])
            new_versions.extend(versions[pos:])
        return self._write(depth, path, new_bitmap, new_leafmap, b"".join(new_hashes), new_versions, settle)

    def _lift(self, depth: int, path: bytes, bitmap: int, hashes: bytes, versions: tuple, nib: int) -> Subtree:
        """The untouched leaf at nibble ``nib`` of the internal node at ``depth``
        (packed ``path``, children ``bitmap``, ``hashes``, ``versions``), read to
        move it up when every other child is gone."""
        idx = (bitmap & (_BITS[nib] - 1)).bit_count()
        w = self._width
        last = bytes((path[-1] | nib,)) if depth & 1 else bytes((nib << 4,))
        k, v = self._read(_NODE_KEY.pack(b"n", versions[idx], depth + 1) + path[:depth >> 1] + last)
        return hashes[idx * w:(idx + 1) * w], None, k, v

    def _write(self, depth: int, path: bytes, bitmap: int, leafmap: int, hashes: bytes, versions: list,
               settle: list[tuple[bytes, bytes, bytes]]) -> Subtree:
        """Write the internal node at ``depth`` (packed ``path``) with these children,
        and the leaves that ``settle`` below it as ``(path below, key, value)``."""
        version = self._version
        below_key = _NODE_KEY.pack(b"n", version, depth + 1)
        for path_below, k, v in settle:
            self._put(below_key + path_below, encode_local([k, v]), (k, v))
        bitmap_bytes = bitmap.to_bytes(2, "big")
        raw = encode_local([bitmap_bytes, leafmap.to_bytes(2, "big"), hashes, _VERSIONS[len(versions)].pack(*versions)])
        self._put(_NODE_KEY.pack(b"n", version, depth) + path, raw, (bitmap, leafmap, hashes, tuple(versions)))
        return self._h(b"\x01" + bitmap_bytes + hashes), version, None, None

    def _put(self, key: bytes, raw: bytes, node: tuple) -> None:
        """Write the node ``raw`` (decoded: ``node``) at ``key``."""
        self.out.append((key, raw))
        self.built[key] = node
