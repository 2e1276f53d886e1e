"""The state tree's rule: which root a key set has, stated plainly.

The tree maps key hashes to value hashes, both as wide as ``h``'s output. Its
shape is a function of the key set alone, so the root commits to the state and
not to its history:

* an empty tree has root ``h(b"")``;
* a key set of one is a *leaf*, hash ``h(0x00 + key_hash + value_hash)``;
* a larger set at depth ``d`` is an *internal* node whose children are the
  subsets sharing nibble ``d`` (high nibble first) of their key hashes; its hash
  is ``h(0x01 + bitmap + child hashes in nibble order)``, where the bitmap is
  2 bytes big-endian with bit ``1 << n`` set for each present nibble ``n``.

So a leaf sits at the shortest nibble prefix that tells it apart from every
other key, and deleting a key collapses any internal node left with one leaf.

:func:`reference_root` is this definition and nothing more: it rebuilds the
whole tree on every call, so it serves to check
:class:`~chain.statetree.StateTree`, whose updates touch only the changed paths.
"""

from __future__ import annotations

from typing import Callable, Mapping

Hash = Callable[[bytes], bytes]


def nibble(key: bytes, depth: int) -> int:
    """Nibble ``depth`` of ``key``, the high nibble of each byte first."""
    b = key[depth >> 1]
    return b & 15 if depth & 1 else b >> 4


def reference_root(h: Hash, items: Mapping[bytes, bytes]) -> bytes:
    """The root of the tree holding ``items`` (key hash → value hash), computed from scratch.

    Raises ValueError unless every key and value is as wide as ``h``'s output.
    """
    width = len(h(b""))
    if any(len(k) != width or len(v) != width for k, v in items.items()):
        raise ValueError(f"state tree keys and values are {width}-byte hashes")
    return _subtree_hash(h, sorted(items.items()), 0) if items else h(b"")


def _subtree_hash(h: Hash, entries: list[tuple[bytes, bytes]], depth: int) -> bytes:
    """The hash of the subtree of ``entries`` (sorted, non-empty, sharing their first ``depth`` nibbles)."""
    if len(entries) == 1:
        key, value = entries[0]
        return h(b"\x00" + key + value)
    groups: dict[int, list[tuple[bytes, bytes]]] = {}
    for entry in entries:
        groups.setdefault(nibble(entry[0], depth), []).append(entry)
    bitmap = sum(1 << n for n in groups)
    children = b"".join(_subtree_hash(h, groups[n], depth + 1) for n in sorted(groups))
    return h(b"\x01" + bitmap.to_bytes(2, "big") + children)
