"""Versioned state: every version of every record, readable as of any height.

State keys are strings such as ``identity/member/<uscc>``; values are anything
the canonical encoding carries, or ``None`` for "deleted". A block's writes
make one new *version record* per written key::

    [height, value, prev_version_hash]

where ``prev_version_hash`` is the profile hash of the key's previous version
record (32 zero bytes for the first), so each record's history is a hash chain.
The state tree commits to the hash of each key's current version record.

Store layout (prefixes of :mod:`chain.ledger`'s store):

* ``c`` + key → the current version record (one read for current values);
* ``v`` + key + ``\\x00`` + height (8 bytes BE) + sequence (4 bytes BE) → every
  earlier version record: the current one moves here (sequence :data:`FINAL`) in
  the batch that replaces it, so each is stored once; a key written by several
  transactions of one block keeps each of those values too, as versions of that
  height with sequences 0, 1, …, chained by hash before the block's final one
  (the state tree commits to the final one, which links to them);
* ``x`` + key → the value of a derived-index key (``idx/…``): no versions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from chain.crypto import CryptoProfile
from chain.encoding import decode_trusted, encode, encode_local, join_array
from chain.errors import BadRequest, NotFound
from chain.store import Store

CURRENT = b"c"
VERSIONS = b"v"
INDEX = b"x"
INDEX_PREFIX = "idx/"
"""Keys of derived indexes: lookups that are a pure function of the committed
records (who provides a data item, a department's entries). Contracts read and
write them like any key, but they keep no history and are not committed to the
state root — an auditor re-derives them by re-execution, and anything a
contract concludes from them lands in committed records and results."""
ZERO_HASH = bytes(32)
_HEIGHT_SEQ = struct.Struct(">QI")
FINAL = 0xFFFFFFFF
"""The sequence of a height's last version of a key: after every version written before it in its block."""


def check_key(key: str) -> bytes:
    """The bytes of a state key; keys are non-empty text without NUL, at most 512 characters.

    :meth:`StateReader.get` and :func:`version_writes` inline the test (they see
    a score of keys per transaction) and call this to raise."""
    if type(key) is str and 0 < len(key) <= 512 and "\x00" not in key:
        return key.encode()
    raise BadRequest("a state key is non-empty text without NUL, at most 512 characters", key=repr(key)[:80])


@dataclass(frozen=True)
class Version:
    """One version of a record: its height, value and link to the one before."""

    key: str
    height: int
    value: Any
    prev_hash: bytes
    raw: bytes

    def to_public(self, profile: CryptoProfile) -> dict:
        return {"key": self.key, "height": self.height, "value": self.value,
                "deleted": self.value is None, "prev_hash": self.prev_hash.hex(),
                "hash": profile.hash(self.raw).hex()}


def version_key(key_bytes: bytes, height: int, seq: int = FINAL) -> bytes:
    """Where an earlier version of a key lies: by height, then by its place in that height's block."""
    return VERSIONS + key_bytes + b"\x00" + _HEIGHT_SEQ.pack(height, seq)


class StateReader:
    """Reads of committed state from a store: current, as of a height, history."""

    def __init__(self, store: Store, profile: CryptoProfile) -> None:
        self._store = store
        self._profile = profile

    def record(self, key: str) -> bytes | None:
        """The raw current version record of ``key``, or None (always for index keys)."""
        kb = check_key(key)
        return None if key.startswith(INDEX_PREFIX) else self._store.get(CURRENT + kb)

    def raw_current(self, key_bytes: bytes) -> bytes | None:
        """The raw current version record of a key already checked by :func:`check_key`."""
        return self._store.get(CURRENT + key_bytes)

    def get(self, key: str) -> Any:
        """The current value of ``key`` (None when absent or deleted).

        Contracts read through here a score of times per transaction, so the
        key check of :func:`check_key` is inlined.
        """
        if type(key) is not str or not 0 < len(key) <= 512 or "\x00" in key:
            check_key(key)  # raises, saying what is wrong
        if key.startswith(INDEX_PREFIX):
            raw = self._store.get(INDEX + key.encode())
            return None if raw is None else decode_trusted(raw)
        raw = self._store.get(CURRENT + key.encode())
        return None if raw is None else decode_trusted(raw)[1]

    def version(self, key: str, height: int | None = None) -> Version | None:
        """The version of ``key`` in force at ``height`` (the latest if None)."""
        kb = _versioned(key)
        raw = self._store.get(CURRENT + kb)
        if raw is None:
            return None
        current = _version(key, raw)
        if height is None or current.height <= height:
            return current
        # earlier versions are in v; read after c, so a block appended meanwhile
        # (moving this c into v) adds nothing below current.height
        raw = next((v for _, v in self._store.items(
            VERSIONS + kb + b"\x00", stop=version_key(kb, height + 1, 0), reverse=True)), None)
        return None if raw is None else _version(key, raw)

    def history(self, key: str, *, start: int = 0, limit: int = 100) -> list[Version]:
        """Versions of ``key`` from height ``start`` on, oldest first."""
        kb = _versioned(key)
        raw = self._store.get(CURRENT + kb)
        if raw is None:
            return []
        current = _version(key, raw)  # read first: the earlier versions are those below its height
        out = []
        for _, raw in self._store.items(VERSIONS + kb + b"\x00", start=version_key(kb, start, 0),
                                        stop=version_key(kb, current.height, FINAL)):
            out.append(_version(key, raw))
            if len(out) >= limit:
                return out
        if current.height >= start:
            out.append(current)
        return out

    def version_hash(self, version: Version) -> bytes:
        """The hash of a version record: what the next version's ``prev_hash`` names."""
        return self._profile.hash(version.raw)

    def versions(self, key: str, *, skip: int = 0, limit: int = 100) -> list[Version]:
        """Versions of ``key`` oldest first, after the first ``skip``: a record whose every change is
        numbered from 1 (a catalog entry, a duty item) lists versions ``skip + 1`` onwards."""
        kb = _versioned(key)
        raw = self._store.get(CURRENT + kb)
        if raw is None:
            return []
        current = _version(key, raw)  # read first: the earlier versions are those below its height
        out: list[Version] = []
        seen = 0
        for _, raw in self._store.items(VERSIONS + kb + b"\x00", stop=version_key(kb, current.height, FINAL)):
            seen += 1
            if seen > skip:
                out.append(_version(key, raw))
                if len(out) >= limit:
                    return out
        if seen >= skip:
            out.append(current)
        return out

    def keys(self, prefix: str, *, after: str = "", limit: int = 100) -> Iterator[tuple[str, Any]]:
        """Current (not deleted) records whose key starts with ``prefix``, in key order."""
        index = prefix.startswith(INDEX_PREFIX)
        space = INDEX if index else CURRENT
        start = space + (after.encode() + b"\x00" if after else prefix.encode())
        count = 0
        for k, raw in self._store.items(space + prefix.encode(), start=start):
            value = decode_trusted(raw) if index else decode_trusted(raw)[1]
            if value is None:
                continue
            yield k[1:].decode(), value
            count += 1
            if count >= limit:
                return


def _versioned(key: str) -> bytes:
    """The bytes of ``key``; a derived-index key has no versioned record (RECORD_NOT_FOUND)."""
    kb = check_key(key)
    if key.startswith(INDEX_PREFIX):
        raise NotFound(f"{INDEX_PREFIX} keys are derived indexes: they have a current value only, no versions",
                       code="RECORD_NOT_FOUND", key=key[:80])
    return kb


def _version(key: str, raw: bytes) -> Version:
    height, value, prev = decode_trusted(raw)
    return Version(key, height, value, prev, raw)


def version_writes(reader: StateReader, profile: CryptoProfile, height: int,
                   writes: Mapping[str, Any], earlier: Mapping[str, Sequence[Any]] | None = None
                   ) -> tuple[list[tuple[bytes, bytes | None]], list[tuple[bytes, bytes | None]]]:
    """Turn one block's writes into store puts and state-tree updates.

    ``writes`` holds each key's final value in the block; ``earlier`` the
    values that transactions of the block wrote to a key before its final one,
    in order, each kept as a version of this height (sequence 0, 1, …) between
    the key's previous version and its final one, so that every change is a
    version of its own.

    Returns ``(puts, tree_updates)``: the ``c``/``v`` records and ``x`` index
    values to store (None deletes an index key), and ``(key_hash, record_hash |
    None)`` pairs sorted by key hash for the tree.
    """
    earlier = earlier or {}
    h = profile.hash
    current = reader.raw_current
    puts: list[tuple[bytes, bytes | None]] = []
    updates: list[tuple[bytes, bytes | None]] = []
    encoded_height = encode(height)
    pack_local = encode_local
    for key, value in writes.items():  # the store write is one batch, so put order does not matter
        if type(key) is not str or not 0 < len(key) <= 512 or "\x00" in key:  # check_key, inlined
            check_key(key)
        kb = key.encode()
        if key.startswith(INDEX_PREFIX):  # a catalog entry writes a score of these, often one value
            if value is None:
                puts.append((INDEX + kb, None))
                continue
            puts.append((INDEX + kb, pack_local(value)))  # local: index values are never hashed
            continue
        prev_raw = current(kb)
        link = prev_raw
        if key in earlier:  # values written before the final one in this block: each a version of its own
            for seq, old in enumerate(earlier[key]):
                # a hash is canonically encoded by plain packing (bytes have one form): no float check needed
                link_raw = join_array([encoded_height, encode(old), encode_local(ZERO_HASH if link is None else h(link))])
                puts.append((version_key(kb, height, seq), link_raw))
                link = link_raw
        raw = join_array([encoded_height, encode(value), encode_local(ZERO_HASH if link is None else h(link))])
        puts.append((CURRENT + kb, raw))
        if prev_raw is not None:  # the replaced version moves to v
            puts.append((version_key(kb, decode_trusted(prev_raw)[0], FINAL), prev_raw))
        updates.append((h(kb), None if value is None else h(raw)))
    updates.sort(key=lambda u: u[0])
    return puts, updates
