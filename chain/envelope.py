"""Envelopes (数字信封): a secret sealed to one key holder, for credential escrow.

A system's username and password are brought under management through the
chain (用户名和密码纳管, 000:第十四条(三)) without ever being stored in plain
text: the chain holds a commitment and an envelope that only the custodian
(the ``review_authority``) can open. Each crypto profile has its scheme
(:func:`scheme_for`). On an ``sm2-sm3`` chain the envelope uses the 国密
ciphers (001:第十三条 and 第十九条 ask for 密码应用 compliance),
``sm2-sm4-gcm``:

1. a fresh 16-byte SM4 content key and a fresh 12-byte nonce;
2. the secret encrypted with SM4-GCM (GB/T 32907 in GCM mode, as RFC 8998),
   its additional data binding the scheme, the recipient's key id and the
   caller's ``context`` (for example the credential record's key) — so an
   envelope cut from one record and pasted into another does not open;
3. the content key encrypted to the recipient's SM2 public key (GB/T 32918.4,
   a DER ``SM2Cipher``).

An Ed25519 key signs but cannot encrypt, so on an ``ed25519-sha256`` chain
the custodian holds a separate X25519 key, and the envelope is
``x25519-hkdf-sha256-aes256gcm`` (ECIES in the manner of RFC 9180's base mode):

1. a fresh ephemeral X25519 key pair, agreed with the recipient's public key
   (RFC 7748); an all-zero shared secret (a small-order key) is refused;
2. a 32-byte AES key from HKDF-SHA256 (RFC 5869) over the shared secret, its
   info binding the scheme, the recipient's key id and the ephemeral public key;
3. the secret encrypted with AES-256-GCM under a fresh 12-byte nonce, with the
   same additional data as above (scheme, recipient key id, ``context``);
   ``wrapped_key`` is the ephemeral public key (32 bytes).

Either way the bytes are the canonical encoding of
``[scheme, recipient_key_id, wrapped_key, nonce, sealed]`` (:class:`Envelope`),
and a recipient's key id is :func:`chain.crypto.key_id` of its public key under
the chain's profile (the first 8 bytes of its SHA-256 or SM3 hash): the id the
chain records for the custodian's key. A custodian's private key is a
:class:`CustodianKey`, kept in a PEM file like a signing key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chain.crypto import ENCRYPTED_PEM, PrivateKey, PublicKey, key_id, profile
from chain.encoding import decode, encode
from chain.errors import CryptoError, EncodingError, EnvelopeInvalid, KeyFileEncrypted, KeyFileError, MalformedRecord
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

SCHEME_X25519_AES_GCM = "x25519-hkdf-sha256-aes256gcm"
"""The envelope scheme of the ``ed25519-sha256`` profile."""

SCHEMES = {"sm2-sm3": SCHEME_SM2_SM4_GCM, "ed25519-sha256": SCHEME_X25519_AES_GCM}
"""Each crypto profile's envelope scheme."""

_PROFILE_OF = {scheme: name for name, scheme in SCHEMES.items()}

X25519_KEY_SIZE = 32
AES_GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16

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


def scheme_for(profile_name: str) -> str:
    """The envelope scheme of the crypto profile ``profile_name``."""
    scheme = SCHEMES.get(profile_name)
    if scheme is None:
        raise CryptoError(f"no envelope scheme for the profile {profile_name!r}", profile=profile_name)
    return scheme


def _scheme_profile(scheme: str) -> str:
    name = _PROFILE_OF.get(scheme)
    if name is None:
        raise CryptoError(f"unknown envelope scheme {scheme!r}", scheme=scheme, known=sorted(_PROFILE_OF))
    return name


def recipient_key_id(scheme: str, public_key: PublicKey) -> str:
    """The id a recipient's public key has under ``scheme``: its key id under the scheme's profile."""
    return key_id(profile(_scheme_profile(scheme)), public_key)


def check_recipient_key(scheme: str, public_key: PublicKey) -> None:
    """Raise :class:`CryptoError` unless ``public_key`` is a public key envelopes of ``scheme`` can be sealed to."""
    if _scheme_profile(scheme) == "sm2-sm3":
        profile("sm2-sm3").check_public_key(public_key)
        return
    if len(public_key) != X25519_KEY_SIZE:
        raise CryptoError(f"X25519 public keys are {X25519_KEY_SIZE} bytes", length=len(public_key))


def seal(recipient_public_key: PublicKey, secret: bytes, context: bytes = b"", *,
         scheme: str = SCHEME_SM2_SM4_GCM) -> Envelope:
    """Seal ``secret`` to the holder of ``recipient_public_key`` (an SM2 key for ``sm2-sm4-gcm``,
    an X25519 key for ``x25519-hkdf-sha256-aes256gcm``), bound to ``context``."""
    if not 0 < len(secret) <= MAX_SECRET:
        raise CryptoError(f"an envelope carries 1 to {MAX_SECRET} bytes", length=len(secret))
    check_recipient_key(scheme, recipient_public_key)
    recipient = recipient_key_id(scheme, recipient_public_key)
    aad = _aad(scheme, recipient, context)
    if scheme == SCHEME_SM2_SM4_GCM:
        content_key = secrets.token_bytes(SM4_KEY_SIZE)
        nonce = secrets.token_bytes(SM4_GCM_NONCE_SIZE)
        sealed = sm4_gcm_encrypt(content_key, nonce, secret, aad)
        return Envelope(scheme, recipient, sm2_encrypt_to(recipient_public_key, content_key), nonce, sealed)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    content_key = _x25519_content_key(ephemeral, recipient_public_key, ephemeral_public, recipient)
    nonce = secrets.token_bytes(AES_GCM_NONCE_SIZE)
    return Envelope(scheme, recipient, ephemeral_public, nonce, AESGCM(content_key).encrypt(nonce, secret, aad))


def _x25519_content_key(own: X25519PrivateKey, peer: PublicKey, ephemeral_public: PublicKey, recipient: str) -> bytes:
    """The AES-256 key both sides derive: HKDF-SHA256 over the X25519 shared secret of ``own`` and
    ``peer``, its info binding the scheme, the recipient's key id and the ephemeral public key."""
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(peer))
    except ValueError as exc:  # pyca refuses a small-order key, whose shared secret is all zeros
        raise CryptoError(f"no X25519 agreement with this key: {exc}") from None
    info = encode([_AAD_DOMAIN, SCHEME_X25519_AES_GCM, recipient, ephemeral_public])
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


@dataclass(frozen=True)
class CustodianKey:
    """A custodian's private key for opening envelopes: X25519 (``ed25519-sha256`` chains) or the
    SM2 key of the chain's profile (``sm2-sm3`` chains), with the scheme it opens."""

    scheme: str
    handle: Any  # an X25519PrivateKey, or a chain PrivateKey for SM2

    @property
    def public_key(self) -> PublicKey:
        if self.scheme == SCHEME_SM2_SM4_GCM:
            return self.handle.public_key
        return self.handle.public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return recipient_key_id(self.scheme, self.public_key)

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """A PKCS#8 PEM of the key, encrypted when a passphrase is given."""
        if self.scheme == SCHEME_SM2_SM4_GCM:
            return self.handle.to_pem(passphrase)
        encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                      else serialization.NoEncryption())
        return self.handle.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def generate_custodian_key(profile_name: str) -> CustodianKey:
    """A fresh custodian key for a chain of profile ``profile_name``."""
    scheme = scheme_for(profile_name)
    if scheme == SCHEME_SM2_SM4_GCM:
        return CustodianKey(scheme, profile("sm2-sm3").generate())
    return CustodianKey(scheme, X25519PrivateKey.generate())


def load_custodian_key(pem: bytes, passphrase: bytes | None = None) -> CustodianKey:
    """Read a custodian's private key file (X25519 or SM2 PEM); an encrypted one without its
    passphrase is :class:`KeyFileEncrypted`, anything else unreadable :class:`KeyFileError`."""
    if ENCRYPTED_PEM in pem and not passphrase:
        raise KeyFileEncrypted("the custodian key file is encrypted and needs its passphrase")
    try:
        handle = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError as exc:  # pyca: a missing or unexpected password
        raise KeyFileError(f"custodian key file passphrase problem: {exc}") from None
    except (ValueError, UnsupportedAlgorithm):
        handle = None  # an SM2 key, or not a key: the SM2 profile's reader says which
    if isinstance(handle, X25519PrivateKey):
        return CustodianKey(SCHEME_X25519_AES_GCM, handle)
    try:
        return CustodianKey(SCHEME_SM2_SM4_GCM, profile("sm2-sm3").load_private_pem(pem, passphrase))
    except KeyFileError:
        raise KeyFileError("not a custodian key: an X25519 or SM2 private key (PEM), or the passphrase "
                           "does not open it") from None


def open_envelope(key: PrivateKey | CustodianKey, envelope: Envelope | bytes, context: bytes = b"") -> bytes:
    """The secret in ``envelope``, for its recipient ``key`` and the ``context`` it was sealed with.

    ``key`` is a :class:`CustodianKey`, or an SM2 signing key of an ``sm2-sm3`` chain. Raises
    :class:`EnvelopeInvalid` for another scheme, another recipient, another context, or any
    changed byte.
    """
    if isinstance(envelope, bytes):
        envelope = Envelope.from_bytes(envelope)
    if isinstance(key, PrivateKey):
        if key.profile.name != "sm2-sm3":
            raise EnvelopeInvalid(f"cannot open a {envelope.scheme!r} envelope with a {key.profile.name} key",
                                  scheme=envelope.scheme)
        key = CustodianKey(SCHEME_SM2_SM4_GCM, key)
    if envelope.scheme != key.scheme:
        raise EnvelopeInvalid(f"cannot open a {envelope.scheme!r} envelope with a {key.scheme} key",
                              scheme=envelope.scheme)
    if envelope.recipient != key.key_id:
        raise EnvelopeInvalid(f"the envelope is sealed to key {envelope.recipient}, not {key.key_id}",
                              recipient=envelope.recipient, key_id=key.key_id)
    aad = _aad(envelope.scheme, envelope.recipient, context)
    try:
        if key.scheme == SCHEME_SM2_SM4_GCM:
            signing = key.handle
            content_key = sm2_decrypt_with(signing.profile.private_scalar(signing.handle), envelope.wrapped_key)
            if len(content_key) != SM4_KEY_SIZE:
                raise CryptoError("the wrapped content key is not an SM4 key")
            return sm4_gcm_decrypt(content_key, envelope.nonce, envelope.sealed, aad)
        if len(envelope.wrapped_key) != X25519_KEY_SIZE or len(envelope.nonce) != AES_GCM_NONCE_SIZE:
            raise CryptoError("an X25519 envelope has a 32-byte ephemeral key and a 12-byte nonce")
        content_key = _x25519_content_key(key.handle, envelope.wrapped_key, envelope.wrapped_key, envelope.recipient)
        return AESGCM(content_key).decrypt(envelope.nonce, envelope.sealed, aad)
    except InvalidTag:
        raise EnvelopeInvalid("the envelope does not open: AES-GCM tag does not verify (wrong key, context or "
                              "changed bytes)", recipient=envelope.recipient) from None
    except CryptoError as exc:
        raise EnvelopeInvalid(f"the envelope does not open: {exc.message}", recipient=envelope.recipient) from None
