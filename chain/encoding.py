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

from typing import Any

import msgpack

from chain.errors import EncodingError, NonCanonicalEncoding, TrailingBytes, UnsupportedValue

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1

_packer_options = dict(use_bin_type=True, strict_types=False, datetime=False)


def _canonical(value: Any, path: str = "$") -> Any:
    """Return ``value`` with maps sorted, checking it holds only supported types."""
    t = type(value)
    if t is str or t is bytes or value is None or t is bool:
        return value
    if t is int:
        if not INT_MIN <= value <= INT_MAX:
            raise UnsupportedValue(f"integer out of range at {path}", path=path)
        return value
    if t is list or t is tuple:
        return [_canonical(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if t is dict:
        out = {}
        for key in sorted(value, key=_key_order(path)):
            out[key] = _canonical(value[key], f"{path}.{key}")
        return out
    raise UnsupportedValue(f"{t.__name__} cannot be encoded at {path}", path=path, type=t.__name__)


def _key_order(path: str):
    def order(key: Any) -> bytes:
        if type(key) is not str:
            raise UnsupportedValue(f"map key {key!r} is not a string at {path}", path=path)
        return key.encode("utf-8")

    return order


def encode(value: Any) -> bytes:
    """The canonical bytes of ``value``; raises :class:`UnsupportedValue`."""
    return msgpack.packb(_canonical(value), **_packer_options)


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
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise EncodingError(f"not a valid encoding: {exc}") from None
    try:
        again = encode(value)
    except UnsupportedValue as exc:
        raise UnsupportedValue(exc.message, **exc.details) from None
    if again != data:
        raise NonCanonicalEncoding("bytes are not in canonical form", length=len(data))
    return value


def decode_trusted(data: bytes) -> Any:
    """Decode bytes this node wrote itself (its own store), skipping the
    canonical-form check. Never use on bytes from a peer, client or file."""
    return msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True, timestamp=0)
