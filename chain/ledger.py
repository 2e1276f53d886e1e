"""The ledger: blocks, state and proofs in one store, advanced one block at a time.

The state transition reads in order: build or receive a block, execute its
transactions (:mod:`chain.execution`), recompute its roots and compare them
with the header, check its commit, and only then append it. Appending is one
atomic store batch holding the block, its transaction index, the state
versions, the state-tree nodes, the history-tree nodes and the new tip: a
crash leaves the previous block as the tip or the new one, never a mixture.

Store prefixes: ``G`` genesis, ``F`` the layout's version, ``tip``, ``B`` blocks by height, ``T`` tx id →
location, ``c``/``v`` state and ``x`` derived indexes (:mod:`chain.state`),
``N`` state-tree nodes, ``M`` history-tree nodes, ``H`` block hashes by height.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Sequence

from chain import merkle
from chain.archive import write_archive
from chain.block import Block, BlockHeader, Commit, CommitSig, Evidence, vote_bytes
from chain.encoding import decode_trusted, encode
from chain.admission import SignatureChecker
from chain.errors import BadRequest, BlockInvalid, GenesisInvalid, MuluError, NotFound, StoreCorrupt, TxRejected
from chain.execution import Execution, Machine, execute_txs
from chain.genesis import Genesis, Validator, validators_hash
from chain.state import StateReader, check_key, version_writes
from chain.statetree import StateTree
from chain.store import Store
from chain.tx import Transaction

PARAMS_KEY = "chain/params"
_H = struct.Struct(">Q")
_NO_COMMIT = encode(None)


@dataclass
class Candidate:
    """A block executed over the tip but not yet stored: the block (without its
    commit), the store writes that append it, and the transactions left out of
    it as ``(index in the transactions given, refusal)``; ``engine_time`` is the
    time it was proposed at, from which its block time follows."""

    block: Block
    puts: list[tuple[bytes, bytes | None]] = field(repr=False)
    dropped: list[tuple[int, TxRejected]] = field(default_factory=list)
    engine_time: int = 0
    new_sets: list[tuple[int, tuple[Validator, ...]]] = field(default_factory=list)
    """The validator sets this block schedules, by effective height (a governance action's)."""


@dataclass(frozen=True)
class Tip:
    height: int
    hash: bytes
    time: int


STORE_FORMAT = b"5"
"""The store layout this code writes and reads (2: each state record stored once,
derived indexes under ``x``; 3: every write of a block a version of its own, ``v`` keys
ordered by height and sequence, and governance's proposal-status index; 4: the catalog's
一数一源 index lists the entries declaring each item; 5: the validator sets in state, by effective height).
A store of another layout is refused when opened."""


class Ledger:
    """One chain's blocks and state in a :class:`Store`, executed by a :class:`Machine`."""

    def __init__(self, store: Store, genesis: Genesis, machine: Machine, *, verify_threads: int = 2) -> None:
        self.store = store
        self.genesis = genesis
        self.machine = machine
        self.profile = genesis.profile
        self.state = StateReader(store, self.profile)
        self.signatures = SignatureChecker(self.profile, verify_threads)
        self.lock = threading.RLock()
        self._tree = StateTree(self.profile.hash, lambda k: store.get(b"N" + k))
        stored = store.get(b"G")
        if stored is None:
            if not store.created:
                raise StoreCorrupt("the store holds no genesis: only a store just created gets one")
            self._write_genesis()
        elif stored != genesis.canonical:
            raise GenesisInvalid("this store holds a chain with another genesis", chain_id=genesis.chain_id)
        elif store.get(b"F") != STORE_FORMAT:
            raise StoreCorrupt("this store was written in another layout by an older mulu; make a new home "
                               "(or replay an export into one)", code="STORE_FORMAT_OLD",
                               found=(store.get(b"F") or b"1").decode(), expected=STORE_FORMAT.decode())
        raw_tip = store.get(b"tip")
        if raw_tip is None:
            raise StoreCorrupt("the store has a genesis but no tip")
        height, tip_hash, tip_time = decode_trusted(raw_tip)
        self.tip = Tip(height, tip_hash, tip_time)
        self.certified = height if height == 0 or self._tip_certified(height) else height - 1
        self._uncertified: tuple[BlockHeader, bytes] | None = None  # the tip's header and bytes, while uncertified
        """The last block stored with its commit certificate (the tip, or the block before it while the
        tip's certificate has yet to come with the next block)."""
        self.history = merkle.HistoryTree(self.profile.hash, self._history_node, height + 1)
        self.params: dict[str, int] = self.state.get(PARAMS_KEY)
        self._sets: list[tuple[int, tuple[Validator, ...]]] = []
        self._set_keys: dict[int, str] = {}
        """The state key of each set's record, by effective height."""
        self._set_changes: dict[int, dict[str, Any]] = {}
        """The proof of each set change already built, by effective height (a certified block's state never
        changes, so neither does its proof)."""
        self._load_sets()

    def _tip_certified(self, height: int) -> bool:
        """Whether the tip block is stored with its commit (a damaged tip is :meth:`check_tip`'s to name)."""
        try:
            return self.block(height).commit is not None
        except (MuluError, ValueError, TypeError):
            return True

    # --- genesis -------------------------------------------------------------

    def _write_genesis(self) -> None:
        g = self.genesis
        writes = dict(self.machine.genesis_writes(g))
        writes[PARAMS_KEY] = dict(g.params)
        puts, updates = version_writes(self.state, self.profile, 0, writes)
        _, nodes = self._tree.apply(None, 0, updates)
        history = merkle.HistoryTree(self.profile.hash, self._history_node, 0)
        puts += [(b"N" + k, v) for k, v in nodes]
        puts += self._history_puts(history, 0, g.hash)
        puts.append((b"G", g.canonical))
        puts.append((b"F", STORE_FORMAT))
        puts.append((b"tip", encode([0, g.hash, g.genesis_time])))
        self.store.write(puts)

    def _history_puts(self, history: merkle.HistoryTree, height: int, block_hash: bytes) -> list:
        """Append ``block_hash`` as leaf ``height`` of the history tree; the puts that store it."""
        nodes = history.append(merkle.leaf_hash(self.profile.hash, block_hash))
        puts = [(b"M" + merkle.node_key(*pos), h) for pos, h in nodes]
        puts.append((b"H" + _H.pack(height), block_hash))
        return puts

    def _history_node(self, level: int, index: int) -> bytes | None:
        return self.store.get(b"M" + merkle.node_key(level, index))

    # --- start-up ------------------------------------------------------------

    def check_tip(self) -> None:
        """Check that the store is whole at its tip, before a node or export relies on it.

        The tip's block must decode and hash to the tip's hash, which the history
        tree must hold as its last leaf; the block's header must carry the state
        tree's root stored for its height and the history root of the blocks
        before it. A few reads, each checksum-verified: damage elsewhere is for
        ``mulu store check``'s full scan. Raises :class:`StoreCorrupt` naming the
        part that differs.
        """
        tip = self.tip
        where = {"height": tip.height}
        if self.store.get(b"H" + _H.pack(tip.height)) != tip.hash:
            raise StoreCorrupt("the block hash stored for the tip's height is not the tip's", part="H", **where)
        if self._history_node(0, tip.height) != merkle.leaf_hash(self.profile.hash, tip.hash):
            raise StoreCorrupt("the history tree's last leaf is not the tip", part="M", **where)
        state_root = self._tree.root_hash(tip.height)
        if tip.height == 0:
            if tip.hash != self.genesis.hash:
                raise StoreCorrupt("the tip at height 0 is not the genesis", part="tip", **where)
            return
        raw = self.store.get(b"B" + _H.pack(tip.height))
        try:
            header = Block.from_plain(decode_trusted(raw)).header
        except (MuluError, ValueError, TypeError):
            raise StoreCorrupt("the tip's block is missing or does not decode", part="B", **where) from None
        expect = {"hash": (header.hash(self.profile), tip.hash), "height": (header.height, tip.height),
                  "time": (header.time, tip.time), "state_root": (header.state_root, state_root),
                  "history_root": (header.history_root, self.history.root(tip.height))}
        for name, (found, stored) in expect.items():
            if found != stored:
                raise StoreCorrupt(f"the tip block's {name} differs from the store's", part="B",
                                   field=f"header.{name}", **where)

    # --- the state transition -----------------------------------------------

    def execute(self, txs: Sequence[Transaction | bytes], time: int, proposer: str, *,
                drop_invalid: bool, evidence: Sequence[Evidence] = ()) -> Candidate:
        """Execute ``txs`` as the next block, proposed at ``time`` (the engine's clock) by ``proposer``.

        The block's time follows the chain's clock from ``time``: the scripted
        time of its height, or ``time`` but never before the tip's. With
        ``drop_invalid`` (building a proposal) a transaction failing admission is
        left out; without it (a block decided elsewhere) it makes the block invalid.
        """
        dropped: list[tuple[int, TxRejected]] = []
        engine_time = time
        with self.lock:
            time = self.genesis.block_time(self.tip.height + 1, max(time, self.tip.time + 1))
            execution, kept = execute_txs(
                self.machine, self.genesis, self.params, self.state, self.signatures, txs,
                self.tip.height + 1, time,
                on_reject=(lambda i, exc: dropped.append((i, exc))) if drop_invalid else None, evidence=evidence)
            header, puts = self._seal(execution, kept, time, proposer)
            block = Block(header, tuple(kept), tuple(execution.results), evidence=tuple(evidence))
            return Candidate(block, puts, dropped, engine_time, self.machine.scheduled_sets(execution.writes))

    def process(self, block: Block) -> Candidate:
        """Re-execute a received block and check every header field against the result."""
        with self.lock:
            h = block.header
            expect = {"chain_id": self.genesis.chain_id, "height": self.tip.height + 1,
                      "prev_hash": self.tip.hash}
            for name, value in expect.items():
                if getattr(h, name) != value:
                    raise BlockInvalid(f"header.{name} is {getattr(h, name)!r}, expected {value!r}",
                                       height=h.height, field=f"header.{name}")
            self._check_time(h)
            execution, _ = execute_txs(self.machine, self.genesis, self.params, self.state,
                                       self.signatures, block.txs, h.height, h.time, evidence=block.evidence)
            header, puts = self._seal(execution, list(block.txs), h.time, h.proposer)
            if tuple(execution.results) != block.results:
                bad = next(i for i, (a, b) in enumerate(zip(execution.results, block.results)) if a != b) \
                    if len(execution.results) == len(block.results) else len(block.results)
                raise BlockInvalid("block results differ from re-execution", height=h.height,
                                   field=f"results[{bad}]")
            for name, _ in BlockHeader.SPEC:
                if getattr(header, name) != getattr(h, name):
                    raise BlockInvalid(f"header.{name} differs from re-execution", height=h.height,
                                       field=f"header.{name}")
            return Candidate(block, puts, new_sets=self.machine.scheduled_sets(execution.writes))

    def _check_time(self, h: BlockHeader) -> None:
        if self.genesis.clock.mode == "scripted":
            ok = h.time == self.genesis.clock.scripted_time(h.height)
        else:
            ok = h.time > self.tip.time
        if not ok:
            raise BlockInvalid("header.time breaks the chain's clock", height=h.height, field="header.time")
        if h.proposer not in {v.name for v in self.validators_at(h.height)}:
            raise BlockInvalid("header.proposer is not a validator", height=h.height, field="header.proposer")

    def _seal(self, execution: Execution, txs: list[Transaction], time: int,
              proposer: str) -> tuple[BlockHeader, list[tuple[bytes, bytes | None]]]:
        """Compute a block's roots and the store writes that append it."""
        height = self.tip.height + 1
        h = self.profile.hash
        puts, updates = version_writes(self.state, self.profile, height, execution.writes, execution.earlier)
        state_root, nodes = self._tree.apply(height - 1, height, updates)
        puts += [(b"N" + k, v) for k, v in nodes]
        tx_leaves = [merkle.leaf_hash(h, tx.to_bytes()) for tx in txs]
        result_leaves = [merkle.leaf_hash(h, r.to_bytes()) for r in execution.results]
        header = BlockHeader(
            chain_id=self.genesis.chain_id, height=height, time=time, prev_hash=self.tip.hash,
            tx_root=merkle.root(h, tx_leaves), result_root=merkle.root(h, result_leaves),
            state_root=state_root, history_root=self.history.root(height),
            validators_hash=validators_hash(self.profile, self.validators_at(height)), proposer=proposer)
        for i, r in enumerate(execution.results):
            puts.append((b"T" + r.tx_id, encode([height, i])))
        return header, puts

    def check_commit(self, header: BlockHeader, commit: Commit) -> None:
        check_commit(self.genesis, header, commit, self.validators_at(header.height))

    def validators_at(self, height: int) -> tuple[Validator, ...]:
        """The validator set in force at block ``height`` (a set is written two blocks before it takes
        effect, so state at the tip has it)."""
        return set_in_force([(0, self.genesis.validators), *self._sets], height)

    def known_validators(self) -> list[Validator]:
        """Every validator of every set the chain has had or scheduled (genesis's first)."""
        return [v for _, vs in [(0, self.genesis.validators), *self._sets] for v in vs]

    def _load_sets(self) -> None:
        listing = _Listing(self.state)
        self._sets = self.machine.validator_sets(listing)
        self._set_keys = {effective: key for key, value in listing.listed.items()
                          for effective, _ in self.machine.scheduled_sets({key: value})}

    def append(self, candidate: Candidate, commit: Commit | None, certify: Commit | None = None) -> Block:
        """Append an executed block, in one atomic write, with its commit, or without it when the
        commit is to come with the next block; ``certify`` is the tip's commit, stored with the tip
        in the same write."""
        with self.lock:
            block = replace(candidate.block, commit=commit)
            header = block.header
            if header.height != self.tip.height + 1 or header.prev_hash != self.tip.hash:
                raise BlockInvalid("block does not extend the tip", height=header.height, field="header.height")
            if commit is not None:
                self.check_commit(header, commit)
            block_hash = header.hash(self.profile)
            puts = list(candidate.puts)
            if certify is not None:
                puts.append(self._certify(certify))
            raw = block.to_bytes()
            puts.append((b"B" + _H.pack(header.height), raw))
            history = merkle.HistoryTree(self.profile.hash, self._history_node, self.history.size)
            puts += self._history_puts(history, header.height, block_hash)
            puts.append((b"tip", encode([header.height, block_hash, header.time])))
            self.store.write(puts)
            self.history = history
            self.tip = Tip(header.height, block_hash, header.time)
            self._uncertified = None if commit is not None else (header, raw)
            if commit is not None:
                self.certified = header.height
            elif certify is not None:
                self.certified = certify.height
            self.params = self.state.get(PARAMS_KEY)
            if candidate.new_sets:
                self._load_sets()
            return block

    def _certify(self, commit: Commit) -> tuple[bytes, bytes]:
        """The put storing the tip block again with ``commit``, checked against it.

        A block's bytes end with its commit (``None`` until certified, one
        byte), so the certified bytes are the stored ones with that last value
        replaced: a block of thousands of transactions is not decoded and
        encoded again.
        """
        if self._uncertified is None or self._uncertified[0].height != self.tip.height:
            tip = self.block(self.tip.height)  # after a restart: read once
            if tip.commit is None:
                self._uncertified = (tip.header, tip.to_bytes())
        if self._uncertified is None or commit.height != self.tip.height:
            raise BlockInvalid(f"a certificate for block {commit.height} cannot be stored: the tip is "
                               f"{self.tip.height}{'' if self._uncertified else ' and certified'}",
                               height=commit.height, field="certificate.height")
        header, raw = self._uncertified
        self.check_commit(header, commit)
        assert raw[-1:] == _NO_COMMIT, "a stored block ends with its commit"
        return b"B" + _H.pack(header.height), raw[:-1] + encode(commit.to_plain())

    def state_root(self, height: int | None = None) -> bytes:
        """The state root after block ``height`` (default: the tip)."""
        return self._tree.root_hash(self.tip.height if height is None else height)

    # --- reads ---------------------------------------------------------------

    def block(self, height: int) -> Block:
        raw = self.store.get(b"B" + _H.pack(height)) if height >= 1 else None
        if raw is None:
            raise NotFound(f"no block at height {height}", code="BLOCK_NOT_FOUND", height=height)
        return Block.from_plain(decode_trusted(raw))

    def raw_block(self, height: int) -> bytes:
        """The stored bytes of block ``height`` (:meth:`chain.block.Block.to_bytes`)."""
        raw = self.store.get(b"B" + _H.pack(height)) if height >= 1 else None
        if raw is None:
            raise NotFound(f"no block at height {height}", code="BLOCK_NOT_FOUND", height=height)
        return raw

    def raw_blocks(self, upto: int) -> Iterator[bytes]:
        """The stored bytes of blocks 1..``upto``, in order."""
        for height in range(1, upto + 1):
            raw = self.store.get(b"B" + _H.pack(height))
            if raw is None:
                raise StoreCorrupt(f"block {height} is missing from the store", height=height)
            yield raw

    def export(self, out) -> int:
        """Write the chain as one archive file (see :mod:`chain.archive`), up to its last certified block."""
        height = self.certified
        return write_archive(out, self.genesis.doc, self.raw_blocks(height), (height, self.block_hash(height)))

    def block_hash(self, height: int) -> bytes:
        """The hash of block ``height`` (the genesis hash at 0)."""
        if not 0 <= height <= self.tip.height:
            raise NotFound(f"no block at height {height}", code="BLOCK_NOT_FOUND", height=height)
        return self.store.get(b"H" + _H.pack(height))

    def locate(self, tx_id: bytes) -> tuple[int, int]:
        raw = self.store.get(b"T" + tx_id)
        if raw is None:
            raise NotFound("no committed transaction with this id", code="TX_NOT_FOUND", tx_id=tx_id.hex())
        height, index = decode_trusted(raw)
        return height, index

    def transaction(self, tx_id: bytes) -> tuple[Block, int]:
        """The block holding ``tx_id`` and its index there."""
        height, index = self.locate(tx_id)
        return self.block(height), index

    def tx_proof(self, tx_id: bytes) -> dict[str, Any]:
        """Everything needed to check offline that ``tx_id`` is in a committed block."""
        block, index = self.transaction(tx_id)
        h = self.profile.hash
        tx_leaves = [merkle.leaf_hash(h, tx.to_bytes()) for tx in block.txs]
        result_leaves = [merkle.leaf_hash(h, r.to_bytes()) for r in block.results]
        return {
            "height": block.height, "index": index, "size": len(block.txs),
            "tx": block.txs[index].to_bytes(), "result": block.results[index].to_bytes(),
            "tx_path": merkle.inclusion_proof(h, tx_leaves, index),
            "result_path": merkle.inclusion_proof(h, result_leaves, index),
            "header": block.header.to_plain(), "commit": _certificate(block).to_plain(),
            "set_changes": self.set_changes(block.height),
        }

    def _committed_header(self, height: int) -> dict[str, Any]:
        block = self.block(height)
        return {"header": block.header.to_plain(), "commit": _certificate(block).to_plain()}

    def set_changes(self, height: int) -> list[dict[str, Any]]:
        """How a verifier holding only the genesis comes to trust the validator set in force at
        ``height``: each set that took effect by then (genesis's excluded), oldest first, as a state
        proof of its record under the header of the block that wrote it, which the set before it
        certified. Empty while the genesis set is in force. (:func:`chain.proofs.verify` walks them.)"""
        changes = []
        for effective, _ in self._sets:
            if 0 < effective <= height:
                if effective not in self._set_changes:
                    key = self._set_keys[effective]
                    written = self.state.history(key, limit=1)[0].height
                    self._set_changes[effective] = {**self.state_path(key, written),
                                                    **self._committed_header(written)}
                changes.append(self._set_changes[effective])
        return changes

    def block_proof(self, height: int, at: int | None = None) -> dict[str, Any]:
        """Block ``height``'s hash with an inclusion path to the history root of block ``at``.

        Block ``at``'s header commits to every block before it, so ``height < at``.
        """
        at = self.certified if at is None else at
        if at > self.tip.height or at < 1:
            raise NotFound(f"no block {at} to prove against; the tip is {self.tip.height}", code="BLOCK_NOT_FOUND",
                           height=at)
        if not 0 <= height < at:
            raise BadRequest("a block proof needs 0 <= height < at <= tip", height=height, at=at,
                             tip=self.tip.height)
        return {"height": height, "at": at, "block_hash": self.block_hash(height),
                "path": self.history.inclusion_proof(height, at), **self._committed_header(at),
                "set_changes": self.set_changes(at)}

    def consistency_proof(self, old: int, new: int | None = None) -> dict[str, Any]:
        """A proof that block ``new``'s history extends block ``old``'s (RFC 9162 consistency)."""
        new = self.certified if new is None else new
        if max(old, new) > self.tip.height:
            raise NotFound(f"no block {max(old, new)}; the tip is {self.tip.height}", code="BLOCK_NOT_FOUND",
                           height=max(old, new))
        if not 1 <= old <= new:
            raise BadRequest("a consistency proof needs 1 <= old <= new <= tip", old=old, new=new,
                             tip=self.tip.height)
        old_header = self._committed_header(old)
        return {"old": old, "new": new, "path": self.history.consistency_proof(old, new),
                "old_header": old_header["header"], "old_commit": old_header["commit"],
                **self._committed_header(new), "set_changes": self.set_changes(new)}

    def state_proof(self, key: str, height: int | None = None) -> dict[str, Any]:
        """A record's version at ``height`` (default: the last certified block) with a state-tree proof
        under that block's committed header (none at height 0, whose state the genesis file defines)."""
        height = self.certified if height is None else height
        if not 0 <= height <= self.tip.height:
            raise NotFound(f"no state at height {height}", code="BLOCK_NOT_FOUND", height=height)
        proof = self.state_path(key, height)
        if height == 0:
            return proof
        return {**proof, **self._committed_header(height), "set_changes": self.set_changes(height)}

    def state_path(self, key: str, height: int) -> dict[str, Any]:
        """``key``'s version at ``height`` (or None) with its path to that height's state root."""
        version = self.state.version(key, height)
        proof = self._tree.prove(height, self.profile.hash(check_key(key)))
        return {"key": key, "height": height, "record": None if version is None else version.raw,
                "proof": proof.to_plain()}

    def close(self) -> None:
        self.signatures.close()
        self.store.close()


class _Listing:
    """A state reader that keeps the records listed through it: reading the validator sets through
    one, the ledger learns the keys of their records, which the machine's layout spells, not the ledger."""

    def __init__(self, reader: StateReader) -> None:
        self.reader = reader
        self.listed: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.reader.get(key)

    def keys(self, prefix: str, **kw: Any) -> Iterator[tuple[str, Any]]:
        for key, value in self.reader.keys(prefix, **kw):
            self.listed[key] = value
            yield key, value


def set_in_force(schedule: Sequence[tuple[int, tuple[Validator, ...]]], height: int) -> tuple[Validator, ...]:
    """The validator set in force at block ``height`` from a schedule of ``(effective height, set)``
    in order of effective height, the genesis set first: the newest set whose effective height is not after it."""
    found = schedule[0][1]
    for effective, validators in schedule:
        if effective > height:
            break
        found = validators
    return found


def _certificate(block: Block) -> Commit:
    """A stored block's commit; a block whose certificate has yet to come cannot prove anything."""
    if block.commit is None:
        raise NotFound(f"block {block.height} is decided but its commit certificate comes with the next block",
                       code="BLOCK_NOT_CERTIFIED", height=block.height)
    return block.commit


def sign_commit(ledger: Ledger, header: BlockHeader, validator: str, key: Callable[[bytes], bytes],
                round_: int = 0) -> Commit:
    """A commit for ``header`` signed by one validator (what solo consensus does)."""
    block_hash = header.hash(ledger.profile)
    message = vote_bytes(ledger.genesis.chain_id, header.height, round_, block_hash)
    return Commit(header.height, round_, block_hash, (CommitSig(validator, key(message)),))


def check_commit(genesis: Genesis, header: BlockHeader, commit: Commit,
                 validators: Sequence[Validator] | None = None) -> None:
    """A commit must be for ``header``'s block and carry signatures of more than 2/3 of the validators' power."""
    if commit.height != header.height or commit.block_hash != header.hash(genesis.profile):
        raise BlockInvalid("commit is for another block", field="commit.block_hash", height=header.height)
    check_signatures(genesis, commit, validators)


def check_signatures(genesis: Genesis, commit: Commit, validators: Sequence[Validator] | None = None) -> None:
    """``commit``'s signatures must be of distinct validators holding more than 2/3 of the power, each
    over the vote for the block hash and height it names."""
    where = {"height": commit.height}
    validators = {v.name: v for v in (genesis.validators if validators is None else validators)}
    total = sum(v.power for v in validators.values())
    message = vote_bytes(genesis.chain_id, commit.height, commit.round, commit.block_hash)
    power, seen = 0, set()
    for i, sig in enumerate(commit.signatures):
        v = validators.get(sig.validator)
        if v is None or sig.validator in seen:
            raise BlockInvalid("commit signer is unknown or repeated",
                               field=f"commit.signatures[{i}].validator", **where)
        if not genesis.profile.verify(v.public_key, message, sig.signature):
            raise BlockInvalid(f"the commit signature of validator {sig.validator} does not verify",
                               field=f"commit.signatures[{i}].signature", validator=sig.validator, **where)
        seen.add(sig.validator)
        power += v.power
    if 3 * power <= 2 * total:
        raise BlockInvalid("commit lacks more than 2/3 of the voting power",
                           field="commit.signatures", power=power, total=total, **where)
