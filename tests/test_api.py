"""The node's HTTP API, in process: every route, and every refusal at the door.

A node runs over a :class:`MemoryStore` behind ``create_app``, reached through
FastAPI's ``TestClient`` (wrapped in :class:`cli.client.Client` where the
typed calls help). Blocks are made by driving the solo engine directly
(``run_until_empty``) or, for ``?wait=true``, by starting it in its thread.

The door tests show that each kind of bad input is answered with its 4xx
status and a ``{code, message, details}`` body, and that nothing refused
reaches the mempool.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import msgpack
import pytest

with warnings.catch_warnings():  # starlette's notice about httpx's future, not ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from chain import proofs
from chain.audit import audit_archive
from chain.crypto import profile
from chain.encoding import encode
from chain.errors import ProofInvalid
from chain.store import MemoryStore
from chain.tx import Transaction, make_tx
from cli.client import ApiError, Client, Member
from cli.main import _unb64
from contracts.registry import Registry
from node.api import create_app
from node.home import Home, init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS, by_short

GENESIS_TIME = 1_767_225_600_000
STEP_MS = 1000
PARAMS = {"max_tx_bytes": 4096, "max_batch_txs": 16, "max_batch_bytes": 32 * 1024, "mempool_max_txs": 20}
STRANGER = "91110108MA00000000"
"""A sender the genesis does not name."""

EDU, HEALTH, MARKET = "市教委", "市卫生健康委", "市市场监管局"


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def anchor_args(doc_id: str = "duty-catalog", text: str = "职责目录 v1") -> dict[str, Any]:
    return {"doc_id": doc_id, "title": "北京市教育委员会职责目录", "kind": "duty_catalog", "digest": digest(text)}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass
class Chain:
    """One in-memory node behind the API, with a raw and a typed client."""

    home: Home
    node: Node
    http: TestClient
    client: Client

    def member(self, short: str) -> Member:
        m = by_short(short)
        return Member(self.client, self.home.member_key(m.uscc), m.uscc)

    def commit(self) -> int:
        """Make blocks until the mempool is empty; return how many."""
        return self.node.engine.run_until_empty()

    def mempool(self) -> int:
        return self.node.engine.pending_count()

    @property
    def profile(self):
        return self.node.ledger.profile

    def tx_id(self, tx: Transaction) -> str:
        return tx.tx_id(self.profile).hex()

    def post_tx(self, raw: bytes, **params: Any):
        return self.http.post("/v1/txs", content=raw, params=params,
                              headers={"content-type": "application/msgpack"})

    def post_batch(self, raws: list[bytes]):
        return self.http.post("/v1/txs/batch", content=encode(raws),
                              headers={"content-type": "application/msgpack"})


def _export(node: Node):
    buffer = io.BytesIO()
    node.ledger.export(buffer)
    yield buffer.getvalue()


@pytest.fixture
def chain(tmp_path: Path):
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=STEP_MS, params=PARAMS)
    node = Node(home, store=MemoryStore())
    with TestClient(create_app(node, export=lambda: _export(node))) as http:
        yield Chain(home, node, http, Client("http://testserver", http=http))
    node.stop()


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    """The response is ``status`` with a ``{code, message, details}`` body of ``code``."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


# --- submission ------------------------------------------------------------------


def test_submit_one_transaction_as_json_or_msgpack(chain: Chain):
    """One transaction may come as JSON {"tx": base64} or as a msgpack body; both wait as pending."""
    edu = chain.member(EDU)
    first = edu.sign("anchor", "put", anchor_args(text="v1"))
    second = edu.sign("anchor", "put", anchor_args(text="v2"))

    response = chain.http.post("/v1/txs", json={"tx": b64(first.to_bytes())})
    assert response.status_code == 202
    assert response.json() == {"tx_id": chain.tx_id(first), "status": "pending", "height": None, "result": None}

    response = chain.post_tx(second.to_bytes())
    assert response.status_code == 202
    assert response.json()["tx_id"] == chain.tx_id(second)

    assert chain.mempool() == 2
    assert chain.client.member(edu.sender)["next_nonce"] == 3, "pending nonces count"
    assert chain.commit() == 1
    assert chain.mempool() == 0
    block = chain.client.block(1)
    assert [t["tx_id"] for t in block["txs"]] == [chain.tx_id(first), chain.tx_id(second)]
    assert [t["result"]["status"] for t in block["txs"]] == ["ok", "ok"]
    assert chain.client.member(edu.sender)["next_nonce"] == 3


def test_submit_batch_as_json_or_msgpack(chain: Chain):
    """A batch may come as JSON {"txs": [...]} or as a msgpack array of byte strings."""
    edu, health = chain.member(EDU), chain.member(HEALTH)
    packed = [edu.sign("anchor", "put", anchor_args(f"doc-{i}")) for i in range(3)]
    as_json = [health.sign("anchor", "put", anchor_args(f"doc-{i}")) for i in range(2)]

    answer = chain.client.submit_batch([t.to_bytes() for t in packed])
    assert answer == {"accepted": 3, "rejected": 0,
                      "results": [{"tx_id": chain.tx_id(t), "status": "pending"} for t in packed]}

    response = chain.http.post("/v1/txs/batch", json={"txs": [b64(t.to_bytes()) for t in as_json]})
    assert response.status_code == 200
    assert [r["tx_id"] for r in response.json()["results"]] == [chain.tx_id(t) for t in as_json]

    assert chain.mempool() == 5
    chain.commit()
    for t in packed + as_json:
        assert chain.client.tx(chain.tx_id(t))["result"]["status"] == "ok"


def test_batch_answers_each_transaction_on_its_own(chain: Chain):
    """Good and bad transactions in one batch: the good enter the mempool, each bad one gets its code."""
    edu, market = chain.member(EDU), chain.member(MARKET)
    stranger = profile("ed25519-sha256").generate()
    good1 = edu.sign("anchor", "put", anchor_args("a"), nonce=1)
    forged2 = _flip_signature(edu.sign("anchor", "put", anchor_args("b"), nonce=2))
    good2 = edu.sign("anchor", "put", anchor_args("c"), nonce=2)
    gap = market.sign("anchor", "put", anchor_args("d"), nonce=5)
    unknown = make_tx(stranger, chain_id="mulu-demo", sender=STRANGER, nonce=1, contract="anchor",
                      method="put", args=anchor_args("e"))
    good3 = edu.sign("anchor", "put", anchor_args("f"), nonce=3)
    replay3 = edu.sign("anchor", "put", anchor_args("g"), nonce=3)
    raws = [good1.to_bytes(), forged2.to_bytes(), good2.to_bytes(), gap.to_bytes(), unknown.to_bytes(),
            good3.to_bytes(), b"\xc1", replay3.to_bytes(), good1.to_bytes()]

    answer = chain.client.submit_batch(raws)

    assert (answer["accepted"], answer["rejected"]) == (3, 6)
    outcomes = [r.get("tx_id") if r["status"] == "pending" else r["error"]["code"] for r in answer["results"]]
    assert outcomes == [chain.tx_id(good1), "TX_SIGNATURE_INVALID", chain.tx_id(good2), "TX_NONCE_GAP",
                        "TX_SENDER_UNKNOWN", chain.tx_id(good3), "TX_MALFORMED", "TX_NONCE_REPLAYED",
                        "TX_DUPLICATE"]
    for r in answer["results"]:
        if r["status"] == "rejected":
            assert set(r["error"]) == {"code", "message", "details"}
    assert chain.mempool() == 3
    chain.commit()
    assert [t["nonce"] for t in chain.client.block(1)["txs"]] == [1, 2, 3]


def test_wait_returns_the_committed_or_refused_result(chain: Chain):
    """With ?wait=true the answer is the transaction's block and result: committed, or refused by a rule."""
    chain.node.start()
    edu = chain.member(EDU)

    answer = edu.call("anchor", "put", anchor_args(text="v1"), wait=True)
    assert answer["status"] == "committed"
    assert answer["height"] == 1
    assert answer["result"]["status"] == "ok"
    assert answer["result"]["events"] == [
        {"type": "anchored", "attributes": {"doc_id": "duty-catalog", "uscc": edu.sender, "version": 1}}]

    again = edu.sign("anchor", "put", anchor_args(text="v1"))
    answer = chain.client.submit_json(again.to_bytes(), wait=True)
    assert answer["status"] == "refused"
    assert answer["height"] == 2
    assert answer["result"]["code"] == "ANCHOR_UNCHANGED"
    assert answer["result"]["field"] == "digest"
    assert chain.client.tx(chain.tx_id(again))["result"]["status"] == "refused"


def test_wait_with_no_block_made_stays_pending(chain: Chain):
    """With the engine stopped, ?wait=true&timeout=0 answers pending at once."""
    tx = chain.member(EDU).sign("anchor", "put", anchor_args())
    response = chain.post_tx(tx.to_bytes(), wait="true", timeout=0)
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert chain.mempool() == 1


# --- reads -----------------------------------------------------------------------


def test_status(chain: Chain):
    """Status names the chain, its profile, genesis hash, tip, mempool, validators and params."""
    status = chain.client.status()
    genesis = chain.node.genesis
    assert status["chain_id"] == "mulu-demo"
    assert status["profile"] == "ed25519-sha256"
    assert status["genesis_hash"] == genesis.hash.hex()
    assert (status["height"], status["tip_hash"], status["tip_time"]) == (0, genesis.hash.hex(), GENESIS_TIME)
    assert status["mempool"] == 0
    assert [v["name"] for v in status["validators"]] == ["node0"]
    assert status["clock"] == {"mode": "scripted", "step": STEP_MS}
    assert {k: status["params"][k] for k in PARAMS} == PARAMS

    chain.client.submit(chain.member(EDU).sign("anchor", "put", anchor_args()).to_bytes())
    assert chain.client.status()["mempool"] == 1
    chain.commit()
    status = chain.client.status()
    assert (status["height"], status["mempool"], status["tip_time"]) == (1, 0, GENESIS_TIME + STEP_MS)


def test_block_by_height(chain: Chain):
    """A block carries its header (linked to genesis), its transactions with results, and its commit."""
    tx = chain.member(EDU).sign("anchor", "put", anchor_args())
    chain.client.submit(tx.to_bytes())
    chain.commit()

    block = chain.client.block(1)
    header = block["header"]
    assert header["height"] == 1
    assert header["prev_hash"] == chain.node.genesis.hash.hex()
    assert header["hash"] == chain.client.status()["tip_hash"]
    assert header["time"] == GENESIS_TIME + STEP_MS
    assert header["proposer"] == "node0"
    [entry] = block["txs"]
    assert entry["tx_id"] == chain.tx_id(tx)
    assert base64.b64decode(entry["raw"]) == tx.to_bytes()
    assert entry["result"]["status"] == "ok"
    assert block["commit"]["block_hash"] == header["hash"]
    assert [s["validator"] for s in block["commit"]["signatures"]] == ["node0"]


def test_transaction_by_id_with_result_and_proof(chain: Chain):
    """A committed transaction is found by id with its result; its proof checks offline from genesis alone."""
    edu = chain.member(EDU)
    txs = [edu.sign("anchor", "put", anchor_args(f"doc-{i}")) for i in range(5)]
    chain.client.submit_batch([t.to_bytes() for t in txs])
    chain.commit()
    target = txs[3]

    found = chain.client.tx(chain.tx_id(target))
    assert (found["height"], found["index"]) == (1, 3)
    assert found["sender"] == edu.sender and found["nonce"] == 4
    assert (found["contract"], found["method"]) == ("anchor", "put")
    assert found["args"]["digest"] == target.args["digest"].hex()
    assert found["result"]["status"] == "ok"
    assert found["block_hash"] == chain.client.block(1)["header"]["hash"]

    proof = _unb64(chain.client.tx_proof(chain.tx_id(target)))
    checked = proofs.verify(chain.node.genesis, proof)
    assert checked == {"type": "tx", "height": 1, "time": GENESIS_TIME + STEP_MS, "tx_id": chain.tx_id(target),
                       "sender": edu.sender, "call": "anchor.put", "status": "ok", "code": ""}

    forged = dict(proof, tx=txs[2].to_bytes())
    with pytest.raises(ProofInvalid):
        proofs.verify(chain.node.genesis, forged)


def test_state_current_as_of_history_and_proof(chain: Chain):
    """A record is read as it is now or at a height, with its linked history and a state proof."""
    edu = chain.member(EDU)
    key = f"anchor/doc/{edu.sender}/duty-catalog"
    for text in ("v1", "v2"):
        chain.client.submit(edu.sign("anchor", "put", anchor_args(text=text)).to_bytes())
        chain.commit()

    now = chain.client.state(key)
    assert (now["key"], now["height"], now["deleted"]) == (key, 2, False)
    assert now["value"]["version"] == 2 and now["value"]["digest"] == digest("v2").hex()
    then = chain.client.state(key, height=1)
    assert then["value"]["version"] == 1 and then["value"]["digest"] == digest("v1").hex()

    history = chain.client.history(key)["versions"]
    assert [v["height"] for v in history] == [1, 2]
    assert history[1]["prev_hash"] == history[0]["hash"]
    assert history[1]["hash"] == now["hash"]

    for height, version in ((None, 2), (1, 1)):
        proof = _unb64(chain.client.state_proof(key, height))
        checked = proofs.verify(chain.node.genesis, proof)
        assert checked["present"] and checked["value"]["version"] == version
    absent = proofs.verify(chain.node.genesis, _unb64(chain.client.state_proof("anchor/doc/none")))
    assert absent["present"] is False


def test_members_list_pages_and_next_nonce(chain: Chain):
    """Members are listed by 统一社会信用代码, page by page; one member shows its next nonce."""
    everyone = sorted(m.uscc for m in SAMPLE_MEMBERS)
    first = chain.client.members(limit=1000)
    assert [m["uscc"] for m in first["members"]] == everyone
    assert first["next"] is None

    seen, after = [], ""
    for _ in range(10):
        page = chain.client.members(after=after, limit=4)
        seen += [m["uscc"] for m in page["members"]]
        assert len(page["members"]) <= 4
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == everyone

    edu = by_short(EDU)
    member = chain.client.member(edu.uscc)
    assert (member["uscc"], member["name"], member["roles"]) == (edu.uscc, edu.name, ["department"])
    [key] = member["keys"]
    assert key["key_id"] == chain.home.member_key(edu.uscc).key_id and key["status"] == "active"
    assert member["next_nonce"] == 1


def test_contracts_lists_methods_and_policies(chain: Chain):
    """The contract list names each method with its arguments and policy."""
    methods = {f"{m['contract']}.{m['method']}": m for m in chain.client.get("/v1/contracts")["methods"]}
    assert {"anchor.put", "identity.add_key", "identity.revoke_key"} <= set(methods)
    assert methods["anchor.put"]["args"] == ["digest", "doc_id", "kind", "title", "uri"]
    assert all(m["summary"] for m in methods.values())


def test_export_audits_clean(chain: Chain):
    """The exported archive passes the offline audit from the genesis file alone."""
    edu, health = chain.member(EDU), chain.member(HEALTH)
    for i in range(3):
        chain.client.submit_batch([edu.sign("anchor", "put", anchor_args(f"d{i}")).to_bytes(),
                                   health.sign("anchor", "put", anchor_args(f"d{i}")).to_bytes()])
        chain.commit()
    chain.client.submit(edu.sign("anchor", "put", anchor_args("d0")).to_bytes())  # refused: unchanged
    chain.commit()

    data = chain.client.export()
    assert isinstance(data, bytes) and data.startswith(b"MULUARC1")
    report = audit_archive(chain.node.genesis, data, Registry())
    assert report.ok, report.findings
    assert (report.blocks, report.transactions) == (4, 7)


def test_openapi_documents_the_routes(chain: Chain):
    """/v1/openapi.json documents every route of the README."""
    spec = chain.http.get("/v1/openapi.json").json()
    expected = {
        "/v1/txs": "post", "/v1/txs/batch": "post", "/v1/status": "get", "/v1/blocks/{height}": "get",
        "/v1/txs/{tx_id}": "get", "/v1/txs/{tx_id}/proof": "get", "/v1/state": "get",
        "/v1/state/history": "get", "/v1/state/proof": "get", "/v1/members": "get",
        "/v1/members/{code}": "get", "/v1/contracts": "get", "/v1/export": "get",
    }
    for path, method in expected.items():
        assert method in spec["paths"].get(path, {}), path
    assert chain.http.get("/v1/docs").status_code == 200


# --- refused at the door ---------------------------------------------------------


def _flip_signature(tx: Transaction) -> Transaction:
    sig = bytearray(tx.signature)
    sig[0] ^= 0x01
    return dataclasses.replace(tx, signature=bytes(sig))


def _non_canonical(tx: Transaction) -> bytes:
    """The transaction with its argument map in reverse key order (decodable, not canonical)."""
    plain = tx.to_plain()
    plain[6] = dict(reversed(sorted(plain[6].items())))
    raw = msgpack.packb(plain, use_bin_type=True)
    assert raw != tx.to_bytes()
    return raw


def _replace_field(tx: Transaction, index: int, value: Any) -> bytes:
    """Canonical bytes of the transaction with one field replaced (its shape broken)."""
    plain = tx.to_plain()
    plain[index] = value
    return encode(plain)


def _with_key(c: Chain, short: str, key, **kw: Any) -> Transaction:
    uscc = by_short(short).uscc
    fields = dict(chain_id="mulu-demo", sender=uscc, nonce=c.client.member(uscc)["next_nonce"],
                  contract="anchor", method="put", args=anchor_args())
    fields.update(kw)
    return make_tx(key, **fields)


def _edu(c: Chain, **kw: Any) -> Transaction:
    return _with_key(c, EDU, c.home.member_key(by_short(EDU).uscc), **kw)


def _committed_nonce_replay(c: Chain) -> bytes:
    c.client.submit(_edu(c).to_bytes())
    c.commit()
    return _edu(c, nonce=1, args=anchor_args(text="other")).to_bytes()


def _pending_nonce_replay(c: Chain) -> bytes:
    c.client.submit(_edu(c).to_bytes())
    return _edu(c, nonce=1, args=anchor_args(text="other")).to_bytes()


def _duplicate(c: Chain) -> bytes:
    raw = _edu(c).to_bytes()
    c.client.submit(raw)
    return raw


def _revoked_key(c: Chain) -> bytes:
    edu = c.member(EDU)
    spare = profile("ed25519-sha256").generate()
    c.client.submit(edu.sign("identity", "add_key", {"public_key": spare.public_key}).to_bytes())
    c.commit()
    c.client.submit(edu.sign("identity", "revoke_key", {"key_id": spare.key_id}).to_bytes())
    c.commit()
    assert c.client.block(2)["txs"][0]["result"]["status"] == "ok", "the spare key is revoked"
    return _with_key(c, EDU, spare).to_bytes()


def _oversize(c: Chain) -> bytes:
    raw = _edu(c, args={**anchor_args(), "uri": "u" * PARAMS["max_tx_bytes"]}).to_bytes()
    assert len(raw) > PARAMS["max_tx_bytes"]
    return raw


SINGLE_REFUSALS: dict[str, tuple[Callable[[Chain], bytes], int, str]] = {
    "malformed bytes": (lambda c: b"\xc1", 400, "TX_MALFORMED"),
    "empty body": (lambda c: b"", 400, "TX_MALFORMED"),
    "not a transaction": (lambda c: encode(["tx", 1]), 400, "TX_MALFORMED"),
    "nonce zero": (lambda c: _replace_field(_edu(c), 3, 0), 400, "TX_MALFORMED"),
    "args not a map": (lambda c: _replace_field(_edu(c), 6, ["x"]), 400, "TX_MALFORMED"),
    "non-canonical bytes": (lambda c: _non_canonical(_edu(c)), 400, "TX_MALFORMED"),
    "trailing bytes": (lambda c: _edu(c).to_bytes() + b"\x00", 400, "TX_MALFORMED"),
    "wrong chain id": (lambda c: _edu(c, chain_id="mulu-other").to_bytes(), 400, "TX_CHAIN_ID_MISMATCH"),
    "bad signature": (lambda c: _flip_signature(_edu(c)).to_bytes(), 400, "TX_SIGNATURE_INVALID"),
    "unknown sender": (lambda c: make_tx(profile("ed25519-sha256").generate(), chain_id="mulu-demo",
                                         sender=STRANGER, nonce=1, contract="anchor", method="put",
                                         args=anchor_args()).to_bytes(), 403, "TX_SENDER_UNKNOWN"),
    "unknown key": (lambda c: _with_key(c, EDU, profile("ed25519-sha256").generate()).to_bytes(),
                    403, "TX_KEY_UNKNOWN"),
    "revoked key": (_revoked_key, 403, "TX_KEY_REVOKED"),
    "replayed nonce (committed)": (_committed_nonce_replay, 409, "TX_NONCE_REPLAYED"),
    "replayed nonce (pending)": (_pending_nonce_replay, 409, "TX_NONCE_REPLAYED"),
    "nonce gap": (lambda c: _edu(c, nonce=7).to_bytes(), 409, "TX_NONCE_GAP"),
    "oversize transaction": (_oversize, 413, "TX_TOO_LARGE"),
    "unknown contract": (lambda c: _edu(c, contract="ledger").to_bytes(), 400, "CONTRACT_UNKNOWN"),
    "unknown method": (lambda c: _edu(c, method="delete").to_bytes(), 400, "METHOD_UNKNOWN"),
    "short digest": (lambda c: _edu(c, args={**anchor_args(), "digest": bytes(31)}).to_bytes(),
                     400, "TX_ARGS_INVALID"),
    "missing argument": (lambda c: _edu(c, args={"doc_id": "x", "title": "t", "kind": "other"}).to_bytes(),
                         400, "TX_ARGS_INVALID"),
    "unknown argument": (lambda c: _edu(c, args={**anchor_args(), "owner": "me"}).to_bytes(),
                         400, "TX_ARGS_INVALID"),
    "bad kind": (lambda c: _edu(c, args={**anchor_args(), "kind": "novel"}).to_bytes(), 400, "TX_ARGS_INVALID"),
}


@pytest.mark.parametrize("case", SINGLE_REFUSALS)
def test_invalid_transaction_refused_at_the_door(chain: Chain, case: str):
    """Each kind of bad transaction is answered with its status and code, alone or in a batch, and never
    reaches the mempool."""
    build, status, code = SINGLE_REFUSALS[case]
    raw = build(chain)
    before = chain.mempool()

    assert_error(chain.post_tx(raw), status, code)
    assert_error(chain.http.post("/v1/txs", json={"tx": b64(raw)}), status, code)
    answer = chain.client.submit_batch([raw])
    assert (answer["accepted"], answer["rejected"]) == (0, 1)
    assert answer["results"][0]["error"]["code"] == code

    assert chain.mempool() == before
    assert chain.client.status()["mempool"] == before


def test_invalid_duplicate_is_a_conflict(chain: Chain):
    """Resubmitting the very same bytes is a 409: TX_DUPLICATE while it waits, a replayed nonce once
    committed; the mempool stays as it was."""
    raw = _duplicate(chain)
    assert chain.mempool() == 1
    body = assert_error(chain.post_tx(raw), 409, "TX_DUPLICATE")
    assert body["details"]["tx_id"] == chain.node.ledger.profile.hash(raw).hex()
    assert chain.client.submit_batch([raw])["results"][0]["error"]["code"] == "TX_DUPLICATE"
    assert chain.mempool() == 1
    chain.commit()
    assert_error(chain.post_tx(raw), 409, "TX_NONCE_REPLAYED")
    assert chain.mempool() == 0


BODY_REFUSALS: dict[str, tuple[str, dict[str, Any], int, str]] = {
    "not JSON": ("/v1/txs", {"content": b"{not json", "headers": {"content-type": "application/json"}},
                 400, "TX_MALFORMED"),
    "JSON without tx": ("/v1/txs", {"json": {"transaction": "AAAA"}}, 400, "TX_MALFORMED"),
    "tx not a string": ("/v1/txs", {"json": {"tx": 5}}, 400, "TX_MALFORMED"),
    "tx not base64": ("/v1/txs", {"json": {"tx": "not base64!"}}, 400, "TX_MALFORMED"),
    "batch not JSON": ("/v1/txs/batch", {"content": b"[", "headers": {"content-type": "application/json"}},
                       400, "TX_MALFORMED"),
    "batch item not base64": ("/v1/txs/batch", {"json": {"txs": ["AAAA", "%%%"]}}, 400, "TX_MALFORMED"),
    "msgpack batch not an array": ("/v1/txs/batch", {"content": encode({"txs": []}),
                                                     "headers": {"content-type": "application/msgpack"}},
                                   400, "TX_MALFORMED"),
    "msgpack batch of non-bytes": ("/v1/txs/batch", {"content": encode(["text"]),
                                                     "headers": {"content-type": "application/msgpack"}},
                                   400, "TX_MALFORMED"),
    "msgpack batch undecodable": ("/v1/txs/batch", {"content": b"\xc1",
                                                    "headers": {"content-type": "application/msgpack"}},
                                  400, "TX_MALFORMED"),
    "batch too many": ("/v1/txs/batch", {"content": encode([b"\x90"] * (PARAMS["max_batch_txs"] + 1)),
                                         "headers": {"content-type": "application/msgpack"}},
                       413, "BATCH_TOO_LARGE"),
    "batch too many bytes": ("/v1/txs/batch", {"content": encode([bytes(4000)] * 10),
                                               "headers": {"content-type": "application/msgpack"}},
                             413, "BATCH_TOO_LARGE"),
}


@pytest.mark.parametrize("case", BODY_REFUSALS)
def test_invalid_request_body_refused(chain: Chain, case: str):
    """A body that is not a transaction or a batch of them is refused whole, with its code."""
    path, request, status, code = BODY_REFUSALS[case]
    assert_error(chain.http.post(path, **request), status, code)
    assert chain.mempool() == 0


def test_invalid_when_the_mempool_is_full(chain: Chain):
    """A full mempool answers 503 MEMPOOL_FULL; in a batch, each transaction past the room left
    is refused with it, before admission looks at it (as CometBFT's mempool does)."""
    edu, health = chain.member(EDU), chain.member(HEALTH)
    answer = chain.client.submit_batch([edu.sign("anchor", "put", anchor_args(f"e{i}")).to_bytes()
                                        for i in range(16)])
    assert answer["accepted"] == 16
    raws = [health.sign("anchor", "put", anchor_args(f"h{i}"), nonce=i + 1).to_bytes() for i in range(6)]
    answer = chain.client.submit_batch(raws)
    codes = [r["error"]["code"] if r["status"] == "rejected" else "ok" for r in answer["results"]]
    assert codes == ["ok"] * 4 + ["MEMPOOL_FULL"] * 2
    assert chain.mempool() == PARAMS["mempool_max_txs"]
    assert_error(chain.post_tx(raws[4]), 503, "MEMPOOL_FULL")
    assert chain.mempool() == PARAMS["mempool_max_txs"]
    chain.commit()
    assert chain.post_tx(raws[4]).status_code == 202


def test_invalid_query_parameters_refused(chain: Chain):
    """Query parameters out of range are REQUEST_INVALID, and the transaction is not admitted."""
    raw = _edu(chain).to_bytes()
    body = assert_error(chain.post_tx(raw, wait="true", timeout=600), 400, "REQUEST_INVALID")
    assert body["details"]["errors"][0]["loc"] == ["query", "timeout"]
    assert chain.mempool() == 0
    assert_error(chain.http.get("/v1/blocks/one"), 400, "REQUEST_INVALID")
    assert_error(chain.http.get("/v1/members", params={"limit": 0}), 400, "REQUEST_INVALID")
    assert_error(chain.http.get("/v1/state", params={"key": "k", "height": -1}), 400, "REQUEST_INVALID")
    assert_error(chain.http.get("/v1/state"), 400, "REQUEST_INVALID")


def test_invalid_reads_not_found(chain: Chain):
    """Unknown blocks, transactions, records and members are 404 with their codes; bad ids are 400."""
    chain.client.submit(_edu(chain).to_bytes())
    chain.commit()
    unknown_id = "ab" * 32
    assert_error(chain.http.get("/v1/blocks/2"), 404, "BLOCK_NOT_FOUND")
    assert_error(chain.http.get("/v1/blocks/0"), 404, "BLOCK_NOT_FOUND")
    assert_error(chain.http.get(f"/v1/txs/{unknown_id}"), 404, "TX_NOT_FOUND")
    assert_error(chain.http.get(f"/v1/txs/{unknown_id}/proof"), 404, "TX_NOT_FOUND")
    assert_error(chain.http.get("/v1/txs/not-hex"), 400, "REQUEST_INVALID")
    assert_error(chain.http.get("/v1/state", params={"key": "anchor/doc/none"}), 404, "RECORD_NOT_FOUND")
    assert_error(chain.http.get("/v1/state", params={"key": "anchor/doc/none", "height": 0}),
                 404, "RECORD_NOT_FOUND")
    assert_error(chain.http.get("/v1/state/history", params={"key": "anchor/doc/none"}),
                 404, "RECORD_NOT_FOUND")
    assert_error(chain.http.get("/v1/state/proof", params={"key": "anchor/doc/none", "height": 5}),
                 404, "BLOCK_NOT_FOUND")
    assert_error(chain.http.get("/v1/members/" + STRANGER), 404, "MEMBER_NOT_FOUND")
    with pytest.raises(ApiError) as caught:
        chain.client.tx(unknown_id)
    assert (caught.value.status, caught.value.code) == (404, "TX_NOT_FOUND")


def test_invalid_state_height_above_the_tip(chain: Chain):
    """A record as of a height the chain has not reached is not found, as for its proof."""
    key = f"identity/member/{by_short(EDU).uscc}"
    assert_error(chain.http.get("/v1/state/proof", params={"key": key, "height": 9}), 404, "BLOCK_NOT_FOUND")
    assert_error(chain.http.get("/v1/state", params={"key": key, "height": 9}), 404, "BLOCK_NOT_FOUND")


def test_invalid_route_answers_with_a_code(chain: Chain):
    """An unknown route or method is answered in the API's {code, message, details} form too."""
    assert set(chain.http.get("/v1/nowhere").json()) == {"code", "message", "details"}
    assert set(chain.http.get("/v1/txs/batch").json()) == {"code", "message", "details"}


# --- the edge: bounded bodies, ranged integers, no fault shown ------------------------------------


def test_invalid_oversized_bodies_refused_before_reading(chain: Chain):
    """A body longer than the chain's limit is refused with 413 by its declared length, and a
    chunked one as soon as it passes the limit, before the node holds it."""
    from node.api.txs import body_limit

    limit = body_limit(chain.node, batch=True)
    body = assert_error(chain.http.post("/v1/txs/batch", content=b"x",
                                        headers={"content-length": str(300 * 2**20),
                                                 "content-type": "application/msgpack"}), 413, "BATCH_TOO_LARGE")
    assert body["details"] == {"size": 300 * 2**20, "limit": limit}

    def chunks():
        for _ in range(limit // 2**20 + 2):
            yield b"\x00" * 2**20

    assert_error(chain.http.post("/v1/txs/batch", content=chunks(), headers={"content-type": "application/msgpack"}),
                 413, "BATCH_TOO_LARGE")
    assert_error(chain.http.post("/v1/txs", content=b"\x00" * (body_limit(chain.node, batch=False) + 1),
                                 headers={"content-type": "application/msgpack"}), 413, "TX_TOO_LARGE")
    assert chain.mempool() == 0


@pytest.mark.parametrize("path, params", [
    ("/v1/blocks/18446744073709551616", {}),
    ("/v1/blocks/1/proof", {"at": 2**64}),
    ("/v1/state/history", {"key": "k", "start": 2**64}),
    ("/v1/state", {"key": "k", "height": 2**63}),
    ("/v1/catalog/versions", {"code": "301001/1", "after": 2**70}),
    ("/v1/calendar/100000", {}),
])
def test_invalid_integers_refused_at_the_edge(chain: Chain, path, params):
    """An integer past what the node stores (8 bytes) is REQUEST_INVALID (400), never a 500."""
    assert_error(chain.http.get(path, params=params), 400, "REQUEST_INVALID")


def test_unexpected_fault_answers_internal_without_its_traceback(chain: Chain, monkeypatch, caplog):
    """An exception no route expects answers 500 {code: INTERNAL} with no trace of it to the
    client, and its traceback goes to the log once."""
    def broken(*_args, **_kwargs):
        raise struct.error("boom in the store layer")

    monkeypatch.setattr(chain.node.ledger, "block", broken)
    http = TestClient(chain.http.app, raise_server_exceptions=False)
    with caplog.at_level("ERROR", logger="mulu.api"):
        response = http.get("/v1/blocks/1")
    body = assert_error(response, 500, "INTERNAL")
    assert "boom" not in response.text and body["details"] == {}
    assert [r.exc_info[0] for r in caplog.records if r.name == "mulu.api"] == [struct.error]


def test_anchored_documents_listed_with_every_version(chain: Chain):
    """A member's anchored documents are listed by id, and one document shows its latest
    version and every version with its digest, so a file can be checked against them."""
    edu = chain.member(EDU)
    for text in ("职责目录 v1", "职责目录 v2"):
        chain.client.submit_batch([edu.sign("anchor", "put", anchor_args(text=text)).to_bytes()])
        chain.commit()
    chain.client.submit_batch([edu.sign("anchor", "put", anchor_args("sanding-2026", "三定")).to_bytes()])
    chain.commit()
    listing = chain.http.get(f"/v1/anchors/{edu.sender}").json()
    assert [(d["doc_id"], d["version"]) for d in listing["documents"]] == [("duty-catalog", 2), ("sanding-2026", 1)]
    doc = chain.http.get(f"/v1/anchors/{edu.sender}/duty-catalog").json()
    assert doc["current"]["digest"] == digest("职责目录 v2").hex()
    assert [v["digest"] for v in doc["versions"]] == [digest("职责目录 v1").hex(), digest("职责目录 v2").hex()]
    assert_error(chain.http.get(f"/v1/anchors/{edu.sender}/nothing"), 404, "DOCUMENT_NOT_FOUND")
