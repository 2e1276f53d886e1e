"""Transactions: a member's signed call of one contract method.

A transaction names the chain, the sender (a member's 统一社会信用代码), the key
that signed it, the sender's next nonce, and the call (contract, method,
arguments). The signature covers the canonical encoding of everything else,
prefixed by a domain tag so that no other signed message of mulu can be
mistaken for a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import msgpack

from chain.crypto import CryptoProfile, PrivateKey
from chain.encoding import decode, encode
from chain.errors import EncodingError, TxMalformed

TX_DOMAIN = "mulu/tx/v1"
"""The domain tag in every transaction's signing bytes."""

Args = dict[str, Any]
_DOMAIN = encode(TX_DOMAIN)


def _bin_size(n: int) -> int:
    """Bytes msgpack uses to encode a byte string of length ``n``."""
    return n + (2 if n < 256 else 3 if n < 65536 else 5)


@dataclass(frozen=True)
class Transaction:
    """A signed call: who, with which key, in which order, calls what."""

    chain_id: str
    sender: str
    key_id: str
    nonce: int
    contract: str
    method: str
    args: Args
    signature: bytes = b""
    # caches of a received transaction, left out of __init__ so that
    # dataclasses.replace() makes a transaction without them
    _wire: bytes | None = field(default=None, init=False, compare=False, repr=False)
    _ids: dict[str, bytes] = field(default_factory=dict, init=False, compare=False, repr=False)

    def signing_bytes(self) -> bytes:
        """What the sender signs: the encoded domain tag, then the canonical
        encodings of every field but the signature, one after the other.

        That is the wire form with its array header and signature cut off, so
        a received transaction's signing bytes are a slice, not a re-encoding.
        """
        if self._wire is not None:
            return _DOMAIN + self._wire[1:len(self._wire) - _bin_size(len(self.signature))]
        return _DOMAIN + encode([self.chain_id, self.sender, self.key_id, self.nonce,
                                 self.contract, self.method, self.args])[1:]

    def to_plain(self) -> list:
        return [self.chain_id, self.sender, self.key_id, self.nonce, self.contract,
                self.method, self.args, self.signature]

    def to_bytes(self) -> bytes:
        """The canonical wire form (also what the transaction id hashes)."""
        if self._wire is not None:
            return self._wire
        return encode(self.to_plain())

    def tx_id(self, profile: CryptoProfile) -> bytes:
        """The transaction id: the profile hash of the wire form (computed once:
        the door, the block and the mempool all ask)."""
        tx_id = self._ids.get(profile.name)
        if tx_id is None:
            tx_id = self._ids[profile.name] = profile.hash(self.to_bytes())
        return tx_id

    def signed(self, key: PrivateKey) -> "Transaction":
        """A copy signed by ``key`` (its key id filled in)."""
        unsigned = Transaction(self.chain_id, self.sender, key.key_id, self.nonce,
                               self.contract, self.method, self.args)
        return replace(unsigned, signature=key.sign(unsigned.signing_bytes()))

    @classmethod
    def from_plain(cls, plain: Any, wire: bytes | None = None) -> "Transaction":
        """Check the shape of a decoded transaction and build it."""
        if type(plain) is not list or len(plain) != 8:
            raise TxMalformed("a transaction is a list of 8 fields")
        chain_id, sender, key_id, nonce, contract, method, args, signature = plain
        if not (type(chain_id) is str and type(sender) is str and type(key_id) is str and type(nonce) is int
                and type(contract) is str and type(method) is str and type(args) is dict
                and type(signature) is bytes):
            _refuse_field_types(plain)
        if nonce < 1:
            raise TxMalformed("nonce starts at 1", field="nonce")
        tx = cls(chain_id, sender, key_id, nonce, contract, method, args, signature)
        object.__setattr__(tx, "_wire", wire)
        return tx

    @classmethod
    def from_bytes(cls, data: bytes) -> "Transaction":
        """Decode a transaction from canonical bytes; raises :class:`TxMalformed`."""
        try:
            plain = decode(data)
        except EncodingError as exc:
            raise TxMalformed(f"transaction bytes: {exc.message}", encoding=exc.code) from None
        return cls.from_plain(plain, bytes(data))


_FIELD_TYPES = (("chain_id", str), ("sender", str), ("key_id", str), ("nonce", int), ("contract", str),
                ("method", str), ("args", dict), ("signature", bytes))


def _refuse_field_types(plain: list) -> None:
    """Name the first field of a decoded transaction with the wrong type."""
    for (name, kind), value in zip(_FIELD_TYPES, plain):
        if type(value) is not kind:
            raise TxMalformed(f"field {name} must be {kind.__name__}", field=name)


def make_tx(key: PrivateKey, *, chain_id: str, sender: str, nonce: int, contract: str,
            method: str, args: Args) -> Transaction:
    """Build and sign a transaction."""
    return Transaction(chain_id, sender, key.key_id, nonce, contract, method, args).signed(key)


def peek_sender_nonce(data: bytes) -> tuple[str, int]:
    """A transaction's sender and nonce, read from the first fields of its wire form without
    decoding the rest (the re-check of a transaction that passed the door before needs only
    these); raises :class:`TxMalformed` when they are not there."""
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(data)
    try:
        if unpacker.read_array_header() != 8:
            raise ValueError("not 8 fields")
        _chain_id, sender, _key_id, nonce = (unpacker.unpack() for _ in range(4))
    except (ValueError, msgpack.OutOfData, msgpack.ExtraData, TypeError):
        raise TxMalformed("a transaction is a list of 8 fields") from None
    if type(sender) is not str or type(nonce) is not int:
        raise TxMalformed("a transaction's sender is text and its nonce an integer", field="sender")
    return sender, nonce
