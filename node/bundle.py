"""Bundles: the mulu transactions of one batch carried to CometBFT as one CometBFT transaction.

CometBFT's costs are per transaction of its own: the RPC call that hands it
over, its mempool entry and ``CheckTx`` round trip, its gossip to each peer,
its re-check after every block. A batch a client posts (``/v1/txs/batch``) is
admitted at the node's door transaction by transaction, then forwarded as
bundles: :data:`TAG` followed by the canonical encoding of the list of the
transactions' wire bytes, at most :data:`MAX_BYTES` each (CometBFT's mempool
takes a transaction of up to 1 MiB). A single transaction is forwarded as it is.

The mulu chain never sees a bundle: the ABCI adapter unpacks every bundle of a
CometBFT block into its transactions, in order, and the mulu block holds those.
In a mempool a bundle is kept while any of its transactions may still enter a
block; the proposer leaves out those that may not (as it does any transaction)
and proposes the rest as new bundles. No mulu transaction begins with the tag
(its wire bytes are a canonical array, whose first byte is never 0).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from chain.encoding import decode, encode
from chain.errors import EncodingError, TxMalformed

TAG = b"\x00mulu/bundle/v1\x00"
MAX_BYTES = 512 * 1024
"""The most bytes a bundle's transactions hold together (a transaction larger than this is sent alone)."""
HEADER_OVERHEAD = len(TAG) + 5
"""The most bytes a bundle adds before its transactions (the tag, the list's header)."""
ITEM_OVERHEAD = 5
"""The most bytes a bundle adds to each transaction it holds (a byte string's header)."""


def is_bundle(tx: bytes) -> bool:
    return tx.startswith(TAG)


def spans(raws: Sequence[bytes]) -> list[range]:
    """``raws`` cut into runs of consecutive transactions holding at most :data:`MAX_BYTES` each (a
    larger transaction in a run of its own), as index ranges."""
    out: list[range] = []
    start, size = 0, 0
    for i, raw in enumerate(raws):
        if i > start and size + len(raw) > MAX_BYTES:
            out.append(range(start, i))
            start, size = i, 0
        size += len(raw)
    if raws:
        out.append(range(start, len(raws)))
    return out


def join(raws: Sequence[bytes]) -> bytes:
    """One CometBFT transaction carrying ``raws``: their bundle, or the one transaction as it is."""
    return raws[0] if len(raws) == 1 else TAG + encode(list(raws))


def pack(raws: Sequence[bytes]) -> list[bytes]:
    """``raws`` as CometBFT transactions, in order: one per run of :func:`spans`."""
    return [join(raws[span.start:span.stop]) for span in spans(raws)]


def unpack(tx: bytes) -> list[bytes]:
    """The transactions a CometBFT transaction carries: a bundle's, or itself.

    Raises :class:`TxMalformed` for a bundle that does not decode to a list of at least two
    transactions' bytes.
    """
    if not tx.startswith(TAG):
        return [tx]
    try:
        raws = decode(tx[len(TAG):])
    except EncodingError as exc:
        raise TxMalformed(f"bundle bytes: {exc.message}", field="bundle") from None
    if type(raws) is not list or len(raws) < 2 or any(type(r) is not bytes for r in raws):
        raise TxMalformed("a bundle is a list of at least two transactions' bytes", field="bundle")
    return raws


def flatten(txs: Iterable[bytes]) -> tuple[bytes, ...]:
    """The mulu transactions of a CometBFT block's transactions, in order (raises :class:`TxMalformed`)."""
    return tuple(raw for tx in txs for raw in unpack(tx))
