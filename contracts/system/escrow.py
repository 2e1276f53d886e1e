"""What a department seals for escrow, and the commitment the chain keeps (000:第十四条(三)).

An administrator account is sealed as the canonical encoding of
``["mulu/credential/v1", username, password, salt]``, in an envelope
(:mod:`chain.envelope`) to the custodian's current key, bound to the system's
code (:func:`context`). Beside it the chain keeps a salted commitment,
``H(salt || ["mulu/credential/v1", username, password])`` in the chain's hash:
the salt travels inside the envelope, so the custodian who opens it can check
the account against the commitment, and nobody else can test a guess.

The salt is made by the department's client (contracts make no randomness);
these functions are pure.
"""

from __future__ import annotations

from typing import Any

from chain.crypto import CryptoProfile
from chain.encoding import decode, encode
from chain.errors import EncodingError, MalformedRecord

DOMAIN = "mulu/credential/v1"
SALT_SIZE = 16
"""The size of a commitment's salt, in bytes."""


def context(code: str) -> bytes:
    """The context a system's credential envelope is bound to: its code."""
    return code.encode()


def plaintext(username: str, password: bytes, salt: bytes) -> bytes:
    """The bytes sealed in a credential's envelope."""
    return encode([DOMAIN, username, password, salt])


def parse_plaintext(data: bytes) -> tuple[str, bytes, bytes]:
    """``(username, password, salt)`` of an opened envelope; :class:`MalformedRecord` if it holds no account."""
    try:
        value: Any = decode(data)
    except EncodingError as exc:
        raise MalformedRecord(f"the opened envelope holds no credential: {exc.message}") from None
    if type(value) is not list or len(value) != 4 or value[0] != DOMAIN or type(value[1]) is not str \
            or type(value[2]) is not bytes or type(value[3]) is not bytes:
        raise MalformedRecord("the opened envelope holds no credential (username, password, salt)")
    return value[1], value[2], value[3]


def commitment(profile: CryptoProfile, username: str, password: bytes, salt: bytes) -> bytes:
    """The salted commitment to an account, in the chain's hash."""
    return profile.hash(salt + encode([DOMAIN, username, password]))
