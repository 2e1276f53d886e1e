"""The 国密 crypto profile ``sm2-sm3``: SM2 signatures and SM3 hashes.

Government systems must pass the 密码应用安全性评估 (001:第十三条, 001:第十九条:
不符合密码应用要求的不予通过技术评审), so a chain may name this profile in its
genesis instead of the default ``ed25519-sha256``:

* **SM3** (GB/T 32905) is the hash everywhere a hash is used: transaction ids,
  Merkle trees, the state tree, block hashes, key ids.
* **SM2** (GB/T 32918.2) signs, on the recommended curve of GB/T 32918.5, with
  the standard signer ID ``1234567812345678`` (GB/T 35276) hashed into the Z
  value: the signed digest is ``SM3(Z || message)``.
* Public keys are the 65-byte uncompressed point ``04 || x || y``; signatures
  are DER ``SEQUENCE {r INTEGER, s INTEGER}`` (GB/T 35276), 8 to 72 bytes — so
  an SM2 signature never looks like a 64-byte Ed25519 one, and
  :meth:`Sm2Sm3.recognizes_signature` can tell them apart by shape alone.
* Key files are PEM: PKCS#8 private keys (under a passphrase, PBES2: PBKDF2
  with HMAC-SHA256, then SM4-CBC) and SubjectPublicKeyInfo public keys, with
  the SM2 curve OID 1.2.156.10197.1.301 — the files OpenSSL 3, Tongsuo and
  GmSSL read.

The ciphers envelopes are made of (:mod:`chain.envelope`) are here too:
SM2 public-key encryption (GB/T 32918.4; ciphertext as the DER ``SM2Cipher``
``C1 x, C1 y, C3, C2`` of GB/T 35276) and SM4-GCM (the GB/T 32907 block cipher
in GCM, as RFC 8998 uses it).

Which implementation, and why (measured here: Python 3.11, x86_64, one core
per figure unless said; the host shared with other work)::

    candidate (PyPI wheel)       SM2 sign/s  SM2 verify/s  2 threads  key files  SM3 64 B/s  last release
    tongsuopy 1.0.1 (Tongsuo)        2326        2725        3297     PKCS#8      128 k      2023-02
    gmssl-pyx 2.1.0 (GmSSL 3.2)       276        1432        1256     none       1.1-1.4 M   2026-09
    gmssl-fast 0.1.0 (GmSSL)          763         406         385     none        0.75 M     2026-09
    gmssl 3.2.2 (pure Python)          -           69          -      none          -        2023-02
    gmalglib 0.5.9 (C)             no wheel for CPython 3.11 (needs a compiler)
    hashlib 'sm3' (system OpenSSL)     -            -           -       -         0.6-1.0 M  (build-dependent)
    pyca/cryptography hashes.SM3       -            -           -       -         0.46 M     (no SM2)
    (Ed25519, pyca/cryptography: 7000 verify/s)

* SM2 signatures: **tongsuopy**, the Tongsuo project's binding (a pyca/
  cryptography fork over Tongsuo, the OpenSSL-derived 国密 library): the
  fastest verifier, it releases the GIL (so :class:`chain.execution.SignatureChecker`
  threads help), and it reads and writes standard PKCS#8/SPKI key files. Its
  release is from 2023 — the weak point; the interoperability tests pin that
  GmSSL (gmssl-pyx) and OpenSSL 3 accept its signatures and key files, so a
  swap stays a local change.
* SM3: **gmssl-pyx** (GmSSL 3.2, a maintained C extension): one call per hash,
  the fastest of the wheels, and unlike ``hashlib.new('sm3')`` it does not
  depend on how the local Python's OpenSSL was built. It also does SM2
  encryption for envelopes, which tongsuopy does not expose.
* SM4-GCM: pyca/cryptography (already a dependency; its OpenSSL has SM4, and
  version 50 runs it in GCM: the RFC 8998 vector passes).
* All install from manylinux wheels (abi3 and cp311): no compiler needed.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl_pyx import GmsslInnerError, sm2_decrypt, sm2_encrypt, sm3_hash
from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.exceptions import InternalError, InvalidSignature, UnsupportedAlgorithm

from chain.crypto import Hash32, KeyProfile, PrivateKey, PublicKey, Signature
from chain.errors import CryptoError

SM2_SIGNER_ID = b"1234567812345678"
"""The standard signer ID of GB/T 35276 that every SM2 signature here hashes into Z.

Tongsuo applies it by default; the known-answer test of GB/T 32918.5 pins it."""

_SM2_WITH_SM3 = ec.ECDSA(hashes.SM3())
"""tongsuopy's name for SM2 signing on an SM2 key: Z value, SM3 digest, SM2 equations."""

SM4_KEY_SIZE = 16
SM4_GCM_NONCE_SIZE = 12
SM4_GCM_TAG_SIZE = 16
SM2_MAX_PLAINTEXT = 255
"""GmSSL encrypts at most this many bytes with SM2; envelopes wrap a 16-byte SM4 key."""

_MIN_DER_SIGNATURE = 8
_MAX_DER_SIGNATURE = 72


def is_der_signature(sig: bytes) -> bool:
    """True when ``sig`` is the strict DER form of two positive integers of at most 33 bytes.

    Malformed bytes make Tongsuo raise instead of answering "invalid", and a
    BER variant of a valid signature would be a second wire form of it; both
    are turned away here, before the library sees them.
    """
    n = len(sig)
    if not _MIN_DER_SIGNATURE <= n <= _MAX_DER_SIGNATURE or sig[0] != 0x30 or sig[1] != n - 2:
        return False
    i = 2
    for _ in range(2):
        if i + 2 > n or sig[i] != 0x02:
            return False
        size = sig[i + 1]
        start, i = i + 2, i + 2 + size
        if size == 0 or size > 33 or i > n:
            return False
        if sig[start] & 0x80 or (size > 1 and sig[start] == 0 and not sig[start + 1] & 0x80):
            return False  # negative, or not minimal
    return i == n


class Sm2Sm3(KeyProfile):
    """The 国密 profile: SM2 signatures (GB/T 32918) with SM3 hashes (GB/T 32905)."""

    name = "sm2-sm3"
    hash_size = 32
    public_key_size = 65
    signer_id = SM2_SIGNER_ID
    serialization = serialization
    unreadable = (ValueError, UnsupportedAlgorithm)

    def hash(self, data: bytes) -> Hash32:
        return sm3_hash(data)

    def generate(self) -> PrivateKey:
        return PrivateKey(self, ec.generate_private_key(ec.SM2()))

    def sign(self, handle: ec.EllipticCurvePrivateKey, message: bytes) -> Signature:
        return handle.sign(message, _SM2_WITH_SM3)

    def public_bytes(self, handle: ec.EllipticCurvePrivateKey) -> PublicKey:
        return handle.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)

    def recognizes_public_key(self, public_key: bytes) -> bool:
        """True when ``public_key`` has the shape of an SM2 key (65 bytes, uncompressed point)."""
        return len(public_key) == self.public_key_size and public_key[0] == 0x04

    def recognizes_signature(self, signature: bytes) -> bool:
        """True when ``signature`` has the shape of an SM2 signature (strict DER)."""
        return is_der_signature(signature)

    def load_public(self, public_key: PublicKey) -> ec.EllipticCurvePublicKey:
        if not self.recognizes_public_key(public_key):
            raise CryptoError("SM2 public keys are 65 bytes: 04 || x || y", length=len(public_key))
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), public_key)
        except ValueError as exc:
            raise CryptoError(f"not a point of the SM2 curve: {exc}") from None

    def verify(self, public_key: PublicKey, message: bytes, signature: Signature) -> bool:
        # Tongsuo verifies through cffi, which releases the GIL: callers may fan out over threads.
        if not is_der_signature(signature):
            return False
        try:
            self._public(public_key).verify(signature, message, _SM2_WITH_SM3)
        except (InvalidSignature, InternalError, CryptoError):
            return False
        return True

    def private_scalar(self, handle: ec.EllipticCurvePrivateKey) -> bytes:
        """The private key as its 32-byte big-endian scalar (for SM2 decryption in envelopes)."""
        return handle.private_numbers().private_value.to_bytes(32, "big")

    def is_own_private(self, handle: object) -> bool:
        return isinstance(handle, ec.EllipticCurvePrivateKey) and handle.curve.name == ec.SM2.name

    def is_own_public(self, key: object) -> bool:
        return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == ec.SM2.name

    def raw_public(self, key: ec.EllipticCurvePublicKey) -> PublicKey:
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


# --- ciphers for envelopes ---------------------------------------------------------------------


def sm2_encrypt_to(public_key: PublicKey, plaintext: bytes) -> bytes:
    """``plaintext`` (1 to 255 bytes) encrypted to an SM2 public key, as a DER ``SM2Cipher``."""
    if not 1 <= len(plaintext) <= SM2_MAX_PLAINTEXT:
        raise CryptoError(f"SM2 encrypts 1 to {SM2_MAX_PLAINTEXT} bytes", length=len(plaintext))
    if len(public_key) != 65 or public_key[0] != 0x04:
        raise CryptoError("SM2 public keys are 65 bytes: 04 || x || y", length=len(public_key))
    try:
        return sm2_encrypt(public_key[1:], plaintext)
    except (GmsslInnerError, ValueError) as exc:
        raise CryptoError(f"cannot encrypt to this SM2 key: {exc}") from None


def sm2_decrypt_with(scalar: bytes, ciphertext: bytes) -> bytes:
    """The plaintext of a DER ``SM2Cipher`` for the private key ``scalar`` (32 bytes).

    Raises :class:`CryptoError` for another key's ciphertext or a changed one (its C3 hash fails).
    """
    try:
        return sm2_decrypt(scalar, ciphertext)
    except (GmsslInnerError, ValueError) as exc:
        raise CryptoError(f"SM2 decryption failed: {type(exc).__name__}") from None


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """SM4-GCM: the ciphertext followed by the 16-byte tag."""
    if len(key) != SM4_KEY_SIZE or len(nonce) != SM4_GCM_NONCE_SIZE:
        raise CryptoError("SM4-GCM takes a 16-byte key and a 12-byte nonce", key=len(key), nonce=len(nonce))
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return body + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """The plaintext of :func:`sm4_gcm_encrypt`'s output; :class:`CryptoError` when the tag fails."""
    if len(key) != SM4_KEY_SIZE or len(nonce) != SM4_GCM_NONCE_SIZE or len(sealed) < SM4_GCM_TAG_SIZE:
        raise CryptoError("SM4-GCM takes a 16-byte key, a 12-byte nonce and at least a tag")
    body, tag = sealed[:-SM4_GCM_TAG_SIZE], sealed[-SM4_GCM_TAG_SIZE:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise CryptoError("SM4-GCM tag does not verify: wrong key, nonce, context or changed bytes") from None
