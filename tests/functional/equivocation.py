"""Duplicate-vote evidence made with a validator's CometBFT key, as CometBFT's own end-to-end runner
makes it, and submitted through a node's RPC ``broadcast_evidence``.

Two prevotes of one validator at one height and round for two different
blocks, each signed over CometBFT's canonical vote bytes (``CanonicalVote``,
length-prefixed), are proof that it equivocated; CometBFT checks them, gossips
the evidence and puts it in a block, whose ``FinalizeBlock`` carries it to the
application as misbehaviour.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf.timestamp_pb2 import Timestamp

from node.abci import proto  # noqa: F401 - puts the generated types on the import path
from node.abci.wire import frame
from tendermint.types import canonical_pb2, types_pb2

PREVOTE = types_pb2.SignedMsgType.Value("SIGNED_MSG_TYPE_PREVOTE")


def _vote(key: Ed25519PrivateKey, address: bytes, index: int, chain_id: str, height: int, block_hash: bytes,
          parts_hash: bytes, when: str) -> dict:
    ts = Timestamp()
    ts.FromJsonString(when)
    canonical = canonical_pb2.CanonicalVote(
        type=PREVOTE, height=height, round=0, chain_id=chain_id, timestamp=ts,
        block_id=canonical_pb2.CanonicalBlockID(
            hash=block_hash, part_set_header=canonical_pb2.CanonicalPartSetHeader(total=1, hash=parts_hash)))
    signature = key.sign(frame(canonical.SerializeToString()))
    return {"type": PREVOTE, "height": str(height), "round": 0,
            "block_id": {"hash": block_hash.hex().upper(), "parts": {"total": 1, "hash": parts_hash.hex().upper()}},
            "timestamp": when, "validator_address": address.hex().upper(), "validator_index": index,
            "signature": base64.b64encode(signature).decode()}


def submit_duplicate_vote(rpc: str, cometbft_home: Path, chain_id: str, height: int) -> dict:
    """Make and broadcast evidence that the validator of ``cometbft_home`` prevoted twice at ``height``;
    CometBFT's answer (``result`` with the evidence hash, or ``error``)."""
    keyfile = json.loads((cometbft_home / "config" / "priv_validator_key.json").read_text())
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(keyfile["priv_key"]["value"])[:32])
    address = bytes.fromhex(keyfile["address"])
    with httpx.Client(base_url=rpc, timeout=10) as client:
        validators = client.get("/validators", params={"height": height}).json()["result"]["validators"]
        index = [v["address"] for v in validators].index(keyfile["address"])
        block_time = client.get("/block", params={"height": height}).json()["result"]["block"]["header"]["time"]
        ids = sorted((os.urandom(32), os.urandom(32)) for _ in range(2))  # vote_a's block id sorts first
        votes = [_vote(key, address, index, chain_id, height, h, parts, block_time) for h, parts in ids]
        evidence = {"type": "tendermint/DuplicateVoteEvidence",
                    "value": {"vote_a": votes[0], "vote_b": votes[1], "TotalVotingPower": str(len(validators)),
                              "ValidatorPower": "1", "Timestamp": block_time}}
        return client.post("/", json={"jsonrpc": "2.0", "id": 1, "method": "broadcast_evidence",
                                      "params": {"evidence": evidence}}).json()
