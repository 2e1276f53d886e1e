"""Bundles (node/bundle.py): a batch's transactions carried to CometBFT as few transactions of its own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.errors import TxMalformed
from chain.encoding import encode
from node import bundle

RAWS = st.lists(st.binary(min_size=1, max_size=40).map(lambda b: b"\x98" + b), max_size=30)


@settings(max_examples=200, deadline=None)
@given(raws=RAWS, limit=st.integers(min_value=1, max_value=120))
def test_packing_keeps_every_transaction_in_order_within_the_size(raws, limit):
    """Runs are consecutive and cover every transaction once; a run holds at most MAX_BYTES unless it is
    one transaction larger than that; unpacking the packed gives the transactions back in order."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bundle, "MAX_BYTES", limit)
        spans = bundle.spans(raws)
        packed = bundle.pack(raws)
    assert [i for span in spans for i in span] == list(range(len(raws)))
    for span in spans:
        assert len(span) == 1 or sum(len(raws[i]) for i in span) <= limit
    assert len(packed) == len(spans)
    assert bundle.flatten(packed) == tuple(raws)
    assert all(bundle.is_bundle(tx) == (len(span) > 1) for tx, span in zip(packed, spans))


def test_a_single_transaction_travels_as_itself():
    raw = b"\x98" + bytes(10)
    assert bundle.pack([raw]) == [raw] and bundle.unpack(raw) == [raw] and bundle.pack([]) == []


@pytest.mark.parametrize("payload", [b"\xc0", encode([b"\x98a"]), encode([b"\x98a", "text"]), encode([]),
                                     encode([b"\x98a", b"\x98b"]) + b"\x00", b""])
def test_invalid_bundles_are_malformed(payload):
    """Not canonical bytes, fewer than two transactions, or anything but transactions' bytes."""
    with pytest.raises(TxMalformed):
        bundle.unpack(bundle.TAG + payload)
    with pytest.raises(TxMalformed):
        bundle.flatten([b"\x98a", bundle.TAG + payload])
