"""Tests of chain.encoding: the one canonical way values become bytes.

Known answers are written out by hand from the msgpack specification, not
produced by the encoder under test. Every value must round-trip, and decode
must refuse every byte string that encode would not have produced, each with
its stable error code.
"""

from __future__ import annotations

import enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.encoding import INT_MAX, INT_MIN, decode, encode
from chain.errors import EncodingError

# --- golden vectors ---------------------------------------------------------------

# (value, exact canonical bytes in hex), written from the msgpack spec.
GOLDEN = [
    (None, "c0"),
    (False, "c2"),
    (True, "c3"),
    (0, "00"),
    (1, "01"),
    (127, "7f"),                                  # largest positive fixint
    (128, "cc80"),                                # uint8
    (255, "ccff"),
    (256, "cd0100"),                              # uint16
    (65535, "cdffff"),
    (65536, "ce00010000"),                        # uint32
    (2**32 - 1, "ceffffffff"),
    (2**32, "cf0000000100000000"),                # uint64
    (2**64 - 1, "cfffffffffffffffff"),            # INT_MAX
    (-1, "ff"),                                   # negative fixint
    (-32, "e0"),
    (-33, "d0df"),                                # int8
    (-128, "d080"),
    (-129, "d1ff7f"),                             # int16
    (-32768, "d18000"),
    (-32769, "d2ffff7fff"),                       # int32
    (-(2**31), "d280000000"),
    (-(2**31) - 1, "d3ffffffff7fffffff"),         # int64
    (-(2**63), "d38000000000000000"),             # INT_MIN
    ("", "a0"),
    ("a", "a161"),
    ("目录链", "a9e79baee5bd95e993be"),            # 3 characters, 9 UTF-8 bytes
    ("x" * 31, "bf" + "78" * 31),                 # longest fixstr
    ("x" * 32, "d920" + "78" * 32),               # str8
    ("x" * 256, "da0100" + "78" * 256),           # str16
    (b"", "c400"),
    (b"\x00", "c40100"),
    (b"\xff" * 255, "c4ff" + "ff" * 255),
    (b"\x01" * 256, "c50100" + "01" * 256),       # bin16
    ([], "90"),
    ([1, [2]], "92019102"),
    ((1, 2), "920102"),                           # tuples encode as lists
    (list(range(15)), "9f" + "".join(f"{i:02x}" for i in range(15))),
    ([0] * 16, "dc0010" + "00" * 16),             # array16
    ({}, "80"),
    ({"b": 1, "a": 2}, "82a16102a16201"),         # keys sorted
    ({"b": 1, "aa": 2, "a": 3}, "83a16103a2616102a16201"),  # a < aa < b bytewise
    ({"é": 1, "z": 2}, "82a17a02a2c3a901"),       # z (7a) < é (c3 a9)
    ({"k": None, "l": [True, b"\x01"]}, "82a16bc0a16c92c3c40101"),
    ({f"{i:02d}": i for i in range(16)},
     "de0010" + "".join(f"a2{ord(f'{i:02d}'[0]):02x}{ord(f'{i:02d}'[1]):02x}{i:02x}" for i in range(16))),
]


@pytest.mark.parametrize("value,hexbytes", GOLDEN, ids=[h[:24] for _, h in GOLDEN])
def test_golden_vectors(value, hexbytes):
    """encode gives exactly the known bytes, and decode gives the value back."""
    data = bytes.fromhex(hexbytes)
    assert encode(value).hex() == hexbytes
    back = decode(data)
    assert same(back, plain(value))
    assert encode(back) == data


def test_map_key_order_does_not_depend_on_insertion():
    """A map's bytes depend on its contents only, not on insertion order."""
    items = [(f"k{i}", i) for i in range(40)] + [("目录", 1), ("", 0), ("a\x7f", 2)]
    forward = dict(items)
    backward = dict(reversed(items))
    assert encode(forward) == encode(backward)
    keys = list(decode(encode(backward)))
    assert keys == sorted(keys, key=lambda k: k.encode("utf-8"))


def test_decode_accepts_bytes_like():
    """decode reads bytes, bytearray and memoryview alike."""
    data = encode({"a": [1, b"x"]})
    assert decode(bytearray(data)) == decode(memoryview(data)) == decode(data) == {"a": [1, b"x"]}


def test_encode_takes_bytes_like_values_as_bytes():
    """A bytearray or memoryview encodes as the bytes it holds, and decodes as bytes."""
    assert encode({"a": bytearray(b"x")}) == encode({"a": memoryview(b"x")}) == encode({"a": b"x"})


# --- round trips ----------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=INT_MIN, max_value=INT_MAX)
    | st.binary(max_size=300)
    | st.text(max_size=40)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=20)
    | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=8), children, max_size=20),
    max_leaves=60,
)


def plain(value):
    """What a value decodes to: tuples become lists."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def same(a, b) -> bool:
    """Equality that does not confuse True with 1 or False with 0."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(values)
def test_round_trip(value):
    """decode(encode(v)) is v (tuples as lists), and re-encoding gives the same bytes."""
    data = encode(value)
    back = decode(data)
    assert same(back, plain(value))
    assert encode(back) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_canonically_or_fail_cleanly(data):
    """Any byte string either decodes to a value whose encoding is exactly those
    bytes, or is refused with an EncodingError (never another exception)."""
    try:
        value = decode(data)
    except EncodingError:
        return
    assert encode(value) == data


@settings(max_examples=100, deadline=None)
@given(values, st.data())
def test_any_flipped_byte_is_refused_or_is_another_canonical_value(value, data):
    """Changing one byte of a canonical encoding never yields a second encoding
    of the same value: it is refused, or it encodes some other value exactly."""
    raw = encode(value)
    i = data.draw(st.integers(0, len(raw) - 1))
    mask = data.draw(st.integers(1, 255))
    mutated = raw[:i] + bytes([raw[i] ^ mask]) + raw[i + 1:]
    try:
        other = decode(mutated)
    except EncodingError:
        return
    assert encode(other) == mutated
    assert not same(other, plain(value))


def _verdict(decoder, data):
    try:
        return "ok", decoder(data)
    except EncodingError as exc:
        return "refused", exc.code


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=64), values.map(encode)), st.data())
def test_fast_decoder_agrees_with_the_reference_decoder(raw, data):
    """decode (ormsgpack) and the msgpack-python reference decoder accept the same
    bytes with the same value, and refuse the same bytes with the same code, on
    canonical encodings, arbitrary bytes and canonical encodings with one byte
    changed, cut short or extended."""
    from chain.encoding import _reference_decode

    variants = [raw, raw + data.draw(st.binary(min_size=1, max_size=3))]
    if raw:
        i = data.draw(st.integers(0, len(raw) - 1))
        variants += [raw[:i], raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255))]) + raw[i + 1:]]
    for b in variants:
        fast, ref = _verdict(decode, b), _verdict(_reference_decode, b)
        assert fast[0] == ref[0] and same(fast[1], ref[1]) if fast[0] == "ok" else fast == ref, b.hex()


# --- values encode refuses ----------------------------------------------------------


class Colour(enum.IntEnum):
    RED = 1


class Text(str):
    pass


@pytest.mark.parametrize("value,path", [
    (1.0, "$"),
    (float("nan"), "$"),
    ([1, 2.5], "$[1]"),
    ({"a": {"b": [0, 0.0]}}, "$.a.b[1]"),
    (2**64, "$"),
    (-(2**63) - 1, "$"),
    ([0, [2**70]], "$[1][0]"),
    ({1: "x"}, "$"),
    ({"ok": {b"k": 1}}, "$.ok"),
    ({None: 1}, "$"),
    ({("a",): 1}, "$"),
    ({1, 2}, "$"),
    (frozenset(), "$"),
    (object(), "$"),
    (Colour.RED, "$"),
    (Text("x"), "$"),
    ({"a": Text("x")}, "$.a"),
    (complex(1, 2), "$"),
])
def test_invalid_unsupported_values(value, path):
    """Floats, out-of-range integers, non-string map keys, sets, objects and
    subclasses of the supported types are refused, naming where they are."""
    with pytest.raises(EncodingError) as info:
        encode(value)
    assert info.value.code == "ENCODING_UNSUPPORTED_VALUE"
    assert info.value.details["path"] == path


def test_integer_range_edges_are_supported():
    """The edges of the integer range encode; one past them does not."""
    assert decode(encode(INT_MAX)) == INT_MAX == 2**64 - 1
    assert decode(encode(INT_MIN)) == INT_MIN == -(2**63)
    for bad in (INT_MAX + 1, INT_MIN - 1):
        with pytest.raises(EncodingError) as info:
            encode(bad)
        assert info.value.code == "ENCODING_UNSUPPORTED_VALUE"


# --- bytes decode refuses ---------------------------------------------------------------

INVALID = [
    # non-canonical widths: decodable, but not the shortest form
    ("cc05", "ENCODING_NON_CANONICAL"),                 # 5 as uint8
    ("cc7f", "ENCODING_NON_CANONICAL"),                 # 127 as uint8
    ("cd00ff", "ENCODING_NON_CANONICAL"),               # 255 as uint16
    ("ce0000ffff", "ENCODING_NON_CANONICAL"),           # 65535 as uint32
    ("cf00000000ffffffff", "ENCODING_NON_CANONICAL"),   # 2**32-1 as uint64
    ("d005", "ENCODING_NON_CANONICAL"),                 # 5 as int8
    ("d0ff", "ENCODING_NON_CANONICAL"),                 # -1 as int8
    ("d1ff80", "ENCODING_NON_CANONICAL"),               # -128 as int16
    ("d2ffff8000", "ENCODING_NON_CANONICAL"),           # -32768 as int32
    ("d3ffffffffffffffff", "ENCODING_NON_CANONICAL"),   # -1 as int64
    ("d30000000000000001", "ENCODING_NON_CANONICAL"),   # 1 as int64
    ("d90161", "ENCODING_NON_CANONICAL"),               # str8 for a short string
    ("da000161", "ENCODING_NON_CANONICAL"),             # str16 for a short string
    ("c5000100", "ENCODING_NON_CANONICAL"),             # bin16 for one byte
    ("dc0001c0", "ENCODING_NON_CANONICAL"),             # array16 for one item
    ("dc0000", "ENCODING_NON_CANONICAL"),               # array16 for none
    ("de0000", "ENCODING_NON_CANONICAL"),               # map16 for none
    ("de0001a161c0", "ENCODING_NON_CANONICAL"),         # map16 for one entry
    # maps out of order or with a key twice
    ("82a16201a16102", "ENCODING_NON_CANONICAL"),       # {"b":1, "a":2} unsorted
    ("82a2616101a16102", "ENCODING_NON_CANONICAL"),     # "aa" before "a"
    ("82a16101a16102", "ENCODING_NON_CANONICAL"),       # duplicate key
    ("82a16101a16101", "ENCODING_NON_CANONICAL"),       # duplicate key, same value
    # values the encoding does not carry
    ("ca3f800000", "ENCODING_UNSUPPORTED_VALUE"),       # float32 1.0
    ("cb3ff0000000000000", "ENCODING_UNSUPPORTED_VALUE"),  # float64 1.0
    ("cb4800000000000000", "ENCODING_UNSUPPORTED_VALUE"),  # float64 too large for float32
    ("91ca00000000", "ENCODING_UNSUPPORTED_VALUE"),     # [0.0] inside a list
    ("d40100", "ENCODING_UNSUPPORTED_VALUE"),           # fixext1 type 1
    ("c70005", "ENCODING_UNSUPPORTED_VALUE"),           # ext8, empty, type 5
    ("d6ff00000000", "ENCODING_UNSUPPORTED_VALUE"),     # the timestamp extension
    ("81c4016101", "ENCODING_UNSUPPORTED_VALUE"),       # bytes map key
    # not msgpack at all, or not a map key msgpack allows here
    ("810101", "ENCODING_INVALID"),                     # integer map key
    ("81c001", "ENCODING_INVALID"),                     # nil map key
    ("c1", "ENCODING_INVALID"),                         # the never-used type byte
    ("a1ff", "ENCODING_INVALID"),                       # invalid UTF-8
    ("a2c328", "ENCODING_INVALID"),                     # invalid UTF-8 continuation
    ("a3eda080", "ENCODING_INVALID"),                   # an encoded UTF-16 surrogate
    # truncated input
    ("", "ENCODING_INVALID"),
    ("cc", "ENCODING_INVALID"),
    ("cd01", "ENCODING_INVALID"),
    ("a3e79b", "ENCODING_INVALID"),
    ("9201", "ENCODING_INVALID"),
    ("c40200", "ENCODING_INVALID"),
    ("82a16101a162", "ENCODING_INVALID"),
    # trailing bytes
    ("c0c0", "ENCODING_TRAILING_BYTES"),
    ("0000", "ENCODING_TRAILING_BYTES"),
    ("9000", "ENCODING_TRAILING_BYTES"),
    ("a161ff", "ENCODING_TRAILING_BYTES"),
]


@pytest.mark.parametrize("hexbytes,code", INVALID, ids=[f"{c}:{h[:16]}" for h, c in INVALID])
def test_invalid_bytes_are_refused(hexbytes, code):
    """decode refuses bytes encode would not produce, each with its stable code."""
    with pytest.raises(EncodingError) as info:
        decode(bytes.fromhex(hexbytes))
    assert info.value.code == code


def test_invalid_trailing_bytes_say_how_many():
    """Trailing bytes after a complete value are counted in the error."""
    with pytest.raises(EncodingError) as info:
        decode(encode([1, 2]) + b"\x00\x01\x02")
    assert info.value.code == "ENCODING_TRAILING_BYTES"
    assert info.value.details["extra"] == 3


def test_invalid_truncation_of_any_encoding():
    """Every proper prefix of a canonical encoding is refused."""
    data = encode({"chain": "目录链", "n": [0, 128, -33, 2**40], "b": b"\x00" * 40, "t": True})
    for cut in range(len(data)):
        with pytest.raises(EncodingError) as info:
            decode(data[:cut])
        assert info.value.code in ("ENCODING_INVALID", "ENCODING_NON_CANONICAL"), cut


def test_invalid_input_that_is_not_bytes():
    """decode takes bytes only: text or lists are refused, not guessed at."""
    for bad in ("c0", [0xC0], None, 0):
        with pytest.raises(EncodingError) as info:
            decode(bad)
        assert info.value.code == "ENCODING_INVALID"


def test_invalid_deep_nesting_is_an_encoding_error():
    """Bytes nesting arrays deeper than the encoder can re-check are refused with
    an EncodingError, not a RecursionError escaping to the caller."""
    data = b"\x91" * 1000 + b"\xc0"
    with pytest.raises(EncodingError):
        decode(data)


def test_invalid_text_with_lone_surrogate():
    """Python text that is not valid Unicode (a lone surrogate, as json.loads
    produces from "\\ud800") is refused as an unsupported value."""
    with pytest.raises(EncodingError) as info:
        encode({"title": "\ud800"})
    assert info.value.code == "ENCODING_UNSUPPORTED_VALUE"


def test_nesting_limit_is_exact():
    """Lists may nest MAX_DEPTH deep when decoded; one level more is refused."""
    from chain.encoding import MAX_DEPTH

    ok = b"\x91" * (MAX_DEPTH - 1) + b"\x90"
    assert decode(ok) is not None
    with pytest.raises(EncodingError) as info:
        decode(b"\x91" * MAX_DEPTH + b"\x90")
    assert info.value.code == "ENCODING_UNSUPPORTED_VALUE"


@pytest.mark.parametrize("value", [[1.5], {"a": 1.5}, [{"a": [0.25]}], 2.5])
def test_invalid_float64_anywhere_is_refused(value):
    """A float64 survives msgpack's own round trip, so decode must refuse it by type."""
    import msgpack

    with pytest.raises(EncodingError) as info:
        decode(msgpack.packb(value, use_bin_type=True))
    assert info.value.code == "ENCODING_UNSUPPORTED_VALUE"
