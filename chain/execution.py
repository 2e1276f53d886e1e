"""Block execution: the state transition, and the interface contracts implement.

The ledger runs a block's transactions through a :class:`Machine` (the
contract registry implements it; ``chain`` never imports ``contracts``). For
each transaction, in order:

1. admission (:mod:`chain.admission`), the same checks in the same order as a
   node's door: size, decoding, chain id, sender and key and policy (as of the
   block's start), the call's shape, the signature, and the sender's next nonce
   after the block so far. A block holding a transaction that fails admission
   is invalid as a whole;
2. the contract method, a pure function of (state view, transaction, context)
   that returns writes and events, or raises :class:`RuleViolation`; a refusal
   is recorded as the transaction's result and its writes are dropped;
3. the sender's nonce advances either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from chain.block import STATUS_OK, STATUS_REFUSED, Evidence, TxResult
from chain.admission import Screen, SignatureChecker, check_nonce, committed_nonce, nonce_key
from chain.crypto import CryptoProfile
from chain.errors import BlockInvalid, MuluError, RuleViolation, StorageError, TxRejected
from chain.genesis import Genesis, Validator
from chain.state import INDEX_PREFIX
from chain.tx import Transaction

CONTRACT_FAULT = "CONTRACT_FAULT"
"""The refusal code of a call whose contract raised something other than a rule violation."""
log = logging.getLogger("mulu.execution")


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

    def evidence_writes(self, view: StateView, evidence: Sequence[Evidence], height: int) -> dict[str, Any]:
        """The state a block's evidence records (before its transactions run)."""

    def validator_sets(self, reader: Any) -> list[tuple[int, tuple[Validator, ...]]]:
        """Every validator set in state, by the height it takes effect at (0: genesis's)."""

    def scheduled_sets(self, writes: dict[str, Any]) -> list[tuple[int, tuple[Validator, ...]]]:
        """The validator sets a block's writes schedule, by effective height."""


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


class BlockView(Overlay):
    """The view a block's transactions run over: the block's writes so far over the state it
    starts from, each key of which is read from the store once per block.

    A thousand catalog entries of one block each read the data-element dictionary and their
    department's duty items; the store and the decoder see those keys once. Values read are
    shared between the block's transactions, as its writes already are: a contract never
    changes a value it read (it builds a new one).
    """

    __slots__ = ("read",)

    def __init__(self, base: StateView, writes: dict[str, Any]) -> None:
        super().__init__(base, writes)
        self.read: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        value = self.writes.get(key, _UNWRITTEN)
        if value is _UNWRITTEN:
            value = self.read.get(key, _UNWRITTEN)
            if value is _UNWRITTEN:
                value = self.read[key] = self.base.get(key)
        return value


@dataclass
class Execution:
    """The outcome of executing a block's transactions over a state."""

    results: list[TxResult]
    writes: dict[str, Any]
    earlier: dict[str, list[Any]] = field(default_factory=dict)
    """Per key written by more than one transaction of the block, the values before its final one."""


def execute_txs(
    machine: Machine,
    genesis: Genesis,
    params: Mapping[str, int],
    base: StateView,
    signatures: SignatureChecker,
    txs: Sequence[Transaction | bytes],
    height: int,
    time: int,
    on_reject: Callable[[int, TxRejected], None] | None = None,
    evidence: Sequence[Evidence] = (),
) -> tuple[Execution, list[Transaction]]:
    """Execute ``txs`` in order over ``base``; return the execution and the txs kept.

    ``evidence`` (misbehaviour the engine proved, carried by the block) is
    recorded first, as writes of its own.

    Every transaction passes admission (:mod:`chain.admission`) over ``base``,
    the state the block starts from, then its nonce against the block so far.
    Without ``on_reject`` any admission failure makes the block invalid
    (:class:`BlockInvalid`); with it (when building a proposal) the failing
    transaction is reported and left out.
    """
    profile = genesis.profile
    screened = Screen(machine, genesis, params, base, signatures).screen(txs)
    writes: dict[str, Any] = machine.evidence_writes(base, evidence, height) if evidence else {}
    earlier: dict[str, list[Any]] = {}
    block_view = BlockView(base, writes)
    results: list[TxResult] = []
    kept: list[Transaction] = []
    for i, tx in enumerate(screened):
        try:
            if isinstance(tx, TxRejected):
                raise tx
            check_nonce(tx, committed_nonce(block_view, tx.sender) + 1)
        except TxRejected as exc:
            _reject(on_reject, i, exc)
            continue
        tx_id = tx.tx_id(profile)
        ctx = TxContext(genesis.chain_id, height, time, tx_id, tx.sender, tx.key_id, params, profile)
        try:
            effects = machine.execute(block_view, tx, ctx)
        except RuleViolation as exc:
            results.append(TxResult(tx_id, STATUS_REFUSED, exc.code, exc.message, exc.article, exc.field))
        except StorageError:
            raise  # the node's own fault, not the transaction's: stop rather than refuse
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError, MuluError) as exc:
            # A contract fault is a bug, but a deterministic one: every node refuses the same
            # transaction the same way instead of one poisoned call halting the chain.
            log.error("contract fault in %s.%s (tx %s): %r", tx.contract, tx.method, tx_id.hex(), exc)
            results.append(TxResult(tx_id, STATUS_REFUSED, CONTRACT_FAULT, f"{type(exc).__name__} in "
                                    f"{tx.contract}.{tx.method}"))
        else:
            for key in effects.writes.keys() & writes.keys():  # rewritten in this block: keep what it was
                if not key.startswith(INDEX_PREFIX):
                    earlier.setdefault(key, []).append(writes[key])
            writes.update(effects.writes)
            results.append(TxResult(tx_id, STATUS_OK, events=tuple(effects.events)))
        writes[nonce_key(tx.sender)] = tx.nonce
        kept.append(tx)
    return Execution(results, writes, earlier), kept


def _reject(on_reject: Callable[[int, TxRejected], None] | None, index: int, exc: TxRejected) -> None:
    if on_reject is None:
        details = {("tx_" + k if k == "field" else k): v for k, v in exc.details.items()}
        raise BlockInvalid(f"transaction {index} cannot enter a block: {exc.message}",
                           field=f"txs[{index}]", reason=exc.code, **details)
    on_reject(index, exc)
