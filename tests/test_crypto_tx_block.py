"""Tests of the crypto profile, transactions and block records.

The Ed25519 profile is pinned by the RFC 8032 known answers; key files must
round-trip through PEM with and without a passphrase; a transaction's signing
bytes, wire bytes and id are pinned by a golden vector made with the RFC key;
and every record (transaction, header, result, commit, block) must round-trip
through its canonical bytes and refuse any malformed shape with its code.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain.block import (
    STATUS_OK,
    STATUS_REFUSED,
    Block,
    BlockHeader,
    Commit,
    CommitSig,
    TxResult,
    vote_bytes,
)
from chain.crypto import PrivateKey, key_id, load_private_key_file, profile, profile_names
from chain.encoding import decode, encode
from chain.errors import CryptoError, MuluError
from chain.tx import TX_DOMAIN, Transaction, make_tx

P = profile("ed25519-sha256")

# RFC 8032 §7.1, TEST 1 and TEST 2.
RFC_1 = dict(
    secret="9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    public="d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message="",
    signature="e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
              "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
)
RFC_2 = dict(
    secret="4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    public="3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message="72",
    signature="92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da0"
              "85ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
)


def rfc_key(vector: dict) -> PrivateKey:
    return PrivateKey(P, Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret"])))


def assert_code(info, code: str) -> MuluError:
    assert isinstance(info.value, MuluError), info.value
    assert info.value.code == code, info.value
    return info.value


# --- the Ed25519 profile ---------------------------------------------------------------


@pytest.mark.parametrize("vector", [RFC_1, RFC_2], ids=["rfc8032-test1", "rfc8032-test2"])
def test_rfc8032_known_answers(vector):
    """The profile derives the RFC's public key, makes the RFC's signature and verifies it."""
    key = rfc_key(vector)
    message = bytes.fromhex(vector["message"])
    assert key.public_key.hex() == vector["public"]
    assert key.sign(message).hex() == vector["signature"]
    assert P.verify(bytes.fromhex(vector["public"]), message, bytes.fromhex(vector["signature"]))


def test_profile_constants():
    """ed25519-sha256 hashes with SHA-256; keys are 32 bytes, signatures 64."""
    assert profile_names() == ["ed25519-sha256", "sm2-sm3"]
    assert profile("ed25519-sha256") is P
    assert P.name == "ed25519-sha256" and P.hash_size == 32
    assert P.hash(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    key = P.generate()
    assert len(key.public_key) == 32 and len(key.sign(b"m")) == 64


def test_invalid_unknown_profile():
    """A profile name this build does not provide is refused with PROFILE_UNKNOWN."""
    for name in ("rsa-md5", "sm2", "ED25519-SHA256"):  # an alias is for the CLI, not for a genesis
        with pytest.raises(MuluError) as info:
            profile(name)
        assert assert_code(info, "PROFILE_UNKNOWN").details["known"] == ["ed25519-sha256", "sm2-sm3"]


def test_sign_and_verify():
    """A signature verifies for its key and message, and only for them."""
    key, other = P.generate(), P.generate()
    message = b"mulu/test message"
    sig = key.sign(message)
    assert key.sign(message) == sig  # Ed25519 is deterministic
    assert P.verify(key.public_key, message, sig)
    # wrong key, wrong message
    assert not P.verify(other.public_key, message, sig)
    assert not P.verify(key.public_key, message + b"!", sig)
    assert not P.verify(key.public_key, b"", sig)
    # every single-bit change of the signature
    for i in range(len(sig)):
        for bit in (0x01, 0x80):
            bad = sig[:i] + bytes([sig[i] ^ bit]) + sig[i + 1:]
            assert not P.verify(key.public_key, message, bad), (i, bit)
    # wrong lengths
    assert not P.verify(key.public_key, message, sig[:-1])
    assert not P.verify(key.public_key, message, sig + b"\x00")
    assert not P.verify(key.public_key, message, b"")


def assert_public_keys_refused(prof, key: PrivateKey, bad_keys) -> None:
    """Each of ``bad_keys`` is refused by ``prof.check_public_key`` and verifies none of ``key``'s
    signatures, while ``key``'s own public key passes."""
    sig = key.sign(b"m")
    for bad in bad_keys:
        with pytest.raises(CryptoError) as info:
            prof.check_public_key(bad)
        assert_code(info, "CRYPTO_ERROR")
        assert not prof.verify(bad, b"m", sig)
    prof.check_public_key(key.public_key)


def test_invalid_public_keys_never_verify():
    """A public key of the wrong size is refused by check_public_key and never verifies."""
    key = P.generate()
    assert_public_keys_refused(P, key, (b"", key.public_key[:31], key.public_key + b"\x00", bytes(64)))


def test_key_id_is_stable():
    """A key id is the first 8 bytes of the key's SHA-256, in hex, whatever the key's file form."""
    key = rfc_key(RFC_1)
    assert key.key_id == "21fe31dfa154a261"
    assert key.key_id == hashlib.sha256(bytes.fromhex(RFC_1["public"])).digest()[:8].hex()
    assert key_id(P, key.public_key) == key.key_id
    assert rfc_key(RFC_2).key_id == "39f713d0a644253f"
    again = P.load_private_pem(key.to_pem(b"pass"), b"pass")
    assert again.key_id == key.key_id


def test_key_file_round_trip():
    """A private key survives PEM with and without a passphrase; a public PEM gives the raw key."""
    key = P.generate()
    plain_pem = key.to_pem()
    assert plain_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert P.load_private_pem(plain_pem).public_key == key.public_key

    locked = key.to_pem(b"correct horse")
    assert locked.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = P.load_private_pem(locked, b"correct horse")
    assert loaded.public_key == key.public_key
    assert loaded.sign(b"m") == key.sign(b"m")

    public_pem = key.public_pem()
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert P.public_key_from_pem(public_pem) == key.public_key


def _ec_private_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.mark.parametrize("case", [
    "wrong passphrase", "missing passphrase", "unexpected passphrase", "not pem", "truncated pem",
    "ec key", "public pem",
])
def test_invalid_private_key_files(case):
    """Key files that cannot be read as an Ed25519 private key are refused with KEY_FILE_INVALID."""
    key = P.generate()
    pem, passphrase = {
        "wrong passphrase": (key.to_pem(b"right"), b"wrong"),
        "missing passphrase": (key.to_pem(b"right"), None),
        "unexpected passphrase": (key.to_pem(), b"surplus"),
        "not pem": (b"hello, I am not a key", None),
        "truncated pem": (key.to_pem()[:60], None),
        "ec key": (_ec_private_pem(), None),
        "public pem": (key.public_pem(), None),
    }[case]
    with pytest.raises(MuluError) as info:
        P.load_private_pem(pem, passphrase)
    assert_code(info, "KEY_FILE_INVALID")


def test_invalid_public_key_files():
    """A public key file that is garbage, a private key or another algorithm's key is refused."""
    key = P.generate()
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for pem in (b"garbage", key.to_pem(), ec_public):
        with pytest.raises(MuluError) as info:
            P.public_key_from_pem(pem)
        assert_code(info, "KEY_FILE_INVALID")


def test_load_private_key_file(tmp_path):
    """load_private_key_file reads key files of any profile, with a text passphrase."""
    from node.home import write_private_key

    key = P.generate()
    plain_path, locked_path = tmp_path / "plain.pem", tmp_path / "locked.pem"
    write_private_key(plain_path, key)
    write_private_key(locked_path, key, "秘密 passphrase")
    assert stat.S_IMODE(os.stat(plain_path).st_mode) == 0o600
    assert load_private_key_file(str(plain_path)).public_key == key.public_key
    assert load_private_key_file(str(locked_path), "秘密 passphrase").public_key == key.public_key

    for path, passphrase, code in ((locked_path, "wrong", "KEY_FILE_INVALID"),
                                   (locked_path, None, "KEY_FILE_ENCRYPTED"),  # not bad: it needs its passphrase
                                   (plain_path, "surplus", "KEY_FILE_INVALID")):
        with pytest.raises(MuluError) as info:
            load_private_key_file(str(path), passphrase)
        assert assert_code(info, code).details["path"] == str(path)


# --- transactions --------------------------------------------------------------------

GOLDEN_TX = dict(chain_id="mulu-test", sender="91350100M000100Y43", nonce=1, contract="anchor",
                 method="put", args={"doc_id": "d", "digest": bytes(32)})
GOLDEN_WIRE = (
    "98a96d756c752d74657374b239313335303130304d303030313030593433b032316665333164666131353461323631"
    "01a6616e63686f72a370757482a6646967657374c420" + "00" * 32 + "a6646f635f6964a164c440"
    "88649e373901b816adef1d6ba6e33b37af5806facb93ce592fc7bbbb295a3d7603658e569814a8b7769fb7eb0feeab"
    "b54029aa45142891ce4bd6817af7e61c05"
)
GOLDEN_TX_ID = "c1dbcb1236113c1fb5a9e7dc674685f3e271419e4835fb1ce1f4677e1665eb52"


def golden_tx() -> Transaction:
    return make_tx(rfc_key(RFC_1), **GOLDEN_TX)


def test_transaction_golden_vector():
    """The RFC key's transaction has exactly these signing bytes, wire bytes and id.

    Signing bytes are the encoded domain tag followed by the encodings of the
    fields before the signature; the wire form is the 8-field array; the id is
    the SHA-256 of the wire form.
    """
    tx = golden_tx()
    fields = [tx.chain_id, tx.sender, tx.key_id, tx.nonce, tx.contract, tx.method, tx.args]
    assert tx.key_id == "21fe31dfa154a261"
    assert tx.signing_bytes() == encode(TX_DOMAIN) + b"".join(encode(f) for f in fields)
    assert tx.signing_bytes().startswith(bytes.fromhex("aa") + b"mulu/tx/v1")
    assert tx.to_bytes().hex() == GOLDEN_WIRE
    assert tx.to_bytes() == encode(fields + [tx.signature])
    assert tx.tx_id(P).hex() == GOLDEN_TX_ID == hashlib.sha256(bytes.fromhex(GOLDEN_WIRE)).hexdigest()
    assert P.verify(rfc_key(RFC_1).public_key, tx.signing_bytes(), tx.signature)


def test_transaction_from_bytes_round_trip():
    """Decoding the wire form gives an equal transaction with the same bytes, id and signing bytes."""
    tx = golden_tx()
    back = Transaction.from_bytes(tx.to_bytes())
    assert back == tx
    assert back.to_bytes() == tx.to_bytes()
    assert back.tx_id(P) == tx.tx_id(P)
    assert back.signing_bytes() == tx.signing_bytes()
    assert Transaction.from_plain(decode(tx.to_bytes())) == tx


@pytest.mark.parametrize("sig_len", [0, 1, 64, 255, 256, 65535, 65536])
def test_signing_bytes_of_received_transaction_any_signature_size(sig_len):
    """The signing bytes of a decoded transaction equal those of the built one,
    whatever the size of the (possibly bogus) signature field."""
    tx = replace(golden_tx(), signature=b"\x5a" * sig_len)
    back = Transaction.from_bytes(tx.to_bytes())
    assert back.signature == tx.signature
    assert back.signing_bytes() == golden_tx().signing_bytes()


@pytest.mark.parametrize("field,value", [
    ("chain_id", "mulu-other"), ("sender", "91350100M000100Y44"), ("key_id", "0000000000000000"),
    ("nonce", 2), ("contract", "identity"), ("method", "get"), ("args", {"doc_id": "e", "digest": bytes(32)}),
])
def test_every_field_is_signed(field, value):
    """Changing any field changes the signing bytes and the id, and breaks the signature."""
    tx = golden_tx()
    changed = replace(tx, **{field: value})
    assert changed.signing_bytes() != tx.signing_bytes()
    assert changed.tx_id(P) != tx.tx_id(P)
    assert not P.verify(rfc_key(RFC_1).public_key, changed.signing_bytes(), changed.signature)
    received = Transaction.from_bytes(changed.to_bytes())
    assert not P.verify(rfc_key(RFC_1).public_key, received.signing_bytes(), received.signature)


def test_signature_is_not_signed_but_changes_the_id():
    """The signature is outside the signing bytes but inside the id."""
    tx = golden_tx()
    other = replace(tx, signature=bytes(64))
    assert other.signing_bytes() == tx.signing_bytes()
    assert other.tx_id(P) != tx.tx_id(P)


def test_transaction_and_vote_signing_bytes_differ_by_domain():
    """A vote for a block can never be mistaken for a transaction's signing bytes."""
    tx = golden_tx()
    vote = vote_bytes(tx.chain_id, 1, 0, bytes(32))
    assert decode(vote)[0] == "mulu/precommit/v1"
    assert not vote.startswith(encode(TX_DOMAIN)) and not tx.signing_bytes().startswith(vote[:5])


def _tx_plain() -> list:
    return golden_tx().to_plain()


def _with(index: int, value) -> list:
    plain = _tx_plain()
    plain[index] = value
    return plain


@pytest.mark.parametrize("plain,field", [
    ({"chain_id": "x"}, None),
    (None, None),
    (_tx_plain()[:7], None),
    (_tx_plain() + [b""], None),
    ([], None),
    (_with(0, b"mulu-test"), "chain_id"),
    (_with(1, 91350100), "sender"),
    (_with(2, None), "key_id"),
    (_with(3, "1"), "nonce"),
    (_with(3, True), "nonce"),
    (_with(3, 0), "nonce"),
    (_with(3, -1), "nonce"),
    (_with(4, ["anchor"]), "contract"),
    (_with(5, 5), "method"),
    (_with(6, [["doc_id", "d"]]), "args"),
    (_with(6, None), "args"),
    (_with(7, "signature"), "signature"),
    (_with(7, None), "signature"),
], ids=lambda v: repr(v)[:30] if not isinstance(v, list) else f"len{len(v)}")
def test_invalid_transaction_shapes(plain, field):
    """A decoded value that is not an 8-field, well-typed transaction is TX_MALFORMED."""
    with pytest.raises(MuluError) as info:
        Transaction.from_plain(plain)
    err = assert_code(info, "TX_MALFORMED")
    assert err.details.get("field") == field
    with pytest.raises(MuluError) as info:
        Transaction.from_bytes(encode(plain))
    assert_code(info, "TX_MALFORMED")


def test_invalid_transaction_bytes():
    """Transaction bytes that are not canonical are TX_MALFORMED, naming the encoding problem."""
    wire = golden_tx().to_bytes()
    nonce_at = wire.index(b"\xb021fe31dfa154a261") + 17  # the nonce byte after the key id
    assert wire[nonce_at] == 0x01
    wide_nonce = wire[:nonce_at] + b"\xcc\x01" + wire[nonce_at + 1:]
    cases = {
        "ENCODING_INVALID": [b"", b"\xc1", wire[:-1], wire[:10]],
        "ENCODING_NON_CANONICAL": [wide_nonce],
        "ENCODING_TRAILING_BYTES": [wire + b"\x00"],
        "ENCODING_UNSUPPORTED_VALUE": [wire[:-66] + b"\xca\x00\x00\x00\x00"],  # a float signature
    }
    for encoding_code, raws in cases.items():
        for raw in raws:
            with pytest.raises(MuluError) as info:
                Transaction.from_bytes(raw)
            assert assert_code(info, "TX_MALFORMED").details["encoding"] == encoding_code, raw.hex()


# --- blocks and their records -------------------------------------------------------------


def sample_header(**changes) -> BlockHeader:
    header = BlockHeader(chain_id="mulu-test", height=7, time=1_700_000_420_000, prev_hash=b"\x01" * 32,
                         tx_root=b"\x02" * 32, result_root=b"\x03" * 32, state_root=b"\x04" * 32,
                         history_root=b"\x05" * 32, validators_hash=b"\x06" * 32, proposer="node0")
    return replace(header, **changes)


def sample_results(n: int) -> tuple[TxResult, ...]:
    out = []
    for i in range(n):
        if i % 3 == 2:
            out.append(TxResult(bytes([i]) * 32, STATUS_REFUSED, "ANCHOR_UNCHANGED", "same digest",
                                "000:第九条", "digest"))
        else:
            out.append(TxResult(bytes([i]) * 32, STATUS_OK,
                                events=(("anchored", {"doc_id": f"d{i}", "version": i + 1}),
                                        ("note", {"by": "目录链"}))))
    return tuple(out)


def sample_commit() -> Commit:
    return Commit(7, 2, b"\x09" * 32, (CommitSig("node0", b"\x0a" * 64), CommitSig("node1", b"\x0b" * 64)))


def sample_block(n_txs: int, commit: Commit | None = None) -> Block:
    key = rfc_key(RFC_1)
    txs = tuple(make_tx(key, chain_id="mulu-test", sender="91350100M000100Y43", nonce=i + 1,
                        contract="anchor", method="put", args={"doc_id": f"d{i}", "digest": bytes([i]) * 32})
                for i in range(n_txs))
    return Block(sample_header(), txs, sample_results(n_txs), commit)


def test_header_round_trip_and_hash():
    """A header round-trips through its plain form; its hash is SHA-256 of its canonical bytes."""
    header = sample_header()
    assert BlockHeader.from_plain(decode(encode(header.to_plain()))) == header
    assert header.hash(P) == hashlib.sha256(encode(header.to_plain())).digest()
    for name, _ in BlockHeader.SPEC:
        other = replace(header, **{name: bumped(getattr(header, name))})
        assert other.hash(P) != header.hash(P), name


def bumped(value):
    """A different value of the same type."""
    if isinstance(value, bytes):
        return value[:-1] + bytes([value[-1] ^ 1])
    return value + (1 if isinstance(value, int) else "x")


def test_result_and_commit_round_trip():
    """Results (ok with events, refused with a rule) and commits round-trip through bytes."""
    for result in sample_results(3):
        assert result.to_bytes() == encode(result.to_plain())
        assert TxResult.from_plain(decode(result.to_bytes())) == result
    assert sample_results(1)[0].ok and not sample_results(3)[2].ok
    commit = sample_commit()
    assert Commit.from_plain(decode(encode(commit.to_plain()))) == commit


@pytest.mark.parametrize("n_txs", [0, 1, 15, 16, 20])
@pytest.mark.parametrize("with_commit", [False, True])
def test_block_round_trip(n_txs, with_commit):
    """A block's bytes are the canonical encoding of its plain form and decode to an equal block."""
    block = sample_block(n_txs, sample_commit() if with_commit else None)
    data = block.to_bytes()
    assert data == encode(block.to_plain())
    back = Block.from_bytes(data)
    assert back == block
    assert back.to_bytes() == data
    assert back.height == 7


def _header_with(index: int, value) -> list:
    plain = sample_header().to_plain()
    plain[index] = value
    return plain


@pytest.mark.parametrize("index,name", list(enumerate(n for n, _ in BlockHeader.SPEC)))
def test_invalid_header_field_types(index, name):
    """A header field of the wrong type is RECORD_MALFORMED naming the field."""
    wrong = 1 if isinstance(sample_header().to_plain()[index], (str, bytes)) else "1"
    with pytest.raises(MuluError) as info:
        BlockHeader.from_plain(_header_with(index, wrong))
    err = assert_code(info, "RECORD_MALFORMED")
    assert err.details == {"record": "header", "field": name}


@pytest.mark.parametrize("plain", [None, {}, [], sample_header().to_plain()[:9], sample_header().to_plain() + [0]],
                         ids=["none", "map", "empty", "short", "long"])
def test_invalid_header_shapes(plain):
    """A header that is not a list of ten fields is RECORD_MALFORMED."""
    with pytest.raises(MuluError) as info:
        BlockHeader.from_plain(plain)
    assert assert_code(info, "RECORD_MALFORMED").details["record"] == "header"


def _result_with(index: int, value) -> list:
    plain = sample_results(1)[0].to_plain()
    plain[index] = value
    return plain


@pytest.mark.parametrize("plain,field", [
    (None, None),
    (_result_with(0, "id"), "tx_id"),
    (_result_with(1, "maybe"), "status"),
    (_result_with(1, b"ok"), "status"),
    (_result_with(2, 0), "code"),
    (_result_with(6, {}), "events"),
    (_result_with(6, [["anchored"]]), "events"),
    (_result_with(6, [["anchored", {}, 1]]), "events"),
    (_result_with(6, [[1, {}]]), "events"),
    (_result_with(6, [["anchored", []]]), "events"),
    (_result_with(6, ["anchored"]), "events"),
], ids=lambda v: repr(v)[:40])
def test_invalid_result_shapes(plain, field):
    """A result with a wrong field, status or event is RECORD_MALFORMED naming the field."""
    with pytest.raises(MuluError) as info:
        TxResult.from_plain(plain)
    err = assert_code(info, "RECORD_MALFORMED")
    assert err.details["record"] == "result"
    assert err.details.get("field") == field


@pytest.mark.parametrize("plain,field", [
    ([7, 0, b"\x09" * 32], None),
    (["7", 0, b"\x09" * 32, []], "height"),
    ([7, None, b"\x09" * 32, []], "round"),
    ([7, 0, "hash", []], "block_hash"),
    ([7, 0, b"\x09" * 32, {}], "signatures"),
    ([7, 0, b"\x09" * 32, [["node0"]]], "signatures"),
    ([7, 0, b"\x09" * 32, [["node0", "sig"]]], "signatures"),
    ([7, 0, b"\x09" * 32, [[b"node0", b"sig"]]], "signatures"),
    ([7, 0, b"\x09" * 32, ["node0"]], "signatures"),
], ids=lambda v: repr(v)[:40])
def test_invalid_commit_shapes(plain, field):
    """A commit with a wrong field or signature entry is RECORD_MALFORMED naming the field."""
    with pytest.raises(MuluError) as info:
        Commit.from_plain(plain)
    err = assert_code(info, "RECORD_MALFORMED")
    assert err.details["record"] == "commit"
    assert err.details.get("field") == field


def test_invalid_block_shapes():
    """A block that is not [header, txs, results, (evidence,) commit] of the right records is RECORD_MALFORMED."""
    good = sample_block(3, sample_commit()).to_plain()
    bad_tx = [list(good[0]), list(good[1]), good[2], good[3]]
    bad_tx[1][2] = bad_tx[1][2][:7]
    cases = [
        (None, "block", None),
        (good[:3], "block", None),
        (good + [None, None], "block", None),
        (good[:3] + [[], None], "block", "evidence"),
        (good[:3] + [[[1, 2]], None], "evidence", None),
        ([good[0], {}, good[2], good[3]], "block", "txs"),
        ([good[0], good[1], None, good[3]], "block", "txs"),
        (bad_tx, "block", "txs[2]"),
        ([good[0][:5], good[1], good[2], good[3]], "header", None),
        ([good[0], good[1], [good[2][0][:6]], good[3]], "result", None),
        ([good[0], good[1], good[2], [7, 0]], "commit", None),
    ]
    for plain, record, field in cases:
        with pytest.raises(MuluError) as info:
            Block.from_plain(plain)
        err = assert_code(info, "RECORD_MALFORMED")
        assert err.details["record"] == record, plain
        assert err.details.get("field") == field, plain
        with pytest.raises(MuluError) as info:
            Block.from_bytes(encode(plain))
        assert_code(info, "RECORD_MALFORMED")


def test_invalid_block_bytes():
    """Block bytes that are not canonical are RECORD_MALFORMED, naming the encoding problem."""
    data = sample_block(2, sample_commit()).to_bytes()
    for raw, encoding_code in ((data[:-1], "ENCODING_INVALID"), (data + b"\xc0", "ENCODING_TRAILING_BYTES"),
                               (b"\xdc\x00\x04" + data[1:], "ENCODING_NON_CANONICAL")):
        with pytest.raises(MuluError) as info:
            Block.from_bytes(raw)
        err = assert_code(info, "RECORD_MALFORMED")
        assert err.details["encoding"] == encoding_code


def test_a_block_with_evidence_round_trips_and_keeps_its_commit_last():
    """A block carrying evidence encodes it before the commit ([header, txs, results, evidence,
    commit]); a block without any keeps the four-part form, so earlier chains' bytes are unchanged."""
    from chain.block import Block, BlockHeader, Commit, CommitSig, Evidence

    header = BlockHeader("c", 1, 5, b"p" * 32, b"t" * 32, b"r" * 32, b"s" * 32, b"h" * 32, b"v" * 32, "node0")
    plain = Block(header, (), ())
    with_evidence = Block(header, (), (), evidence=(Evidence("node1", 1, "duplicate_vote", 4),))
    assert len(decode(plain.to_bytes())) == 4 and len(decode(with_evidence.to_bytes())) == 5
    for block in (plain, with_evidence):
        assert Block.from_bytes(block.to_bytes()) == block
        certified = Block(block.header, (), (), Commit(1, 0, b"x" * 32, (CommitSig("node0", b"s"),)), block.evidence)
        assert certified.to_bytes()[:-len(encode(certified.commit.to_plain()))] == block.to_bytes()[:-1]
    with pytest.raises(MuluError) as info:
        Block.from_plain([header.to_plain(), [], [], [], None])  # an empty evidence list is not canonical
    assert info.value.code == "RECORD_MALFORMED"
