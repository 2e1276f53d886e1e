"""Offline checks of the proofs a node hands out, trusting only the genesis.

A proof carries a block header and its commit; the commit is checked against
the genesis validators, then the Merkle path against the header's root:

* a transaction proof: the transaction and its result, each with an RFC 9162
  inclusion path to ``tx_root`` / ``result_root``;
* a state proof: a record's version (or its absence) with a state-tree path
  to ``state_root``;
* a block proof: a block hash with an inclusion path to a later header's
  ``history_root``;
* a consistency proof: an older header's history is a prefix of a newer one's,
  so an auditor holding a checkpoint checks a new head in O(log n).
"""

from __future__ import annotations

from typing import Any

from chain import merkle
from chain.block import BlockHeader, Commit, TxResult
from chain.encoding import decode
from chain.errors import MuluError, ProofInvalid
from chain.genesis import Genesis
from chain.ledger import check_commit
from chain.statetree import StateProof, verify_state_proof
from chain.tx import Transaction


def _header(genesis: Genesis, proof: dict[str, Any]) -> BlockHeader:
    try:
        header = BlockHeader.from_plain(proof["header"])
        commit = Commit.from_plain(proof["commit"])
        if header.chain_id != genesis.chain_id:
            raise ProofInvalid("the proof is for another chain", chain_id=header.chain_id)
        if header.validators_hash != genesis.validators_hash():
            raise ProofInvalid(f"block {header.height} names a validator set other than genesis's: a set changed "
                               f"by governance (proofs do not yet carry the changes: check this block with "
                               f"`mulu audit verify` over an export), or a tampered header",
                               field="header.validators_hash", height=header.height)
        check_commit(genesis, header, commit)
    except (KeyError, TypeError) as exc:
        raise ProofInvalid(f"the proof lacks a committed header: {exc}") from None
    except ProofInvalid:
        raise
    except MuluError as exc:
        raise ProofInvalid(f"the proof's header is not committed: {exc.message}", **exc.details) from None
    return header


def verify_tx(genesis: Genesis, proof: dict[str, Any]) -> dict[str, Any]:
    """Check a transaction proof; return what it proves."""
    h = genesis.profile.hash
    header = _header(genesis, proof)
    try:
        tx = Transaction.from_bytes(proof["tx"])
        result = TxResult.from_plain(decode(proof["result"]))
        index, size = proof["index"], proof["size"]
        tx_path, result_path = proof["tx_path"], proof["result_path"]
    except (KeyError, TypeError, MuluError) as exc:
        raise ProofInvalid(f"malformed transaction proof: {exc}") from None
    if proof.get("height") != header.height:
        raise ProofInvalid("the proof's height differs from its header", height=proof.get("height"))
    merkle.verify_inclusion(h, index, size, merkle.leaf_hash(h, tx.to_bytes()), tx_path, header.tx_root)
    merkle.verify_inclusion(h, index, size, merkle.leaf_hash(h, result.to_bytes()), result_path,
                            header.result_root)
    if result.tx_id != tx.tx_id(genesis.profile):
        raise ProofInvalid("the result belongs to another transaction")
    return {"type": "tx", "height": header.height, "time": header.time, "tx_id": result.tx_id.hex(),
            "sender": tx.sender, "call": f"{tx.contract}.{tx.method}", "status": result.status,
            "code": result.code}


def verify_state(genesis: Genesis, proof: dict[str, Any]) -> dict[str, Any]:
    """Check a state proof; return the record it proves (or its absence)."""
    h = genesis.profile.hash
    header = _header(genesis, proof)
    try:
        key, record, height = proof["key"], proof["record"], proof["height"]
        tree_proof = StateProof.from_plain(proof["proof"])
    except (KeyError, TypeError, MuluError) as exc:
        raise ProofInvalid(f"malformed state proof: {exc}") from None
    if height != header.height:
        raise ProofInvalid("the proof's height differs from its header", height=height)
    value = None
    if type(key) is not str or type(height) is not int or not (record is None or type(record) is bytes):
        raise ProofInvalid("malformed state proof: key is text, height an integer, record bytes or null")
    if record is not None:
        try:
            version_height, value, _ = decode(record)
        except (MuluError, ValueError, TypeError) as exc:
            raise ProofInvalid(f"malformed state proof record: {exc}") from None
        if type(version_height) is not int or version_height > height:
            raise ProofInvalid("the record is newer than the header")
    value_hash = None if value is None else h(record)
    verify_state_proof(h, header.state_root, h(key.encode()), value_hash, tree_proof)
    return {"type": "state", "height": height, "key": key, "present": value is not None, "value": value}


def verify_block(genesis: Genesis, proof: dict[str, Any]) -> dict[str, Any]:
    """Check that a block hash is in the history committed by a later block's header."""
    h = genesis.profile.hash
    header = _header(genesis, proof)
    try:
        height, at, block_hash, path = proof["height"], proof["at"], proof["block_hash"], proof["path"]
    except KeyError as exc:
        raise ProofInvalid(f"malformed block proof: lacks {exc}") from None
    if at != header.height or type(block_hash) is not bytes or type(height) is not int:
        raise ProofInvalid("malformed block proof: `at` is the header's height, block_hash bytes")
    if height == 0 and block_hash != genesis.hash:
        raise ProofInvalid("block 0 is the genesis, and its hash is the genesis file's")
    merkle.verify_inclusion(h, height, at, merkle.leaf_hash(h, block_hash), path, header.history_root)
    return {"type": "block", "height": height, "at": at, "block_hash": block_hash.hex()}


def verify_consistency(genesis: Genesis, proof: dict[str, Any]) -> dict[str, Any]:
    """Check that a newer committed header's history extends an older one's.

    An auditor holding the old header (a checkpoint) compares it with
    ``old_header`` and then needs only this O(log n) proof.
    """
    h = genesis.profile.hash
    new_header = _header(genesis, proof)
    old_header = _header(genesis, {"header": proof.get("old_header"), "commit": proof.get("old_commit")})
    try:
        old, new, path = proof["old"], proof["new"], proof["path"]
    except KeyError as exc:
        raise ProofInvalid(f"malformed consistency proof: lacks {exc}") from None
    if old != old_header.height or new != new_header.height:
        raise ProofInvalid("the proof's heights differ from its headers", old=old, new=new)
    merkle.verify_consistency(h, old, new, old_header.history_root, new_header.history_root, path)
    return {"type": "consistency", "old": old, "new": new,
            "old_hash": old_header.hash(genesis.profile).hex(), "new_hash": new_header.hash(genesis.profile).hex()}


VERIFIERS = {"tx": verify_tx, "state": verify_state, "block": verify_block, "consistency": verify_consistency}


def verify(genesis: Genesis, proof: dict[str, Any]) -> dict[str, Any]:
    """Check a proof of any kind (by its ``type``)."""
    verifier = VERIFIERS.get(proof.get("type"))
    if verifier is None:
        raise ProofInvalid(f"unknown proof type {proof.get('type')!r}", known=sorted(VERIFIERS))
    return verifier(genesis, proof)
