"""Blocks: a header, the transactions, their results, and a commit.

The header commits to everything: the transactions (``tx_root``), what each
did (``result_root``), the state after them (``state_root``), every earlier
block (``history_root``, an RFC 9162 tree whose leaf 0 is the genesis hash and
leaf i the hash of block i) and the validator set. The block hash is the
profile hash of the header's canonical bytes. The commit carries validator
signatures over that hash; it is not part of the hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from chain.crypto import CryptoProfile
from chain.encoding import decode, encode, join_array
from chain.errors import EncodingError, MalformedRecord, TxMalformed
from chain.tx import Transaction

VOTE_DOMAIN = "mulu/precommit/v1"
"""The domain tag of the message validators sign to commit a block."""

STATUS_OK = "ok"
STATUS_REFUSED = "refused"


def _check_fields(record: str, plain: Any, spec: tuple[tuple[str, type], ...]) -> list:
    """Check a decoded record is a list of the named, typed fields."""
    if type(plain) is not list or len(plain) != len(spec):
        raise MalformedRecord(f"{record} must be a list of {len(spec)} fields", record=record)
    for (name, kind), value in zip(spec, plain):
        if type(value) is not kind:
            raise MalformedRecord(f"{record}.{name} must be {kind.__name__}", record=record, field=name)
    return plain


@dataclass(frozen=True)
class BlockHeader:
    """What a block commits to; its hash is the block hash."""

    chain_id: str
    height: int
    time: int  # milliseconds since 1970-01-01T00:00:00Z, block time for contracts
    prev_hash: bytes
    tx_root: bytes
    result_root: bytes
    state_root: bytes
    history_root: bytes
    validators_hash: bytes
    proposer: str

    SPEC = (("chain_id", str), ("height", int), ("time", int), ("prev_hash", bytes),
            ("tx_root", bytes), ("result_root", bytes), ("state_root", bytes),
            ("history_root", bytes), ("validators_hash", bytes), ("proposer", str))

    def to_plain(self) -> list:
        return [getattr(self, name) for name, _ in self.SPEC]

    @classmethod
    def from_plain(cls, plain: Any) -> "BlockHeader":
        return cls(*_check_fields("header", plain, cls.SPEC))

    def hash(self, profile: CryptoProfile) -> bytes:
        return profile.hash(encode(self.to_plain()))


@dataclass(frozen=True)
class TxResult:
    """What one transaction did: ``ok`` with events, or ``refused`` with the rule."""

    tx_id: bytes
    status: str
    code: str = ""
    message: str = ""
    article: str = ""
    field: str = ""
    events: tuple = ()

    SPEC = (("tx_id", bytes), ("status", str), ("code", str), ("message", str),
            ("article", str), ("field", str), ("events", list))

    def to_plain(self) -> list:
        return [self.tx_id, self.status, self.code, self.message, self.article, self.field,
                [list(e) for e in self.events]]

    def to_bytes(self) -> bytes:
        return self._bytes

    @cached_property
    def _bytes(self) -> bytes:
        return encode(self.to_plain())

    @classmethod
    def from_plain(cls, plain: Any) -> "TxResult":
        tx_id, status, code, message, article, field_, events = _check_fields("result", plain, cls.SPEC)
        if status not in (STATUS_OK, STATUS_REFUSED):
            raise MalformedRecord("result.status must be ok or refused", record="result", field="status")
        for event in events:
            if type(event) is not list or len(event) != 2 or type(event[0]) is not str or type(event[1]) is not dict:
                raise MalformedRecord("an event is [type, attributes]", record="result", field="events")
        return cls(tx_id, status, code, message, article, field_, tuple(tuple(e) for e in events))

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


@dataclass(frozen=True)
class CommitSig:
    """One validator's signature over the vote for a block."""

    validator: str
    signature: bytes


@dataclass(frozen=True)
class Commit:
    """Signatures of validators holding more than two thirds of the power."""

    height: int
    round: int
    block_hash: bytes
    signatures: tuple[CommitSig, ...]

    def to_plain(self) -> list:
        return [self.height, self.round, self.block_hash,
                [[s.validator, s.signature] for s in self.signatures]]

    @classmethod
    def from_plain(cls, plain: Any) -> "Commit":
        height, round_, block_hash, sigs = _check_fields(
            "commit", plain, (("height", int), ("round", int), ("block_hash", bytes), ("signatures", list)))
        out = []
        for sig in sigs:
            if type(sig) is not list or len(sig) != 2 or type(sig[0]) is not str or type(sig[1]) is not bytes:
                raise MalformedRecord("a commit signature is [validator, signature]", record="commit",
                                      field="signatures")
            out.append(CommitSig(sig[0], sig[1]))
        return cls(height, round_, block_hash, tuple(out))


@dataclass(frozen=True)
class Evidence:
    """Misbehaviour the consensus engine proved and put in a block (CometBFT's duplicate votes or
    light-client attacks): the validator, the height it misbehaved at, the kind, and the time of
    that height's block. A block carrying evidence records it in state (:mod:`contracts.evidence`)."""

    validator: str
    height: int
    kind: str
    time: int

    SPEC = (("validator", str), ("height", int), ("kind", str), ("time", int))

    def to_plain(self) -> list:
        return [self.validator, self.height, self.kind, self.time]

    @classmethod
    def from_plain(cls, plain: Any) -> "Evidence":
        return cls(*_check_fields("evidence", plain, cls.SPEC))


def vote_bytes(chain_id: str, height: int, round_: int, block_hash: bytes) -> bytes:
    """What a validator signs to commit ``block_hash`` at ``height``."""
    return encode([VOTE_DOMAIN, chain_id, height, round_, block_hash])


@dataclass(frozen=True)
class Block:
    """A header, its transactions and results, the evidence it records (usually none), and (once
    final) its commit.

    Its canonical form is ``[header, txs, results, commit]``, or ``[header, txs,
    results, evidence, commit]`` when it carries evidence; the commit is always
    last. The evidence is not in the header: what it records is, through the
    state root.
    """

    header: BlockHeader
    txs: tuple[Transaction, ...]
    results: tuple[TxResult, ...]
    commit: Commit | None = None
    evidence: tuple[Evidence, ...] = ()

    @property
    def height(self) -> int:
        return self.header.height

    def to_plain(self) -> list:
        evidence = [[e.to_plain() for e in self.evidence]] if self.evidence else []
        return [self.header.to_plain(), [tx.to_plain() for tx in self.txs],
                [r.to_plain() for r in self.results], *evidence,
                None if self.commit is None else self.commit.to_plain()]

    def to_bytes(self) -> bytes:
        """The canonical bytes, reusing each transaction's wire bytes."""
        evidence = [encode([e.to_plain() for e in self.evidence])] if self.evidence else []
        return join_array([
            encode(self.header.to_plain()),
            join_array([tx.to_bytes() for tx in self.txs]),
            join_array([r.to_bytes() for r in self.results]),
            *evidence,
            encode(None if self.commit is None else self.commit.to_plain()),
        ])

    @classmethod
    def from_plain(cls, plain: Any) -> "Block":
        if type(plain) is not list or len(plain) not in (4, 5):
            raise MalformedRecord("a block is [header, txs, results, (evidence,) commit]", record="block")
        evidence_p: Any = []
        if len(plain) == 5:
            header_p, txs_p, results_p, evidence_p, commit_p = plain
            if type(evidence_p) is not list or not evidence_p:
                raise MalformedRecord("a block's evidence is a non-empty list", record="block", field="evidence")
        else:
            header_p, txs_p, results_p, commit_p = plain
        if type(txs_p) is not list or type(results_p) is not list:
            raise MalformedRecord("block txs and results are lists", record="block", field="txs")
        txs = []
        for i, tx in enumerate(txs_p):
            try:
                txs.append(Transaction.from_plain(tx))
            except TxMalformed as exc:
                raise MalformedRecord(f"block tx {i}: {exc}", record="block", field=f"txs[{i}]") from None
        return cls(
            BlockHeader.from_plain(header_p),
            tuple(txs),
            tuple(TxResult.from_plain(r) for r in results_p),
            None if commit_p is None else Commit.from_plain(commit_p),
            tuple(Evidence.from_plain(e) for e in evidence_p),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "Block":
        try:
            plain = decode(data)
        except EncodingError as exc:
            raise MalformedRecord(f"block bytes: {exc.message}", record="block", encoding=exc.code) from None
        return cls.from_plain(plain)


@dataclass(frozen=True)
class StoredParts:
    """A stored block's parts as their canonical bytes, split without decoding the transactions."""

    header: BlockHeader
    txs: tuple[bytes, ...]
    results: tuple[bytes, ...]
    commit: Commit | None


def split_stored(data: bytes) -> StoredParts:
    """The parts of a block's stored bytes (:meth:`Block.to_bytes`): the header and commit decoded,
    each transaction's and result's wire bytes sliced out as they are — what an inclusion proof
    hashes — so that proving a few transactions of a large block decodes none of the others."""
    import msgpack

    try:
        reader = msgpack.Unpacker(max_buffer_size=len(data) + 1)
        reader.feed(data)
        size = reader.read_array_header()
        if size not in (4, 5):
            raise ValueError("not a block")
        start = reader.tell()
        reader.skip()
        header = BlockHeader.from_plain(decode(data[start:reader.tell()]))
        lists: list[tuple[bytes, ...]] = []
        for _ in range(2):
            parts = []
            for _ in range(reader.read_array_header()):
                start = reader.tell()
                reader.skip()
                parts.append(data[start:reader.tell()])
            lists.append(tuple(parts))
        if size == 5:
            reader.skip()
        start = reader.tell()
        reader.skip()
        commit_plain = decode(data[start:reader.tell()])
    except (ValueError, msgpack.exceptions.UnpackException, EncodingError) as exc:
        raise MalformedRecord(f"stored block bytes: {exc}", record="block") from None
    return StoredParts(header, lists[0], lists[1], None if commit_plain is None else Commit.from_plain(commit_plain))
