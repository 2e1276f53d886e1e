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
"""

from __future__ import annotations

import threading
from typing import Any

import msgpack

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


def encode(value: Any) -> bytes:
    """The canonical bytes of ``value``; raises :class:`UnsupportedValue`."""
    try:
        return _pack(_canonical(value))
    except _Bad:
        raise _locate(value) from None
    except RecursionError:
        raise UnsupportedValue("value is nested too deeply") from None
    except UnicodeEncodeError as exc:
        raise UnsupportedValue(f"text is not valid Unicode: {exc.reason}") from None


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


def decode(data: bytes) -> Any:
    """Decode canonical bytes; refuse anything :func:`encode` would not produce.

    Maps decode to ``dict`` and arrays to ``list``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EncodingError("expected bytes", type=type(data).__name__)
    data = bytes(data)
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            ext_hook=_reject_ext,
            timestamp=0,
        )
    except msgpack.ExtraData as exc:
        raise TrailingBytes("bytes follow the encoded value", extra=len(exc.extra)) from None
    except UnsupportedValue:
        raise
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as exc:
        raise EncodingError(f"not a valid encoding: {exc}") from None
    try:
        again = encode(value)
    except UnsupportedValue as exc:
        raise UnsupportedValue(exc.message, **exc.details) from None
    if again != data:
        raise NonCanonicalEncoding("bytes are not in canonical form", length=len(data))
    return value


def encode_local(value: Any) -> bytes:
    """Bytes for this node's own store only (derived indexes), never hashed or sent:
    plain msgpack, without the canonical checks and sorting."""
    return _pack(value)


def decode_trusted(data: bytes) -> Any:
    """Decode bytes this node wrote itself (its own store), skipping the
    canonical-form check. Never use on bytes from a peer, client or file."""
    return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True, timestamp=0)
