"""Block execution: the state transition, and the interface contracts implement.

The ledger runs a block's transactions through a :class:`Machine` (the
contract registry implements it; ``chain`` never imports ``contracts``). For
each transaction, in order:

1. admission, the same checks a node makes before its mempool: chain id, size,
   known sender and active key (as of the block's start), signature, the
   sender's next nonce, a known contract method with well-formed arguments. A
   block holding a transaction that fails admission is invalid as a whole;
2. the contract method, a pure function of (state view, transaction, context)
   that returns writes and events, or raises :class:`RuleViolation`; a refusal
   is recorded as the transaction's result and its writes are dropped;
3. the sender's nonce advances either way.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from chain.block import STATUS_OK, STATUS_REFUSED, TxResult
from chain.crypto import CryptoProfile
from chain.errors import (
    BlockInvalid,
    ChainIdMismatch,
    MuluError,
    NonceGap,
    NonceReplayed,
    RuleViolation,
    SignatureInvalid,
    StorageError,
    TxRejected,
    TxTooLarge,
)
from chain.genesis import Genesis
from chain.tx import Transaction

NONCE_PREFIX = "nonce/"
CONTRACT_FAULT = "CONTRACT_FAULT"
"""The refusal code of a call whose contract raised something other than a rule violation."""
log = logging.getLogger("mulu.execution")


def nonce_key(sender: str) -> str:
    return NONCE_PREFIX + sender


class StateView(Protocol):
    """Read access to state as a contract sees it."""

    def get(self, key: str) -> Any:
        """The value at ``key`` or None."""


@dataclass(frozen=True)
class TxContext:
    """What a contract may know about where it runs: block time only, no clock."""

    chain_id: str
    height: int
    time: int
    tx_id: bytes
    sender: str
    key_id: str
    params: Mapping[str, int]
    profile: CryptoProfile


@dataclass
class Effects:
    """What a contract method returns: state writes and events."""

    writes: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict]] = field(default_factory=list)


class Machine(Protocol):
    """The application the ledger executes (implemented by ``contracts``)."""

    def genesis_writes(self, genesis: Genesis) -> dict[str, Any]:
        """The initial state a genesis document defines; raises GenesisInvalid."""

    def authenticate(self, view: StateView, tx: Transaction) -> bytes:
        """The public key ``tx`` must be signed with, once the sender, its key and its
        right to call the method (the policy in state) are checked against ``view``
        (the state at the start of the block); raises a :class:`TxRejected`."""

    def admit(self, view: StateView, tx: Transaction) -> None:
        """Checks of the call that depend on its bytes alone (method known and not
        governed, arguments well formed); raises a :class:`TxRejected`."""

    def execute(self, view: StateView, tx: Transaction, ctx: TxContext) -> Effects:
        """Run the call; raises RuleViolation to refuse."""


_UNWRITTEN = object()


class Overlay:
    """A view of pending writes layered over a base view."""

    __slots__ = ("base", "writes")

    def __init__(self, base: StateView, writes: dict[str, Any] | None = None) -> None:
        self.base = base
        self.writes = {} if writes is None else writes

    def get(self, key: str) -> Any:
        value = self.writes.get(key, _UNWRITTEN)
        return self.base.get(key) if value is _UNWRITTEN else value


class SignatureChecker:
    """Verifies signatures on a small thread pool and remembers verified tx ids.

    pyca/cryptography releases the GIL while verifying, so threads give real
    parallelism. A transaction verified at admission is not verified again
    when its block executes on the same node.
    """

    def __init__(self, profile: CryptoProfile, threads: int = 2, memory: int = 200_000) -> None:
        self.profile = profile
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="verify") if threads > 1 else None
        self._verified: dict[bytes, None] = {}
        self._memory = memory

    def _verify(self, items: Sequence[tuple[bytes, bytes, Transaction]]) -> list[bool]:
        verify = self.profile.verify
        return [verify(public_key, tx.signing_bytes(), tx.signature) for _, public_key, tx in items]

    def check_many(self, items: Sequence[tuple[bytes, bytes, Transaction]]) -> list[bool]:
        """Verify ``(tx_id, public_key, tx)`` triples; True where the signature holds.

        The work is split into one slice per thread (a future per signature
        would cost more than a quarter of a verification).
        """
        todo = [i for i, item in enumerate(items) if item[0] not in self._verified]
        if self._pool is None or len(todo) < 16:
            return self._collect(items, todo, self._verify([items[i] for i in todo]))
        step = -(-len(todo) // self.threads)
        futures = [self._pool.submit(self._verify, [items[i] for i in todo[k:k + step]])
                   for k in range(0, len(todo), step)]
        return self._collect(items, todo, [ok for f in futures for ok in f.result()])

    def _collect(self, items, todo: list[int], oks: list[bool]) -> list[bool]:
        out = [True] * len(items)
        for i, ok in zip(todo, oks):
            out[i] = ok
            if ok:
                self.remember(items[i][0])
        return out

    def remember(self, tx_id: bytes) -> None:
        if len(self._verified) >= self._memory:
            for old in list(self._verified)[: self._memory // 2]:
                del self._verified[old]
        self._verified[tx_id] = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)


class Authenticator:
    """:meth:`Machine.authenticate` over one view that does not change (the state
    a block starts from), remembering each sender's right to call each method:
    a block of a thousand calls from twenty departments authenticates twenty times.

    Only successes are remembered, and a success depends only on the view and
    on the sender, key and method, so the answer is the same as asking every time.
    """

    def __init__(self, machine: Machine, view: StateView) -> None:
        self._machine = machine
        self._view = view
        self._known: dict[tuple[str, str, str, str], bytes] = {}

    def __call__(self, tx: Transaction) -> bytes:
        who = (tx.sender, tx.key_id, tx.contract, tx.method)
        key = self._known.get(who)
        if key is None:
            key = self._known[who] = self._machine.authenticate(self._view, tx)
        return key


@dataclass
class Execution:
    """The outcome of executing a block's transactions over a state."""

    results: list[TxResult]
    writes: dict[str, Any]


def check_nonce(view: StateView, tx: Transaction) -> None:
    expected = (view.get(nonce_key(tx.sender)) or 0) + 1
    if tx.nonce < expected:
        raise NonceReplayed(f"nonce {tx.nonce} already used; next is {expected}",
                            sender=tx.sender, nonce=tx.nonce, expected=expected)
    if tx.nonce > expected:
        raise NonceGap(f"nonce {tx.nonce} skips ahead; next is {expected}",
                       sender=tx.sender, nonce=tx.nonce, expected=expected)


def admit_static(genesis: Genesis, params: Mapping[str, int], tx: Transaction) -> None:
    """The checks that need no state: chain id and size."""
    if tx.chain_id != genesis.chain_id:
        raise ChainIdMismatch(f"transaction is for chain {tx.chain_id!r}, this is {genesis.chain_id!r}",
                              expected=genesis.chain_id, got=tx.chain_id)
    size = len(tx.to_bytes())
    if size > params["max_tx_bytes"]:
        raise TxTooLarge(f"transaction is {size} bytes; the limit is {params['max_tx_bytes']}",
                         size=size, limit=params["max_tx_bytes"])


def execute_txs(
    machine: Machine,
    genesis: Genesis,
    params: Mapping[str, int],
    base: StateView,
    signatures: SignatureChecker,
    txs: Sequence[Transaction],
    height: int,
    time: int,
    on_reject: Callable[[int, TxRejected], None] | None = None,
) -> tuple[Execution, list[Transaction]]:
    """Execute ``txs`` in order over ``base``; return the execution and the txs kept.

    Without ``on_reject`` any admission failure makes the block invalid
    (:class:`BlockInvalid`); with it (when building a proposal) the failing
    transaction is reported and left out.
    """
    profile = genesis.profile
    ids = [tx.tx_id(profile) for tx in txs]
    keys: list[bytes | None] = []
    authenticate = Authenticator(machine, base)
    for i, tx in enumerate(txs):
        try:
            admit_static(genesis, params, tx)
            keys.append(authenticate(tx))
        except TxRejected as exc:
            keys.append(None)
            _reject(on_reject, i, exc)
    checks = [(ids[i], keys[i], tx) for i, tx in enumerate(txs) if keys[i] is not None]
    oks = iter(signatures.check_many(checks))
    valid = [keys[i] is not None and next(oks) for i in range(len(txs))]

    writes: dict[str, Any] = {}
    block_view = Overlay(base, writes)
    results: list[TxResult] = []
    kept: list[Transaction] = []
    for i, tx in enumerate(txs):
        if keys[i] is None:
            continue
        try:
            if not valid[i]:
                raise SignatureInvalid("signature does not verify", sender=tx.sender, key_id=tx.key_id)
            check_nonce(block_view, tx)
            machine.admit(block_view, tx)
        except TxRejected as exc:
            _reject(on_reject, i, exc)
            continue
        ctx = TxContext(genesis.chain_id, height, time, ids[i], tx.sender, tx.key_id, params, profile)
        try:
            effects = machine.execute(block_view, tx, ctx)
        except RuleViolation as exc:
            results.append(TxResult(ids[i], STATUS_REFUSED, exc.code, exc.message, exc.article, exc.field))
        except StorageError:
            raise  # the node's own fault, not the transaction's: stop rather than refuse
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError, MuluError) as exc:
            # A contract fault is a bug, but a deterministic one: every node refuses the same
            # transaction the same way instead of one poisoned call halting the chain.
            log.error("contract fault in %s.%s (tx %s): %r", tx.contract, tx.method, ids[i].hex(), exc)
            results.append(TxResult(ids[i], STATUS_REFUSED, CONTRACT_FAULT, f"{type(exc).__name__} in "
                                    f"{tx.contract}.{tx.method}"))
        else:
            writes.update(effects.writes)
            results.append(TxResult(ids[i], STATUS_OK, events=tuple(effects.events)))
        writes[nonce_key(tx.sender)] = tx.nonce
        kept.append(tx)
    return Execution(results, writes), kept


def _reject(on_reject: Callable[[int, TxRejected], None] | None, index: int, exc: TxRejected) -> None:
    if on_reject is None:
        raise BlockInvalid(f"transaction {index} cannot enter a block: {exc.message}",
                           field=f"txs[{index}]", reason=exc.code, **exc.details)
    on_reject(index, exc)
