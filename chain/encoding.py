"""Canonical encoding: the one way mulu turns values into bytes.

Everything that is hashed or signed goes through :func:`encode`, and everything
read from the network or disk through :func:`decode`. The encoding is msgpack
restricted to a canonical subset:

* values: ``None``, ``bool``, ``int`` (-2**63 .. 2**64-1), ``bytes``, ``str``,
  lists (tuples encode as lists) and maps with ``str`` keys;
* no floats, no extension types, no maps with non-string keys;
* map keys in ascending order of their UTF-8 bytes, each at most once;
* every value in its shortest msgpack form (what ``msgpack.packb`` produces).

:func:`decode` accepts exactly the bytes :func:`encode` would produce for the
decoded value and nothing else: a wider integer form, an unsorted map, a
duplicated key or trailing bytes are refused. So equal values have equal bytes,
and equal bytes equal hashes, on every node.

The packing and unpacking are ormsgpack's (Rust; pinned to one version, since
every node must agree on every byte), which sorts map keys itself. What it does
not check — that no float slipped in, and how deep values nest — is checked
here. msgpack-python, the reference implementation, re-checks floats, and the
pure-Python :func:`_canonical` says *where* an unsupported value is.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import msgpack
import ormsgpack

from chain.errors import EncodingError, NonCanonicalEncoding, TrailingBytes, UnsupportedValue

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1

_local = threading.local()


def _pack(value: Any) -> bytes:
    """msgpack with one Packer per thread (a Packer is not thread-safe)."""
    try:
        packer = _local.packer
    except AttributeError:
        packer = _local.packer = msgpack.Packer(use_bin_type=True, datetime=False, autoreset=True)
    return packer.pack(value)


_SCALARS = frozenset((str, bytes, bool, type(None)))


def _canonical(value: Any) -> Any:
    """Return ``value`` with maps sorted, checking it holds only supported types.

    This is on every hot path, so it builds no error context; on failure,
    :func:`_locate` walks the value again to say where the bad part is.
    """
    t = type(value)
    if t in _SCALARS:
        return value
    if t is int:
        if INT_MIN <= value <= INT_MAX:
            return value
        raise _Bad
    if t is list or t is tuple:
        for v in value:
            tv = type(v)
            if tv not in _SCALARS and not (tv is int and INT_MIN <= v <= INT_MAX):
                return [v if type(v) in _SCALARS else _canonical(v) for v in value]
        return value  # nothing below to sort or check
    if t is dict:
        for k in value:
            if type(k) is not str:
                raise _Bad
        items = sorted(value.items())
        for _, v in items:
            tv = type(v)
            if tv not in _SCALARS and not (tv is int and INT_MIN <= v <= INT_MAX):
                return {k: (v if type(v) in _SCALARS else _canonical(v)) for k, v in items}
        return dict(items)
    raise _Bad


class _Bad(Exception):
    """Internal signal: an unsupported value somewhere below."""


def _locate(value: Any, path: str = "$") -> UnsupportedValue:
    """The error describing the first unsupported part of ``value``."""
    t = type(value)
    if t is int:
        return UnsupportedValue(f"integer out of range at {path}", path=path)
    if t is list or t is tuple:
        for i, item in enumerate(value):
            try:
                _canonical(item)
            except _Bad:
                return _locate(item, f"{path}[{i}]")
    if t is dict:
        for k, v in value.items():
            if type(k) is not str:
                return UnsupportedValue(f"map key {k!r} is not a string at {path}", path=path)
            try:
                _canonical(v)
            except _Bad:
                return _locate(v, f"{path}.{k}")
    return UnsupportedValue(f"{t.__name__} cannot be encoded at {path}", path=path, type=t.__name__)


_PACK_OPTIONS = (ormsgpack.OPT_SORT_KEYS | ormsgpack.OPT_PASSTHROUGH_BIG_INT | ormsgpack.OPT_PASSTHROUGH_DATACLASS
                 | ormsgpack.OPT_PASSTHROUGH_DATETIME | ormsgpack.OPT_PASSTHROUGH_ENUM
                 | ormsgpack.OPT_PASSTHROUGH_SUBCLASS | ormsgpack.OPT_PASSTHROUGH_UUID)
"""Sorted keys; every type msgpack has no canonical form for (subclasses, enums,
dataclasses, dates, UUIDs, big integers) goes to :func:`_unsupported`."""

_FLOAT64 = b"\xcb"
_FLOAT32 = b"\xca"


def _unsupported(value: Any) -> Any:
    raise _Bad


def _single_float_pack(value: Any) -> bytes | None:
    """msgpack-python's packing with floats as float32: it differs from ormsgpack's
    (float64) exactly when ``value`` holds a float (None: a float too large for float32)."""
    try:
        return msgpack.packb(value, use_bin_type=True, use_single_float=True, datetime=False)
    except OverflowError:
        return None


def encode(value: Any) -> bytes:
    """The canonical bytes of ``value``; raises :class:`UnsupportedValue`."""
    try:
        data = ormsgpack.packb(value, default=_unsupported, option=_PACK_OPTIONS)
    except TypeError as exc:
        if "surrogates" in str(exc):
            raise UnsupportedValue(f"text is not valid Unicode: {exc}") from None
        if "Recursion" in str(exc):
            raise UnsupportedValue("value is nested too deeply") from None
        raise _locate(value) from None
    # ormsgpack writes every float as float64; the float-free common case costs one byte search
    if _FLOAT64 in data and len(_single_float_pack(value) or b"") != len(data):
        raise _locate(value)
    return data


def join_array(encoded_items: list[bytes]) -> bytes:
    """The canonical encoding of a list, given each item's canonical encoding.

    Equal to ``encode(list_of_values)``, without re-encoding what is encoded.
    """
    n = len(encoded_items)
    if n < 16:
        header = bytes([0x90 | n])
    elif n < 65536:
        header = b"\xdc" + n.to_bytes(2, "big")
    else:
        header = b"\xdd" + n.to_bytes(4, "big")
    return header + b"".join(encoded_items)


def _reject_ext(code: int, data: bytes) -> Any:
    raise UnsupportedValue(f"msgpack extension type {code} is not allowed", ext=code)


_DECODED = frozenset((str, bytes, bool, int, type(None), list, dict))
"""The types a decoded value may hold (msgpack also yields floats and timestamps)."""

MAX_DEPTH = 128
"""How deeply decoded lists and maps may nest (a block holding a transaction's
arguments is a few levels deeper than the arguments)."""


_PACK_LIMIT = 255
"""The nesting at which ormsgpack stops packing (its recursion limit)."""

_local_wrap = threading.local()


def _packed_at_limit(value: Any) -> bytes:
    """The canonical bytes of ``value``, packed inside ``_PACK_LIMIT - MAX_DEPTH``
    levels of one-item lists, so that ormsgpack's own recursion limit refuses
    exactly the values nesting deeper than MAX_DEPTH (no walk over the value)."""
    try:
        outer, slot = _local_wrap.chain
    except AttributeError:
        slot = [None]
        outer = slot
        for _ in range(_PACK_LIMIT - MAX_DEPTH - 1):
            outer = [outer]
        _local_wrap.chain = outer, slot
    slot[0] = value
    try:
        return ormsgpack.packb(outer, default=_unsupported, option=_PACK_OPTIONS)[_PACK_LIMIT - MAX_DEPTH:]
    finally:
        slot[0] = None


def decode(data: bytes) -> Any:
    """Decode canonical bytes; refuse anything :func:`encode` would not produce.

    Maps decode to ``dict`` and arrays to ``list``. The value is packed again
    (keys sorted, nesting limited) and must give back the very same bytes, which
    rules out unsorted or repeated keys, wider-than-needed forms, float32 and
    trailing bytes. Bytes refused here are decoded again by
    :func:`_reference_decode`, which says exactly what is wrong.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EncodingError("expected bytes", type=type(data).__name__)
    data = bytes(data)
    try:
        value = ormsgpack.unpackb(data, ext_hook=_reject_ext)
        ok = _packed_at_limit(value) == data
    except (ValueError, TypeError, EncodingError):
        ok = False
    # ormsgpack packs floats as float64 only, so a float32 cannot survive the round
    # trip above; a float64 can, and msgpack-python's single-float packing tells
    # (the float-free common case costs one byte search)
    if ok and (_FLOAT64 not in data or _single_float_pack(value) == data):
        return value
    _reference_decode(data)
    raise NonCanonicalEncoding("bytes are not in canonical form", length=len(data))


def _checked_list(items: list) -> list:
    for v in items:
        if type(v) not in _DECODED:
            raise UnsupportedValue(f"{type(v).__name__} cannot be encoded", type=type(v).__name__)
    return items


def _depth(value: Any) -> int:
    """How deeply ``value``'s lists and maps nest (iteratively: no recursion limit)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        v, d = todo.pop()
        if type(v) is dict:
            v = v.values()
        elif type(v) is not list:
            continue
        deepest = max(deepest, d)
        todo.extend((child, d + 1) for child in v if type(child) is list or type(child) is dict)
    return deepest


def _checked_map(pairs: list) -> dict:
    """A decoded map, refused unless its keys are text in strictly ascending order."""
    previous = None
    for key, value in pairs:
        if type(key) is not str:
            raise UnsupportedValue(f"map key {key!r} is not a string")
        if previous is not None and key <= previous:  # code point order is UTF-8 byte order
            raise NonCanonicalEncoding("map keys are not in ascending order, or repeat", key=key)
        if type(value) not in _DECODED:
            raise UnsupportedValue(f"{type(value).__name__} cannot be encoded at {key}", type=type(value).__name__)
        previous = key
    return dict(pairs)


def _reference_decode(data: bytes) -> Any:
    """Decode with msgpack-python, the reference implementation, making every
    canonical check on the way: slower than :func:`decode`, and used by it to say
    exactly what is wrong with bytes it refused.

    While decoding, every map
    is checked for ascending text keys and every container for supported
    types; then the value is packed again and must give back the very same
    bytes, which rules out every wider-than-needed form.
    """
    containers = 0

    def on_list(items: list) -> list:
        nonlocal containers
        containers += 1
        return _checked_list(items)

    def on_map(pairs: list) -> dict:
        nonlocal containers
        containers += 1
        return _checked_map(pairs)

    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            list_hook=on_list,
            object_pairs_hook=on_map,
            ext_hook=_reject_ext,
            timestamp=0,
        )
        if type(value) not in _DECODED:
            raise UnsupportedValue(f"{type(value).__name__} cannot be encoded", type=type(value).__name__)
        if containers > MAX_DEPTH and _depth(value) > MAX_DEPTH:  # fewer containers cannot nest deeper
            raise UnsupportedValue(f"value nests deeper than {MAX_DEPTH} levels")
        again = _pack(value)
    except msgpack.ExtraData as exc:
        raise TrailingBytes("bytes follow the encoded value", extra=len(exc.extra)) from None
    except EncodingError:
        raise
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as exc:
        raise EncodingError(f"not a valid encoding: {exc}") from None
    if again != data:
        raise NonCanonicalEncoding("bytes are not in canonical form", length=len(data))
    return value


encode_local: Callable[[Any], bytes] = ormsgpack.packb
"""Bytes for this node's own store only (derived indexes), never hashed or sent:
plain msgpack, without the canonical checks and sorting. ormsgpack's own function,
not a wrapper of it: a block calls it for a score of index values per transaction."""

decode_trusted: Callable[[bytes], Any] = ormsgpack.unpackb
"""Decode bytes this node wrote itself (its own store), skipping the canonical-form
check; ormsgpack's own function, as :data:`encode_local`. Never use on bytes from a
peer, client or file."""
