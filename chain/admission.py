"""Admission: the checks a transaction passes before it may enter a block.

One path, in one order, for the door (a node's ``check_tx``, before its
mempool) and for block execution alike:

1. size: the wire form is at most ``max_tx_bytes``;
2. decode: the canonical bytes of a well-formed transaction;
3. chain id;
4. sender: a current member, a key of the chain's crypto profile that is
   active, and a role the method's policy allows, all as of the state the
   block starts from (:meth:`Machine.authenticate`);
5. call: a known method that is not governed, with well-formed arguments
   (:meth:`Machine.admit`);
6. signature: verified on a small thread pool, a batch at a time;
7. nonce: the sender's next one, which depends on order: at the door, after
   committed state and what already waits for a block; in a block, after the
   transactions before it (:func:`check_nonce`).

:class:`Screen` runs steps 1 to 6 over one state view; each caller runs step 7
in its own order. A transaction the door admitted passes the same steps when
its block executes, so a block never holds a transaction its node would have
refused, and a received block holding one is invalid as a whole.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from chain.cache import BoundedSet
from chain.crypto import CryptoProfile
from chain.errors import ChainIdMismatch, NonceGap, NonceReplayed, SignatureInvalid, TxRejected, TxTooLarge
from chain.genesis import Genesis
from chain.tx import Transaction

if TYPE_CHECKING:
    from chain.execution import Machine, StateView

NONCE_PREFIX = "nonce/"


def nonce_key(sender: str) -> str:
    """The state key of ``sender``'s last committed nonce."""
    return NONCE_PREFIX + sender


def committed_nonce(view: "StateView", sender: str) -> int:
    """The last nonce of ``sender`` in ``view`` (0 before its first transaction)."""
    return view.get(NONCE_PREFIX + sender) or 0


def check_nonce(tx: Transaction, expected: int) -> None:
    """Step 7: ``tx`` must carry exactly the sender's ``expected`` next nonce."""
    if tx.nonce < expected:
        raise NonceReplayed(f"nonce {tx.nonce} already used; next is {expected}",
                            sender=tx.sender, nonce=tx.nonce, expected=expected)
    if tx.nonce > expected:
        raise NonceGap(f"nonce {tx.nonce} skips ahead; next is {expected}",
                       sender=tx.sender, nonce=tx.nonce, expected=expected)


class SignatureChecker:
    """Verifies signatures on a small thread pool and remembers verified tx ids.

    pyca/cryptography and Tongsuo release the GIL while verifying, so threads
    give real parallelism. A transaction verified at the door is not verified
    again when its block executes on the same node.
    """

    def __init__(self, profile: CryptoProfile, threads: int = 2, memory: int = 200_000) -> None:
        self.profile = profile
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="verify") if threads > 1 else None
        self._verified = BoundedSet(memory)

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
                self._verified.add(items[i][0])
        return out

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

    def __init__(self, machine: "Machine", view: "StateView") -> None:
        self._machine = machine
        self._view = view
        self._known: dict[tuple[str, str, str, str], bytes] = {}

    def __call__(self, tx: Transaction) -> bytes:
        who = (tx.sender, tx.key_id, tx.contract, tx.method)
        key = self._known.get(who)
        if key is None:
            key = self._known[who] = self._machine.authenticate(self._view, tx)
        return key


class Screen:
    """Steps 1 to 6 of admission over one state view (the state a block starts from)."""

    def __init__(self, machine: "Machine", genesis: Genesis, params: Mapping[str, int], view: "StateView",
                 signatures: SignatureChecker) -> None:
        self.machine = machine
        self.genesis = genesis
        self.view = view
        self.signatures = signatures
        self.max_tx_bytes = params["max_tx_bytes"]
        self._authenticate = Authenticator(machine, view)

    def screen(self, items: Sequence[bytes | Transaction]) -> list[Transaction | TxRejected]:
        """Each item (wire bytes, or a transaction decoded from a block) as a transaction
        that passed steps 1 to 6, or the refusal of the first step it failed."""
        out: list[Any] = [None] * len(items)
        staged: list[tuple[int, bytes, bytes, Transaction]] = []
        profile = self.genesis.profile
        for i, item in enumerate(items):
            try:
                tx = self._decode(item)
                public_key = self._check(tx)
                staged.append((i, tx.tx_id(profile), public_key, tx))
            except TxRejected as exc:
                out[i] = exc
        oks = self.signatures.check_many([(tx_id, pk, tx) for _, tx_id, pk, tx in staged])
        for (i, _, _, tx), ok in zip(staged, oks):
            out[i] = tx if ok else SignatureInvalid("signature does not verify", sender=tx.sender,
                                                    key_id=tx.key_id)
        return out

    def _decode(self, item: bytes | Transaction) -> Transaction:
        """Steps 1 and 2."""
        raw = item if type(item) is bytes else item.to_bytes()
        if len(raw) > self.max_tx_bytes:
            raise TxTooLarge(f"transaction is {len(raw)} bytes; the limit is {self.max_tx_bytes}",
                             size=len(raw), limit=self.max_tx_bytes)
        return Transaction.from_bytes(raw) if type(item) is bytes else item

    def _check(self, tx: Transaction) -> bytes:
        """Steps 3 to 5; the public key the signature must verify under."""
        if tx.chain_id != self.genesis.chain_id:
            raise ChainIdMismatch(f"transaction is for chain {tx.chain_id!r}, this is {self.genesis.chain_id!r}",
                                  expected=self.genesis.chain_id, got=tx.chain_id)
        public_key = self._authenticate(tx)
        self.machine.admit(self.view, tx)
        return public_key
