"""The node's application: the one boundary every consensus engine drives.

Shaped after ABCI 2.0 (CometBFT v0.38), so that an ABCI server can serve it to
CometBFT unchanged while ``solo`` drives the same calls in process:

* :meth:`Application.info`, :meth:`~Application.init_chain`: what is committed; the genesis check;
* :meth:`~Application.check_tx` (:meth:`~Application.check_txs` for a batch): the door
  before an engine's mempool (:mod:`chain.admission`);
* :meth:`~Application.prepare_proposal`, :meth:`~Application.process_proposal`: build a
  block from the mempool's transactions, or check one proposed by another;
* :meth:`~Application.extend_vote`, :meth:`~Application.verify_vote_extension`: this
  validator's signature, with its mulu key, over the block's mulu header hash, and the
  check of another's; the block's commit certificate is made of them;
* :meth:`~Application.finalize_block`, :meth:`~Application.commit`: execute a decided
  block, then store it;
* :meth:`~Application.query`: the contracts' read-only queries.

Every call takes and returns plain data (:mod:`node.boundary`). The application
persists only in :meth:`commit`: a block executed while proposing, processing,
voting or finalizing is held as a candidate until then, so a block that is
never decided leaves nothing behind, and a crash before commit leaves the
previous block as the tip.

Certificates (:mod:`node.certificate`): solo certifies a block with its own
vote extension in :meth:`finalize_block`. Under any other engine (CometBFT)
the extensions of block h reach the proposer of block h+1, which puts the
certificate first in that block; every validator checks it when it processes
the proposal, and :meth:`commit` stores it with block h. The last block of an
idle chain waits for its certificate: the application hash is the state root,
which a block carrying only a certificate leaves unchanged, so CometBFT makes
exactly one more block after a change and then stops.

The door keeps a *check state*. Under solo: the transactions it admitted that
no block has settled yet, so that a sender may queue consecutive nonces and a
resubmitted transaction is a duplicate; a committed block settles its
transactions, a proposal settles those it leaves out. Under CometBFT, whose
mempool keeps transactions itself and whose peers may deliver a sender's
nonces out of order, a transaction is admitted when its nonce lies in a window
of :data:`NONCE_WINDOW` after committed state; a proposal orders each sender's
transactions by nonce, and the re-check after a block drops used nonces.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any, Sequence

from chain.admission import NonceGap, NonceReplayed, Screen, check_nonce, committed_nonce
from chain.block import BlockHeader, Commit, CommitSig, vote_bytes
from chain.cache import BoundedMap
from chain.crypto import PrivateKey
from chain.encoding import decode, encode
from chain.genesis import DEFAULT_ENGINE, Validator
from chain.errors import (
    BadRequest,
    BatchTooLarge,
    BlockInvalid,
    EncodingError,
    GenesisInvalid,
    MuluError,
    StateDiverged,
    TxDuplicate,
    TxRejected,
)
from chain.ledger import Candidate, Ledger, check_signatures
from chain.tx import Transaction, peek_sender_nonce
from contracts.registry import Registry
from node.boundary import (
    AppInfo,
    BlockRequest,
    CheckTxResult,
    CommitResult,
    FinalizeRequest,
    FinalizeResult,
    QueryResult,
    ValidatorPower,
    Vote,
)
from node import certificate

ROUND = 0
"""The round a mulu commit certificate names: its signatures are over the block's mulu header hash,
which is the same whichever engine round decided the block."""

ADMITTED_MEMORY = 50_000
"""How many admitted transactions a gossiping engine's door keeps decoded for the blocks to come."""

NONCE_WINDOW = 256
"""How far ahead of the highest nonce seen (or of committed state) a sender's nonce may be at the door
of an engine whose peers gossip transactions (a peer may see nonce n+1 before n)."""

log = logging.getLogger("mulu.app")


class Application:
    """The chain behind the engine boundary, over one :class:`Ledger` run by the contract :class:`Registry`.

    ``validator`` is this node's validator name in genesis and its mulu key
    (None on a node that does not vote): :meth:`extend_vote` signs with it.
    """

    def __init__(self, ledger: Ledger, registry: Registry, validator: tuple[str, PrivateKey] | None = None) -> None:
        self.ledger = ledger
        self.registry = registry
        self.genesis = ledger.genesis
        self.profile = ledger.profile
        if validator is not None:
            name, key = validator
            listed = [v for v in ledger.known_validators() if v.name == name]
            if listed and listed[-1].public_key != key.public_key:  # the newest set naming it (keys rotate)
                raise MuluError(f"this node's key is not the key of validator {name!r} on this chain",
                                code="VALIDATOR_KEY_MISMATCH", validator=name)
        self.validator = validator
        self._door = threading.Lock()
        self._waiting: dict[bytes, Transaction] = {}  # check state: wire bytes -> admitted transaction
        self._admitted: BoundedMap[bytes, Transaction] = BoundedMap(ADMITTED_MEMORY)
        """Under a gossiping engine: transactions the door admitted, decoded, for the blocks that hold them."""
        self._next: dict[str, int] = {}  # sender -> highest nonce waiting
        self._count: dict[str, int] = {}  # sender -> transactions waiting
        self.deferred = self.genesis.engine != DEFAULT_ENGINE
        """Whether a block's certificate rides in the next block (every engine but solo)."""
        self._candidates: list[Candidate] = []  # blocks executed at the next height, not yet decided
        self._by_engine_hash: dict[bytes, Candidate] = {}  # the same, by the engine's block hash
        self._decided: tuple[Candidate, Commit | None, Commit | None] | None = None  # stored by commit()
        self._tip_header: BlockHeader | None = ledger.block(ledger.tip.height).header if ledger.tip.height else None
        self.committed = threading.Condition()
        self._screen: tuple[bytes, Screen] | None = None  # the door's screen, and the tip it screens over

    # --- info -------------------------------------------------------------------------------

    def info(self) -> AppInfo:
        tip = self.ledger.tip
        g = self.genesis
        return AppInfo(g.chain_id, g.profile.name, g.hash, tip.height, tip.hash, self.ledger.state_root(), tip.time,
                       self.ledger.certified)

    def init_chain(self, chain_id: str, time: int, validators: Sequence[ValidatorPower]) -> bytes:
        """Check that the engine runs the chain of this genesis; return the application hash.

        The engine's chain id, genesis time and validator set (names and
        power) must be the mulu genesis's; the initial state is the genesis's
        own, written when the store was made; the application hash is its state root.
        """
        g = self.genesis
        ours = sorted((v.name, v.power) for v in g.validators)
        theirs = sorted((v.name, v.power) for v in validators)
        for name, mine, given in (("chain_id", g.chain_id, chain_id), ("genesis_time", g.genesis_time, time),
                                  ("validators", ours, theirs)):
            if mine != given:
                raise GenesisInvalid(f"the engine's {name} differs from the mulu genesis", field=name,
                                     expected=repr(mine)[:200], got=repr(given)[:200])
        return self.ledger.state_root(0)

    # --- the door ---------------------------------------------------------------------------

    def check_tx(self, raw: bytes) -> CheckTxResult:
        """Admit one transaction to the check state (ABCI ``CheckTx``)."""
        return self.check_txs([raw])[0]

    def check_txs(self, raws: Sequence[bytes]) -> list[CheckTxResult]:
        """Admit a batch; each transaction is answered on its own.

        Steps 1 to 6 of admission run over committed state for the whole
        batch, signatures in parallel (verification overlapped with decoding
        measured slower: each verifying thread must win the GIL back from this
        busy one after every signature); then, in order, each transaction must
        be new and carry its sender's next nonce after committed state and
        what already waits, so one sender may submit consecutive nonces in a batch.
        """
        self.check_batch(raws)
        state = self.ledger.state
        screened = self._door_screen().screen(raws)
        out: list[CheckTxResult] = []
        with self._door:
            for raw, tx in zip(raws, screened):
                try:
                    if isinstance(tx, TxRejected):
                        raise tx
                    if self.deferred:
                        self._check_window(tx, committed_nonce(state, tx.sender))
                        self._admitted.put(raw, tx)
                        out.append(CheckTxResult(tx.tx_id(self.profile)))
                        continue
                    if raw in self._waiting:
                        raise TxDuplicate("this transaction is already waiting for a block",
                                          tx_id=tx.tx_id(self.profile).hex())
                    sender = tx.sender
                    check_nonce(tx, max(committed_nonce(state, sender), self._next.get(sender, 0)) + 1)
                except TxRejected as exc:
                    out.append(CheckTxResult(None, exc))
                    continue
                self._waiting[tx.to_bytes()] = tx
                self._next[sender] = tx.nonce
                self._count[sender] = self._count.get(sender, 0) + 1
                out.append(CheckTxResult(tx.tx_id(self.profile)))
        return out

    def _door_screen(self) -> Screen:
        """The door's :class:`Screen` over committed state, kept while the tip stays: CometBFT asks
        ``CheckTx`` one transaction at a time, and a screen authenticates each sender, key and method
        once over the state it screens (a new block, which may change members and policies, makes a
        new one)."""
        ledger = self.ledger
        tip, kept = ledger.tip.hash, self._screen
        if kept is None or kept[0] != tip:
            kept = self._screen = (tip, Screen(ledger.machine, self.genesis, ledger.params, ledger.state,
                                               ledger.signatures))
        return kept[1]

    def recheck_tx(self, raw: bytes) -> CheckTxResult:
        """The re-check of a transaction still waiting in a gossiping engine's mempool after a block
        (ABCI ``CheckTx`` of type ``RECHECK``): it passed the whole door before, and a block changes
        only whether its nonce is still to come; anything else a block changed (a member removed,
        a policy) is caught when a block executes it."""
        try:
            sender, nonce = peek_sender_nonce(raw)
            committed = committed_nonce(self.ledger.state, sender)
            if nonce <= committed:
                raise NonceReplayed(f"nonce {nonce} already used; next is {committed + 1}", sender=sender,
                                    nonce=nonce, expected=committed + 1)
        except TxRejected as exc:
            return CheckTxResult(None, exc)
        return CheckTxResult(self.profile.hash(raw))

    def _check_window(self, tx: Transaction, committed: int) -> None:
        """The door of a gossiping engine: a nonce after committed state, at most :data:`NONCE_WINDOW`
        ahead of the highest this door admitted (or of committed state), so that one sender may queue
        a long run of nonces while no transaction jumps far ahead of what was seen; the highest one
        admitted is remembered for :meth:`next_nonce`."""
        seen = max(committed, self._next.get(tx.sender, 0))
        if tx.nonce > seen + NONCE_WINDOW:
            raise NonceGap(f"nonce {tx.nonce} is more than {NONCE_WINDOW} ahead of the highest seen ({seen})",
                           sender=tx.sender, nonce=tx.nonce, expected=seen + 1)
        if tx.nonce <= committed:
            check_nonce(tx, committed + 1)  # replayed
        if tx.nonce > self._next.get(tx.sender, 0):
            self._next[tx.sender] = tx.nonce

    def check_batch(self, raws: Sequence[bytes]) -> None:
        """Refuse a batch over the chain's limits (``max_batch_txs``, ``max_batch_bytes``) as a whole."""
        params = self.ledger.params
        if len(raws) > params["max_batch_txs"]:
            raise BatchTooLarge(f"a batch holds at most {params['max_batch_txs']} transactions",
                                size=len(raws), limit=params["max_batch_txs"])
        total = sum(len(r) for r in raws)
        if total > params["max_batch_bytes"]:
            raise BatchTooLarge(f"a batch holds at most {params['max_batch_bytes']} bytes",
                                size=total, limit=params["max_batch_bytes"])

    def next_nonce(self, sender: str) -> int:
        """The nonce ``sender``'s next transaction must carry: after committed state and what waits."""
        with self._door:
            committed = committed_nonce(self.ledger.state, sender)
            if self.deferred and self._next.get(sender, 0) <= committed:
                self._next.pop(sender, None)  # all it admitted is settled: forget the sender
            return max(committed, self._next.get(sender, 0)) + 1

    def withdraw(self, raws: Sequence[bytes]) -> None:
        """Under a gossiping engine: transactions this door admitted that the engine's mempool then
        refused (full, or a duplicate) do not wait after all; a sender's highest waiting nonce goes
        back below the first of them, so that :meth:`next_nonce` offers it again."""
        if not self.deferred:
            return
        with self._door:
            for raw in raws:
                tx = self._admitted.get(raw)
                if tx is not None and self._next.get(tx.sender, 0) >= tx.nonce:
                    self._next[tx.sender] = tx.nonce - 1

    def _settle(self, raws: Sequence[bytes]) -> None:
        """Forget waiting transactions a block committed or a proposal left out."""
        with self._door:
            for raw in raws:
                tx = self._waiting.pop(raw, None)
                if tx is None:
                    continue
                sender = tx.sender
                self._count[sender] -= 1
                if not self._count[sender]:
                    del self._count[sender], self._next[sender]

    # --- blocks -----------------------------------------------------------------------------

    def _execute(self, req: BlockRequest, *, drop_invalid: bool) -> Candidate:
        """Execute ``req`` over the tip (or find it executed already) and hold it as a candidate."""
        known = self._by_engine_hash.get(req.engine_hash) if req.engine_hash else None
        if known is not None:
            return known
        for candidate in self._candidates:
            if self._matches(candidate, req):
                if req.engine_hash:
                    self._by_engine_hash[req.engine_hash] = candidate
                return candidate
        tip = self.ledger.tip
        if req.height != tip.height + 1:
            raise BlockInvalid(f"a block at height {req.height} does not follow the tip at {tip.height}",
                               height=req.height, field="header.height")
        if req.proposer not in self._validators(req.height):
            raise BlockInvalid(f"the proposer {req.proposer!r} is not a validator", height=req.height,
                               field="header.proposer")
        known = self._admitted if self.deferred else self._waiting
        items = [known.get(raw) or raw for raw in req.txs]
        candidate = self.ledger.execute(items, req.time, req.proposer, drop_invalid=drop_invalid,
                                        evidence=req.misbehavior)
        self._candidates.append(candidate)
        if req.engine_hash:
            self._by_engine_hash[req.engine_hash] = candidate
        return candidate

    @staticmethod
    def _matches(candidate: Candidate, req: BlockRequest) -> bool:
        header = candidate.block.header
        return (header.height == req.height and header.proposer == req.proposer
                and candidate.engine_time == req.time and candidate.block.evidence == req.misbehavior
                and [tx.to_bytes() for tx in candidate.block.txs] == list(req.txs))

    def _validators(self, height: int) -> dict[str, Validator]:
        """The validator set in force at ``height``, by name."""
        return {v.name: v for v in self.ledger.validators_at(height)}

    def _votes_at(self, height: int) -> bool:
        """Whether this node is a validator of the set in force at ``height``."""
        return self.validator is not None and self.validator[0] in self._validators(height)

    def _split(self, req: BlockRequest) -> tuple[Commit | None, BlockRequest]:
        """An engine block's certificate of the block before (checked) and its mulu transactions.

        Under a deferred engine every block after the first must carry the
        certificate of the tip; under solo none does.
        """
        commit, txs = certificate.split(req.txs, req.height)
        if not self.deferred:
            if commit is not None:
                raise BlockInvalid("solo blocks carry no certificate of the block before", height=req.height,
                                   field="certificate")
        elif commit is None and self.ledger.tip.height >= 1:
            raise BlockInvalid(f"the block lacks the certificate of block {self.ledger.tip.height}",
                               height=req.height, field="certificate")
        elif commit is not None:
            self._check_certificate(commit)
        return commit, replace(req, txs=txs) if len(txs) != len(req.txs) else req

    def _check_certificate(self, commit: Commit) -> None:
        """The certificate must be of the tip as this node executed it; a certificate of another
        block at that height means this node's state disagrees with the network's."""
        header = self._tip_header
        if header is None or commit.height != header.height:
            raise BlockInvalid(f"the certificate is for height {commit.height}, the tip is {self.ledger.tip.height}",
                               field="certificate.height", height=commit.height)
        if commit.block_hash != self.ledger.tip.hash:
            check_signatures(self.genesis, commit, self.ledger.validators_at(commit.height))  # forged: a bad proposal
            raise StateDiverged(f"the validators certified block {commit.height} as {commit.block_hash.hex()}, "
                                f"but this node executed it as {self.ledger.tip.hash.hex()}: its state disagrees "
                                f"with the chain's and it stops (restore its store from a backup or an export)",
                                height=commit.height, field="certificate.block_hash")
        self.ledger.check_commit(header, commit)

    def _certificate(self, votes: Sequence[Vote]) -> list[bytes]:
        """The certificate of the tip from the vote extensions of its decision (deferred engines):
        every extension that signs the tip's hash; one that does not is named in the log and left out."""
        header = self._tip_header
        if not self.deferred or header is None:
            return []
        message = self._vote_message(header)
        sigs = []
        for vote in sorted(votes, key=lambda v: v.validator):
            v = self._validators(header.height).get(vote.validator)
            ext = certificate.read_extension(vote.extension)
            if v is None or ext is None or ext[0] != self.ledger.tip.hash \
                    or not self.profile.verify(v.public_key, message, ext[1]):
                log.warning("the vote extension of %s for block %d does not sign it; left out of its certificate",
                            vote.validator, header.height)
                continue
            sigs.append(CommitSig(vote.validator, ext[1]))
        return [certificate.certificate_tx(Commit(header.height, ROUND, self.ledger.tip.hash, tuple(sigs)))]

    def prepare_proposal(self, req: BlockRequest, last_votes: Sequence[Vote] = ()) -> list[bytes]:
        """The transactions of the block this node proposes from ``req.txs`` (the mempool's, in
        order): those failing admission by now are left out, and leave the check state.

        Under a deferred engine ``last_votes`` are the extensions that decided the
        tip; the block carries their certificate first, and each sender's
        transactions are put in nonce order.
        """
        head = self._certificate(last_votes)
        txs = tuple(raw for raw in req.txs if not raw.startswith(certificate.TAG))
        if self.deferred:
            txs = _nonce_order(txs, self._admitted)
        candidate = self._execute(replace(req, txs=txs), drop_invalid=True)
        if candidate.dropped:
            self._settle([txs[i] for i, _ in candidate.dropped])
        return head + [tx.to_bytes() for tx in candidate.block.txs]

    def process_proposal(self, req: BlockRequest) -> bool:
        """Whether a proposed block is valid: its certificate of the block before (deferred engines),
        and every transaction admissible, in order."""
        try:
            _, req = self._split(req)
            self._execute(req, drop_invalid=False)
        except BlockInvalid as exc:
            log.warning("proposal at height %d refused: [%s] %s", req.height, exc.code, exc.message)
            return False
        return True

    def extend_vote(self, req: BlockRequest) -> bytes:
        """This validator's vote extension for a block: its signature over the block's mulu header
        hash, with the hash (executing the block first if this node has not seen it); empty on a
        node that is not a validator of the set in force at its height."""
        if not self._votes_at(req.height):
            return b""
        _, req = self._split(req)
        candidate = self._execute(req, drop_invalid=False)
        header = candidate.block.header
        return certificate.extension(header.hash(self.profile), self.validator[1].sign(self._vote_message(header)))

    def verify_vote_extension(self, height: int, validator: str, extension: bytes, engine_hash: bytes = b"") -> bool:
        """Whether ``extension`` is ``validator``'s signature over a mulu block hash at ``height``; when
        this node has executed the block (known by ``engine_hash``), over that block's hash."""
        v = self._validators(height).get(validator)
        ext = certificate.read_extension(extension)
        if v is None or ext is None:
            return False
        block_hash, signature = ext
        known = self._by_engine_hash.get(engine_hash) if engine_hash else None
        if known is not None and known.block.header.hash(self.profile) != block_hash:
            return False
        message = vote_bytes(self.genesis.chain_id, height, ROUND, block_hash)
        return self.profile.verify(v.public_key, message, signature)

    def _vote_message(self, header: BlockHeader) -> bytes:
        return vote_bytes(self.genesis.chain_id, header.height, ROUND, header.hash(self.profile))

    def finalize_block(self, req: FinalizeRequest) -> FinalizeResult:
        """Execute a decided block (or take the candidate executed from the same request); check the
        certificate it carries of the block before (deferred engines), or certify it with
        ``req.votes`` (solo); nothing is stored before :meth:`commit`.

        Raises :class:`BlockInvalid` when the block or a certificate does not
        hold (``STATE_DIVERGED`` when the network certified another block at the
        tip's height): an engine must stop rather than go on from a block this
        node cannot execute.
        """
        previous, req = self._split(req)
        candidate = self._execute(req, drop_invalid=False)
        header = candidate.block.header
        block_hash = header.hash(self.profile)
        commit = None
        if not self.deferred:
            sigs = []
            for vote in req.votes:
                ext = certificate.read_extension(vote.extension)
                if ext is None or ext[0] != block_hash:
                    raise BlockInvalid(f"the vote extension of {vote.validator} is not for this block",
                                       height=header.height, field="votes", validator=vote.validator)
                sigs.append(CommitSig(vote.validator, ext[1]))
            commit = Commit(header.height, ROUND, block_hash, tuple(sigs))
            self.ledger.check_commit(header, commit)
        self._decided = (candidate, commit, previous)
        return FinalizeResult(header.height, block_hash, header.state_root, candidate.block.results,
                              certificate=previous is not None, validator_updates=self._updates(candidate))

    def _updates(self, candidate: Candidate) -> tuple[tuple[bytes, int], ...]:
        """The engine's validator updates for the sets a block schedules: ``(consensus key, power)`` for
        each validator added or changed, power 0 for each removed (or whose consensus key changed)."""
        out: list[tuple[bytes, int]] = []
        for effective, new in candidate.new_sets:
            before = {v.consensus_key: v.power for v in self.ledger.validators_at(effective - 1) if v.consensus_key}
            after = {v.consensus_key: v.power for v in new if v.consensus_key}
            out += [(key, 0) for key in sorted(before.keys() - after.keys())]
            out += [(key, power) for key, power in sorted(after.items()) if before.get(key) != power]
        return tuple(out)

    def commit(self) -> CommitResult:
        """Store the finalized block in one atomic write (with the certificate of the block before,
        when it carried one); settle its transactions; wake waiters."""
        if self._decided is None:
            raise BlockInvalid("commit without a finalized block", field="commit")
        candidate, commit, previous = self._decided
        block = self.ledger.append(candidate, commit, certify=previous)
        self._decided = None
        self._candidates.clear()
        self._by_engine_hash.clear()
        self._tip_header = block.header
        self._settle([tx.to_bytes() for tx in block.txs])
        with self.committed:
            self.committed.notify_all()
        return CommitResult(block.height)

    def wait_for_height(self, height: int, timeout: float) -> bool:
        """Wait until block ``height`` is committed (or ``timeout`` seconds pass)."""
        with self.committed:
            return self.committed.wait_for(lambda: self.ledger.tip.height >= height, timeout)

    # --- reads ------------------------------------------------------------------------------

    def query(self, path: str, data: bytes = b"") -> QueryResult:
        """Run the read-only query ``path`` (``/contract/query``) with the arguments ``data``
        (the canonical encoding of a map, or empty) over committed state; its value canonically
        encoded. The same queries serve the HTTP API and the CLI."""
        height = self.ledger.tip.height
        try:
            args = _query_args(data)
            value = self.registry.run_query(self.ledger.state, path, args)
        except MuluError as exc:
            return QueryResult(height, error=exc)
        return QueryResult(height, encode(value))


def _query_args(data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    try:
        args = decode(data)
    except EncodingError as exc:
        raise BadRequest(f"query arguments: {exc.message}", field="data") from None
    if type(args) is not dict:
        raise BadRequest("query arguments are a map", field="data")
    return args


def _nonce_order(txs: tuple[bytes, ...], known: BoundedMap[bytes, Transaction]) -> tuple[bytes, ...]:
    """``txs`` with each sender's transactions in nonce order, in the places its transactions held
    (a peer may have gossiped them out of order); what does not decode stays where it is, for
    the proposal to leave out."""
    decoded: list[Transaction | None] = []
    by_sender: dict[str, list[int]] = {}
    for i, raw in enumerate(txs):
        try:
            tx = known.get(raw) or Transaction.from_bytes(raw)
        except MuluError:
            decoded.append(None)
            continue
        decoded.append(tx)
        by_sender.setdefault(tx.sender, []).append(i)
    out = list(txs)
    for places in by_sender.values():
        if len(places) > 1:
            ordered = sorted(places, key=lambda i: decoded[i].nonce)
            for place, i in zip(places, ordered):
                out[place] = txs[i]
    return tuple(out)
