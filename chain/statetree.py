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
_VERSIONS = [struct.Struct(f">{n}Q") for n in range(17)]

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
        self._cache: OrderedDict[bytes, tuple] = OrderedDict()
        self._cache_size = max(1, cache_size)
        self._pending: dict[int, dict[bytes, list]] = {}  # version -> root record -> built nodes

    # --- reads -----------------------------------------------------------------

    def _root(self, version: int) -> tuple[bytes, int | None]:
        """The root hash of ``version`` and the version its root node was written at.

        Seeing a root record this tree built confirms that build was persisted
        (the caller stores a version's nodes atomically, and a version's nodes
        are a function of its base, its root and itself), so its nodes join the cache.
        """
        _check_version(version)
        raw = self._get(root_key(version))
        if raw is None:
            raise StoreCorrupt("no state root recorded for this version", version=version)
        built = self._pending.pop(version, None)
        if built and raw in built:
            self._remember(built[raw])
        try:
            root, at, _ = decode_trusted(raw)
            if type(root) is not bytes or not (at is None or type(at) is int):
                raise ValueError
        except Exception:
            raise StoreCorrupt("state root record is malformed", version=version) from None
        return root, at

    def _read(self, key: bytes) -> tuple:
        """The decoded node stored at ``key``."""
        node = self._cache.get(key)
        if node is not None:
            try:
                self._cache.move_to_end(key)
            except KeyError:  # evicted by another thread meanwhile
                pass
            return node
        raw = self._get(key)
        if raw is None:
            raise StoreCorrupt("state tree node is missing", key=key.hex())
        node = self._decode(raw, key)
        self._remember([(key, node)])
        return node

    def _remember(self, entries: list[tuple[bytes, tuple]]) -> None:
        """Cache stored ``(key, node)`` entries, evicting the least recently used."""
        cache = self._cache
        try:
            for key, node in entries:
                cache[key] = node
                cache.move_to_end(key)
            while len(cache) > self._cache_size:
                cache.popitem(last=False)
        except KeyError:  # raced with another thread; the cache is only a cache
            pass

    def _decode(self, raw: bytes, key: bytes) -> tuple:
        w = self._width
        try:
            value = decode_trusted(raw)
            if value[0] == LEAF and len(value) == 3 and len(value[1]) == len(value[2]) == w:
                return value[1], value[2]
            tag, bitmap, leafmap, hashes, versions = value
            count = bitmap.bit_count()
            if tag == INTERNAL and 0 < bitmap < 0x10000 and not leafmap & ~bitmap and len(hashes) == w * count:
                return bitmap, leafmap, hashes, _VERSIONS[count].unpack(versions)
        except Exception:
            pass
        raise StoreCorrupt("state tree node is malformed", key=key.hex())

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
        w = self._width
        node, depth = self._read(node_key(at, 0, key_hash)), 0
        while len(node) == 4:
            bitmap, _, hashes, versions = node
            bit = _BITS[_nibble(key_hash, depth)]
            idx = (bitmap & (bit - 1)).bit_count()
            if levels is not None:
                skip = idx * w if bitmap & bit else -1
                levels.append((bitmap, tuple(hashes[i:i + w] for i in range(0, len(hashes), w) if i != skip)))
            if not bitmap & bit:
                return None
            depth += 1
            node = self._read(node_key(versions[idx], depth, key_hash))
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
        Only changed nodes are written: rewriting a value with itself adds none.
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

        def leaf(nhash: bytes | None, nver: int | None, node: tuple | None, items: list, lo: int, hi: int):
            """The result of ``items[lo:hi]`` on an empty slot or a leaf, or None to build an
            internal node from the entries returned instead."""
            if hi - lo == 1:  # the common case: one write meets one leaf or none
                k, v = items[lo]
                if node is None:
                    return None if v is None else (h(b"\x00" + k + v), None, k, v)
                k0, v0 = node
                if k == k0:
                    if v is None:
                        return None
                    return (nhash, nver, k, v) if v == v0 else (h(b"\x00" + k + v), None, k, v)
                if v is None:
                    return nhash, nver, k0, v0
                return [node, (k, v)] if k0 < k else [(k, v), node]
            merged = {} if node is None else {node[0]: node[1]}
            merged.update(items[lo:hi])
            entries = sorted(kv for kv in merged.items() if kv[1] is not None)
            if len(entries) > 1:
                return entries
            if not entries:
                return None
            k, v = entries[0]
            return (nhash, nver, k, v) if entries[0] == node else (h(b"\x00" + k + v), None, k, v)

        def build(depth: int, node: tuple | None, nver: int | None, nhash: bytes | None,
                  items: list, lo: int, hi: int) -> tuple | None:
            """The subtree at ``depth`` after ``items[lo:hi]`` on ``node`` (stored at
            ``nver`` with hash ``nhash``): None, or ``(hash, version, key, value)``
            where key/value are None for an internal node (already written) and a
            leaf's version is None until it is written where it settles."""
            if node is None or len(node) == 2:
                res = leaf(nhash, nver, node, items, lo, hi)
                if type(res) is not list:
                    return res
                items, lo, hi, node = res, 0, len(res), None  # a new internal node
                bitmap = leafmap = 0
                hashes, versions = b"", ()
            else:
                bitmap, leafmap, hashes, versions = node
            shift, byte, below = (0 if depth & 1 else 4), depth >> 1, depth + 1
            new_bitmap, new_leafmap, new_hashes, new_versions = bitmap, leafmap, [], []
            settle, kept, pos, changed = [], None, 0, node is None
            i = lo
            while i < hi:
                nib = items[i][0][byte] >> shift & 15
                j = i + 1
                while j < hi and items[j][0][byte] >> shift & 15 == nib:
                    j += 1
                bit = _BITS[nib]
                idx = (bitmap & (bit - 1)).bit_count()
                if idx > pos:  # untouched children before this one
                    new_hashes.append(hashes[pos * w:idx * w])
                    new_versions.extend(versions[pos:idx])
                if bitmap & bit:
                    pos = idx + 1
                    old_hash, old_version = hashes[idx * w:pos * w], versions[idx]
                    res = build(below, read(node_key(old_version, below, items[i][0])),
                                old_version, old_hash, items, i, j)
                else:
                    pos, old_hash, old_version = idx, None, None
                    res = build(below, None, None, None, items, i, j)
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
                            settle.append((k, v))
                            child_version = version
                    new_hashes.append(child_hash)
                    new_versions.append(child_version)
                    changed = changed or child_hash != old_hash or child_version != old_version
                i = j
            if not changed:
                return nhash, nver, None, None
            if not new_bitmap:
                return None
            if new_bitmap == new_leafmap and not new_bitmap & (new_bitmap - 1):  # one leaf left: it moves up
                if kept is not None:
                    return kept[0], None, kept[2], kept[3]
                nib = new_bitmap.bit_length() - 1  # an untouched leaf: read it to move it
                idx = (bitmap & (_BITS[nib] - 1)).bit_count()
                k, v = read(_child_key(versions[idx], depth, items[lo][0], nib))
                return hashes[idx * w:(idx + 1) * w], None, k, v
            if pos < len(versions):
                new_hashes.append(hashes[pos * w:])
                new_versions.extend(versions[pos:])
            for k, v in settle:
                put(node_key(version, below, k), encode([LEAF, k, v]), (k, v))
            blob = b"".join(new_hashes)
            put(node_key(version, depth, items[lo][0]),
                encode([INTERNAL, new_bitmap, new_leafmap, blob, _VERSIONS[len(new_versions)].pack(*new_versions)]),
                (new_bitmap, new_leafmap, blob, tuple(new_versions)))
            return h(b"\x01" + new_bitmap.to_bytes(2, "big") + blob), version, None, None

        def put(key: bytes, raw: bytes, node: tuple) -> None:
            out.append((key, raw))
            built.append((key, node))

        if base_version is None:
            root, at = self.empty_root, None
        else:
            root, at = self._root(base_version)
        if items:
            node = None if at is None else read(node_key(at, 0, b""))
            res = build(0, node, at, root, items, 0, len(items))
            if res is None:
                root, at = self.empty_root, None
            else:
                root, at = res[0], res[1]
                if at is None:  # a single leaf as the root
                    put(node_key(version, 0, b""), encode([LEAF, res[2], res[3]]), (res[2], res[3]))
                    at = version
        record = encode([root, at, base_version])
        out.append((root_key(version), record))
        pending = self._pending.setdefault(version, {})
        pending[record] = built
        while len(pending) > 4 or len(self._pending) > 8:  # keep a few unconfirmed builds
            victim = pending if len(pending) > 4 else self._pending
            victim.pop(next(iter(victim)), None)
        return root, out


def _child_key(version: int, depth: int, key: bytes, nib: int) -> bytes:
    """Where child ``nib`` of the node at the first ``depth`` nibbles of ``key`` is stored."""
    half = depth >> 1
    last = (key[half] & 0xF0) | nib if depth & 1 else nib << 4
    return _NODE_KEY.pack(b"n", version, depth + 1) + key[:half] + bytes((last,))


def _check_version(version: Any) -> None:
    if type(version) is not int or not 0 <= version <= MAX_VERSION:
        raise BadRequest("a state version is an integer from 0", version=repr(version)[:40])
