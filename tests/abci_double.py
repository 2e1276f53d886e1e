"""An in-process CometBFT double: validators' applications driven through the ABCI adapter.

It sends the protobuf requests CometBFT v0.38 sends, in its documented order
for one height: ``PrepareProposal`` on the proposer (with the vote extensions
of the height before as ``local_last_commit``), ``ProcessProposal`` on every
node, ``ExtendVote`` on every validator and ``VerifyVoteExtension`` of each
extension by every other, then ``FinalizeBlock`` and ``Commit`` everywhere.
A test can leave a node out of any step (a locked round, block sync), tamper
with a proposal or an extension, and read every answer.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chain.crypto import profile
from chain.genesis import Genesis
from chain.store import MemoryStore
from node.abci.adapter import Adapter
from node.abci.proto import abci
from node.app import Application
from node.home import Home, NodeConfig, chain_document, finish_home, new_home, write_member_keys, write_private_key
from node.node import open_ledger
from node.samples import SAMPLE_MEMBERS

GENESIS_TIME = 1_780_000_000_000
COMMIT = 2  # BlockIDFlag COMMIT


def consensus_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def ts(ms: int):
    from google.protobuf.timestamp_pb2 import Timestamp

    return Timestamp(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


@dataclass
class Peer:
    """One node: its application behind the adapter, and whether it validates."""

    name: str
    app: Application
    adapter: Adapter
    address: bytes
    validator: bool
    faults: list[BaseException] = field(default_factory=list)

    def call(self, **kw) -> "abci.Response":
        return self.adapter.handle(abci.Request(**kw))


def network(tmp: Path, validators: int = 4, followers: int = 0, profile_name: str = "ed25519-sha256",
            step_ms: int | None = 1000) -> tuple[Genesis, list[Peer], dict]:
    """A CometBFT-engine chain of ``validators`` validators (and ``followers`` that do not vote),
    each node an application over its own in-memory store; the member keys by uscc."""
    prof = profile(profile_name)
    doc, keys = chain_document(prof, chain_id="mulu-double", genesis_time=GENESIS_TIME, clock_step_ms=step_ms,
                               members=list(SAMPLE_MEMBERS))
    doc["engine"] = "cometbft"
    mulu_keys = [prof.generate() for _ in range(validators + followers)]
    cons = [consensus_key() for _ in range(validators)]
    for i in range(validators):
        doc["validators"].append({"name": f"node{i}", "operator": SAMPLE_MEMBERS[0].uscc,
                                  "public_key": mulu_keys[i].public_key.hex(), "power": 1,
                                  "consensus_key": base64.b64encode(cons[i]).decode()})
    genesis = Genesis.from_doc(doc)
    peers = []
    for i in range(validators + followers):
        home = new_home(tmp / f"node{i}")
        write_private_key(home.path / "validator.pem", mulu_keys[i])
        write_member_keys(home, keys if i == 0 else {})
        finish_home(home, genesis, NodeConfig(f"node{i}", "127.0.0.1:1", "validator.pem"))
        ledger = open_ledger(Home(home.path), MemoryStore(), verify_threads=1)
        is_validator = i < validators
        app = Application(ledger, ledger.machine, (f"node{i}", mulu_keys[i]) if is_validator else None)
        peer = Peer(f"node{i}", app, None, hashlib.sha256(cons[i]).digest()[:20] if is_validator else b"",
                    is_validator)
        peer.adapter = Adapter(app, genesis, on_fault=peer.faults.append)
        peers.append(peer)
    return genesis, peers, keys


class Double:
    """Drives heights over the peers as CometBFT would; keeps the last height's extensions."""

    def __init__(self, genesis: Genesis, peers: list[Peer]) -> None:
        self.genesis = genesis
        self.peers = peers
        self.validators = [p for p in peers if p.validator]
        self.last_votes: list = []  # ExtendedVoteInfo of the height before
        self.misbehavior: list = []  # the evidence the next block carries (abci.Misbehavior)
        self.height = 0
        for p in peers:
            v = [abci.ValidatorUpdate(pub_key={"ed25519": base64.b64decode(x["consensus_key"])}, power=x["power"])
                 for x in genesis.doc["validators"]]
            answer = p.call(init_chain=abci.RequestInitChain(time=ts(genesis.genesis_time), chain_id=genesis.chain_id,
                                                            validators=v, initial_height=1))
            assert answer.WhichOneof("value") == "init_chain", answer

    def proposer(self, height: int) -> Peer:
        return self.validators[(height - 1) % len(self.validators)]

    def prepare(self, txs: list[bytes], proposer: Peer | None = None, votes: list | None = None) -> list[bytes]:
        height = self.height + 1
        proposer = proposer or self.proposer(height)
        answer = proposer.call(prepare_proposal=abci.RequestPrepareProposal(misbehavior=self.misbehavior,
            max_tx_bytes=20 * 1024 * 1024, txs=txs, height=height, time=ts(GENESIS_TIME + height),
            proposer_address=proposer.address,
            local_last_commit=abci.ExtendedCommitInfo(votes=self.last_votes if votes is None else votes)))
        return list(answer.prepare_proposal.txs)

    def block_hash(self, txs: list[bytes]) -> bytes:
        return hashlib.sha256(b"%d" % (self.height + 1) + b"".join(txs)).digest()

    def process(self, peer: Peer, txs: list[bytes], proposer: Peer | None = None) -> bool:
        height = self.height + 1
        proposer = proposer or self.proposer(height)
        answer = peer.call(process_proposal=abci.RequestProcessProposal(misbehavior=self.misbehavior,
            txs=txs, height=height, time=ts(GENESIS_TIME + height), proposer_address=proposer.address,
            hash=self.block_hash(txs)))
        return answer.process_proposal.status == abci.ResponseProcessProposal.ACCEPT

    def extend(self, peer: Peer, txs: list[bytes], proposer: Peer | None = None) -> bytes:
        height = self.height + 1
        proposer = proposer or self.proposer(height)
        answer = peer.call(extend_vote=abci.RequestExtendVote(misbehavior=self.misbehavior,
            hash=self.block_hash(txs), height=height, time=ts(GENESIS_TIME + height), txs=txs,
            proposer_address=proposer.address))
        return answer.extend_vote.vote_extension

    def verify(self, peer: Peer, signer: Peer, extension: bytes, txs: list[bytes]) -> bool:
        answer = peer.call(verify_vote_extension=abci.RequestVerifyVoteExtension(
            hash=self.block_hash(txs), validator_address=signer.address, height=self.height + 1,
            vote_extension=extension))
        return answer.verify_vote_extension.status == abci.ResponseVerifyVoteExtension.ACCEPT

    def finalize(self, peer: Peer, txs: list[bytes], proposer: Peer | None = None) -> "abci.Response":
        height = self.height + 1
        proposer = proposer or self.proposer(height)
        answer = peer.call(finalize_block=abci.RequestFinalizeBlock(misbehavior=self.misbehavior,
            txs=txs, height=height, time=ts(GENESIS_TIME + height), proposer_address=proposer.address,
            hash=self.block_hash(txs)))
        if answer.WhichOneof("value") == "finalize_block":
            commit = peer.call(commit=abci.RequestCommit())
            assert commit.WhichOneof("value") == "commit", commit
        return answer

    def run_height(self, txs: list[bytes], *, skip_process: tuple[Peer, ...] = (), sync_only: tuple[Peer, ...] = (),
                   forge: tuple[Peer, ...] = ()) -> list[bytes]:
        """One decided height: the block's transactions (after the proposer's preparation)."""
        in_force = {v.name for v in self.peers[0].app.ledger.validators_at(self.height + 1)}
        self.validators = [p for p in self.peers if p.name in in_force]
        block = self.prepare(txs)
        voters = []
        for p in self.peers:
            if p in sync_only:
                continue
            if p not in skip_process:
                assert self.process(p, block), f"{p.name} rejected the proposal"
        for p in self.validators:
            if p in sync_only:
                continue
            ext = self.extend(p, block)
            if p in forge:
                ext = ext[:-8] + bytes(8)
            ok = all(self.verify(q, p, ext, block) for q in self.validators if q is not p and q not in sync_only)
            if ok or p in forge:
                voters.append((p, ext, ok))
        self.finalized = {}
        for p in self.peers:
            answer = self.finalize(p, block)
            assert answer.WhichOneof("value") == "finalize_block", (p.name, answer)
            self.finalized[p.name] = answer.finalize_block
        # what the next proposer sees: its own extension unverified, the others' only when they verified
        self.last_votes = [abci.ExtendedVoteInfo(validator=abci.Validator(address=p.address, power=1),
                                                 vote_extension=ext, block_id_flag=COMMIT)
                           for p, ext, ok in voters]
        self.height += 1
        return block

    def tips(self) -> set[tuple]:
        return {(p.app.ledger.tip.height, p.app.ledger.tip.hash, p.app.ledger.certified) for p in self.peers}
