"""The review service's acceptance verdict, with evidence anyone can re-check offline.

001:第二十一条 has the 验收项目数据目录 compiled "依托市级目录区块链系统": the
review service asks the chain whether a project may pass acceptance. The
answer (:func:`evidence`) is the verdict of
:func:`contracts.project.acceptance.verdict` computed over committed state
at one certified height, and its evidence:

* a **state proof** of every record the verdict read — present or absent —
  against that block's header, whose commit the validators signed;
* an **inclusion proof** of the transaction that wrote each proven record
  that names one (its signer and block).

:func:`check` trusts none of it: starting from the genesis file alone it
checks the header's commit, every state proof and every inclusion proof,
then recomputes the verdict from the proven records only — a record the
verdict needs and the evidence does not prove is an error, never a guess —
and compares it with the one the node gave. A condition whose evidence fails
to verify is named, so an altered proof says which condition it touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chain import merkle, proofs
from chain.encoding import decode
from chain.errors import MuluError, NotFound, ProofInvalid
from chain.block import split_stored
from chain.cache import BoundedMap
from chain.genesis import Genesis
from chain.ledger import Ledger
from contracts.project.acceptance import verdict
from contracts.registry import Registry
from contracts.project.keys import project_key

EVIDENCE_FORMAT = "mulu/acceptance-evidence/v1"


class AtHeight:
    """Committed state as of one height, read record by record (what a verdict needs)."""

    def __init__(self, state: Any, height: int) -> None:
        self._state, self._height = state, height
        self._read: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        if key not in self._read:
            version = self._state.version(key, self._height)
            self._read[key] = None if version is None else version.value
        return self._read[key]


class Proven:
    """The records a review's evidence proves; reading any other is EVIDENCE_INCOMPLETE."""

    def __init__(self, records: dict[str, Any]) -> None:
        self._records = records

    def get(self, key: str) -> Any:
        if key not in self._records:
            raise ProofInvalid(f"the verdict needs {key!r}, which the evidence does not prove",
                               code="EVIDENCE_INCOMPLETE", key=key)
        return self._records[key]


def _keys(found: dict[str, Any]) -> list[str]:
    """Every key the verdict read, each once, in reading order."""
    return list(dict.fromkeys([*found["evidence"], *(k for c in found["conditions"] for k in c["evidence"])]))


def evidence(ledger: Ledger, project_id: str, height: int | None = None) -> dict[str, Any]:
    """The verdict on ``project_id`` at ``height`` (default: the last certified block) with its proofs."""
    height = ledger.certified if height is None else height
    if not 1 <= height <= ledger.certified:
        raise NotFound(f"no certified block {height} to judge at; the last certified is {ledger.certified}",
                       code="BLOCK_NOT_CERTIFIED", height=height, certified=ledger.certified)
    if ledger.state.version(project_key(project_id), height) is None:
        raise NotFound(f"no project {project_id} at block {height}", code="PROJECT_NOT_FOUND",
                       project_id=project_id, height=height)
    view = AtHeight(ledger.state, height)
    found = verdict(view, project_id)
    records = []
    writers: dict[bytes, None] = {}
    for key in _keys(found):
        proof = ledger.state_path(key, height)
        records.append({"key": key, "record": proof["record"], "proof": proof["proof"]})
        value = view.get(key)
        tx_id = value.get("tx_id") if isinstance(value, dict) else None
        if isinstance(tx_id, bytes):
            writers[tx_id] = None
    return {"format": EVIDENCE_FORMAT, "chain_id": ledger.genesis.chain_id, "project_id": project_id,
            "height": height, "verdict": found, **ledger._committed_header(height),
            "set_changes": ledger.set_changes(height), "records": records,
            "transactions": tx_proofs(ledger, list(writers))}


@dataclass(frozen=True)
class _Trees:
    """A certified block's transactions and results as stored, and their trees' perfect subtrees."""

    committed: dict[str, Any]
    txs: tuple[bytes, ...]
    results: tuple[bytes, ...]
    tx_levels: list[list[bytes]]
    result_levels: list[list[bytes]]


TREE_MEMORY = 64
"""How many blocks' trees the review service keeps: a certified block never changes, and the verdicts
of one department's projects prove transactions of the same blocks again and again."""
_TREE_CACHE: BoundedMap[tuple[bytes, int], _Trees] = BoundedMap(TREE_MEMORY)


def _trees(ledger: Ledger, height: int) -> _Trees:
    """Block ``height``'s trees, hashed once per block (keyed by its hash, so never another chain's)."""
    key = (ledger.block_hash(height), height)
    found = _TREE_CACHE.get(key)
    if found is None:
        h = ledger.profile.hash
        parts = split_stored(ledger.raw_block(height))
        if parts.commit is None:
            raise NotFound(f"block {height} is decided but not yet certified", code="BLOCK_NOT_CERTIFIED",
                           height=height)
        found = _Trees({"header": parts.header.to_plain(), "commit": parts.commit.to_plain()}, parts.txs,
                       parts.results, merkle.tree_levels(h, [merkle.leaf_hash(h, tx) for tx in parts.txs]),
                       merkle.tree_levels(h, [merkle.leaf_hash(h, r) for r in parts.results]))
        _TREE_CACHE.put(key, found)
    return found


def tx_proofs(ledger: Ledger, tx_ids: list[bytes]) -> list[dict[str, Any]]:
    """Inclusion proofs of ``tx_ids`` (as :meth:`Ledger.tx_proof`), each block's trees hashed once."""
    h = ledger.profile.hash
    by_block: dict[int, list[tuple[bytes, int]]] = {}
    for tx_id in tx_ids:
        height, index = ledger.locate(tx_id)
        by_block.setdefault(height, []).append((tx_id, index))
    out = []
    for height in sorted(by_block):
        trees = _trees(ledger, height)
        indices = [index for _, index in by_block[height]]
        tx_paths = merkle.inclusion_proofs(h, (), indices, trees.tx_levels)
        result_paths = merkle.inclusion_proofs(h, (), indices, trees.result_levels)
        committed = {**trees.committed, "set_changes": ledger.set_changes(height)}
        for index, tx_path, result_path in zip(indices, tx_paths, result_paths):
            out.append({"type": "tx", "height": height, "index": index, "size": len(trees.txs),
                        "tx": trees.txs[index], "result": trees.results[index],
                        "tx_path": tx_path, "result_path": result_path, **committed})
    return out


def _claimed(record: Any) -> Any:
    """What a record's bytes say, unverified (to place a broken proof in its condition)."""
    try:
        return decode(record)[1]
    except Exception:  # noqa: BLE001 - any garbage: nothing is claimed
        return None


def check(genesis: Genesis, bundle: dict[str, Any]) -> dict[str, Any]:
    """Re-check an evidence bundle against ``genesis`` alone: the verdict recomputed from the proven
    records, each condition with ``verified`` (its records' proofs hold and the node stated it as
    recomputed) and, if not, its errors."""
    try:
        project_id, height, given = bundle["project_id"], bundle["height"], bundle["verdict"]
        header, commit, records = bundle["header"], bundle["commit"], bundle["records"]
        set_changes = bundle.get("set_changes", [])
        transactions, stated = bundle["transactions"], given["conditions"]
    except (KeyError, TypeError) as exc:
        raise ProofInvalid(f"not an acceptance evidence bundle: lacks {exc}", code="EVIDENCE_INVALID") from None
    if bundle.get("format") != EVIDENCE_FORMAT:
        raise ProofInvalid(f"not an acceptance evidence bundle of format {EVIDENCE_FORMAT}",
                           code="EVIDENCE_INVALID", format=bundle.get("format"))
    machine = Registry()  # reads the validator sets the proofs' set changes carry
    values: dict[str, Any] = {}
    broken: dict[str, str] = {}
    errors: list[str] = []
    for item in records:
        key = item.get("key") if isinstance(item, dict) else None
        if type(key) is not str:
            errors.append("a proven record without a key")
            continue
        try:
            checked = proofs.verify_state(genesis, {"key": key, "height": height, "record": item.get("record"),
                                                    "proof": item.get("proof"), "header": header, "commit": commit,
                                                    "set_changes": set_changes}, machine)
            values[key] = checked["value"]
        except MuluError as exc:
            broken[key] = exc.message
            values[key] = _claimed(item.get("record"))
    writers: dict[bytes, dict[str, Any]] = {}
    for i, tx in enumerate(transactions):
        try:
            checked = proofs.verify_tx(genesis, tx, machine)
        except MuluError as exc:
            errors.append(f"transactions[{i}]: {exc.message}")
            continue
        writers[bytes.fromhex(checked["tx_id"])] = checked
    for key, value in values.items():
        tx_id = value.get("tx_id") if isinstance(value, dict) else None
        if not isinstance(tx_id, bytes) or key in broken:
            continue
        if tx_id not in writers:
            broken[key] = f"the transaction {tx_id.hex()} that wrote it has no valid inclusion proof"
        elif writers[tx_id]["height"] != value.get("height"):
            broken[key] = f"its transaction is in block {writers[tx_id]['height']}, not {value.get('height')}"
    try:
        recomputed: dict[str, Any] | None = verdict(Proven(values), project_id)
    except MuluError as exc:
        recomputed = None
        errors.append(exc.message)
    mine = {c["name"]: c for c in (recomputed or {}).get("conditions", [])}
    conditions = []
    for c in stated:
        name = c.get("name")
        keys = [*given.get("evidence", []), *c.get("evidence", [])]
        problems = [f"{k}: {broken[k]}" for k in dict.fromkeys(keys) if k in broken]
        ours = mine.get(name)
        if ours is not None and (ours["met"], ours["failures"]) != (c.get("met"), c.get("failures")):
            problems.append("the node stated this condition otherwise than the proven records say")
        conditions.append({"name": name, "title": c.get("title"), "met": None if ours is None else ours["met"],
                           "verified": ours is not None and not problems, "errors": problems})
    if recomputed is not None and [c.get("name") for c in stated] != list(mine):
        errors.append("the node's verdict does not list the acceptance conditions in order")
    verified = recomputed is not None and not errors and all(c["verified"] for c in conditions)
    return {"project_id": project_id, "height": height, "verified": verified,
            "passed": None if recomputed is None else recomputed["passed"], "conditions": conditions,
            "errors": errors}
