"""ABCI 2.0 requests translated to the engine boundary (:class:`node.app.Application`), and back.

Nothing else happens here: CometBFT's validator addresses become the mulu
validator names the genesis maps them to (each validator's ``consensus_key``),
its timestamps become milliseconds, its block hash the boundary's
``engine_hash``, and the application's answers and errors become protobuf
responses. A refused transaction at ``CheckTx`` answers code 1 with the
stable mulu code in ``info``, the message in ``log`` and the whole error as JSON
in ``data`` (for a client of CometBFT's own RPC); an accepted one answers code 0
with its transaction id in ``data``.

An application error while deciding a block (``FinalizeBlock``, ``Commit``) is
answered as an ABCI exception: CometBFT stops rather than go on from a block
this node could not execute, and the error is logged here with its code.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import contextmanager
from typing import Callable, Iterator

from chain.block import Evidence
from chain.errors import BlockInvalid, MuluError, StateDiverged, TxMalformed, TxRejected
from chain.genesis import Genesis
from node import bundle, certificate
from node.abci.proto import abci
from node.app import Application
from node.boundary import BlockRequest, CheckTxResult, FinalizeRequest, ValidatorPower, Vote

log = logging.getLogger("mulu.abci")

CODE_OK = 0
CODE_REFUSED = 1
COMMIT_FLAG = 2  # tendermint.types.BlockIDFlag BLOCK_ID_FLAG_COMMIT
APP_VERSION = 1
MISBEHAVIOR = {1: "duplicate_vote", 2: "light_client_attack"}
"""ABCI's MisbehaviorType values, as :mod:`contracts.evidence` names them."""


def millis(ts) -> int:
    """A protobuf Timestamp in ms since the epoch."""
    return ts.seconds * 1000 + ts.nanos // 1_000_000


def error_data(exc: MuluError) -> bytes:
    """The error as JSON, with its class, for the node that forwarded the transaction."""
    return json.dumps({"class": type(exc).__name__, **exc.to_dict()}, ensure_ascii=False,
                      default=str).encode()


class Adapter:
    """Answers one ABCI request at a time for one application; ``on_fault`` hears a block-deciding
    error before CometBFT is told (the node then reports it and stops)."""

    def __init__(self, app: Application, genesis: Genesis,
                 on_fault: Callable[[BaseException], None] | None = None) -> None:
        self.app = app
        self.genesis = genesis
        self.on_fault = on_fault
        self._names: tuple[int, dict[bytes, str]] = (-1, {})
        self._handlers = {
            "echo": self.echo, "flush": self.flush, "info": self.info, "init_chain": self.init_chain,
            "query": self.query, "check_tx": self.check_tx, "commit": self.commit,
            "list_snapshots": self.no_snapshots, "offer_snapshot": self.no_snapshots,
            "load_snapshot_chunk": self.no_snapshots, "apply_snapshot_chunk": self.no_snapshots,
            "prepare_proposal": self.prepare_proposal, "process_proposal": self.process_proposal,
            "extend_vote": self.extend_vote, "verify_vote_extension": self.verify_vote_extension,
            "finalize_block": self.finalize_block,
        }

    def handle(self, request: "abci.Request") -> "abci.Response":
        kind = request.WhichOneof("value")
        handler = self._handlers.get(kind)
        if handler is None:
            return abci.Response(exception=abci.ResponseException(error=f"unknown ABCI request {kind!r}"))
        try:
            return handler(getattr(request, kind))
        except MuluError as exc:
            log.error("ABCI %s failed: [%s] %s", kind, exc.code, exc.message)
            self._fault(exc)
            return abci.Response(exception=abci.ResponseException(error=f"[{exc.code}] {exc.message}"))
        except Exception as exc:  # a bug: CometBFT must stop, not carry on past it
            log.exception("ABCI %s failed", kind)
            self._fault(exc)
            return abci.Response(exception=abci.ResponseException(error=f"{type(exc).__name__}: {exc}"))

    def _fault(self, exc: BaseException) -> None:
        if self.on_fault is not None:
            self.on_fault(exc)

    @property
    def names(self) -> dict[bytes, str]:
        """CometBFT addresses to validator names, over every set the chain has had or scheduled."""
        known = self.app.ledger.known_validators()
        if self._names[0] != len(known):
            self._names = (len(known), {v.engine_address: v.name for v in known if v.consensus_key})
        return self._names[1]

    def _name(self, address: bytes) -> str:
        return self.names.get(address, address.hex())

    # --- connection-level --------------------------------------------------------------------

    def echo(self, req) -> "abci.Response":
        return abci.Response(echo=abci.ResponseEcho(message=req.message))

    def flush(self, req) -> "abci.Response":
        return abci.Response(flush=abci.ResponseFlush())

    def no_snapshots(self, req) -> "abci.Response":
        """State sync is not offered: a node catches up by block sync, re-executing every block."""
        kind = type(req).__name__.removeprefix("Request")
        field = {"ListSnapshots": "list_snapshots", "OfferSnapshot": "offer_snapshot",
                 "LoadSnapshotChunk": "load_snapshot_chunk", "ApplySnapshotChunk": "apply_snapshot_chunk"}[kind]
        answer = getattr(abci, "Response" + kind)()
        if field == "offer_snapshot":
            answer.result = abci.ResponseOfferSnapshot.REJECT
        return abci.Response(**{field: answer})

    # --- info and queries --------------------------------------------------------------------

    def info(self, req) -> "abci.Response":
        info = self.app.info()
        return abci.Response(info=abci.ResponseInfo(
            data="mulu", version=info.profile, app_version=APP_VERSION, last_block_height=info.height,
            last_block_app_hash=info.app_hash if info.height else b""))

    def init_chain(self, req) -> "abci.Response":
        if req.initial_height not in (0, 1):
            raise MuluError("a mulu chain starts at height 1", code="GENESIS_INVALID", field="initial_height")
        validators = [ValidatorPower(self._name(_address(v.pub_key.ed25519)), v.power) for v in req.validators]
        app_hash = self.app.init_chain(req.chain_id, millis(req.time), validators)
        return abci.Response(init_chain=abci.ResponseInitChain(app_hash=app_hash))

    def query(self, req) -> "abci.Response":
        result = self.app.query(req.path, req.data)
        if result.ok:
            answer = abci.ResponseQuery(code=CODE_OK, value=result.value, height=result.height)
        else:
            exc = result.error
            answer = abci.ResponseQuery(code=CODE_REFUSED, log=exc.message, info=exc.code, codespace="mulu",
                                        height=result.height)
        return abci.Response(query=answer)

    # --- the door ----------------------------------------------------------------------------

    def check_tx(self, req) -> "abci.Response":
        """A transaction, or a bundle (:mod:`node.bundle`), for the mempool: a bundle is admitted while any
        of its transactions is (the proposer leaves out the others), and answers how many are."""
        recheck = req.type == abci.RECHECK
        try:
            raws = bundle.unpack(req.tx)
            if recheck:
                results = [self.app.recheck_tx(raw) for raw in raws]
            else:
                results = [self.app.check_tx(raws[0])] if len(raws) == 1 else self.app.check_txs(raws)
        except TxRejected as exc:
            results = [CheckTxResult(None, exc)]
        admitted = sum(1 for r in results if r.ok)
        if len(results) > 1 and admitted:
            answer = abci.ResponseCheckTx(code=CODE_OK, info=f"bundle: {admitted} of {len(results)} admissible")
        elif admitted:
            answer = abci.ResponseCheckTx(code=CODE_OK, data=results[0].tx_id)
        else:
            exc = results[0].error
            answer = abci.ResponseCheckTx(code=CODE_REFUSED, data=error_data(exc), log=exc.message, info=exc.code,
                                          codespace="mulu")
        return abci.Response(check_tx=answer)

    # --- blocks ------------------------------------------------------------------------------

    def _unpacked(self, req) -> list[list[bytes]]:
        """The mulu transactions of each of a block's CometBFT transactions (:class:`BlockInvalid` if a
        bundle does not decode)."""
        try:
            return [bundle.unpack(tx) for tx in req.txs]
        except TxMalformed as exc:
            raise BlockInvalid(f"a bundle of the block does not decode: {exc.message}", height=req.height,
                               field="txs") from None

    def _block(self, req, *, engine_hash: bytes = b"", txs: tuple[bytes, ...] | None = None) -> BlockRequest:
        """The block CometBFT asks about, its bundles unpacked, or with ``txs`` instead."""
        misbehavior = tuple(Evidence(self._name(m.validator.address), m.height, MISBEHAVIOR.get(m.type, "unknown"),
                                     millis(m.time)) for m in req.misbehavior)
        if txs is None:
            txs = tuple(raw for part in self._unpacked(req) for raw in part)
        return BlockRequest(req.height, millis(req.time), self._name(req.proposer_address), txs, engine_hash,
                            misbehavior)

    def prepare_proposal(self, req) -> "abci.Response":
        votes = tuple(Vote(self._name(v.validator.address), v.vote_extension)
                      for v in req.local_last_commit.votes if v.block_id_flag == COMMIT_FLAG and v.vote_extension)
        limit = self.genesis.params["max_block_txs"]
        mempool: list[bytes] = []
        for tx in req.txs:  # the mempool's bundles unpacked (one that does not decode was never admitted)
            try:
                mempool += bundle.unpack(tx)
            except TxMalformed:
                continue
        txs = self.app.prepare_proposal(self._block(req, txs=tuple(mempool[:limit])), votes)
        kept, size = [], 0
        for tx in txs:  # the certificate first, then as many transactions as CometBFT's limit holds, packed
            size += len(tx) + bundle.ITEM_OVERHEAD
            if size + bundle.HEADER_OVERHEAD * (size // bundle.MAX_BYTES + 1) > req.max_tx_bytes:
                break
            kept.append(tx)
        head = kept[:1] if kept and kept[0].startswith(certificate.TAG) else []
        return abci.Response(prepare_proposal=abci.ResponsePrepareProposal(txs=head + bundle.pack(kept[len(head):])))

    def process_proposal(self, req) -> "abci.Response":
        try:
            ok = self.app.process_proposal(self._block(req, engine_hash=req.hash))
        except BlockInvalid as exc:
            log.warning("proposal at height %d refused: [%s] %s", req.height, exc.code, exc.message)
            ok = False
        status = abci.ResponseProcessProposal.ACCEPT if ok else abci.ResponseProcessProposal.REJECT
        return abci.Response(process_proposal=abci.ResponseProcessProposal(status=status))

    def extend_vote(self, req) -> "abci.Response":
        with _accepted_by_the_network(req.height):  # CometBFT asks only once the block has +2/3 prevotes
            extension = self.app.extend_vote(self._block(req, engine_hash=req.hash))
        return abci.Response(extend_vote=abci.ResponseExtendVote(vote_extension=extension))

    def verify_vote_extension(self, req) -> "abci.Response":
        ok = self.app.verify_vote_extension(req.height, self._name(req.validator_address), req.vote_extension,
                                            req.hash)
        if not ok:
            log.warning("the vote extension of %s at height %d does not verify; its vote is not counted",
                        self._name(req.validator_address), req.height)
        status = abci.ResponseVerifyVoteExtension.ACCEPT if ok else abci.ResponseVerifyVoteExtension.REJECT
        return abci.Response(verify_vote_extension=abci.ResponseVerifyVoteExtension(status=status))

    def finalize_block(self, req) -> "abci.Response":
        parts = self._unpacked(req)
        block = self._block(req, engine_hash=req.hash, txs=tuple(raw for part in parts for raw in part))
        with _accepted_by_the_network(block.height):
            result = self.app.finalize_block(FinalizeRequest(block.height, block.time, block.proposer, block.txs,
                                                             block.engine_hash, block.misbehavior))
        tx_results = [abci.ExecTxResult(code=CODE_OK, info="certificate")] if result.certificate else []
        results = iter(result.tx_results)
        # one result per CometBFT transaction: a bundle's sums up those of its own
        for tx, part in zip(req.txs[len(tx_results):], parts[len(tx_results):]):
            if bundle.is_bundle(tx):
                rs = [next(results) for _ in part]
                refused = sum(1 for r in rs if not r.ok)
                tx_results.append(abci.ExecTxResult(code=CODE_OK, info=f"bundle: {len(rs) - refused} committed, "
                                                    f"{refused} refused", codespace="mulu"))
                continue
            r = next(results)
            tx_results.append(abci.ExecTxResult(code=CODE_OK if r.ok else CODE_REFUSED, data=r.tx_id,
                                                info=r.code or r.status, log=r.message, codespace="mulu"))
        updates = [abci.ValidatorUpdate(pub_key={"ed25519": key}, power=power) for key, power in result.validator_updates]
        return abci.Response(finalize_block=abci.ResponseFinalizeBlock(tx_results=tx_results, app_hash=result.app_hash,
                                                                       validator_updates=updates))

    def commit(self, req) -> "abci.Response":
        self.app.commit()
        return abci.Response(commit=abci.ResponseCommit(retain_height=0))


@contextmanager
def _accepted_by_the_network(height: int) -> Iterator[None]:
    """Around executing a block more than two thirds of the validators accepted (to precommit it, or
    decided): if this node cannot execute it, its state is the one that is wrong."""
    try:
        yield
    except BlockInvalid as exc:
        raise StateDiverged(f"the validators accepted block {height}, which this node cannot execute "
                            f"({exc.code}: {exc.message}): its state disagrees with the chain's and it stops "
                            f"(restore its store from a backup or an export)",
                            **{**exc.details, "height": height, "refusal": exc.code}) from None


def _address(pub_key: bytes) -> bytes:
    """CometBFT's address of an Ed25519 key."""
    return hashlib.sha256(pub_key).digest()[:20]
