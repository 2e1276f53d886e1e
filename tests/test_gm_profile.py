"""Tests of the 国密 profile ``sm2-sm3``, its envelopes, and a chain that never mixes profiles.

The profile is pinned by the standards' published examples (tests/vectors/
gm_known_answers.json): the SM3 digests of GB/T 32905 Appendix A, the SM2
signature of GB/T 32918.5 Appendix A (its Z value, its digest e, and the
published r, s verified for the published key, message and signer ID), the
SM2 ciphertext of Appendix C, the SM4 block of GB/T 32907 and the SM4-GCM
vector of RFC 8998. Interoperability: signatures, key files and SM2
ciphertexts made here are accepted by a second implementation (GmSSL through
gmssl-pyx, and the ``openssl`` command of OpenSSL 3), and theirs here. A
chain of one profile refuses keys of the other in its genesis and in
``identity.add_key``, and refuses a transaction signed under the other with
``TX_PROFILE_MISMATCH``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives import serialization as pyca_serialization
from cryptography.hazmat.primitives.asymmetric import ec as pyca_ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tongsuopy.crypto.asymciphers import ec

from chain.crypto import PrivateKey, load_private_key_file, profile, profile_of_public_key, profile_of_signature
from chain.encoding import encode
from chain.envelope import MAX_SECRET, Envelope, open_envelope, seal
from chain.errors import CryptoError, GenesisInvalid, MuluError, ProfileMismatch
from chain.genesis import Genesis
from chain.proofs import verify_tx
from chain.gm import (
    SM2_SIGNER_ID,
    is_der_signature,
    sm2_decrypt_with,
    sm2_encrypt_to,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)
from chain.store import MemoryStore
from chain.tx import Transaction, make_tx
from cli.client import ApiError, Client
from contracts.registry import Registry
from node.errors import status_for
from node.home import init_home
from node.node import Node
from node.samples import by_short
from tests.functional.framework import GENESIS_TIME, PROFILES
from tests.test_crypto_tx_block import assert_code, assert_public_keys_refused

P = profile("sm2-sm3")
ED = profile("ed25519-sha256")
VECTORS = json.loads((Path(__file__).parent / "vectors" / "gm_known_answers.json").read_text())
SIG = VECTORS["sm2_signature"]
H = bytes.fromhex

# The recommended curve of GB/T 32918.5: a, b and the base point, as hashed into Z (GB/T 32918.2 §5.5).
CURVE_A = H("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
CURVE_B = H("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
CURVE_GX = H("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
CURVE_GY = H("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")
OPENSSL = shutil.which("openssl")
SM4_CBC_OID = H("06082A811CCF55016802")
"""The DER of OBJECT IDENTIFIER 1.2.156.10197.1.104.2 (SM4-CBC, GM/T 0006)."""


def der(r: int, s: int) -> bytes:
    """The DER SEQUENCE of two INTEGERs, built by hand (so the tests do not trust the library for it)."""
    def integer(n: int) -> bytes:
        body = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")
        return b"\x02" + bytes([len(body)]) + body
    inner = integer(r) + integer(s)
    return b"\x30" + bytes([len(inner)]) + inner


def standard_key() -> PrivateKey:
    """The key pair of GB/T 32918.5 Appendix A."""
    return PrivateKey(P, ec.derive_private_key(int(SIG["private_key"], 16), ec.SM2()))


STANDARD_PUBLIC = b"\x04" + H(SIG["public_x"]) + H(SIG["public_y"])
STANDARD_SIGNATURE = der(int(SIG["r"], 16), int(SIG["s"], 16))
STANDARD_MESSAGE = SIG["message_ascii"].encode()


# --- known answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["sm3"]["cases"], ids=["abc", "abcd*16"])
def test_sm3_known_answers(case):
    """SM3 gives GB/T 32905's digests; so does OpenSSL's SM3, where this Python's OpenSSL has it."""
    message = case["message_ascii"].encode()
    assert P.hash(message).hex() == case["digest"]
    assert P.hash_size == len(P.hash(message)) == 32
    if "sm3" in hashlib.algorithms_available:
        assert hashlib.new("sm3", message).hexdigest() == case["digest"]


def test_sm2_z_value_and_digest():
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) with the standard ID is the Appendix's Z,
    and e = SM3(Z || M) its e: the signed digest binds the signer ID and the key."""
    assert SM2_SIGNER_ID == SIG["signer_id_ascii"].encode() == b"1234567812345678"
    entl = (8 * len(SM2_SIGNER_ID)).to_bytes(2, "big")
    z = P.hash(entl + SM2_SIGNER_ID + CURVE_A + CURVE_B + CURVE_GX + CURVE_GY + STANDARD_PUBLIC[1:])
    assert z.hex().upper() == SIG["z"]
    assert P.hash(z + STANDARD_MESSAGE).hex().upper() == SIG["e"]


def test_sm2_published_signature_verifies():
    """The published (r, s) verifies for the published key, message and ID — and nothing changed does."""
    key = standard_key()
    assert key.public_key == STANDARD_PUBLIC
    assert P.verify(STANDARD_PUBLIC, STANDARD_MESSAGE, STANDARD_SIGNATURE)
    r, s = int(SIG["r"], 16), int(SIG["s"], 16)
    assert not P.verify(STANDARD_PUBLIC, STANDARD_MESSAGE + b".", STANDARD_SIGNATURE)
    assert not P.verify(STANDARD_PUBLIC, STANDARD_MESSAGE, der(r + 1, s))
    assert not P.verify(STANDARD_PUBLIC, STANDARD_MESSAGE, der(r, s ^ 1))
    assert not P.verify(P.generate().public_key, STANDARD_MESSAGE, STANDARD_SIGNATURE)
    # with another signer ID the same (r, s) fails: the ID is part of what is signed
    assert gmssl_pyx.sm2_verify(STANDARD_PUBLIC[1:], STANDARD_MESSAGE, STANDARD_SIGNATURE)
    assert not gmssl_pyx.sm2_verify(STANDARD_PUBLIC[1:], STANDARD_MESSAGE, STANDARD_SIGNATURE,
                                    signer_id=b"ALICE123@YAHOO.COM")
    # the standard key signs afresh (SM2 draws a random k), and its signatures verify
    fresh = key.sign(STANDARD_MESSAGE)
    assert fresh != STANDARD_SIGNATURE and P.verify(STANDARD_PUBLIC, STANDARD_MESSAGE, fresh)


def test_sm2_published_ciphertext_decrypts():
    """The ciphertext of GB/T 32918.5 Appendix C decrypts to its plaintext with the standard key."""
    enc = VECTORS["sm2_encryption"]
    scalar = H(SIG["private_key"])
    assert P.private_scalar(standard_key().handle) == scalar
    assert sm2_decrypt_with(scalar, H(enc["ciphertext_der"])) == enc["plaintext_ascii"].encode()
    changed = bytearray(H(enc["ciphertext_der"]))
    changed[-1] ^= 0x01  # C2: the C3 hash no longer matches
    with pytest.raises(CryptoError):
        sm2_decrypt_with(scalar, bytes(changed))


def test_sm4_known_answers():
    """SM4 gives GB/T 32907's block, and SM4-GCM RFC 8998's ciphertext and tag."""
    block = VECTORS["sm4_block"]
    encryptor = Cipher(algorithms.SM4(H(block["key"])), modes.ECB()).encryptor()
    assert (encryptor.update(H(block["plaintext"])) + encryptor.finalize()).hex().upper() == block["ciphertext"]
    gcm = VECTORS["sm4_gcm"]
    sealed = sm4_gcm_encrypt(H(gcm["key"]), H(gcm["nonce"]), H(gcm["plaintext"]), H(gcm["aad"]))
    assert sealed.hex().upper() == gcm["ciphertext"] + gcm["tag"]
    assert sm4_gcm_decrypt(H(gcm["key"]), H(gcm["nonce"]), sealed, H(gcm["aad"])) == H(gcm["plaintext"])
    for bad_aad, index in ((H(gcm["aad"]) + b"x", None), (H(gcm["aad"]), 0), (H(gcm["aad"]), len(sealed) - 1)):
        damaged = bytearray(sealed)
        if index is not None:
            damaged[index] ^= 0x01
        with pytest.raises(CryptoError):
            sm4_gcm_decrypt(H(gcm["key"]), H(gcm["nonce"]), bytes(damaged), bad_aad)


# --- the profile -----------------------------------------------------------------------------


def test_profile_shapes():
    """SM2 keys are 65-byte uncompressed points and signatures strict DER; each profile recognises its
    own keys and signatures by shape, and only its own."""
    key = P.generate()
    sig = key.sign(b"m")
    assert len(key.public_key) == 65 and key.public_key[0] == 0x04
    assert 8 <= len(sig) <= 72 and is_der_signature(sig)
    assert key.key_id == P.hash(key.public_key)[:8].hex()
    ed_key = ED.generate()
    ed_sig = ed_key.sign(b"m")
    assert profile_of_signature(sig) is P and profile_of_signature(ed_sig) is ED
    assert profile_of_public_key(key.public_key) is P and profile_of_public_key(ed_key.public_key) is ED
    for junk in (b"", b"\x30", bytes(63), bytes(65)):
        assert profile_of_signature(junk) is None
    assert not P.recognizes_signature(ed_sig) and not ED.recognizes_signature(sig)
    assert not P.recognizes_public_key(ed_key.public_key) and not ED.recognizes_public_key(key.public_key)


def test_sign_and_verify():
    """A signature verifies for its key and message only; no changed byte of it verifies."""
    key, other = P.generate(), P.generate()
    message = b"mulu/test message"
    sig = key.sign(message)
    assert P.verify(key.public_key, message, sig)
    assert not P.verify(other.public_key, message, sig)
    assert not P.verify(key.public_key, message + b"!", sig)
    for i in range(len(sig)):
        for bit in (0x01, 0x80):
            bad = sig[:i] + bytes([sig[i] ^ bit]) + sig[i + 1:]
            assert not P.verify(key.public_key, message, bad), (i, bit)
    assert not P.verify(key.public_key, message, sig[:-1])
    assert not P.verify(key.public_key, message, sig + b"\x00")
    assert not P.verify(key.public_key, message, ED.generate().sign(message))


def test_invalid_der_forms_refused():
    """Only strict DER of two positive minimal integers is a signature: BER lengths, padding,
    negatives, trailing bytes and wrong tags are refused before the library sees them."""
    r, s = int(SIG["r"], 16), int(SIG["s"], 16)
    good = der(r, s)
    assert is_der_signature(good) and is_der_signature(der(1, 1))
    r_body = r.to_bytes(33, "big")  # already padded: r's top bit is set
    padded = b"\x02\x22\x00" + r_body
    long_length = b"\x30\x81" + bytes([len(good) - 2]) + good[2:]
    for bad in (b"", good[:-1], good + b"\x00", long_length, b"\x31" + good[1:],
                b"\x30" + bytes([len(good) - 1]) + good[2:],                  # wrong outer length
                b"\x30\x06\x02\x01\x81\x02\x01\x01",                            # negative r
                b"\x30\x07\x02\x02\x00\x01\x02\x01\x01",                        # non-minimal r
                b"\x30\x06\x02\x00\x02\x02\x01\x01",                            # empty integer
                b"\x30" + bytes([len(padded) + 3]) + padded + b"\x02\x01\x01",  # a 34-byte integer
                b"\x30\x06\x04\x01\x01\x02\x01\x01"):                           # not an INTEGER
        assert not is_der_signature(bad), bad.hex()
        assert not P.verify(STANDARD_PUBLIC, STANDARD_MESSAGE, bad)


def test_invalid_public_keys_refused():
    """Wrong sizes, compressed points, points off the curve and Ed25519 keys are refused and never verify."""
    key = P.generate()
    compressed = bytes([2 + (key.public_key[-1] & 1)]) + key.public_key[1:33]
    off_curve = key.public_key[:-1] + bytes([key.public_key[-1] ^ 1])
    assert_public_keys_refused(P, key, (b"", key.public_key[:64], key.public_key + b"\x00", compressed, off_curve,
                                        b"\x04" + bytes(64), ED.generate().public_key))


def test_transaction_signed_with_sm2_round_trips():
    """A transaction signed with SM2 (a DER signature of its own length) decodes to the same signing
    bytes and verifies; its id is the SM3 of its wire bytes."""
    key = standard_key()
    tx = make_tx(key, chain_id="mulu-gm", sender="91350100M000100Y43", nonce=1, contract="anchor",
                 method="put", args={"doc_id": "d", "digest": bytes(32)})
    received = Transaction.from_bytes(tx.to_bytes())
    assert received.signing_bytes() == tx.signing_bytes()
    assert P.verify(key.public_key, received.signing_bytes(), received.signature)
    assert received.tx_id(P) == gmssl_pyx.sm3_hash(tx.to_bytes()) != hashlib.sha256(tx.to_bytes()).digest()
    assert tx.key_id == key.key_id == "e6a4f9765fca89e8"  # SM3 of the standard public key, first 8 bytes


# --- key files -------------------------------------------------------------------------------


def test_key_file_round_trip(tmp_path):
    """SM2 keys go to PKCS#8 PEM (SM4-CBC under a passphrase) and SPKI PEM and back, and
    load_private_key_file tells an SM2 key file from an Ed25519 one."""
    from node.home import write_private_key

    key = P.generate()
    plain, locked = key.to_pem(), key.to_pem(b"correct horse")
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert locked.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert SM4_CBC_OID in base64.b64decode(b"".join(locked.splitlines()[1:-1]))  # PBES2 with SM4-CBC
    assert P.load_private_pem(plain).public_key == key.public_key
    again = P.load_private_pem(locked, b"correct horse")
    assert again.public_key == key.public_key and P.verify(key.public_key, b"m", again.sign(b"m"))
    assert P.public_key_from_pem(key.public_pem()) == key.public_key

    write_private_key(tmp_path / "sm2.pem", key, "国密")
    write_private_key(tmp_path / "ed.pem", ED.generate())
    assert load_private_key_file(str(tmp_path / "sm2.pem"), "国密").profile is P
    assert load_private_key_file(str(tmp_path / "ed.pem")).profile is ED


@pytest.mark.parametrize("case", ["wrong passphrase", "missing passphrase", "unexpected passphrase", "not pem",
                                  "ed25519 key", "p-256 key", "public pem"])
def test_invalid_private_key_files(case):
    """Key files that are not an SM2 private key (or need another passphrase) give KEY_FILE_INVALID."""
    key = P.generate()
    p256 = pyca_ec.generate_private_key(pyca_ec.SECP256R1()).private_bytes(
        pyca_serialization.Encoding.PEM, pyca_serialization.PrivateFormat.PKCS8, pyca_serialization.NoEncryption())
    pem, passphrase = {
        "wrong passphrase": (key.to_pem(b"right"), b"wrong"),
        "missing passphrase": (key.to_pem(b"right"), None),
        "unexpected passphrase": (key.to_pem(), b"surplus"),
        "not pem": (b"not a key", None),
        "ed25519 key": (ED.generate().to_pem(), None),
        "p-256 key": (p256, None),
        "public pem": (key.public_pem(), None),
    }[case]
    with pytest.raises(MuluError) as info:
        P.load_private_pem(pem, passphrase)
    assert_code(info, "KEY_FILE_INVALID")
    if case != "ed25519 key":
        with pytest.raises(MuluError) as info:
            ED.load_private_pem(pem, passphrase)
        assert_code(info, "KEY_FILE_INVALID")


def test_invalid_public_key_files():
    """Garbage, a private key file and another algorithm's public key are not SM2 public key files."""
    for pem in (b"garbage", P.generate().to_pem(), ED.generate().public_pem()):
        with pytest.raises(MuluError) as info:
            P.public_key_from_pem(pem)
        assert_code(info, "KEY_FILE_INVALID")


# --- interoperability ------------------------------------------------------------------------


def test_interop_with_gmssl():
    """Signatures and ciphertexts cross between Tongsuo (the profile) and GmSSL (gmssl-pyx), both ways."""
    key = P.generate()
    message = "目录链 互操作".encode()
    assert gmssl_pyx.sm2_verify(key.public_key[1:], message, key.sign(message), signer_id=SM2_SIGNER_ID)
    gm_public, gm_private = gmssl_pyx.sm2_key_generate()
    gm_sig = gmssl_pyx.sm2_sign(gm_private, gm_public, message, signer_id=SM2_SIGNER_ID)
    assert P.verify(b"\x04" + gm_public, message, gm_sig)
    assert not P.verify(b"\x04" + gm_public, message + b"!", gm_sig)
    wrapped = gmssl_pyx.sm2_encrypt(key.public_key[1:], b"content key 16 b")
    assert sm2_decrypt_with(P.private_scalar(key.handle), wrapped) == b"content key 16 b"


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, timeout=30)


@pytest.mark.skipif(OPENSSL is None, reason="no openssl command on this machine")
def test_interop_with_openssl_command(tmp_path: Path):
    """OpenSSL 3 verifies the profile's signatures with the standard ID (and not with another), reads its
    key files (the encrypted one too), signs what the profile verifies, and decrypts its SM2 ciphertexts."""
    key = P.generate()
    (tmp_path / "key.pem").write_bytes(key.to_pem())
    (tmp_path / "locked.pem").write_bytes(key.to_pem(b"pw"))
    (tmp_path / "pub.pem").write_bytes(key.public_pem())
    message = b"mulu sm2 interop"
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(key.sign(message))
    distid = f"distid:{SM2_SIGNER_ID.decode()}"
    verify = ("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-digest", "sm3", "-sigfile", "sig",
              "-in", "msg", "-pkeyopt")
    assert _openssl(*verify, distid, cwd=tmp_path).returncode == 0
    assert _openssl(*verify, "distid:1234567812345679", cwd=tmp_path).returncode != 0
    shown = _openssl("pkey", "-in", "locked.pem", "-passin", "pass:pw", "-pubout", cwd=tmp_path)
    assert shown.returncode == 0 and P.public_key_from_pem(shown.stdout) == key.public_key

    signed = _openssl("pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-digest", "sm3", "-pkeyopt", distid,
                      "-in", "msg", cwd=tmp_path)
    assert signed.returncode == 0 and P.verify(key.public_key, message, signed.stdout)
    made = _openssl("genpkey", "-algorithm", "SM2", cwd=tmp_path)
    assert made.returncode == 0 and P.load_private_pem(made.stdout).profile is P

    (tmp_path / "ct").write_bytes(sm2_encrypt_to(key.public_key, b"sixteen byte key"))
    opened = _openssl("pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", "ct", cwd=tmp_path)
    assert opened.returncode == 0 and opened.stdout == b"sixteen byte key"


# --- envelopes -------------------------------------------------------------------------------


def test_envelope_round_trip():
    """A credential sealed to the custodian's SM2 key opens with that key and the same context only."""
    custodian = P.generate()
    secret = "用户名 admin / 口令 S3cret!".encode()
    envelope = seal(custodian.public_key, secret, b"credential/11110000MB0001020F/sys-1")
    assert envelope.scheme == "sm2-sm4-gcm" and envelope.recipient == custodian.key_id
    raw = envelope.to_bytes()
    assert Envelope.from_bytes(raw) == envelope and secret not in raw
    assert open_envelope(custodian, raw, b"credential/11110000MB0001020F/sys-1") == secret
    assert seal(custodian.public_key, secret).sealed != seal(custodian.public_key, secret).sealed  # fresh keys
    for key, context, code in ((custodian, b"credential/other", "ENVELOPE_INVALID"),
                               (P.generate(), b"credential/11110000MB0001020F/sys-1", "ENVELOPE_INVALID"),
                               (ED.generate(), b"", "ENVELOPE_INVALID")):
        with pytest.raises(MuluError) as info:
            open_envelope(key, raw, context)
        assert_code(info, code)


def test_invalid_envelope_bytes():
    """No single changed byte of an envelope opens: each is refused as malformed or as not opening."""
    custodian = P.generate()
    raw = seal(custodian.public_key, b"password", b"ctx").to_bytes()
    for i in range(len(raw)):
        changed = bytearray(raw)
        changed[i] ^= 0x01
        with pytest.raises(MuluError) as info:
            open_envelope(custodian, bytes(changed), b"ctx")
        assert info.value.code in ("ENVELOPE_INVALID", "RECORD_MALFORMED"), (i, info.value)
    for plain in ([], ["sm2-sm4-gcm", "id", b"", b""], ["sm2-sm4-gcm", 1, b"", b"", b""]):
        with pytest.raises(MuluError) as info:
            Envelope.from_bytes(encode(plain))
        assert_code(info, "RECORD_MALFORMED")


def test_invalid_envelope_inputs():
    """An envelope carries 1 byte to MAX_SECRET, to a valid SM2 key only."""
    custodian = P.generate()
    for secret in (b"", bytes(MAX_SECRET + 1)):
        with pytest.raises(CryptoError):
            seal(custodian.public_key, secret)
    for recipient in (ED.generate().public_key, b"\x04" + bytes(64)):
        with pytest.raises(CryptoError):
            seal(recipient, b"secret")
    assert open_envelope(custodian, seal(custodian.public_key, bytes(MAX_SECRET))) == bytes(MAX_SECRET)


# --- a chain never mixes profiles -------------------------------------------------------------


def test_invalid_genesis_with_keys_of_another_profile(tmp_path: Path):
    """A genesis naming one profile refuses a member key or a validator key of the other."""
    for name in PROFILES:
        home = init_home(tmp_path / name, genesis_time=GENESIS_TIME, profile_name=name)
        other = next(profile(n) for n in PROFILES if n != name).generate().public_key.hex()
        doc = home.genesis().doc
        member_doc = dict(doc, members=[dict(m) for m in doc["members"]])
        member_doc["members"][1]["keys"] = [other]
        validator_doc = dict(doc, validators=[dict(doc["validators"][0], public_key=other)])
        for bad, field in ((member_doc, "members[1].keys[0]"), (validator_doc, "validators[0].public_key")):
            with pytest.raises(GenesisInvalid) as info:
                Registry().genesis_writes(Genesis.from_doc(bad))
            assert info.value.details["field"] == field, (name, info.value)


@pytest.mark.parametrize("served", PROFILES, indirect=True)
def test_invalid_transaction_signed_under_another_profile(served):
    """A member's transaction signed with a key of the other profile is rejected at the door with
    TX_PROFILE_MISMATCH (HTTP 400), naming both profiles; adding such a key is refused by the contract."""
    home, url = served
    client = Client(url)
    chain = home.genesis().profile
    other = next(profile(n) for n in PROFILES if n != chain.name)
    edu = by_short("市教委")
    args = {"doc_id": "d", "title": "t", "kind": "other", "digest": bytes(32)}
    tx = make_tx(other.generate(), chain_id="mulu-demo", sender=edu.uscc, nonce=1, contract="anchor",
                 method="put", args=args)
    with pytest.raises(ApiError) as info:
        client.submit(tx.to_bytes(), wait=True)
    error = assert_code(info, "TX_PROFILE_MISMATCH")
    assert error.status == 400 == status_for(ProfileMismatch("x"))
    assert (error.details["chain_profile"], error.details["signature_profile"]) == (chain.name, other.name)

    # with one of the member's own key ids, a signature of the wrong shape is just invalid
    own = home.member_key(edu.uscc)
    forged = Transaction(tx.chain_id, edu.uscc, own.key_id, 1, "anchor", "put", args)
    forged = Transaction(*forged.to_plain()[:7], signature=other.generate().sign(forged.signing_bytes()))
    with pytest.raises(ApiError) as info:
        client.submit(forged.to_bytes(), wait=True)
    assert_code(info, "TX_SIGNATURE_INVALID")

    # the same call signed with the member's own key commits; a key of the other profile cannot be added
    ok = client.submit(make_tx(own, chain_id="mulu-demo", sender=edu.uscc, nonce=1, contract="anchor",
                               method="put", args=args).to_bytes(), wait=True)
    assert ok["status"] == "committed"
    added = client.submit(make_tx(own, chain_id="mulu-demo", sender=edu.uscc, nonce=2, contract="identity",
                                  method="add_key", args={"public_key": other.generate().public_key}).to_bytes(),
                          wait=True)
    assert (added["status"], added["result"]["code"]) == ("refused", "KEY_INVALID")


def test_sm2_chain_hashes_with_sm3(tmp_path: Path):
    """On an sm2-sm3 chain every hash is SM3: transaction ids, block hashes, the genesis hash, Merkle
    proofs; and an unknown stranger still gets TX_SENDER_UNKNOWN, not a profile error."""
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000, profile_name="sm2")
    node = Node(home, store=MemoryStore(), verify_threads=1)
    try:
        genesis = node.genesis
        assert genesis.profile is P and genesis.hash == gmssl_pyx.sm3_hash(genesis.canonical)
        edu = by_short("市教委")
        key = home.member_key(edu.uscc)
        raws = [make_tx(key, chain_id=genesis.chain_id, sender=edu.uscc, nonce=i + 1, contract="anchor",
                        method="put", args={"doc_id": f"d{i}", "title": "t", "kind": "other",
                                            "digest": P.hash(b"%d" % i)}).to_bytes() for i in range(3)]
        stranger = make_tx(P.generate(), chain_id=genesis.chain_id, sender="91110108MA00000000", nonce=1,
                           contract="anchor", method="put",
                           args={"doc_id": "x", "title": "t", "kind": "other", "digest": bytes(32)})
        admissions = node.engine.submit(raws + [stranger.to_bytes()])
        assert [a.ok for a in admissions] == [True, True, True, False]
        assert admissions[-1].error.code == "TX_SENDER_UNKNOWN"
        assert [a.tx_id for a in admissions[:3]] == [gmssl_pyx.sm3_hash(r) for r in raws]
        assert node.engine.run_until_empty() == 1
        block = node.ledger.block(1)
        assert node.ledger.tip.hash == gmssl_pyx.sm3_hash(encode(block.header.to_plain()))
        proved = verify_tx(genesis, node.ledger.tx_proof(admissions[1].tx_id))
        assert (proved["height"], proved["tx_id"]) == (1, admissions[1].tx_id.hex())
        tampered = node.ledger.tx_proof(admissions[1].tx_id)
        tampered["tx_path"] = [bytes(reversed(p)) for p in tampered["tx_path"]]
        with pytest.raises(MuluError) as info:
            verify_tx(genesis, tampered)
        assert_code(info, "PROOF_INVALID")
    finally:
        node.stop()
