"""The typed error tree of mulu, with stable codes.

Every error a user can meet carries a stable ``code`` (upper snake case, never
reused for another meaning), a human message and structured ``details``. The
API maps the classes below to HTTP statuses in one place (``node.errors``);
domain code never speaks HTTP.
"""

from __future__ import annotations

from typing import Any


class MuluError(Exception):
    """Base of every error mulu raises on purpose."""

    code: str = "MULU_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The ``{code, message, details}`` body shown to users."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}: {self.message}, {self.details})"


# --- bytes and records -------------------------------------------------------


class EncodingError(MuluError):
    """Bytes that are not the canonical encoding of a supported value."""

    code = "ENCODING_INVALID"


class NonCanonicalEncoding(EncodingError):
    """Decodable bytes that are not the one canonical form of their value."""

    code = "ENCODING_NON_CANONICAL"


class TrailingBytes(EncodingError):
    """Bytes left over after one complete value."""

    code = "ENCODING_TRAILING_BYTES"


class UnsupportedValue(EncodingError):
    """A value the canonical encoding does not carry (floats, sets, objects...)."""

    code = "ENCODING_UNSUPPORTED_VALUE"


class MalformedRecord(EncodingError):
    """Canonical bytes whose shape is not the record expected."""

    code = "RECORD_MALFORMED"


# --- keys and signatures -----------------------------------------------------


class CryptoError(MuluError):
    """A key or signature problem."""

    code = "CRYPTO_ERROR"


class KeyFileError(CryptoError):
    """A key file that cannot be read (wrong format, wrong passphrase)."""

    code = "KEY_FILE_INVALID"


class KeyFileEncrypted(KeyFileError):
    """An encrypted key file read without a passphrase: it is not a bad file, it needs one."""

    code = "KEY_FILE_ENCRYPTED"


class EnvelopeInvalid(CryptoError):
    """An envelope that does not open: another recipient, another context, or changed bytes."""

    code = "ENVELOPE_INVALID"


class UnknownProfile(CryptoError):
    """A crypto profile name this build does not provide."""

    code = "PROFILE_UNKNOWN"


# --- transactions (refused before the mempool) -------------------------------


class TxRejected(MuluError):
    """A transaction refused at the door: it never reaches the mempool."""

    code = "TX_REJECTED"


class TxMalformed(TxRejected):
    code = "TX_MALFORMED"


class TxTooLarge(TxRejected):
    code = "TX_TOO_LARGE"


class BatchTooLarge(TxRejected):
    code = "BATCH_TOO_LARGE"


class ChainIdMismatch(TxRejected):
    code = "TX_CHAIN_ID_MISMATCH"


class SignatureInvalid(TxRejected):
    code = "TX_SIGNATURE_INVALID"


class ProfileMismatch(TxRejected):
    """A transaction signed under another crypto profile than the chain's (a chain never mixes profiles)."""

    code = "TX_PROFILE_MISMATCH"


class SenderUnknown(TxRejected):
    code = "TX_SENDER_UNKNOWN"


class SenderRemoved(SenderUnknown):
    """A sender that was a member and has been removed by governance."""

    code = "TX_SENDER_REMOVED"


class KeyUnknown(TxRejected):
    code = "TX_KEY_UNKNOWN"


class NonceReplayed(TxRejected):
    code = "TX_NONCE_REPLAYED"


class NonceGap(TxRejected):
    code = "TX_NONCE_GAP"


class TxDuplicate(TxRejected):
    code = "TX_DUPLICATE"


class ContractUnknown(TxRejected):
    code = "CONTRACT_UNKNOWN"


class MethodUnknown(TxRejected):
    code = "METHOD_UNKNOWN"


class ArgsInvalid(TxRejected):
    """Arguments that fail a method's static checks (shape, types, sizes)."""

    code = "TX_ARGS_INVALID"


class NotAuthorized(TxRejected):
    """The sender's roles do not allow this method."""

    code = "TX_NOT_AUTHORIZED"


class MempoolFull(TxRejected):
    code = "MEMPOOL_FULL"


# --- contract rules (recorded in the block as refused) ------------------------


class RuleViolation(MuluError):
    """A contract rule refused a transaction during execution.

    The refusal is recorded in the block with ``code``, ``article`` (the seed
    article the rule enforces, e.g. ``000:第九条``) and ``field`` (the argument
    at fault), and changes no state.
    """

    code = "RULE_VIOLATION"

    def __init__(self, code: str, message: str, *, article: str = "", field: str = "", **details: Any):
        super().__init__(message, code=code, article=article, field=field, **details)
        self.article = article
        self.field = field


# --- blocks, ledger, storage -------------------------------------------------


class BlockInvalid(MuluError):
    """A block that does not follow from the chain before it."""

    code = "BLOCK_INVALID"


class GenesisInvalid(MuluError):
    code = "GENESIS_INVALID"


class StateDiverged(MuluError):
    """This node computed a different root than the block carries: stop loudly."""

    code = "STATE_DIVERGED"


class StorageError(MuluError):
    """The store failed to open, read or write."""

    code = "STORAGE_ERROR"


class StoreCorrupt(StorageError):
    """The store's files are damaged or inconsistent: a failed checksum, a truncated or
    missing table, a tip that does not match what the store holds for it."""

    code = "STORE_CORRUPT"


class StoreMissing(StorageError):
    """No store where one is expected: only ``mulu init`` makes a store, so nothing opens
    or creates an empty one in place of a lost one."""

    code = "STORE_MISSING"


class StoreLocked(StorageError):
    """Another process (most likely a running node) holds the store open."""

    code = "STORE_LOCKED"


class ProofInvalid(MuluError):
    """A Merkle or state proof that does not verify, or a malformed one."""

    code = "PROOF_INVALID"


class NotFound(MuluError):
    code = "NOT_FOUND"


class BadRequest(MuluError):
    """A query whose parameters are out of range or inconsistent."""

    code = "BAD_REQUEST"


class Unavailable(MuluError):
    """The node cannot serve this now (stopping, not started, overloaded)."""

    code = "UNAVAILABLE"
