"""How a mulu block's commit certificate travels through a consensus engine.

A vote extension is ``[block_hash, signature]``: the mulu header hash the
validator votes for and its signature, with its mulu key (Ed25519 or SM2),
over :func:`chain.block.vote_bytes` of it. The hash rides inside the extension
because CometBFT's own extension signature does not cover the block, and
because a validator may have to check another's extension for a block it has
not executed yet.

Solo certifies a block with its own extension at once. Under CometBFT a
block's extensions reach the next proposer only (``PrepareProposal``'s
``local_last_commit``), so the certificate of block h rides in block h+1 as
its first transaction: :data:`TAG` followed by the commit's canonical bytes.
No mulu transaction can begin with the tag (a transaction's wire bytes are a
canonical array, whose first byte is never 0), so the door refuses one sent
by a client as malformed, and a block carries at most one, in first place.
"""

from __future__ import annotations

from typing import Sequence

from chain.block import Commit
from chain.encoding import decode, encode
from chain.errors import BlockInvalid, EncodingError, MalformedRecord

TAG = b"\x00mulu/certificate/v1\x00"


def extension(block_hash: bytes, signature: bytes) -> bytes:
    """A validator's vote extension for the mulu block ``block_hash``."""
    return encode([block_hash, signature])


def read_extension(raw: bytes) -> tuple[bytes, bytes] | None:
    """``(block_hash, signature)`` from a vote extension, or None when it is not one."""
    try:
        value = decode(raw)
    except EncodingError:
        return None
    if type(value) is not list or len(value) != 2 or not all(type(v) is bytes for v in value):
        return None
    return value[0], value[1]


def certificate_tx(commit: Commit) -> bytes:
    """The engine transaction carrying ``commit``, the certificate of the block before."""
    return TAG + encode(commit.to_plain())


def split(txs: Sequence[bytes], height: int) -> tuple[Commit | None, tuple[bytes, ...]]:
    """An engine block's certificate (None when it carries none) and its mulu transactions.

    Raises :class:`BlockInvalid` when the certificate does not decode or is not first.
    """
    commit = None
    if txs and txs[0].startswith(TAG):
        try:
            commit = Commit.from_plain(decode(txs[0][len(TAG):]))
        except (EncodingError, MalformedRecord) as exc:
            raise BlockInvalid(f"the block's certificate does not decode: {exc}", height=height,
                               field="certificate") from None
        txs = txs[1:]
    if any(tx.startswith(TAG) for tx in txs):
        raise BlockInvalid("a certificate rides only first in a block", height=height, field="certificate")
    return commit, tuple(txs)
