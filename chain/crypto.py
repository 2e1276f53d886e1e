"""Crypto profiles: the keys, signatures and hash a chain uses, chosen in genesis.

A profile is one object with one interface (:class:`CryptoProfile`); nothing
else in mulu names an algorithm. ``ed25519-sha256`` is the default profile;
``sm2-sm3`` (国密, :mod:`chain.gm`) is the other. A chain never mixes
profiles: the genesis names one and every key, signature and hash on that
chain is of that profile.

Keys and signatures identify their profile by shape alone (Ed25519: 32-byte
keys, 64-byte signatures; SM2: 65-byte uncompressed points, DER signatures),
so a transaction signed under another profile can be named as such
(:func:`profile_of_signature`) instead of failing as a bad signature.

Key files are PEM (PKCS#8 for private keys, SubjectPublicKeyInfo for public
ones), optionally encrypted with a passphrase.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from chain.errors import CryptoError, KeyFileEncrypted, KeyFileError, UnknownProfile

Hash32 = bytes
PublicKey = bytes
Signature = bytes


class CryptoProfile(Protocol):
    """What a chain needs of its cryptography."""

    name: str
    hash_size: int

    def hash(self, data: bytes) -> Hash32:
        """The profile's digest of ``data``."""

    def generate(self) -> "PrivateKey":
        """A fresh private key."""

    def sign(self, handle: object, message: bytes) -> Signature:
        """Sign ``message`` with the private key ``handle``."""

    def public_bytes(self, handle: object) -> PublicKey:
        """The raw public key of the private key ``handle``."""

    def check_public_key(self, public_key: PublicKey) -> None:
        """Raise :class:`CryptoError` unless ``public_key`` is a key of this profile."""

    def recognizes_public_key(self, public_key: bytes) -> bool:
        """True when ``public_key`` has this profile's shape (a cheap check, not validation)."""

    def recognizes_signature(self, signature: bytes) -> bool:
        """True when ``signature`` has this profile's shape (a cheap check, not verification)."""

    def verify(self, public_key: PublicKey, message: bytes, signature: Signature) -> bool:
        """True when ``signature`` is ``public_key``'s signature of ``message``."""

    def private_pem(self, handle: object, passphrase: bytes | None) -> bytes:
        """A PKCS#8 PEM of the private key, encrypted when a passphrase is given."""

    def public_pem(self, handle: object) -> bytes:
        """A SubjectPublicKeyInfo PEM of the key's public half."""

    def load_private_pem(self, pem: bytes, passphrase: bytes | None = None) -> "PrivateKey":
        """Read a private key file of this profile."""

    def public_key_from_pem(self, pem: bytes) -> PublicKey:
        """Read a public key file of this profile as raw public key bytes."""


@dataclass(frozen=True)
class PrivateKey:
    """A private key with its profile; signs messages."""

    profile: "CryptoProfile"
    handle: object

    @property
    def public_key(self) -> PublicKey:
        return self.profile.public_bytes(self.handle)

    @property
    def key_id(self) -> str:
        return key_id(self.profile, self.public_key)

    def sign(self, message: bytes) -> Signature:
        return self.profile.sign(self.handle, message)

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        return self.profile.private_pem(self.handle, passphrase)

    def public_pem(self) -> bytes:
        return self.profile.public_pem(self.handle)


def key_id(profile: "CryptoProfile", public_key: PublicKey) -> str:
    """A key's short, stable name: the first 8 bytes of its hash, in hex."""
    return profile.hash(public_key)[:8].hex()


class KeyProfile(ABC):
    """What the profiles share about keys: raw public keys turned into their
    library's key objects once (a cache, since every signature check needs
    one), and key files — PKCS#8 PEM private keys (encrypted when a passphrase
    is given) and SubjectPublicKeyInfo PEM public keys — read and written
    through a pyca-style ``serialization`` module: pyca/cryptography's own, or
    the fork of it a profile's library ships (Tongsuo's, for SM2).

    A profile says how raw public key bytes become a key object, which module
    reads its files, which exceptions mean "not a key file this module reads",
    which loaded keys are its own, and how a key object becomes raw bytes.
    """

    name: str
    serialization: Any
    unreadable: tuple[type[Exception], ...] = (ValueError,)

    def __init__(self) -> None:
        self._keys: dict[bytes, Any] = {}

    @abstractmethod
    def load_public(self, public_key: PublicKey) -> Any:
        """The library's key object for raw ``public_key``; raise :class:`CryptoError` if it is none."""

    @abstractmethod
    def is_own_private(self, handle: object) -> bool:
        """True when a loaded private key is a key of this profile."""

    @abstractmethod
    def is_own_public(self, key: object) -> bool:
        """True when a loaded public key is a key of this profile."""

    @abstractmethod
    def raw_public(self, key: Any) -> PublicKey:
        """The raw bytes the chain stores for a public key object."""

    def _public(self, public_key: PublicKey) -> Any:
        key = self._keys.get(public_key)
        if key is None:
            key = self.load_public(public_key)
            if len(self._keys) > 100_000:
                self._keys.clear()
            self._keys[public_key] = key
        return key

    def check_public_key(self, public_key: PublicKey) -> None:
        """Raise :class:`CryptoError` unless ``public_key`` is a key of this profile."""
        self._public(public_key)

    def private_pem(self, handle: Any, passphrase: bytes | None) -> bytes:
        s = self.serialization
        encryption = s.BestAvailableEncryption(passphrase) if passphrase else s.NoEncryption()
        return handle.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, encryption)

    def public_pem(self, handle: Any) -> bytes:
        s = self.serialization
        return handle.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)

    def load_private_pem(self, pem: bytes, passphrase: bytes | None = None) -> "PrivateKey":
        try:
            handle = self.serialization.load_pem_private_key(pem, password=passphrase or None)
        except TypeError as exc:
            # pyca says TypeError for a missing or unexpected password
            raise KeyFileError(f"key file passphrase problem: {exc}") from None
        except self.unreadable as exc:
            # another profile's key file is UnsupportedAlgorithm to this module
            raise KeyFileError(f"cannot read private key (wrong passphrase or not PEM): {exc}") from None
        if not self.is_own_private(handle):
            raise KeyFileError(f"key file is not an {self.name} key", found=type(handle).__name__)
        return PrivateKey(self, handle)  # type: ignore[arg-type]

    def public_key_from_pem(self, pem: bytes) -> PublicKey:
        try:
            key = self.serialization.load_pem_public_key(pem)
        except self.unreadable as exc:
            raise KeyFileError(f"cannot read public key: {exc}") from None
        if not self.is_own_public(key):
            raise KeyFileError(f"key file is not an {self.name} key", found=type(key).__name__)
        return self.raw_public(key)


class Ed25519Sha256(KeyProfile):
    """The default profile: Ed25519 signatures (RFC 8032), SHA-256 hashes."""

    name = "ed25519-sha256"
    hash_size = 32
    public_key_size = 32
    signature_size = 64
    serialization = serialization
    unreadable = (ValueError, UnsupportedAlgorithm)

    def hash(self, data: bytes) -> Hash32:
        return hashlib.sha256(data).digest()

    def generate(self) -> PrivateKey:
        return PrivateKey(self, Ed25519PrivateKey.generate())

    def sign(self, handle: Ed25519PrivateKey, message: bytes) -> Signature:
        return handle.sign(message)

    def public_bytes(self, handle: Ed25519PrivateKey) -> PublicKey:
        return handle.public_key().public_bytes_raw()

    def load_public(self, public_key: PublicKey) -> Ed25519PublicKey:
        if len(public_key) != self.public_key_size:
            raise CryptoError("Ed25519 public keys are 32 bytes", length=len(public_key))
        try:
            return Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as exc:
            raise CryptoError(f"not an Ed25519 public key: {exc}") from None

    def recognizes_public_key(self, public_key: bytes) -> bool:
        return len(public_key) == self.public_key_size

    def recognizes_signature(self, signature: bytes) -> bool:
        return len(signature) == self.signature_size

    def verify(self, public_key: PublicKey, message: bytes, signature: Signature) -> bool:
        # Verification releases the GIL, so callers may fan out over threads.
        if len(signature) != self.signature_size:
            return False
        try:
            self._public(public_key).verify(signature, message)
        except (InvalidSignature, CryptoError):
            return False
        return True

    def is_own_private(self, handle: object) -> bool:
        return isinstance(handle, Ed25519PrivateKey)

    def is_own_public(self, key: object) -> bool:
        return isinstance(key, Ed25519PublicKey)

    def raw_public(self, key: Ed25519PublicKey) -> PublicKey:
        return key.public_bytes_raw()


def _sm2_sm3() -> CryptoProfile:
    # imported on first use, since chain.gm imports this module
    from chain.gm import Sm2Sm3

    return Sm2Sm3()


_PROFILES: dict[str, Callable[[], CryptoProfile]] = {Ed25519Sha256.name: Ed25519Sha256, "sm2-sm3": _sm2_sm3}
_instances: dict[str, CryptoProfile] = {}

ALIASES = {"ed25519": "ed25519-sha256", "sm2": "sm2-sm3"}
"""Short names people may type where a profile is chosen (the CLI); a genesis names the full one."""


def profile(name: str) -> CryptoProfile:
    """The profile called ``name`` (one shared instance per name)."""
    if name not in _PROFILES:
        raise UnknownProfile(f"unknown crypto profile {name!r}", profile=name, known=sorted(_PROFILES))
    if name not in _instances:
        _instances[name] = _PROFILES[name]()
    return _instances[name]


def profile_names() -> list[str]:
    return sorted(_PROFILES)


def canonical_name(name: str) -> str:
    """The full profile name for ``name`` or its alias (``sm2`` → ``sm2-sm3``); unknown names pass through."""
    return ALIASES.get(name, name)


def profile_of_signature(signature: bytes) -> CryptoProfile | None:
    """The profile whose signatures have the shape of ``signature``, if exactly one has."""
    found = [p for p in map(profile, profile_names()) if p.recognizes_signature(signature)]
    return found[0] if len(found) == 1 else None


def profile_of_public_key(public_key: bytes) -> CryptoProfile | None:
    """The profile whose public keys have the shape of ``public_key``, if exactly one has."""
    found = [p for p in map(profile, profile_names()) if p.recognizes_public_key(public_key)]
    return found[0] if len(found) == 1 else None


ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
"""The PEM label of an encrypted PKCS#8 private key, the form every profile writes under a passphrase."""


def load_private_key_file(path: str, passphrase: str | None = None) -> PrivateKey:
    """Read a PEM private key file of any known profile; an encrypted one without its passphrase
    is :class:`KeyFileEncrypted`, so the reader is told what to give rather than that the file is bad."""
    with open(path, "rb") as f:
        pem = f.read()
    encrypted = ENCRYPTED_PEM in pem
    if encrypted and not passphrase:
        raise KeyFileEncrypted(f"{path} is an encrypted key file and needs its passphrase", path=path)
    errors = []
    for name in profile_names():
        try:
            return profile(name).load_private_pem(pem, passphrase.encode() if passphrase else None)
        except KeyFileError as exc:
            errors.append(exc.message)
    if encrypted:
        raise KeyFileError(f"{path}: the passphrase does not open this encrypted key file", path=path,
                           reasons=errors)
    raise KeyFileError(f"{path}: not a key of any known profile", path=path, reasons=errors)

