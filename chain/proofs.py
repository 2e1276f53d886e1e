"""Offline checks of the proofs a node hands out, trusting only the genesis.

A proof carries a block header and its commit; the commit is checked against
the validators in force at the header's height, then the Merkle path against
the header's root:

* a transaction proof: the transaction and its result, each with an RFC 9162
  inclusion path to ``tx_root`` / ``result_root``;
* a state proof: a record's version (or its absence) with a state-tree path
  to ``state_root``;
* a block proof: a block hash with an inclusion path to a later header's
  ``history_root``;
* a consistency proof: an older header's history is a prefix of a newer one's,
  so an auditor holding a checkpoint checks a new head in O(log n).

The validators in force are the genesis set until governance changes them.
Then a proof also carries ``set_changes``: for each set that took effect by
its header's height, oldest first, a state proof of the new set's record
under a header that the set before it certified. The verifier walks them from
the genesis set, trusting each new set from its effective height; every
header, the changes' and the proof's own, must name (``validators_hash``) the
set the walk holds in force at its height and carry that set's commit. The
records are read by the chain's application (a :class:`Machine`'s
``scheduled_sets``), which alone knows their layout.
"""

from __future__ import annotations

from typing import Any

from chain import merkle
from chain.block import BlockHeader, Commit, TxResult
from chain.encoding import decode
from chain.errors import MuluError, ProofInvalid
from chain.execution import Machine
from chain.genesis import Genesis, Validator, validators_hash
from chain.ledger import check_commit, set_in_force
from chain.statetree import StateProof, verify_state_proof
from chain.tx import Transaction

Schedule = list[tuple[int, tuple[Validator, ...]]]
"""The validator sets a verifier trusts, as ``(effective height, set)`` in order, the genesis set first."""


def _header(genesis: Genesis, proof: dict[str, Any], schedule: Schedule, where: str = "") -> BlockHeader:
    """The proof's header, once its commit is checked against the set ``schedule`` has in force at its
    height; errors name their field under ``where``."""
    try:
        header = BlockHeader.from_plain(proof["header"])
        commit = Commit.from_plain(proof["commit"])
        if header.chain_id != genesis.chain_id:
            raise ProofInvalid("the proof is for another chain", chain_id=header.chain_id,
                               field=f"{where}header.chain_id")
        validators = set_in_force(schedule, header.height)
        if header.validators_hash != validators_hash(genesis.profile, validators):
            effective = max((e for e, _ in schedule if e <= header.height), default=0)
            raise ProofInvalid(f"block {header.height} names a validator set other than the one in force at its "
                               f"height ({'the genesis set' if effective == 0 else f'the set from block {effective}'}"
                               f"): a set change missing from the proof's set_changes, or a tampered header",
                               field=f"{where}header.validators_hash", height=header.height)
        check_commit(genesis, header, commit, validators)
    except (KeyError, TypeError) as exc:
        raise ProofInvalid(f"the proof lacks a committed header: {exc}", field=f"{where}header") from None
    except ProofInvalid:
        raise
    except MuluError as exc:
        details = {**exc.details, "field": where + exc.details.get("field", "commit")}
        raise ProofInvalid(f"the proof's header is not committed: {exc.message}", **details) from None
    return header


def _record(genesis: Genesis, proof: dict[str, Any], header: BlockHeader, where: str = "") -> tuple[str, Any]:
    """A state proof's key and the value it proves under ``header`` (None: absent)."""
    h = genesis.profile.hash
    try:
        key, record, height = proof["key"], proof["record"], proof["height"]
        tree_proof = StateProof.from_plain(proof["proof"])
    except (KeyError, TypeError, MuluError) as exc:
        raise ProofInvalid(f"malformed state proof: {exc}", field=f"{where}proof") from None
    if height != header.height:
        raise ProofInvalid("the proof's height differs from its header", height=height, field=f"{where}height")
    value = None
    if type(key) is not str or type(height) is not int or not (record is None or type(record) is bytes):
        raise ProofInvalid("malformed state proof: key is text, height an integer, record bytes or null",
                           field=f"{where}key")
    if record is not None:
        try:
            version_height, value, _ = decode(record)
        except (MuluError, ValueError, TypeError) as exc:
            raise ProofInvalid(f"malformed state proof record: {exc}", field=f"{where}record") from None
        if type(version_height) is not int or version_height > height:
            raise ProofInvalid("the record is newer than the header", field=f"{where}record")
    key_hash, value_hash = h(key.encode()), None if value is None else h(record)
    leaf = tree_proof.leaf
    if value_hash is not None and leaf is not None and leaf[0] == key_hash and leaf[1] != value_hash:
        raise ProofInvalid("the record is not the version the state proof shows", field=f"{where}record")
    try:
        verify_state_proof(h, header.state_root, key_hash, value_hash, tree_proof)
    except ProofInvalid as exc:
        raise ProofInvalid(exc.message, **{**exc.details, "field": f"{where}proof"}) from None
    return key, value


def _schedule(genesis: Genesis, proof: dict[str, Any], machine: Machine | None) -> Schedule:
    """The validator sets the proof's ``set_changes`` lead to from the genesis set, each checked."""
    schedule: Schedule = [(0, genesis.validators)]
    changes = proof.get("set_changes") or []
    if type(changes) is not list:
        raise ProofInvalid("set_changes is a list of validator set changes", field="set_changes")
    if changes and machine is None:
        raise ProofInvalid("the proof carries validator set changes: reading their records needs the chain's "
                           "application", field="set_changes")
    for i, change in enumerate(changes):
        where = f"set_changes[{i}]."
        if type(change) is not dict:
            raise ProofInvalid("a set change is a state proof with its committed header", field=where[:-1])
        header = _header(genesis, change, schedule, where)
        key, value = _record(genesis, change, header, where)
        try:
            found = [] if value is None else machine.scheduled_sets({key: value})
        except (MuluError, KeyError, TypeError, ValueError) as exc:
            raise ProofInvalid(f"the validator set record does not read: {exc}", field=f"{where}record") from None
        if len(found) != 1:
            raise ProofInvalid(f"{key!r} is not a validator set record", field=f"{where}key")
        effective, validators = found[0]
        if effective <= schedule[-1][0]:
            raise ProofInvalid(f"the set from block {effective} follows the set from block {schedule[-1][0]}: "
                               f"set changes go oldest first, each once",
                               field=f"{where}key", effective=effective)
        if header.height >= effective:
            raise ProofInvalid(f"the set from block {effective} is proven under block {header.height}, which "
                               f"it certifies itself: a set is proven under a header of the set before it",
                               field=f"{where}height", effective=effective)
        schedule.append((effective, validators))
    return schedule


def _certified(genesis: Genesis, proof: dict[str, Any], machine: Machine | None) -> BlockHeader:
    """The proof's header, once its commit is checked against the validators in force at its height."""
    return _header(genesis, proof, _schedule(genesis, proof, machine))


def verify_tx(genesis: Genesis, proof: dict[str, Any], machine: Machine | None = None) -> dict[str, Any]:
    """Check a transaction proof; return what it proves. ``machine`` (the chain's application) reads the
    validator set changes the proof carries, if any."""
    h = genesis.profile.hash
    header = _certified(genesis, proof, machine)
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


def verify_state(genesis: Genesis, proof: dict[str, Any], machine: Machine | None = None) -> dict[str, Any]:
    """Check a state proof; return the record it proves (or its absence)."""
    header = _certified(genesis, proof, machine)
    key, value = _record(genesis, proof, header)
    return {"type": "state", "height": header.height, "key": key, "present": value is not None, "value": value}


def verify_block(genesis: Genesis, proof: dict[str, Any], machine: Machine | None = None) -> dict[str, Any]:
    """Check that a block hash is in the history committed by a later block's header."""
    h = genesis.profile.hash
    header = _certified(genesis, proof, machine)
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


def verify_consistency(genesis: Genesis, proof: dict[str, Any], machine: Machine | None = None) -> dict[str, Any]:
    """Check that a newer committed header's history extends an older one's.

    An auditor holding the old header (a checkpoint) compares it with
    ``old_header`` and then needs only this O(log n) proof.
    """
    h = genesis.profile.hash
    schedule = _schedule(genesis, proof, machine)
    new_header = _header(genesis, proof, schedule)
    old_header = _header(genesis, {"header": proof.get("old_header"), "commit": proof.get("old_commit")},
                         schedule, "old_")
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


def verify(genesis: Genesis, proof: dict[str, Any], machine: Machine | None = None) -> dict[str, Any]:
    """Check a proof of any kind (by its ``type``); ``machine`` (the chain's application) reads the
    validator set changes it carries, if any."""
    verifier = VERIFIERS.get(proof.get("type"))
    if verifier is None:
        raise ProofInvalid(f"unknown proof type {proof.get('type')!r}", known=sorted(VERIFIERS))
    return verifier(genesis, proof, machine)
