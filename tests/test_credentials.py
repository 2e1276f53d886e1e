"""用户名和密码纳管: credentials in escrow with the custodian, never on chain in plain text
(000:第十四条(三)).

The envelopes first, in both schemes (X25519 + HKDF-SHA256 + AES-256-GCM on ``ed25519-sha256``,
SM2 + SM4-GCM on ``sm2-sm3``): round trips, and tampering that does not open. Then the contract
on a solo node in process, on both profiles: the custodian's key set and rotated, credentials
checked as far as a contract can check an envelope it cannot open, rotation leaving credentials
pending re-seal, and every opening recorded. Last the ``mulu credential`` commands against a node
served in process: ``open`` records the access, and only after its commit decrypts; and a scan
showing that the password sealed appears in no block, no store record, no log line and no API
answer.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chain.crypto import profile
from chain.encoding import encode
from chain.envelope import (
    SCHEME_SM2_SM4_GCM,
    SCHEME_X25519_AES_GCM,
    Envelope,
    generate_custodian_key,
    load_custodian_key,
    open_envelope,
    seal,
)
from chain.errors import EnvelopeInvalid, KeyFileEncrypted, KeyFileError
from chain.store import MemoryStore
from cli import credentials as cli_credentials
from cli import main
from cli.client import Client
from cli.serve import Server
from contracts import system
from contracts.system import escrow, keys
from contracts.system import queries as system_queries
from node.home import init_home
from node.node import Node
from tests.functional.framework import GENESIS_TIME, PROFILES, free_port
from tests.test_systems import EDU, HEALTH, JINGXIN, assert_refused, make_net, run, system_args

runner = CliRunner()


def sealed_account(custodian, code: str, username="edu_admin", password=b"S3cret!pw", salt=None,
                   chain_profile="ed25519-sha256"):
    """An account sealed to ``custodian`` for system ``code``, and its commitment."""
    salt = salt or secrets.token_bytes(escrow.SALT_SIZE)
    envelope = seal(custodian.public_key, escrow.plaintext(username, password, salt), escrow.context(code),
                    scheme=custodian.scheme)
    return envelope.to_bytes(), escrow.commitment(profile(chain_profile), username, password, salt)


# --- envelopes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile_name, scheme", [("ed25519-sha256", SCHEME_X25519_AES_GCM),
                                                  ("sm2-sm3", SCHEME_SM2_SM4_GCM)])
def test_envelope_round_trip_and_tampering(profile_name, scheme):
    """A custodian key of each profile opens what is sealed to it for the same system, and nothing
    else: not another system's context, not another custodian key's envelope, not a changed byte,
    not an envelope of the other scheme. Its key file round-trips, under a passphrase too."""
    custodian = generate_custodian_key(profile_name)
    assert custodian.scheme == scheme
    salt = secrets.token_bytes(escrow.SALT_SIZE)
    raw, commitment = sealed_account(custodian, "edu-portal", salt=salt, chain_profile=profile_name)
    envelope = Envelope.from_bytes(raw)
    assert (envelope.scheme, envelope.recipient) == (scheme, custodian.key_id)
    assert custodian.key_id == profile(profile_name).hash(custodian.public_key)[:8].hex()
    assert b"S3cret!pw" not in raw and b"edu_admin" not in raw
    opened = open_envelope(custodian, raw, escrow.context("edu-portal"))
    assert escrow.parse_plaintext(opened) == ("edu_admin", b"S3cret!pw", salt)
    assert escrow.commitment(profile(profile_name), "edu_admin", b"S3cret!pw", salt) == commitment

    with pytest.raises(EnvelopeInvalid):  # cut from one system's record and pasted into another's
        open_envelope(custodian, raw, escrow.context("edu-other"))
    other = generate_custodian_key(profile_name)
    with pytest.raises(EnvelopeInvalid, match="sealed to key"):
        open_envelope(other, raw, escrow.context("edu-portal"))
    forged = Envelope(envelope.scheme, other.key_id, envelope.wrapped_key, envelope.nonce, envelope.sealed)
    with pytest.raises(EnvelopeInvalid):  # relabelled for another key: its key cannot unwrap it
        open_envelope(other, forged, escrow.context("edu-portal"))
    for field in ("wrapped_key", "nonce", "sealed"):
        value = getattr(envelope, field)
        changed = Envelope(**{**envelope.__dict__, field: value[:-1] + bytes([value[-1] ^ 1])})
        with pytest.raises(EnvelopeInvalid):
            open_envelope(custodian, changed, escrow.context("edu-portal"))
    stranger = generate_custodian_key(next(p for p in PROFILES if p != profile_name))
    with pytest.raises(EnvelopeInvalid, match="cannot open"):
        open_envelope(stranger, raw, escrow.context("edu-portal"))

    assert load_custodian_key(custodian.to_pem()).key_id == custodian.key_id
    locked = custodian.to_pem("门禁".encode())
    assert load_custodian_key(locked, "门禁".encode()).key_id == custodian.key_id
    with pytest.raises(KeyFileEncrypted):
        load_custodian_key(locked)
    with pytest.raises(KeyFileError):
        load_custodian_key(locked, b"wrong")
    with pytest.raises(KeyFileError):
        load_custodian_key(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


def test_x25519_refuses_a_small_order_key():
    """An X25519 'public key' of small order would make an all-zero shared secret: sealing to it fails."""
    with pytest.raises(Exception, match="X25519"):
        seal(bytes(32), b"secret", b"edu-portal", scheme=SCHEME_X25519_AES_GCM)


# --- the contract ----------------------------------------------------------------------------------


@pytest.fixture(params=PROFILES)
def net(request, tmp_path, monkeypatch):
    """A solo node in process of each profile, with two systems of 市教委."""
    n = make_net(tmp_path / "home", monkeypatch, request.param)
    for code in ("edu-portal", "edu-lab"):
        assert run(n, EDU, "register", system_args(code)).ok
    yield n
    n.ledger.close()


def custodian_of(net):
    return generate_custodian_key(net.profile.name)


def submit(net, custodian, code="edu-portal", sender=EDU, **kw):
    envelope, commitment = sealed_account(custodian, code, chain_profile=net.profile.name, **kw)
    return run(net, sender, "submit_credential", {"code": code, "envelope": envelope, "commitment": commitment})


def test_custodian_key_set_rotated_and_refused(net):
    """经信局 registers its encryption key (version 1) and rotates it (version 2); a key of the wrong
    kind and the key already current are refused; a department may not set it."""
    first, second = custodian_of(net), custodian_of(net)
    result = run(net, JINGXIN, "set_custodian_key", {"public_key": first.public_key})
    assert result.ok, result
    record = net.ledger.state.get(keys.CUSTODIAN)
    assert (record["key_id"], record["version"], record["scheme"]) == (first.key_id, 1, first.scheme)
    assert run(net, JINGXIN, "set_custodian_key", {"public_key": second.public_key}).events == (
        ("custodian_key_set", {"key_id": second.key_id, "version": 2, "previous": first.key_id}),)
    assert system_queries.custodian(net.ledger.state)["key_id"] == second.key_id

    assert_refused(run(net, JINGXIN, "set_custodian_key", {"public_key": second.public_key}),
                   "CUSTODIAN_KEY_UNCHANGED", "public_key")
    wrong = generate_custodian_key(next(p for p in PROFILES if p != net.profile.name)).public_key
    for bad in (wrong, b"\x04" + bytes(10)):
        assert_refused(run(net, JINGXIN, "set_custodian_key", {"public_key": bad}), "CUSTODIAN_KEY_INVALID",
                       "public_key", system.ARTICLE_ESCROW)
    assert net.ledger.state.get(keys.CUSTODIAN)["version"] == 2
    door = net.refused_at_door(net.tx(EDU, "system", "set_custodian_key", {"public_key": first.public_key}).to_bytes())
    assert door.code == "TX_NOT_AUTHORIZED"


def test_credentials_submitted_rotated_and_pending_reseal(net):
    """A credential sealed to the current key is current; a new custodian key leaves it pending
    re-seal (listed by old key and code, paged) until it is submitted again, as a new version."""
    k1, k2, k3 = custodian_of(net), custodian_of(net), custodian_of(net)
    assert run(net, JINGXIN, "set_custodian_key", {"public_key": k1.public_key}).ok
    state = net.ledger.state
    result = submit(net, k1)
    assert result.ok, result
    record = state.get(keys.credential_key("edu-portal"))
    assert (record["version"], record["custodian_key_id"], record["department"]) == (1, k1.key_id, EDU)
    assert record["envelope_digest"] == net.profile.hash(record["envelope"])
    assert system.credential_current(state, "edu-portal") and not system.credential_current(state, "edu-lab")
    assert system_queries.pending_reseal(state)["credentials"] == []
    assert submit(net, k1, "edu-lab").ok

    assert run(net, JINGXIN, "set_custodian_key", {"public_key": k2.public_key}).ok
    assert not system.credential_current(state, "edu-portal")
    pending = system_queries.pending_reseal(state)
    assert pending["custodian_key_id"] == k2.key_id
    assert [(r["code"], r["custodian_key_id"]) for r in pending["credentials"]] == [
        ("edu-lab", k1.key_id), ("edu-portal", k1.key_id)]
    assert system_queries.credential(state, code="edu-portal")["sealed_to_current_key"] is False

    assert submit(net, k2).ok  # re-sealed to the new key: version 2, no longer pending
    assert system.credential_current(state, "edu-portal")
    assert state.get(keys.credential_key("edu-portal"))["version"] == 2
    assert [r["code"] for r in system_queries.pending_reseal(state)["credentials"]] == ["edu-lab"]
    assert [v.value["custodian_key_id"] for v in state.history(keys.credential_key("edu-portal"))] == \
        [k1.key_id, k2.key_id]

    # a third key: credentials sealed to k1 and to k2 are both pending, k3's own section is skipped
    assert run(net, JINGXIN, "set_custodian_key", {"public_key": k3.public_key}).ok
    assert run(net, EDU, "register", system_args("edu-new")).ok
    assert submit(net, k3, "edu-new").ok
    want = sorted([(k1.key_id, "edu-lab"), (k2.key_id, "edu-portal")])
    seen, after = [], ""
    while True:
        page = system_queries.pending_reseal(state, after=after, limit=1)
        seen += [(r["custodian_key_id"], r["code"]) for r in page["credentials"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == want


def test_invalid_credentials_refused_with_their_rule(net):
    """What a contract can check of an envelope it cannot open: a custodian key to seal to, an
    envelope at all, of the chain's scheme, sealed to the current key, of sane sizes, never
    submitted before — for a system of the sender's own."""
    k1, k2 = custodian_of(net), custodian_of(net)
    assert_refused(submit(net, k1), "CUSTODIAN_KEY_MISSING", "envelope", system.ARTICLE_ESCROW)
    assert run(net, JINGXIN, "set_custodian_key", {"public_key": k1.public_key}).ok
    assert_refused(submit(net, k1, "no-such"), "SYSTEM_UNKNOWN", "code")
    assert_refused(submit(net, k1, sender=HEALTH), "SYSTEM_NOT_OWN", "code", system.ARTICLE)

    commitment = bytes(32)

    def try_envelope(envelope: bytes):
        return run(net, EDU, "submit_credential", {"code": "edu-portal", "envelope": envelope,
                                                   "commitment": commitment})

    for malformed in (b"not msgpack", encode(["x25519", "id"]), encode([1, 2, 3, 4, 5])):
        assert_refused(try_envelope(malformed), "CREDENTIAL_ENVELOPE_MALFORMED", "envelope", system.ARTICLE_ESCROW)
    stranger = generate_custodian_key(next(p for p in PROFILES if p != net.profile.name))
    assert_refused(try_envelope(sealed_account(stranger, "edu-portal")[0]), "CREDENTIAL_SCHEME_MISMATCH",
                   "envelope", system.ARTICLE_ESCROW)
    assert_refused(try_envelope(sealed_account(k2, "edu-portal")[0]), "CREDENTIAL_RECIPIENT_NOT_CURRENT",
                   "envelope", system.ARTICLE_ESCROW)
    good = Envelope.from_bytes(sealed_account(k1, "edu-portal")[0])
    for changed in ({"nonce": good.nonce[:8]}, {"wrapped_key": good.wrapped_key + b"\x00" * 40},
                    {"sealed": good.sealed[:16]}, {"sealed": bytes(system.MAX_SEALED + 1)}):
        odd = Envelope(**{**good.__dict__, **changed})
        assert_refused(try_envelope(odd.to_bytes()), "CREDENTIAL_ENVELOPE_SIZE", "envelope", system.ARTICLE_ESCROW)
    assert net.ledger.state.get(keys.credential_key("edu-portal")) is None

    assert try_envelope(good.to_bytes()).ok
    result = run(net, EDU, "submit_credential", {"code": "edu-lab", "envelope": good.to_bytes(),
                                                  "commitment": commitment})
    assert_refused(result, "CREDENTIAL_ENVELOPE_REUSED", "envelope", system.ARTICLE_ESCROW)
    assert_refused(try_envelope(good.to_bytes()), "CREDENTIAL_ENVELOPE_REUSED", "envelope", system.ARTICLE_ESCROW)
    assert net.ledger.state.get(keys.credential_key("edu-lab")) is None


def test_every_opening_is_recorded(net):
    """record_access keeps who opened which credential version and why, each a version of the
    system's access record, numbered; a system without a credential has nothing to open."""
    custodian = custodian_of(net)
    assert run(net, JINGXIN, "set_custodian_key", {"public_key": custodian.public_key}).ok
    assert_refused(run(net, JINGXIN, "record_access", {"code": "edu-portal", "reason": "运维检查"}),
                   "CREDENTIAL_UNKNOWN", "code")
    assert submit(net, custodian).ok
    first = run(net, JINGXIN, "record_access", {"code": "edu-portal", "reason": "运维检查"})
    assert first.events == (("credential_accessed", {"uscc": EDU, "code": "edu-portal", "by": JINGXIN, "seq": 1,
                                                     "credential_version": 1}),)
    assert run(net, JINGXIN, "record_access", {"code": "edu-portal", "reason": "等保测评"}).ok
    rows = system_queries.accesses(net.ledger.state, code="edu-portal")["accesses"]
    assert [(a["seq"], a["by"], a["reason"], a["credential_version"]) for a in rows] == [
        (1, JINGXIN, "运维检查", 1), (2, JINGXIN, "等保测评", 1)]
    door = net.refused_at_door(net.tx(EDU, "system", "record_access", {"code": "edu-portal", "reason": "x"})
                               .to_bytes())
    assert door.code == "TX_NOT_AUTHORIZED"


# --- the commands, against a node served in process --------------------------------------------------


@pytest.fixture(params=PROFILES)
def node_served(request, tmp_path):
    """A node of each profile served over HTTP in process, on an in-memory store kept for scanning:
    yields (home, url, store)."""
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000, profile_name=request.param)
    store = MemoryStore()
    server = Server(Node(home, store=store), f"127.0.0.1:{free_port()}")
    server.start()
    try:
        yield home, server.url, store
    finally:
        server.stop()


def mulu(*args, code: int = 0) -> str:
    result = runner.invoke(main.app, [str(a) for a in args])
    assert result.exit_code == code, f"mulu {' '.join(map(str, args))} exited {result.exit_code}:\n" \
                                     f"{result.output}\n{result.exception!r}"
    return result.output


def as_member(home, uscc: str, url: str) -> list:
    return ["--key", home.key_file(uscc), "--sender", uscc, "--node", url]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(main.console, "_width", 240)
    for name in ("MULU_NODE", "MULU_PASSPHRASE", "MULU_CUSTODIAN_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)


def escrow_through_the_cli(tmp_path: Path, home, url: str, password: str, username: str) -> Path:
    """经信局 makes and registers a custodian key; 市教委 registers two systems and escrows their
    accounts, one sealed and submitted at once, one sealed to a file first. Returns the key file."""
    key_file = tmp_path / "custodian.pem"
    made = json.loads(mulu("credential", "custodian-keygen", "--out", key_file, "--profile",
                           home.genesis().profile.name, "--custodian-passphrase", "保管"))
    mulu("credential", "set-custodian-key", "--custodian-key", key_file, "--custodian-passphrase", "保管",
         *as_member(home, JINGXIN, url))
    assert Client(url).get("/v1/credentials/custodian")["key_id"] == made["key_id"]
    password_file = tmp_path / "password.txt"
    password_file.write_text(password + "\n", encoding="utf-8")
    for code in ("edu-portal", "edu-lab"):
        mulu("system", "register", code, "--name", "教育门户", "--deployment", "gov_cloud", "--protection-level", 3,
             *as_member(home, EDU, url))
    mulu("credential", "submit", "edu-portal", "--username", username, "--password-file", password_file,
         *as_member(home, EDU, url))
    sealed = tmp_path / "edu-lab.sealed.json"
    mulu("credential", "seal", "edu-lab", "--username", username, "--password-file", password_file, "--out", sealed,
         "--node", url)
    mulu("credential", "submit", "edu-lab", "--sealed", sealed, *as_member(home, EDU, url))
    return key_file


def test_open_records_the_access_before_it_decrypts(node_served, tmp_path, monkeypatch):
    """`mulu credential open` submits system.record_access, waits for its commit, and only then
    opens — locally — the credential version the access names, checking it against the commitment."""
    home, url, _ = node_served
    password, username = "Pw-门禁-" + secrets.token_hex(6), "edu_admin"
    key_file = escrow_through_the_cli(tmp_path, home, url, password, username)
    client = Client(url)
    assert client.get("/v1/systems/edu-portal")["credential_current"] is True

    seen_before_decrypting = []
    real_open = cli_credentials.open_envelope

    def watched_open(key, envelope, context):
        seen_before_decrypting.extend(client.get("/v1/systems/edu-portal/accesses")["accesses"])
        return real_open(key, envelope, context)

    monkeypatch.setattr(cli_credentials, "open_envelope", watched_open)
    out = tmp_path / "opened.json"
    printed = json.loads(mulu("credential", "open", "edu-portal", "--reason", "等保测评现场核验", "--custodian-key",
                              key_file, "--custodian-passphrase", "保管", "--out", out,
                              *as_member(home, JINGXIN, url)))
    [access] = seen_before_decrypting
    assert (access["by"], access["reason"], access["seq"]) == (JINGXIN, "等保测评现场核验", 1)
    assert (printed["commitment_ok"], printed["access"]["height"]) == (True, access["height"])
    assert json.loads(out.read_text(encoding="utf-8")) == {"system": "edu-portal", "username": username,
                                                           "password": password}
    assert out.stat().st_mode & 0o077 == 0
    assert password not in printed.values()

    # a refused access (no credential) decrypts nothing and writes no file
    mulu("system", "register", "edu-bare", "--name", "无凭据", "--deployment", "other", "--protection-level", 2,
         *as_member(home, EDU, url))
    refused = mulu("credential", "open", "edu-bare", "--reason", "x", "--custodian-key", key_file,
                   "--custodian-passphrase", "保管", "--out", tmp_path / "bare.json", *as_member(home, JINGXIN, url),
                   code=1)
    assert "CREDENTIAL_UNKNOWN" in refused and not (tmp_path / "bare.json").exists()
    assert len(seen_before_decrypting) == 1


def test_no_secret_in_any_block_log_line_or_api_answer(node_served, tmp_path, monkeypatch, caplog):
    """The password (and the account name) sealed through the commands appears nowhere a node
    keeps or says anything: not in the store's records (blocks, state, indexes), not in the
    chain's archive, not in any log line, not in any API answer the commands or this test fetched,
    not in anything the commands printed — in plain text or in hex."""
    caplog.set_level(logging.DEBUG)
    home, url, store = node_served
    password, username = "Pw-门禁-" + secrets.token_hex(8), "admin_" + secrets.token_hex(4)
    answers: list[str] = []
    real_request = Client._request

    def recording(self, method, path, **kw):
        value = real_request(self, method, path, **kw)
        answers.append(value.decode("latin-1") if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False))
        return value

    monkeypatch.setattr(Client, "_request", recording)
    printed = []
    key_file = escrow_through_the_cli(tmp_path, home, url, password, username)
    for code in ("edu-portal", "edu-lab"):
        printed.append(mulu("credential", "show", code, "--node", url))
        printed.append(mulu("credential", "accesses", code, "--node", url))
    printed.append(mulu("credential", "pending", "--node", url))
    printed.append(mulu("credential", "open", "edu-lab", "--reason", "运维", "--custodian-key", key_file,
                        "--custodian-passphrase", "保管", "--out", tmp_path / "opened.json",
                        *as_member(home, JINGXIN, url)))
    client = Client(url)
    tip = client.status()["height"]
    for height in range(1, tip + 1):
        block = client.block(height)
        for tx in block["txs"]:
            client.tx(tx["tx_id"])
            client.tx_proof(tx["tx_id"])
    for code in ("edu-portal", "edu-lab"):
        client.get(f"/v1/systems/{code}")
        client.get(f"/v1/systems/{code}/credential")
        client.history(keys.credential_key(code))
        client.state_proof(keys.credential_key(code))
    client.get("/v1/systems", department=EDU)
    archive = client.export()
    assert len(answers) > 3 * tip

    forms = [s.encode() for s in (password, username)] + [s.encode().hex().encode() for s in (password, username)]
    texts = {"answer": answers, "printed": printed, "log": [r.getMessage() for r in caplog.records]}
    for what, items in texts.items():
        for item in items:
            for form in forms:
                assert form.decode() not in item, (what, item[:200])
    raw = [k + v for k, v in store.items()] + [archive]
    for form in forms:
        assert not any(form in blob for blob in raw), form
    commitment = bytes.fromhex(client.get("/v1/systems/edu-lab/credential")["commitment"])
    assert any(commitment in blob for blob in raw), "the scan reads what the chain keeps"
    assert json.loads((tmp_path / "opened.json").read_text(encoding="utf-8"))["password"] == password
