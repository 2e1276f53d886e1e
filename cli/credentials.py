"""``mulu system …`` and ``mulu credential …``: information systems, 入云 exemptions and credential
escrow (000:第十四条). :mod:`cli.main` imports this module, which adds its two command groups
to the ``mulu`` app with the helpers of :mod:`cli.main` (whichever of the two is imported first).

A credential is sealed and opened on the user's machine only. ``mulu credential submit`` reads the
password from a file (never the command line), seals the account to the custodian's current key
(fetched from the node) bound to the system's code, and sends the envelope with a salted commitment.
``mulu credential open`` first records the access on chain (``system.record_access``: who, which
system, why) and waits for its commit; only then does it decrypt, locally, with the custodian's
private key file, the credential version that access names. The secret never passes through a
node, its log or its API.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Optional

import typer

from chain.crypto import canonical_name, profile
from chain.envelope import Envelope, generate_custodian_key, load_custodian_key, open_envelope, seal
from chain.errors import KeyFileEncrypted, MuluError
from cli.client import Client
from cli.main import (
    KEY,
    app,
    NODE,
    PASSPHRASE,
    SENDER,
    _PROFILE_HELP,
    _send,
    fail,
    fetch,
    print_table,
    reading,
    show,
    signer,
    writing,
)
from contracts.system import DEPLOYMENTS, escrow

system_app = typer.Typer(help="信息系统: register systems, apply for and decide 入云 exemptions, show them.",
                         no_args_is_help=True)
credential_app = typer.Typer(help="用户名和密码纳管: seal a system's administrator account to the custodian, "
                                  "escrow it on chain, open it (recorded first).", no_args_is_help=True)
app.add_typer(system_app, name="system")
app.add_typer(credential_app, name="credential")

CUSTODIAN_PASSPHRASE = typer.Option(None, "--custodian-passphrase", envvar="MULU_CUSTODIAN_PASSPHRASE",
                                    help="The custodian key file's passphrase, if it has one.")


# --- systems -----------------------------------------------------------------------------------------


@system_app.command("register")
def system_register(code: str, name: str = typer.Option(..., "--name"),
                    deployment: str = typer.Option(..., "--deployment", help=f"部署位置: {' or '.join(DEPLOYMENTS)}."),
                    protection_level: int = typer.Option(..., "--protection-level", help="等保级别, 1..5."),
                    project: str = typer.Option("", "--project", help="The project that built it (your own)."),
                    reason: str = typer.Option("", "--reason"), key: Path = KEY, sender: str = SENDER,
                    passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Register one of your department's information systems, or a new version of it."""
    _send(node, key, sender, passphrase, "system", "register",
          {"code": code, "name": name, "project": project, "deployment": deployment,
           "protection_level": protection_level, "reason": reason})


@system_app.command("apply-exemption")
def system_apply_exemption(code: str, reason: str = typer.Option(..., "--reason"), key: Path = KEY,
                           sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Apply for a 入云 exemption for a system not on the government cloud."""
    _send(node, key, sender, passphrase, "system", "apply_exemption", {"code": code, "reason": reason})


@system_app.command("decide-exemption")
def system_decide_exemption(code: str, approve: bool = typer.Option(..., "--approve/--refuse"),
                            opinion: str = typer.Option(..., "--opinion"), key: Path = KEY, sender: str = SENDER,
                            passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """经信局: approve or refuse a pending 入云 exemption."""
    _send(node, key, sender, passphrase, "system", "decide_exemption",
          {"code": code, "approve": approve, "opinion": opinion})


@system_app.command("show")
def system_show(code: str, node: str = NODE) -> None:
    """A system: its current version, exemption, 入云 and credential status."""
    show(fetch(lambda: Client(node).get(f"/v1/systems/{code}")))


@system_app.command("list")
def system_list(department: Optional[str] = typer.Option(None, "--department"),
                project: Optional[str] = typer.Option(None, "--project"), node: str = NODE) -> None:
    """A department's systems, or a project's, as a table."""
    if (department is None) == (project is None):
        fail(MuluError("give --department or --project", code="USAGE"))
    path = "/v1/systems" if project is None else f"/v1/projects/{project}/systems"
    rows = fetch(lambda: Client(node).get(path, department=department, limit=1000)["systems"])
    print_table(f"信息系统 {department or project}", ("代码 code", "名称 name", "项目 project", "部署 deployment",
                                                   "等保 level", "版本 version"),
                [(s["code"], s["name"], s["project"], s["deployment"], s["protection_level"], s["version"])
                 for s in rows])


# --- the custodian's key ------------------------------------------------------------------------------


@credential_app.command("custodian-keygen")
def custodian_keygen(out: Path = typer.Option(..., "--out", help="Where to write the private key (PEM)."),
                     key_profile: str = typer.Option("ed25519-sha256", "--profile",
                                                     help="The chain's profile: an X25519 key for ed25519-sha256, "
                                                          "SM2 for sm2-sm3. " + _PROFILE_HELP),
                     passphrase: Optional[str] = CUSTODIAN_PASSPHRASE) -> None:
    """Make the custodian's encryption key; print its key id and public key (register it with
    `mulu credential set-custodian-key`)."""
    from node.home import write_private_key

    try:
        custodian = generate_custodian_key(canonical_name(key_profile))
    except MuluError as exc:
        fail(exc)
    if out.exists():
        fail(MuluError(f"{out} exists; refusing to overwrite a key", code="KEY_FILE_EXISTS"))
    with writing(out):
        write_private_key(out, custodian, passphrase)  # type: ignore[arg-type] - it has to_pem like a signing key
    show({"file": str(out), "scheme": custodian.scheme, "key_id": custodian.key_id,
          "public_key": custodian.public_key.hex()})


def _custodian_key(path: Path, passphrase: Optional[str]):
    with reading():
        try:
            return load_custodian_key(path.read_bytes(), passphrase.encode() if passphrase else None)
        except KeyFileEncrypted as exc:
            raise KeyFileEncrypted(f"{path}: {exc.message}: give it with --custodian-passphrase or "
                                   "MULU_CUSTODIAN_PASSPHRASE", path=str(path)) from None


@credential_app.command("set-custodian-key")
def set_custodian_key(custodian_key: Path = typer.Option(..., "--custodian-key",
                                                         help="The custodian's private key file; only its public "
                                                              "half goes on chain."),
                      custodian_passphrase: Optional[str] = CUSTODIAN_PASSPHRASE, key: Path = KEY,
                      sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """经信局: register (or rotate to) the custodian's encryption public key."""
    custodian = _custodian_key(custodian_key, custodian_passphrase)
    _send(node, key, sender, passphrase, "system", "set_custodian_key", {"public_key": custodian.public_key})


# --- sealing and submitting ---------------------------------------------------------------------------


def _password(path: Path) -> bytes:
    """The password in ``path``, without one trailing line break."""
    with reading():
        data = path.read_bytes()
    data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
    if not data:
        fail(MuluError(f"{path} holds no password", code="PASSWORD_EMPTY", path=str(path)))
    return data


def _sealed(client: Client, code: str, username: str, password_file: Path) -> dict[str, Any]:
    """The account sealed to the custodian's current key, bound to ``code``, with its commitment."""
    password = _password(password_file)
    custodian = client.get("/v1/credentials/custodian")
    chain_profile = profile(client.status()["profile"])
    salt = secrets.token_bytes(escrow.SALT_SIZE)
    envelope = seal(bytes.fromhex(custodian["public_key"]), escrow.plaintext(username, password, salt),
                    escrow.context(code), scheme=custodian["scheme"])
    return {"system": code, "scheme": envelope.scheme, "custodian_key_id": envelope.recipient,
            "envelope": envelope.to_bytes().hex(),
            "commitment": escrow.commitment(chain_profile, username, password, salt).hex()}


USERNAME_HELP = "The system's administrator account name."
PASSWORD_HELP = "A file holding its password (one trailing line break is dropped); never give a password as an option."


@credential_app.command("seal")
def credential_seal(code: str, username: str = typer.Option(..., "--username", help=USERNAME_HELP),
                    password_file: Path = typer.Option(..., "--password-file", help=PASSWORD_HELP),
                    out: Path = typer.Option(..., "--out", help="Where to write the sealed credential (JSON)."),
                    node: str = NODE) -> None:
    """Seal a system's account to the custodian's current key, locally; submit it later with
    `mulu credential submit SYSTEM --sealed FILE`."""
    if out.exists():
        fail(MuluError(f"{out} exists; refusing to overwrite it", code="FILE_EXISTS"))
    sealed = fetch(lambda: _sealed(Client(node), code, username, password_file))
    with writing(out):
        out.write_text(json.dumps(sealed, indent=2))
    show({"file": str(out), "system": code, "scheme": sealed["scheme"],
          "custodian_key_id": sealed["custodian_key_id"]})


@credential_app.command("submit")
def credential_submit(code: str, username: Optional[str] = typer.Option(None, "--username", help=USERNAME_HELP),
                      password_file: Optional[Path] = typer.Option(None, "--password-file", help=PASSWORD_HELP),
                      sealed_file: Optional[Path] = typer.Option(None, "--sealed",
                                                                 help="A file `mulu credential seal` wrote."),
                      reason: str = typer.Option("", "--reason"), key: Path = KEY, sender: str = SENDER,
                      passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Escrow a system's administrator account (sealing it here first), or a sealed file; a
    rotation or re-seal is a new version."""
    if sealed_file is not None:
        if username is not None or password_file is not None:
            fail(MuluError("give --sealed, or --username with --password-file, not both", code="USAGE"))
        with reading():
            sealed = json.loads(sealed_file.read_text())
        if sealed.get("system") != code:
            fail(MuluError(f"{sealed_file} is sealed for system {sealed.get('system')!r}, not {code}",
                           code="SEALED_FOR_ANOTHER_SYSTEM", path=str(sealed_file)))
    elif username is None or password_file is None:
        fail(MuluError("give --username and --password-file (or --sealed FILE)", code="USAGE"))
    else:
        sealed = fetch(lambda: _sealed(Client(node), code, username, password_file))
    _send(node, key, sender, passphrase, "system", "submit_credential",
          {"code": code, "envelope": bytes.fromhex(sealed["envelope"]),
           "commitment": bytes.fromhex(sealed["commitment"]), "reason": reason})


# --- opening (recorded first) ---------------------------------------------------------------------------


@credential_app.command("open")
def credential_open(code: str, reason: str = typer.Option(..., "--reason", help="Why it is opened (on chain)."),
                    custodian_key: Path = typer.Option(..., "--custodian-key", help="The custodian's private key."),
                    out: Path = typer.Option(..., "--out", help="Where to write the account (JSON, owner-only)."),
                    custodian_passphrase: Optional[str] = CUSTODIAN_PASSPHRASE, key: Path = KEY,
                    sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """经信局: record the access on chain (who, which system, why), wait for its commit, then open
    the credential version it names, here, with the custodian's key."""
    if out.exists():
        fail(MuluError(f"{out} exists; refusing to overwrite it", code="FILE_EXISTS"))
    private = _custodian_key(custodian_key, custodian_passphrase)
    try:
        member = signer(node, key, sender, passphrase)
        answer = member.call("system", "record_access", {"code": code, "reason": reason})
    except MuluError as exc:
        fail(exc)
    if answer.get("status") != "committed":
        show(answer)
        raise typer.Exit(1)
    access = next(attrs for kind, attrs in _events(answer) if kind == "credential_accessed")
    client = member.client
    record = fetch(lambda: client.get(f"/v1/systems/{code}/credential", height=answer["height"]))
    with reading():
        plain = open_envelope(private, Envelope.from_bytes(bytes.fromhex(record["envelope"])), escrow.context(code))
        username, password, salt = escrow.parse_plaintext(plain)
    chain_profile = profile(client.status()["profile"])
    matches = escrow.commitment(chain_profile, username, password, salt).hex() == record["commitment"]
    with writing(out):
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"system": code, "username": username,
                       "password": password.decode("utf-8", errors="surrogateescape")}, f, ensure_ascii=False)
    show({"file": str(out), "system": code, "credential_version": record["version"], "commitment_ok": matches,
          "access": {"seq": access["seq"], "height": answer["height"], "tx_id": answer["tx_id"]}})
    if not matches:
        fail(MuluError("the opened account does not match the commitment on chain", code="COMMITMENT_MISMATCH",
                       system=code))


def _events(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["type"], e["attributes"]) for e in (answer.get("result") or {}).get("events", [])]


# --- reading ---------------------------------------------------------------------------------------------


@credential_app.command("show")
def credential_show(code: str, node: str = NODE, height: Optional[int] = typer.Option(None, "--height")) -> None:
    """A system's escrowed credential (commitment, envelope digest, custodian key, version), current or
    as of --height; the envelope itself stays sealed and is not printed."""
    record = fetch(lambda: Client(node).get(f"/v1/systems/{code}/credential", height=height))
    show({k: v for k, v in record.items() if k != "envelope"})


@credential_app.command("pending")
def credential_pending(node: str = NODE) -> None:
    """Credentials still sealed to an older custodian key (pending re-seal), as a table."""
    page = fetch(lambda: Client(node).get("/v1/credentials/pending", limit=1000))
    print_table(f"待重新封装 pending re-seal (current key {page['custodian_key_id']})",
                ("系统 system", "部门 department", "封装密钥 sealed to", "版本 version"),
                [(r["code"], r["department"], r["custodian_key_id"], r["version"]) for r in page["credentials"]])


@credential_app.command("accesses")
def credential_accesses(code: str, node: str = NODE) -> None:
    """Every recorded opening of a system's credential, as a table."""
    rows = fetch(lambda: Client(node).get(f"/v1/systems/{code}/accesses", limit=1000)["accesses"])
    print_table(f"调阅记录 accesses {code}", ("#", "调阅人 by", "原因 reason", "凭据版本 version", "区块 block"),
                [(a["seq"], a["by"], a["reason"], a["credential_version"], a["height"]) for a in rows])
