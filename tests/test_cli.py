"""The ``mulu`` command: keys, homes, the demo, transactions, queries, export, audit and proofs.

Commands run in process through typer's ``CliRunner`` (plus one real run of
the installed console script). Transactions and queries go to a node served
in process by :class:`cli.serve.Server` on a free port of 127.0.0.1. Success
prints JSON; failure exits 1 naming the error code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chain.archive import read_frames
from chain.crypto import load_private_key_file
from chain.errors import KeyFileError
from chain.genesis import Genesis
from cli import main
from node.home import Home, init_home
from node.samples import SAMPLE_MEMBERS, by_short
from tests.functional.framework import GENESIS_TIME, PROFILES, free_port, run_mulu

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let rich print tables and error lines without wrapping them at 80 columns."""
    monkeypatch.setattr(main.console, "_width", 240)
    monkeypatch.delenv("MULU_NODE", raising=False)
    monkeypatch.delenv("MULU_PASSPHRASE", raising=False)


def mulu(*args: Any, code: int = 0):
    """Run ``mulu ARGS`` in process; check its exit status."""
    result = runner.invoke(main.app, [str(a) for a in args])
    assert result.exit_code == code, f"mulu {' '.join(map(str, args))} exited {result.exit_code}:\n" \
                                     f"{result.output}\n{result.exception!r}"
    return result


def mulu_json(*args: Any) -> Any:
    return json.loads(mulu(*args).stdout)


def assert_fails(code: str, *args: Any) -> str:
    """``mulu ARGS`` exits 1 naming error ``code``; return its output."""
    output = mulu(*args, code=1).output
    assert f"error {code}:" in output, output
    return output


def test_help_runs_as_an_installed_command():
    """The installed console script runs and lists every command."""
    result = run_mulu("--help")
    assert result.returncode == 0, result.stderr
    for command in ("keygen", "init", "node", "demo", "tx", "query", "export", "store", "audit", "proof",
                    "envelope"):
        assert command in result.stdout


def test_envelope_seal_and_open_a_credential(tmp_path: Path):
    """A credential sealed to a custodian's SM2 key opens with that key and context only."""
    custodian = mulu_json("keygen", "--profile", "sm2", "--out", tmp_path / "custodian.pem",
                          "--passphrase", "门禁")
    other = tmp_path / "other.pem"
    mulu("keygen", "--profile", "sm2", "--out", other)
    public = tmp_path / "custodian.pub.pem"
    public.write_bytes(load_private_key_file(str(tmp_path / "custodian.pem"), "门禁").public_pem())
    secret = tmp_path / "secret.txt"
    secret.write_text("db-password: 北京市政务云 s3cr3t")
    sealed = mulu_json("envelope", "seal", "--to", public, "--in", secret, "--out", tmp_path / "env.bin",
                       "--context", "system/110000-001")
    assert sealed["recipient"] == custodian["key_id"] and sealed["scheme"] == "sm2-sm4-gcm"
    assert secret.read_bytes() not in (tmp_path / "env.bin").read_bytes()
    mulu("envelope", "open", "--key", tmp_path / "custodian.pem", "--passphrase", "门禁", "--in",
         tmp_path / "env.bin", "--out", tmp_path / "back.txt", "--context", "system/110000-001")
    assert (tmp_path / "back.txt").read_bytes() == secret.read_bytes()
    assert_fails("ENVELOPE_INVALID", "envelope", "open", "--key", other, "--in", tmp_path / "env.bin",
                 "--out", tmp_path / "x.txt", "--context", "system/110000-001")
    assert_fails("ENVELOPE_INVALID", "envelope", "open", "--key", tmp_path / "custodian.pem", "--passphrase",
                 "门禁", "--in", tmp_path / "env.bin", "--out", tmp_path / "x.txt", "--context", "system/other")
    assert_fails("FILE_EXISTS", "envelope", "seal", "--to", public, "--in", secret, "--out", tmp_path / "env.bin")
    ed_key = tmp_path / "ed.pem"
    mulu("keygen", "--out", ed_key)
    ed_public = tmp_path / "ed.pub.pem"
    ed_public.write_bytes(load_private_key_file(str(ed_key)).public_pem())
    assert_fails("KEY_FILE_INVALID", "envelope", "seal", "--to", ed_public, "--in", secret,
                 "--out", tmp_path / "e2.bin")


def test_keygen_plain_and_with_passphrase(tmp_path: Path):
    """keygen writes an owner-only PEM key; with a passphrase the file needs it to load; it never overwrites."""
    plain = mulu_json("keygen", "--out", tmp_path / "plain.pem")
    key = load_private_key_file(str(tmp_path / "plain.pem"))
    assert (plain["key_id"], plain["public_key"], plain["profile"]) == (key.key_id, key.public_key.hex(),
                                                                      "ed25519-sha256")
    assert stat.S_IMODE(os.stat(tmp_path / "plain.pem").st_mode) == 0o600

    locked = mulu_json("keygen", "--out", tmp_path / "locked.pem", "--passphrase", "门锁 s3cret")
    assert b"ENCRYPTED" in (tmp_path / "locked.pem").read_bytes()
    with pytest.raises(KeyFileError):
        load_private_key_file(str(tmp_path / "locked.pem"))
    with pytest.raises(KeyFileError):
        load_private_key_file(str(tmp_path / "locked.pem"), "wrong")
    assert load_private_key_file(str(tmp_path / "locked.pem"), "门锁 s3cret").key_id == locked["key_id"]

    before = (tmp_path / "plain.pem").read_bytes()
    assert_fails("KEY_FILE_EXISTS", "keygen", "--out", tmp_path / "plain.pem")
    assert (tmp_path / "plain.pem").read_bytes() == before
    assert_fails("PROFILE_UNKNOWN", "keygen", "--out", tmp_path / "x.pem", "--profile", "rsa-md5")
    assert_fails("FOLDER_MISSING", "keygen", "--out", tmp_path / "no" / "such" / "k.pem")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("name", ["sm2", "sm2-sm3"])
def test_keygen_sm2(tmp_path: Path, name: str):
    """keygen --profile sm2 (or its full name sm2-sm3) writes an SM2 key as PKCS#8 PEM, SM4-encrypted
    under a passphrase; its key id is the SM3 of its 65-byte public key."""
    made = mulu_json("keygen", "--out", tmp_path / "sm2.pem", "--profile", name, "--passphrase", "国密 pw")
    pem = (tmp_path / "sm2.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = load_private_key_file(str(tmp_path / "sm2.pem"), "国密 pw")
    assert (made["profile"], made["key_id"], made["public_key"]) == ("sm2-sm3", key.key_id, key.public_key.hex())
    assert len(key.public_key) == 65 and key.public_key[0] == 0x04
    assert key.key_id == key.profile.hash(key.public_key)[:8].hex()
    with pytest.raises(KeyFileError):
        load_private_key_file(str(tmp_path / "sm2.pem"), "wrong")


def test_init_makes_a_home(tmp_path: Path):
    """init writes a genesis naming the sample members, a node config, keys and the store, which checks
    clean at height 0; a second init is refused, as is one on a folder already holding a store."""
    home = tmp_path / "home"
    made = mulu_json("init", "--home", home, "--chain-id", "mulu-test", "--api", "127.0.0.1:18500",
                     "--clock-step-ms", "500")
    genesis = Genesis.load(str(home / "genesis.json"))
    assert made == {"home": str(home), "chain_id": "mulu-test", "profile": "ed25519-sha256",
                    "genesis_hash": genesis.hash.hex(), "members": len(SAMPLE_MEMBERS), "api": "127.0.0.1:18500"}
    assert genesis.clock.mode == "scripted"
    assert Home(home).config().api == "127.0.0.1:18500"
    for m in SAMPLE_MEMBERS:
        assert Home(home).key_file(m.uscc).exists()
    checked = mulu_json("store", "check", "--home", home)
    assert (checked["ok"], checked["height"]) == (True, 0) and checked["keys"] > 0
    assert_fails("HOME_EXISTS", "init", "--home", home)
    (home / "node.json").unlink()
    assert_fails("HOME_EXISTS", "init", "--home", home)


def test_init_sm2_home(tmp_path: Path):
    """init --profile sm2 makes an sm2-sm3 chain: the genesis names the full profile and every key, the
    validator's included, is an SM2 key; an unknown profile is refused and leaves no home."""
    home = tmp_path / "sm2"
    made = mulu_json("init", "--home", home, "--profile", "sm2")
    genesis = Genesis.load(str(home / "genesis.json"))
    assert (made["profile"], genesis.doc["profile"], genesis.profile.name) == ("sm2-sm3",) * 3
    assert made["genesis_hash"] == genesis.hash.hex() == genesis.profile.hash(genesis.canonical).hex()
    assert genesis.hash != hashlib.sha256(genesis.canonical).digest()  # SM3, not SHA-256
    assert Home(home).validator_key().profile.name == "sm2-sm3"
    for m in SAMPLE_MEMBERS:
        assert Home(home).member_key(m.uscc).profile.name == "sm2-sm3"
    assert all(len(bytes.fromhex(k)) == 65 for m in genesis.doc["members"] for k in m["keys"])
    assert_fails("PROFILE_UNKNOWN", "init", "--home", tmp_path / "rsa", "--profile", "rsa-md5")
    assert not (tmp_path / "rsa").exists()


def test_demo_then_export_and_audit(tmp_path: Path, profile_name: str):
    """The demo runs its signed scenario on a fresh LevelDB home of each profile (``mulu init --profile``);
    its export audits clean, and one flipped byte makes the audit exit 1 naming the block height and field."""
    home = tmp_path / "demo"
    mulu("init", "--home", home, "--profile", profile_name)
    output = mulu("demo", "--home", home, "--exit", "--api", f"127.0.0.1:{free_port()}").output
    assert "committed" in output
    assert "refused" in output and "CATALOG_SHARE_BASIS_MISSING" in output
    assert "rejected" in output and "TX_SENDER_UNKNOWN" in output
    assert "TX_PROFILE_MISMATCH" in output  # a member signing under the other profile is turned away
    assert "一数一源" in output and "公民身份号码" in output
    # a project from 储备 to 运维: acceptance refused while the system's credential is not escrowed, then passed
    assert "竣工验收 不通过: 上链" in output and "ACCEPTANCE_REFUSED" in output and "竣工验收 通过" in output
    assert "投入使用评审 (运维)" in output and "通过 passes" in output
    assert "技术评审不予通过 (000:第十三条, 退回储备)" in output and "再次受理技术评审" in output
    # sharing and 校核, and the half-year assessment: a legacy system ordered twice is a 僵尸系统
    assert "校核延期一次" in output and "下达整改令 第2次" in output and "僵尸系统" in output
    assert f"keys in {home / 'keys'}" in output  # where a newcomer finds the keys to sign with
    for m in SAMPLE_MEMBERS:
        [row] = [line for line in output.splitlines() if m.uscc in line and m.name in line and ".pem" in line]
        assert str(home / "keys" / f"{m.uscc}.pem") in row and all(role in row for role in m.roles)

    archive = tmp_path / "chain.mulu"
    exported = mulu_json("export", "--home", home, "--out", archive)
    assert exported["blocks"] >= 7 and exported["bytes"] == archive.stat().st_size
    verdict = mulu_json("audit", "verify", "--genesis", home / "genesis.json", "--archive", archive)
    assert verdict["ok"] is True and verdict["findings"] == []
    assert (verdict["blocks"], verdict["transactions"]) == (exported["blocks"], 56)

    data = bytearray(archive.read_bytes())
    block1 = next(f for f in read_frames(bytes(data)) if f.index == 1)
    data[block1.offset + 4 + len(block1.data) - 1] ^= 0x01  # the last byte of block 1: its commit signature
    tampered = tmp_path / "tampered.mulu"
    tampered.write_bytes(bytes(data))
    result = mulu("audit", "verify", "--genesis", home / "genesis.json", "--archive", tampered, code=1)
    verdict = json.loads(result.stdout)
    assert verdict["ok"] is False
    [finding] = verdict["findings"]
    assert finding["height"] == 1
    assert finding["field"] == "commit.signatures[0].signature"
    assert finding["code"] == "BLOCK_INVALID"
    assert finding["offset"] == block1.offset


def test_export_and_audit_refusals(tmp_path: Path):
    """export needs a source; audit needs a readable archive."""
    assert_fails("USAGE", "export", "--out", tmp_path / "x.mulu")
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME)
    assert_fails("FILE_UNREADABLE", "audit", "verify", "--genesis", home.genesis_file,
                 "--archive", tmp_path / "missing.mulu")
    (tmp_path / "junk.mulu").write_bytes(b"not an archive")
    result = mulu("audit", "verify", "--genesis", home.genesis_file, "--archive", tmp_path / "junk.mulu", code=1)
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["field"], finding["offset"]) == ("magic", 0)


def test_export_of_a_folder_that_is_not_a_home(tmp_path: Path):
    """export --home on a folder that is not a node home exits 1 with HOME_NOT_INITIALISED, creating nothing."""
    (tmp_path / "plain").mkdir()
    for folder in (tmp_path / "nothing", tmp_path / "plain"):
        assert_fails("HOME_NOT_INITIALISED", "export", "--home", folder, "--out", tmp_path / "x.mulu")
    assert list((tmp_path / "plain").iterdir()) == []


def _digest_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("served", PROFILES, indirect=True)
def test_tx_send_query_and_proofs(served, tmp_path: Path):
    """A member signs with its key file and sends a call whose bytes arguments are {"$hex": ...}; the queries
    find it, and its saved proof verifies offline — until a byte of it is changed."""
    home, url = served
    edu = by_short("市教委")
    key = home.key_file(edu.uscc)
    args = json.dumps({"doc_id": "duty-catalog", "title": "北京市教育委员会职责目录", "kind": "duty_catalog",
                       "digest": {"$hex": _digest_hex("职责目录 v1")}}, ensure_ascii=False)

    sent = mulu_json("tx", "send", "anchor", "put", "--args", args, "--key", key, "--sender", edu.uscc,
                     "--node", url)
    assert (sent["status"], sent["height"], sent["result"]["status"]) == ("committed", 1, "ok")
    tx_id = sent["tx_id"]

    again = mulu("tx", "send", "anchor", "put", "--args", args, "--key", key, "--sender", edu.uscc,
                 "--node", url, code=1)
    refused = json.loads(again.stdout)
    assert (refused["status"], refused["result"]["code"]) == ("refused", "ANCHOR_UNCHANGED")

    status = mulu_json("query", "status", "--node", url)
    assert (status["height"], status["chain_id"]) == (2, "mulu-demo")
    block = mulu_json("query", "block", "1", "--node", url)
    assert [t["tx_id"] for t in block["txs"]] == [tx_id]
    found = mulu_json("query", "tx", tx_id, "--node", url)
    assert found["args"]["digest"] == _digest_hex("职责目录 v1")
    assert found["result"]["events"][0]["type"] == "anchored"

    state_key = f"anchor/doc/{edu.uscc}/duty-catalog"
    assert mulu_json("query", "state", state_key, "--node", url)["value"]["version"] == 1
    assert [v["height"] for v in mulu_json("query", "state", state_key, "--history", "--node", url)["versions"]] \
        == [1]

    genesis = home.genesis_file
    for name, proof_args in (("tx", ("tx", tx_id, "--proof")), ("state", ("state", state_key, "--proof"))):
        proof_file = tmp_path / f"{name}-proof.json"
        proof_file.write_text(mulu("query", *proof_args, "--node", url).stdout)
        checked = mulu_json("proof", "verify", "--genesis", genesis, "--proof", proof_file)
        assert checked["ok"] is True and checked["type"] == name

    proof = json.loads((tmp_path / "tx-proof.json").read_text())
    raw = bytearray(base64.b64decode(proof["tx"]["b64"]))
    raw[-1] ^= 0x01  # the transaction's signature
    proof["tx"]["b64"] = base64.b64encode(bytes(raw)).decode()
    (tmp_path / "tampered.json").write_text(json.dumps(proof))
    assert_fails("PROOF_INVALID", "proof", "verify", "--genesis", genesis, "--proof", tmp_path / "tampered.json")
    (tmp_path / "junk.json").write_text("{")
    assert_fails("PROOF_INVALID", "proof", "verify", "--genesis", genesis, "--proof", tmp_path / "junk.json")

    archive = tmp_path / "remote.mulu"
    exported = mulu_json("export", "--node", url, "--out", archive)
    assert exported["blocks"] == mulu_json("audit", "verify", "--genesis", genesis, "--archive", archive)["blocks"] == 2

    members = mulu("query", "members", "--node", url).output
    assert all(m.uscc in members for m in SAMPLE_MEMBERS)


def test_tx_send_and_query_refusals(served, tmp_path: Path):
    """Refusals at the door and bad usage exit 1 with the error code."""
    home, url = served
    edu = by_short("市教委")
    key = home.key_file(edu.uscc)
    other = home.key_file(by_short("市卫生健康委").uscc)
    good = json.dumps({"doc_id": "d", "title": "t", "kind": "other", "digest": {"$hex": "00" * 32}})

    assert_fails("ARGS_NOT_JSON", "tx", "send", "anchor", "put", "--args", "{", "--key", key, "--sender", edu.uscc,
                 "--node", url)
    assert_fails("ARGS_NOT_JSON", "tx", "send", "anchor", "put", "--args", "[1]", "--key", key,
                 "--sender", edu.uscc, "--node", url)
    short = json.dumps({"doc_id": "d", "title": "t", "kind": "other", "digest": {"$hex": "00" * 31}})
    assert_fails("TX_ARGS_INVALID", "tx", "send", "anchor", "put", "--args", short, "--key", key,
                 "--sender", edu.uscc, "--node", url)
    assert_fails("METHOD_UNKNOWN", "tx", "send", "anchor", "drop", "--args", good, "--key", key,
                 "--sender", edu.uscc, "--node", url)
    assert_fails("TX_KEY_UNKNOWN", "tx", "send", "anchor", "put", "--args", good, "--key", other,
                 "--sender", edu.uscc, "--node", url)
    assert_fails("MEMBER_NOT_FOUND", "tx", "send", "anchor", "put", "--args", good, "--key", key,
                 "--sender", "91110108MA00000000", "--node", url)
    mulu("keygen", "--out", tmp_path / "locked.pem", "--passphrase", "pw")
    output = assert_fails("KEY_FILE_ENCRYPTED", "tx", "send", "anchor", "put", "--args", good, "--key",
                          tmp_path / "locked.pem", "--sender", edu.uscc, "--node", url)
    assert "--passphrase" in output and "MULU_PASSPHRASE" in output
    output = assert_fails("KEY_FILE_INVALID", "tx", "send", "anchor", "put", "--args", good, "--key",
                          tmp_path / "locked.pem", "--passphrase", "wrong", "--sender", edu.uscc, "--node", url)
    assert "passphrase does not open" in output

    assert_fails("BLOCK_NOT_FOUND", "query", "block", "99", "--node", url)
    assert_fails("TX_NOT_FOUND", "query", "tx", "ab" * 32, "--node", url)
    assert_fails("RECORD_NOT_FOUND", "query", "state", "anchor/doc/none", "--node", url)
    assert_fails("NODE_UNREACHABLE", "query", "status", "--node", f"http://127.0.0.1:{free_port()}")
    assert mulu_json("query", "status", "--node", url)["height"] == 0


def test_node_start_needs_a_home(tmp_path: Path):
    """node start on a folder that is not a home exits 1 with HOME_NOT_INITIALISED."""
    assert_fails("HOME_NOT_INITIALISED", "node", "start", "--home", tmp_path / "nothing",
                 "--api", f"127.0.0.1:{free_port()}")


@pytest.mark.parametrize("api", ["127.0.0.1:99999", "127.0.0.1:0", ":8500", "127.0.0.1", "127.0.0.1:http"])
def test_init_refuses_an_address_it_could_not_serve_on(tmp_path: Path, api: str):
    """init --api takes HOST:PORT with a host and a port from 1 to 65535; anything else is ADDRESS_INVALID
    when given, and no home is made (not a node that later dies on start)."""
    assert_fails("ADDRESS_INVALID", "init", "--home", tmp_path / "home", "--api", api)
    assert not (tmp_path / "home").exists()
    assert_fails("ADDRESS_INVALID", "demo", "--home", tmp_path / "demo", "--exit", "--api", api)
    assert not (tmp_path / "demo").exists()


def test_init_where_no_home_can_be_made(tmp_path: Path):
    """init (and demo, which inits a new home) on a path that is a file, or below one, is HOME_UNWRITABLE."""
    (tmp_path / "file").write_text("not a folder")
    for home in (tmp_path / "file", tmp_path / "file" / "home"):
        assert_fails("HOME_UNWRITABLE", "init", "--home", home)
        assert_fails("HOME_UNWRITABLE", "demo", "--home", home, "--exit", "--api", f"127.0.0.1:{free_port()}")


def test_node_start_on_a_port_in_use(tmp_path: Path):
    """node start refuses a port out of range (ADDRESS_INVALID) and binds its port before it says it is
    serving: a port in use is one line, API_ADDRESS_IN_USE, with no 'serving' announced; the store is
    left closed for the next try."""
    import socket

    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME)
    assert_fails("ADDRESS_INVALID", "node", "start", "--home", home.path, "--api", "127.0.0.1:99999")
    with socket.create_server(("127.0.0.1", free_port())) as taken:
        port = taken.getsockname()[1]
        output = assert_fails("API_ADDRESS_IN_USE", "node", "start", "--home", home.path, "--api",
                              f"127.0.0.1:{port}")
        assert "serving" not in output and "Traceback" not in output
        assert_fails("API_ADDRESS_IN_USE", "demo", "--home", home.path, "--exit", "--api", f"127.0.0.1:{port}")
    assert mulu_json("store", "check", "--home", home.path)["ok"] is True


def test_a_member_registers_a_new_key_as_the_readme_says(served, tmp_path: Path):
    """The README's path: keygen a key, add it with `tx send identity add_key` signed by a key the member
    has, then sign with the new key."""
    home, url = served
    edu = by_short("市教委")
    made = mulu_json("keygen", "--out", tmp_path / "new.pem")
    added = mulu_json("tx", "send", "identity", "add_key", "--args",
                      json.dumps({"public_key": {"$hex": made["public_key"]}}),
                      "--key", home.key_file(edu.uscc), "--sender", edu.uscc, "--node", url)
    assert added["status"] == "committed"
    args = json.dumps({"doc_id": "d", "title": "t", "kind": "other", "digest": {"$hex": "00" * 32}})
    sent = mulu_json("tx", "send", "anchor", "put", "--args", args, "--key", tmp_path / "new.pem",
                     "--sender", edu.uscc, "--node", url)
    assert sent["status"] == "committed"
