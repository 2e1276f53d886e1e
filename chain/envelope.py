"""Envelopes (数字信封): a secret sealed to one key holder, for credential escrow.

A system's username and password are brought under management through the
chain (用户名和密码纳管, 000:第十四条(三)) without ever being stored in plain
text: the chain holds a commitment and an envelope that only the custodian
(the ``review_authority``) can open. On an ``sm2-sm3`` chain the envelope uses
the 国密 ciphers (001:第十三条 and 第十九条 ask for 密码应用 compliance):

1. a fresh 16-byte SM4 content key and a fresh 12-byte nonce;
2. the secret encrypted with SM4-GCM (GB/T 32907 in GCM mode, as RFC 8998),
   its additional data binding the scheme, the recipient's key id and the
   caller's ``context`` (for example the credential record's key) — so an
   envelope cut from one record and pasted into another does not open;
3. the content key encrypted to the recipient's SM2 public key (GB/T 32918.4,
   a DER ``SM2Cipher``).

Its bytes are the canonical encoding of
``["sm2-sm4-gcm", recipient_key_id, wrapped_key, nonce, sealed]``.

The default profile has no envelope yet: an Ed25519 key signs but cannot
encrypt, so escrow on an ``ed25519-sha256`` chain needs a separate encryption
key for the custodian, which the credential contract will bring.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from chain.crypto import PrivateKey, PublicKey, key_id, profile
from chain.encoding import decode, encode
from chain.errors import CryptoError, EncodingError, EnvelopeInvalid, MalformedRecord
from chain.gm import (
    SM4_GCM_NONCE_SIZE,
    SM4_KEY_SIZE,
    sm2_decrypt_with,
    sm2_encrypt_to,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)

SCHEME_SM2_SM4_GCM = "sm2-sm4-gcm"
"""The envelope scheme of the ``sm2-sm3`` profile."""

MAX_SECRET = 64 * 1024
"""The largest secret an envelope carries (credentials are short)."""

_AAD_DOMAIN = "mulu/envelope/v1"


@dataclass(frozen=True)
class Envelope:
    """A sealed secret: who can open it, the wrapped content key, the nonce and the ciphertext with its tag."""

    scheme: str
    recipient: str
    wrapped_key: bytes
    nonce: bytes
    sealed: bytes

    def to_bytes(self) -> bytes:
        return encode([self.scheme, self.recipient, self.wrapped_key, self.nonce, self.sealed])

    @classmethod
    def from_bytes(cls, data: bytes) -> "Envelope":
        """Decode an envelope from canonical bytes; raises :class:`MalformedRecord`."""
        try:
            plain: Any = decode(data)
        except EncodingError as exc:
            raise MalformedRecord(f"envelope bytes: {exc.message}", field="envelope") from None
        if type(plain) is not list or len(plain) != 5:
            raise MalformedRecord("an envelope is a list of 5 fields", field="envelope")
        scheme, recipient, wrapped_key, nonce, sealed = plain
        for name, value, kind in (("scheme", scheme, str), ("recipient", recipient, str),
                                  ("wrapped_key", wrapped_key, bytes), ("nonce", nonce, bytes),
                                  ("sealed", sealed, bytes)):
            if type(value) is not kind:
                raise MalformedRecord(f"envelope field {name} must be {kind.__name__}", field=name)
        return cls(scheme, recipient, wrapped_key, nonce, sealed)


def _aad(scheme: str, recipient: str, context: bytes) -> bytes:
    return encode([_AAD_DOMAIN, scheme, recipient, context])


def seal(recipient_public_key: PublicKey, secret: bytes, context: bytes = b"") -> Envelope:
    """Seal ``secret`` to the holder of the SM2 key ``recipient_public_key``, bound to ``context``."""
    if not 0 < len(secret) <= MAX_SECRET:
        raise CryptoError(f"an envelope carries 1 to {MAX_SECRET} bytes", length=len(secret))
    sm2 = profile("sm2-sm3")
    sm2.check_public_key(recipient_public_key)
    recipient = key_id(sm2, recipient_public_key)
    content_key = secrets.token_bytes(SM4_KEY_SIZE)
    nonce = secrets.token_bytes(SM4_GCM_NONCE_SIZE)
    sealed = sm4_gcm_encrypt(content_key, nonce, secret, _aad(SCHEME_SM2_SM4_GCM, recipient, context))
    return Envelope(SCHEME_SM2_SM4_GCM, recipient, sm2_encrypt_to(recipient_public_key, content_key), nonce, sealed)


def open_envelope(key: PrivateKey, envelope: Envelope | bytes, context: bytes = b"") -> bytes:
    """The secret in ``envelope``, for its recipient ``key`` and the ``context`` it was sealed with.

    Raises :class:`EnvelopeInvalid` for another recipient, another context,
    or any changed byte.
    """
    if isinstance(envelope, bytes):
        envelope = Envelope.from_bytes(envelope)
    if envelope.scheme != SCHEME_SM2_SM4_GCM or key.profile.name != "sm2-sm3":
        raise EnvelopeInvalid(f"cannot open a {envelope.scheme!r} envelope with a {key.profile.name} key",
                              scheme=envelope.scheme)
    if envelope.recipient != key.key_id:
        raise EnvelopeInvalid(f"the envelope is sealed to key {envelope.recipient}, not {key.key_id}",
                              recipient=envelope.recipient, key_id=key.key_id)
    try:
        content_key = sm2_decrypt_with(key.profile.private_scalar(key.handle), envelope.wrapped_key)
        if len(content_key) != SM4_KEY_SIZE:
            raise CryptoError("the wrapped content key is not an SM4 key")
        return sm4_gcm_decrypt(content_key, envelope.nonce, envelope.sealed,
                               _aad(envelope.scheme, envelope.recipient, context))
    except CryptoError as exc:
        raise EnvelopeInvalid(f"the envelope does not open: {exc.message}", recipient=envelope.recipient) from None
